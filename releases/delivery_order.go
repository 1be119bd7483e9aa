package releases

import "time"

// The rules of which pending deployment may be sent next. A DeliveryStore
// keeps the locking and the claim: it loads the candidates and what is in
// flight ahead of them, asks PlanDeliveries, and claims what it says.

// Lane is where deployments go out one at a time: one service's
// environment.
type Lane struct {
	Service     string
	Environment string
}

// LaneOf returns the lane d goes out in.
func LaneOf(d Deployment) Lane { return Lane{Service: d.Service, Environment: d.Environment} }

// unsent reports whether the deployer cannot have seen d: no attempt was
// made to send it.
func unsent(d Deployment) bool { return d.Attempts == 0 }

// Passes reports whether d may go out while ahead, an older unfinished
// deployment of its lane, has not finished. Deployments go one at a time
// per lane, oldest first, except that a rollback passes a forward
// deployment not sent yet (queued, or held by a freeze): undoing what runs
// does not wait for what might run next. Only a rollback ever passes: a
// DeliveryStore may rely on that to read as candidates only the oldest
// unfinished deployment of each lane, and rollbacks.
func Passes(d, ahead Deployment) bool {
	return d.Type == TypeRollback && ahead.Type == TypeDeployment && unsent(ahead)
}

// Clear reports whether d may go out now, given inFlight, unfinished
// deployments that include every one older than d in its lane (others,
// d itself among them, are ignored).
func Clear(d Deployment, inFlight []Deployment) bool {
	for _, a := range inFlight {
		if a.ID < d.ID && LaneOf(a) == LaneOf(d) && a.Status.InFlight() && !Passes(d, a) {
			return false
		}
	}
	return true
}

// Holds reports whether a freeze in force holds d back: the first attempt
// of a forward deployment whose release has no override (overridden).
// Rollbacks, and deployments the deployer may already have seen, go on.
func Holds(d Deployment, overridden bool) bool {
	return d.Type == TypeDeployment && unsent(d) && !overridden
}

// Recheck returns when a deployment h holds at now is looked at again: at
// the end of the freeze, or after HoldRecheck if that is sooner or the end
// is unknown (a freeze may be lifted early).
func (h *Hold) Recheck(now time.Time) time.Time {
	next := now.Add(HoldRecheck)
	if !h.Until.IsZero() && h.Until.Before(next) {
		return h.Until
	}
	return next
}

// DeliveryCandidate is a pending deployment due for an attempt that no
// worker holds, as a claim sees it.
type DeliveryCandidate struct {
	Deployment Deployment
	// Overridden: its release has a release manager's override, so no
	// freeze holds it.
	Overridden bool
	// LastError says why it was not sent last time ("" for none); a
	// freeze's note when that freeze held it.
	LastError string
}

// DeliveryPlan is what a claim does with its candidates.
type DeliveryPlan struct {
	Send []Sending // to claim and send, oldest first
	Hold []Held    // held back by the freeze, oldest first
}

// Sending is a deployment a claim sends.
type Sending struct {
	Deployment Deployment // as it goes out: Attempts counts this attempt
	// Replaces is set on the first attempt of a forward deployment: its
	// PreviousVersion is to be set afresh (see Replacing), since what it
	// replaces may have changed while it queued.
	Replaces bool
}

// Held is a deployment a freeze holds back.
type Held struct {
	Deployment Deployment
	Until      time.Time // when it is due again (Hold.Recheck)
	// News: it was not held for the same reason before, so its thread is
	// to be told.
	News bool
}

// PlanDeliveries decides which of candidates (oldest first) go out now.
// inFlight holds the unfinished deployments of the candidates' lanes, at
// least every one older than a candidate (the candidates themselves may
// be among them). A candidate that is not Clear waits, unclaimed. Of the
// others, up to limit in all, freeze (nil: none in force) holds those it
// Holds, due again at freeze.Recheck(now), and the rest are sent.
func PlanDeliveries(candidates []DeliveryCandidate, inFlight []Deployment, freeze *Hold, now time.Time, limit int) DeliveryPlan {
	var p DeliveryPlan
	for _, c := range candidates {
		if len(p.Send)+len(p.Hold) >= limit {
			break
		}
		d := c.Deployment
		if !Clear(d, inFlight) {
			continue
		}
		if freeze != nil && Holds(d, c.Overridden) {
			p.Hold = append(p.Hold, Held{Deployment: d, Until: freeze.Recheck(now), News: c.LastError != freeze.Note})
			continue
		}
		replaces := d.Type == TypeDeployment && unsent(d)
		d.Attempts++
		p.Send = append(p.Send, Sending{Deployment: d, Replaces: replaces})
	}
	return p
}

// Replacing returns d with PreviousVersion set to what it replaces: last,
// the deployment that succeeded last in its lane, or nil for none.
func Replacing(d Deployment, last *Deployment) Deployment {
	d.PreviousVersion = ""
	if last != nil {
		d.PreviousVersion = last.Version
	}
	return d
}
