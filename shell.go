package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

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
	verbose := fs.Bool("verbose", false, "log to stderr instead of "+shellLogFile)
	if err := fs.Parse(args); err != nil {
		return errReported
	}
	level := slog.LevelInfo
	if *quiet {
		level = slog.LevelWarn
	}
	logTo, where := stderr, "stderr"
	if !*verbose {
		f, err := os.OpenFile(shellLogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("shell log: %w (--verbose logs to stderr)", err)
		}
		defer f.Close()
		logTo, where = f, shellLogFile
	}
	var sh *botshell.Shell // told what log: targets would send, once it exists
	log := slog.New(storyHandler{Handler: newLogger(logTo, level).Handler(), aside: func(s string) {
		if sh != nil {
			sh.Aside(s)
		}
	}})
	a, err := newApp(ctx, env, log, true, false)
	if err != nil {
		return err
	}
	defer a.Close()
	user := *as
	if user == "" {
		user = defaultUser(a)
	}
	sh = botshell.New(botshell.Options{Users: a.cfg, Source: a.cfg.Source, Posts: a.store, Out: stdout, User: user, Channel: *channel,
		Notes: shellNotes(a.cfg, a.svc.Now(), where), Dim: isTerminal(stdout)})
	sh.SetBot(bot.New(bot.Options{Coordinator: a.svc, Now: a.svc.Now, Posts: a.store, Settings: a.botSettings, Calendar: a.cal, Logger: log,
		History: a.store, Owners: a.owners}))
	relay := bot.NewRelay(a.store, a.botSettings, a.svc.Now)
	sched := a.newScheduler(bot.NewAnnouncer(a.store, a.botSettings, a.svc.Now))
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

// shellNotes open the shell: which configuration it runs on, its
// warnings (which went to the log, where nobody reads them first) and
// where the log is.
func shellNotes(cfg *config.Config, now time.Time, log string) []string {
	var notes []string
	if cfg.Source == config.DemoSource {
		notes = append(notes, "Using the built-in demo configuration: there is no releasebot.yaml here. "+
			"Its deployments only log what they would send (releasebot config check prints it).")
	}
	for _, w := range cfg.WarningsAt(now) {
		notes = append(notes, fmt.Sprintf("%s:%d: warning: %s", w.File, w.Line, w.Message))
	}
	if log != "stderr" {
		notes = append(notes, "Logs go to "+log+" (--verbose shows them here).")
	}
	return notes
}

func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
