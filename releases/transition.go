package releases

// transitions is the release lifecycle: every allowed (from, to) pair. A
// change of status that is not listed here is refused and changes nothing.
var transitions = map[Status][]Status{
	// Sign-offs complete, a lead rejects, or someone cancels.
	StatusAwaitingSignoff: {StatusReady, StatusRejected, StatusCancelled},
	// A withdrawn sign-off sends a ready release back; its window opens.
	StatusReady: {StatusAwaitingSignoff, StatusDeploying, StatusRejected, StatusCancelled},
	// An environment finishes: the next waits for a person, all are done, or
	// one failed.
	StatusDeploying: {StatusAwaitingPromotion, StatusDeployed, StatusFailed},
	// A promotion starts the next environment; a rollback ends the release.
	StatusAwaitingPromotion: {StatusDeploying, StatusRolledBack, StatusFailed},
	// A rollback succeeds, or fails and leaves the release failed.
	StatusDeployed: {StatusRolledBack, StatusFailed},
	// A rollback ends it; a retry of what failed, or descoping a train's
	// failed component, deploys again.
	StatusFailed: {StatusRolledBack, StatusDeploying},
	// Rolling back a further environment can fail.
	StatusRolledBack: {StatusFailed},
	StatusRejected:   nil,
	StatusCancelled:  nil,
}

// CanTransition reports whether a release may move from one status to
// another. Staying in the same status is not a transition.
func CanTransition(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// transition moves r to status to, or explains why it can't.
func transition(r *Release, to Status) error {
	if r.Status == to {
		return nil
	}
	if !CanTransition(r.Status, to) {
		return Errorf(EConflict, "%s is %s; it can't become %s.", FormatID(r.ID), describe(r.Status), describe(to))
	}
	r.Status = to
	return nil
}

// describe renders a status for a sentence.
func describe(s Status) string {
	switch s {
	case StatusAwaitingSignoff:
		return "waiting for sign-off"
	case StatusAwaitingPromotion:
		return "waiting for promotion"
	case StatusRolledBack:
		return "rolled back"
	}
	return string(s)
}
