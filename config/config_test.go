package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// env returns a getenv over vars; missing names are unset.
func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

const (
	stagingSecret = "staging-secret-0123456789"
	prodSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
)

var designEnv = env(map[string]string{
	"STAGING_DEPLOY_SECRET": stagingSecret,
	"PROD_DEPLOY_SECRET":    prodSecret,
})

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// mustParse parses text that the test expects to be valid.
func mustParse(t *testing.T, text string, getenv func(string) string) *Config {
	t.Helper()
	cfg, err := Parse("test.yaml", []byte(text), getenv)
	if err != nil {
		t.Fatalf("Parse: unexpected problems:\n%v", err)
	}
	return cfg
}

// problemsOf parses text that the test expects to be invalid.
func problemsOf(t *testing.T, text string, getenv func(string) string) Problems {
	t.Helper()
	cfg, err := Parse("test.yaml", []byte(text), getenv)
	if err == nil {
		t.Fatalf("Parse: want problems, got a config: %+v", cfg)
	}
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Parse: error is %T, want Problems: %v", err, err)
	}
	if cfg != nil {
		t.Errorf("Parse returned a config together with problems")
	}
	return ps
}

// minimal is the smallest valid configuration; tests append sections.
const minimal = `
teams:
  - name: payments
    channel: C0PAY
    leads: [U0ALICE]
environments:
  - name: staging
    deploy: {url: "log:staging"}
`

func TestParseDesignExample(t *testing.T) {
	cfg, err := Parse("releasebot.yaml", readTestdata(t, "releasebot.yaml"), designEnv)
	if err != nil {
		t.Fatalf("the example testdata/releasebot.yaml does not parse:\n%v", err)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	plus1 := time.FixedZone("", 3600)

	staging, _ := cfg.Environment("staging")
	production, _ := cfg.Environment("production")
	payments, _ := cfg.Team("payments")
	train, _ := cfg.Window("weekly-train")
	tests := []struct {
		name      string
		got, want any
	}{
		{name: "source", got: cfg.Source, want: "releasebot.yaml"},
		{name: "timezone", got: cfg.Timezone, want: "Europe/Berlin"},
		{name: "location", got: cfg.Location.String(), want: "Europe/Berlin"},
		{name: "release managers", got: cfg.ReleaseManagers, want: []string{"U0RM1"}},
		{name: "distinct approver", got: cfg.RequireDistinctApprover, want: true},
		{name: "teams", got: len(cfg.Teams), want: 1},
		{name: "team", got: payments, want: Team{Name: "payments", Channel: "C0PAY", Leads: []string{"U0ALICE", "U0BOB"}, Approvals: 1}},
		{name: "environment order", got: []string{cfg.Environments[0].Name, cfg.Environments[1].Name}, want: []string{"staging", "production"}},
		{name: "staging", got: staging, want: Environment{Name: "staging", Promote: "auto", Deploy: Deploy{
			URL: "https://deploy.example.com/hooks/staging", Secret: stagingSecret,
			Timeout: 10 * time.Second, Retries: 8, Backoff: 2 * time.Second, FinishWithin: 30 * time.Minute}}},
		{name: "production with defaults", got: production, want: Environment{Name: "production", Promote: "manual", Confirm: true, Deploy: Deploy{
			URL: "https://deploy.example.com/hooks/prod", Secret: prodSecret,
			Timeout: DefaultTimeout, Retries: DefaultRetries, Backoff: DefaultBackoff, FinishWithin: DefaultFinishWithin}}},
		{name: "secret revealed", got: production.Deploy.Secret.Reveal(), want: prodSecret},
		{name: "window", got: []any{train.Name, train.Schedule, train.Duration}, want: []any{"weekly-train", "0 14 * * TUE,THU", 2 * time.Hour}},
		{name: "window opens in Berlin time", got: train.Cron.Next(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)),
			want: time.Date(2026, 12, 1, 14, 0, 0, 0, berlin)},
		{name: "freezes", got: len(cfg.Freezes), want: 1},
		{name: "freeze name", got: cfg.Freezes[0].Name, want: "year-end"},
		{name: "freeze start", got: cfg.Freezes[0].Start.Equal(time.Date(2026, 12, 20, 0, 0, 0, 0, plus1)), want: true},
		{name: "freeze end", got: cfg.Freezes[0].End.Equal(time.Date(2027, 1, 4, 0, 0, 0, 0, plus1)), want: true},
		{name: "reminders", got: cfg.Reminders.BeforeWindow, want: 2 * time.Hour},
		{name: "summary", got: []any{cfg.Summaries[0].Name, cfg.Summaries[0].Schedule, cfg.Summaries[0].Channel, cfg.Summaries[0].Users},
			want: []any{"weekly", "0 9 * * MON", "C0MGMT", []string{"U0BOSS"}}},
		{name: "summary fires Monday 09:00 Berlin", got: cfg.Summaries[0].Cron.Next(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)),
			want: time.Date(2026, 12, 7, 9, 0, 0, 0, berlin)},
		{name: "users default empty", got: len(cfg.Users), want: 0},
		{name: "no warnings", got: len(cfg.WarningsAt(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))), want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if gt, ok := tt.got.(time.Time); ok {
				if !gt.Equal(tt.want.(time.Time)) {
					t.Errorf("got %v, want %v", gt, tt.want)
				}
				return
			}
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}
}

