package bot

import (
	"strings"
	"testing"

	"github.com/releasebot/releasebot/releases"
)

// TestSummaryPostsAuditHead: a summary with the chain's head says it on a
// line of its own, in the text and the blocks; one without says nothing.
func TestSummaryPostsAuditHead(t *testing.T) {
	v := newView(settingsOf(announceConfig(t)))
	s := sampleSummary()
	hash := strings.Repeat("ab", 32)
	s.AuditHead = &releases.ChainHead{Seq: 1234, EventID: 1240, Hash: hash}
	m := v.summary(s)
	line := "Audit chain head: " + hash + " (1234 events)"
	if !strings.Contains(m.Text, "\n"+line) {
		t.Errorf("text lacks %q:\n%s", line, m.Text)
	}
	if last := m.Blocks[len(m.Blocks)-1]; last.Kind != BlockContext || !strings.Contains(last.Text, line) {
		t.Errorf("last block %+v; want a context block with %q", last, line)
	}
	if m := v.summary(sampleSummary()); strings.Contains(m.Text, "Audit chain head") {
		t.Errorf("a summary without a head mentions one:\n%s", m.Text)
	}
}
