package webhooks

import "strings"

// expandNames fills the {service}, {environment}, {version} and {digest}
// placeholders of a target's names (an app, a project, a ref, an Argo CD
// revision) from the payload of the request, so one environment's deploy
// can serve every service. {digest} is the release's pinned digest, ""
// when it has none (and on rollbacks).
func expandNames(s string, p Payload) string {
	return strings.NewReplacer("{service}", p.Service, "{environment}", p.Environment, "{version}", p.Version,
		"{digest}", p.Digest).Replace(s)
}
