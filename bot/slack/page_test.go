package slack_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/migrations"
)

// manyActive is more active releases than SQLite takes variables in one
// statement (32,766): an answer that loads them all fails.
const manyActive = 33000

// seedActive inserts n releases awaiting sign-off in one statement.
func seedActive(t *testing.T, h *harness, n int) {
	t.Helper()
	concat := "'seed' || i"
	if h.store.Dialect() == migrations.Postgres {
		concat = "'seed' || i::text"
	}
	at := h.clock.Now().Add(-time.Hour).UTC()
	_, err := h.store.DB().ExecContext(t.Context(), `INSERT INTO releases
		(service, version, status, created_by, created_at, updated_at, teams, environments)
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < `+fmt.Sprint(n)+`)
		SELECT `+concat+`, 'v1', 'awaiting_signoff', 'U0SEED', $1, $1, '["payments"]', '["staging"]' FROM n`, at)
	if err != nil {
		t.Fatalf("seed %d releases: %v", n, err)
	}
}

// TestStatusOfManyActiveReleasesIsOnePage: with 33,000 active releases a
// bare `/release status` answers 20 of them and how many more, from one
// LIMIT query and one COUNT; `list` and `history` page the same way.
func TestStatusOfManyActiveReleasesIsOnePage(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		seedActive(t, h, manyActive)
		h.command(dave, relChan, "create payments-api v2")
		r := h.command(dave, relChan, "status")
		lines := strings.Split(r.Text, "\n")
		if len(lines) != 22 || lines[0] != "*Active releases*" || !strings.Contains(lines[1], "payments-api") {
			t.Fatalf("status answered %d lines; want a head, 20 releases (the newest first) and a count:\n%.2000s", len(lines), r.Text)
		}
		wantMore := fmt.Sprintf("_… and %d more: `/release list --status STATUS --limit 200` with awaiting_signoff, ready, deploying, awaiting_promotion, or `/release list --mine`._", manyActive+1-20)
		if lines[21] != wantMore {
			t.Fatalf("status's last line:\n%s\nwant\n%s", lines[21], wantMore)
		}

		r = h.command(dave, relChan, "list --status awaiting_signoff")
		lines = strings.Split(r.Text, "\n")
		wantMore = fmt.Sprintf("_… and %d more: `/release list --status awaiting_signoff --limit 200`._", manyActive+1-20)
		if len(lines) != 22 || lines[21] != wantMore {
			t.Fatalf("list answered %d lines, the last %q; want 22, the last %q", len(lines), lines[len(lines)-1], wantMore)
		}
		r = h.command(dave, relChan, "list --mine --limit 5")
		if strings.Contains(r.Text, "more") || strings.Count(r.Text, "\n") != 1 {
			t.Fatalf("list --mine (one release): %q", r.Text)
		}
	})
}
