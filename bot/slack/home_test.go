package slack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/releasebot/releasebot/bot"
	"github.com/releasebot/releasebot/bot/slack/slacktest"
	"github.com/releasebot/releasebot/releases/storetest"
)

// openHome delivers app_home_opened for user and returns the calls it made.
func (h *harness) openHome(user, event string) []slacktest.Call {
	h.t.Helper()
	before := len(h.slack.Calls())
	if w := h.send(slacktest.AppHomeOpened{EventID: event, User: user}.Request()); w.Code != http.StatusOK {
		h.t.Fatalf("app_home_opened: HTTP %d %s", w.Code, w.Body)
	}
	return h.slack.Calls()[before:]
}

// home returns user's Home as last published, checked against Slack's
// limits.
func (h *harness) home(user string) string {
	h.t.Helper()
	raw, ok := h.slack.Home(user)
	if !ok {
		h.t.Fatalf("no Home published for %s", user)
	}
	checkView(h.t, raw, slackgo.VTHomeTab)
	return string(raw)
}

// refreshHomes lets the Homes' interval pass and publishes what is due.
func (h *harness) refreshHomes() {
	h.clock.Advance(bot.DefaultHomeInterval)
	h.homes.RunOnce(context.Background())
}

func TestHomeTab(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		calls := h.openHome(alice, "Ev1")
		if len(calls) != 1 || calls[0].Method != slacktest.ViewsPublish || calls[0].User != alice || !calls[0].OK() {
			t.Fatalf("opening the Home tab made %v, want one views.publish for alice", calls)
		}
		if home := h.home(alice); !strings.Contains(home, "Nothing waits for your sign-off.") || !strings.Contains(home, `"action_id":"new_release"`) {
			t.Fatalf("alice's first Home: %s", home)
		}
		// The Messages tab, and another workspace, publish nothing.
		if calls := h.send(slacktest.AppHomeOpened{EventID: "Ev2", User: alice, Tab: "messages"}.Request()); calls.Code != http.StatusOK {
			t.Fatal(calls.Code)
		}
		if w := h.send(slacktest.AppHomeOpened{EventID: "Ev3", User: bob, TeamID: "T0OTHER"}.Request()); w.Code != http.StatusOK {
			t.Fatal(w.Code)
		}
		if n := len(h.slack.Delivered(slacktest.ViewsPublish)); n != 1 {
			t.Fatalf("%d publishes after the Messages tab and another workspace, want 1", n)
		}

		// A request appears, with the request's own buttons.
		h.create(dave, "create payments-api v2.4.0")
		h.refreshHomes()
		home := h.home(alice)
		if !strings.Contains(home, "R-1 · payments-api v2.4.0* needs payments's sign-off") {
			t.Fatalf("alice's Home after the create: %s", home)
		}
		var approve string
		for _, b := range buttons(t, homeBlocks(t, home)) {
			if b.ActionID == "approve" {
				approve = b.Value
			}
		}
		if approve != "1|payments" {
			t.Fatalf("the Home's approve button carries %q", approve)
		}

		// Approving on the Home signs off as the request's button does; the
		// request message and the Home follow.
		if w := h.send(slacktest.HomeAction{UserID: alice, ActionID: "approve", Value: approve}.Request()); w.Code != http.StatusOK {
			t.Fatalf("approve on the Home: HTTP %d", w.Code)
		}
		if got := signoffs(h.release(1)); strings.Join(got, " ") != "payments:U0ALICE:approved" {
			t.Fatalf("sign-offs after the Home's approve: %v", got)
		}
		h.flush()
		h.refreshHomes()
		if home := h.home(alice); !strings.Contains(home, "Nothing waits for your sign-off.") {
			t.Errorf("alice's Home after approving: %s", home)
		}
		if msg, _ := h.slack.Message(payChan, h.last(payChan).PostedTS); !strings.Contains(msg.Text, "Signed off by <@U0ALICE>") {
			t.Errorf("the request after the Home's approve: %q", msg.Text)
		}
	})
}

