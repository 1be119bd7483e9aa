package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"time"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
)

const auditUsage = "usage: releasebot audit verify [--head HASH]"

// auditCmd runs `releasebot audit verify`: it walks the audit chain from
// its first event and exits non-zero at the first event that was changed,
// deleted or reordered, or when --head names a hash the chain no longer
// holds. It only reads; it neither migrates nor seals.
func auditCmd(ctx context.Context, args []string, env environment, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(stderr, auditUsage)
		return errReported
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	head := fs.String("head", "", "a head hash copied earlier (a summary, /metrics): the chain must still hold it")
	if err := fs.Parse(args[1:]); err != nil {
		return errReported
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, auditUsage)
		return errReported
	}
	if *head != "" && !hashPattern.MatchString(*head) {
		fmt.Fprintf(stderr, "--head %q is not a hash: 64 lower-case hex digits, as in the summaries and releasebot_audit_head_info\n", *head)
		return errReported
	}
	store, err := gormstore.Open(ctx, env.get("DATABASE_URL"), gormstore.Options{})
	if err != nil {
		return err
	}
	defer store.Close()
	rep, err := releases.VerifyChain(ctx, store, *head)
	if err != nil {
		return fmt.Errorf("audit verify: %w (is the database migrated? releasebot migrate up)", err)
	}
	unsealed := fmt.Sprintf("%d event(s) not sealed yet (serve seals within seconds; they are not checked)", rep.Unsealed)
	switch {
	case rep.Break != nil:
		fmt.Fprintf(stderr, "audit chain BROKEN (%s): %s\n", rep.Break.Kind, rep.Break.Message)
		fmt.Fprintf(stderr, "%d event(s) before it are intact; %s\n", rep.Checked, unsealed)
		return errReported
	case rep.HeadMissing:
		fmt.Fprintf(stderr, "audit chain BROKEN (truncated): no event has the head hash %s; the %d event(s) in the chain are linked, but the events sealed after that head were deleted, or the chain was rewritten\n",
			*head, rep.Checked)
		return errReported
	}
	if rep.Checked == 0 {
		fmt.Fprintf(stdout, "audit chain intact: no event sealed yet; %s\n", unsealed)
		return nil
	}
	fmt.Fprintf(stdout, "audit chain intact: %d event(s), head %s (seq %d, event %d at %s); %s\n",
		rep.Checked, rep.Head.Hash, rep.Head.Seq, rep.Head.ID, rep.Head.At.Format(time.RFC3339), unsealed)
	if *head != "" {
		fmt.Fprintf(stdout, "the chain holds the expected head %s\n", *head)
	}
	return nil
}

var hashPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// sealEvery is how often serve seals new audit events: "within seconds".
const sealEvery = time.Second

// sealer is the store's side of sealing.
type sealer interface {
	Seal(ctx context.Context, limit int) (sealed int, busy bool, err error)
}

// sealPending seals every audit event not sealed yet, batch by batch; it
// stops early when another replica is sealing.
func sealPending(ctx context.Context, s sealer) error {
	for {
		n, busy, err := s.Seal(ctx, gormstore.DefaultSealBatch)
		if err != nil || busy || n < gormstore.DefaultSealBatch {
			return err
		}
	}
}

// sealLoop seals new audit events every interval until ctx ends. Every
// replica runs one; the store lets one seal at a time, so they never fork
// the chain, and hashing stays off the requests' path.
func sealLoop(ctx context.Context, s sealer, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := sealPending(ctx, s); err != nil && ctx.Err() == nil {
			log.Error("audit chain: sealing failed; will retry", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
