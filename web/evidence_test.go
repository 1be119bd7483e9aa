package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
	"github.com/releasebot/releasebot/web"
)

// switchGate is a gate that stays closed, for a window, until opened.
type switchGate struct{ open bool }

func (g *switchGate) Check(context.Context, releases.FreezeReader, *releases.Release, time.Time) (releases.Wait, error) {
	if g.open {
		return releases.Wait{Open: true}, nil
	}
	return releases.Wait{Reason: "waits for the window weekly-train"}, nil
}

// evidenceFixture is a store, coordinator and the web routes behind the
// dashboard token, on one database.
type evidenceFixture struct {
	store   *gormstore.Store
	svc     *releases.Coordinator
	gate    *switchGate
	handler http.Handler
}

func newEvidenceFixture(t *testing.T, db storetest.Database, policy releases.Policy) *evidenceFixture {
	t.Helper()
	gin.SetMode(gin.TestMode)
	clk := newClock()
	store := storetest.Open(t, db.URL(t), clk.Now)
	gate := &switchGate{}
	svc := releases.NewCoordinator(releases.Options{Store: store, Policy: policy, Now: clk.Now, Gate: gate})
	r := gin.New()
	web.Register(r, web.Options{Releases: svc, Token: testToken, Audit: store, Policy: &policy, Now: clk.Now,
		TargetKind: func(service, env string) string { return "webhook" }})
	return &evidenceFixture{store: store, svc: svc, gate: gate, handler: r}
}

