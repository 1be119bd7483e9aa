package bot

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/internal/testclock"
	"github.com/releasebot/releasebot/metrics"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/storetest"
	"github.com/releasebot/releasebot/scheduler"
)

// A status answer is made once per state of a release: asked again, the
// same answer; after a change, a new one that shows it. An answer that
// says when a window opens follows the clock instead.
func TestStatusAnswerKeptWhileTheReleaseIsUnchanged(t *testing.T) {
	cfg := config.Demo()
	clock := testclock.New(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)) // Tuesday: weekly-train opens at 14:00
	store := storetest.Open(t, "sqlite://"+filepath.Join(t.TempDir(), "s.db"), clock.Now)
	cal := scheduler.NewCalendar(timetableOf(cfg))
	svc := releases.NewCoordinator(releases.Options{Store: store, Policy: cfg.Policy(), Now: clock.Now, Gate: cal})
	b := New(Options{Coordinator: svc, Now: clock.Now, Posts: store, Settings: settingsOf(cfg), Calendar: cal})
	ctx := context.Background()
	status := func(text string) Message {
		t.Helper()
		return b.HandleCommand(ctx, Invocation{User: "U0DAVE", Channel: "C0REL", Text: text})
	}
	same := func(a, b Message) bool { return a.Text == b.Text && len(a.Blocks) > 0 && &a.Blocks[0] == &b.Blocks[0] }

	if _, err := svc.Create(ctx, "U0DAVE", releases.CreateInput{Service: "ledger", Version: "v1"}); err != nil {
		t.Fatal(err)
	}
	first := status("status R-1")
	if !strings.Contains(first.Text, "waiting for sign-off: payments 0 of 1, risk 0 of 1") {
		t.Fatalf("status: %q", first.Text)
	}
	// The coordinator keeps a release up to a second of real time: a pair
	// of answers that straddles that is asked again.
	kept := false
	for prev, i := first, 0; i < 5 && !kept; i++ {
		again := status("status R-1")
		kept, prev = same(prev, again), again
	}
	if !kept {
		t.Fatalf("asked again, the answer was made anew every time")
	}
	if _, err := svc.SignOff(ctx, "U0ALICE", 1, "payments"); err != nil {
		t.Fatal(err)
	}
	signed := status("status R-1")
	if same(first, signed) || !strings.Contains(signed.Text, "waiting for sign-off: risk 0 of 1") {
		t.Fatalf("after a sign-off: %q", signed.Text)
	}

	// Ready, waiting for the window: "which opens" depends on the hour.
	if _, err := svc.Create(ctx, "U0DAVE", releases.CreateInput{Service: "fx", Version: "v2", Window: "weekly-train"}); err != nil {
		t.Fatal(err)
	}
	for _, so := range []struct{ user, team string }{{"U0ALICE", "payments"}, {"U0CAROL", "risk"}} {
		if _, err := svc.SignOff(ctx, so.user, 2, so.team); err != nil {
			t.Fatal(err)
		}
	}
	before := status("status R-2")
	if !strings.Contains(before.Text, "which opens Tue 1 Dec 2026 14:00 UTC") {
		t.Fatalf("ready release: %q", before.Text)
	}
	clock.Advance(7 * time.Hour) // the window has come and gone; the release did not change
	if after := status("status R-2"); !strings.Contains(after.Text, "which opens Thu 3 Dec 2026 14:00 UTC") {
		t.Fatalf("after the window closed the answer still says: %q", after.Text)
	}
}

// AnswerFromMemory answers `status R-n` of a release the coordinator holds,
// as HandleCommand does and counted alike, and nothing else.
func TestAnswerFromMemory(t *testing.T) {
	cfg := config.Demo()
	clock := testclock.New(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	store := storetest.Open(t, "sqlite://"+filepath.Join(t.TempDir(), "m.db"), clock.Now)
	cal := scheduler.NewCalendar(timetableOf(cfg))
	svc := releases.NewCoordinator(releases.Options{Store: store, Policy: cfg.Policy(), Now: clock.Now, Gate: cal})
	m := metrics.New(metrics.Options{})
	b := New(Options{Coordinator: svc, Now: clock.Now, Posts: store, Settings: settingsOf(cfg), Calendar: cal, Metrics: m})
	ctx := context.Background()
	in := func(text string) Invocation { return Invocation{User: "U0DAVE", Channel: "C0REL", Text: text} }
	if _, err := svc.Create(ctx, "U0DAVE", releases.CreateInput{Service: "ledger", Version: "v1"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.AnswerFromMemory(in("status R-1")); ok {
		t.Fatal("answered a release nobody has read yet, without reading it")
	}
	// Read: held for up to a second of real time, so asked until a read
	// and an answer from memory fall within one.
	var full, mem Message
	ok, handled := false, 0
	for i := 0; i < 5 && !ok; i++ {
		full = b.HandleCommand(ctx, in("status R-1"))
		mem, ok = b.AnswerFromMemory(in("status R-1"))
		handled++
	}
	if !ok || mem.Text != full.Text || len(mem.Blocks) != len(full.Blocks) {
		t.Fatalf("from memory (%v): %q\nHandleCommand: %q", ok, mem.Text, full.Text)
	}
	for _, text := range []string{"status", "list", "help", "status R-9", "stauts R-1", "approve R-1 payments", "status R-1 extra"} {
		if got, ok := b.AnswerFromMemory(in(text)); ok {
			t.Errorf("%q answered from memory: %q", text, got.Text)
		}
	}
	// Every answer counted once, as a status that went well.
	if got, want := commandCount(t, m, "status", "ok"), float64(handled+1); got != want {
		t.Errorf("status ok counted %v times, want %v", got, want)
	}
}

// commandCount reads releasebot_commands_total{command, outcome}.
func commandCount(t *testing.T, m *metrics.Metrics, command, outcome string) float64 {
	t.Helper()
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "releasebot_commands_total" {
			continue
		}
		for _, mt := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range mt.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["command"] == command && labels["outcome"] == outcome {
				return mt.GetCounter().GetValue()
			}
		}
	}
	return 0
}
