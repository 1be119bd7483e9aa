package config

import (
	"reflect"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
)

func TestDemo(t *testing.T) {
	cfg := Demo()
	staging, _ := cfg.Environment("staging")
	production, _ := cfg.Environment("production")
	train, _ := cfg.Window("weekly-train")
	tests := []struct {
		name      string
		got, want any
	}{
		{name: "source", got: cfg.Source, want: "built-in demo configuration"},
		{name: "timezone", got: cfg.Timezone, want: "UTC"},
		{name: "users", got: cfg.Users, want: map[string]string{
			"alice": "U0ALICE", "bob": "U0BOB", "carol": "U0CAROL", "dave": "U0DAVE", "erin": "U0ERIN", "rita": "U0RM1"}},
		{name: "release managers", got: cfg.ReleaseManagers, want: []string{"U0RM1"}},
		{name: "distinct approver", got: cfg.RequireDistinctApprover, want: true},
		{name: "teams", got: cfg.Teams, want: []Team{
			{Name: "payments", Channel: "C0PAY", Leads: []string{"U0ALICE", "U0BOB"}, Approvals: 1},
			{Name: "risk", Channel: "C0RISK", Leads: []string{"U0CAROL", "U0ERIN"}, Approvals: 1},
		}},
		{name: "environment order", got: []string{cfg.Environments[0].Name, cfg.Environments[1].Name}, want: []string{"staging", "production"}},
		{name: "staging logs", got: []any{staging.Deploy.URL, staging.Deploy.TargetKind(), staging.Promote}, want: []any{"log:staging", KindLog, "auto"}},
		{name: "production logs, promotes itself", got: []any{production.Deploy.URL, production.Deploy.TargetKind(), production.Promote},
			want: []any{"log:production", KindLog, "auto"}},
		{name: "window", got: []any{train.Schedule, train.Duration}, want: []any{"0 14 * * TUE,THU", 2 * time.Hour}},
		{name: "no catalog: any service may be released", got: len(cfg.Services), want: 0},
		{name: "no freezes", got: len(cfg.Freezes), want: 0},
		{name: "reminders", got: cfg.Reminders.BeforeWindow, want: 2 * time.Hour},
		{name: "summary", got: []any{cfg.Summaries[0].Name, cfg.Summaries[0].Schedule, cfg.Summaries[0].Channel, cfg.Summaries[0].Users},
			want: []any{"weekly", "0 9 * * MON", "C0MGMT", []string{"U0RM1"}}},
		{name: "no warnings", got: len(cfg.WarningsAt(jan2026)), want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}
	t.Run("fresh copy each call", func(t *testing.T) {
		a, b := Demo(), Demo()
		a.Teams[0].Name = "changed"
		if b.Teams[0].Name != "payments" {
			t.Error("Demo() shares state between calls")
		}
	})
}

func deployOf(cfg *Config, service, env string) Deploy {
	d, _ := cfg.DeployOf(service, env)
	return d
}

// examples/catalog-demo.yaml is the demo with a catalog (README "Try it").
func TestCatalogDemo(t *testing.T) {
	cfg, err := Load("../examples/catalog-demo.yaml", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{name: "catalog", got: cfg.Policy().Services, want: map[string]releases.ServicePolicy{
			"payments-api": {Owners: []string{"payments", "risk"}}, "ledger": {Owners: []string{"risk"}},
			"checkout": {Owners: []string{"payments"}}}},
		{name: "a dependency chain for trains", got: cfg.Policy().DependsOn, want: map[string][]string{
			"payments-api": {"ledger"}, "checkout": {"payments-api"}}},
		{name: "ledger's own target in production, the environment's in staging", got: []string{
			deployOf(cfg, "ledger", "production").URL, deployOf(cfg, "ledger", "staging").URL, deployOf(cfg, "payments-api", "production").URL},
			want: []string{"log:ledger-production", "log:staging", "log:production"}},
		{name: "vars", got: cfg.Services[0].Vars["production"], want: map[string]string{"REPLICAS": "6"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}
}
