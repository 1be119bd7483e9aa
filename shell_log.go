package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// shellLogFile is where the shell logs unless --verbose: its terminal
// tells the story of the releases, and log lines between the bot's posts
// would drown it.
const shellLogFile = "releasebot-shell.log"

// storyHandler passes every record on, and tells the shell's story what a
// log: deploy target would have sent (the record webhooks' log target
// writes), as one short line.
type storyHandler struct {
	slog.Handler
	aside func(string)
}

func (h storyHandler) Handle(ctx context.Context, r slog.Record) error {
	if target, ok := strings.CutPrefix(r.Message, "deploy target "); ok && strings.HasPrefix(target, "log:") {
		if target, ok := strings.CutSuffix(target, " would receive"); ok {
			attrs := map[string]string{}
			r.Attrs(func(a slog.Attr) bool {
				attrs[a.Key] = a.Value.String()
				return true
			})
			h.aside(fmt.Sprintf("%s would receive %s %s %s", target, attrs["type"], attrs["service"], attrs["version"]))
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h storyHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return storyHandler{Handler: h.Handler.WithAttrs(as), aside: h.aside}
}

func (h storyHandler) WithGroup(name string) slog.Handler {
	return storyHandler{Handler: h.Handler.WithGroup(name), aside: h.aside}
}
