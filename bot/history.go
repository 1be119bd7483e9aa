package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/scheduler"
)

// serviceFigures says who owns service and how it fared in production
// (the last configured environment) over the DORA period, for
// `/release history SERVICE`; "" when there is neither an owner nor a
// history reader.
func (b *Bot) serviceFigures(ctx context.Context, service string) (string, error) {
	var lines []string
	if b.owners != nil {
		if teams := b.owners(service); len(teams) > 0 {
			names := make([]string, len(teams))
			for i, t := range teams {
				names[i] = "*" + escape(t) + "*"
			}
			lines = append(lines, fmt.Sprintf("%s is owned by %s.", escape(service), strings.Join(names, ", ")))
		}
	}
	envs := b.view.policy.Environments
	if b.history != nil && len(envs) > 0 {
		prod := envs[len(envs)-1].Name
		now := b.now()
		from := now.Add(-scheduler.DORAPeriod)
		w, err := releases.ReadDORA(ctx, b.history, prod, from, now)
		if errors.Is(err, releases.ErrSpansNotKept) {
			b.log.Warn("history", "service", service, "err", err) // its figures are right
		} else if err != nil {
			return "", err
		}
		days := int(scheduler.DORAPeriod.Hours() / 24)
		if d := w.Service(service); d.Changes > 0 {
			lines = append(lines, fmt.Sprintf("In %s, last %d days: %s", escape(prod), days, doraLine(d)))
		} else {
			lines = append(lines, fmt.Sprintf("No deployment to %s in the last %d days.", escape(prod), days))
		}
	}
	return strings.Join(lines, "\n"), nil
}

// doraLine is a service's or team's DORA figures on one line.
func doraLine(d releases.DORA) string {
	return fmt.Sprintf("%d deployed · lead time %s · %s failed (%d of %d) · restored in %s%s",
		d.Deployments, duration(d.LeadTime, d.Deployments), percent(d.FailureRate, d.Changes), d.Failures, d.Changes,
		duration(d.TimeToRestore, d.Restored), unrestored(d.Unrestored))
}
