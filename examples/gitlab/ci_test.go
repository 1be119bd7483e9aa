// Package gitlab holds the sample .gitlab-ci.yml of the gitlab target
// kind; its test keeps the sample in line with what releasebot sends.
package gitlab

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// sent are the variables a gitlab target sets on every pipeline it
// triggers (README "Deploy targets").
var sent = []string{"RELEASEBOT_DEPLOYMENT_ID", "RELEASEBOT_RELEASE_ID", "RELEASEBOT_SERVICE", "RELEASEBOT_VERSION",
	"RELEASEBOT_PREVIOUS_VERSION", "RELEASEBOT_ENVIRONMENT", "RELEASEBOT_CALLBACK_URL"}

// TestSample: the sample parses, runs only for releasebot's trigger
// pipelines, and uses no RELEASEBOT_ variable releasebot doesn't send.
func TestSample(t *testing.T) {
	raw, err := os.ReadFile(".gitlab-ci.yml")
	if err != nil {
		t.Fatal(err)
	}
	var ci struct {
		Workflow struct {
			Rules []map[string]any `yaml:"rules"`
		} `yaml:"workflow"`
		Deploy struct {
			Script []string `yaml:"script"`
		} `yaml:"deploy"`
	}
	if err := yaml.Unmarshal(raw, &ci); err != nil {
		t.Fatal(err)
	}
	if len(ci.Workflow.Rules) == 0 || ci.Workflow.Rules[0]["if"] != `$CI_PIPELINE_SOURCE == "trigger" && $RELEASEBOT_DEPLOYMENT_ID` ||
		last(ci.Workflow.Rules)["when"] != "never" {
		t.Errorf("workflow rules %v: want trigger pipelines with RELEASEBOT_DEPLOYMENT_ID only", ci.Workflow.Rules)
	}
	if !strings.Contains(strings.Join(ci.Deploy.Script, "\n"), "$RELEASEBOT_VERSION") {
		t.Errorf("the deploy job does not deploy $RELEASEBOT_VERSION: %v", ci.Deploy.Script)
	}
	for _, m := range regexp.MustCompile(`\$\{?(RELEASEBOT_[A-Z_]+)`).FindAllStringSubmatch(string(raw), -1) {
		if !slices.Contains(sent, m[1]) {
			t.Errorf("the sample uses %s, which releasebot does not send", m[1])
		}
	}
}

func last[T any](s []T) T { return s[len(s)-1] }