func TestParseDefaults(t *testing.T) {
	cfg := mustParse(t, minimal, nil)
	tests := []struct {
		name      string
		got, want any
	}{
		{name: "timezone", got: cfg.Timezone, want: "UTC"},
		{name: "location", got: cfg.Location, want: time.UTC},
		{name: "distinct approver on when absent", got: cfg.RequireDistinctApprover, want: true},
		{name: "approvals", got: cfg.Teams[0].Approvals, want: 1},
		{name: "the last environment confirms", got: cfg.Environments[0].Confirm, want: true},
		{name: "promote", got: cfg.Environments[0].Promote, want: "auto"},
		{name: "log url needs no secret", got: cfg.Environments[0].Deploy.Secret, want: Secret("")},
		{name: "is log", got: cfg.Environments[0].Deploy.TargetKind(), want: KindLog},
		{name: "reminders off", got: cfg.Reminders.BeforeWindow, want: time.Duration(0)},
		{name: "users not nil", got: cfg.Users != nil, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}
	off := mustParse(t, "require_distinct_approver: false\n"+minimal, nil)
	if off.RequireDistinctApprover {
		t.Errorf("require_distinct_approver: false was not honoured")
	}
}

func TestParseBrokenFileListsEveryProblem(t *testing.T) {
	_, err := Parse("broken.yaml", readTestdata(t, "broken.yaml"), nil)
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("want Problems, got %T: %v", err, err)
	}
	var lines []int
	for _, p := range ps {
		lines = append(lines, p.Line)
	}
	wantLines := []int{1, 2, 3, 5, 8, 9, 10, 12, 14, 18, 19, 20, 21, 23, 24, 26, 27, 29, 30, 34, 36, 38, 40}
	if !reflect.DeepEqual(lines, wantLines) {
		t.Errorf("problem lines = %v, want %v; problems:\n%v", lines, wantLines, err)
	}
	got := strings.Split(err.Error(), "\n")
	tests := []struct {
		name string
		want string
	}{
		{name: "bad timezone", want: `broken.yaml:1: timezone: unknown time zone "Europe/Berln"; use an IANA name such as Europe/Berlin, America/New_York or UTC`},
		{name: "name where id belongs", want: `broken.yaml:2: release_managers[1]: "alice" is not a Slack user id (U… or W… followed by capital letters and digits, e.g. U024BE7LH)`},
		{name: "yes is not a boolean", want: `broken.yaml:3: require_distinct_approver: expected true or false, got "yes"`},
		{name: "bad name", want: `broken.yaml:5: teams[0].name: "Payments" is not a valid name: use lowercase letters, digits, '-', '_' and '.', starting with a letter or digit`},
		{name: "misspelt key", want: `broken.yaml:8: teams[0]: unknown key "aprovals" (did you mean "approvals"?)`},
		{name: "missing channel", want: `broken.yaml:9: teams[1]: channel is required (a Slack channel id such as C0PAY, or a channel name)`},
		{name: "no leads", want: `broken.yaml:10: teams[1].leads: list at least one lead`},
		{name: "duplicate team", want: `broken.yaml:12: teams[2].name: "risk" is already used by teams[1] (line 9)`},
		{name: "duplicate lead", want: `broken.yaml:14: teams[2].leads[1]: U0CAROL is listed twice (first on line 14)`},
		{name: "url scheme", want: `broken.yaml:18: environments[0].deploy.url: scheme "ftp" is not supported; use https://, http:// or log:`},
		{name: "duration without unit", want: `broken.yaml:19: environments[0].deploy.timeout: expected a duration such as 90s, 10m or 2h, got "10"`},
		{name: "negative retries", want: `broken.yaml:20: environments[0].deploy.retries: must be between 0 and 100, got -1`},
		{name: "promote", want: `broken.yaml:21: environments[0].promote: must be auto or manual, got "sometimes"`},
		{name: "short secret, not quoted", want: `broken.yaml:23: environments[1].deploy.secret: is shorter than 16 bytes; use a longer random value or a whsec_… (base64) key`},
		{name: "key at the wrong level", want: `broken.yaml:24: environments[1]: unknown key "url" (it belongs under deploy:)`},
		{name: "missing duration", want: `broken.yaml:26: windows[0]: duration is required (how long the window stays open, e.g. 2h)`},
		{name: "cron error shown", want: `broken.yaml:29: windows[1].schedule: "61 2 * * *" is not a valid cron schedule: end of range (61) above maximum (59): 61; write 5 fields: minute hour day-of-month month day-of-week`},
		{name: "negative duration", want: `broken.yaml:30: windows[1].duration: must be a positive duration, got "-1h"`},
		{name: "freeze order", want: `broken.yaml:34: freezes[0].end: must be after start`},
		{name: "reminder", want: `broken.yaml:36: reminders.before_window: expected a duration such as 90s, 10m or 2h, got "soon"`},
		{name: "summary target", want: `broken.yaml:38: summaries[0]: give a channel, users, or both, to say where the summary goes`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, line := range got {
				if line == tt.want {
					return
				}
			}
			t.Errorf("missing line\n  %s\nin\n%s", tt.want, err)
		})
	}
}

