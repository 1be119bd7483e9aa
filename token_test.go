package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/releasebot/releasebot/releases/storetest"
)

// `releasebot token create` prints the token once (only its hash is
// kept), `token list` shows names and scopes but never a token, `token
// revoke` revokes by name.
func TestTokenCommands(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			vars := map[string]string{"DATABASE_URL": db.URL(t)}
			out, errOut, err := runCmd(t, vars, "", "token", "create", "--name", "ci-payments", "--services", "payments-api,ledger")
			if err != nil || !regexp.MustCompile(`^rbt_[A-Za-z0-9_-]{43}\n$`).MatchString(out) || !strings.Contains(errOut, "shown this once") {
				t.Fatalf("token create: %v\n%q\n%s", err, out, errOut)
			}
			tok := strings.TrimSpace(out)
			if _, errOut, err := runCmd(t, vars, "", "token", "create", "--name", "ci-payments", "--services", "web"); err == nil || !strings.Contains(errOut, "already") {
				t.Errorf("second create of the name: %v %s", err, errOut)
			}
			if _, errOut, err := runCmd(t, vars, "", "token", "create", "--name", "ci-x"); err == nil || !strings.Contains(errOut, "--services") {
				t.Errorf("create without services: %v %s", err, errOut)
			}
			out, _, err = runCmd(t, vars, "", "token", "list")
			if err != nil || !strings.Contains(out, "ci-payments") || !strings.Contains(out, "payments-api,ledger") || !strings.Contains(out, "active") || strings.Contains(out, tok) {
				t.Errorf("token list: %v\n%s", err, out)
			}
			if out, _, err := runCmd(t, vars, "", "token", "revoke", "ci-payments"); err != nil || !strings.Contains(out, "Revoked") {
				t.Errorf("token revoke: %v %s", err, out)
			}
			if out, _, _ := runCmd(t, vars, "", "token", "list"); !strings.Contains(out, "revoked") {
				t.Errorf("list after revoke:\n%s", out)
			}
			if _, errOut, err := runCmd(t, vars, "", "token", "revoke", "nope"); err == nil || !strings.Contains(errOut, "no token") {
				t.Errorf("revoke unknown: %v %s", err, errOut)
			}
		})
	}
}
