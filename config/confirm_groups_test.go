package config

import (
	"reflect"
	"strings"
	"testing"
)

const twoEnvs = `
teams:
  - name: payments
    channel: C0PAY
    leads: [U0ALICE]
environments:
  - name: staging
    deploy: {url: "log:staging"}
  - name: production
    deploy: {url: "log:production"}
`

func TestParseConfirm(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []bool // Confirm of each environment
	}{
		{name: "default: the last environment only", text: twoEnvs, want: []bool{false, true}},
		{name: "staging asks too", text: strings.Replace(twoEnvs, `{url: "log:staging"}`, "{url: \"log:staging\"}\n    confirm: true", 1),
			want: []bool{true, true}},
		{name: "production turned off", text: strings.Replace(twoEnvs, `{url: "log:production"}`, "{url: \"log:production\"}\n    confirm: false", 1),
			want: []bool{false, false}},
		{name: "any case", text: strings.Replace(twoEnvs, `{url: "log:production"}`, "{url: \"log:production\"}\n    confirm: FALSE", 1),
			want: []bool{false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustParse(t, tt.text, nil)
			var got []bool
			for _, e := range cfg.Environments {
				got = append(got, e.Confirm)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("confirm = %v, want %v", got, tt.want)
			}
			p := cfg.Policy()
			for i, e := range cfg.Environments {
				if p.NeedsConfirm(e.Name) != tt.want[i] {
					t.Errorf("policy: %s NeedsConfirm = %v, want %v", e.Name, p.NeedsConfirm(e.Name), tt.want[i])
				}
			}
		})
	}
}

func TestParseLeadForms(t *testing.T) {
	cfg := mustParse(t, strings.Replace(twoEnvs, "leads: [U0ALICE]", `leads: [U0ALICE, "@payments-leads", S0PAYLEADS, W0BOB]`+"\n    approvals: 3", 1), nil)
	want := []string{"U0ALICE", "@payments-leads", "S0PAYLEADS", "W0BOB"}
	if got := cfg.Teams[0].Leads; !reflect.DeepEqual(got, want) {
		t.Errorf("leads = %v, want %v", got, want)
	}
	// A group's size is Slack's to tell: more approvals than listed leads
	// is no error when a group is among them.
	if cfg.Teams[0].Approvals != 3 {
		t.Errorf("approvals = %d, want 3", cfg.Teams[0].Approvals)
	}
}

func TestParseLeadProblems(t *testing.T) {
	tests := []struct {
		name, leads, want string
	}{
		{name: "handle without @", leads: `[payments-leads]`,
			want: `test.yaml:5: teams[0].leads[0]: "payments-leads" is not a Slack user id; for the user group with that handle write "@payments-leads" (quoted)`},
		{name: "bad handle", leads: `["@Payments Leads"]`,
			want: `test.yaml:5: teams[0].leads[0]: "@Payments Leads" is not a user group handle (@ then lowercase letters, digits, '.', '-' and '_', e.g. "@payments-leads")`},
		{name: "neither", leads: `["s0pay!"]`,
			want: `test.yaml:5: teams[0].leads[0]: "s0pay!" is neither a Slack user id (U… or W…, e.g. U024BE7LH) nor a user group ("@handle" or S… id, e.g. S0PAYLEADS)`},
		{name: "group twice", leads: `["@leads", "@leads"]`,
			want: `test.yaml:5: teams[0].leads[1]: @leads is listed twice (first on line 5)`},
		{name: "approvals above user ids alone still checked", leads: "[U0ALICE]\n    approvals: 2",
			want: `test.yaml:6: teams[0].approvals: 2 sign-offs needed but the team has only 1 lead(s)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("test.yaml", []byte(strings.Replace(twoEnvs, "leads: [U0ALICE]", "leads: "+tt.leads, 1)), nil)
			if err == nil || !strings.Contains(err.Error()+"\n", tt.want+"\n") {
				t.Errorf("want the line\n  %s\ngot\n%v", tt.want, err)
			}
		})
	}
	_, err := Parse("test.yaml", []byte(strings.Replace(twoEnvs, `{url: "log:production"}`, "{url: \"log:production\"}\n    confirm: sometimes", 1)), nil)
	if want := `test.yaml:11: environments[1].confirm: expected true or false, got "sometimes"`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("want %s, got %v", want, err)
	}
}
