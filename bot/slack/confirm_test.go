package slack_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/releasebot/releasebot/bot/slack/slacktest"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/storetest"
)

// finish reports the in-flight deployment of release id as status, as its
// deployer would once it was sent, and sends what that says in chat.
func (h *harness) finish(id int64, status releases.DeploymentStatus) *releases.Release {
	h.t.Helper()
	ctx := context.Background()
	d, ok := h.release(id).InFlight()
	if !ok {
		h.t.Fatalf("R-%d has no deployment in flight", id)
	}
	if err := storetest.MarkSent(ctx, h.store, d.ID); err != nil {
		h.t.Fatal(err)
	}
	r, err := h.svc.ReportDeployment(ctx, "deployer", d.ID, releases.StatusReport{Status: status})
	if err != nil {
		h.t.Fatalf("report D-%d %s: %v", d.ID, status, err)
	}
	h.flush()
	return r
}

// signedOff opens a release of version with no window, as dave, and signs
// it off by both teams: its staging deployment starts.
func (h *harness) signedOff(version string) int64 {
	h.t.Helper()
	h.command(dave, relChan, "create payments-api "+version)
	id := int64(h.count())
	for _, so := range []struct{ user, team string }{{alice, "payments"}, {carol, "risk"}} {
		if _, err := h.svc.SignOff(context.Background(), so.user, id, so.team); err != nil {
			h.t.Fatal(err)
		}
	}
	h.flush()
	return id
}

// shipped takes version through staging and production (promoted with
// --yes); its release is deployed.
func (h *harness) shipped(version string) int64 {
	h.t.Helper()
	id := h.signedOff(version)
	h.finish(id, releases.DeploymentSucceeded)
	if r := h.command(dave, relChan, "deploy "+releases.FormatID(id)+" --env production --yes"); !strings.Contains(r.Text, "on its way") {
		h.t.Fatalf("deploy --yes: %q", r.Text)
	}
	if r := h.finish(id, releases.DeploymentSucceeded); r.Status != releases.StatusDeployed {
		h.t.Fatalf("R-%d is %s, want deployed", id, r.Status)
	}
	return id
}

// cardOf is release id's card as it stands now.
func (h *harness) cardOf(id int64) slacktest.Call {
	h.t.Helper()
	for _, p := range h.slack.Posts(relChan) {
		if strings.Contains(p.Text, releases.FormatID(id)+" · ") {
			m, _ := h.slack.Message(relChan, p.PostedTS)
			return slacktest.Call{Channel: relChan, PostedTS: p.PostedTS, Text: m.Text, Blocks: m.Blocks}
		}
	}
	h.t.Fatalf("no card of R-%d", id)
	return slacktest.Call{}
}

// kitButtons reads Block Kit as slack-go's types: the buttons of its
// action blocks, by action id.
func kitButtons(t *testing.T, raw json.RawMessage) map[string]*slackgo.ButtonBlockElement {
	t.Helper()
	var blocks slackgo.Blocks
	if err := json.Unmarshal(raw, &blocks); err != nil {
		t.Fatalf("blocks are not Block Kit: %v\n%s", err, raw)
	}
	out := map[string]*slackgo.ButtonBlockElement{}
	for _, b := range blocks.BlockSet {
		a, ok := b.(*slackgo.ActionBlock)
		if !ok {
			continue
		}
		for _, e := range a.Elements.ElementSet {
			if btn, ok := e.(*slackgo.ButtonBlockElement); ok {
				out[btn.ActionID] = btn
			}
		}
	}
	return out
}

// dialog is a confirm object's texts and style.
type dialog struct{ Title, Text, Yes, No, Style string }

func dialogOf(c *slackgo.ConfirmationBlockObject) *dialog {
	if c == nil {
		return nil
	}
	d := &dialog{Title: c.Title.Text, Text: c.Text.Text, Yes: c.Confirm.Text, Style: string(c.Style)}
	if c.Deny != nil {
		d.No = c.Deny.Text
	}
	for _, o := range []*slackgo.TextBlockObject{c.Title, c.Text, c.Confirm, c.Deny} {
		if o != nil && o.Type != slackgo.PlainTextType {
			d.Style += " (not plain_text!)"
		}
	}
	return d
}

