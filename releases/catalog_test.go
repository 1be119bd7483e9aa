package releases_test

import (
	"strings"
	"testing"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
)

// catalogPolicy is testPolicy with a service catalog, and a third team.
func catalogPolicy() releases.Policy {
	p := testPolicy()
	p.Teams = append(p.Teams, releases.Team{Name: "platform", Leads: []string{"U0PAT"}, Approvals: 1})
	p.Services = map[string]releases.ServicePolicy{
		"payments-api": {Owners: []string{"payments"}},
		"ledger":       {Owners: []string{"platform", "risk"}},
	}
	return p
}

func TestCreateWithCatalog(t *testing.T) {
	tests := []struct {
		name      string
		in        releases.CreateInput
		wantTeams string // in configured order
		wantErr   string // a part of the refusal
	}{
		{name: "owners only without --teams", in: releases.CreateInput{Service: "payments-api", Version: "v1"}, wantTeams: "payments"},
		{name: "several owners, in configured order", in: releases.CreateInput{Service: "ledger", Version: "v1"}, wantTeams: "risk,platform"},
		{name: "--teams adds to the owners", in: releases.CreateInput{Service: "payments-api", Version: "v1", Teams: []string{"risk"}},
			wantTeams: "payments,risk"},
		{name: "--teams cannot drop an owner", in: releases.CreateInput{Service: "ledger", Version: "v1", Teams: []string{"payments"}},
			wantTeams: "payments,risk,platform"},
		{name: "any case finds the service", in: releases.CreateInput{Service: "Payments-API", Version: "v1"}, wantTeams: "payments"},
		{name: "not in the catalog, misspelt", in: releases.CreateInput{Service: "paymnts-api", Version: "v1"},
			wantErr: `There is no service "paymnts-api" in the catalog; did you mean payments-api?`},
		{name: "not in the catalog at all", in: releases.CreateInput{Service: "search", Version: "v1"},
			wantErr: `There is no service "search" in the catalog; the services are ledger, payments-api.`},
		{name: "unknown team still refused", in: releases.CreateInput{Service: "ledger", Version: "v1", Teams: []string{"legal"}},
			wantErr: `There is no team "legal"`},
	}
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		svc := releases.NewCoordinator(releases.Options{Store: s, Policy: catalogPolicy(), Now: newClock().Now})
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.in.Version = tt.in.Version + "." + string(rune('a'+i)) // one open release per version
				r, err := svc.Create(ctx, dave, tt.in)
				if tt.wantErr != "" {
					if releases.ErrorCode(err) != releases.EInvalid || !strings.Contains(err.Error(), tt.wantErr) {
						t.Fatalf("got %v (%s), want EInvalid with %q", err, releases.ErrorCode(err), tt.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if got := strings.Join(r.Teams, ","); got != tt.wantTeams {
					t.Errorf("sign-off teams %q, want %q", got, tt.wantTeams)
				}
			})
		}
	})
}

// Without a catalog any service may be released, and every team signs off.
func TestCreateWithoutCatalog(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		svc := releases.NewCoordinator(releases.Options{Store: s, Policy: testPolicy(), Now: newClock().Now})
		r, err := svc.Create(ctx, dave, releases.CreateInput{Service: "anything-goes", Version: "v1"})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(r.Teams, ","); got != "payments,risk" {
			t.Errorf("sign-off teams %q, want every team", got)
		}
	})
}

// The owners of a catalog service need only their own sign-off: the
// release starts deploying once they gave it.
func TestOwnersSignOffAlone(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		svc := releases.NewCoordinator(releases.Options{Store: s, Policy: catalogPolicy(), Now: newClock().Now})
		r, err := svc.Create(ctx, dave, releases.CreateInput{Service: "payments-api", Version: "v1"})
		if err != nil {
			t.Fatal(err)
		}
		r, err = svc.SignOff(ctx, alice, r.ID, "payments")
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != releases.StatusDeploying {
			t.Errorf("status after the owner's sign-off %s, want deploying", r.Status)
		}
	})
}
