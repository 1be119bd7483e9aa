package config

import (
	"strings"
	"testing"

	"github.com/releasebot/releasebot/releases"
)

func onFailureYAML(value string) string {
	return `teams:
  - name: payments
    channel: C0PAY
    leads: [U0ALICE]
environments:
  - name: staging
    deploy: {url: "log:staging"}
    on_failure: ` + value + `
  - name: production
    deploy: {url: "log:production"}
`
}

// on_failure is halt (the default) or rollback, per environment, and
// reaches the lifecycle's policy; anything else is refused with its line.
func TestOnFailure(t *testing.T) {
	for _, tt := range []struct{ value, want, err string }{
		{value: "rollback", want: releases.OnFailureRollback},
		{value: "halt", want: releases.OnFailureHalt},
		{value: "retry", err: `test.yaml:8: environments[0].on_failure: must be halt or rollback, got "retry"`},
	} {
		t.Run(tt.value, func(t *testing.T) {
			cfg, err := Parse("test.yaml", []byte(onFailureYAML(tt.value)), env(nil))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Parse: %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			p := cfg.Policy()
			if p.Environments[0].OnFailure != tt.want || p.Environments[1].OnFailure != "" {
				t.Fatalf("policy environments %+v", p.Environments)
			}
		})
	}
}
