package reliability

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/bot/slack/slacktest"
	"github.com/releasebot/releasebot/releases/storetest"
	"github.com/releasebot/releasebot/webhooks"
)

// forged is a log line that user text tries to smuggle into serve's log.
const forged = "\r\n{\"time\":\"2026-01-01T00:00:00Z\",\"level\":\"ERROR\",\"msg\":\"FORGED\"}\n"

// TestSecretsNeverLeak runs releases end to end with canary values for the
// Slack token, the signing secret and both deploy secrets, through the
// paths that log (retries, refused signatures, a failing Slack), and looks
// for the canaries in serve's log, the API, the dashboard, the metrics and
// the audit. User text with CR/LF must not forge a log line.
func TestSecretsNeverLeak(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			st := newStack(t, db.URL(t))
			slash := func(user, text string) string {
				code, body, err := st.srv.send(slacktest.SlashCommand{UserID: user, ChannelID: relChan, Text: text, ResponseURL: st.fake.NewResponseURL()}.Request())
				if err != nil || code != http.StatusOK {
					t.Fatalf("%s: %d %s %v", text, code, body, err)
				}
				return body
			}
			// R-1 walks to deployed; its notes try to forge a log line.
			st.fake.FailNext(1, slacktest.ServerError) // the card's first post fails: logged, retried
			id1, reqs := st.create(`create payments-api v5.0.0 --notes 'fixes` + forged + `the bug'`)
			st.react("EvS1", alice, reqs[payChan])
			st.react("EvS2", carol, reqs[rskChan])
			st.waitStatus(id1, "deployed", 30*time.Second)
			// R-2 is rejected with a reason that tries the same.
			id2, _ := st.create("create ledger v1.0.0")
			slash(alice, `reject `+id2+` 'bad`+forged+`build'`)
			st.waitStatus(id2, "rejected", 10*time.Second)
			// Refused requests log their reasons.
			bad := slacktest.Signer{Secret: "wrong"}.New(st.srv.base, slacktest.SlashCommand{UserID: dave, ChannelID: relChan, Text: "status"}.Request())
			do(bad)
			body := []byte(`{"status":"failed"}`)
			req, _ := http.NewRequest(http.MethodPost, st.srv.base+"/webhooks/deployments/D-1/status", strings.NewReader(string(body)))
			webhooks.SetHeaders(req.Header, []byte("wrong"), "msg_x", time.Now(), body)
			do(req)
			// The user text itself, with CR/LF, through a command that logs it.
			slash(dave, "status "+strings.TrimSpace(forged))
			// Request paths are logged: the same, percent-encoded.
			enc := strings.NewReplacer("\r", "%0D", "\n", "%0A", "\"", "%22", "{", "%7B", "}", "%7D", " ", "%20").Replace(forged)
			st.srv.get("/api/releases/R-1" + enc)
			st.srv.get("/releases/" + enc)
			req, _ = http.NewRequest(http.MethodPost, st.srv.base+"/webhooks/deployments/D-1"+enc+"/status", strings.NewReader("{}"))
			do(req)
			time.Sleep(200 * time.Millisecond)

			leak := func(where, text string) {
				t.Helper()
				for _, c := range canaries {
					if strings.Contains(text, c) {
						t.Errorf("secret %q appears in %s", c, where)
					}
				}
			}
			for _, path := range []string{"/api/releases", "/api/releases/" + id1, "/api/releases/" + id2, "/", "/releases/" + id1,
				"/releases/" + id2, "/windows", "/calendar.ics", "/metrics", "/healthz", "/readyz"} {
				code, body, err := st.srv.get(path)
				if err != nil || code != http.StatusOK {
					t.Errorf("GET %s: %d %v", path, code, err)
				}
				leak(path, body)
			}
			for _, c := range st.fake.Calls() {
				leak("a Slack message", c.Text+string(c.Blocks)+string(c.Body))
			}
			// The log: no canary, every line one JSON object, no forged line.
			st.srv.stop()
			logs := st.srv.logText()
			leak("serve's log", logs)
			f, _ := os.Open(st.srv.logs)
			defer f.Close()
			sc := bufio.NewScanner(f)
			sc.Buffer(nil, 1<<20)
			lines := 0
			for sc.Scan() {
				line := sc.Text()
				lines++
				var m map[string]any
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Errorf("log line %d is not one JSON object: %q", lines, line)
					continue
				}
				if m["msg"] == "FORGED" {
					t.Errorf("user text forged a log line: %q", line)
				}
			}
			t.Logf("user text with CR/LF reached the log %d times (escaped)", strings.Count(logs, "FORGED"))
			if !strings.Contains(logs, "FORGED") {
				t.Errorf("no user text reached the log: the CR/LF check checked nothing")
			}
			if lines < 10 || !strings.Contains(logs, "deployment webhook") {
				t.Errorf("the log is suspiciously short (%d lines)", lines)
			}
		})
	}
}
