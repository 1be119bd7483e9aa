package bot

import (
	"context"
	"strings"

	"github.com/releasebot/releasebot/commands"
	"github.com/releasebot/releasebot/metrics"
	"github.com/releasebot/releasebot/releases"
)

// Form is a dialog that asks for several inputs at once: in Slack, a
// modal. Like Message it is neutral; a chat adapter renders it.
type Form struct {
	// ID says what the form is for (FormCreate): the adapter hands it back
	// with the submission.
	ID     string
	Title  string // plain text, at most 24 characters (Slack's limit for a modal)
	Submit string // the submit button's label
	// Meta travels with the form and comes back with its submission: for
	// FormCreate, the channel the release opens in.
	Meta   string
	Intro  string // mrkdwn above the inputs
	Inputs []Input
}

// InputKind names what an Input is.
type InputKind string

// The kinds of input a form is made of.
const (
	InputText        InputKind = "text"         // one line
	InputTextArea    InputKind = "textarea"     // several lines
	InputSelect      InputKind = "select"       // one of Options
	InputMultiSelect InputKind = "multi_select" // any of Options, offered in their order
)

// Input is one field of a form. Its ID names it in the submission and in
// the errors that come back about it.
type Input struct {
	ID          string
	Label       string // plain text
	Hint        string // plain text, under the input
	Placeholder string
	Kind        InputKind
	Options     []Option
	Optional    bool
	MaxLength   int // of text; 0: Slack's own limit
}

// Option is one choice of a select.
type Option struct {
	Value string
	Label string // plain text
}

// FormValues are a submitted form's inputs by ID: the text typed, or the
// values chosen. An input left empty is absent.
type FormValues map[string][]string

// one returns the single value of input id, "" if none.
func (v FormValues) one(id string) string {
	if vs := v[id]; len(vs) > 0 {
		return strings.TrimSpace(vs[0])
	}
	return ""
}

// FormCreate is the ID of the create form.
const FormCreate = "create_release"

// Limits of Slack's select menus: a static select offers at most 100
// options. A catalog of more services is typed, and checked all the same.
const maxSelectOptions = 100

// CreateForm is the form `/release` with no arguments opens: what `/release
// create` asks for, one input each. The release opens in channel.
func (b *Bot) CreateForm(channel string) Form {
	f := Form{ID: FormCreate, Title: "New release", Submit: "Open release", Meta: channel,
		Intro: "Opens a release as `/release create` does: its card goes to this channel, sign-off requests to the teams' channels."}
	service := Input{ID: releases.FieldService, Label: "Service", Kind: InputText, Placeholder: "payments-api", MaxLength: releases.MaxServiceName}
	if n := len(b.cfg.Services); n > 0 && n <= maxSelectOptions {
		service = Input{ID: releases.FieldService, Label: "Service", Kind: InputSelect, Placeholder: "Pick a service"}
		for _, s := range b.cfg.Services {
			service.Options = append(service.Options, Option{Value: s, Label: s})
		}
		service.Hint = "From the service catalog; its owning teams always sign off."
	}
	f.Inputs = append(f.Inputs, service,
		Input{ID: releases.FieldVersion, Label: "Version", Kind: InputText, Placeholder: "v2.4.0", MaxLength: releases.MaxVersion})
	if len(b.cfg.Teams) > 0 {
		teams := Input{ID: releases.FieldTeams, Label: "Teams to sign off", Kind: InputMultiSelect, Optional: true,
			Placeholder: "Pick teams", Hint: "Empty: the service's owners sign off, or every team when there is no catalog."}
		if len(b.cfg.Services) > 0 {
			teams.Label, teams.Hint = "Extra teams to sign off", "The service's owners always sign off; these sign off too."
		}
		for _, t := range b.cfg.Teams[:min(len(b.cfg.Teams), maxSelectOptions)] {
			teams.Options = append(teams.Options, Option{Value: t.Name, Label: t.Name})
		}
		f.Inputs = append(f.Inputs, teams)
	}
	if len(b.cfg.Policy.Environments) > 0 {
		envs := Input{ID: releases.FieldEnvironments, Label: "Environments", Kind: InputMultiSelect, Optional: true,
			Placeholder: "Every environment", Hint: "Deployed in the order shown. Empty: all of them. It may stop early but not skip one."}
		for _, e := range b.cfg.Policy.Environments[:min(len(b.cfg.Policy.Environments), maxSelectOptions)] {
			envs.Options = append(envs.Options, Option{Value: e.Name, Label: e.Name})
		}
		f.Inputs = append(f.Inputs, envs)
	}
	if len(b.cfg.Windows) > 0 {
		w := Input{ID: releases.FieldWindow, Label: "Release window", Kind: InputSelect, Optional: true,
			Placeholder: "None", Hint: "Deploy in this window's next opening; or give a time below, not both."}
		for _, win := range b.cfg.Windows[:min(len(b.cfg.Windows), maxSelectOptions)] {
			w.Options = append(w.Options, Option{Value: win.Name, Label: win.Name})
		}
		f.Inputs = append(f.Inputs, w)
	}
	zone := "UTC"
	if b.cfg.Location != nil {
		zone = b.cfg.Location.String()
	}
	f.Inputs = append(f.Inputs,
		Input{ID: releases.FieldStartAt, Label: "Start at", Kind: InputText, Optional: true, Placeholder: "2026-12-01 14:00",
			Hint: "YYYY-MM-DD HH:MM in " + zone + ". Empty, without a window: as soon as it is signed off.", MaxLength: 40},
		Input{ID: releases.FieldNotes, Label: "Notes", Kind: InputTextArea, Optional: true, MaxLength: 2000})
	return f
}

// SubmitCreate opens the release a submitted create form describes, as
// user, in channel (the form's Meta), through the same path as a typed
// `/release create`: the same checks, the same card and requests. When it
// is refused, errs holds the message for each input it is about (inputs
// by ID; a refusal about no input is shown beside the first); otherwise
// reply is what the typed command would have answered.
func (b *Bot) SubmitCreate(ctx context.Context, user, channel string, v FormValues) (errs map[string]string, reply Message) {
	c := commands.Create{Service: v.one(releases.FieldService), Version: v.one(releases.FieldVersion),
		Teams: v[releases.FieldTeams], Envs: v[releases.FieldEnvironments], Window: v.one(releases.FieldWindow),
		Notes: v.one(releases.FieldNotes)}
	if at := v.one(releases.FieldStartAt); at != "" {
		t, err := commands.ParseTime(at, b.cfg.Location)
		if err != nil {
			b.metrics.CommandHandled(c.Name(), metrics.Usage)
			return map[string]string{releases.FieldStartAt: err.Error()}, Message{}
		}
		c.At = t
	}
	reply, err := b.run(ctx, Invocation{User: user, Channel: channel}, c)
	b.metrics.CommandHandled(c.Name(), metrics.CommandOutcome(err))
	if err == nil {
		return nil, reply
	}
	field := releases.ErrorField(err)
	if field == "" {
		field = releases.FieldService
	}
	msg := releases.ErrorMessage(err) // shown as plain text: not escaped
	if releases.ErrorCode(err) == releases.EInternal {
		msg = b.Failure(ctx, "create form", err).Text
	}
	return map[string]string{field: msg}, Message{}
}
