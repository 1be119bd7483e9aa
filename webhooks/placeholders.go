package webhooks

import "strings"

// expandNames fills the {service}, {environment} and {version}
// placeholders of a target's names (an app, a project, a ref) from the
// payload of the request, so one environment's deploy can serve every
// service.
func expandNames(s string, p Payload) string {
	return strings.NewReplacer("{service}", p.Service, "{environment}", p.Environment, "{version}", p.Version).Replace(s)
}
