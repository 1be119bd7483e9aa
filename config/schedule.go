package config

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"

	"github.com/releasebot/releasebot/releases"
)

// This file reads the time-based sections: windows, freezes, summaries.

var (
	windowKeys  = []string{"name", "schedule", "duration"}
	freezeKeys  = []string{"name", "start", "end"}
	summaryKeys = []string{"name", "schedule", "channel", "users"}
)

// schedule reads a required cron schedule; line is the schedule's line.
func (p *parser) schedule(f map[string]entry, item *yaml.Node, path string, cfg *Config) (spec string, sched cron.Schedule, line int, ok bool) {
	e, ok := f["schedule"]
	if !ok {
		p.add(item.Line, path, `schedule is required (cron, 5 fields, e.g. "0 14 * * TUE,THU")`)
		return "", nil, 0, false
	}
	spec, ok = p.scalar(e.val, path+".schedule")
	if !ok {
		return "", nil, 0, false
	}
	sched, err := parseSchedule(spec, cfg.Location)
	if err != nil {
		p.add(e.val.Line, path+".schedule", "%v", err)
		return "", nil, 0, false
	}
	return spec, sched, e.val.Line, true
}

func (p *parser) windows(n *yaml.Node, cfg *Config) {
	nodes, _ := p.list(n, "windows", "- name: weekly-train")
	seen := newNames("windows")
	for i, n := range nodes {
		path := fmt.Sprintf("windows[%d]", i)
		n = resolve(n)
		f, ok := p.mapping(n, path, windowKeys, nil)
		if !ok {
			continue
		}
		var w Window
		var valid bool
		w.Name, valid = p.name(f, n, path, seen, i)
		var ok2 bool
		w.Schedule, w.Cron, w.line, ok2 = p.schedule(f, n, path, cfg)
		valid = valid && ok2
		if e, ok := f["duration"]; !ok {
			p.add(n.Line, path, "duration is required (how long the window stays open, e.g. 2h)")
			valid = false
		} else if d, ok := p.duration(e.val, path+".duration"); ok {
			w.Duration = d
		} else {
			valid = false
		}
		if valid {
			cfg.Windows = append(cfg.Windows, w)
		}
	}
}

func (p *parser) freezes(n *yaml.Node, cfg *Config) {
	nodes, _ := p.list(n, "freezes", "- name: year-end")
	seen := newNames("freezes")
	for i, n := range nodes {
		path := fmt.Sprintf("freezes[%d]", i)
		n = resolve(n)
		f, ok := p.mapping(n, path, freezeKeys, nil)
		if !ok {
			continue
		}
		var fr releases.Freeze
		var valid bool
		fr.Name, valid = p.name(f, n, path, seen, i)
		var okStart, okEnd bool
		fr.Start, okStart = p.time(f, n, path, "start", cfg)
		fr.End, okEnd = p.time(f, n, path, "end", cfg)
		valid = valid && okStart && okEnd
		if valid && !fr.End.After(fr.Start) {
			p.add(f["end"].val.Line, path+".end", "must be after start")
			valid = false
		}
		if valid {
			cfg.Freezes = append(cfg.Freezes, fr)
		}
	}
}

// time reads a required freeze time.
func (p *parser) time(f map[string]entry, item *yaml.Node, path, key string, cfg *Config) (time.Time, bool) {
	e, ok := f[key]
	if !ok {
		p.add(item.Line, path, "%s is required (RFC 3339, e.g. 2026-12-20T00:00:00+01:00)", key)
		return time.Time{}, false
	}
	s, ok := p.scalar(e.val, path+"."+key)
	if !ok {
		return time.Time{}, false
	}
	t, msg := parseTime(s, cfg.Location)
	if msg != "" {
		p.add(e.val.Line, path+"."+key, "%s", msg)
		return time.Time{}, false
	}
	return t, true
}

func (p *parser) summaries(n *yaml.Node, cfg *Config) {
	nodes, _ := p.list(n, "summaries", "- name: weekly")
	seen := newNames("summaries")
	for i, n := range nodes {
		path := fmt.Sprintf("summaries[%d]", i)
		n = resolve(n)
		f, ok := p.mapping(n, path, summaryKeys, nil)
		if !ok {
			continue
		}
		var s Summary
		var valid bool
		s.Name, valid = p.name(f, n, path, seen, i)
		var ok2 bool
		s.Schedule, s.Cron, s.line, ok2 = p.schedule(f, n, path, cfg)
		valid = valid && ok2
		_, hasChannel := f["channel"]
		if e, ok := f["channel"]; ok {
			if c, ok := p.scalar(e.val, path+".channel"); !ok {
				valid = false
			} else if msg := checkChannel(c); msg != "" {
				p.add(e.val.Line, path+".channel", "%s", msg)
				valid = false
			} else {
				s.Channel = c
			}
		}
		if e, ok := f["users"]; ok {
			errs := len(p.probs)
			s.Users = p.userIDs(e.val, path+".users", cfg.Users)
			valid = valid && len(p.probs) == errs
		}
		if valid && !hasChannel && len(s.Users) == 0 {
			p.add(n.Line, path, "give a channel, users, or both, to say where the summary goes")
			valid = false
		}
		if valid {
			cfg.Summaries = append(cfg.Summaries, s)
		}
	}
}