// homeBlocks returns a view's blocks.
func homeBlocks(t *testing.T, view string) json.RawMessage {
	var v struct{ Blocks json.RawMessage }
	if err := json.Unmarshal([]byte(view), &v); err != nil {
		t.Fatal(err)
	}
	return v.Blocks
}

// checkView decodes a view with slack-go's types, encodes it again and
// wants the same JSON, within the limits Slack documents.
func checkView(t testing.TB, raw json.RawMessage, typ slackgo.ViewType) {
	t.Helper()
	var v slackgo.View
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("view does not decode as slack-go's View: %v", err)
	}
	if v.Type != typ {
		t.Fatalf("view type %q, want %q", v.Type, typ)
	}
	var again json.RawMessage
	switch typ {
	case slackgo.VTHomeTab:
		again, _ = json.Marshal(slackgo.HomeTabViewRequest{Type: v.Type, Blocks: v.Blocks, PrivateMetadata: v.PrivateMetadata,
			CallbackID: v.CallbackID, ExternalID: v.ExternalID})
	default:
		again, _ = json.Marshal(slackgo.ModalViewRequest{Type: v.Type, Title: v.Title, Blocks: v.Blocks, Close: v.Close, Submit: v.Submit,
			PrivateMetadata: v.PrivateMetadata, CallbackID: v.CallbackID, ClearOnClose: v.ClearOnClose, NotifyOnClose: v.NotifyOnClose,
			ExternalID: v.ExternalID})
		for what, text := range map[string]*slackgo.TextBlockObject{"title": v.Title, "submit": v.Submit, "close": v.Close} {
			if text == nil || text.Type != slackgo.PlainTextType || len([]rune(text.Text)) > 24 {
				t.Errorf("modal %s %+v: want plain_text of at most 24 characters", what, text)
			}
		}
	}
	var a, b any
	_ = json.Unmarshal(raw, &a)
	_ = json.Unmarshal(again, &b)
	if ja, jb := mustMarshal(t, a), mustMarshal(t, b); ja != jb {
		t.Errorf("view changes through slack-go's types:\nsent  %s\nagain %s", ja, jb)
	}
	if n := len(v.Blocks.BlockSet); n == 0 || n > 100 {
		t.Errorf("view has %d blocks; Slack takes 1 to 100", n)
	}
	ids := map[string]bool{}
	for _, blk := range v.Blocks.BlockSet {
		if id := blk.ID(); id != "" {
			if ids[id] || len(id) > 255 {
				t.Errorf("block id %q repeated or too long", id)
			}
			ids[id] = true
		}
		switch b := blk.(type) {
		case *slackgo.SectionBlock:
			if b.Text != nil && len([]rune(b.Text.Text)) > 3000 {
				t.Errorf("section text of %d characters; Slack takes 3000", len([]rune(b.Text.Text)))
			}
		case *slackgo.HeaderBlock:
			if len([]rune(b.Text.Text)) > 150 {
				t.Errorf("header of %d characters; Slack takes 150", len([]rune(b.Text.Text)))
			}
		case *slackgo.ActionBlock:
			if n := len(b.Elements.ElementSet); n > 25 {
				t.Errorf("actions block of %d elements; Slack takes 25", n)
			}
		case *slackgo.InputBlock:
			if b.Label == nil || len([]rune(b.Label.Text)) > 2000 {
				t.Errorf("input %s label %+v", b.BlockID, b.Label)
			}
			switch el := b.Element.(type) {
			case *slackgo.SelectBlockElement:
				if len(el.Options) == 0 || len(el.Options) > 100 {
					t.Errorf("select %s has %d options; Slack takes 1 to 100", b.BlockID, len(el.Options))
				}
			case *slackgo.MultiSelectBlockElement:
				if len(el.Options) == 0 || len(el.Options) > 100 {
					t.Errorf("multi select %s has %d options; Slack takes 1 to 100", b.BlockID, len(el.Options))
				}
			}
		case *slackgo.UnknownBlock:
			t.Errorf("block of unknown type %q", b.Type)
		}
	}
}

