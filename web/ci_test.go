package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/bot"
	"github.com/releasebot/releasebot/ci"
	"github.com/releasebot/releasebot/ci/citest"
	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/internal/wire"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
	"github.com/releasebot/releasebot/web"
)

const (
	digestA   = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	digestB   = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	ciChannel = "C0RELEASES"
	dashToken = "dashboard-secret"
)

// ciFixture is a real store, coordinator and authenticator behind the web
// routes, with a catalog (payments-api from acme/payments-api, ledger,
// web) and a local OIDC issuer.
type ciFixture struct {
	store   *gormstore.Store
	svc     *releases.Coordinator
	cfg     *config.Config
	clock   *clock
	issuer  *citest.Issuer
	handler http.Handler
	token   string // rbt_… for payments-api and ledger
}

func ciConfig(issuer string) *config.Config {
	return &config.Config{
		Location:                time.UTC,
		RequireDistinctApprover: true,
		Teams: []config.Team{
			{Name: "payments", Channel: "C0PAY", Leads: []string{alice}, Approvals: 1},
			{Name: "risk", Channel: "C0RISK", Leads: []string{carol, "ci:ci-payments"}, Approvals: 1},
		},
		Environments: []config.Environment{{Name: "staging", Deploy: config.Deploy{URL: "log:staging"}},
			{Name: "production", Deploy: config.Deploy{URL: "log:production"}, Promote: config.PromoteManual}},
		Services: []config.Service{
			{Name: "payments-api", Teams: []string{"payments"}, Repo: "acme/payments-api"},
			{Name: "ledger", Teams: []string{"risk"}, Repo: "acme/ledger"},
			{Name: "web", Teams: []string{"payments"}},
		},
		Limits: config.Limits{CreatesPerHour: 5},
		CI:     config.CI{Channel: ciChannel, OIDC: config.OIDC{Issuer: issuer, Audience: "releasebot", Ref: "refs/heads/main"}},
		Users:  map[string]string{},
	}
}

func newCIFixture(t *testing.T, url string) *ciFixture { return newCIFixtureQuota(t, url, 5) }

// newCIFixtureQuota is newCIFixture with a create quota of quota per
// hour (0: none).
func newCIFixtureQuota(t testing.TB, url string, quota int) *ciFixture {
	t.Helper()
	gin.SetMode(gin.TestMode)
	clk := newClock()
	iss := citest.NewIssuer(t)
	cfg := ciConfig(iss.URL)
	cfg.Limits.CreatesPerHour = quota
	store := storetest.Open(t, url, clk.Now)
	svc := releases.NewCoordinator(releases.Options{Store: store, Policy: cfg.Policy(), Now: clk.Now})
	auth := ci.NewAuthenticator(ci.Options{Config: cfg, Tokens: store, Now: clk.Now})
	r := gin.New()
	web.Register(r, web.Options{Releases: svc, Token: dashToken, CI: auth, Opener: svc,
		CIOrigin: func(s string) string { return ci.Channel(cfg, s) }})
	tok, err := ci.Tokens{Store: store, Now: clk.Now}.Create(t.Context(), "ci-payments", []string{"payments-api", "Ledger"})
	if err != nil {
		t.Fatal(err)
	}
	return &ciFixture{store: store, svc: svc, cfg: cfg, clock: clk, issuer: iss, handler: r, token: tok}
}

// post sends body to POST /api/releases with the bearer credential.
func (f *ciFixture) post(t *testing.T, bearer string, body any) response {
	t.Helper()
	var raw []byte
	switch b := body.(type) {
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	req := httptest.NewRequest(http.MethodPost, "/api/releases", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	res := response{Code: rec.Code, ContentType: rec.Header().Get("Content-Type"), Raw: rec.Body.String()}
	if err := json.Unmarshal(rec.Body.Bytes(), &res.Body); err != nil {
		t.Fatalf("POST: %d, body is not a JSON object: %v\n%s", rec.Code, err, rec.Body)
	}
	return res
}

func (f *ciFixture) getAuthed(t *testing.T, path string) response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+dashToken)
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	res := response{Code: rec.Code, Raw: rec.Body.String()}
	if err := json.Unmarshal(rec.Body.Bytes(), &res.Body); err != nil {
		t.Fatalf("GET %s: %d: %v\n%s", path, rec.Code, err, rec.Body)
	}
	return res
}

