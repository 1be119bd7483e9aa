package releases

import (
	"reflect"
	"strings"
	"testing"
)

func TestPlanTrain(t *testing.T) {
	catalog := map[string][]string{
		"checkout":     {"payments-api", "cart"},
		"payments-api": {"ledger"},
		"cart":         {"ledger", "not-in-train"},
		"ledger":       nil,
		"search":       nil,
		"a":            {"b"},
		"b":            {"c"},
		"c":            {"a"},
		"self":         {"self"},
	}
	deps := func(s string) []string { return catalog[s] }
	tests := []struct {
		name     string
		services []string
		deps     func(string) []string
		levels   [][]string
		cycle    string // a refusal naming this
	}{
		{name: "one service", services: []string{"ledger"}, deps: deps, levels: [][]string{{"ledger"}}},
		{name: "chain, given in reverse", services: []string{"checkout", "payments-api", "ledger"}, deps: deps,
			levels: [][]string{{"ledger"}, {"payments-api"}, {"checkout"}}},
		{name: "parallel branches join", services: []string{"checkout", "cart", "payments-api", "ledger"}, deps: deps,
			levels: [][]string{{"ledger"}, {"cart", "payments-api"}, {"checkout"}}},
		{name: "independent services all at once, in the order given", services: []string{"search", "ledger"}, deps: deps,
			levels: [][]string{{"search", "ledger"}}},
		{name: "a dependency outside the train is ignored", services: []string{"cart", "search"}, deps: deps,
			levels: [][]string{{"cart", "search"}}},
		{name: "no catalog: all in parallel", services: []string{"checkout", "ledger"}, deps: nil,
			levels: [][]string{{"checkout", "ledger"}}},
		{name: "a depending on itself is no cycle", services: []string{"self"}, deps: deps, levels: [][]string{{"self"}}},
		{name: "cycle refused", services: []string{"search", "a", "b", "c"}, deps: deps, cycle: "a -> b -> c -> a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := PlanTrain(tt.services, tt.deps)
			if tt.cycle != "" {
				if err == nil || ErrorCode(err) != EInvalid || !strings.Contains(ErrorMessage(err), tt.cycle) {
					t.Fatalf("PlanTrain = %v, %v; want EInvalid naming %q", p.Levels, err, tt.cycle)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p.Levels, tt.levels) {
				t.Fatalf("levels %v, want %v", p.Levels, tt.levels)
			}
		})
	}
}

func TestTrainPlanReady(t *testing.T) {
	p, err := PlanTrain([]string{"checkout", "cart", "payments-api", "ledger"}, func(s string) []string {
		return map[string][]string{"checkout": {"payments-api", "cart"}, "payments-api": {"ledger"}, "cart": {"ledger"}}[s]
	})
	if err != nil {
		t.Fatal(err)
	}
	set := func(names ...string) func(string) bool {
		return func(s string) bool {
			for _, n := range names {
				if n == s {
					return true
				}
			}
			return false
		}
	}
	tests := []struct {
		name               string
		started, succeeded []string
		want               []string
	}{
		{name: "nothing started: the root", want: []string{"ledger"}},
		{name: "root in flight: nothing more", started: []string{"ledger"}},
		{name: "root done: both branches at once", started: []string{"ledger"}, succeeded: []string{"ledger"},
			want: []string{"cart", "payments-api"}},
		{name: "one branch done: the join still waits", started: []string{"ledger", "cart", "payments-api"},
			succeeded: []string{"ledger", "cart"}},
		{name: "both done: the join", started: []string{"ledger", "cart", "payments-api"},
			succeeded: []string{"ledger", "cart", "payments-api"}, want: []string{"checkout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Ready(set(tt.started...), set(tt.succeeded...)); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Ready = %v, want %v", got, tt.want)
			}
		})
	}
}
