package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases/storetest"
	"github.com/releasebot/releasebot/webhooks"
)

// The shell demo, held against the demo catalog with ledger's production
// target turned into a webhook: a misspelt service is refused with a
// suggestion, ledger needs only its owner's sign-off and reaches its
// deployer (with its vars) in production, payments-api deploys through the
// environments' log targets, and both end deployed.
func TestShellWalksTheCatalogToDeployed(t *testing.T) {
	const secret = "ledger-deploy-secret-0123456789"
	var mu sync.Mutex
	var got []webhooks.Payload
	deployer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		if err := webhooks.Verify([]byte(secret), r.Header, body, time.Now()); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var p webhooks.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, p)
		mu.Unlock()
		io.WriteString(w, `{"status": "succeeded", "message": "ledger rolled out"}`)
	}))
	defer deployer.Close()

	const logTarget = `production: {url: "log:ledger-production"}`
	demo, err := os.ReadFile("examples/catalog-demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(demo), logTarget) {
		t.Fatalf("examples/catalog-demo.yaml no longer gives ledger %s", logTarget)
	}
	yaml := strings.Replace(string(demo), logTarget,
		`production: {url: "`+deployer.URL+`/deploy", secret: "${LEDGER_DEPLOY_SECRET}"}`, 1)
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			mu.Lock()
			got = nil
			mu.Unlock()
			t.Chdir(t.TempDir())
			if err := os.WriteFile("releasebot.yaml", []byte(yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			vars := map[string]string{"DATABASE_URL": db.URL(t), "LEDGER_DEPLOY_SECRET": secret}
			script := strings.Join([]string{
				"/release create ledgr v1.9.0",
				"/release create ledger v1.9.0",
				"/as carol",
				"/release approve R-1",
				"/as dave",
				"/release create payments-api v2.4.0",
				"/as alice",
				"/release approve R-2",
				"/as carol",
				"/release approve R-2",
				"/release list",
			}, "\n")
			out, logs, err := runCmd(t, vars, script, "shell", "--verbose")
			if err != nil {
				t.Fatalf("shell: %v\n%s\n%s", err, out, logs)
			}
			for _, want := range []string{
				`There is no service "ledgr" in the catalog; did you mean ledger?`,
				"ledger rolled out", // the webhook deployer's answer, in the thread
				"R-1 · ledger v1.9.0 🎉 deployed",
				"R-2 · payments-api v2.4.0 🎉 deployed",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("shell output lacks %q\n%s", want, out)
				}
			}
			if strings.Contains(out, "[m2] #C0PAY") {
				t.Errorf("ledger's release asked payments, which does not own it, to sign off:\n%s", out)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(got) != 1 || got[0].Service != "ledger" || got[0].Environment != "production" || got[0].Version != "v1.9.0" {
				t.Fatalf("the webhook deployer got %+v, want one request: ledger v1.9.0 to production", got)
			}
			if !strings.Contains(logs, `"vars":{"REPLICAS":"6"}`) {
				t.Errorf("payments-api's production vars are not in the logged request:\n%s", logs)
			}
		})
	}
}

// config check reports every catalog problem with its line, and warns
// about an API reached over http://.
func TestConfigCheckCatalog(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.yaml")
	os.WriteFile(broken, []byte(`teams: [{name: payments, channel: C0PAY, leads: [U0ALICE]}]
environments:
  - name: staging
    deploy: {url: "log:staging"}
services:
  - name: a
    teams: [paymnts]
    depends_on: [b]
  - name: b
    teams: [payments]
    depends_on: [a]
    deploy:
      staging: {argocd: {server: "https://argocd.example.com", app: "{servce}"}}
`), 0o644)
	_, errOut, err := runCmd(t, nil, "", "config", "check", broken)
	if err == nil {
		t.Fatal("a broken catalog passed the check")
	}
	for _, want := range []string{
		broken + `:7: services[0].teams[0]: there is no team "paymnts" (did you mean "payments"?)`,
		broken + ":11: services[1].depends_on[0]: depends_on makes a cycle: a -> b -> a",
		broken + ":13: services[1].deploy.staging.argocd.app: unknown placeholder {servce} (did you mean {service}?)",
		broken + ":13: services[1].deploy.staging.argocd: token is required",
		"4 problem(s)",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("config check output lacks %q:\n%s", want, errOut)
		}
	}

	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte(`teams: [{name: payments, channel: C0PAY, leads: [U0ALICE]}]
environments:
  - name: staging
    deploy: {url: "log:staging"}
services:
  - name: a
    teams: [payments]
    deploy:
      staging: {argocd: {server: "http://argocd.test", app: "{service}", token: "${ARGOCD_TOKEN}"}}
`), 0o644)
	out, errOut, err := runCmd(t, map[string]string{"ARGOCD_TOKEN": "t"}, "", "config", "check", good)
	if err != nil {
		t.Fatalf("valid catalog: %v\n%s%s", err, out, errOut)
	}
	for _, want := range []string{
		good + ":9: warning: services[0].deploy.staging.argocd.server: uses http://",
		"1 service(s)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("config check output lacks %q:\n%s", want, out)
		}
	}
}
