package config

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one mistake (or, from Warnings, one note) in a configuration
// file, at a line where known.
type Problem struct {
	File string
	// Line is 1-based; 0 when the problem concerns the whole file.
	Line    int
	Message string
}

// String formats the problem as "FILE:LINE: message", or "FILE: message"
// when the line is unknown, the form editors and CI logs link to.
func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Message)
}

// Problems is every mistake found in one file, in line order. Parse and
// Load return it as their error when a file is invalid; use errors.As to
// get at the individual problems.
type Problems []Problem

// Error lists the problems one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// sortProblems orders problems by line, keeping the order of discovery
// within a line; whole-file problems come first.
func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
}