func mustMarshal(t testing.TB, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A Home with more than fits is cut to what Slack takes, with a count of
// the rest.
func TestHomeFitsSlacksLimits(t *testing.T) {
	h := newHarness(t, storetest.Databases(t)[0].URL(t))
	for i := range 40 {
		if i == 20 {
			h.clock.Advance(time.Hour) // past the create quota
		}
		if r := h.command(dave, relChan, "create payments-api v1."+strings.Repeat("9", i+1)+` --notes "`+strings.Repeat("long notes ", 180)+`"`); !strings.HasPrefix(r.Text, "Opened") {
			t.Fatal(r.Text)
		}
	}
	h.openHome(alice, "Ev1")
	h.openHome(dave, "Ev2")
	if home := h.home(alice); !strings.Contains(home, "… and 25 more") {
		t.Errorf("alice's Home does not count what it leaves out")
	}
	if home := h.home(dave); !strings.Contains(home, "… and 25 more") {
		t.Errorf("dave's Home does not count what it leaves out")
	}
}

// openForm types `/release` with no arguments in channel and returns the
// modal it opened.
func (h *harness) openForm(user, channel string) slacktest.Call {
	h.t.Helper()
	w := h.send(slacktest.SlashCommand{UserID: user, UserName: strings.ToLower(user), ChannelID: channel, ChannelName: "releases",
		ResponseURL: h.slack.NewResponseURL()}.Request())
	if w.Code != http.StatusOK || w.Body.Len() != 0 {
		h.t.Fatalf("/release: HTTP %d %q, want an empty 200", w.Code, w.Body)
	}
	opened := h.slack.Delivered(slacktest.ViewsOpen)
	if len(opened) == 0 {
		h.t.Fatalf("/release opened no form; calls: %v", h.slack.Calls())
	}
	checkView(h.t, opened[len(opened)-1].Body, slackgo.VTModal)
	return opened[len(opened)-1]
}

// submit submits the form as user with values and returns the HTTP answer.
func (h *harness) submit(user string, form slacktest.Call, values map[string][]string) (int, string) {
	h.t.Helper()
	w := h.send(slacktest.ViewSubmission{UserID: user, View: form.Body, Values: values}.Request())
	return w.Code, w.Body.String()
}

func TestCreateForm(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		form := h.openForm(dave, relChan)
		if got := form.Form.Get("trigger_id"); got != "" {
			t.Errorf("views.open sent as a form: %q", got)
		}
		var v slackgo.View
		_ = json.Unmarshal(form.Body, &v)
		if v.PrivateMetadata != relChan || v.CallbackID != bot.FormCreate {
			t.Fatalf("form metadata %q, callback %q", v.PrivateMetadata, v.CallbackID)
		}
		var inputs []string
		for _, b := range v.Blocks.BlockSet {
			if in, ok := b.(*slackgo.InputBlock); ok {
				inputs = append(inputs, in.BlockID+":"+string(in.Element.ElementType()))
			}
		}
		want := "service:plain_text_input version:plain_text_input teams:multi_static_select environments:multi_static_select window:static_select at:plain_text_input notes:plain_text_input"
		if strings.Join(inputs, " ") != want {
			t.Errorf("inputs:\n got %s\nwant %s", strings.Join(inputs, " "), want)
		}

		for _, c := range []struct {
			name   string
			values map[string][]string
			field  string
			says   string
		}{
			{name: "bad version", values: map[string][]string{"service": {"payments-api"}, "version": {"-rf"}}, field: "version", says: "is not a version"},
			{name: "bad service", values: map[string][]string{"service": {"pay ments"}, "version": {"v1"}}, field: "service", says: "is not a service name"},
			{name: "skipped environment", values: map[string][]string{"service": {"payments-api"}, "version": {"v1"}, "environments": {"production"}},
				field: "environments", says: "can't skip staging"},
			{name: "window and time", values: map[string][]string{"service": {"payments-api"}, "version": {"v1"}, "window": {"weekly-train"}, "at": {"2026-12-03 14:00"}},
				field: "window", says: "either a window or a start time"},
			{name: "unreadable time", values: map[string][]string{"service": {"payments-api"}, "version": {"v1"}, "at": {"tomorrow"}},
				field: "at", says: "is not a time I understand"},
			{name: "past time", values: map[string][]string{"service": {"payments-api"}, "version": {"v1"}, "at": {"2026-11-30 14:00"}},
				field: "at", says: "has passed"},
		} {
			t.Run(c.name, func(t *testing.T) {
				code, body := h.submit(dave, form, c.values)
				var answer struct {
					ResponseAction string            `json:"response_action"`
					Errors         map[string]string `json:"errors"`
				}
				if err := json.Unmarshal([]byte(body), &answer); err != nil || code != http.StatusOK {
					t.Fatalf("HTTP %d %q", code, body)
				}
				if answer.ResponseAction != "errors" || len(answer.Errors) != 1 || !strings.Contains(answer.Errors[c.field], c.says) {
					t.Errorf("answer %+v, want an error on %s saying %q", answer, c.field, c.says)
				}
			})
		}
		if n := h.count(); n != 0 {
			t.Fatalf("%d releases opened by refused forms", n)
		}

		// A good one opens the release where the command was typed, as a
		// typed create does, and closes the form.
		code, body := h.submit(dave, form, map[string][]string{"service": {"payments-api"}, "version": {"v2.4.0"},
			"environments": {"staging"}, "window": {"weekly-train"}, "notes": {"fixes & <things>"}})
		if code != http.StatusOK || body != "" {
			t.Fatalf("good submission: HTTP %d %q, want an empty 200 (the form closes)", code, body)
		}
		r := h.release(1)
		if r.Origin != relChan || r.Window != "weekly-train" || strings.Join(r.Environments, ",") != "staging" || r.Notes != "fixes & <things>" || r.CreatedBy != dave {
			t.Fatalf("release from the form: %+v", r)
		}
		note := h.slack.Delivered(slacktest.PostEphemeral)
		if len(note) != 1 || note[0].Channel != relChan || note[0].User != dave || !strings.HasPrefix(note[0].Text, "Opened R-1") {
			t.Errorf("the form's confirmation: %v", note)
		}
		h.flush()
		if card := h.last(relChan); !strings.Contains(card.Text, "R-1 · payments-api v2.4.0") {
			t.Errorf("card: %q", card.Text)
		}
		if req := h.last(payChan); !strings.Contains(req.Text, "Sign-off needed from payments") {
			t.Errorf("request: %q", req.Text)
		}
	})
}

