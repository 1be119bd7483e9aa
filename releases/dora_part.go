package releases

import (
	"slices"
	"time"
)

// doraPart is what the DORA figures need of one key's deployments (a
// service's, or a train's) over one stretch of time: the counts, the
// spreads of lead and restore times, and what joins it to the stretch
// after it: the failures it leaves unrestored, and its first success,
// which restores those the stretch before it left.
type doraPart struct {
	Changes, Deployments, Failures int
	Leads, Restores                spread
	Pending                        []time.Time // failures not restored within the stretch, oldest first
	FirstOK                        time.Time   // the stretch's first success; zero for none
}

// partOf computes the part of one key's deployments, sorted by FinishedAt
// then id (see byKey), by the rules of DORA's comment: a forward
// deployment that finished is a change; one that succeeded, or did and was
// later rolled back, reached the environment (its lead time counts); one
// that failed, timed out or was later rolled back is a failure, restored
// by the next success of the key (of either type, or a forward deployment
// later rolled back) that finished strictly after it.
func partOf(sorted []DeploymentFact) *doraPart {
	p := &doraPart{}
	for _, x := range sorted {
		if x.Status == DeploymentSucceeded || (x.Type == TypeDeployment && x.Status == DeploymentRolledBack) {
			if p.FirstOK.IsZero() {
				p.FirstOK = x.FinishedAt
			}
			n := 0
			for _, failed := range p.Pending {
				if !x.FinishedAt.After(failed) {
					break
				}
				p.Restores.add(x.FinishedAt.Sub(failed))
				n++
			}
			p.Pending = p.Pending[n:]
		}
		if x.Type != TypeDeployment {
			continue
		}
		reached := x.Status == DeploymentSucceeded || x.Status == DeploymentRolledBack
		failed := x.Status == DeploymentFailed || x.Status == DeploymentTimedOut || x.Status == DeploymentRolledBack
		if !reached && !failed {
			continue // not final: not a change yet
		}
		p.Changes++
		if reached {
			p.Deployments++
			p.Leads.add(x.FinishedAt.Sub(x.ReleaseCreatedAt))
		}
		if failed {
			p.Failures++
			p.Pending = append(p.Pending, x.FinishedAt)
		}
	}
	if len(p.Pending) == 0 {
		p.Pending = nil
	}
	return p
}

// then joins next, the part of the same key over the stretch right after
// p's, onto p: next's first success restores what p left pending.
func (p *doraPart) then(next *doraPart) {
	p.Changes += next.Changes
	p.Deployments += next.Deployments
	p.Failures += next.Failures
	p.Leads.merge(next.Leads)
	p.Restores.merge(next.Restores)
	if !next.FirstOK.IsZero() {
		for _, failed := range p.Pending {
			p.Restores.add(next.FirstOK.Sub(failed))
		}
		p.Pending = nil
	}
	p.Pending = append(p.Pending, next.Pending...)
	if p.FirstOK.IsZero() {
		p.FirstOK = next.FirstOK
	}
}

// doraOfParts adds up parts of different keys over [from, to) into the
// figures: a failure left pending is not restored.
func doraOfParts(parts []*doraPart, from, to time.Time) DORA {
	d := DORA{From: from, To: to}
	var leads, restores spread
	for _, p := range parts {
		d.Changes += p.Changes
		d.Deployments += p.Deployments
		d.Failures += p.Failures
		d.Unrestored += len(p.Pending)
		leads.merge(p.Leads)
		restores.merge(p.Restores)
	}
	d.Restored = restores.count()
	if days := to.Sub(from).Hours() / 24; days > 0 {
		d.PerDay = float64(d.Deployments) / days
		d.PerWeek = d.PerDay * 7
	}
	if d.Changes > 0 {
		d.FailureRate = float64(d.Failures) / float64(d.Changes)
	}
	d.LeadTime = leads.median()
	d.TimeToRestore = restores.median()
	return d
}

// byKey groups the facts that finished in [from, to) by key, each group
// sorted by FinishedAt then id, in the order keys first appear.
func byKey(facts []DeploymentFact, from, to time.Time, key func(DeploymentFact) string) [][]DeploymentFact {
	at := map[string]int{}
	var out [][]DeploymentFact
	for _, f := range facts {
		if f.FinishedAt.Before(from) || !f.FinishedAt.Before(to) {
			continue
		}
		k := key(f)
		i, ok := at[k]
		if !ok {
			i = len(out)
			at[k] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], f)
	}
	for _, fs := range out {
		slices.SortStableFunc(fs, byFinish)
	}
	return out
}

func byFinish(a, b DeploymentFact) int {
	if c := a.FinishedAt.Compare(b.FinishedAt); c != 0 {
		return c
	}
	return int(a.ID - b.ID)
}
