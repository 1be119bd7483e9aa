package slack_test

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
	var rows []outboxRow
	for _, name := range []string{"card", "signoff-request", "card-signed-off", "announce-reminder", "announce-summary", "announce-summary-quiet"} {
		path := filepath.Join("testdata", name+".golden.json")
		rows = append(rows, outboxRow{body: path, want: path})
	}
	sendRows(t, rows)
}

// TestAnnouncementBlockKit pins the Block Kit of a reminder, a summary
// and a quiet summary: package bot pins them as the outbox stores them
// (bot/testdata/*.message.golden.json), and sent to Slack they are these.
func TestAnnouncementBlockKit(t *testing.T) {
	var rows []outboxRow
	for _, name := range []string{"announce-reminder", "announce-summary", "announce-summary-quiet"} {
		rows = append(rows, outboxRow{body: filepath.Join("..", "testdata", name+".message.golden.json"),
			want: filepath.Join("testdata", name+".golden.json")})
	}
	sendRows(t, rows)
}

// outboxRow is the file of an outbox entry's body, and of the text and
// blocks it must be posted with.
type outboxRow struct{ body, want string }

// sendRows queues each row's body as a post, sends them all to Slack and
// compares what was posted with each row's want.
func sendRows(t *testing.T, rows []outboxRow) {
	compact := func(t *testing.T, path string) []byte {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	canonical := func(t *testing.T, raw []byte) []byte {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(v)
		return b
	}
	forEachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		now := h.clock.Now()
		var entries []releases.OutboxEntry
		for _, r := range rows {
			entries = append(entries, releases.OutboxEntry{Op: releases.OpPost, DedupeKey: "row/" + r.body, Channel: relChan,
				Body: string(compact(t, r.body)), NextAttemptAt: now, CreatedAt: now})
		}
		if err := h.store.EnqueueOnce(ctx, entries); err != nil {
			t.Fatal(err)
		}
		if err := h.sender.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		posts := h.slack.Posts(relChan)
		if len(posts) != len(rows) {
			t.Fatalf("%d posts of %d rows", len(posts), len(rows))
		}
		for i, r := range rows {
			got, want := canonical(t, message(posts[i])), canonical(t, compact(t, r.want))
			if !bytes.Equal(got, want) {
				t.Errorf("%s sent as\n%s\nwant (%s)\n%s", r.body, got, r.want, want)
			}
		}
	})
}
