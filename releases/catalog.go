package releases

import (
	"slices"
	"strings"

	// A leaf of the standard library alone, shared with the command
	// parser and the configuration loader.
	"github.com/releasebot/releasebot/internal/textdist"
)

// This file holds the create rules of the service catalog: with one, only
// its services may be released, and their owners always sign off.

// owners returns the owning teams of a catalog service; nil without a
// catalog. Errors: EInvalid for a service not in the catalog.
func (s *Coordinator) owners(service string) ([]string, error) {
	if len(s.policy.Services) == 0 {
		return nil, nil
	}
	if sp, ok := s.policy.Services[service]; ok {
		return sp.Owners, nil
	}
	return nil, s.unknownService(service)
}

// signers are the teams a create asks to sign off: the owners and the
// teams it names; the owners alone when it names none (nil then means
// every team: there is no catalog, or the service has no owners).
func signers(chosen, owners []string) []string {
	if len(chosen) == 0 {
		return owners
	}
	out := append([]string(nil), chosen...)
	for _, o := range owners {
		if !contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

// maxListedServices is how many service names a refusal lists when it has
// no suggestion.
const maxListedServices = 10

func (s *Coordinator) unknownService(service string) error {
	names := make([]string, 0, len(s.policy.Services))
	for n := range s.policy.Services {
		names = append(names, n)
	}
	slices.Sort(names)
	if near := closest(service, names); near != "" {
		return Errorf(EInvalid, "There is no service %q in the catalog; did you mean %s?", service, near)
	}
	if len(names) > maxListedServices {
		return Errorf(EInvalid, "There is no service %q in the catalog (services: in releasebot.yaml); it lists %d services, such as %s.",
			service, len(names), strings.Join(names[:maxListedServices], ", "))
	}
	return Errorf(EInvalid, "There is no service %q in the catalog; the services are %s.", service, strings.Join(names, ", "))
}

// closest returns the name nearest to s, if it is near enough to be a
// likely misspelling: a prefix of it (or it of s), or a few edits away.
func closest(s string, names []string) string {
	for _, n := range names {
		if len(s) >= 3 && (strings.HasPrefix(n, s) || strings.HasPrefix(s, n)) {
			return n
		}
	}
	best, bestD := "", -1
	for _, n := range names {
		if d := textdist.Distance(s, n); bestD < 0 || d < bestD {
			best, bestD = n, d
		}
	}
	if bestD >= 0 && (bestD <= 2 || bestD <= len(s)/3) && bestD < len(s) {
		return best
	}
	return ""
}
