package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/releasebot/releasebot/releases"
)

// TestOutboxRowsOfEarlierReleasesStillSend: before the neutral message
// model the outbox stored Slack's Block Kit, exactly as the golden files
// hold it. Such rows, left queued by an upgrade, are sent with the same
// text and blocks as they were queued with.
func TestOutboxRowsOfEarlierReleasesStillSend(t *testing.T) {
	names := []string{"card", "signoff-request", "card-signed-off", "announce-reminder", "announce-summary", "announce-summary-quiet"}
	forEachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		now := h.clock.Now()
		want := map[string][]byte{}
		var entries []releases.OutboxEntry
		for _, name := range names {
			raw, err := os.ReadFile(filepath.Join("testdata", name+".golden.json"))
			if err != nil {
				t.Fatal(err)
			}
			var body bytes.Buffer
			if err := json.Compact(&body, raw); err != nil {
				t.Fatal(err)
			}
			want[name] = body.Bytes()
			entries = append(entries, releases.OutboxEntry{Op: releases.OpPost, DedupeKey: "legacy/" + name, Channel: relChan,
				Body: body.String(), NextAttemptAt: now, CreatedAt: now})
		}
		if err := h.store.EnqueueOnce(ctx, entries); err != nil {
			t.Fatal(err)
		}
		if err := h.sender.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		posts := h.slack.Posts(relChan)
		if len(posts) != len(names) {
			t.Fatalf("%d posts of %d old rows", len(posts), len(names))
		}
		for i, name := range names {
			var got, exp any
			if err := json.Unmarshal(message(posts[i]), &got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(want[name], &exp); err != nil {
				t.Fatal(err)
			}
			g, _ := json.Marshal(got)
			e, _ := json.Marshal(exp)
			if !bytes.Equal(g, e) {
				t.Errorf("%s sent as\n%s\nqueued as\n%s", name, g, e)
			}
		}
	})
}