// The Home's New release button opens the form; the release opens in the
// user's messages with releasebot.
func TestCreateFormFromHome(t *testing.T) {
	h := newHarness(t, storetest.Databases(t)[0].URL(t))
	if w := h.send(slacktest.HomeAction{UserID: dave, ActionID: bot.ActionNewRelease, Value: "create"}.Request()); w.Code != http.StatusOK {
		t.Fatal(w.Code)
	}
	opened := h.slack.Delivered(slacktest.ViewsOpen)
	if len(opened) != 1 {
		t.Fatalf("the New release button opened %d forms", len(opened))
	}
	if code, body := h.submit(dave, opened[0], map[string][]string{"service": {"ledger"}, "version": {"v7"}}); code != http.StatusOK || body != "" {
		t.Fatalf("HTTP %d %q", code, body)
	}
	if r := h.release(1); r.Origin != dave {
		t.Fatalf("origin %q, want dave's messages", r.Origin)
	}
	h.flush()
	if card := h.last(dave); !strings.Contains(card.Text, "R-1 · ledger v7") {
		t.Errorf("card in dave's messages: %q", card.Text)
	}
}

// A submission signed with another secret, or replayed after Slack's five
// minutes, is refused before it is read, and opens nothing.
func TestCreateFormSubmissionMustBeSlacks(t *testing.T) {
	h := newHarness(t, storetest.Databases(t)[0].URL(t))
	form := h.openForm(dave, relChan)
	good := slacktest.ViewSubmission{UserID: dave, View: form.Body, Values: map[string][]string{"service": {"ledger"}, "version": {"v7"}}}.Request()
	for _, c := range []struct {
		name   string
		signer slacktest.Signer
	}{
		{name: "wrong secret", signer: slacktest.Signer{Secret: "not-the-secret"}},
		{name: "replayed", signer: slacktest.Signer{Secret: secret, Now: func() time.Time { return time.Now().Add(-6 * time.Minute) }}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if w := h.serve(c.signer.New("", good)); w.Code != http.StatusUnauthorized {
				t.Errorf("HTTP %d, want 401", w.Code)
			}
		})
	}
	if n := h.count(); n != 0 {
		t.Fatalf("%d releases opened by forged submissions", n)
	}
	if code, _ := h.submit(dave, form, map[string][]string{"service": {"ledger"}, "version": {"v7"}}); code != http.StatusOK || h.count() != 1 {
		t.Fatalf("the genuine submission: HTTP %d, %d releases", code, h.count())
	}
}