func wantStatus(t *testing.T, res response, code int, says string) {
	t.Helper()
	if res.Code != code {
		t.Fatalf("status %d, want %d: %s", res.Code, code, res.Raw)
	}
	if says != "" && !strings.Contains(res.Raw, says) {
		t.Errorf("answer %s does not say %q", res.Raw, says)
	}
}

// cards relays the audit events into chat messages and returns the cards
// queued, as "channel R-n".
func (f *ciFixture) cards(t *testing.T) []string {
	t.Helper()
	relay := bot.NewRelay(f.store, wire.Bot(f.cfg), f.clock.Now)
	if _, err := relay.RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	entries, err := f.store.ClaimOutbox(t.Context(), f.clock.Now(), time.Minute, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.Op == releases.OpPostCard {
			out = append(out, e.Channel+" "+releases.FormatID(e.ReleaseID))
		}
	}
	return out
}

func (f *ciFixture) auditActions(t *testing.T, actor string) []string {
	t.Helper()
	var details []string
	rows, err := f.store.DB().QueryContext(t.Context(), "SELECT detail FROM audit_events WHERE actor = ? AND action = ? ORDER BY id",
		actor, releases.ActionTokenUsed)
	if err != nil {
		// PostgreSQL placeholders.
		rows, err = f.store.DB().QueryContext(t.Context(), "SELECT detail FROM audit_events WHERE actor = $1 AND action = $2 ORDER BY id",
			actor, releases.ActionTokenUsed)
		if err != nil {
			t.Fatal(err)
		}
	}
	defer rows.Close()
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			t.Fatal(err)
		}
		details = append(details, d)
	}
	return details
}

// A scoped token opens a release: 201 with the release JSON (as GET
// answers it), created by ci:NAME, its digest pinned, its card in
// ci.channel. A retry with the same key, or another key with the same
// digest, gets the same release (200) and no second card; another digest
// of the same version is refused (409). Every use is audited.
func TestCICreateWithToken(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			f := newCIFixture(t, db.URL(t))
			body := map[string]any{"service": "payments-api", "version": "v2.4.1", "digest": digestA,
				"commit": "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b", "build_url": "https://github.com/acme/payments-api/actions/runs/30433642",
				"notes": "green build", "idempotency_key": "run-30433642-1"}
			res := f.post(t, f.token, body)
			wantStatus(t, res, http.StatusCreated, "")
			if res.Body["created_by"] != "ci:ci-payments" || res.Body["digest"] != digestA || res.Body["id"] != "R-1" {
				t.Errorf("created %v", res.Body)
			}
			comps := res.Body["components"].([]any)
			if len(comps) != 1 || comps[0].(map[string]any)["digest"] != digestA || comps[0].(map[string]any)["service"] != "payments-api" {
				t.Errorf("components %v", comps)
			}
			if teams := res.Body["teams"].([]any); len(teams) != 1 || teams[0] != "payments" {
				t.Errorf("teams %v, want the owners only", teams)
			}
			if got := f.getAuthed(t, "/api/releases/R-1"); !jsonEqual(got.Body, res.Body) {
				t.Errorf("201 body differs from GET /api/releases/R-1:\n%s\n%s", res.Raw, got.Raw)
			}
			if got := f.cards(t); len(got) != 1 || got[0] != ciChannel+" R-1" {
				t.Errorf("cards %v, want one in %s", got, ciChannel)
			}

			again := f.post(t, f.token, body)
			wantStatus(t, again, http.StatusOK, "")
			if again.Body["id"] != "R-1" {
				t.Errorf("retry answered %v, want R-1", again.Body["id"])
			}
			body["idempotency_key"] = "run-30433642-2"
			other := f.post(t, f.token, body)
			wantStatus(t, other, http.StatusOK, "")
			if other.Body["id"] != "R-1" {
				t.Errorf("same digest under another key answered %v, want R-1", other.Body["id"])
			}
			if got := f.cards(t); len(got) != 0 {
				t.Errorf("repeats queued cards %v, want none", got)
			}

			body["digest"], body["idempotency_key"] = digestB, "run-30433700-1"
			wantStatus(t, f.post(t, f.token, body), http.StatusConflict, "R-1 with digest "+digestA)
			body["idempotency_key"] = "run-30433642-1"
			wantStatus(t, f.post(t, f.token, body), http.StatusUnprocessableEntity, "idempotency_key was used for R-1")

			if n, err := f.store.Count(t.Context(), releases.Filter{}); err != nil || n != 1 {
				t.Errorf("%d releases, %v; want 1", n, err)
			}
			uses := f.auditActions(t, "ci:ci-payments")
			if len(uses) != 5 || !strings.Contains(uses[0], "201 R-1") || !strings.Contains(uses[3], "409") {
				t.Errorf("audited uses %q, want the five requests with their answers", uses)
			}
			list, err := f.store.Tokens(t.Context())
			if err != nil || len(list) != 1 || !list[0].LastUsedAt.Equal(f.clock.Now().Truncate(time.Microsecond)) {
				t.Errorf("tokens %+v, %v; want ci-payments last used now", list, err)
			}
		})
	}
}

