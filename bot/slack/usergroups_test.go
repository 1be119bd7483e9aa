package slack_test

import (
	"context"
	"strings"
	"testing"

	"github.com/releasebot/releasebot/bot/slack"
	"github.com/releasebot/releasebot/bot/slack/slacktest"
	"github.com/releasebot/releasebot/internal/testclock"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/storetest"
)

const (
	frank      = "U0FRANK"
	riskLeads  = "S0RISKLEADS"
	riskHandle = "@risk-leads"
)

// groupHarness is the harness with risk led by the user group @risk-leads
// (erin), read from the fake Slack; read says whether it is read before
// the test begins.
func groupHarness(t *testing.T, dbURL string, read bool) *harness {
	h := &harness{t: t, url: dbURL, clock: testclock.New(t0), cfg: testConfig(t), slack: slacktest.New(t),
		signer: slacktest.Signer{Secret: secret}}
	h.slack.Token = token
	h.slack.Now = h.clock.Now
	for i := range h.cfg.Teams {
		if h.cfg.Teams[i].Name == "risk" {
			h.cfg.Teams[i].Leads = []string{riskHandle}
		}
	}
	h.slack.SetUserGroup(riskLeads, "risk-leads", erin)
	h.slack.SetUserGroup("S0OTHER", "other", frank)
	h.groups = slack.NewUserGroups(slack.NewSlackChat(token, h.slack.URL+"/", nil), h.cfg.UserGroups(), nil)
	h.cfg.LeadGroups = h.groups
	if read {
		h.groups.Refresh(context.Background())
	}
	h.start()
	return h
}

func forEachGroupDB(t *testing.T, read bool, fn func(t *testing.T, h *harness)) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) { fn(t, groupHarness(t, db.URL(t), read)) })
	}
}

// lastEphemeral is the newest note shown to user alone.
func (h *harness) lastEphemeral(user string) string {
	var last string
	for _, c := range h.slack.Delivered(slacktest.PostEphemeral) {
		if c.User == user {
			last = c.Text
		}
	}
	return last
}

func (h *harness) auditDetails(id int64, action string) []string {
	var out []string
	for _, e := range h.audit(id) {
		if e.Action == action {
			out = append(out, e.Detail)
		}
	}
	return out
}

func TestGroupMemberSignsOffAndTheAuditNamesTheGroup(t *testing.T) {
	forEachGroupDB(t, true, func(t *testing.T, h *harness) {
		_, _, risk := h.create(dave, createText)
		if !strings.Contains(risk.Text, "Leads: @risk-leads.") {
			t.Errorf("risk's request names its leads as %q", risk.Text)
		}
		h.react(slacktest.Reaction{EventID: "Ev1", User: erin, Reaction: "white_check_mark", Channel: riskChan, TS: risk.PostedTS})
		if got := signoffs(h.release(1)); len(got) != 1 || got[0] != "risk:U0ERIN:approved" {
			t.Fatalf("sign-offs %v, want erin's for risk", got)
		}
		if got := h.auditDetails(1, releases.ActionSignedOff); len(got) != 1 || got[0] != "risk (1 of 1), approved as a member of @risk-leads" {
			t.Errorf("audit of the sign-off: %q", got)
		}
		h.flush()
		if replies := h.slack.Replies(h.last(relChan).PostedTS); len(replies) == 0 ||
			!strings.Contains(replies[len(replies)-1].Text, "<@U0ERIN> signed off for risk (1 of 1), approved as a member of @risk-leads") {
			t.Errorf("the thread does not say how erin counted: %v", replies)
		}
	})
}

