package slack

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	slackgo "github.com/slack-go/slack"
)

// parseSlashCommand reads what slack-go's SlashCommandParse reads from the
// same body, and refuses what it refuses.
func TestParseSlashCommandAsSlackGo(t *testing.T) {
	for _, body := range []string{
		"token=t&team_id=T0001&team_domain=acme&channel_id=C0REL&channel_name=releases&user_id=U0DAVE&user_name=dave" +
			"&command=%2Frelease&text=status+R-1&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1%2F2" +
			"&trigger_id=1.2.3&api_app_id=A0APP&is_enterprise_install=false&enterprise_id=E1&enterprise_name=Big+Co",
		"user_id=U1&user_id=U2&text=&text=second&channel_id=C1",       // the first value wins, even an empty one
		"text=a%26b%3Dc+%F0%9F%9A%80&user_id=U1&&channel_id=C1&x=1&=", // escapes, empty pairs, unknown keys
		"is_enterprise_install=true&is_enterprise_install=false&user_id=U1",
		"text=50%&user_id=U1",      // a bad escape
		"text=a;b&user_id=U1",      // a semicolon
		"user_id=U1&te%ZZxt=hello", // a bad escape in a key
		"",
	} {
		r := httptest.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(body))
		r.Header.Set("Content-Type", formType)
		want, wantErr := slackgo.SlashCommandParse(r)
		got, err := parseSlashCommand([]byte(body))
		if (err != nil) != (wantErr != nil) {
			t.Errorf("%q: error %v, slack-go's %v", body, err, wantErr)
			continue
		}
		if err == nil && got != want {
			t.Errorf("%q:\n got %+v\nwant %+v", body, got, want)
		}
	}
}
