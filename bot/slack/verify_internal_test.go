package slack

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	slackgo "github.com/slack-go/slack"
)

// verify's own signature check takes and refuses what slack-go's
// SecretsVerifier does: bodies of every size, signatures valid, tampered,
// in upper case and malformed, one MAC state after another from the pool.
func TestSignatureCheckAsSlackGo(t *testing.T) {
	const secret = "8f742231b10e8888abcd99yyyzzz85a5"
	s := NewSlack(SlackOptions{SigningSecret: secret})
	rng := rand.New(rand.NewPCG(3, 4))
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	sign := func(secret string, body []byte) string {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte("v0:" + ts + ":"))
		mac.Write(body)
		return "v0=" + hex.EncodeToString(mac.Sum(nil))
	}
	for i := range 3000 {
		body := make([]byte, rng.IntN(3000))
		for j := range body {
			body[j] = byte(rng.IntN(256))
		}
		sig := sign(secret, body)
		switch i % 7 {
		case 1:
			if len(body) > 0 {
				body[rng.IntN(len(body))] ^= 1 << rng.IntN(8) // tampered after signing
			}
		case 2:
			sig = strings.ToUpper(sig[:3])[:2] + "=" + strings.ToUpper(sig[3:]) // "V0=": refused by both
		case 3:
			sig = "v0=" + strings.ToUpper(sig[3:])
		case 4:
			sig = sign("another secret", body)
		case 5:
			sig = sig[:len(sig)-2] // short
		case 6:
			sig = sig[:10] + "zz" + sig[12:]
		}
		h := http.Header{}
		h.Set("X-Slack-Signature", sig)
		h.Set("X-Slack-Request-Timestamp", ts)

		want := false
		if sv, err := slackgo.NewSecretsVerifier(h, secret); err == nil {
			sv.Write(body)
			want = sv.Ensure() == nil
		}
		got := false
		if sigBytes, gotTS, err := s.signatureHeaders(h); err == nil {
			signed, err := readSigned(bytes.NewReader(body), gotTS, int64(len(body)))
			if err != nil {
				t.Fatal(err)
			}
			got = s.signedBySecret(signed, &sigBytes)
		}
		if got != want {
			t.Fatalf("case %d (%d bytes, signature %q): verify says %v, slack-go %v", i%7, len(body), sig, got, want)
		}
	}
}

// readSigned reads the whole body whatever length it was told, and in
// however small pieces it comes.
func TestReadSigned(t *testing.T) {
	body := []byte(strings.Repeat("token=x&text=status+R-1&", 50))
	for _, n := range []int64{-1, 0, 10, int64(len(body)) - 1, int64(len(body)), int64(len(body)) + 100, maxSlackBody + 1} {
		for _, r := range []io.Reader{bytes.NewReader(body), iotest.OneByteReader(bytes.NewReader(body)), iotest.HalfReader(bytes.NewReader(body))} {
			got, err := readSigned(r, "1700000000", n)
			if err != nil || string(got) != "v0:1700000000:"+string(body) {
				t.Fatalf("length %d: %v %.60q", n, err, got)
			}
		}
	}
	if _, err := readSigned(iotest.ErrReader(io.ErrUnexpectedEOF), "1", 5); err == nil {
		t.Error("a read error was not returned")
	}
}
