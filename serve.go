package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/bot"
	"github.com/releasebot/releasebot/bot/slack"
	"github.com/releasebot/releasebot/ci"
	"github.com/releasebot/releasebot/internal/logbuf"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/scheduler"
	"github.com/releasebot/releasebot/web"
	"github.com/releasebot/releasebot/webhooks"
)

// serve runs the HTTP server, the webhook worker, the scheduler and the
// Slack adapter until ctx ends (SIGTERM), then lets in-flight work finish.
func serve(ctx context.Context, args []string, env environment, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", env.get("RELEASEBOT_ADDR"), "listen address")
	noMigrate := fs.Bool("no-migrate", false, "don't apply pending migrations on start")
	if err := fs.Parse(args); err != nil {
		return errReported
	}
	instance, err := instanceName(env)
	if err != nil {
		return err
	}
	if err := refuseDemoWithSlack(env); err != nil {
		return err
	}
	// A line per request, each its own write, was a few percent of serve's
	// CPU: lines are held for a moment and written out together, warnings
	// and errors at once, everything on the way out.
	logs := logbuf.New(stderr)
	defer logs.Close()
	log := slog.New(logbuf.FlushAt(logHandler(stderr, logs, slog.LevelInfo), logs, slog.LevelWarn))
	// Listen first: a busy port is then said once, plainly, before any
	// worker starts (and fails on a database closed under it).
	ln, err := listen(*addr, env)
	if err != nil {
		return err
	}
	defer ln.Close()
	a, err := newApp(ctx, env, log, !*noMigrate, true)
	if err != nil {
		return err
	}
	defer a.Close()

	gin.SetMode(gin.ReleaseMode)
	m := a.metrics
	router := gin.New()
	if instance != "" {
		router.Use(func(c *gin.Context) { c.Header(instanceHeader, instance) })
	}
	// RequestLog recovers panics like gin.Recovery but never logs query
	// strings, which may hold the dashboard token.
	router.Use(web.RequestLog(log, m))
	web.Register(router, web.Options{
		Releases: a.svc, Logger: log,
		Calendar: a.cal, Freezes: a.store, Policy: a.svc.Policy(),
		Location: a.cfg.Location, UserName: a.cfg.UserName, Now: a.svc.Now,
		PublicURL: env("RELEASEBOT_PUBLIC_URL"),
		Token:     env("RELEASEBOT_DASHBOARD_TOKEN"),
		Metrics:   m.Handler(),
		CI:        ci.NewAuthenticator(ci.Options{Config: a.cfg, Tokens: a.store, Now: a.svc.Now}),
		Opener:    a.svc,
		CIOrigin:  func(service string) string { return ci.Channel(a.cfg, service) },
		Audit:     a.store,
		TargetKind: func(service, env string) string {
			d, ok := a.cfg.DeployOf(service, env)
			if !ok {
				return ""
			}
			return d.TargetKind()
		},
	})
	webhooks.RegisterCallbacks(router, webhooks.CallbackOptions{Deployments: a.svc,
		Environments: a.targets, Now: a.svc.Now, Logger: log})
	webhooks.RegisterGitLab(router, webhooks.GitLabOptions{Deployments: a.svc, Runs: a.store,
		Environments: a.targets, Now: a.svc.Now, Logger: log})
	webhooks.RegisterGitHub(router, webhooks.GitHubOptions{Deployments: a.svc, Runs: a.store,
		Environments: a.targets, Logger: log})

	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	defer func() { stopWork(); wg.Wait() }()
	if err := startSlack(work, &wg, a, env, router, log); err != nil {
		return err
	}
	wg.Go(func() { a.worker.Run(work, 5*time.Second) })
	wg.Go(func() { sealLoop(work, a.store, sealEvery, log) })
	var ann scheduler.Announcer // nil when Slack is off: reminders and summaries are only logged
	if env("SLACK_BOT_TOKEN") != "" {
		ann = bot.NewAnnouncer(a.store, a.botSettings, a.svc.Now)
	}
	sched := a.newScheduler(ann)
	wg.Go(func() { sched.Run(work) })

	// Headers are read before any handler can refuse a request: bound them
	// (Go's default is 1 MiB each), as the Slack endpoints bound bodies.
	srv := &http.Server{Handler: router, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
		MaxHeaderBytes: 64 << 10}
	log.Info("releasebot serving", "url", serveURL(ln.Addr()), "addr", ln.Addr().String(), "database", gormstore.RedactURL(env.get("DATABASE_URL")),
		"config", a.cfg.Source, "version", version, "instance", instance)
	if env("RELEASEBOT_DASHBOARD_TOKEN") == "" && !loopback(ln.Addr()) {
		log.Warn("RELEASEBOT_DASHBOARD_TOKEN is not set and releasebot listens beyond this machine (" + ln.Addr().String() + "): " +
			"the dashboard and the API are open to anyone who can reach it; set the token, or RELEASEBOT_ADDR=127.0.0.1:8080")
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests")
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	err = srv.Shutdown(shutdown)
	stopWork()
	wg.Wait()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// listen opens serve's socket: a new one on addr (RELEASEBOT_ADDR, --addr),
// or, when RELEASEBOT_LISTEN_FD names a file descriptor, the listening
// socket inherited there. A supervisor or test harness that keeps its own
// copy of that socket keeps the address across restarts, kill -9
// included: nothing else can take it in between, and connections made
// while serve is down wait in the socket's queue for the next one.
func listen(addr string, env environment) (net.Listener, error) {
	v := env("RELEASEBOT_LISTEN_FD")
	if v == "" {
		ln, err := net.Listen("tcp", addr)
		if errors.Is(err, syscall.EADDRINUSE) {
			_, port, _ := net.SplitHostPort(addr)
			return nil, fmt.Errorf("port %s is in use: %w; set RELEASEBOT_ADDR (or --addr) to another address, like :8081", port, err)
		}
		if err != nil {
			return nil, fmt.Errorf("listen on %s: %w", addr, err)
		}
		return ln, nil
	}
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return nil, fmt.Errorf("RELEASEBOT_LISTEN_FD %q is not the number of an inherited file descriptor (3 or more)", v)
	}
	// FileListener works on a copy; the inherited descriptor is closed.
	f := os.NewFile(uintptr(fd), "RELEASEBOT_LISTEN_FD")
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("RELEASEBOT_LISTEN_FD=%d is not a listening socket: %w", fd, err)
	}
	return ln, nil
}

