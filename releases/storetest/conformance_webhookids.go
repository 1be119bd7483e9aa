package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// testRememberWebhookID: an id names one deployment; the same id again for
// it is fine, for another it is ErrDuplicate, and a refused id is not
// recorded by a transaction that rolled back. Ids seen before forgetBefore
// are forgotten, at most a batch per call.
func testRememberWebhookID(t *testing.T, s releases.Store) {
	ctx := t.Context()
	remember := func(id string, deployment int64, when, forgetBefore time.Time) error {
		return s.Tx(ctx, func(tx releases.Tx) error {
			return tx.RememberWebhookID(ctx, id, deployment, when, forgetBefore)
		})
	}
	long := at(-60)
	tests := []struct {
		name         string
		id           string
		deployment   int64
		when, forget time.Time
		want         error
	}{
		{name: "first use", id: "msg_1", deployment: 4, when: at(0), forget: long},
		{name: "again for the same deployment", id: "msg_1", deployment: 4, when: at(1), forget: long},
		{name: "for another deployment", id: "msg_1", deployment: 5, when: at(2), forget: long, want: releases.ErrDuplicate},
		{name: "another id for the other deployment", id: "msg_2", deployment: 5, when: at(2), forget: long},
		{name: "still refused a little later", id: "msg_1", deployment: 5, when: at(9), forget: at(-6), want: releases.ErrDuplicate},
		// msg_1 (seen at 0 and kept from then) is forgotten once it is old.
		{name: "forgotten once old", id: "msg_1", deployment: 5, when: at(20), forget: at(1)},
		{name: "now it names the other deployment", id: "msg_1", deployment: 4, when: at(21), forget: at(1), want: releases.ErrDuplicate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := remember(tc.id, tc.deployment, tc.when, tc.forget)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("RememberWebhookID(%s, D-%d) = %v, want %v", tc.id, tc.deployment, err, tc.want)
			}
		})
	}

	// Growth is bounded: every call forgets old ids.
	for i := range 150 {
		if err := remember(fmt.Sprintf("msg_old_%d", i), 7, at(30), long); err != nil {
			t.Fatal(err)
		}
	}
	if err := remember("msg_new_1", 7, at(60), at(45)); err != nil {
		t.Fatal(err)
	}
	if err := remember("msg_new_2", 7, at(60), at(45)); err != nil {
		t.Fatal(err)
	}
	// The old ones are gone: they may name another deployment now.
	if err := remember("msg_old_3", 8, at(61), at(45)); err != nil {
		t.Fatalf("an id older than forgetBefore is still remembered: %v", err)
	}
	if err := remember("msg_new_1", 8, at(61), at(45)); !errors.Is(err, releases.ErrDuplicate) {
		t.Fatalf("a recent id was forgotten: %v", err)
	}

	// Two transactions taking one id for two deployments at once: one wins.
	errs := make(chan error, 2)
	for _, d := range []int64{10, 11} {
		go func() { errs <- remember("msg_race", d, at(70), at(45)) }()
	}
	var dup int
	for range 2 {
		if err := <-errs; errors.Is(err, releases.ErrDuplicate) {
			dup++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if dup != 1 {
		t.Fatalf("concurrent first uses for two deployments: %d refused, want 1", dup)
	}
}
