package slack

import (
	"context"
	"regexp"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/releasebot/releasebot/bot"
)

// homeOpened publishes the Home of the user who opened releasebot's Home
// tab (app_home_opened; the Messages tab sends it too, with tab
// "messages", and is left alone). A failed publish is not a failed
// event: Homes tries again itself, and Slack's redelivery would only add
// calls.
func (s *Slack) homeOpened(ctx context.Context, id, team string, e *slackevents.AppHomeOpenedEvent) error {
	if s.homes == nil || e.Tab != "home" || e.User == "" {
		return nil
	}
	if !s.home(ctx, "app_home_opened", team) {
		s.log.Warn("app_home_opened from another workspace ignored", "event_id", id, "team_id", team)
		return nil
	}
	_ = s.homes.Opened(ctx, e.User) // logged by Homes
	return nil
}

// interactionAnswer handles an interaction within the answer's budget and
// returns what to answer Slack with: for a form submission it refuses,
// the errors to show beside the inputs; nil for anything else, which
// closes a submitted form.
func (s *Slack) interactionAnswer(ic slackgo.InteractionCallback) *slackgo.ViewSubmissionResponse {
	if ic.Type != slackgo.InteractionTypeViewSubmission {
		withinBudget(s, false, func(ctx context.Context) bool { s.interaction(ctx, ic); return true }, func(context.Context, bool) {})
		return nil
	}
	failed := slackgo.NewErrorsViewSubmissionResponse(map[string]string{firstInput(ic.View): s.internalError().Text})
	answer, inTime := withinBudget(s, failed, func(ctx context.Context) *slackgo.ViewSubmissionResponse { return s.viewSubmission(ctx, ic) },
		func(ctx context.Context, late *slackgo.ViewSubmissionResponse) {
			// Slack closed the form when its 3 seconds passed: say why
			// nothing opened, where the user will see it.
			if late == nil {
				return
			}
			m := bot.Text("Your new release did not open:")
			for _, msg := range late.Errors {
				m.Text += "\n• " + msg
			}
			m = bot.Text(m.Text)
			if _, err := s.chat.Post(ctx, ic.User.ID, "", m); err != nil {
				s.log.Error("tell a user their form was refused", "user", ic.User.ID, "err", err)
			}
		})
	if !inTime {
		return nil
	}
	return answer
}

// firstInput is the block id of a view's first input, where an error
// about none of them is shown.
func firstInput(v slackgo.View) string {
	for _, b := range v.Blocks.BlockSet {
		if in, ok := b.(*slackgo.InputBlock); ok && in.BlockID != "" {
			return in.BlockID
		}
	}
	if v.State != nil {
		for id := range v.State.Values {
			return id
		}
	}
	return "service"
}

// viewSubmission acts on a submitted form, as its user.
func (s *Slack) viewSubmission(ctx context.Context, ic slackgo.InteractionCallback) *slackgo.ViewSubmissionResponse {
	if !s.home(ctx, "form submission", ic.Team.ID) {
		s.log.Warn("form submission from another workspace refused", "team_id", ic.Team.ID, "user", ic.User.ID)
		return slackgo.NewErrorsViewSubmissionResponse(map[string]string{firstInput(ic.View): foreignNote.Text})
	}
	if ic.View.CallbackID != bot.FormCreate {
		return nil
	}
	channel := ic.View.PrivateMetadata
	if !conversationID.MatchString(channel) {
		channel = ic.User.ID // the form was opened from the Home tab: the release opens in their messages with releasebot
	}
	errs, reply := s.bot.SubmitCreate(ctx, ic.User.ID, channel, formValues(ic.View.State))
	if len(errs) > 0 {
		return slackgo.NewErrorsViewSubmissionResponse(errs)
	}
	if channel != ic.User.ID {
		// As a typed create answers: only they see it, where they typed.
		if err := s.chat.Ephemeral(ctx, channel, ic.User.ID, reply); err != nil {
			s.log.Warn("confirm a release opened from the form", "user", ic.User.ID, "channel", channel, "err", err)
		}
	}
	return nil
}

// conversationID is a Slack channel or user id, as a form's metadata
// carries it.
var conversationID = regexp.MustCompile(`^[A-Z][A-Z0-9]{1,30}$`)

// openCreateForm opens the create form for the interaction whose trigger
// is trigger, for a release to open in channel (a user's id: their
// messages with releasebot). It reports whether the form opened; when it
// did not (no chat with forms, the trigger expired), the caller answers
// another way.
func (s *Slack) openCreateForm(ctx context.Context, trigger, user, channel string) bool {
	opener, ok := s.chat.(formOpener)
	if !ok || trigger == "" {
		return false
	}
	if err := opener.OpenForm(ctx, trigger, s.bot.CreateForm(channel)); err != nil {
		s.log.Warn("open the create form", "user", user, "err", err)
		return false
	}
	return true
}