// A token opens releases of its services only; a revoked token opens
// nothing; a missing or wrong credential, the dashboard token included,
// is 401. None of them creates anything.
func TestCITokenScopeAndRevocation(t *testing.T) {
	f := newCIFixture(t, "sqlite://"+t.TempDir()+"/t.db")
	wantStatus(t, f.post(t, f.token, map[string]any{"service": "web", "version": "v1"}), http.StatusForbidden,
		"may open releases of payments-api, ledger, not web")
	wantStatus(t, f.post(t, f.token, map[string]any{"service": "Ledger", "version": "v1"}), http.StatusCreated, "")
	wantStatus(t, f.post(t, "", map[string]any{"service": "ledger", "version": "v2"}), http.StatusUnauthorized, "Authorization: Bearer")
	wantStatus(t, f.post(t, dashToken, map[string]any{"service": "ledger", "version": "v2"}), http.StatusUnauthorized, "dashboard token does not open releases")
	wantStatus(t, f.post(t, f.token+"x", map[string]any{"service": "ledger", "version": "v2"}), http.StatusUnauthorized, "not valid")

	if err := (ci.Tokens{Store: f.store, Now: f.clock.Now}).Revoke(t.Context(), "ci-payments"); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, f.post(t, f.token, map[string]any{"service": "ledger", "version": "v2"}), http.StatusUnauthorized, "ci-payments was revoked")
	if n, _ := f.store.Count(t.Context(), releases.Filter{}); n != 1 {
		t.Errorf("%d releases, want only the ledger v1 one", n)
	}
	uses := f.auditActions(t, "ci:ci-payments")
	if len(uses) != 3 || !strings.Contains(uses[0], "403") || !strings.Contains(uses[2], "revoked") {
		t.Errorf("audited uses %q, want the refusal, the create and the revoked attempt", uses)
	}
}

