package releases_test

import (
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// A form shows a refused create's message beside the input it is about:
// each rule names its input.
func TestCreateRefusalNamesItsField(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.create(t, "v1")
		past := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
		for _, c := range []struct {
			name  string
			in    releases.CreateInput
			field string
		}{
			{name: "bad service", in: releases.CreateInput{Service: "pay ments", Version: "v2"}, field: releases.FieldService},
			{name: "bad version", in: releases.CreateInput{Service: "payments-api", Version: "-rf"}, field: releases.FieldVersion},
			{name: "open already", in: releases.CreateInput{Service: "payments-api", Version: "v1"}, field: releases.FieldVersion},
			{name: "unknown team", in: releases.CreateInput{Service: "payments-api", Version: "v2", Teams: []string{"nope"}}, field: releases.FieldTeams},
			{name: "skipped environment", in: releases.CreateInput{Service: "payments-api", Version: "v2", Environments: []string{"production"}}, field: releases.FieldEnvironments},
			{name: "unknown window", in: releases.CreateInput{Service: "payments-api", Version: "v2", Window: "nope"}, field: releases.FieldWindow},
			{name: "past start", in: releases.CreateInput{Service: "payments-api", Version: "v2", StartAt: past}, field: releases.FieldStartAt},
			{name: "invisible notes", in: releases.CreateInput{Service: "payments-api", Version: "v2", Notes: "a\u200bb"}, field: releases.FieldNotes},
		} {
			t.Run(c.name, func(t *testing.T) {
				_, err := e.svc.Create(ctx, dave, c.in)
				if releases.ErrorCode(err) != releases.EInvalid && releases.ErrorCode(err) != releases.EConflict {
					t.Fatalf("err = %v, want a refusal", err)
				}
				if got := releases.ErrorField(err); got != c.field {
					t.Errorf("field = %q, want %q (%v)", got, c.field, err)
				}
			})
		}
	})
}
