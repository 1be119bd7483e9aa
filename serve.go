package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/web"
)

// serve runs the HTTP server, the webhook worker and the scheduler until
// ctx ends (SIGTERM), then lets in-flight requests finish.
func serve(ctx context.Context, args []string, env environment, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", env.get("RELEASEBOT_ADDR"), "listen address")
	noMigrate := fs.Bool("no-migrate", false, "don't apply pending migrations on start")
	if err := fs.Parse(args); err != nil {
		return errReported
	}
	log := newLogger(stderr, slog.LevelInfo)
	a, err := newApp(ctx, env, log, !*noMigrate)
	if err != nil {
		return err
	}
	defer a.Close()
	if env("SLACK_BOT_TOKEN") == "" {
		log.Warn("SLACK_BOT_TOKEN is not set: Slack is off; use the API, the dashboard or `releasebot shell`")
	}

	gin.SetMode(gin.ReleaseMode)
	router := gin.New()
	router.Use(gin.Recovery())
	web.Register(router, web.Options{Releases: a.svc, Logger: log})

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	srv := &http.Server{Handler: router, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	log.Info("releasebot serving", "addr", ln.Addr().String(), "config", a.cfg.Source, "version", version)

	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { a.worker.Run(work, 5*time.Second) })
	wg.Go(func() { a.loop.Run(work, time.Second) })

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		stopWork()
		wg.Wait()
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