// Bad bodies are refused with a message and change nothing: over 64 KiB
// (413), not JSON, unknown fields, bad values (400), trains (422).
func TestCICreateBadBodies(t *testing.T) {
	f := newCIFixture(t, "sqlite://"+t.TempDir()+"/t.db")
	big := `{"service": "payments-api", "version": "v1", "notes": "` + strings.Repeat("x", 70<<10) + `"}`
	cases := []struct {
		name string
		body any
		code int
		says string
	}{
		{"too large", big, http.StatusRequestEntityTooLarge, "64 KiB"},
		{"not JSON", "service=payments-api", http.StatusBadRequest, "invalid JSON"},
		{"empty", "", http.StatusBadRequest, "empty"},
		{"unknown field", `{"service": "payments-api", "version": "v1", "digset": "x"}`, http.StatusBadRequest, `unknown field \"digset\"`},
		{"two values", `{"service": "payments-api", "version": "v1"} {}`, http.StatusBadRequest, "more than one"},
		{"wrong type", `{"service": "payments-api", "version": 1}`, http.StatusBadRequest, "version must be a string"},
		{"no version", map[string]any{"service": "payments-api"}, http.StatusBadRequest, "service and version"},
		{"bad digest", map[string]any{"service": "payments-api", "version": "v1", "digest": "sha256:ABC"}, http.StatusBadRequest, "not a digest"},
		{"bad commit", map[string]any{"service": "payments-api", "version": "v1", "commit": "main"}, http.StatusBadRequest, "not a commit"},
		{"bad build_url", map[string]any{"service": "payments-api", "version": "v1", "build_url": "javascript:alert(1)"}, http.StatusBadRequest, "not a build link"},
		{"bad at", map[string]any{"service": "payments-api", "version": "v1", "at": "tomorrow"}, http.StatusBadRequest, "RFC 3339"},
		{"unknown window", map[string]any{"service": "payments-api", "version": "v1", "window": "nope"}, http.StatusBadRequest, "no window"},
		{"train with a service beside its components", map[string]any{"service": "payments-api", "components": []any{
			map[string]any{"service": "payments-api", "version": "v1"}, map[string]any{"service": "ledger", "version": "v2"}}},
			http.StatusUnprocessableEntity, "A train is its components"},
		{"train with a component's commit", map[string]any{"components": []any{
			map[string]any{"service": "payments-api", "version": "v1", "commit": "1a2b3c4d"}, map[string]any{"service": "ledger", "version": "v2"}}},
			http.StatusUnprocessableEntity, "one commit and build_url"},
		{"train component without a version", map[string]any{"components": []any{
			map[string]any{"service": "payments-api", "version": "v1"}, map[string]any{"service": "ledger"}}},
			http.StatusBadRequest, "every component a service and a version"},
		{"component disagrees", map[string]any{"service": "payments-api", "version": "v1",
			"components": []any{map[string]any{"service": "payments-api", "version": "v2"}}}, http.StatusUnprocessableEntity, "differs"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { wantStatus(t, f.post(t, f.token, tc.body), tc.code, tc.says) })
	}
	if n, _ := f.store.Count(t.Context(), releases.Filter{}); n != 0 {
		t.Errorf("%d releases after bad bodies, want 0", n)
	}
	// One component is the same create as service and version.
	res := f.post(t, f.token, map[string]any{"components": []any{map[string]any{"service": "payments-api", "version": "v1", "digest": digestA}}})
	wantStatus(t, res, http.StatusCreated, digestA)
}

// The per-creator quota holds per token: the sixth create in an hour is
// refused with 429, but a retry of one that went through gets it.
func TestCICreateQuotaPerToken(t *testing.T) {
	f := newCIFixture(t, "sqlite://"+t.TempDir()+"/t.db")
	for i := range 5 {
		wantStatus(t, f.post(t, f.token, map[string]any{"service": "ledger", "version": "v1." + string(rune('0'+i)),
			"idempotency_key": "k" + string(rune('0'+i))}), http.StatusCreated, "")
	}
	wantStatus(t, f.post(t, f.token, map[string]any{"service": "ledger", "version": "v1.9"}), http.StatusTooManyRequests, "limit is 5")
	// A retry of a create that went through is still answered with its
	// release, quota or not.
	res := f.post(t, f.token, map[string]any{"service": "ledger", "version": "v1.0", "idempotency_key": "k0"})
	wantStatus(t, res, http.StatusOK, "")
	if res.Body["id"] != "R-1" {
		t.Errorf("retry at the quota answered %v, want R-1", res.Body["id"])
	}
}