func TestCardButtonsFitTheStateAndAskFirst(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		h.shipped("v2.3.9")
		id := h.signedOff("v2.4.0")
		type want map[string]*dialog
		check := func(step string, got map[string]*slackgo.ButtonBlockElement, want want) {
			t.Helper()
			if len(got) != len(want) {
				t.Errorf("%s: buttons %v, want %v", step, keys(got), keys(want))
			}
			for action, w := range want {
				b, ok := got[action]
				if !ok {
					t.Errorf("%s: no %s button", step, action)
					continue
				}
				d := dialogOf(b.Confirm)
				switch {
				case w == nil && d != nil:
					t.Errorf("%s: %s asks %+v, want no dialog", step, action, *d)
				case w != nil && d == nil:
					t.Errorf("%s: %s has no confirm dialog, want %+v", step, action, *w)
				case w != nil && *d != *w:
					t.Errorf("%s: %s dialog\n got %+v\nwant %+v", step, action, *d, *w)
				}
			}
		}
		// Deploying to staging: nothing to press.
		check("deploying", kitButtons(t, h.cardOf(id).Blocks), want{})

		h.finish(id, releases.DeploymentSucceeded)
		check("awaiting promotion", kitButtons(t, h.cardOf(id).Blocks), want{
			"promote": {Title: "Promote to production?", Text: "Deploy payments-api v2.4.0 to production?", Yes: "Promote", No: "Cancel"},
		})

		h.press(dave, h.cardOf(id), "promote")
		h.flush()
		h.finish(id, releases.DeploymentFailed)
		failed := want{
			"retry": {Title: "Retry production?", Text: "Deploy payments-api v2.4.0 to production again?", Yes: "Retry", No: "Cancel"},
			"rollback": {Title: "Roll back production?", Text: "Roll back payments-api in production from v2.4.0 to v2.3.9?",
				Yes: "Roll back", No: "Cancel", Style: "danger"},
		}
		check("failed", kitButtons(t, h.cardOf(id).Blocks), failed)
		// Retry by someone who may not: the command's refusal, and nothing
		// starts.
		before := len(h.release(id).Deployments)
		h.press("U0NOBODY", h.cardOf(id), "retry")
		if note := h.lastNote(); !strings.Contains(note, "Only R-2's creator, leads of payments, risk and release managers can retry it.") {
			t.Errorf("a stranger's Retry answered %q, want the refusal", note)
		}
		if n := len(h.release(id).Deployments); n != before {
			t.Errorf("a stranger's Retry started %d deployments", n-before)
		}
		// The Retry button does what the command does: production again.
		h.press(dave, h.cardOf(id), "retry")
		r := h.release(id)
		if d, ok := r.InFlight(); r.Status != releases.StatusDeploying || !ok || d.Environment != "production" || d.Version != "v2.4.0" {
			t.Errorf("after Retry R-2 is %s with %+v in flight, want production deploying v2.4.0 again", r.Status, d)
		}
		h.flush()
		check("retrying", kitButtons(t, h.cardOf(id).Blocks), want{})
		h.finish(id, releases.DeploymentFailed)
		check("failed again", kitButtons(t, h.cardOf(id).Blocks), failed)
		// The Roll back button does what the command does.
		h.press(dave, h.cardOf(id), "rollback")
		r = h.release(id)
		if d := r.Deployments[len(r.Deployments)-1]; d.Type != releases.TypeRollback || d.Environment != "production" || d.Version != "v2.3.9" {
			t.Errorf("after Roll back: newest deployment %+v, want a rollback of production to v2.3.9", d)
		}

		// A release that can still be cancelled has Cancel, which asks.
		h.command(dave, relChan, "create ledger v1.0.0")
		h.flush()
		check("awaiting sign-off", kitButtons(t, h.cardOf(int64(h.count())).Blocks), want{
			"cancel": {Title: "Cancel R-3?", Text: "Cancel ledger v1.0.0? It will not deploy, and its sign-offs close.",
				Yes: "Cancel release", No: "Keep it", Style: "danger"},
		})
		// Cancel by someone who may not: the command's refusal.
		h.press("U0NOBODY", h.cardOf(3), "cancel")
		if note := h.lastNote(); !strings.Contains(note, "Only R-3's creator, leads of payments, risk and release managers can cancel it.") {
			t.Errorf("a stranger's Cancel answered %q, want the refusal", note)
		}
		h.press(dave, h.cardOf(3), "cancel")
		if st := h.release(3).Status; st != releases.StatusCancelled {
			t.Errorf("after dave's Cancel R-3 is %s", st)
		}
	})
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// confirmOf is the Confirm button of a typed command's answer.
func confirmOf(t *testing.T, r reply) slacktest.Call {
	t.Helper()
	b := kitButtons(t, r.Blocks)["confirm"]
	if b == nil {
		t.Fatalf("the answer has no Confirm button: %q", r.Text)
	}
	return slacktest.Call{Channel: relChan, PostedTS: "1764583200.000001", Blocks: r.Blocks}
}

// lastNote is the newest response_url answer.
func (h *harness) lastNote() string {
	notes := h.slack.Delivered(slacktest.ResponseURL)
	if len(notes) == 0 {
		return ""
	}
	return notes[len(notes)-1].Text
}

