package config

// DemoSource is the Source of the built-in demo configuration.
const DemoSource = "built-in demo configuration"

// DemoYAML is the built-in demo configuration as YAML, used when no
// configuration file exists. Demo parses it, so the text shown to people
// (README, `releasebot config check`) and the configuration the bot runs
// with cannot drift apart. Its environments log instead of calling
// webhooks, and promote automatically, so a demo release walks from create
// to deployed after the two sign-offs.
const DemoYAML = `# yaml-language-server: $schema=docs/releasebot.schema.json
# releasebot built-in demo configuration.
# Deployments only log what they would send (log: URLs) and succeed.
timezone: UTC
release_managers: [U0RM1]
require_distinct_approver: true
users:                      # names for the shell's /as NAME
  alice: U0ALICE
  bob: U0BOB
  carol: U0CAROL
  dave: U0DAVE
  erin: U0ERIN
  rita: U0RM1               # release manager
teams:
  - name: payments
    channel: C0PAY
    leads: [U0ALICE, U0BOB]
    approvals: 1
  - name: risk
    channel: C0RISK
    leads: [U0CAROL, U0ERIN]
    approvals: 1
environments:
  - name: staging
    deploy:
      url: log:staging
    promote: auto
  - name: production
    deploy:
      url: log:production
    promote: auto
windows:
  - name: weekly-train
    schedule: "0 14 * * TUE,THU"
    duration: 2h
reminders:
  before_window: 2h
summaries:
  - name: weekly
    schedule: "0 9 * * MON"
    channel: C0MGMT
    users: [U0RM1]
`

// Demo returns the built-in demo configuration (DemoYAML, parsed). Each
// call returns a fresh copy.
func Demo() *Config {
	cfg, err := Parse(DemoSource, []byte(DemoYAML), nil)
	if err != nil {
		// DemoYAML is a constant checked by the tests.
		panic("config: the built-in demo configuration is invalid:\n" + err.Error())
	}
	return cfg
}
