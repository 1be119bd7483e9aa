package releases

import (
	"context"
	"errors"
	"slices"
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
	want, err := wanted(in)
	if err != nil {
		return nil, false, err
	}
	if err := checkArtifact(in); err != nil {
		return nil, false, err
	}
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

// wanted is what a create pins, as a repeat is compared with it: each
// component's service (as stored), version and digest. A release of one
// service pins the request's digest.
func wanted(in CreateInput) ([]Component, error) {
	inputs := in.Components
	if len(inputs) == 0 {
		inputs = []ComponentInput{{Service: in.Service, Version: in.Version, Digest: in.Digest}}
	}
	out := make([]Component, len(inputs))
	for i, c := range inputs {
		service, err := NormalizeService(c.Service)
		if err != nil {
			return nil, err
		}
		version := strings.TrimSpace(c.Version)
		if err := CheckVersion(version); err != nil {
			return nil, err
		}
		if err := CheckDigest(c.Digest); err != nil {
			return nil, err
		}
		out[i] = Component{Service: service, Version: version, Digest: c.Digest}
	}
	return out, nil
}

// existing finds the release that already answers a create of want by
// actor with key, as Open describes; nil when there is none.
func (s *Coordinator) existing(ctx context.Context, actor, key string, want []Component) (*Release, error) {
	if key != "" {
		rs, err := s.store.Releases(ctx, Filter{CreatedBy: actor, IdempotencyKey: key, Limit: 1})
		if err != nil {
			return nil, s.fail("find idempotency key", err)
		}
		if len(rs) > 0 {
			r := &rs[0]
			if got := pinned(r); !slices.Equal(got, want) {
				return nil, kindErrorf(ErrKeyReused, EInvalid, "The idempotency_key was used for %s (%s); send a new key for %s.",
					FormatID(r.ID), describePinned(got), describePinned(want))
			}
			return r, nil
		}
	}
	first := want[0]
	rs, err := s.store.Releases(ctx, Filter{Statuses: ActiveStatuses, Service: first.Service, Version: first.Version, Limit: 1})
	if err != nil {
		return nil, s.fail("find open release", err)
	}
	if len(rs) == 0 {
		return nil, nil
	}
	r := &rs[0]
	got := pinned(r)
	switch {
	case slices.Equal(got, want):
		return r, nil
	case len(got) == 1 && len(want) == 1:
		return nil, kindErrorf(ErrDigestConflict, EConflict, "%s %s is open as %s with %s; a release of another build of the same version is refused while it is open. Cancel %s or release a new version.",
			first.Service, first.Version, FormatID(r.ID), describeDigest(r.Digest), FormatID(r.ID))
	}
	return nil, kindErrorf(ErrDigestConflict, EConflict, "%s %s is open as %s (%s); another release of it is refused while that is open. Cancel %s or release a new version.",
		first.Service, first.Version, FormatID(r.ID), describePinned(got), FormatID(r.ID))
}

// describePinned is "ledger v1.9.0 sha256:…, payments-api v2.4.0".
func describePinned(cs []Component) string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = describeComponent(c)
	}
	return strings.Join(out, ", ")
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

// pinned is what a release pins, as a create compares it: each
// component's service, version and digest (a release of one service: the
// release's digest).
func pinned(r *Release) []Component {
	if len(r.Components) <= 1 {
		return []Component{{Service: r.Service, Version: r.Version, Digest: r.Digest}}
	}
	out := make([]Component, len(r.Components))
	for i, c := range r.Components {
		out[i] = Component{Service: c.Service, Version: c.Version, Digest: c.Digest}
	}
	return out
}