func TestTypedRollbackWaitsForItsConfirm(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		h.shipped("v2.3.9")
		id := h.shipped("v2.4.0")
		rid := releases.FormatID(id)
		deployments := func() int { return len(h.release(id).Deployments) }
		before := deployments()

		ask := h.command(dave, relChan, "rollback "+rid+` --env production "error rate doubled"`)
		if ask.ResponseType != "ephemeral" || !strings.Contains(ask.Text, `Roll back payments-api in production from v2.4.0 to v2.3.9? Reason: "error rate doubled".`) {
			t.Errorf("rollback answered %q", ask.Text)
		}
		btn := kitButtons(t, ask.Blocks)["confirm"]
		if btn == nil || btn.Text.Text != "Roll back" || btn.Style != slackgo.StyleDanger {
			t.Fatalf("Confirm button %+v", btn)
		}
		if deployments() != before {
			t.Fatal("the typed rollback acted before it was confirmed")
		}
		confirm := confirmOf(t, ask)

		// Someone else pressing it (alice leads payments and could roll
		// back herself) is refused.
		h.press(alice, confirm, "confirm")
		if note := h.lastNote(); !strings.Contains(note, "Only <@U0DAVE>, who typed this command, can confirm it.") {
			t.Errorf("alice's press answered %q", note)
		}
		if deployments() != before {
			t.Fatal("another user's press rolled back")
		}

		// A forged value: the same command, as alice, unsigned.
		w := h.send(slacktest.BlockAction{UserID: alice, Channel: relChan, ActionID: "confirm",
			Value: strings.Replace(buttonValue(t, confirm, "confirm"), `"u":"U0DAVE"`, `"u":"U0ALICE"`, 1), ResponseURL: h.slack.NewResponseURL()}.Request())
		if w.Code != 200 || !strings.Contains(h.lastNote(), "was not made by this releasebot") || deployments() != before {
			t.Errorf("forged confirm: HTTP %d, note %q, deployments %d", w.Code, h.lastNote(), deployments())
		}

		// dave confirms: it happens, with the command's answer.
		h.press(dave, confirm, "confirm")
		if note := h.lastNote(); !strings.HasPrefix(note, "Rolling back "+rid+": payments-api on production goes from") || !strings.Contains(note, "follow it in its thread.") {
			t.Errorf("dave's confirm answered %q", note)
		}
		r := h.release(id)
		if len(r.Deployments) != before+1 || r.Deployments[before].Type != releases.TypeRollback || r.Reason != "error rate doubled" {
			t.Fatalf("after the confirm: deployments %+v, reason %q", r.Deployments, r.Reason)
		}

		// Pressed again, the release has moved on: refused with a note.
		h.press(dave, confirm, "confirm")
		if note := h.lastNote(); !strings.Contains(note, rid+" has moved on since you were asked") {
			t.Errorf("a second press answered %q", note)
		}
		if len(h.release(id).Deployments) != before+1 {
			t.Error("a second press rolled back again")
		}
	})
}

func TestTypedConfirmationExpires(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		h.shipped("v2.3.9")
		id := h.shipped("v2.4.0")
		before := len(h.release(id).Deployments)
		confirm := confirmOf(t, h.command(dave, relChan, "rollback "+releases.FormatID(id)))
		h.clock.Advance(16 * time.Minute)
		h.press(dave, confirm, "confirm")
		if note := h.lastNote(); !strings.Contains(note, "This confirmation has expired.") {
			t.Errorf("a late press answered %q", note)
		}
		if len(h.release(id).Deployments) != before {
			t.Error("an expired confirmation rolled back")
		}
	})
}

func TestTypedCommandsThatAskAndThatDoNot(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		h.shipped("v2.3.9")
		id := h.signedOff("v2.4.0")
		rid := releases.FormatID(id)
		h.finish(id, releases.DeploymentSucceeded) // awaiting promotion to production

		for _, text := range []string{"deploy " + rid + " --env production", "deploy " + rid} {
			ask := h.command(dave, relChan, text)
			if !strings.Contains(ask.Text, "Deploy payments-api v2.4.0 to production?") || kitButtons(t, ask.Blocks)["confirm"] == nil {
				t.Errorf("%s answered %q", text, ask.Text)
			}
		}
		ask := h.command("U0RM1", relChan, "deploy "+rid+` --override "hotfix for the outage"`)
		if !strings.Contains(ask.Text, `(override: "hotfix for the outage")`) || kitButtons(t, ask.Blocks)["confirm"] == nil {
			t.Errorf("--override answered %q", ask.Text)
		}
		if st := h.release(id).Status; st != releases.StatusAwaitingPromotion {
			t.Fatalf("asking changed the release: %s", st)
		}
		// A refusal needs no confirmation: it is the answer.
		if r := h.command(bob, relChan, "deploy "+rid+" --override now"); !strings.Contains(r.Text, "Only release managers") {
			t.Errorf("bob's override answered %q", r.Text)
		}
		// --yes acts at once.
		if r := h.command(dave, relChan, "deploy "+rid+" --yes"); !strings.HasPrefix(r.Text, rid+" is on its way") {
			t.Errorf("deploy --yes answered %q", r.Text)
		}
		if d, ok := h.release(id).InFlight(); !ok || d.Environment != "production" {
			t.Errorf("deploy --yes started nothing in production")
		}

		// Staging needs no confirmation: a ready release deploys at once.
		next := h.signedOff("v2.5.0")
		if d, ok := h.release(next).InFlight(); !ok || d.Environment != "staging" {
			t.Fatalf("R-%d did not start in staging", next)
		}
	})
}
