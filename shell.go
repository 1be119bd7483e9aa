package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"os"

	"github.com/releasebot/releasebot/bot"
	botshell "github.com/releasebot/releasebot/bot/shell"
	"github.com/releasebot/releasebot/config"
)

// The shell reads the configured users through the configuration.
var _ botshell.Directory = (*config.Config)(nil)

// shell runs the bot in a terminal on the configured database.
func shell(ctx context.Context, args []string, env environment, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("shell", flag.ContinueOnError)
	fs.SetOutput(stderr)
	as := fs.String("as", "", "the user to start as (a name from users: or a Slack id; default: the first configured)")
	channel := fs.String("channel", "releases", "the channel commands are typed in")
	quiet := fs.Bool("quiet", false, "log warnings only")
	if err := fs.Parse(args); err != nil {
		return errReported
	}
	level := slog.LevelInfo
	if *quiet {
		level = slog.LevelWarn
	}
	log := newLogger(stderr, level)
	a, err := newApp(ctx, env, log, true)
	if err != nil {
		return err
	}
	defer a.Close()
	user := *as
	if user == "" {
		user = defaultUser(a)
	}
	sh := botshell.New(botshell.Options{Users: a.cfg, Source: a.cfg.Source, Posts: a.store, Out: stdout, User: user, Channel: *channel})
	sh.SetBot(bot.New(bot.Options{Coordinator: a.svc, Now: a.svc.Now, Posts: a.store, Config: a.cfg, Calendar: a.cal, Logger: log,
		History: a.store, Owners: a.owners}))
	relay := bot.NewRelay(a.store, a.cfg, a.svc.Now)
	sched := a.newScheduler(bot.NewAnnouncer(a.store, a.cfg, a.svc.Now))
	sender := bot.NewSender(a.store, a.store, sh, a.svc.Now, log)
	// After each line: tell what happened, then let due releases start and
	// deployments run, until nothing moves.
	sh.After = func(ctx context.Context) error {
		for {
			if _, err := relay.RunOnce(ctx); err != nil {
				return err
			}
			if err := sender.Drain(ctx); err != nil {
				return err
			}
			started, err := sched.Tick(ctx)
			if err != nil {
				return err
			}
			sent, err := a.worker.RunOnce(ctx)
			if err != nil {
				return err
			}
			if started+sent == 0 {
				return sealPending(ctx, a.store)
			}
		}
	}
	return sh.Run(ctx, stdin, !isTerminal(stdin))
}

// defaultUser is someone who may create releases: the first user who
// leads no team (creators can't sign their own releases off), else the
// first configured lead.
func defaultUser(a *app) string {
	leads := map[string]bool{}
	for _, t := range a.cfg.Teams {
		for _, l := range t.Leads {
			leads[l] = true
		}
	}
	for _, name := range sortedKeys(a.cfg.Users) {
		id := a.cfg.Users[name]
		if !leads[id] && !contains(a.cfg.ReleaseManagers, id) {
			return id
		}
	}
	if len(a.cfg.Teams) > 0 && len(a.cfg.Teams[0].Leads) > 0 {
		return a.cfg.Teams[0].Leads[0]
	}
	return "U0SHELL"
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