func TestParseEnvironmentVariables(t *testing.T) {
	const text = minimal + `  - name: production
    deploy:
      url: https://deploy.example.com/${HOOK_PATH}
      secret: ${PROD_DEPLOY_SECRET}   # ${IN_A_COMMENT} is never looked up
`
	tests := []struct {
		name    string
		vars    map[string]string
		want    []string // problem lines; nil: valid
		wantURL string
	}{
		{name: "both set", vars: map[string]string{"HOOK_PATH": "prod", "PROD_DEPLOY_SECRET": "0123456789abcdef"},
			wantURL: "https://deploy.example.com/prod"},
		{name: "secret unset", vars: map[string]string{"HOOK_PATH": "prod"},
			want: []string{"test.yaml:12: environments[1].deploy.secret: ${PROD_DEPLOY_SECRET} is not set"}},
		{name: "empty counts as unset", vars: map[string]string{"HOOK_PATH": "", "PROD_DEPLOY_SECRET": ""},
			want: []string{
				"test.yaml:11: environments[1].deploy.url: ${HOOK_PATH} is not set",
				"test.yaml:12: environments[1].deploy.secret: ${PROD_DEPLOY_SECRET} is not set",
			}},
		{name: "nil getenv sets nothing", vars: nil,
			want: []string{
				"test.yaml:11: environments[1].deploy.url: ${HOOK_PATH} is not set",
				"test.yaml:12: environments[1].deploy.secret: ${PROD_DEPLOY_SECRET} is not set",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := env(tt.vars)
			if tt.vars == nil {
				getenv = nil
			}
			cfg, err := Parse("test.yaml", []byte(text), getenv)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("unexpected problems:\n%v", err)
				}
				if got := cfg.Environments[1].Deploy.URL; got != tt.wantURL {
					t.Errorf("url = %q, want %q", got, tt.wantURL)
				}
				return
			}
			if err == nil {
				t.Fatal("want problems, got none")
			}
			if got := err.Error(); got != strings.Join(tt.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", got, strings.Join(tt.want, "\n"))
			}
		})
	}

	t.Run("in a list and in flow style", func(t *testing.T) {
		cfg := mustParse(t, strings.Replace(minimal, "[U0ALICE]", "[${LEAD}, U0BOB]", 1), env(map[string]string{"LEAD": "U0ALICE"}))
		if got := cfg.Teams[0].Leads; !reflect.DeepEqual(got, []string{"U0ALICE", "U0BOB"}) {
			t.Errorf("leads = %v", got)
		}
	})
	t.Run("typed values", func(t *testing.T) {
		cfg := mustParse(t, strings.Replace(minimal, `{url: "log:staging"}`, `{url: "log:staging", retries: "${RETRIES}"}`, 1),
			env(map[string]string{"RETRIES": "3"}))
		if got := cfg.Environments[0].Deploy.Retries; got != 3 {
			t.Errorf("retries = %d, want 3", got)
		}
	})
	t.Run("file already using the placeholder brackets", func(t *testing.T) {
		cfg := mustParse(t, "# ⟦not a variable⟧\ntimezone: ${TZ}\n"+minimal, env(map[string]string{"TZ": "Europe/Berlin"}))
		if cfg.Timezone != "Europe/Berlin" {
			t.Errorf("timezone = %q", cfg.Timezone)
		}
	})
	t.Run("malformed reference", func(t *testing.T) {
		ps := problemsOf(t, "timezone: ${tz-name}\n"+minimal, env(nil))
		want := `test.yaml:1: timezone: has a "${" that does not start a ${NAME} reference (NAME: letters, digits and _)`
		if ps.Error() != want {
			t.Errorf("got\n%s\nwant\n%s", ps.Error(), want)
		}
	})
	t.Run("keys are not substituted", func(t *testing.T) {
		ps := problemsOf(t, "${KEY}: 1\n"+minimal, env(map[string]string{"KEY": "timezone"}))
		if !strings.Contains(ps.Error(), `test.yaml:1: unknown key "${KEY}"`) {
			t.Errorf("got %s", ps.Error())
		}
	})
}

