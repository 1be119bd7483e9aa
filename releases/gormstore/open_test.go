package gormstore_test

import (
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/releasebot/releasebot/internal/syncbuf"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
)

func TestOpenRejectsBadURLs(t *testing.T) {
	tests := []struct {
		name string
		url  string
		want string // in the error
	}{
		{name: "unsupported scheme", url: "mysql://x", want: "must start with sqlite:// or postgres://"},
		{name: "no scheme", url: "releasebot.db", want: "must start with sqlite:// or postgres://"},
		{name: "empty", url: "", want: "must start with sqlite:// or postgres://"},
		{name: "sqlite without a file", url: "sqlite://", want: "names no file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := gormstore.Open(t.Context(), tc.url, gormstore.Options{})
			if err == nil {
				_ = s.Close()
				t.Fatalf("Open(%q) succeeded, want an error", tc.url)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open(%q) error %q, want it to say %q", tc.url, err, tc.want)
			}
		})
	}
}

// TestOpenHidesPasswords opens URLs that fail (a closed port, an unknown
// scheme, an unparsable URL) and checks that the password is not in the
// error, which ends up in logs.
func TestOpenHidesPasswords(t *testing.T) {
	const secret = "s3cr3t-pw"
	tests := []struct {
		name string
		url  string
	}{
		{name: "postgres, closed port", url: "postgres://releasebot:" + secret + "@127.0.0.1:1/releasebot?sslmode=disable&connect_timeout=5"},
		{name: "postgresql scheme", url: "postgresql://releasebot:" + secret + "@127.0.0.1:1/releasebot?sslmode=disable&connect_timeout=5"},
		{name: "password parameter", url: "postgres://releasebot@127.0.0.1:1/releasebot?sslmode=disable&password=" + secret},
		{name: "unescaped # in password", url: "postgres://releasebot:pa#" + secret + "@127.0.0.1:1/releasebot?sslmode=disable"},
		{name: "unescaped / in password", url: "postgres://releasebot:pa/" + secret + "@127.0.0.1:1/releasebot?sslmode=disable"},
		{name: "bad escape in password", url: "postgres://releasebot:pa%zz" + secret + "@127.0.0.1:1/releasebot?sslmode=disable"},
		{name: "digits then # in password", url: "postgres://releasebot:123#" + secret + "@127.0.0.1:1/releasebot?sslmode=disable"},
		{name: "unsupported scheme", url: "mysql://releasebot:" + secret + "@127.0.0.1:1/releasebot"},
		{name: "unsupported scheme, unparsable", url: "mysql://releasebot:pa#" + secret + "@127.0.0.1:1/releasebot"},
		{name: "key=value string", url: "host=127.0.0.1 port=1 user=releasebot password=" + secret},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := gormstore.Open(t.Context(), tc.url, gormstore.Options{})
			if err == nil {
				_ = s.Close()
				t.Fatalf("Open(%q) succeeded, want an error", tc.url)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("Open error shows the password: %v", err)
			}
			if !strings.Contains(err.Error(), "127.0.0.1") {
				t.Errorf("Open error %q does not say which database it tried", err)
			}
		})
	}
}

// TestOpenMemory checks that sqlite://:memory: works and that every store
// opened on it is a database of its own.
func TestOpenMemory(t *testing.T) {
	ctx := t.Context()
	a := storetest.Open(t, "sqlite://:memory:", nil)
	b := storetest.Open(t, "sqlite://:memory:", nil)
	r := &releases.Release{Service: "api", Version: "v1", Status: releases.StatusAwaitingSignoff, Environments: []string{"staging"}}
	if err := a.Tx(ctx, func(tx releases.Tx) error { return tx.CreateRelease(ctx, r) }); err != nil {
		t.Fatalf("create in the first store: %v", err)
	}
	if got, err := a.Release(ctx, r.ID); err != nil || got.Version != "v1" {
		t.Fatalf("first store: Release(%d) = %+v, %v", r.ID, got, err)
	}
	if got, err := b.Releases(ctx, releases.Filter{}); err != nil || len(got) != 0 {
		t.Fatalf("second store: Releases = %+v, %v; want none: the two share a database", got, err)
	}
	// Same version in the second store: no duplicate, so no shared index.
	r2 := &releases.Release{Service: "api", Version: "v1", Status: releases.StatusAwaitingSignoff, Environments: []string{"staging"}}
	if err := b.Tx(ctx, func(tx releases.Tx) error { return tx.CreateRelease(ctx, r2) }); err != nil {
		t.Fatalf("create in the second store: %v", err)
	}
}

// TestDuplicatesAreNotLoggedAsErrors: a second open release of a version
// is a person's retyped command, answered with a sentence; the log gets no
// ERROR line with its SQL. A real database error still is one.
func TestDuplicatesAreNotLoggedAsErrors(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			ctx := t.Context()
			var logs syncbuf.Buffer
			url := db.URL(t)
			storetest.Open(t, url, nil) // migrates
			s, err := gormstore.Open(ctx, url, gormstore.Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			create := func() error {
				r := &releases.Release{Service: "api", Version: "v1", Status: releases.StatusAwaitingSignoff, Environments: []string{"staging"}}
				return s.Tx(ctx, func(tx releases.Tx) error { return tx.CreateRelease(ctx, r) })
			}
			if err := create(); err != nil {
				t.Fatal(err)
			}
			if err := create(); !errors.Is(err, releases.ErrDuplicate) {
				t.Fatalf("second create: %v, want ErrDuplicate", err)
			}
			if strings.Contains(logs.String(), `"level":"ERROR"`) {
				t.Errorf("a duplicate was logged as an error:\n%s", logs.String())
			}
			if _, err := s.DB().ExecContext(ctx, "ALTER TABLE releases RENAME TO releases_gone"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Release(ctx, 1); err == nil {
				t.Fatal("Release on a missing table succeeded")
			}
			if !strings.Contains(logs.String(), `"level":"ERROR"`) {
				t.Errorf("a failing query was not logged as an error:\n%s", logs.String())
			}
		})
	}
}
