package bot

import (
	"reflect"
	"testing"
)

// TestOutboxBodies: the outbox stores the neutral message and reads it
// back as it was; it still reads the Block Kit bodies of earlier
// releasebots (format 0), and refuses formats it doesn't know.
func TestOutboxBodies(t *testing.T) {
	request := Message{Text: "*Sign-off needed*", Blocks: []Block{
		Header("R-1 · api v1"),
		Section("*Sign-off needed*"),
		{Kind: BlockSection, Text: "*DORA*", Fields: []string{"*Lead time*\n6h", "*Failures*\n1"}},
		Divider(),
		Context("React :white_check_mark:"),
		Buttons("signoff_actions",
			Button{ActionID: ActionApprove, Value: "1|payments", Label: "Approve", Style: StylePrimary},
			Button{ActionID: ActionReject, Value: "1|payments", Label: "Reject", Style: StyleDanger}),
	}}
	body, err := encodeMessage(request)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		body    string
		want    Message
		wantErr bool
	}{
		{name: "neutral", body: body, want: request},
		{name: "text alone", body: `{"format":2,"text":"hi"}`, want: Message{Text: "hi"}},
		{name: "block kit of before", body: `{"text":"*Sign-off needed*","blocks":[` +
			`{"type":"header","text":{"type":"plain_text","text":"R-1 · api v1","emoji":true}},` +
			`{"type":"section","text":{"type":"mrkdwn","text":"*Sign-off needed*"}},` +
			`{"type":"section","text":{"type":"mrkdwn","text":"*DORA*"},"fields":[{"type":"mrkdwn","text":"*Lead time*\n6h"},{"type":"mrkdwn","text":"*Failures*\n1"}]},` +
			`{"type":"divider"},` +
			`{"type":"context","elements":[{"type":"mrkdwn","text":"React :white_check_mark:"}]},` +
			`{"type":"actions","block_id":"signoff_actions","elements":[` +
			`{"type":"button","action_id":"approve","value":"1|payments","text":{"type":"plain_text","text":"Approve"},"style":"primary"},` +
			`{"type":"button","action_id":"reject","value":"1|payments","text":{"type":"plain_text","text":"Reject"},"style":"danger"}]}]}`,
			want: request},
		{name: "block kit of before, text alone", body: `{"text":"hi","blocks":null}`, want: Message{Text: "hi"}},
		{name: "a format to come", body: `{"format":3,"text":"hi","layout":[]}`, wantErr: true},
		{name: "not JSON", body: `hi`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeMessage(tc.body)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want one: %v", err, tc.wantErr)
			}
			if !tc.wantErr && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