// A GitHub Actions OIDC token opens releases of the catalog services whose
// repo is its repository, from an allowed ref; created_by is
// github:OWNER/REPO.
func TestCICreateWithOIDC(t *testing.T) {
	f := newCIFixture(t, "sqlite://"+t.TempDir()+"/t.db")
	claims := func() map[string]any { return f.issuer.Claims("releasebot", "acme/payments-api", f.clock.Now()) }
	res := f.post(t, f.issuer.Sign(t, "k1", claims()), map[string]any{"service": "payments-api", "version": "v3", "digest": digestA})
	wantStatus(t, res, http.StatusCreated, "")
	if res.Body["created_by"] != "github:acme/payments-api" {
		t.Errorf("created_by %v", res.Body["created_by"])
	}
	wantStatus(t, f.post(t, f.issuer.Sign(t, "k1", claims()), map[string]any{"service": "ledger", "version": "v3"}),
		http.StatusForbidden, "is built from acme/ledger")
	wantStatus(t, f.post(t, f.issuer.Sign(t, "k1", claims()), map[string]any{"service": "web", "version": "v3"}),
		http.StatusForbidden, "web has no repo")
	branch := claims()
	branch["ref"] = "refs/heads/feature"
	wantStatus(t, f.post(t, f.issuer.Sign(t, "k1", branch), map[string]any{"service": "payments-api", "version": "v4"}),
		http.StatusForbidden, "refs/heads/feature")
	wrongAud := claims()
	wrongAud["aud"] = "https://github.com/acme"
	wantStatus(t, f.post(t, f.issuer.Sign(t, "k1", wrongAud), map[string]any{"service": "payments-api", "version": "v4"}),
		http.StatusUnauthorized, "audience")
	if n, _ := f.store.Count(t.Context(), releases.Filter{}); n != 1 {
		t.Errorf("%d releases, want 1", n)
	}
}

// A CI identity never signs off, even when a configuration lists it as a
// lead by mistake: the coordinator refuses it as it would any command,
// button or reaction by that actor.
func TestCIIdentityCannotApprove(t *testing.T) {
	f := newCIFixture(t, "sqlite://"+t.TempDir()+"/t.db")
	res := f.post(t, f.token, map[string]any{"service": "ledger", "version": "v7", "digest": digestA})
	wantStatus(t, res, http.StatusCreated, "")
	for _, actor := range []string{"ci:ci-payments", "github:acme/ledger"} {
		_, err := f.svc.SignOff(context.Background(), actor, 1, "risk")
		if releases.ErrorCode(err) != releases.EForbidden || !strings.Contains(releases.ErrorMessage(err), "CI identit") {
			t.Errorf("sign-off by %s: %v, want refused as a CI identity", actor, err)
		}
		_, err = f.svc.Reject(context.Background(), actor, 1, "risk", "")
		if releases.ErrorCode(err) != releases.EForbidden {
			t.Errorf("reject by %s: %v, want refused", actor, err)
		}
	}
	// A lead's sign-off records the digest approved.
	r, err := f.svc.SignOff(context.Background(), carol, 1, "risk")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.SignOffs) != 1 || r.SignOffs[0].Digest != digestA {
		t.Errorf("sign-offs %+v, want carol's with %s", r.SignOffs, digestA)
	}
	got := f.getAuthed(t, "/api/releases/R-1")
	so := got.Body["signoffs"].([]any)[0].(map[string]any)
	if so["digest"] != digestA {
		t.Errorf("sign-off JSON %v, want digest %s", so, digestA)
	}
}

// GET /api/releases filters by since (RFC 3339), with service and team.
func TestListSince(t *testing.T) {
	f := newCIFixture(t, "sqlite://"+t.TempDir()+"/t.db")
	wantStatus(t, f.post(t, f.token, map[string]any{"service": "ledger", "version": "v1"}), http.StatusCreated, "")
	f.clock.Advance(2 * time.Hour)
	cut := f.clock.Now().UTC().Format(time.RFC3339)
	f.clock.Advance(time.Minute)
	wantStatus(t, f.post(t, f.token, map[string]any{"service": "payments-api", "version": "v1"}), http.StatusCreated, "")
	if got := ids(t, f.getAuthed(t, "/api/releases?since="+cut).Body); len(got) != 1 || got[0] != "R-2" {
		t.Errorf("since %s: %v, want [R-2]", cut, got)
	}
	if got := ids(t, f.getAuthed(t, "/api/releases?service=ledger").Body); len(got) != 1 || got[0] != "R-1" {
		t.Errorf("service=ledger: %v, want [R-1]", got)
	}
	if got := ids(t, f.getAuthed(t, "/api/releases?team=risk").Body); len(got) != 1 || got[0] != "R-1" {
		t.Errorf("team=risk: %v, want [R-1] (ledger's owners)", got)
	}
	if got := ids(t, f.getAuthed(t, "/api/releases?team=risk&since="+cut).Body); len(got) != 0 {
		t.Errorf("team=risk since %s: %v, want none", cut, got)
	}
	wantStatus(t, f.getAuthed(t, "/api/releases?since=yesterday"), http.StatusBadRequest, "RFC 3339")
}

