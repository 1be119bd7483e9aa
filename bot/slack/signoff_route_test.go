package slack_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/releasebot/releasebot/releases"
)

// The review's route around sign-off: one team's ✅ must not send a
// release straight to production past staging, and a differently
// capitalised service name is the same service.
func TestSlackCreateCannotRouteAroundSignOff(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		const rita = "U0RM1"
		r := h.command(dave, relChan, "create payments-api v6 --teams risk --envs production")
		if !strings.Contains(r.Text, "production comes after staging; --envs can stop early but can't skip staging.") {
			t.Fatalf("skipping staging: %q", r.Text)
		}
		r = h.command(dave, relChan, `create payments-api v6 --envs production --override "staging is down"`)
		if !strings.Contains(r.Text, "Only release managers can use --override on create") {
			t.Fatalf("override by an engineer: %q", r.Text)
		}
		if n := h.count(); n != 0 {
			t.Fatalf("refused creates opened %d releases", n)
		}

		card, _, _ := h.create(rita, `create Payments-API v6 --envs production --override "staging is down (INC-7)"`)
		rel := h.release(1)
		if rel.Service != "payments-api" || !slices.Equal(rel.Environments, []string{"production"}) {
			t.Fatalf("opened %s for %v", rel.Service, rel.Environments)
		}
		i := slices.IndexFunc(h.audit(1), func(e releases.AuditEvent) bool { return e.Action == releases.ActionEnvOverride })
		if i < 0 || !strings.Contains(h.audit(1)[i].Detail, "skips staging: staging is down (INC-7)") || h.audit(1)[i].Actor != rita {
			t.Fatalf("override not audited: %+v", h.audit(1))
		}
		if rel.OverrideBy != "" {
			t.Fatalf("a create override set windows and freezes aside too (OverrideBy %q)", rel.OverrideBy)
		}
		if replies := h.slack.Replies(card.PostedTS); len(replies) == 0 || !strings.Contains(replies[0].Text, "overrode the environment order: --envs production skips staging: staging is down (INC-7)") {
			t.Fatalf("thread: %v", replies)
		}
		if r := h.command(dave, relChan, "create PAYMENTS-API v6"); !strings.Contains(r.Text, "payments-api v6 already has an open release") {
			t.Fatalf("a second open release of the same service in other case: %q", r.Text)
		}
	})
}
