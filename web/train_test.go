package web_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/releasebot/releasebot/releases"
)

// A train's JSON carries its name and every component; service and
// version belong to one-service releases. Every page that shows a release
// shows a train too, and a descoped component is marked.
func TestTrainJSONAndPages(t *testing.T) {
	d := newDashboard(t, nil)
	ctx := context.Background()
	r := mustRelease(t)(d.svc.Create(ctx, dave, releases.CreateInput{Name: "checkout-q3", Components: []releases.ComponentInput{
		{Service: "payments-api", Version: "v2.4.0"}, {Service: "ledger", Version: "v1.9.0", Digest: "sha256:abc"}}}))
	r = mustRelease(t)(d.svc.Descope(ctx, dave, r.ID, "ledger", "schema not ready"))
	id := releases.FormatID(r.ID)
	got := d.get(t, "/api/releases/"+id)
	if got.Code != http.StatusOK {
		t.Fatalf("GET: %d %s", got.Code, got.Raw)
	}
	want := decode(t, `{"name": "checkout-q3", "components": [
	  {"service": "payments-api", "version": "v2.4.0", "digest": ""},
	  {"service": "ledger", "version": "v1.9.0", "digest": "sha256:abc", "descoped": true, "descope_reason": "schema not ready"}]}`)
	for _, k := range []string{"name", "components"} {
		diffJSON(t, map[string]any{k: got.Body[k]}, map[string]any{k: want[k]})
	}
	for _, k := range []string{"service", "version"} {
		if v, ok := got.Body[k]; ok {
			t.Errorf("a train's JSON has %s = %v", k, v)
		}
	}
	list := d.get(t, "/api/releases?service=ledger")
	if items, _ := list.Body["releases"].([]any); len(items) != 1 {
		t.Errorf("list by a train's service: %v", list.Body)
	}
	for _, path := range []string{"/releases/" + id, "/", "/windows", "/calendar.ics"} {
		if p := d.page(t, path); p.Code != http.StatusOK {
			t.Errorf("GET %s: %d", path, p.Code)
		}
	}
	mustContain(t, "release page", d.page(t, "/releases/"+id).Body, "checkout-q3", "payments-api v2.4.0", "ledger v1.9.0 (descoped)")
}
