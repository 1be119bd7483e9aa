package webhooks_test

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/webhooks"
)

// The Standard Webhooks specification's published test vector.
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorPayload   = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignMatchesTheSpecVector(t *testing.T) {
	key, err := config.Secret(vectorSecret).SigningKey()
	if err != nil {
		t.Fatal(err)
	}
	if got := webhooks.Sign(key, vectorID, time.Unix(vectorTimestamp, 0), []byte(vectorPayload)); got != vectorSignature {
		t.Fatalf("Sign = %q, want the spec's %q", got, vectorSignature)
	}
	// The official library agrees on the vector, so the deployers of the
	// other tests check against the spec, not against us.
	wh, err := standardwebhooks.NewWebhook(vectorSecret)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := wh.Sign(vectorID, time.Unix(vectorTimestamp, 0), []byte(vectorPayload)); got != vectorSignature {
		t.Fatalf("the official library signs the vector %q", got)
	}
}

func TestSignRawSecret(t *testing.T) {
	const secret = "not-a-whsec-secret"
	key, _ := config.Secret(secret).SigningKey()
	ts := time.Unix(1700000000, 0)
	body := []byte(`{"status":"succeeded"}`)
	wh, _ := standardwebhooks.NewWebhookRaw([]byte(secret))
	want, _ := wh.Sign("msg_1", ts, body)
	if got := webhooks.Sign(key, "msg_1", ts, body); got != want {
		t.Fatalf("raw secret: Sign = %q, the library %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	key, _ := config.Secret(vectorSecret).SigningKey()
	now := time.Unix(vectorTimestamp, 0)
	headers := func(id, ts, sig string) http.Header {
		h := http.Header{}
		for k, v := range map[string]string{"webhook-id": id, "webhook-timestamp": ts, "webhook-signature": sig} {
			if v != "" {
				h.Set(k, v)
			}
		}
		return h
	}
	ts := strconv.Itoa(vectorTimestamp)
	tests := []struct {
		name string
		h    http.Header
		body string
		now  time.Time
		want error
	}{
		{name: "the spec vector", h: headers(vectorID, ts, vectorSignature), want: nil},
		{name: "one of several signatures", h: headers(vectorID, ts, "v1a,xyz v1,AAAA "+vectorSignature), want: nil},
		{name: "4m59s late", h: headers(vectorID, ts, vectorSignature), now: now.Add(5*time.Minute - time.Second), want: nil},
		{name: "5m01s late", h: headers(vectorID, ts, vectorSignature), now: now.Add(5*time.Minute + time.Second), want: webhooks.ErrStale},
		{name: "5m01s early", h: headers(vectorID, ts, vectorSignature), now: now.Add(-5*time.Minute - time.Second), want: webhooks.ErrStale},
		{name: "other body", h: headers(vectorID, ts, vectorSignature), body: `{"test": 2432232315}`, want: webhooks.ErrBadSignature},
		{name: "other id", h: headers("msg_other", ts, vectorSignature), want: webhooks.ErrBadSignature},
		{name: "other version", h: headers(vectorID, ts, "v2"+vectorSignature[2:]), want: webhooks.ErrBadSignature},
		{name: "not base64", h: headers(vectorID, ts, "v1,!!!"), want: webhooks.ErrBadSignature},
		{name: "no signature", h: headers(vectorID, ts, ""), want: webhooks.ErrMissingHeaders},
		{name: "no id", h: headers("", ts, vectorSignature), want: webhooks.ErrMissingHeaders},
		{name: "timestamp in milliseconds", h: headers(vectorID, ts+"000", vectorSignature), want: webhooks.ErrStale},
		{name: "timestamp not a number", h: headers(vectorID, "yesterday", vectorSignature), want: webhooks.ErrBadTimestamp},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, at := tc.body, tc.now
			if body == "" {
				body = vectorPayload
			}
			if at.IsZero() {
				at = now
			}
			if err := webhooks.Verify(key, tc.h, []byte(body), at); !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}
