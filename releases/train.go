package releases

import (
	"slices"
	"strings"
)

// A release is a list of components: one service at one version each. A
// one-service release has one component and goes through the same code as
// a train of several. For a train, Release.Service and Release.Version
// hold its first component as typed (they are NOT NULL columns and what
// clients from before trains read); Release.Components is the whole.

// Component is one service of a release at one version.
type Component struct {
	Service string
	Version string
	// Digest identifies the built artifact (an image digest), when the
	// creator gave one; "" otherwise.
	Digest string
	// Descoped components were taken out of the train after it was
	// opened: they deploy no further and nothing waits for them.
	Descoped      bool
	DescopeReason string
}

// Label is "payments-api v2.4.0".
func (c Component) Label() string { return c.Service + " " + c.Version }

// IsTrain reports whether r releases more than one service.
func (r *Release) IsTrain() bool { return len(r.Components) > 1 }

// Summary names what r releases: "payments-api v2.4.0" for one service;
// "checkout-q3: ledger v1.9.0, payments-api v2.4.0" for a train (without a
// name: "train: …").
func (r *Release) Summary() string {
	if !r.IsTrain() {
		return r.Service + " " + r.Version
	}
	parts := make([]string, len(r.Components))
	for i, c := range r.Components {
		parts[i] = c.Label()
		if c.Descoped {
			parts[i] += " (descoped)"
		}
	}
	name := r.Name
	if name == "" {
		name = "train"
	}
	return name + ": " + strings.Join(parts, ", ")
}

// Component returns r's component of service.
func (r *Release) Component(service string) (*Component, bool) {
	for i := range r.Components {
		if r.Components[i].Service == service {
			return &r.Components[i], true
		}
	}
	return nil, false
}

// Scope returns the services of r's components that are not descoped, in
// r's order.
func (r *Release) Scope() []string {
	if len(r.Components) == 0 {
		return []string{r.Service} // built without components (as before trains)
	}
	var out []string
	for _, c := range r.Components {
		if !c.Descoped {
			out = append(out, c.Service)
		}
	}
	return out
}

// ComponentDeployment returns the newest deployment of either type of
// service to env.
func (r *Release) ComponentDeployment(env, service string) (*Deployment, bool) {
	for i := len(r.Deployments) - 1; i >= 0; i-- {
		if d := &r.Deployments[i]; d.Environment == env && d.Service == service {
			return d, true
		}
	}
	return nil, false
}

// deployedTo reports whether service's newest deployment to env is a
// forward one that succeeded.
func (r *Release) deployedTo(env, service string) bool {
	d, ok := r.ComponentDeployment(env, service)
	return ok && d.Type == TypeDeployment && d.Status == DeploymentSucceeded
}

// EnvironmentDone reports whether every component in scope succeeded in
// env.
func (r *Release) EnvironmentDone(env string) bool {
	for _, s := range r.Scope() {
		if !r.deployedTo(env, s) {
			return false
		}
	}
	return true
}

// InFlightIn returns r's deployments to env that are pending or in
// progress.
func (r *Release) InFlightIn(env string) []Deployment {
	var out []Deployment
	for _, d := range r.Deployments {
		if d.Environment == env && d.Status.InFlight() {
			out = append(out, d)
		}
	}
	return out
}

// Retryable is what `/release retry` starts again: the first environment
// where a component's newest forward deployment failed or timed out, and
// those deployments. env is "" when there is none, as when only a
// rollback failed; the card offers Retry only when there is one.
func (r *Release) Retryable() (env string, failed []Deployment) {
	for _, e := range r.Environments {
		if f := r.failedIn(e); len(f) > 0 {
			return e, f
		}
	}
	return "", nil
}

// failedIn returns the components in scope whose newest forward deployment
// to env failed or timed out, with it, in r's order.
func (r *Release) failedIn(env string) []Deployment {
	var out []Deployment
	for _, s := range r.Scope() {
		if d, ok := r.ComponentDeployment(env, s); ok && d.Type == TypeDeployment &&
			(d.Status == DeploymentFailed || d.Status == DeploymentTimedOut) {
			out = append(out, *d)
		}
	}
	return out
}