func TestParseAnchorsAndMerges(t *testing.T) {
	text := `x-deploy: &deploy
  secret: ${SECRET}
  timeout: 5s
` + minimal + `  - name: production
    deploy:
      <<: *deploy
      url: https://deploy.example.com/prod
      timeout: 7s
`
	cfg := mustParse(t, text, env(map[string]string{"SECRET": "0123456789abcdef"}))
	d := cfg.Environments[1].Deploy
	if d.Secret.Reveal() != "0123456789abcdef" || d.Timeout != 7*time.Second || d.URL != "https://deploy.example.com/prod" {
		t.Errorf("merged deploy = %+v (secret %q)", d, d.Secret.Reveal())
	}

	ps := problemsOf(t, "x: &a {<<: *a}\nreminders: *a\n"+minimal, nil)
	if !strings.Contains(ps.Error(), "x") {
		t.Errorf("self-referencing anchor: %v", ps)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(good, []byte(minimal), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("timezone: Nowhere\n"+minimal), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.yaml")

	t.Run("valid file", func(t *testing.T) {
		cfg, err := Load(good, nil)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Source != good {
			t.Errorf("Source = %q, want %q", cfg.Source, good)
		}
	})
	t.Run("invalid file", func(t *testing.T) {
		_, err := Load(bad, nil)
		var ps Problems
		if !errors.As(err, &ps) || len(ps) != 1 || ps[0].File != bad || ps[0].Line != 1 {
			t.Errorf("got %#v", err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := Load(missing, nil)
		var ps Problems
		if err == nil || errors.As(err, &ps) {
			t.Fatalf("want an os error, got %#v", err)
		}
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
			t.Errorf("error %q should name %s and wrap fs.ErrNotExist", err, missing)
		}
	})
}

func TestLookups(t *testing.T) {
	cfg := Demo()
	tests := []struct {
		name string
		got  bool
		want bool
	}{
		{name: "team found", got: second(cfg.Team("risk")), want: true},
		{name: "team missing", got: second(cfg.Team("nope")), want: false},
		{name: "environment found", got: second(cfg.Environment("production")), want: true},
		{name: "environment missing", got: second(cfg.Environment("qa")), want: false},
		{name: "window found", got: second(cfg.Window("weekly-train")), want: true},
		{name: "window missing", got: second(cfg.Window("nightly")), want: false},
		{name: "user by name", got: first(cfg.UserID("alice")) == "U0ALICE", want: true},
		{name: "user by id", got: first(cfg.UserID("U0XYZ")) == "U0XYZ", want: true},
		{name: "unknown user", got: second(cfg.UserID("zed")), want: false},
		{name: "user name", got: cfg.UserName("U0RM1") == "rita", want: true},
		{name: "user name falls back to id", got: cfg.UserName("U0XYZ") == "U0XYZ", want: true},
		{name: "user names sorted", got: sort.StringsAreSorted(cfg.UserNames()) && len(cfg.UserNames()) == len(cfg.Users), want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func first[T any](v T, _ bool) T      { return v }
func second[T any](_ T, ok bool) bool { return ok }
