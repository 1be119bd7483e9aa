package releases

import (
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Artifacts pinned (issue 14): a release may name the exact build it ships
// — an image digest, the commit it was built from and the CI run that built
// it — so that what a lead approved is provably what deployed. The digest
// is part of the release forever: it is shown on the card and in each
// sign-off request, recorded with every sign-off, and sent to every target.

// Bounds of the artifact fields.
const (
	// MaxBuildURL is the longest build link, in bytes: CI run URLs are far
	// shorter, and the link is shown on every card.
	MaxBuildURL = 2000
	// MaxIdempotencyKey is the longest idempotency key, in bytes.
	MaxIdempotencyKey = 200
)

var (
	// An OCI digest as registries print it: the algorithm releasebot
	// accepts (sha256) and 64 lower-case hex digits.
	digestForm = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	// A git object name: abbreviated (7+) up to SHA-256 repositories' 64.
	commitForm = regexp.MustCompile(`^[0-9a-f]{7,64}$`)
	// Keys are printable ASCII without spaces, so they log and compare
	// as they are.
	keyForm = regexp.MustCompile(`^[!-~]+$`)
)

// CheckDigest refuses, with EInvalid, a digest that is not
// "sha256:" followed by 64 lower-case hex digits. "" (no digest) passes.
func CheckDigest(d string) error {
	if d != "" && !digestForm.MatchString(d) {
		return Errorf(EInvalid, "%s is not a digest; give sha256: and 64 lower-case hex digits, as `docker buildx imagetools inspect` or `crane digest` print it.", quoteText(d))
	}
	return nil
}

// CheckCommit refuses, with EInvalid, a commit that is not 7 to 64
// lower-case hex digits. "" passes.
func CheckCommit(c string) error {
	if c != "" && !commitForm.MatchString(c) {
		return Errorf(EInvalid, "%s is not a commit; give the git commit id, 7 to 64 lower-case hex digits.", quoteText(c))
	}
	return nil
}

// CheckBuildURL refuses, with EInvalid, a build link that is not an
// absolute http(s) URL of at most MaxBuildURL bytes. "" passes.
func CheckBuildURL(s string) error {
	if s == "" {
		return nil
	}
	if len(s) > MaxBuildURL {
		return Errorf(EInvalid, "The build_url is too long (%d bytes; at most %d).", len(s), MaxBuildURL)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.ContainsAny(s, " <>|\"") {
		return Errorf(EInvalid, "%s is not a build link; give an absolute https:// URL, like the CI run's.", quoteText(s))
	}
	return nil
}

// CheckIdempotencyKey refuses, with EInvalid, a key longer than
// MaxIdempotencyKey bytes or with characters other than printable ASCII.
// "" passes.
func CheckIdempotencyKey(k string) error {
	if k == "" {
		return nil
	}
	if len(k) > MaxIdempotencyKey || !utf8.ValidString(k) || !keyForm.MatchString(k) {
		return Errorf(EInvalid, "The idempotency_key must be 1 to %d printable ASCII characters without spaces, like the CI run id and attempt.", MaxIdempotencyKey)
	}
	return nil
}

// Prefixes of the actors machines act as: "ci:TOKEN-NAME" for a scoped API
// token, "github:OWNER/REPO" for a GitHub Actions OIDC token. Slack user
// ids never hold a colon, so no person can be taken for one.
const (
	CITokenActorPrefix = "ci:"
	GitHubActorPrefix  = "github:"
)

// IsCIActor reports whether actor is a CI identity. CI identities open
// releases; they never sign them off (separation of duties).
func IsCIActor(actor string) bool {
	return strings.HasPrefix(actor, CITokenActorPrefix) || strings.HasPrefix(actor, GitHubActorPrefix)
}

// refuseCI refuses a sign-off decision by a CI identity.
func refuseCI(actor, verb string, id int64) error {
	if IsCIActor(actor) {
		return Errorf(EForbidden, "%s is a CI identity; CI identities open releases but can never %s them (%s needs a lead).", actor, verb, FormatID(id))
	}
	return nil
}

// checkArtifact checks a create's artifact fields and key.
func checkArtifact(in CreateInput) error {
	for _, err := range []error{CheckDigest(in.Digest), CheckCommit(in.Commit), CheckBuildURL(in.BuildURL), CheckIdempotencyKey(in.IdempotencyKey)} {
		if err != nil {
			return err
		}
	}
	return nil
}

// artifactDetail is what the "created" event adds about the artifact:
// "; digest sha256:…; commit 1a2b3c4; build https://…".
func artifactDetail(r *Release) string {
	var b strings.Builder
	for _, f := range [][2]string{{"digest", r.Digest}, {"commit", r.Commit}, {"build", r.BuildURL}} {
		if f[1] != "" {
			b.WriteString("; " + f[0] + " " + f[1])
		}
	}
	return b.String()
}
