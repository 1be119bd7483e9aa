package releases_test

import (
	"slices"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// deployment builds a deployment of service api, of release id, with the
// given lane environment, type, status and attempts.
func deployment(id int64, env string, typ releases.DeploymentType, st releases.DeploymentStatus, attempts int) releases.Deployment {
	return releases.Deployment{ID: id, ReleaseID: id, Service: "api", Environment: env, Type: typ, Status: st, Version: "v1", Attempts: attempts}
}

const (
	fwd      = releases.TypeDeployment
	rollback = releases.TypeRollback
	pending  = releases.DeploymentPending
	running  = releases.DeploymentInProgress
	done     = releases.DeploymentSucceeded
)

func cands(ds ...releases.Deployment) []releases.DeliveryCandidate {
	out := make([]releases.DeliveryCandidate, len(ds))
	for i, x := range ds {
		out[i] = releases.DeliveryCandidate{Deployment: x}
	}
	return out
}

func TestPlanDeliveries(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	freeze := &releases.Hold{Until: now.Add(time.Hour), Note: `is held by the freeze "x" until 11:00 UTC`}
	web := deployment(9, "prod", fwd, pending, 0)
	web.Service = "web"
	overridden := cands(deployment(2, "prod", fwd, pending, 0))
	overridden[0].Overridden = true
	heldBefore := cands(deployment(2, "prod", fwd, pending, 0), deployment(3, "staging", fwd, pending, 0))
	heldBefore[0].LastError = freeze.Note
	heldBefore[1].LastError = "HTTP 500"
	tests := []struct {
		name       string
		candidates []releases.DeliveryCandidate
		inFlight   []releases.Deployment // besides the candidates
		freeze     *releases.Hold
		limit      int
		send       []int64
		replaces   []int64 // of send, those whose previous version is set afresh
		hold       []int64
		news       []int64 // of hold, those to tell their thread about
	}{
		{name: "nothing ahead: the first attempt goes and replaces what runs",
			candidates: cands(deployment(2, "prod", fwd, pending, 0)), send: []int64{2}, replaces: []int64{2}},
		{name: "a retry keeps its previous version",
			candidates: cands(deployment(2, "prod", fwd, pending, 1)), send: []int64{2}},
		{name: "one at a time: behind a deployment in progress",
			candidates: cands(deployment(2, "prod", fwd, pending, 0)), inFlight: []releases.Deployment{deployment(1, "prod", fwd, running, 1)}},
		{name: "one at a time: behind an older pending one, which goes",
			candidates: cands(deployment(1, "prod", fwd, pending, 0), deployment(2, "prod", fwd, pending, 0)), send: []int64{1}, replaces: []int64{1}},
		{name: "behind a rollback in progress",
			candidates: cands(deployment(2, "prod", fwd, pending, 0)), inFlight: []releases.Deployment{deployment(1, "prod", rollback, running, 1)}},
		{name: "other lanes do not wait: another environment, another service",
			candidates: cands(deployment(2, "staging", fwd, pending, 0), web), inFlight: []releases.Deployment{deployment(1, "prod", fwd, running, 1)},
			send: []int64{2, 9}, replaces: []int64{2, 9}},
		{name: "finished and newer deployments are not ahead",
			candidates: cands(deployment(2, "prod", fwd, pending, 0)), inFlight: []releases.Deployment{deployment(1, "prod", fwd, done, 1), deployment(3, "prod", fwd, running, 1)},
			send: []int64{2}, replaces: []int64{2}},
		{name: "a rollback passes an unsent forward deployment, which may go too",
			candidates: cands(deployment(1, "prod", fwd, pending, 0), deployment(2, "prod", rollback, pending, 0)), send: []int64{1, 2}, replaces: []int64{1}},
		{name: "a rollback passes a queue of unsent forward deployments",
			candidates: cands(deployment(4, "prod", rollback, pending, 0)),
			inFlight:   []releases.Deployment{deployment(1, "prod", fwd, pending, 0), deployment(2, "prod", fwd, pending, 0), deployment(3, "prod", fwd, pending, 0)},
			send:       []int64{4}},
		{name: "a rollback waits for a forward deployment the deployer may have seen",
			candidates: cands(deployment(2, "prod", rollback, pending, 0)), inFlight: []releases.Deployment{deployment(1, "prod", fwd, pending, 1)}},
		{name: "a rollback waits for a forward deployment in progress",
			candidates: cands(deployment(2, "prod", rollback, pending, 0)), inFlight: []releases.Deployment{deployment(1, "prod", fwd, running, 1)}},
		{name: "a rollback waits for an older rollback, even unsent",
			candidates: cands(deployment(2, "prod", rollback, pending, 0)), inFlight: []releases.Deployment{deployment(1, "prod", rollback, pending, 0)}},
		{name: "a rollback waits when anything ahead of it may not be passed",
			candidates: cands(deployment(3, "prod", rollback, pending, 0)), inFlight: []releases.Deployment{deployment(1, "prod", fwd, pending, 0), deployment(2, "prod", fwd, running, 1)}},
		{name: "a freeze holds a first attempt; the rollback behind it goes",
			candidates: cands(deployment(1, "prod", fwd, pending, 0), deployment(2, "prod", rollback, pending, 0)), freeze: freeze,
			send: []int64{2}, hold: []int64{1}, news: []int64{1}},
		{name: "a freeze does not hold a retry or a rollback",
			candidates: cands(deployment(1, "prod", fwd, pending, 2), deployment(5, "staging", rollback, pending, 0)), freeze: freeze, send: []int64{1, 5}},
		{name: "a freeze does not hold a release with an override",
			candidates: overridden, freeze: freeze, send: []int64{2}, replaces: []int64{2}},
		{name: "a freeze holds what waits in no queue only: a queued one just waits",
			candidates: cands(deployment(2, "prod", fwd, pending, 0)), inFlight: []releases.Deployment{deployment(1, "prod", fwd, running, 1)}, freeze: freeze},
		{name: "held again for the same reason is no news",
			candidates: heldBefore, freeze: freeze, hold: []int64{2, 3}, news: []int64{3}},
		{name: "the limit counts held and sent, not what waits",
			candidates: cands(deployment(2, "prod", fwd, pending, 0), deployment(3, "staging", fwd, pending, 0), deployment(4, "qa", fwd, pending, 1), deployment(5, "dev", fwd, pending, 0)),
			inFlight:   []releases.Deployment{deployment(1, "prod", fwd, running, 1)}, freeze: freeze, limit: 2,
			hold: []int64{3}, news: []int64{3}, send: []int64{4}},
		{name: "no candidates", send: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			limit := tc.limit
			if limit == 0 {
				limit = 10
			}
			inFlight := slices.Clone(tc.inFlight)
			for _, c := range tc.candidates {
				inFlight = append(inFlight, c.Deployment)
			}
			p := releases.PlanDeliveries(tc.candidates, inFlight, tc.freeze, now, limit)
			var send, replaces, hold, news []int64
			for _, s := range p.Send {
				send = append(send, s.Deployment.ID)
				if s.Replaces {
					replaces = append(replaces, s.Deployment.ID)
				}
				var before releases.Deployment
				for _, c := range tc.candidates {
					if c.Deployment.ID == s.Deployment.ID {
						before = c.Deployment
					}
				}
				if s.Deployment.Attempts != before.Attempts+1 {
					t.Errorf("D-%d goes out as attempt %d, want %d", s.Deployment.ID, s.Deployment.Attempts, before.Attempts+1)
				}
			}
			for _, h := range p.Hold {
				hold = append(hold, h.Deployment.ID)
				if h.News {
					news = append(news, h.Deployment.ID)
				}
				if h.Deployment.Attempts != 0 || !h.Until.Equal(now.Add(releases.HoldRecheck)) {
					t.Errorf("held D-%d: attempts %d, due again %v; want 0, %v", h.Deployment.ID, h.Deployment.Attempts, h.Until, now.Add(releases.HoldRecheck))
				}
			}
			for _, c := range []struct {
				what      string
				got, want []int64
			}{{"sent", send, tc.send}, {"replacing", replaces, tc.replaces}, {"held", hold, tc.hold}, {"news", news, tc.news}} {
				if !slices.Equal(c.got, c.want) {
					t.Errorf("%s: got %v, want %v", c.what, c.got, c.want)
				}
			}
		})
	}
}

func TestHoldRecheck(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		until time.Time
		want  time.Time
	}{
		{name: "end unknown: a minute on", want: now.Add(releases.HoldRecheck)},
		{name: "ends later: a minute on, in case it is lifted", until: now.Add(time.Hour), want: now.Add(releases.HoldRecheck)},
		{name: "ends sooner: at its end", until: now.Add(20 * time.Second), want: now.Add(20 * time.Second)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := (&releases.Hold{Until: tc.until}).Recheck(now); !got.Equal(tc.want) {
				t.Errorf("Recheck = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestReplacing(t *testing.T) {
	queued := deployment(2, "prod", fwd, pending, 1)
	queued.PreviousVersion = "v0" // what ran when it was created
	last := deployment(1, "prod", fwd, done, 1)
	last.Version = "v0.5"
	tests := []struct {
		name string
		last *releases.Deployment
		want string
	}{
		{name: "what succeeded meanwhile", last: &last, want: "v0.5"},
		{name: "nothing succeeded there", want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := releases.Replacing(queued, tc.last).PreviousVersion; got != tc.want {
				t.Errorf("previous version %q, want %q", got, tc.want)
			}
		})
	}
}