func (f *evidenceFixture) seal(t *testing.T) {
	t.Helper()
	for {
		n, _, err := f.store.Seal(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// fetch GETs path with or without the dashboard token.
func (f *evidenceFixture) fetch(path string, auth bool) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if auth {
		req.Header.Set("Authorization", "Bearer "+testToken)
	}
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	return rec
}

// evidence is the pack as a client decodes it.
type evidence struct {
	Release     string `json:"release"`
	CreatedBy   string `json:"created_by"`
	CreatedByCI bool   `json:"created_by_ci"`
	Digest      string `json:"digest"`
	Components  []struct {
		Service, Version, Digest, Commit string
		BuildURL                         string `json:"build_url"`
	} `json:"components"`
	SignOffs []struct{ Team, User, Decision, At, Digest string } `json:"signoffs"`
	Checks   []struct {
		Name   string
		Passed bool
		Result string
		Detail string
	} `json:"checks"`
	Gates []struct {
		Deployment, Environment, Actor, Result string
		Override                               *struct{ By, Reason string }
		Waited                                 []struct{ At, Reason string }
	} `json:"gates"`
	Overrides   []struct{ Action, By, Reason string } `json:"overrides"`
	Deployments []struct {
		ID, Environment, Target, Result string
		RunURL                          string `json:"run_url"`
		Attempts                        int
	} `json:"deployments"`
	Audit []struct {
		ID        int64   `json:"id"`
		ReleaseID int64   `json:"release_id"`
		At        string  `json:"at"`
		Actor     string  `json:"actor"`
		Action    string  `json:"action"`
		Detail    string  `json:"detail"`
		Sealed    bool    `json:"sealed"`
		Seq       *int64  `json:"seq"`
		PrevHash  *string `json:"prev_hash"`
		Hash      *string `json:"hash"`
	} `json:"audit"`
	Chain *struct {
		HeadSeq  int64  `json:"head_seq"`
		HeadHash string `json:"head_hash"`
		Unsealed int    `json:"unsealed"`
	} `json:"chain"`
}

func (f *evidenceFixture) evidence(t *testing.T, id string) evidence {
	t.Helper()
	rec := f.fetch("/api/releases/"+id+"/evidence", true)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET evidence of %s: %d %s", id, rec.Code, rec.Body)
	}
	var ev evidence
	if err := json.Unmarshal(rec.Body.Bytes(), &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func checkResults(ev evidence) map[string]string {
	out := map[string]string{}
	for _, c := range ev.Checks {
		out[c.Name] = c.Result
		if c.Passed != (c.Result == "passed") {
			out[c.Name] = "inconsistent"
		}
	}
	return out
}

// TestEvidenceCIRelease follows a release a CI pipeline opened with a
// digest, signed off by two teams, held by its window, started when the
// window opened, deployed to staging and promoted to production under an
// override: the pack lists all of it, every separation-of-duties check
// passes, and the sealed events' hashes recompute.
func TestEvidenceCIRelease(t *testing.T) {
	ctx := context.Background()
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			f := newEvidenceFixture(t, db, testPolicy())
			must := mustRelease(t)
			const ciActor = "ci:ci-payments"
			r, _, err := f.svc.Open(ctx, ciActor, releases.CreateInput{Service: "payments-api", Version: "v2.4.1",
				Digest: digestA, Commit: "1a2b3c4", BuildURL: "https://ci.example.com/runs/7"})
			if err != nil {
				t.Fatal(err)
			}
			must(f.svc.SignOff(ctx, alice, r.ID, "payments"))
			r = must(f.svc.SignOff(ctx, carol, r.ID, "risk")) // ready; the window is closed: waiting
			f.gate.open = true
			r = must(f.svc.StartIfDue(ctx, r.ID))
			if len(r.Deployments) != 1 {
				t.Fatalf("deployments after the window opened: %+v", r.Deployments)
			}
			staging := r.Deployments[0].ID
			if err := storetest.MarkSent(ctx, f.store, staging); err != nil {
				t.Fatal(err)
			}
			must(f.svc.ReportDeployment(ctx, "deployer", staging, releases.StatusReport{Status: releases.DeploymentSucceeded,
				URL: "https://github.com/acme/payments-api/actions/runs/30433642", RunKind: "github_actions", RunID: "30433642"}))
			f.gate.open = false
			must(f.svc.Deploy(ctx, rita, r.ID, "production", "hotfix for INC-42"))
			f.seal(t)
			// One event after the seal: it shows as not sealed yet.
			r = must(f.svc.Get(ctx, r.ID))
			prod := r.Deployments[1].ID
			if err := storetest.MarkSent(ctx, f.store, prod); err != nil {
				t.Fatal(err)
			}
			must(f.svc.ReportDeployment(ctx, "deployer", prod, releases.StatusReport{Status: releases.DeploymentSucceeded}))

			ev := f.evidence(t, releases.FormatID(r.ID))
			if ev.CreatedBy != ciActor || !ev.CreatedByCI || ev.Digest != digestA {
				t.Errorf("created by %q (ci %v), digest %q", ev.CreatedBy, ev.CreatedByCI, ev.Digest)
			}
			if len(ev.Components) != 1 || ev.Components[0].Digest != digestA || ev.Components[0].Commit != "1a2b3c4" ||
				ev.Components[0].BuildURL != "https://ci.example.com/runs/7" {
				t.Errorf("components: %+v", ev.Components)
			}
			if len(ev.SignOffs) != 2 {
				t.Fatalf("signoffs: %+v", ev.SignOffs)
			}
			for _, so := range ev.SignOffs {
				if so.Decision != "approved" || so.Digest != digestA || so.At == "" {
					t.Errorf("sign-off %+v: want approved %s with a time", so, digestA)
				}
			}
			want := map[string]string{"creator_not_approver": "passed", "ci_not_approver": "passed",
				"distinct_approvers_per_team": "passed", "approved_digest": "passed"}
			if got := checkResults(ev); !mapsEqual(got, want) {
				t.Errorf("checks: %v, want %v (%+v)", got, want, ev.Checks)
			}
			if len(ev.Gates) != 2 {
				t.Fatalf("gates: %+v", ev.Gates)
			}
			g0, g1 := ev.Gates[0], ev.Gates[1]
			if g0.Environment != "staging" || g0.Result != "passed" || len(g0.Waited) != 1 ||
				!strings.Contains(g0.Waited[0].Reason, "weekly-train") {
				t.Errorf("staging's gate: %+v", g0)
			}
			if g1.Environment != "production" || g1.Result != "overridden" || g1.Override == nil ||
				g1.Override.By != rita || g1.Override.Reason != "hotfix for INC-42" {
				t.Errorf("production's gate: %+v", g1)
			}
			if len(ev.Overrides) != 1 || ev.Overrides[0].Action != "override" || ev.Overrides[0].By != rita {
				t.Errorf("overrides: %+v", ev.Overrides)
			}
			if len(ev.Deployments) != 2 {
				t.Fatalf("deployments: %+v", ev.Deployments)
			}
			d0, d1 := ev.Deployments[0], ev.Deployments[1]
			if d0.Environment != "staging" || d0.Target != "github_actions" || d0.Result != "succeeded" ||
				d0.RunURL != "https://github.com/acme/payments-api/actions/runs/30433642" || d0.Attempts < 1 {
				t.Errorf("staging deployment: %+v", d0)
			}
			if d1.Environment != "production" || d1.Target != "webhook" || d1.Result != "succeeded" {
				t.Errorf("production deployment: %+v", d1)
			}
			events, err := f.svc.Audit(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(ev.Audit) != len(events) {
				t.Fatalf("audit: %d events, the release has %d", len(ev.Audit), len(events))
			}
			var maxSeq int64
			unsealed := 0
			for i, e := range ev.Audit {
				if e.ID != events[i].ID || e.Action != events[i].Action {
					t.Errorf("audit[%d] = %d %s, want %d %s", i, e.ID, e.Action, events[i].ID, events[i].Action)
				}
				if !e.Sealed {
					unsealed++
					if e.Hash != nil || e.Seq != nil {
						t.Errorf("unsealed event %d carries a hash or seq", e.ID)
					}
					continue
				}
				at, err := time.Parse(time.RFC3339Nano, e.At)
				if err != nil {
					t.Fatal(err)
				}
				ae := releases.AuditEvent{ID: e.ID, ReleaseID: e.ReleaseID, At: at, Actor: e.Actor, Action: e.Action, Detail: e.Detail}
				if got := releases.ChainHash(*e.PrevHash, ae); got != *e.Hash {
					t.Errorf("event %d: hash %s, recomputed %s", e.ID, *e.Hash, got)
				}
				maxSeq = max(maxSeq, *e.Seq)
			}
			if unsealed == 0 || unsealed == len(ev.Audit) {
				t.Errorf("%d of %d events unsealed; want the last report's only", unsealed, len(ev.Audit))
			}
			head, err := f.store.AuditHead(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Chain == nil || ev.Chain.HeadSeq != head.Seq || ev.Chain.HeadHash != head.Hash || ev.Chain.HeadSeq < maxSeq ||
				ev.Chain.Unsealed != unsealed {
				t.Errorf("chain %+v, store's head %+v, newest sealed seq %d", ev.Chain, head, maxSeq)
			}

			page := f.fetch("/releases/"+releases.FormatID(r.ID)+"/evidence", true)
			body := page.Body.String()
			if page.Code != http.StatusOK || !strings.HasPrefix(page.Header().Get("Content-Type"), "text/html") {
				t.Fatalf("page: %d %s", page.Code, page.Header().Get("Content-Type"))
			}
			for _, s := range []string{digestA, "creator_not_approver", "hotfix for INC-42", head.Hash, "not sealed yet",
				"actions/runs/30433642"} {
				if !strings.Contains(body, s) {
					t.Errorf("the page lacks %q", s)
				}
			}
			release := f.fetch("/releases/"+releases.FormatID(r.ID), true).Body.String()
			if !strings.Contains(release, `href="/releases/`+releases.FormatID(r.ID)+`/evidence"`) {
				t.Error("the release page does not link its evidence pack")
			}
		})
	}
}

// TestEvidenceCreatorApproved: with the four-eyes rule off a lead signs
// off the release they opened; the pack says that check failed.
func TestEvidenceCreatorApproved(t *testing.T) {
	ctx := context.Background()
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			p := testPolicy()
			p.RequireDistinctApprover = false
			f := newEvidenceFixture(t, db, p)
			must := mustRelease(t)
			r := must(f.svc.Create(ctx, alice, releases.CreateInput{Service: "payments-api", Version: "v2.5.0"}))
			must(f.svc.SignOff(ctx, alice, r.ID, "payments"))
			ev := f.evidence(t, releases.FormatID(r.ID))
			want := map[string]string{"creator_not_approver": "failed", "ci_not_approver": "passed",
				"distinct_approvers_per_team": "failed", "approved_digest": "passed"}
			if got := checkResults(ev); !mapsEqual(got, want) {
				t.Errorf("checks: %v, want %v (%+v)", got, want, ev.Checks)
			}
			for _, c := range ev.Checks {
				if c.Name == "creator_not_approver" && !strings.Contains(c.Detail, alice) {
					t.Errorf("the failed check does not name who: %q", c.Detail)
				}
			}
			if ev.Chain == nil || ev.Chain.HeadSeq != 0 {
				t.Errorf("nothing is sealed, yet chain %+v", ev.Chain)
			}
			for _, e := range ev.Audit {
				if e.Sealed {
					t.Errorf("event %d sealed before any seal", e.ID)
				}
			}
			if !strings.Contains(f.fetch("/releases/"+releases.FormatID(r.ID)+"/evidence", true).Body.String(), "check-failed") {
				t.Error("the page does not mark the failed check")
			}
		})
	}
}