// When Slack won't open the form, `/release` answers as it did before
// forms: with the help.
func TestCreateFormFallsBackToHelp(t *testing.T) {
	h := newHarness(t, storetest.Databases(t)[0].URL(t))
	h.slack.FailNext(1, slacktest.Failure{Status: http.StatusOK, Error: "expired_trigger_id"})
	if r := h.command(dave, relChan, ""); !strings.Contains(r.Text, "/release create") {
		t.Fatalf("/release with the form refused: %q", r.Text)
	}
	if n := len(h.slack.Delivered(slacktest.ViewsOpen)); n != 0 {
		t.Fatalf("%d forms opened", n)
	}
}

// Over Socket Mode, opening the Home tab publishes it, and a refused form
// is answered in the ack.
func TestHomeAndFormOverSocketMode(t *testing.T) {
	h := newHarness(t, storetest.Databases(t)[0].URL(t))
	b := startSocketMode(t, h, socketSetup{})
	b.slack.WaitAck(t, b.slack.Push(t, slacktest.AppHomeOpened{EventID: "Ev1", User: alice}.Envelope()))
	if n := len(h.slack.Delivered(slacktest.ViewsPublish)); n != 1 {
		t.Fatalf("%d publishes after app_home_opened over Socket Mode", n)
	}
	h.home(alice)

	id := b.slack.Push(t, slacktest.SlashCommand{UserID: dave, UserName: "dave", ChannelID: relChan, ChannelName: "releases",
		ResponseURL: h.slack.NewResponseURL()}.Envelope())
	if ack := b.slack.WaitAck(t, id); len(ack.Payload) != 0 && string(ack.Payload) != "null" {
		t.Errorf("/release acked with %s, want no answer (the form opened)", ack.Payload)
	}
	opened := h.slack.Delivered(slacktest.ViewsOpen)
	if len(opened) != 1 {
		t.Fatalf("%d forms opened", len(opened))
	}
	ack := b.slack.WaitAck(t, b.slack.Push(t, slacktest.ViewSubmission{UserID: dave, View: opened[0].Body,
		Values: map[string][]string{"service": {"payments-api"}, "version": {"-rf"}}}.Envelope()))
	var answer struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(ack.Payload, &answer); err != nil || answer.ResponseAction != "errors" || !strings.Contains(answer.Errors["version"], "is not a version") {
		t.Fatalf("ack %s", ack.Payload)
	}
	ack = b.slack.WaitAck(t, b.slack.Push(t, slacktest.ViewSubmission{UserID: dave, View: opened[0].Body,
		Values: map[string][]string{"service": {"payments-api"}, "version": {"v1"}}}.Envelope()))
	if len(ack.Payload) != 0 && string(ack.Payload) != "null" {
		t.Errorf("good submission acked with %s, want nothing (the form closes)", ack.Payload)
	}
	if n := h.count(); n != 1 {
		t.Fatalf("%d releases", n)
	}
}
