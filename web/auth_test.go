package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/releasebot/releasebot/web"
)

const testToken = "s3cret-dashboard-token"

func TestToken(t *testing.T) {
	metricsHandler := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("# metrics\n")) })
	d := newDashboard(t, func(o *web.Options) { o.Token, o.Metrics = testToken, metricsHandler })
	seedStory(t, d)

	// A browser that opens a page with ?token= gets the cookie.
	signIn := d.do(t, httptest.NewRequest(http.MethodGet, "/?status=ready&token="+testToken, nil))
	var session *http.Cookie
	for _, c := range (&http.Response{Header: signIn.Header}).Cookies() {
		if c.Name == "releasebot_session" {
			session = c
		}
	}
	if session == nil {
		t.Fatalf("?token= set no session cookie: %v", signIn.Header)
	}
	if !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" || session.MaxAge <= 0 {
		t.Errorf("session cookie %+v, want HttpOnly, SameSite=Lax, Path=/ and a max age", session)
	}
	if strings.Contains(session.Value, testToken) {
		t.Error("the cookie holds the token itself")
	}

	type req struct {
		name     string
		path     string
		header   map[string]string
		cookie   *http.Cookie
		wantCode int
		wantIn   string // in the body
	}
	bearer := map[string]string{"Authorization": "Bearer " + testToken}
	tests := []req{
		{name: "page without token", path: "/", wantCode: http.StatusUnauthorized, wantIn: `<input type="password" name="token"`},
		{name: "release page without token", path: "/releases/R-1", wantCode: http.StatusUnauthorized},
		{name: "windows without token", path: "/windows", wantCode: http.StatusUnauthorized},
		{name: "feed without token", path: "/calendar.ics", wantCode: http.StatusUnauthorized, wantIn: "Subscribe to /calendar.ics?token=TOKEN"},
		{name: "API without token", path: "/api/releases", wantCode: http.StatusUnauthorized, wantIn: `{"error":"This releasebot needs its dashboard token`},
		{name: "API item without token", path: "/api/releases/R-1", wantCode: http.StatusUnauthorized},

		{name: "page with bearer", path: "/", header: bearer, wantCode: http.StatusOK},
		{name: "API with bearer", path: "/api/releases", header: bearer, wantCode: http.StatusOK},
		{name: "bearer in lower case", path: "/api/releases", header: map[string]string{"Authorization": "bearer " + testToken}, wantCode: http.StatusOK},
		{name: "wrong bearer", path: "/api/releases", header: map[string]string{"Authorization": "Bearer nope"}, wantCode: http.StatusUnauthorized},
		{name: "basic auth", path: "/", header: map[string]string{"Authorization": "Basic " + testToken}, wantCode: http.StatusUnauthorized},
		{name: "wrong bearer beats a good cookie", path: "/", header: map[string]string{"Authorization": "Bearer nope"}, cookie: session, wantCode: http.StatusUnauthorized},

		{name: "page with cookie", path: "/", cookie: session, wantCode: http.StatusOK},
		{name: "windows with cookie", path: "/windows", cookie: session, wantCode: http.StatusOK},
		{name: "feed with cookie", path: "/calendar.ics", cookie: session, wantCode: http.StatusOK},
		{name: "API with cookie", path: "/api/releases/R-1", cookie: session, wantCode: http.StatusOK},
		{name: "forged cookie", path: "/", cookie: &http.Cookie{Name: "releasebot_session", Value: testToken}, wantCode: http.StatusUnauthorized},

		{name: "feed with ?token", path: "/calendar.ics?token=" + testToken, wantCode: http.StatusOK, wantIn: "BEGIN:VCALENDAR"},
		{name: "API with ?token", path: "/api/releases?token=" + testToken, wantCode: http.StatusOK},
		{name: "page with a wrong ?token", path: "/?token=nope", wantCode: http.StatusUnauthorized},
		{name: "feed with a wrong ?token", path: "/calendar.ics?token=nope", wantCode: http.StatusUnauthorized},
		{name: "empty ?token", path: "/?token=", wantCode: http.StatusUnauthorized},

		{name: "healthz is open", path: "/healthz", wantCode: http.StatusOK},
		{name: "readyz is open", path: "/readyz", wantCode: http.StatusOK},
		{name: "metrics are open", path: "/metrics", wantCode: http.StatusOK, wantIn: "# metrics"},
		{name: "assets are open", path: "/static/style.css", wantCode: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tt.path, nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			if tt.cookie != nil {
				r.AddCookie(tt.cookie)
			}
			got := d.do(t, r)
			if got.Code != tt.wantCode {
				t.Fatalf("GET %s: %d, want %d\n%s", tt.path, got.Code, tt.wantCode, got.Body)
			}
			if tt.wantCode == http.StatusUnauthorized && got.Header.Get("WWW-Authenticate") != `Bearer realm="releasebot"` {
				t.Errorf("WWW-Authenticate %q", got.Header.Get("WWW-Authenticate"))
			}
			if !strings.Contains(got.Body, tt.wantIn) {
				t.Errorf("body lacks %q:\n%s", tt.wantIn, got.Body)
			}
		})
	}

	t.Run("page with ?token redirects without it", func(t *testing.T) {
		if signIn.Code != http.StatusSeeOther {
			t.Fatalf("status %d, want 303", signIn.Code)
		}
		if loc := signIn.Header.Get("Location"); loc != "/?status=ready" {
			t.Errorf("Location %q, want /?status=ready", loc)
		}
	})
	t.Run("secure cookie behind TLS", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodGet, "/windows?token="+testToken, nil)
		r.Header.Set("X-Forwarded-Proto", "https")
		if c := d.do(t, r).Header.Get("Set-Cookie"); !strings.Contains(c, "Secure") {
			t.Errorf("Set-Cookie %q, want Secure", c)
		}
	})
	t.Run("the token is never logged", func(t *testing.T) {
		if logs := d.logs.String(); strings.Contains(logs, testToken) {
			t.Errorf("the log holds the token:\n%s", logs)
		}
	})
}
