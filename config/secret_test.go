package config

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// canary is a secret value that must never show up in any output.
const canary = "CANARY-s3cr3t-7f1e2d3c4b5a6978"

func TestSecretNeverPrinted(t *testing.T) {
	text := minimal + `  - name: production
    deploy:
      url: https://deploy.example.com/prod
      secret: ${PROD_DEPLOY_SECRET}
`
	cfg := mustParse(t, text, env(map[string]string{"PROD_DEPLOY_SECRET": canary}))
	if got := cfg.Environments[1].Deploy.Secret.Reveal(); got != canary {
		t.Fatalf("Reveal() = %q, want the canary", got)
	}
	secret := cfg.Environments[1].Deploy.Secret

	var text1, json1 bytes.Buffer
	slog.New(slog.NewTextHandler(&text1, nil)).Info("loaded", "config", cfg, "secret", secret, "deploy", cfg.Environments[1].Deploy)
	slog.New(slog.NewJSONHandler(&json1, nil)).Info("loaded", "config", cfg, "secret", secret, "deploy", cfg.Environments[1].Deploy)
	jsonCfg, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	text2, err := secret.MarshalText()
	if err != nil {
		t.Fatal(err)
	}

	outputs := []struct {
		name string
		out  string
	}{
		{name: "%v config", out: fmt.Sprintf("%v", cfg)},
		{name: "%+v config", out: fmt.Sprintf("%+v", cfg)},
		{name: "%#v config", out: fmt.Sprintf("%#v", cfg)},
		{name: "%v config value", out: fmt.Sprintf("%v", *cfg)},
		{name: "%+v environments", out: fmt.Sprintf("%+v", cfg.Environments)},
		{name: "%#v deploy", out: fmt.Sprintf("%#v", cfg.Environments[1].Deploy)},
		{name: "%s secret", out: fmt.Sprintf("%s", secret)},
		{name: "%q secret", out: fmt.Sprintf("%q", secret)},
		{name: "%x secret", out: fmt.Sprintf("%x", secret)},
		{name: "%X deploy", out: fmt.Sprintf("%X", cfg.Environments[1].Deploy)},
		{name: "%d secret", out: fmt.Sprintf("%d", secret)},
		{name: "String", out: secret.String()},
		{name: "GoString", out: secret.GoString()},
		{name: "Sprint", out: fmt.Sprint(secret, cfg)},
		{name: "Println", out: fmt.Sprintln(secret)},
		{name: "json", out: string(jsonCfg)},
		{name: "text", out: string(text2)},
		{name: "slog text", out: text1.String()},
		{name: "slog json", out: json1.String()},
	}
	for _, o := range outputs {
		t.Run(o.name, func(t *testing.T) {
			if strings.Contains(o.out, canary) || strings.Contains(o.out, fmt.Sprintf("%x", canary)) ||
				strings.Contains(strings.ToLower(o.out), strings.ToLower(fmt.Sprintf("%X", canary))) {
				t.Errorf("secret leaked: %s", o.out)
			}
			if !strings.Contains(o.out, "[redacted]") {
				t.Errorf("no [redacted] in %s", o.out)
			}
		})
	}
}

func TestSecretNeverInProblems(t *testing.T) {
	tests := []struct {
		name   string
		secret string
		extra  string // appended to the config, to cause other problems
	}{
		{name: "valid secret, other problems", secret: canary, extra: "timezone: Nowhere\n"},
		{name: "short secret", secret: "CANARY-1"},
		{name: "bad whsec", secret: "whsec_CANARY!!!"},
		{name: "malformed reference in secret", secret: "CANARY-${oops"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := tt.extra + minimal + "  - name: production\n    deploy: {url: \"https://h.example.com/\", secret: ${S}}\n" +
				"  - name: inline\n    deploy: {url: \"https://h.example.com/\", secret: \"" + tt.secret + "\"}\n"
			ps := problemsOf(t, text, env(map[string]string{"S": tt.secret}))
			if strings.Contains(ps.Error(), "CANARY") || strings.Contains(fmt.Sprintf("%#v", ps), "CANARY") {
				t.Errorf("secret leaked into problems:\n%s", ps.Error())
			}
		})
	}
}

func TestSecretValidation(t *testing.T) {
	const reference = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" // Standard Webhooks test vector
	tests := []struct {
		name   string
		secret string
		want   string // "" = valid
	}{
		{name: "standard webhooks secret", secret: reference},
		{name: "plain 16 bytes", secret: "0123456789abcdef"},
		{name: "plain 15 bytes", secret: "0123456789abcde",
			want: "is shorter than 16 bytes; use a longer random value or a whsec_… (base64) key"},
		{name: "whsec not base64", secret: "whsec_not*base64",
			want: "whsec_ secret: the part after whsec_ is not valid base64 (standard alphabet, padded)"},
		{name: "whsec unpadded", secret: "whsec_dGVzdA",
			want: "whsec_ secret: the part after whsec_ is not valid base64 (standard alphabet, padded)"},
		{name: "whsec empty", secret: "whsec_", want: "whsec_ secret: the part after whsec_ is empty"},
		{name: "whsec of 1 byte", secret: "whsec_eA==",
			want: "whsec_ secret: the key after whsec_ is shorter than 24 bytes once decoded, as Standard Webhooks asks; generate one with: echo whsec_$(openssl rand -base64 32)"},
		{name: "whsec of 23 bytes", secret: "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 23)),
			want: "whsec_ secret: the key after whsec_ is shorter than 24 bytes once decoded, as Standard Webhooks asks; generate one with: echo whsec_$(openssl rand -base64 32)"},
		{name: "whsec of 24 bytes", secret: "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdefghijklmn"))},
		{name: "whsec of 64 bytes", secret: "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 64))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := strings.Replace(minimal, `{url: "log:staging"}`, `{url: "https://h.example.com/", secret: "`+tt.secret+`"}`, 1)
			cfg, err := Parse("test.yaml", []byte(text), nil)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected problems: %v", err)
				}
				if cfg.Environments[0].Deploy.Secret.Reveal() != tt.secret {
					t.Errorf("secret not kept")
				}
				return
			}
			want := "test.yaml:8: environments[0].deploy.secret: " + tt.want
			if err == nil || err.Error() != want {
				t.Errorf("got %v\nwant %s", err, want)
			}
		})
	}

	t.Run("signing key", func(t *testing.T) {
		key, err := Secret(reference).SigningKey()
		want, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(reference, "whsec_"))
		if err != nil || !bytes.Equal(key, want) {
			t.Errorf("SigningKey = %x, %v; want %x", key, err, want)
		}
		key, err = Secret("plain-secret-value").SigningKey()
		if err != nil || string(key) != "plain-secret-value" {
			t.Errorf("plain SigningKey = %q, %v", key, err)
		}
	})
}