// serveURL is where people open what addr serves: localhost for an
// address of every interface.
func serveURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// loopback reports whether addr is reachable from this machine only.
func loopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// instanceHeader names the process in every answer when RELEASEBOT_INSTANCE
// is set, so that whoever runs several can tell which one answered.
const instanceHeader = "X-Releasebot-Instance"

// instanceName returns RELEASEBOT_INSTANCE: a label, not a secret, sent
// to anyone who asks, so it is kept to a short printable token.
func instanceName(env environment) (string, error) {
	v := env("RELEASEBOT_INSTANCE")
	if len(v) > 128 {
		return "", errors.New("RELEASEBOT_INSTANCE is longer than 128 characters")
	}
	for _, r := range v {
		if r <= ' ' || r > '~' {
			return "", fmt.Errorf("RELEASEBOT_INSTANCE %q may hold only printable ASCII without spaces", v)
		}
	}
	return v, nil
}

// startSlack connects the bot to Slack when SLACK_BOT_TOKEN is set: the
// outbox pump always, then Socket Mode (SLACK_APP_TOKEN) or the HTTP
// endpoints (SLACK_SIGNING_SECRET). Without a token, chat messages are
// marked told and dropped, so turning Slack on later doesn't replay the past.
func startSlack(ctx context.Context, wg *sync.WaitGroup, a *app, env environment, router gin.IRouter, log *slog.Logger) error {
	relay := bot.NewRelay(a.store, a.botSettings, a.svc.Now)
	token := env("SLACK_BOT_TOKEN")
	if token == "" {
		log.Warn("SLACK_BOT_TOKEN is not set: Slack is off; use the API or `releasebot shell`")
		relay.Discard = true
		wg.Go(func() { relay.Run(ctx, 5*time.Second, log) })
		return nil
	}
	appToken, secret := env("SLACK_APP_TOKEN"), env("SLACK_SIGNING_SECRET")
	if appToken == "" && secret == "" {
		return errors.New("SLACK_BOT_TOKEN is set but neither SLACK_SIGNING_SECRET (HTTP endpoints) nor SLACK_APP_TOKEN (Socket Mode) is")
	}
	chat := slack.NewSlackChat(token, env.get("SLACK_API_URL"), nil)
	chat.Metrics = a.metrics
	sender := bot.NewSender(a.store, a.store, chat, a.svc.Now, log)
	// Slack allows about one message per second per channel.
	sender.PostInterval = time.Second
	if v := env("RELEASEBOT_SLACK_POST_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return fmt.Errorf("RELEASEBOT_SLACK_POST_INTERVAL %q is not a duration like 1s or 0s", v)
		}
		sender.PostInterval = d
	}
	a.svc.AddNotifier(releases.NotifierFunc(func(context.Context, releases.Change) { sender.Kick() }))
	// Answers first: chat delivery holds back briefly while commands and
	// buttons are being answered (bot.Foreground).
	sender.Foreground = &bot.Foreground{}
	wg.Go(func() { bot.Pump(ctx, relay, sender, time.Second) })
	b := bot.New(bot.Options{Coordinator: a.svc, Now: a.svc.Now, Posts: a.store, Settings: a.botSettings, Calendar: a.cal, Logger: log, Metrics: a.metrics,
		History: a.store, Owners: a.owners, ConfirmKey: confirmKey(token)})
	// Home tabs of the users who opened theirs, republished as releases
	// change: at most once per user every few seconds (views.publish is
	// rate-limited).
	homes := bot.NewHomes(bot.HomesOptions{Bot: b, Publisher: chat, Logger: log})
	a.svc.AddNotifier(homes)
	wg.Go(func() { homes.Run(ctx) })
	s := slack.NewSlack(slack.SlackOptions{Bot: b, Chat: chat, Claims: a.store, SigningSecret: secret, Now: a.svc.Now, Logger: log, Homes: homes,
		Groups: a.groups, Foreground: sender.Foreground})
	if a.groups != nil {
		wg.Go(func() { a.groups.Run(ctx, slack.RefreshEvery) })
	}
	if appToken != "" {
		wg.Go(func() { s.ConnectSocketMode(ctx, token, appToken, env.get("SLACK_API_URL")) })
		log.Info("Slack: Socket Mode")
		return nil
	}
	s.Register(router)
	log.Info("Slack: HTTP endpoints /slack/commands, /slack/events, /slack/interactions")
	return nil
}

// confirmKey signs the Confirm buttons of typed commands. Every replica
// holds the bot token, and nobody outside does: a key derived from it lets
// any replica take a press, and no one forge one.
func confirmKey(botToken string) []byte {
	h := hmac.New(sha256.New, []byte(botToken))
	h.Write([]byte("releasebot confirm buttons"))
	return h.Sum(nil)
}
