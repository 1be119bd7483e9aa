package releases

import "testing"

func TestTransitionTable(t *testing.T) {
	allowed := map[[2]Status]bool{
		{StatusAwaitingSignoff, StatusReady}:        true,
		{StatusAwaitingSignoff, StatusRejected}:     true,
		{StatusAwaitingSignoff, StatusCancelled}:    true,
		{StatusReady, StatusAwaitingSignoff}:        true,
		{StatusReady, StatusDeploying}:              true,
		{StatusReady, StatusRejected}:               true,
		{StatusReady, StatusCancelled}:              true,
		{StatusDeploying, StatusAwaitingPromotion}:  true,
		{StatusDeploying, StatusDeployed}:           true,
		{StatusDeploying, StatusFailed}:             true,
		{StatusAwaitingPromotion, StatusDeploying}:  true,
		{StatusAwaitingPromotion, StatusRolledBack}: true,
		{StatusAwaitingPromotion, StatusFailed}:     true,
		{StatusDeployed, StatusRolledBack}:          true,
		{StatusDeployed, StatusFailed}:              true,
		{StatusFailed, StatusRolledBack}:            true,
		{StatusFailed, StatusDeploying}:             true, // retry, descope (trains)
		{StatusRolledBack, StatusFailed}:            true,
	}
	for _, from := range Statuses {
		for _, to := range Statuses {
			want := allowed[[2]Status{from, to}]
			t.Run(string(from)+"→"+string(to), func(t *testing.T) {
				if got := CanTransition(from, to); got != want {
					t.Fatalf("CanTransition(%s, %s) = %v, want %v", from, to, got, want)
				}
				r := &Release{ID: 7, Status: from}
				err := transition(r, to)
				switch {
				case from == to && err != nil:
					t.Fatalf("staying in %s: %v", from, err)
				case from != to && want && (err != nil || r.Status != to):
					t.Fatalf("transition refused: %v", err)
				case from != to && !want && (err == nil || r.Status != from || ErrorCode(err) != EConflict):
					t.Fatalf("illegal transition allowed or status changed: err=%v status=%s", err, r.Status)
				}
			})
		}
	}
	for from := range transitions {
		if !from.Valid() {
			t.Errorf("transition table has unknown status %q", from)
		}
	}
	if len(transitions) != len(Statuses) {
		t.Errorf("transition table covers %d statuses, want all %d", len(transitions), len(Statuses))
	}
}

func TestParseID(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int64
		ok   bool
	}{
		{name: "canonical", in: "R-42", want: 42, ok: true},
		{name: "lower case", in: "r-7", want: 7, ok: true},
		{name: "bare number", in: "12", want: 12, ok: true},
		{name: "zero", in: "R-0"},
		{name: "negative", in: "R--3"},
		{name: "junk", in: "R-4x"},
		{name: "plus sign", in: "+5"},
		{name: "overflow", in: "R-99999999999999999999"},
		{name: "empty", in: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseID(tt.in)
			if tt.ok != (err == nil) || got != tt.want {
				t.Fatalf("ParseID(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
			if err != nil && ErrorCode(err) != EInvalid {
				t.Fatalf("error code %s, want invalid", ErrorCode(err))
			}
		})
	}
}
