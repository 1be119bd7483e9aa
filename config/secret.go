package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
)

// Secret is a deploy webhook secret. Every way of printing, logging or
// marshalling it (fmt with any verb, JSON, text, slog) shows "[redacted]";
// only Reveal and SigningKey give the value, for signing.
type Secret string

const redacted = "[redacted]"

// whsecPrefix marks a Standard Webhooks secret: base64 of the key.
const whsecPrefix = "whsec_"

// Reveal returns the secret's value. Call it only where the value is used
// (to sign or verify), never to print.
func (s Secret) Reveal() string { return string(s) }

// SigningKey returns the HMAC key the secret stands for: the base64-decoded
// part after "whsec_" for a Standard Webhooks secret, else the secret's own
// bytes. The error never contains the secret.
func (s Secret) SigningKey() ([]byte, error) {
	v := string(s)
	if !strings.HasPrefix(v, whsecPrefix) {
		return []byte(v), nil
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(v, whsecPrefix))
	if err != nil {
		return nil, errors.New("the part after whsec_ is not valid base64 (standard alphabet, padded)")
	}
	if len(key) == 0 {
		return nil, errors.New("the part after whsec_ is empty")
	}
	return key, nil
}

// String returns "[redacted]".
func (s Secret) String() string { return redacted }

// GoString returns "[redacted]", for %#v.
func (s Secret) GoString() string { return redacted }

// Format prints "[redacted]" for every verb, so %x or %q cannot leak the
// value either.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		_, _ = f.Write([]byte(strconv.Quote(redacted)))
		return
	}
	_, _ = f.Write([]byte(redacted))
}

// MarshalJSON returns the JSON string "[redacted]".
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText returns "[redacted]" (also used by YAML encoders).
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue makes slog print "[redacted]".
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// minSecretLen is the shortest plain secret accepted. Its bytes are the
// HMAC-SHA256 key, and 16 random bytes are 128 bits, above the 112 bits
// NIST asks of an HMAC key (SP 800-107); it is also the bound the README
// has always promised, so configs that passed keep passing.
const minSecretLen = 16

// minWhsecKeyLen is the shortest key a whsec_ secret may stand for, once
// decoded: Standard Webhooks asks for 24 to 64 bytes, and deployers'
// libraries may refuse shorter ones.
const minWhsecKeyLen = 24

// checkSecret checks a deploy secret without quoting it or telling its
// length.
func checkSecret(s Secret) string {
	if strings.HasPrefix(s.Reveal(), whsecPrefix) {
		key, err := s.SigningKey()
		if err != nil {
			return "whsec_ secret: " + err.Error()
		}
		if len(key) < minWhsecKeyLen {
			return fmt.Sprintf("whsec_ secret: the key after whsec_ is shorter than %d bytes once decoded, as Standard Webhooks asks; "+
				"generate one with: echo whsec_$(openssl rand -base64 32)", minWhsecKeyLen)
		}
		return ""
	}
	if len(s.Reveal()) < minSecretLen {
		return fmt.Sprintf("is shorter than %d bytes; use a longer random value or a whsec_… (base64) key", minSecretLen)
	}
	return ""
}
