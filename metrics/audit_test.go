package metrics_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/metrics"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
)

var _ metrics.AuditHeads = (*gormstore.Store)(nil)

// TestAuditHeadSeries: /metrics carries the chain's head as one info
// series that moves as events are sealed, and counts the unsealed ones.
func TestAuditHeadSeries(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, store *gormstore.Store) {
		ctx := t.Context()
		add := func() {
			e := releases.AuditEvent{At: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), Actor: "U0DAVE", Action: releases.ActionFreeze}
			if err := store.Tx(ctx, func(tx releases.Tx) error { return tx.AddAudit(ctx, &e) }); err != nil {
				t.Fatal(err)
			}
		}
		m := metrics.New(metrics.Options{Audit: store})
		mustHave(t, scrape(t, m),
			fmt.Sprintf(`releasebot_audit_head_info{hash="%s",seq="0"} 1`, releases.GenesisHash),
			`releasebot_audit_unsealed_events 0`)

		add()
		add()
		if _, _, err := store.Seal(ctx, 0); err != nil {
			t.Fatal(err)
		}
		add()
		head, err := store.AuditHead(ctx)
		if err != nil || head.Seq != 2 {
			t.Fatalf("head %+v, %v", head, err)
		}
		text := scrape(t, m)
		mustHave(t, text,
			fmt.Sprintf(`releasebot_audit_head_info{hash="%s",seq="2"} 1`, head.Hash),
			`releasebot_audit_unsealed_events 1`)
		if n := strings.Count(text, "releasebot_audit_head_info{"); n != 1 {
			t.Fatalf("%d head series, want 1:\n%s", n, text)
		}
	})
}
