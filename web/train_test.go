package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
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

// seedTrain opens the train checkout-q3 of three components, signs it off
// and reports staging: payments-api deployed (with its run), ledger
// failed, risk-engine still in progress. It returns the train.
func seedTrain(t testing.TB, d *dashboard) *releases.Release {
	t.Helper()
	ctx := context.Background()
	must := mustRelease(t)
	r := must(d.svc.Create(ctx, dave, releases.CreateInput{Name: "checkout-q3", Components: []releases.ComponentInput{
		{Service: "payments-api", Version: "v2.4.0"}, {Service: "ledger", Version: "v1.9.0", Digest: "sha256:abc123"},
		{Service: "risk-engine", Version: "v3.1.0"}}}))
	d.clock.Advance(time.Minute)
	must(d.svc.SignOff(ctx, alice, r.ID, "payments"))
	r = must(d.svc.SignOff(ctx, carol, r.ID, "risk"))
	report := func(service string, st releases.DeploymentStatus, url string) {
		t.Helper()
		dep, ok := r.ComponentDeployment("staging", service)
		if !ok {
			t.Fatalf("no staging deployment of %s in %+v", service, r.Deployments)
		}
		d.clock.Advance(time.Minute)
		d.markSent(t, dep.ID)
		r = must(d.svc.ReportDeployment(ctx, "deployer", dep.ID, releases.StatusReport{Status: st, URL: url}))
	}
	report("payments-api", releases.DeploymentSucceeded, "https://ci.example.com/runs/20")
	report("risk-engine", releases.DeploymentInProgress, "")
	report("ledger", releases.DeploymentFailed, "https://ci.example.com/runs/21")
	return r
}

// matrixRow returns the matrix row of service on a release page.
func matrixRow(t testing.TB, body, service string) string {
	t.Helper()
	start := strings.Index(body, `data-service="`+service+`"`)
	if start < 0 {
		t.Fatalf("no matrix row for %s in:\n%s", service, body)
	}
	end := strings.Index(body[start:], "</tr>")
	return body[start : start+end]
}

// A train's page shows a matrix of components × environments: each cell
// the newest deployment of that component there, with its run; the
// timeline names each deployment's service; the list shows the train's
// name and component count, and an environment chip that is failed when
// one component failed there, though another succeeded.
func TestTrainMatrix(t *testing.T) {
	d := newDashboard(t, nil)
	r := seedTrain(t, d)
	id := releases.FormatID(r.ID)
	body := d.page(t, "/releases/"+id).Body
	mustContain(t, "release page", body, `<table class="matrix" id="matrix">`,
		`<th scope="col">Component</th><th scope="col">staging</th><th scope="col">production</th>`,
		"checkout-q3", "3 components")
	pay := matrixRow(t, body, "payments-api")
	mustContain(t, "payments-api's row", pay, `<th scope="row">`, "<code>v2.4.0</code>", "st-succeeded",
		`href="https://ci.example.com/runs/20"`, "not started")
	mustContain(t, "ledger's row", matrixRow(t, body, "ledger"), "<code>v1.9.0</code>", "sha256:abc123", "st-failed",
		`href="https://ci.example.com/runs/21"`)
	mustContain(t, "risk-engine's row", matrixRow(t, body, "risk-engine"), "st-in_progress")
	if n := strings.Count(pay, "<td "); n != 2 {
		t.Errorf("payments-api's row has %d cells, want one per environment (2):\n%s", n, pay)
	}
	mustContain(t, "timeline", body, "Created checkout-q3: payments-api v2.4.0, ledger v1.9.0, risk-engine v3.1.0",
		"to staging", "payments-api v2.4.0 to staging", "ledger v1.9.0 to staging")
	mustContain(t, "next step", body, "Failed in staging (ledger v1.9.0)", "retry with /release retry R-1 --service ledger",
		"roll staging back with /release rollback R-1 --env staging", "descope ledger with /release descope R-1 ledger")

	list := d.page(t, "/").Body
	row := list[strings.Index(list, `data-id="`+id+`"`):]
	row = row[:strings.Index(row, "</tr>")]
	mustContain(t, "list row", row, `<span class="train">checkout-q3</span>`, "3 components", `e-failed" title="staging: failed"`)
	mustNotContain(t, "list row", row, `href="/?service=payments-api"`)

	// Descoped, a component stays in the matrix, marked, with the reason.
	mustRelease(t)(d.svc.Descope(context.Background(), dave, r.ID, "ledger", "schema not ready"))
	body = d.page(t, "/releases/"+id).Body
	mustContain(t, "release page", body, `<tr class="component descoped" data-service="ledger">`)
	mustContain(t, "descoped row", matrixRow(t, body, "ledger"), ">descoped<", "schema not ready", "st-failed")
}

// A one-service release keeps its page: no matrix, the service and
// version in the heading.
func TestOneServiceHasNoMatrix(t *testing.T) {
	d := newDashboard(t, nil)
	r := mustRelease(t)(d.svc.Create(context.Background(), dave, releases.CreateInput{Service: "ledger", Version: "v1.0.0"}))
	body := d.page(t, "/releases/"+releases.FormatID(r.ID)).Body
	mustContain(t, "release page", body, "ledger <code>v1.0.0</code>", "Created ledger v1.0.0")
	mustNotContain(t, "release page", body, `id="matrix"`)
}

// A scheduled train's calendar event is summed up by its name and
// component count; its description lists every component, one a line,
// the descoped one marked with its reason.
func TestTrainCalendarEvent(t *testing.T) {
	d := newDashboard(t, nil)
	ctx := context.Background()
	r := mustRelease(t)(d.svc.Create(ctx, dave, releases.CreateInput{Name: "checkout-q3",
		StartAt: time.Date(2026, 12, 10, 15, 0, 0, 0, time.UTC), Components: []releases.ComponentInput{
			{Service: "payments-api", Version: "v2.4.0"}, {Service: "ledger", Version: "v1.9.0", Digest: "sha256:abc"},
			{Service: "risk-engine", Version: "v3.1.0"}}}))
	mustRelease(t)(d.svc.Descope(ctx, dave, r.ID, "risk-engine", "rules freeze"))
	cal, err := ics.ParseCalendar(strings.NewReader(d.page(t, "/calendar.ics").Body))
	if err != nil {
		t.Fatal(err)
	}
	var ev *ics.VEvent
	for _, e := range cal.Events() {
		if e.Id() == "release-"+releases.FormatID(r.ID)+"@releasebot" {
			ev = e
		}
	}
	if ev == nil {
		t.Fatal("no event for the scheduled train")
	}
	if got, want := ev.GetProperty(ics.ComponentPropertySummary).Value, "R-1 checkout-q3 (3 components)"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	desc := ev.GetProperty(ics.ComponentPropertyDescription).Value
	want := "\n- payments-api v2.4.0\n- ledger v1.9.0 (sha256:abc)\n- risk-engine v3.1.0 — descoped: rules freeze"
	if !strings.Contains(desc, want) {
		t.Errorf("description %q lacks the components %q", desc, want)
	}
}
