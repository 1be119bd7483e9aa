package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/releasebot/releasebot/ci"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
)

const tokenUsage = `usage:
  releasebot token create --name NAME --services SERVICE[,SERVICE…]
  releasebot token list
  releasebot token revoke NAME`

// tokenCommand manages the scoped API tokens CI uses to open releases
// (POST /api/releases). A new token is printed once; the database keeps
// only its hash.
func tokenCommand(ctx context.Context, args []string, env environment, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, tokenUsage)
		return errReported
	}
	store, err := gormstore.Open(ctx, env.get("DATABASE_URL"), gormstore.Options{})
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Migrate(ctx); err != nil {
		return err
	}
	tokens := ci.Tokens{Store: store}
	switch args[0] {
	case "create":
		fs := flag.NewFlagSet("token create", flag.ContinueOnError)
		fs.SetOutput(stderr)
		name := fs.String("name", "", "the token's name: releases it opens are created by ci:NAME")
		services := fs.String("services", "", "comma-separated services it may open releases of")
		if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
			fmt.Fprintln(stderr, tokenUsage)
			return errReported
		}
		tok, err := tokens.Create(ctx, *name, strings.Split(*services, ","))
		if err != nil {
			return tokenError(err, stderr)
		}
		fmt.Fprintln(stdout, tok)
		fmt.Fprintf(stderr, "Created token %s. It is shown this once: store it as a CI secret now. Send it as \"Authorization: Bearer TOKEN\" to POST /api/releases.\n", *name)
		return nil
	case "list":
		if len(args) != 1 {
			fmt.Fprintln(stderr, tokenUsage)
			return errReported
		}
		list, err := store.Tokens(ctx)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			fmt.Fprintln(stdout, "No API tokens. Create one with `releasebot token create --name ci-NAME --services SERVICE`.")
			return nil
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tSERVICES\tCREATED\tLAST USED\tSTATUS")
		for _, t := range list {
			status := "active"
			if t.Revoked() {
				status = "revoked " + listTime(t.RevokedAt)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", t.Name, strings.Join(t.Services, ","), listTime(t.CreatedAt), listTime(t.LastUsedAt), status)
		}
		return w.Flush()
	case "revoke":
		if len(args) != 2 {
			fmt.Fprintln(stderr, tokenUsage)
			return errReported
		}
		if err := tokens.Revoke(ctx, args[1]); err != nil {
			return tokenError(err, stderr)
		}
		fmt.Fprintf(stdout, "Revoked token %s; it no longer opens releases.\n", args[1])
		return nil
	}
	fmt.Fprintln(stderr, tokenUsage)
	return errReported
}

// tokenError prints a refusal meant for people as it is.
func tokenError(err error, stderr io.Writer) error {
	if releases.ErrorCode(err) == releases.EInternal {
		return err
	}
	fmt.Fprintln(stderr, releases.ErrorMessage(err))
	return errReported
}

func listTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}