func TestGroupMembershipChangesBetweenRequestAndReaction(t *testing.T) {
	forEachGroupDB(t, true, func(t *testing.T, h *harness) {
		_, _, risk := h.create(dave, createText)
		// An admin moves risk's lead from erin to frank after the request
		// went out; Slack says so.
		h.slack.SetUserGroup(riskLeads, "risk-leads", frank)
		reads := len(h.slack.Delivered(slacktest.UsergroupsUsersList))
		if w := h.send(slacktest.SubteamMembersChanged{EventID: "EvG1", SubteamID: riskLeads, Added: []string{frank},
			Removed: []string{erin}}.Request()); w.Code != 200 {
			t.Fatalf("subteam_members_changed: HTTP %d %s", w.Code, w.Body)
		}
		if got := len(h.slack.Delivered(slacktest.UsergroupsUsersList)); got != reads+1 {
			t.Errorf("the event led to %d reads of the group, want 1", got-reads)
		}
		h.react(slacktest.Reaction{EventID: "Ev1", User: erin, Reaction: "white_check_mark", Channel: riskChan, TS: risk.PostedTS})
		if got := signoffs(h.release(1)); len(got) != 0 {
			t.Fatalf("erin, no longer in @risk-leads, signed off: %v", got)
		}
		if note := h.lastEphemeral(erin); !strings.Contains(note, "Only risk's leads (@risk-leads) can sign off R-1 for risk.") {
			t.Errorf("erin was told %q", note)
		}
		h.react(slacktest.Reaction{EventID: "Ev2", User: frank, Reaction: "white_check_mark", Channel: riskChan, TS: risk.PostedTS})
		if got := signoffs(h.release(1)); len(got) != 1 || got[0] != "risk:U0FRANK:approved" {
			t.Errorf("sign-offs %v, want frank's", got)
		}
	})
}

func TestGroupThatCannotBeReadUsesItsLastKnownMembers(t *testing.T) {
	forEachGroupDB(t, true, func(t *testing.T, h *harness) {
		h.slack.RemoveScopes("usergroups:read")
		h.groups.Refresh(context.Background())
		if m := h.groups.Members(riskHandle); !m.Known || len(m.Users) != 1 || !strings.HasPrefix(m.Problem, "missing_scope") {
			t.Fatalf("after a failed read: %+v", m)
		}
		_, _, risk := h.create(dave, createText)
		h.react(slacktest.Reaction{EventID: "Ev1", User: erin, Reaction: "white_check_mark", Channel: riskChan, TS: risk.PostedTS})
		if got := signoffs(h.release(1)); len(got) != 1 {
			t.Fatalf("erin, last known in @risk-leads, did not count: %v", got)
		}
		want := "risk (1 of 1), approved as a member of @risk-leads (members as last known: the group could not be read again: " +
			"missing_scope: releasebot lacks usergroups:read; reinstall the app with it)"
		if got := h.auditDetails(1, releases.ActionSignedOff); len(got) != 1 || got[0] != want {
			t.Errorf("audit %q, want %q", got, want)
		}
		// A stranger is no member, known or not.
		h.react(slacktest.Reaction{EventID: "Ev2", User: frank, Reaction: "x", Channel: riskChan, TS: risk.PostedTS})
		if st := h.release(1).Status; st == releases.StatusRejected {
			t.Error("frank rejected for risk")
		}
	})
}

func TestGroupNeverReadCountsNobody(t *testing.T) {
	forEachGroupDB(t, false, func(t *testing.T, h *harness) {
		h.slack.RemoveScopes("usergroups:read")
		h.groups.Refresh(context.Background())
		_, _, risk := h.create(dave, createText)
		h.react(slacktest.Reaction{EventID: "Ev1", User: erin, Reaction: "white_check_mark", Channel: riskChan, TS: risk.PostedTS})
		if got := signoffs(h.release(1)); len(got) != 0 {
			t.Fatalf("with no members known, %v signed off", got)
		}
		want := "releasebot can't tell whether you may sign off R-1: it could not read who is in @risk-leads " +
			"(missing_scope: releasebot lacks usergroups:read; reinstall the app with it) and knows no earlier members. Nothing was done"
		if note := h.lastEphemeral(erin); !strings.Contains(note, want) {
			t.Errorf("erin was told %q\nwant %q", note, want)
		}
		// Once the scope is granted and the group read, erin counts.
		h.slack.GrantScopes("usergroups:read")
		h.groups.Refresh(context.Background())
		h.react(slacktest.Reaction{EventID: "Ev2", User: erin, Reaction: "white_check_mark", Channel: riskChan, TS: risk.PostedTS, Removed: true})
		h.react(slacktest.Reaction{EventID: "Ev3", User: erin, Reaction: "heavy_check_mark", Channel: riskChan, TS: risk.PostedTS})
		if got := signoffs(h.release(1)); len(got) != 1 {
			t.Errorf("after the group was read: %v", got)
		}
	})
}
