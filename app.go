package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/releasebot/releasebot/bot"
	"github.com/releasebot/releasebot/bot/slack"
	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/internal/wire"
	"github.com/releasebot/releasebot/metrics"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/scheduler"
	"github.com/releasebot/releasebot/webhooks"
)

// app is everything the bot runs on, wired once for serve and shell.
type app struct {
	cfg     *config.Config
	store   *gormstore.Store
	svc     *releases.Coordinator
	cal     *scheduler.Calendar
	worker  *webhooks.Worker
	targets []webhooks.Environment // the environments' deploy targets
	metrics *metrics.Metrics
	log     *slog.Logger
	// groups reads the user groups among the leads from Slack (serve,
	// with a bot token and groups configured); nil otherwise.
	groups *slack.UserGroups
	// botSettings are cfg as the bot, the relay and the announcer read it.
	botSettings bot.Settings
}

// appClock is the one clock of the release service, the store, the
// scheduler and the worker; the shell walk's golden test fixes it.
var appClock = time.Now

// loadConfig reads RELEASEBOT_CONFIG, or releasebot.yaml, or falls back to
// the demo configuration when neither was asked for nor exists.
func loadConfig(env environment, log *slog.Logger) (*config.Config, error) {
	path, explicit := env("RELEASEBOT_CONFIG"), true
	if path == "" {
		path, explicit = "releasebot.yaml", false
	}
	cfg, err := config.Load(path, env)
	if err != nil && !explicit && errors.Is(err, fs.ErrNotExist) {
		log.Warn("no releasebot.yaml found: using the built-in demo configuration (see `releasebot config check`)")
		return config.Demo(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	for _, w := range cfg.Warnings() {
		log.Warn("configuration", "file", w.File, "line", w.Line, "warning", w.Message)
	}
	return cfg, nil
}

// newApp loads the configuration, opens (and migrates) the database and
// wires the release service, the calendar and the webhook worker.
//
// With slackGroups (serve) the user groups named among the teams' leads are
// read from Slack when SLACK_BOT_TOKEN is set; otherwise (the shell) they
// are unknown, and their members count as nobody.
func newApp(ctx context.Context, env environment, log *slog.Logger, migrate, slackGroups bool) (*app, error) {
	cfg, err := loadConfig(env, log)
	if err != nil {
		return nil, err
	}
	var groups *slack.UserGroups
	if names := cfg.UserGroups(); len(names) > 0 {
		if token := env("SLACK_BOT_TOKEN"); slackGroups && token != "" {
			groups = slack.NewUserGroups(slack.NewSlackChat(token, env.get("SLACK_API_URL"), nil), names, log)
			cfg.LeadGroups = groups
		} else {
			log.Warn("teams name Slack user groups among their leads, which can't be read here: their members count as nobody",
				"groups", names)
		}
	}
	store, err := gormstore.Open(ctx, env.get("DATABASE_URL"), gormstore.Options{Logger: log, Now: appClock})
	if err != nil {
		return nil, err
	}
	if migrate {
		if err := store.Migrate(ctx); err != nil {
			_ = store.Close()
			return nil, err
		}
	}
	cal := scheduler.NewCalendar(wire.Timetable(cfg), scheduler.WithFreezes(store))
	svc := releases.NewCoordinator(releases.Options{Store: store, Policy: cfg.Policy(), Gate: cal, Logger: log, Now: appClock})
	m := metrics.New(metrics.Options{Source: store, Policy: svc.Policy(), DB: store.DB(),
		Version: version, Commit: commit, Logger: log, Audit: store})
	targets, err := webhooks.Builtin().Resolve(cfg.Environments, cfg.Services, webhooks.Deps{Now: svc.Now, Logger: log})
	if err != nil {
		_ = store.Close()
		return nil, fmt.Errorf("deploy targets: %w", err)
	}
	worker := webhooks.NewWorker(webhooks.Options{Store: store, Reporter: svc, Environments: targets,
		PublicURL: env.get("RELEASEBOT_PUBLIC_URL"), Logger: log, Now: svc.Now, Metrics: m, Freeze: cal.Hold})
	svc.AddNotifier(worker)
	return &app{cfg: cfg, botSettings: wire.Bot(cfg), store: store, svc: svc, cal: cal, worker: worker, targets: targets,
		metrics: m, log: log, groups: groups}, nil
}

func (a *app) Close() error { return a.store.Close() }

// newScheduler returns the scheduler of windows, reminders and summaries;
// ann says reminders and summaries in chat (nil: they are only logged).
func (a *app) newScheduler(ann scheduler.Announcer) *scheduler.Scheduler {
	return scheduler.New(wire.Scheduler(a.cfg, scheduler.Options{Calendar: a.cal, Releases: a.svc, Firings: a.store,
		History: a.store, Owners: a.owners, Announcer: ann, Now: a.svc.Now, Logger: a.log, Audit: a.store}))
}

// owners names the teams that own a service in the catalog, for the DORA
// figures per team; none for a service outside it (or without a catalog).
func (a *app) owners(service string) []string {
	s, ok := a.cfg.Service(service)
	if !ok {
		return nil
	}
	return s.Teams
}

// newLogger logs JSON, or text when w is a terminal.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(logHandler(w, w, level))
}

// logHandler writes to out JSON, or text when w is a terminal.
func logHandler(w, out io.Writer, level slog.Level) slog.Handler {
	opts := &slog.HandlerOptions{Level: level}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return slog.NewTextHandler(out, opts)
		}
	}
	return slog.NewJSONHandler(out, opts)
}

// shutdownGrace is how long in-flight work may take after SIGTERM.
const shutdownGrace = 20 * time.Second
