package releases

import (
	"context"
	"errors"
	"strings"
)

// ErrKeyReused is the Kind of a refusal because an idempotency key was
// sent again with another service, version or digest: the key names one
// release, and a different create under it is a client's mistake.
var ErrKeyReused = errors.New("idempotency key reused for another release")

// ErrDigestConflict is the Kind of a refusal because the service already
// has an open release of that version with another digest.
var ErrDigestConflict = errors.New("open release with another digest")

// Open is Create for machines (POST /api/releases): safe to retry. It
// reports whether it created the release; when it did not, the release is
// one that already answers the request:
//
//   - the release actor opened with in.IdempotencyKey before (any status);
//   - else the open release of the same service and version, when its
//     digest equals in.Digest (both may be empty).
//
// Nothing is created or told in those cases, so a retried create posts no
// second card.
//
// Errors: those of Create; EInvalid of Kind ErrKeyReused when the key
// named a release of another service, version or digest; EConflict of Kind
// ErrDigestConflict when the service and version is open with another
// digest.
func (s *Coordinator) Open(ctx context.Context, actor string, in CreateInput) (*Release, bool, error) {
	service, err := NormalizeService(in.Service)
	if err != nil {
		return nil, false, err
	}
	version := strings.TrimSpace(in.Version)
	if err := CheckVersion(version); err != nil {
		return nil, false, err
	}
	if err := checkArtifact(in); err != nil {
		return nil, false, err
	}
	want := Component{Service: service, Version: version, Digest: in.Digest}
	// Create first: a new release, the common case, costs no lookups. A
	// repeat runs into a unique index (the creator's key, or the open
	// version) or, for a creator at its quota, the quota; only then is
	// the release that answers it looked up. Concurrent retries of one
	// create end the same way.
	r, err := s.Create(ctx, actor, in)
	if code := ErrorCode(err); code != EConflict && code != ETooMany {
		return r, err == nil, err
	}
	if found, ferr := s.existing(ctx, actor, in.IdempotencyKey, want); found != nil || ferr != nil {
		return found, false, ferr
	}
	return nil, false, err
}

// existing finds the release that already answers a create of want by
// actor with key, as Open describes; nil when there is none.
func (s *Coordinator) existing(ctx context.Context, actor, key string, want Component) (*Release, error) {
	if key != "" {
		rs, err := s.store.Releases(ctx, Filter{CreatedBy: actor, IdempotencyKey: key, Limit: 1})
		if err != nil {
			return nil, s.fail("find idempotency key", err)
		}
		if len(rs) > 0 {
			r := &rs[0]
			if got := pinned(r); got != want {
				return nil, kindErrorf(ErrKeyReused, EInvalid, "The idempotency_key was used for %s (%s); send a new key for %s %s%s.",
					FormatID(r.ID), describeComponent(got), want.Service, want.Version, digestSuffix(want.Digest))
			}
			return r, nil
		}
	}
	rs, err := s.store.Releases(ctx, Filter{Statuses: ActiveStatuses, Service: want.Service, Version: want.Version, Limit: 1})
	if err != nil {
		return nil, s.fail("find open release", err)
	}
	if len(rs) == 0 {
		return nil, nil
	}
	r := &rs[0]
	if r.Digest != want.Digest {
		return nil, kindErrorf(ErrDigestConflict, EConflict, "%s %s is open as %s with %s; a release of another build of the same version is refused while it is open. Cancel %s or release a new version.",
			want.Service, want.Version, FormatID(r.ID), describeDigest(r.Digest), FormatID(r.ID))
	}
	return r, nil
}

func describeComponent(c Component) string {
	return c.Service + " " + c.Version + digestSuffix(c.Digest)
}

func digestSuffix(d string) string {
	if d == "" {
		return ""
	}
	return " " + d
}

func describeDigest(d string) string {
	if d == "" {
		return "no digest"
	}
	return "digest " + d
}

// pinned is what a release of one service pins, as a create compares it:
// its service, version and digest.
func pinned(r *Release) Component {
	return Component{Service: r.Service, Version: r.Version, Digest: r.Digest}
}
