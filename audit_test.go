package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
)

// auditedStore opens a migrated store at url holding one release and six
// audit events (every other one of the release, the rest of no release),
// all sealed, and returns the events' ids.
func auditedStore(t *testing.T, url string) (*gormstore.Store, []int64) {
	t.Helper()
	ctx := t.Context()
	s := storetest.Open(t, url, nil)
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	r := &releases.Release{Service: "payments-api", Version: "v2.4.1", Status: releases.StatusAwaitingSignoff,
		Environments: []string{"staging"}, CreatedBy: "U0DAVE", CreatedAt: t0, UpdatedAt: t0}
	var ids []int64
	err := s.Tx(ctx, func(tx releases.Tx) error {
		if err := tx.CreateRelease(ctx, r); err != nil {
			return err
		}
		for i := range 6 {
			e := releases.AuditEvent{At: t0.Add(time.Duration(i) * time.Second), Actor: "U0DAVE", Action: releases.ActionSignedOff,
				Detail: fmt.Sprintf("step %d", i)}
			if i%2 == 0 {
				e.ReleaseID = r.ID
			}
			if err := tx.AddAudit(ctx, &e); err != nil {
				return err
			}
			ids = append(ids, e.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := sealPending(ctx, s); err != nil {
		t.Fatal(err)
	}
	return s, ids
}

// TestAuditVerify runs `releasebot audit verify` on an untouched chain and
// after each kind of tampering done with raw SQL, on both databases: each
// is found, at the right event, with a non-zero exit.
func TestAuditVerify(t *testing.T) {
	tests := []struct {
		name string
		// tamper changes the database behind releasebot's back; ids are the
		// events in chain order.
		tamper func(t *testing.T, s *gormstore.Store, ids []int64)
		// want is in the output of a failing verify; "" for intact.
		want []string
	}{
		{name: "untouched", tamper: func(*testing.T, *gormstore.Store, []int64) {}},
		{
			name: "detail updated",
			tamper: func(t *testing.T, s *gormstore.Store, ids []int64) {
				exec(t, s, "UPDATE audit_events SET detail = 'approved by nobody' WHERE id = ?", ids[2])
			},
			want: []string{"BROKEN (changed)", "event %d (seq 3) was changed"},
		},
		{
			name: "actor updated and re-hashed",
			tamper: func(t *testing.T, s *gormstore.Store, ids []int64) {
				events, err := s.SealedEvents(t.Context(), releases.ChainFilter{})
				if err != nil {
					t.Fatal(err)
				}
				e := events[1]
				e.Actor = "U0MALLORY"
				exec(t, s, "UPDATE audit_events SET actor = ?, hash = ? WHERE id = ?", e.Actor, releases.ChainHash(e.PrevHash, e.AuditEvent), e.ID)
			},
			// The next event still points at the old hash.
			want: []string{"BROKEN (deleted)", "event %d (seq 3) follows event"},
		},
		{
			name: "deleted",
			tamper: func(t *testing.T, s *gormstore.Store, ids []int64) {
				exec(t, s, "DELETE FROM audit_events WHERE id = ?", ids[2])
			},
			want: []string{"BROKEN (deleted)", "event %d (seq 4) follows event", "seq 3 were deleted"},
		},
		{
			name: "reordered",
			tamper: func(t *testing.T, s *gormstore.Store, ids []int64) {
				exec(t, s, "UPDATE audit_events SET seq = -1 WHERE id = ?", ids[2])
				exec(t, s, "UPDATE audit_events SET seq = 3 WHERE id = ?", ids[3])
				exec(t, s, "UPDATE audit_events SET seq = 4 WHERE id = ?", ids[2])
			},
			want: []string{"BROKEN (reordered)", "event %d (seq 3) is out of place"},
		},
	}
	// wantID is the event each break must name (by index into ids).
	wantID := map[string]int{"detail updated": 2, "actor updated and re-hashed": 2, "deleted": 3, "reordered": 3}
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					url := db.URL(t)
					s, ids := auditedStore(t, url)
					tt.tamper(t, s, ids)
					out, errOut, err := runCmd(t, map[string]string{"DATABASE_URL": url}, "", "audit", "verify")
					if tt.want == nil {
						if err != nil || !strings.Contains(out, "audit chain intact: 6 event(s)") || !strings.Contains(out, "0 event(s) not sealed yet") {
							t.Fatalf("verify of an untouched chain: %v\n%s%s", err, out, errOut)
						}
						return
					}
					if err == nil {
						t.Fatalf("verify exited 0 after %s:\n%s", tt.name, out)
					}
					for _, w := range tt.want {
						if strings.Contains(w, "%d") {
							w = fmt.Sprintf(w, ids[wantID[tt.name]])
						}
						if !strings.Contains(errOut, w) {
							t.Errorf("verify output lacks %q:\n%s", w, errOut)
						}
					}
				})
			}
		})
	}
}

// TestAuditVerifyHead: deleting the newest events leaves a chain that is
// linked but short; only a head copied earlier tells. Unsealed events are
// counted, not checked.
func TestAuditVerifyHead(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			url := db.URL(t)
			vars := map[string]string{"DATABASE_URL": url}
			s, ids := auditedStore(t, url)
			head, err := s.AuditHead(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if out, errOut, err := runCmd(t, vars, "", "audit", "verify", "--head", head.Hash); err != nil || !strings.Contains(out, "holds the expected head") {
				t.Fatalf("verify --head of the current head: %v\n%s%s", err, out, errOut)
			}
			exec(t, s, "DELETE FROM audit_events WHERE id = ?", ids[5])
			if out, errOut, err := runCmd(t, vars, "", "audit", "verify"); err != nil || !strings.Contains(out, "intact: 5 event(s)") {
				t.Fatalf("verify without a head after truncation: %v\n%s%s", err, out, errOut)
			}
			_, errOut, err := runCmd(t, vars, "", "audit", "verify", "--head", head.Hash)
			if err == nil || !strings.Contains(errOut, "BROKEN (truncated)") || !strings.Contains(errOut, head.Hash) {
				t.Fatalf("verify --head after truncation: %v\n%s", err, errOut)
			}
			e := releases.AuditEvent{At: time.Now(), Actor: "U0DAVE", Action: releases.ActionFreeze}
			if err := s.Tx(t.Context(), func(tx releases.Tx) error { return tx.AddAudit(t.Context(), &e) }); err != nil {
				t.Fatal(err)
			}
			if out, _, err := runCmd(t, vars, "", "audit", "verify"); err != nil || !strings.Contains(out, "1 event(s) not sealed yet") {
				t.Fatalf("verify with one unsealed event: %v\n%s", err, out)
			}
			if _, errOut, err := runCmd(t, vars, "", "audit", "verify", "--head", "nope"); err == nil || !strings.Contains(errOut, "is not a hash") {
				t.Fatalf("verify --head nope: %v %s", err, errOut)
			}
		})
	}
}

var placeholders = regexp.MustCompile(`\?`)

// exec runs a statement with ? placeholders on either database.
func exec(t *testing.T, s *gormstore.Store, query string, args ...any) {
	t.Helper()
	if s.Dialect() == "postgres" {
		n := 0
		query = placeholders.ReplaceAllStringFunc(query, func(string) string { n++; return fmt.Sprintf("$%d", n) })
	}
	if _, err := s.DB().ExecContext(t.Context(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}