func jsonEqual(a, b map[string]any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// TestCICreateTrain: CI opens a train of several components, each with its
// digest; a repeat with the same key answers the same train (200), other
// components under that key are refused (422), and a token may open a
// train only of services it covers.
func TestCICreateTrain(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			f := newCIFixture(t, db.URL(t))
			body := map[string]any{"components": []any{
				map[string]any{"service": "payments-api", "version": "v2.4.1", "digest": digestA},
				map[string]any{"service": "ledger", "version": "v1.9.0"}},
				"commit": "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b", "idempotency_key": "train-1"}
			res := f.post(t, f.token, body)
			wantStatus(t, res, http.StatusCreated, "")
			comps, _ := res.Body["components"].([]any)
			if len(comps) != 2 || res.Body["commit"] != "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b" {
				t.Fatalf("train: components %v, commit %v", res.Body["components"], res.Body["commit"])
			}
			first, _ := comps[0].(map[string]any)
			if first["service"] != "payments-api" || first["digest"] != digestA {
				t.Errorf("first component %v, want payments-api pinned to %s", first, digestA)
			}
			teams, _ := res.Body["teams"].([]any)
			if len(teams) != 2 {
				t.Errorf("teams %v, want both owners (payments, risk)", teams)
			}
			again := f.post(t, f.token, body)
			wantStatus(t, again, http.StatusOK, "")
			if again.Body["id"] != res.Body["id"] {
				t.Errorf("repeat answered %v, want %v", again.Body["id"], res.Body["id"])
			}
			other := map[string]any{"components": []any{
				map[string]any{"service": "payments-api", "version": "v2.4.2"},
				map[string]any{"service": "ledger", "version": "v1.9.0"}}, "idempotency_key": "train-1"}
			wantStatus(t, f.post(t, f.token, other), http.StatusUnprocessableEntity, "idempotency_key was used")
			outside := map[string]any{"components": []any{
				map[string]any{"service": "payments-api", "version": "v3.0.0"},
				map[string]any{"service": "web", "version": "v1.0.0"}}}
			wantStatus(t, f.post(t, f.token, outside), http.StatusForbidden, "not web")
			if n, _ := f.store.Count(t.Context(), releases.Filter{}); n != 1 {
				t.Errorf("%d releases, want the one train", n)
			}
		})
	}
}

// A token revoked right after it was used (and so still known to the
// authenticator) gets 401 for whatever it asks next: a new release, the
// repeat of one it opened, a refused body. Nothing is created, and each
// refusal is audited as a revoked token's.
func TestCIRevokedRightAfterUse(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			first := map[string]any{"service": "ledger", "version": "v1", "digest": digestA, "idempotency_key": "run-1"}
			for _, next := range []struct {
				name string
				body any
			}{
				{"create", map[string]any{"service": "ledger", "version": "v2", "idempotency_key": "run-2"}},
				{"repeat", first},
				{"refused body", `{"service": "ledger"}`},
				{"out of scope", map[string]any{"service": "web", "version": "v1"}},
			} {
				t.Run(next.name, func(t *testing.T) {
					f := newCIFixture(t, db.URL(t))
					wantStatus(t, f.post(t, f.token, first), http.StatusCreated, "")
					if err := (ci.Tokens{Store: f.store, Now: f.clock.Now}).Revoke(t.Context(), "ci-payments"); err != nil {
						t.Fatal(err)
					}
					res := f.post(t, f.token, next.body)
					wantStatus(t, res, http.StatusUnauthorized, "ci-payments was revoked")
					if strings.Contains(res.Raw, `"id"`) {
						t.Errorf("a revoked token was answered with a release: %s", res.Raw)
					}
					if n, _ := f.store.Count(t.Context(), releases.Filter{}); n != 1 {
						t.Errorf("%d releases, want only the first", n)
					}
					uses := f.auditActions(t, "ci:ci-payments")
					if len(uses) != 2 || !strings.Contains(uses[0], "201 R-1") || uses[1] != "refused: token revoked" {
						t.Errorf("audited uses %q, want the create and the refusal", uses)
					}
					wantStatus(t, f.post(t, f.token, next.body), http.StatusUnauthorized, "ci-payments was revoked")
				})
			}
		})
	}
}