// TrainPlan is the order of a train's components inside one environment:
// a topological order of the catalog's depends_on restricted to the
// train's components. Components in one level depend on nothing in that
// level or later, so they deploy in parallel.
type TrainPlan struct {
	// Levels holds the services, in the order they were given within a
	// level; level 0 depends on nothing in the train.
	Levels [][]string
	deps   map[string][]string // within the train
}

// PlanTrain orders services (as given; no duplicates) by dependsOn, which
// returns the services one depends on (nil for none; those outside
// services are ignored). Errors: EInvalid naming a cycle.
func PlanTrain(services []string, dependsOn func(string) []string) (TrainPlan, error) {
	p := TrainPlan{deps: map[string][]string{}}
	in := map[string]bool{}
	for _, s := range services {
		in[s] = true
	}
	for _, s := range services {
		if dependsOn == nil {
			break
		}
		for _, d := range dependsOn(s) {
			if in[d] && d != s && !slices.Contains(p.deps[s], d) {
				p.deps[s] = append(p.deps[s], d)
			}
		}
	}
	placed := map[string]bool{}
	for len(placed) < len(services) {
		var level []string
		for _, s := range services {
			if placed[s] {
				continue
			}
			ready := true
			for _, d := range p.deps[s] {
				if !placed[d] {
					ready = false
					break
				}
			}
			if ready {
				level = append(level, s)
			}
		}
		if len(level) == 0 {
			return TrainPlan{}, Errorf(EInvalid, "The services depend on each other in a circle (%s); fix depends_on in the catalog.", strings.Join(p.cycle(services, placed), " -> "))
		}
		for _, s := range level {
			placed[s] = true
		}
		p.Levels = append(p.Levels, level)
	}
	return p, nil
}

// cycle finds one cycle among the services not placed: each of them
// depends on at least one other unplaced one, so following those edges
// must come back.
func (p TrainPlan) cycle(services []string, placed map[string]bool) []string {
	var start string
	for _, s := range services {
		if !placed[s] {
			start = s
			break
		}
	}
	seen := map[string]int{}
	var path []string
	for s := start; ; {
		if i, ok := seen[s]; ok {
			return append(path[i:], s)
		}
		seen[s] = len(path)
		path = append(path, s)
		for _, d := range p.deps[s] {
			if !placed[d] {
				s = d
				break
			}
		}
	}
}

// Order returns every service, level by level: an order in which each
// comes after what it depends on.
func (p TrainPlan) Order() []string {
	var out []string
	for _, l := range p.Levels {
		out = append(out, l...)
	}
	return out
}

// DependsOn returns the services within the train that service waits for.
func (p TrainPlan) DependsOn(service string) []string { return p.deps[service] }

// Ready returns, in Order, the services not yet started whose
// dependencies have all succeeded: what may start now.
func (p TrainPlan) Ready(started, succeeded func(string) bool) []string {
	var out []string
	for _, s := range p.Order() {
		if started(s) {
			continue
		}
		ok := true
		for _, d := range p.deps[s] {
			if !succeeded(d) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, s)
		}
	}
	return out
}

// plan returns the order of r's components in scope, by the catalog.
func (p *Policy) plan(services []string) (TrainPlan, error) {
	return PlanTrain(services, func(s string) []string { return p.DependsOn[s] })
}

// describeComponents is "ledger v1.9.0, payments-api v2.4.0".
func describeComponents(cs []Component) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.Label()
	}
	return strings.Join(parts, ", ")
}

// componentsOf returns r's components of services, in the order given.
func (r *Release) componentsOf(services []string) []Component {
	var out []Component
	for _, s := range services {
		if c, ok := r.Component(s); ok {
			out = append(out, *c)
		}
	}
	return out
}