// TestEvidenceRefusals: an unknown or malformed id, and a request without
// the dashboard token, read nothing.
func TestEvidenceRefusals(t *testing.T) {
	f := newEvidenceFixture(t, storetest.Databases(t)[0], testPolicy())
	for _, c := range []struct {
		path string
		auth bool
		code int
		body string
	}{
		{"/api/releases/R-99/evidence", true, http.StatusNotFound, `"error"`},
		{"/releases/R-99/evidence", true, http.StatusNotFound, "R-99"},
		{"/api/releases/R-x/evidence", true, http.StatusBadRequest, "not a release id"},
		{"/api/releases/R-1/evidence", false, http.StatusUnauthorized, "dashboard token"},
		{"/releases/R-1/evidence", false, http.StatusUnauthorized, ""},
	} {
		rec := f.fetch(c.path, c.auth)
		if rec.Code != c.code || !strings.Contains(rec.Body.String(), c.body) {
			t.Errorf("GET %s (auth %v): %d %.200s; want %d with %q", c.path, c.auth, rec.Code, rec.Body, c.code, c.body)
		}
	}
}

// TestEvidencePrintStyles: the stylesheet the page uses has a print layout
// that drops the navigation.
func TestEvidencePrintStyles(t *testing.T) {
	f := newEvidenceFixture(t, storetest.Databases(t)[0], testPolicy())
	page := f.fetch("/", true).Body.String()
	i := strings.Index(page, "/static/style.css")
	if i < 0 {
		t.Fatal("no stylesheet link")
	}
	href := page[i:]
	href = href[:strings.IndexByte(href, '"')]
	css := f.fetch(href, false).Body.String()
	j := strings.Index(css, "@media print")
	if j < 0 || !strings.Contains(css[j:], ".topbar") {
		t.Error("the stylesheet has no print layout that hides the top bar")
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
