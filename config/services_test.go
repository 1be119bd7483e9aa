package config

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
)

var catalogEnv = env(map[string]string{
	"STAGING_DEPLOY_SECRET": stagingSecret,
	"ARGOCD_TOKEN":          "argocd-token",
	"GITHUB_TOKEN":          "github-token",
	"GITHUB_WEBHOOK_SECRET": "github-webhook-secret",
	"GITLAB_TRIGGER_TOKEN":  "gitlab-trigger",
	"GITLAB_WEBHOOK_TOKEN":  "gitlab-webhook",
})

func TestParseCatalog(t *testing.T) {
	cfg, err := Parse("catalog.yaml", readTestdata(t, "catalog.yaml"), catalogEnv)
	if err != nil {
		t.Fatalf("testdata/catalog.yaml does not parse:\n%v", err)
	}
	payments, _ := cfg.Service("payments-api")
	ledger, _ := cfg.Service("ledger")
	search, _ := cfg.Service("search")
	prodEnv, _ := cfg.Environment("production")
	stagingOfLedger, _ := cfg.DeployOf("ledger", "staging")
	prodOfLedger, _ := cfg.DeployOf("ledger", "production")
	stagingOfSearch, _ := cfg.DeployOf("search", "staging")
	tests := []struct {
		name      string
		got, want any
	}{
		{name: "services in file order, names lower-case", got: []string{cfg.Services[0].Name, cfg.Services[1].Name, cfg.Services[2].Name},
			want: []string{"payments-api", "ledger", "search"}},
		{name: "owners", got: [][]string{payments.Teams, ledger.Teams}, want: [][]string{{"payments"}, {"ledger", "risk"}}},
		{name: "repo", got: payments.Repo, want: "acme/payments-api"},
		{name: "depends_on", got: payments.DependsOn, want: []string{"ledger"}},
		{name: "vars", got: payments.Vars, want: map[string]map[string]string{"staging": {"REPLICAS": "2"}, "production": {"REPLICAS": "6"}}},
		{name: "github_actions", got: payments.Deploy["staging"].GitHubActions, want: GitHubActions{Repo: "acme/payments-api",
			Workflow: "deploy.yml", Ref: "main", Token: "github-token", WebhookSecret: "github-webhook-secret", APIURL: DefaultGitHubAPIURL}},
		{name: "kind from the key", got: []string{payments.Deploy["staging"].Kind, payments.Deploy["production"].Kind, ledger.Deploy["staging"].Kind},
			want: []string{KindGitHubActions, KindArgoCD, KindGitLab}},
		{name: "timing: own finish_within, the rest from the environment's deploy", got: []any{payments.Deploy["staging"].Timeout,
			payments.Deploy["staging"].Retries, payments.Deploy["staging"].Backoff, payments.Deploy["staging"].FinishWithin},
			want: []any{20 * time.Second, 2, DefaultBackoff, 20 * time.Minute}},
		{name: "timing taken from the environment's kind block too", got: payments.Deploy["production"].FinishWithin, want: 45 * time.Minute},
		{name: "argocd with the default revision", got: payments.Deploy["production"].ArgoCD, want: ArgoCD{Server: "https://argocd.example.com",
			App: "payments-api-prod", Revision: "{version}", Token: "argocd-token"}},
		{name: "environment's argocd keeps its placeholders", got: []string{prodEnv.Deploy.Kind, prodEnv.Deploy.ArgoCD.App},
			want: []string{KindArgoCD, "{service}-{environment}"}},
		{name: "gitlab", got: ledger.Deploy["staging"].GitLab, want: GitLab{URL: "http://gitlab.internal", Project: "acme/ledger",
			Ref: "{version}", TriggerToken: "gitlab-trigger", WebhookToken: "gitlab-webhook"}},
		{name: "DeployOf: the service's own", got: stagingOfLedger.Kind, want: KindGitLab},
		{name: "DeployOf: the environment's where the service has none", got: prodOfLedger.ArgoCD.App, want: "{service}-{environment}"},
		{name: "a service without deploy uses the environments'", got: []any{search.Deploy == nil, stagingOfSearch.URL},
			want: []any{true, "https://deploy.example.com/hooks/staging"}},
		{name: "http:// is a warning", got: warningLines(cfg.WarningsAt(jan2026), "http://"), want: []string{
			"catalog.yaml:29: services[1].deploy.staging.gitlab.url: uses http://, so its token travels unencrypted; use https:// outside tests"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}
	if _, ok := cfg.Service("Payments-API"); ok {
		t.Error("Service found a name by its written case; names are stored lower-case")
	}
}

// warningLines are the warnings that mention about (single-lead teams
// also draw the four-eyes warning, which these tests are not about).
func warningLines(ps []Problem, about string) []string {
	var out []string
	for _, p := range ps {
		if strings.Contains(p.Message, about) {
			out = append(out, p.String())
		}
	}
	return out
}

// catalogBase has three teams and two environments; tests append a
// services: section, which starts on line 9.
const catalogBase = `teams:
  - {name: payments, channel: C0PAY, leads: [U0ALICE]}
  - {name: ledger, channel: C0LED, leads: [U0BOB]}
environments:
  - name: staging
    deploy: {url: "log:staging"}
  - name: production
    deploy: {url: "log:production"}
services:
`

func TestParseCatalogProblems(t *testing.T) {
	tests := []struct {
		name string
		text string // after catalogBase; its first line is line 10
		vars map[string]string
		want []string // each must be a line of the error
	}{
		{name: "services not a list", text: "  name: a\n", want: []string{
			"test.yaml:10: services: expected a list (- name: payments-api), found a mapping (key: value)"}},
		{name: "name and teams required", text: "  - repo: acme/a\n", want: []string{
			"test.yaml:10: services[0]: name is required",
			"test.yaml:10: services[0]: teams is required (the teams that own the service and always sign its releases off)"}},
		{name: "bad name", text: "  - {name: \"../etc\", teams: [payments]}\n", want: []string{
			`test.yaml:10: services[0].name: "../etc" is not a service name; each part between slashes must start with a letter or digit, so empty, "." and ".." parts are not allowed`}},
		{name: "names are case-insensitive", text: "  - {name: api, teams: [payments]}\n  - {name: API, teams: [payments]}\n", want: []string{
			`test.yaml:11: services[1].name: "api" is already used by services[0] (line 10); service names are case-insensitive`}},
		{name: "unknown team", text: "  - {name: a, teams: [paymnts]}\n", want: []string{
			`test.yaml:10: services[0].teams[0]: there is no team "paymnts" (did you mean "payments"?)`}},
		{name: "no owners", text: "  - {name: a, teams: []}\n", want: []string{
			"test.yaml:10: services[0].teams: list at least one team"}},
		{name: "bad repo", text: "  - {name: a, teams: [payments], repo: payments-api}\n", want: []string{
			`test.yaml:10: services[0].repo: "payments-api" is not OWNER/NAME of a repository, such as acme/payments-api`}},
		{name: "unknown dependency", text: "  - {name: a, teams: [payments], depends_on: [ledgr]}\n  - {name: ledger, teams: [ledger]}\n", want: []string{
			`test.yaml:10: services[0].depends_on[0]: there is no service "ledgr" in services: (did you mean "ledger"?)`}},
		{name: "self dependency", text: "  - {name: a, teams: [payments], depends_on: [A]}\n", want: []string{
			"test.yaml:10: services[0].depends_on[0]: a service cannot depend on itself"}},
		{name: "cycle named", text: "  - {name: a, teams: [payments], depends_on: [b]}\n  - {name: b, teams: [payments], depends_on: [c]}\n" +
			"  - {name: c, teams: [payments], depends_on: [a]}\n", want: []string{
			"test.yaml:12: services[2].depends_on[0]: depends_on makes a cycle: a -> b -> c -> a; remove one of these dependencies"}},
		{name: "unknown environment in deploy", text: "  - name: a\n    teams: [payments]\n    deploy:\n      prod: {url: \"log:x\"}\n", want: []string{
			`test.yaml:13: services[0].deploy: there is no environment "prod" (did you mean "production"?)`}},
		{name: "deploy not per environment", text: "  - name: a\n    teams: [payments]\n    deploy: {url: \"log:x\"}\n", want: []string{
			`test.yaml:12: services[0].deploy: there is no environment "url" (a service's deploy is per environment: deploy: {staging: {url: …}})`}},
		{name: "target key on the service", text: "  - name: a\n    teams: [payments]\n    argocd: {app: a}\n", want: []string{
			`test.yaml:12: services[0]: unknown key "argocd" (a service's deploy is per environment: deploy: {staging: {argocd: …}})`}},
		{name: "unknown environment in vars", text: "  - name: a\n    teams: [payments]\n    vars:\n      stagin: {A: b}\n", want: []string{
			`test.yaml:13: services[0].vars: there is no environment "stagin" (did you mean "staging"?)`}},
		{name: "bad var name", text: "  - name: a\n    teams: [payments]\n    vars:\n      staging: {REPLICAS-COUNT: \"2\"}\n", want: []string{
			`test.yaml:13: services[0].vars.staging: "REPLICAS-COUNT" is not a var name: use letters, digits and _, not starting with a digit`}},
		{name: "two kinds in one deploy", text: "  - name: a\n    teams: [payments]\n    deploy:\n      staging:\n        url: \"log:a\"\n" +
			"        argocd: {server: \"https://argocd.example.com\", app: a, token: t}\n", want: []string{
			"test.yaml:15: services[0].deploy.staging: holds both url and argocd; a deploy holds exactly one target"}},
		{name: "no target", text: "  - name: a\n    teams: [payments]\n    deploy:\n      staging: {timeout: 5s}\n", want: []string{
			"test.yaml:13: services[0].deploy.staging: url is required (https://…, http://… or log:…), or one of github_actions:, gitlab:, argocd:"}},
		{name: "unknown kind", text: "  - name: a\n    teams: [payments]\n    deploy:\n      staging: {github_action: {repo: a/b}}\n", want: []string{
			`test.yaml:13: services[0].deploy.staging: unknown key "github_action" (did you mean "github_actions"?)`}},
		{name: "github_actions required keys", text: "  - name: a\n    teams: [payments]\n    deploy:\n      staging: {github_actions: {workflow: deploy.yml}}\n", want: []string{
			"test.yaml:13: services[0].deploy.staging.github_actions: repo is required (OWNER/NAME of the repository with the workflow)",
			"test.yaml:13: services[0].deploy.staging.github_actions: ref is required (the branch or tag the workflow runs on, such as main)",
			"test.yaml:13: services[0].deploy.staging.github_actions: token is required (a token with actions: write; write token: ${NAME} to take it from the environment)"}},
		{name: "gitlab required keys", text: "  - name: a\n    teams: [payments]\n    deploy:\n      staging:\n        gitlab:\n          ref: main\n", want: []string{
			"test.yaml:15: services[0].deploy.staging.gitlab: url is required (the GitLab instance, such as https://gitlab.com)",
			"test.yaml:15: services[0].deploy.staging.gitlab: project is required (a numeric project id or a path such as group/project)",
			"test.yaml:15: services[0].deploy.staging.gitlab: trigger_token is required (a pipeline trigger token; write trigger_token: ${NAME} to take it from the environment)"}},
		{name: "argocd required keys", text: "  - name: a\n    teams: [payments]\n    deploy:\n      production: {argocd: {}}\n", want: []string{
			"test.yaml:13: services[0].deploy.production.argocd: server is required (the Argo CD API server, such as https://argocd.example.com)",
			"test.yaml:13: services[0].deploy.production.argocd: app is required (the application's name; it may use {service} and {environment})",
			"test.yaml:13: services[0].deploy.production.argocd: token is required (a bearer token allowed to sync and read the application; write token: ${NAME} to take it from the environment)"}},
		{name: "missing token variable", text: "  - name: a\n    teams: [payments]\n    deploy:\n      production: {argocd: {server: \"https://argocd.example.com\", app: a, token: \"${ARGOCD_TOKEN}\"}}\n",
			want: []string{"test.yaml:13: services[0].deploy.production.argocd.token: ${ARGOCD_TOKEN} is not set"}},
		{name: "unknown placeholder", text: "  - name: a\n    teams: [payments]\n    deploy:\n      production: {argocd: {server: \"https://argocd.example.com\", app: \"{servce}-prod\", token: t}}\n",
			want: []string{"test.yaml:13: services[0].deploy.production.argocd.app: unknown placeholder {servce} (did you mean {service}?)"}},
		{name: "placeholder nobody knows", text: "  - name: a\n    teams: [payments]\n    deploy:\n      staging: {github_actions: {repo: \"acme/{team}\", workflow: d.yml, ref: main, token: t}}\n",
			want: []string{"test.yaml:13: services[0].deploy.staging.github_actions.repo: unknown placeholder {team}; names may use {service}, {environment} and {version}"}},
		{name: "api_url scheme", text: "  - name: a\n    teams: [payments]\n    deploy:\n      staging: {github_actions: {repo: a/b, workflow: d.yml, ref: main, token: t, api_url: \"ghe.example.com/api/v3\"}}\n",
			want: []string{"test.yaml:13: services[0].deploy.staging.github_actions.api_url: must start with https:// (or http://)"}},
		{name: "secret beside a kind", text: "  - name: a\n    teams: [payments]\n    deploy:\n      production: {argocd: {server: \"https://argocd.example.com\", app: a, token: t}, secret: s}\n",
			want: []string{"test.yaml:13: services[0].deploy.production: secret goes with url; a argocd target takes its tokens inside argocd:"}},
		{name: "bad timing key beside a kind", text: "  - name: a\n    teams: [payments]\n    deploy:\n      production: {argocd: {server: \"https://argocd.example.com\", app: a, token: t}, retries: 200}\n",
			want: []string{"test.yaml:13: services[0].deploy.production.retries: must be between 0 and 100, got 200"}},
		{name: "unknown key of a kind", text: "  - name: a\n    teams: [payments]\n    deploy:\n      production: {argocd: {server: \"https://argocd.example.com\", app: a, token: t, revison: main}}\n",
			want: []string{`test.yaml:13: services[0].deploy.production.argocd: unknown key "revison" (did you mean "revision"?)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := problemsOf(t, catalogBase+tt.text, env(tt.vars))
			got := strings.Split(ps.Error(), "\n")
			for _, want := range tt.want {
				if !contains(got, want) {
					t.Errorf("missing line\n  %s\nin\n%s", want, ps.Error())
				}
			}
		})
	}
}

// An environment's own deploy takes the same kinds, and every problem of
// a file is reported in one run.
func TestParseEnvironmentKinds(t *testing.T) {
	const text = `teams: [{name: payments, channel: C0PAY, leads: [U0ALICE]}]
environments:
  - name: staging
    deploy:
      github_actions: {repo: "acme/{service}", workflow: deploy.yml, ref: main, token: "${GH}", api_url: "http://ghe.test/api/v3/"}
      timeout: 5s
  - name: production
    deploy:
      gitlab: {url: "https://gitlab.example.com", project: "acme/{service}", ref: main, trigger_token: "${GL}"}
      url: "log:production"
  - name: dr
    github_actions: {repo: a/b}
`
	ps := problemsOf(t, text, env(map[string]string{"GH": "gh-token"}))
	want := []string{
		"test.yaml:9: environments[1].deploy.gitlab.trigger_token: ${GL} is not set",
		"test.yaml:10: environments[1].deploy: holds both gitlab and url; a deploy holds exactly one target",
		"test.yaml:11: environments[2]: deploy is required (at least deploy.url)",
		`test.yaml:12: environments[2]: unknown key "github_actions" (it belongs under deploy:)`,
	}
	if got := strings.Split(ps.Error(), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", ps.Error(), strings.Join(want, "\n"))
	}

	ok := text[:strings.Index(text, "  - name: production")]
	cfg := mustParse(t, ok, env(map[string]string{"GH": "gh-token"}))
	d := cfg.Environments[0].Deploy
	if d.Kind != KindGitHubActions || d.GitHubActions.Repo != "acme/{service}" || d.GitHubActions.APIURL != "http://ghe.test/api/v3" ||
		d.GitHubActions.Token.Reveal() != "gh-token" || d.Timeout != 5*time.Second || d.Retries != DefaultRetries {
		t.Errorf("staging's deploy = %+v", d)
	}
	if got := warningLines(cfg.WarningsAt(jan2026), "http://"); !reflect.DeepEqual(got, []string{
		"test.yaml:5: environments[0].deploy.github_actions.api_url: uses http://, so its token travels unencrypted; use https:// outside tests"}) {
		t.Errorf("warnings = %q", got)
	}
}

// The catalog reaches the release rules as each service's owners; without
// one, Policy has no services and any service may be released.
func TestPolicyCatalog(t *testing.T) {
	cfg, err := Parse("catalog.yaml", readTestdata(t, "catalog.yaml"), catalogEnv)
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.Policy().Services
	want := map[string]releases.ServicePolicy{
		"payments-api": {Owners: []string{"payments"}},
		"ledger":       {Owners: []string{"ledger", "risk"}},
		"search":       {Owners: []string{"risk"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Policy().Services = %+v, want %+v", got, want)
	}
	if s := mustParse(t, minimal, nil).Policy().Services; s != nil {
		t.Errorf("without a catalog Policy().Services = %+v, want nil", s)
	}
}
