package slack

import (
	"context"
	"unicode/utf8"

	slackgo "github.com/slack-go/slack"

	"github.com/releasebot/releasebot/bot"
)

// Limits Slack documents for views: blocks per view, a modal's title and
// button labels, an input's label and hint, an option's text.
const (
	maxViewBlocks  = 100
	maxModalTitle  = 24
	maxModalButton = 24
	maxInputLabel  = 2000
	maxInputHint   = 2000
	maxOptionText  = 75
	maxPlaceholder = 150
	inputActionID  = "value" // every input's element: the block id names the input
)

// homeView renders a Home as the view views.publish takes.
func homeView(m bot.Message) slackgo.HomeTabViewRequest {
	blocks := blockKit(m.Blocks)
	if len(blocks) > maxViewBlocks {
		blocks = blocks[:maxViewBlocks]
	}
	return slackgo.HomeTabViewRequest{Type: slackgo.VTHomeTab, Blocks: slackgo.Blocks{BlockSet: blocks}}
}

func plain(s string, max int) *slackgo.TextBlockObject {
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max-1]) + "…"
	}
	return slackgo.NewTextBlockObject(slackgo.PlainTextType, s, false, false)
}

// modalView renders a form as the modal views.open takes: one input block
// per input, its block id the input's ID, so that errors come back beside
// it (response_action "errors" names blocks).
func modalView(f bot.Form) slackgo.ModalViewRequest {
	var blocks []slackgo.Block
	if f.Intro != "" {
		blocks = append(blocks, slackgo.NewSectionBlock(slackgo.NewTextBlockObject(slackgo.MarkdownType, f.Intro, false, false), nil, nil))
	}
	for _, in := range f.Inputs {
		var placeholder *slackgo.TextBlockObject
		if in.Placeholder != "" {
			placeholder = plain(in.Placeholder, maxPlaceholder)
		}
		options := make([]*slackgo.OptionBlockObject, len(in.Options))
		for i, o := range in.Options {
			options[i] = slackgo.NewOptionBlockObject(o.Value, plain(o.Label, maxOptionText), nil)
		}
		var el slackgo.BlockElement
		switch in.Kind {
		case bot.InputSelect:
			el = slackgo.NewOptionsSelectBlockElement(slackgo.OptTypeStatic, placeholder, inputActionID, options...)
		case bot.InputMultiSelect:
			el = slackgo.NewOptionsMultiSelectBlockElement(slackgo.MultiOptTypeStatic, placeholder, inputActionID, options...)
		default:
			t := slackgo.NewPlainTextInputBlockElement(placeholder, inputActionID).WithMultiline(in.Kind == bot.InputTextArea)
			if in.MaxLength > 0 {
				t = t.WithMaxLength(in.MaxLength)
			}
			el = t
		}
		var hint *slackgo.TextBlockObject
		if in.Hint != "" {
			hint = plain(in.Hint, maxInputHint)
		}
		blocks = append(blocks, slackgo.NewInputBlock(in.ID, plain(in.Label, maxInputLabel), hint, el).WithOptional(in.Optional))
	}
	return slackgo.ModalViewRequest{Type: slackgo.VTModal, CallbackID: f.ID, Title: plain(f.Title, maxModalTitle),
		Submit: plain(f.Submit, maxModalButton), Close: plain("Cancel", maxModalButton), PrivateMetadata: f.Meta,
		Blocks: slackgo.Blocks{BlockSet: blocks}}
}

// formValues reads a submitted view's inputs: per block, the text typed
// or the options chosen.
func formValues(state *slackgo.ViewState) bot.FormValues {
	out := bot.FormValues{}
	if state == nil {
		return out
	}
	for block, actions := range state.Values {
		a, ok := actions[inputActionID]
		if !ok {
			continue
		}
		switch {
		case a.SelectedOption.Value != "":
			out[block] = []string{a.SelectedOption.Value}
		case len(a.SelectedOptions) > 0:
			for _, o := range a.SelectedOptions {
				out[block] = append(out[block], o.Value)
			}
		case a.Value != "":
			out[block] = []string{a.Value}
		}
	}
	return out
}

// PublishHome calls views.publish with user's Home.
func (c *SlackChat) PublishHome(ctx context.Context, user string, m bot.Message) error {
	_, err := c.api.PublishViewContext(ctx, slackgo.PublishViewContextRequest{UserID: user, View: homeView(m)})
	c.count("views.publish", err)
	return chatError(err)
}

// OpenForm calls views.open with f as a modal, for the interaction whose
// trigger_id is trigger (valid for 3 seconds).
func (c *SlackChat) OpenForm(ctx context.Context, trigger string, f bot.Form) error {
	_, err := c.api.OpenViewContext(ctx, trigger, modalView(f))
	c.count("views.open", err)
	return chatError(err)
}

var _ bot.HomePublisher = (*SlackChat)(nil)

// formOpener is a chat that can show a form (SlackChat).
type formOpener interface {
	OpenForm(ctx context.Context, trigger string, f bot.Form) error
}