// A create is answered with what its transaction wrote, not read back:
// the answer is what GET answers for a train and for a release with a
// start time too.
func TestCICreateAnswersAsGET(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			f := newCIFixture(t, db.URL(t))
			bodies := []map[string]any{
				{"components": []any{
					map[string]any{"service": "payments-api", "version": "v2.4.1", "digest": digestA},
					map[string]any{"service": "ledger", "version": "v1.9.0", "digest": digestB}},
					"commit": "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b", "build_url": "https://ci.example.com/b/1",
					"notes": "a train", "idempotency_key": "train-1"},
				{"service": "Ledger", "version": " v2.0.0 ", "at": f.clock.Now().Add(26 * time.Hour).Format(time.RFC3339), "notes": "later"},
			}
			for _, body := range bodies {
				res := f.post(t, f.token, body)
				wantStatus(t, res, http.StatusCreated, "")
				id, _ := res.Body["id"].(string)
				got := f.getAuthed(t, "/api/releases/"+id)
				if !jsonEqual(got.Body, res.Body) {
					t.Errorf("201 body differs from GET /api/releases/%s:\n%s\n%s", id, res.Raw, got.Raw)
				}
				if audit, _ := res.Body["audit"].([]any); len(audit) != 1 {
					t.Errorf("audit %v, want the created event", res.Body["audit"])
				}
			}
		})
	}
}

// Every audited use of a token, whichever way it was written (in a
// create's transaction, after a repeat or a refusal, a revoked token's
// refusal), joins the tamper-evident chain: sealed, the chain is intact.
func TestCIUsesJoinTheChain(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			f := newCIFixture(t, db.URL(t))
			body := map[string]any{"service": "ledger", "version": "v1", "digest": digestA, "idempotency_key": "run-1"}
			wantStatus(t, f.post(t, f.token, body), http.StatusCreated, "")
			wantStatus(t, f.post(t, f.token, body), http.StatusOK, "")
			wantStatus(t, f.post(t, f.token, map[string]any{"service": "ledger", "version": "v1", "digest": digestB}), http.StatusConflict, "")
			if err := (ci.Tokens{Store: f.store, Now: f.clock.Now}).Revoke(t.Context(), "ci-payments"); err != nil {
				t.Fatal(err)
			}
			wantStatus(t, f.post(t, f.token, map[string]any{"service": "ledger", "version": "v2"}), http.StatusUnauthorized, "revoked")
			// Another test's sealer may hold the database's seal lock a while.
			for i := 0; ; i++ {
				n, busy, err := f.store.Seal(t.Context(), 0)
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 && !busy {
					break
				}
				if i > 100000 {
					t.Fatal("the chain was never sealed")
				}
			}
			rep, err := releases.VerifyChain(t.Context(), f.store, "")
			if err != nil {
				t.Fatal(err)
			}
			uses := f.auditActions(t, "ci:ci-payments")
			if !rep.Intact() || rep.Unsealed != 0 || len(uses) != 4 || rep.Checked < int64(len(uses))+3 {
				t.Errorf("chain %+v after the uses %q; want every event sealed, intact", rep, uses)
			}
		})
	}
}
