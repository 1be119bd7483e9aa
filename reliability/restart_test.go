package reliability

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases/storetest"
)

// TestRestartKeepsItsAddress: between a kill -9 and the restart no other
// process can take serve's port — the crash trials once flaked so: the
// restarted serve found "bind: address already in use", another trial's
// serve having taken the port, perhaps after talking to it — a request
// made meanwhile waits for, and is answered by, the restarted serve, and
// each run answers as itself.
func TestRestartKeepsItsAddress(t *testing.T) {
	st := newStack(t, storetest.Databases(t)[0].URL(t))
	runOf := func(h http.Header) string {
		v := h.Get(instanceHeader)
		return v[strings.LastIndex(v, ".")+1:]
	}
	healthz := func() (int, http.Header, error) {
		req, _ := http.NewRequest(http.MethodGet, st.srv.base+"/healthz", nil)
		code, h, _, err := doHeader(req)
		return code, h, err
	}
	if code, h, err := healthz(); err != nil || code != http.StatusOK || runOf(h) != "1" {
		t.Fatalf("first run: %d %v %v", code, h, err)
	}
	st.srv.kill()
	if ln, err := net.Listen("tcp", st.srv.addr); err == nil {
		ln.Close()
		t.Fatalf("after kill -9, serve's address %s was free for another test's serve to take", st.srv.addr)
	}
	type answer struct {
		code int
		h    http.Header
		err  error
	}
	meanwhile := make(chan answer, 1)
	go func() {
		code, h, err := healthz()
		meanwhile <- answer{code, h, err}
	}()
	st.srv.start()
	select {
	case a := <-meanwhile:
		if a.err != nil || a.code != http.StatusOK || runOf(a.h) != "2" {
			t.Errorf("a request made while serve was down: %d %v %v, want 200 from the second run", a.code, a.h, a.err)
		}
	case <-time.After(15 * time.Second):
		t.Errorf("a request made while serve was down was not answered after the restart")
	}
	// The harness checks every answer's instance.
	if code, _, err := st.srv.get("/healthz"); err != nil || code != http.StatusOK {
		t.Errorf("after the restart: %d %v", code, err)
	}
}
