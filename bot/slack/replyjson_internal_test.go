package slack

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/bot"
)

// Texts that exercise every escape encoding/json makes.
var jsonTexts = []string{
	"",
	"*R-1 · payments-api v2.4.0*\n*Status:* :hourglass_flowing_sand: waiting\n*Opened by* <@U0DAVE> · window weekly-train\n> fixes the login bug",
	`quotes " and backslashes \ and <script>&amp;</script>`,
	"controls \x00\x01\b\f\n\r\t\x1f\x7f end",
	"invalid UTF-8 \xff\xfe and a cut rune \xe2\x82 and \xed\xa0\x80 (a surrogate)",
	"separators \u2028 and \u2029, emoji 🚀, accents é, CJK 漢字",
	strings.Repeat("long line ", 400),
}

// appendEphemeral writes, for text in sections, the very bytes
// encoding/json makes of ephemeralJSON.
func TestAppendEphemeralAsEncodingJSON(t *testing.T) {
	var msgs []bot.Message
	for _, s := range jsonTexts {
		msgs = append(msgs, bot.Text(s), bot.Message{Text: s})
	}
	msgs = append(msgs,
		bot.Message{Text: "two sections", Blocks: []bot.Block{bot.Section("one <1>"), bot.Section("")}},
		bot.Message{Text: "one <1>", Blocks: []bot.Block{bot.Section("other"), bot.Section("one <1>"), bot.Section("one <1>")}},
		bot.Text(strings.Repeat("line of a long answer\n", 400)), // several sections
	)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = byte(rng.IntN(256))
			if rng.IntN(3) == 0 { // mostly text, some of everything
				b[i] = "ab <>&\"\\\n\t·é"[rng.IntN(14)]
			}
		}
		msgs = append(msgs, bot.Text(string(b)))
	}
	for _, m := range msgs {
		got, ok := appendEphemeral(nil, m)
		if !ok {
			t.Fatalf("%q: not taken", m.Text)
		}
		want, err := json.Marshal(ephemeralJSON(m))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("for %q\n got %s\nwant %s", m.Text, got, want)
		}
	}
}

// Any other block leaves the answer to encoding/json.
func TestAppendEphemeralDeclines(t *testing.T) {
	for _, b := range []bot.Block{bot.Header("h"), bot.Context("c"), bot.Divider(), {Kind: bot.BlockSection, Fields: []string{"f"}},
		bot.Buttons("id", bot.Button{ActionID: "a", Value: "v", Label: "l"})} {
		if _, ok := appendEphemeral(nil, bot.Message{Text: "t", Blocks: []bot.Block{bot.Section("s"), b}}); ok {
			t.Errorf("%s block taken", b.Kind)
		}
	}
}

// replyEphemeral answers with the status, headers and body c.JSON gives,
// one answer after another, long and short, in the buffers it reuses.
func TestReplyEphemeralAsGinJSON(t *testing.T) {
	gin.SetMode(gin.TestMode)
	msgs := []bot.Message{{Text: "x", Blocks: []bot.Block{bot.Header("h")}}}
	for _, s := range append(jsonTexts, jsonTexts...) {
		msgs = append(msgs, bot.Text(s))
	}
	for _, m := range msgs {
		serve := func(h gin.HandlerFunc) *httptest.ResponseRecorder {
			r := gin.New()
			r.POST("/", h)
			w := httptest.NewRecorder()
			r.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", nil))
			return w
		}
		got := serve(func(c *gin.Context) { replyEphemeral(c, m) })
		want := serve(func(c *gin.Context) { c.JSON(http.StatusOK, ephemeralJSON(m)) })
		if got.Code != want.Code || !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) || len(got.Header()) != len(want.Header()) ||
			got.Header().Get("Content-Type") != want.Header().Get("Content-Type") {
			t.Errorf("got %d %v %s\nwant %d %v %s", got.Code, got.Header(), got.Body, want.Code, want.Header(), want.Body)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range jsonTexts {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("for %q\n got %s\nwant %s", s, got, want)
		}
	})
}
