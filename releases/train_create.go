package releases

import (
	"strings"
	"unicode/utf8"
)

// ComponentInput is one service of a train being created, at its version.
type ComponentInput struct {
	Service, Version string
	Digest           string // optional
}

// MaxComponents is the most services one train holds.
const MaxComponents = 50

// MaxTrainName is the longest train name, in characters.
const MaxTrainName = 100

// validateComponents checks what a create releases and returns its
// components (service names lower-case) and the owners of them all (nil
// without a catalog). A catalog must know every service; no service may
// come twice; the catalog's depends_on among them must have no cycle.
func (s *Coordinator) validateComponents(in CreateInput) ([]Component, []string, error) {
	inputs := in.Components
	if len(inputs) == 0 {
		inputs = []ComponentInput{{Service: in.Service, Version: in.Version}}
	}
	if len(inputs) > MaxComponents {
		return nil, nil, Errorf(EInvalid, "A train holds at most %d services; this one has %d.", MaxComponents, len(inputs))
	}
	var out []Component
	var owners []string
	for _, c := range inputs {
		service, err := NormalizeService(c.Service)
		if err != nil {
			return nil, nil, err
		}
		version := strings.TrimSpace(c.Version)
		if err := CheckVersion(version); err != nil {
			return nil, nil, onField(FieldVersion, err)
		}
		digest, err := CleanText("the digest", c.Digest)
		if err != nil {
			return nil, nil, err
		}
		for _, seen := range out {
			if seen.Service == service {
				return nil, nil, Errorf(EInvalid, "%s is in the train twice (%s and %s); give each service once.", service, seen.Version, version)
			}
		}
		own, err := s.owners(service)
		if err != nil {
			return nil, nil, err
		}
		for _, o := range own {
			if !contains(owners, o) {
				owners = append(owners, o)
			}
		}
		out = append(out, Component{Service: service, Version: version, Digest: digest})
	}
	services := make([]string, len(out))
	for i, c := range out {
		services[i] = c.Service
	}
	if _, err := s.policy.plan(services); err != nil {
		return nil, nil, err
	}
	return out, owners, nil
}

// checkTrainName trims a train's name and refuses one that is too long or
// not plain text on one line.
func checkTrainName(name string) (string, error) {
	name, err := CleanText("the --name", name)
	if err != nil {
		return "", err
	}
	if utf8.RuneCountInString(name) > MaxTrainName || strings.ContainsAny(name, "\r\n") {
		return "", Errorf(EInvalid, "A train's --name is one line of at most %d characters.", MaxTrainName)
	}
	return name, nil
}
