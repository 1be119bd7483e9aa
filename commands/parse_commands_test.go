package commands

import (
	"strings"
	"testing"
	"time"
)

func at(y int, m time.Month, d, h, min int, loc *time.Location) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, loc)
}

func TestParseCreate(t *testing.T) {
	dec1 := at(2026, time.December, 1, 14, 0, berlin)
	runParseCases(t, []parseCase{
		{name: "service and version", in: "create payments-api v2.4.0", want: Create{Service: "payments-api", Version: "v2.4.0"}},
		{name: "subcommand any case", in: "CREATE payments-api v2.4.0", want: Create{Service: "payments-api", Version: "v2.4.0"}},
		{name: "service with every allowed character", in: "create Team_1/pay.ments-api 2026.12.01+build7",
			want: Create{Service: "Team_1/pay.ments-api", Version: "2026.12.01+build7"}},
		{name: "all options", in: `create payments-api v2.4.0 --teams payments,risk --envs staging,production --window weekly-train --notes "new checkout flow"`,
			want: Create{Service: "payments-api", Version: "v2.4.0", Teams: []string{"payments", "risk"},
				Envs: []string{"staging", "production"}, Window: "weekly-train", Notes: "new checkout flow"}},
		{name: "flag=value forms", in: `create svc v1 --teams=payments,risk --envs=staging --notes="a b" --window=w`,
			want: Create{Service: "svc", Version: "v1", Teams: []string{"payments", "risk"}, Envs: []string{"staging"}, Window: "w", Notes: "a b"}},
		{name: "flag='value' with single quotes", in: `create svc v1 --notes='it is fine'`,
			want: Create{Service: "svc", Version: "v1", Notes: "it is fine"}},
		{name: "options before positionals", in: "create --window w svc v1", want: Create{Service: "svc", Version: "v1", Window: "w"}},
		{name: "list items trimmed", in: `create svc v1 --teams " payments , risk "`,
			want: Create{Service: "svc", Version: "v1", Teams: []string{"payments", "risk"}}},
		{name: "at quoted local time", in: `create svc v1 --at "2026-12-01 14:00"`, want: Create{Service: "svc", Version: "v1", At: dec1}},
		{name: "at unquoted two words", in: "create svc v1 --at 2026-12-01 14:00 --notes x", want: Create{Service: "svc", Version: "v1", At: dec1, Notes: "x"}},
		{name: "at= unquoted two words", in: "create svc v1 --at=2026-12-01 14:00", want: Create{Service: "svc", Version: "v1", At: dec1}},
		{name: "at RFC 3339", in: "create svc v1 --at 2026-12-01T13:00:00Z", want: Create{Service: "svc", Version: "v1", At: dec1}},
		{name: "at RFC 3339 with offset", in: "create svc v1 --at=2026-12-01T08:00:00-05:00", want: Create{Service: "svc", Version: "v1", At: dec1}},
		{name: "smart quoted notes", in: "create svc v1 --notes “new checkout flow”", want: Create{Service: "svc", Version: "v1", Notes: "new checkout flow"}},
		{name: "notes with apostrophe unquoted", in: "create svc v1 --notes don't", want: Create{Service: "svc", Version: "v1", Notes: "don't"}},
		{name: "notes that look like an option when quoted", in: `create svc v1 --notes "--force"`, want: Create{Service: "svc", Version: "v1", Notes: "--force"}},

		{name: "missing service and version", in: "create", errCmd: "create", problem: "Missing SERVICE and VERSION"},
		{name: "missing version", in: "create payments-api", errCmd: "create", problem: `Missing VERSION after "payments-api"`},
		{name: "missing version with options", in: "create payments-api --window w", errCmd: "create", problem: "Missing VERSION"},
		{name: "bad service character", in: "create pay$ v1", errCmd: "create", problem: `"pay$" is not a service name`},
		{name: "service with space", in: `create "pay ments" v1`, errCmd: "create", problem: `"pay ments" is not a service name`},
		{name: "service too long", in: "create " + strings.Repeat("s", 101) + " v1", errCmd: "create", problem: "is not a service name; use 1 to 100"},
		{name: "version with space", in: `create svc "v1 beta"`, errCmd: "create", problem: `The version "v1 beta" contains a space`},
		{name: "version too long", in: "create svc " + strings.Repeat("v", 101), errCmd: "create", problem: "The version must be 1 to 100 characters"},
		{name: "empty version", in: `create svc ""`, errCmd: "create", problem: "The version must be 1 to 100 characters"},
		{name: "window and at together", in: `create svc v1 --window w --at "2026-12-01 14:00"`, errCmd: "create", problem: "--window and --at cannot be used together"},
		{name: "teams empty item", in: "create svc v1 --teams a,,b", errCmd: "create", problem: `The list "a,,b" for --teams has an empty item`},
		{name: "teams with a space after the comma", in: "create svc v1 --teams a, b", errCmd: "create", problem: `The list "a," for --teams has an empty item`},
		{name: "teams duplicate", in: "create svc v1 --teams risk,payments,Risk", errCmd: "create", problem: `"Risk" appears twice in --teams`},
		{name: "envs duplicate", in: "create svc v1 --envs staging,staging", errCmd: "create", problem: `"staging" appears twice in --envs`},
		{name: "envs missing value", in: "create svc v1 --envs", errCmd: "create", problem: "--envs needs a value, like --envs staging,production"},
		{name: "at missing value", in: "create svc v1 --at --window w", errCmd: "create", problem: `--at needs a value, like --at "2026-12-01 14:00"`},
		{name: "at not a time", in: "create svc v1 --at tomorrow", errCmd: "create", problem: `--at: "tomorrow" is not a time`},
		{name: "at date only", in: "create svc v1 --at 2026-12-01", errCmd: "create", problem: "YYYY-MM-DD HH:MM"},
		{name: "envs empty item", in: "create svc v1 --envs staging,", errCmd: "create", problem: "like --envs staging,production"},
		{name: "teams item too long", in: "create svc v1 --teams a," + strings.Repeat("t", 101), errCmd: "create", problem: "is too long (101 characters; at most 100)"},
		{name: "window is one name", in: "create svc v1 --window a,b", errCmd: "create", problem: "--window takes a single name"},
		{name: "unknown option close to one", in: "create svc v1 --team payments", errCmd: "create", problem: `Unknown option "--team"`, suggestion: "--teams"},
		{name: "unknown option env", in: "create svc v1 --env staging", errCmd: "create", problem: `Unknown option "--env"`, suggestion: "--envs"},
		{name: "unknown option misspelt", in: "create svc v1 --ntoes x", errCmd: "create", problem: `Unknown option "--ntoes"`, suggestion: "--notes"},
		{name: "unquoted notes", in: "create svc v1 --notes fixes login bug", errCmd: "create",
			problem: `Unexpected argument "login". If it belongs to --notes, quote the value: --notes "fixes login bug"`},
		{name: "extra positional", in: "create svc v1 extra", errCmd: "create", problem: `Unexpected argument "extra"`},
	})
}

func TestParseStatusAndList(t *testing.T) {
	runParseCases(t, []parseCase{
		{name: "status of active releases", in: "status", want: Status{}},
		{name: "status R-n", in: "status R-42", want: Status{ID: 42}},
		{name: "status r-n", in: "status r-42", want: Status{ID: 42}},
		{name: "status bare number", in: "status 42", want: Status{ID: 42}},
		{name: "status any case", in: "Status R-7", want: Status{ID: 7}},
		{name: "status bad id", in: "status R-x", errCmd: "status", problem: `"R-x" is not a release id; release ids look like R-42`},
		{name: "status zero", in: "status R-0", errCmd: "status", problem: `"R-0" is not a release id`},
		{name: "status negative", in: "status -5", errCmd: "status", problem: `"-5" is not a release id`},
		{name: "status overflow", in: "status R-9223372036854775808", errCmd: "status", problem: "too large"},
		{name: "status two ids", in: "status R-1 R-2", errCmd: "status", problem: `Unexpected argument "R-2": /release status takes at most one release id`},
		{name: "status with option", in: "status R-1 --env x", errCmd: "status", problem: "/release status takes no options"},

		{name: "list", in: "list", want: List{}},
		{name: "list all options", in: "list --status deployed --mine --limit 20", want: List{Status: "deployed", Mine: true, Limit: 20}},
		{name: "list = forms", in: "list --status=awaiting_signoff --limit=200", want: List{Status: "awaiting_signoff", Limit: MaxLimit}},
		{name: "list status any case and dashes", in: "list --status Rolled-Back", want: List{Status: "rolled_back"}},
		{name: "list limit one", in: "list --limit 1", want: List{Limit: 1}},
		{name: "list limit zero", in: "list --limit 0", errCmd: "list", problem: `--limit must be a whole number from 1 to 200, not "0"`},
		{name: "list limit too big", in: "list --limit 201", errCmd: "list", problem: `not "201"`},
		{name: "list limit negative", in: "list --limit -1", errCmd: "list", problem: `not "-1"`},
		{name: "list limit plus sign", in: "list --limit +5", errCmd: "list", problem: `not "+5"`},
		{name: "list limit word", in: "list --limit ten", errCmd: "list", problem: `not "ten"`},
		{name: "list limit overflow", in: "list --limit 99999999999999999999", errCmd: "list", problem: "whole number"},
		{name: "list status typo", in: "list --status deploied", errCmd: "list", problem: `Unknown status "deploied"; use one of awaiting_signoff, ready`, suggestion: "deployed"},
		{name: "list status US spelling", in: "list --status canceled", errCmd: "list", problem: `Unknown status "canceled"`, suggestion: "cancelled"},
		{name: "list status prefix", in: "list --status roll", errCmd: "list", problem: `Unknown status "roll"`, suggestion: "rolled_back"},
		{name: "list status part", in: "list --status signoff", errCmd: "list", problem: `Unknown status "signoff"`, suggestion: "awaiting_signoff"},
		{name: "list status nonsense", in: "list --status zzzzzz", errCmd: "list", problem: `Unknown status "zzzzzz"`},
		{name: "list status as positional", in: "list deployed", errCmd: "list", problem: "write --status deployed", suggestion: "--status"},
		{name: "list positional", in: "list everything", errCmd: "list", problem: `Unexpected argument "everything"`},
		{name: "list mine with value", in: "list --mine=yes", errCmd: "list", problem: "--mine takes no value"},
		{name: "list mine twice", in: "list --mine --mine", errCmd: "list", problem: "--mine is given twice"},
		{name: "list option typo", in: "list --mnie", errCmd: "list", problem: `Unknown option "--mnie"`, suggestion: "--mine"},
		{name: "list status missing value", in: "list --status", errCmd: "list", problem: "--status needs a value"},
	})
}

func TestParseSignOff(t *testing.T) {
	long := strings.Repeat("x", 501)
	runParseCases(t, []parseCase{
		{name: "approve", in: "approve R-42", want: Approve{ID: 42}},
		{name: "approve with team", in: "approve R-42 --team risk", want: Approve{ID: 42, Team: "risk"}},
		{name: "approve option first", in: "approve --team=risk r-42", want: Approve{ID: 42, Team: "risk"}},
		{name: "approve missing id", in: "approve", errCmd: "approve", problem: "Which release? Give its id, like /release approve R-42"},
		{name: "approve missing id with option", in: "approve --team risk", errCmd: "approve", problem: "Which release?"},
		{name: "approve bad id", in: "approve risk", errCmd: "approve", problem: `"risk" is not a release id`},
		{name: "approve team too long", in: "approve R-42 --team " + strings.Repeat("t", 101), errCmd: "approve", problem: "The --team value"},
		{name: "approve team missing value", in: "approve R-42 --team", errCmd: "approve", problem: "--team needs a value"},
		{name: "approve teams typo", in: "approve R-42 --teams risk", errCmd: "approve", problem: `Unknown option "--teams"`, suggestion: "--team"},
		{name: "approve two ids", in: "approve R-42 R-43", errCmd: "approve", problem: `Unexpected argument "R-43"`},

		{name: "reject quoted reason", in: `reject R-42 "breaks the refund flow"`, want: Reject{ID: 42, Reason: "breaks the refund flow"}},
		{name: "reject unquoted words joined", in: "reject R-42   breaks   the refund\tflow", want: Reject{ID: 42, Reason: "breaks the refund flow"}},
		{name: "reject apostrophe", in: "reject R-42 it's broken", want: Reject{ID: 42, Reason: "it's broken"}},
		{name: "reject smart double quotes", in: "reject R-42 “it’s broken”", want: Reject{ID: 42, Reason: "it’s broken"}},
		{name: "reject smart single quotes", in: "reject R-42 ‘it’s broken’", want: Reject{ID: 42, Reason: "it’s broken"}},
		{name: "reject closing smart quotes on both sides", in: "reject R-42 ”bad build”", want: Reject{ID: 42, Reason: "bad build"}},
		{name: "reject single quotes", in: "reject R-42 'bad build'", want: Reject{ID: 42, Reason: "bad build"}},
		{name: "reject single quotes around an apostrophe", in: "reject R-42 'it's bad'", want: Reject{ID: 42, Reason: "it's bad"}},
		{name: "reject backslash escapes", in: `reject R-42 "say \"no\" to C:\\temp"`, want: Reject{ID: 42, Reason: `say "no" to C:\temp`}},
		{name: "reject other backslashes kept", in: `reject R-42 "a\nb" c\d`, want: Reject{ID: 42, Reason: `a\nb c\d`}},
		{name: "reject quoted newline kept", in: "reject R-42 \"line one\nline two\"", want: Reject{ID: 42, Reason: "line one\nline two"}},
		{name: "reject mixed quoted and unquoted", in: `reject R-42 "bad build" again`, want: Reject{ID: 42, Reason: "bad build again"}},
		{name: "reject 500 characters", in: "reject R-42 " + long[:500], want: Reject{ID: 42, Reason: long[:500]}},
		{name: "reject missing reason", in: "reject R-42", errCmd: "reject", problem: "Say why you reject R-42"},
		{name: "reject empty reason", in: `reject R-42 ""`, errCmd: "reject", problem: "Say why you reject R-42"},
		{name: "reject blank reason", in: `reject R-42 "   "`, errCmd: "reject", problem: "Say why you reject R-42"},
		{name: "reject reason too long", in: "reject R-42 " + long, errCmd: "reject", problem: "The reason is too long (501 characters; at most 500)"},
		{name: "reject missing id", in: `reject "bad build"`, errCmd: "reject", problem: `"bad build" is not a release id`},
		{name: "reject with option", in: "reject R-42 --team risk nope", errCmd: "reject", problem: "/release reject takes no options"},
	})
}

func TestParseDeployRollbackCancel(t *testing.T) {
	runParseCases(t, []parseCase{
		{name: "deploy", in: "deploy R-42", want: Deploy{ID: 42}},
		{name: "deploy env", in: "deploy R-42 --env production", want: Deploy{ID: 42, Env: "production"}},
		{name: "deploy override", in: `deploy R-42 --override "hotfix for the outage"`, want: Deploy{ID: 42, Override: "hotfix for the outage"}},
		{name: "deploy override=", in: "deploy R-42 --override=urgent --env=production", want: Deploy{ID: 42, Env: "production", Override: "urgent"}},
		{name: "deploy override smart quotes", in: "deploy R-42 --override “db is down”", want: Deploy{ID: 42, Override: "db is down"}},
		{name: "deploy override missing", in: "deploy R-42 --override", errCmd: "deploy", problem: `--override needs a value, like --override "hotfix for the outage"`},
		{name: "deploy override empty", in: `deploy R-42 --override ""`, errCmd: "deploy", problem: "--override needs a value"},
		{name: "deploy override blank", in: `deploy R-42 --override "  "`, errCmd: "deploy", problem: "--override needs a value"},
		{name: "deploy override too long", in: "deploy R-42 --override " + strings.Repeat("x", 501), errCmd: "deploy", problem: "The --override reason is too long"},
		{name: "deploy override unquoted", in: "deploy R-42 --override urgent hotfix", errCmd: "deploy",
			problem: `quote the value: --override "urgent hotfix"`},
		{name: "deploy env list", in: "deploy R-42 --env staging,production", errCmd: "deploy", problem: "--env takes a single name"},
		{name: "deploy env typo", in: "deploy R-42 --evn production", errCmd: "deploy", problem: `Unknown option "--evn"`, suggestion: "--env"},
		{name: "deploy envs", in: "deploy R-42 --envs production", errCmd: "deploy", problem: `Unknown option "--envs"`, suggestion: "--env"},
		{name: "deploy missing id", in: "deploy --env production", errCmd: "deploy", problem: "Which release?"},
		{name: "deploy extra", in: "deploy R-42 now", errCmd: "deploy", problem: `Unexpected argument "now"`},

		{name: "rollback", in: "rollback R-42", want: Rollback{ID: 42}},
		{name: "rollback --yes", in: `rollback R-42 --yes "error rate up"`, want: Rollback{ID: 42, Reason: "error rate up", Yes: true}},
		{name: "deploy --yes", in: "deploy R-42 --env production --yes", want: Deploy{ID: 42, Env: "production", Yes: true}},
		{name: "rollback env and reason", in: `rollback R-42 --env production "error rate up"`, want: Rollback{ID: 42, Env: "production", Reason: "error rate up"}},
		{name: "rollback unquoted reason around option", in: "rollback R-42 error rate --env production up", want: Rollback{ID: 42, Env: "production", Reason: "error rate up"}},
		{name: "rollback missing id", in: "rollback", errCmd: "rollback", problem: "Which release?"},
		{name: "rollback reason too long", in: "rollback R-1 " + strings.Repeat("y ", 300), errCmd: "rollback", problem: "The reason is too long"},
		{name: "rollback env missing value", in: "rollback R-1 --env", errCmd: "rollback", problem: "--env needs a value"},

		{name: "cancel", in: "cancel R-42", want: Cancel{ID: 42}},
		{name: "cancel reason words", in: "cancel R-42 superseded by v2.4.1", want: Cancel{ID: 42, Reason: "superseded by v2.4.1"}},
		{name: "cancel reason too long", in: "cancel R-42 " + strings.Repeat("z", 501), errCmd: "cancel", problem: "The reason is too long"},
		{name: "cancel missing id", in: "cancel", errCmd: "cancel", problem: "Which release?"},
		{name: "cancel bad id", in: "cancel R42", errCmd: "cancel", problem: `"R42" is not a release id; release ids look like R-42`},
		{name: "cancel unknown option", in: "cancel R-42 --force", errCmd: "cancel", problem: "/release cancel takes no options"},
	})
}

func TestParseScheduleAndFreeze(t *testing.T) {
	dec3 := at(2026, time.December, 3, 14, 0, berlin)
	xmas := at(2026, time.December, 24, 18, 0, berlin)
	runParseCases(t, []parseCase{
		{name: "schedule window", in: "schedule R-42 --window weekly-train", want: Schedule{ID: 42, Window: "weekly-train"}},
		{name: "schedule at quoted", in: `schedule R-42 --at "2026-12-03 14:00"`, want: Schedule{ID: 42, At: dec3}},
		{name: "schedule at unquoted", in: "schedule R-42 --at 2026-12-03 14:00", want: Schedule{ID: 42, At: dec3}},
		{name: "schedule at RFC 3339", in: "schedule R-42 --at 2026-12-03T13:00:00Z", want: Schedule{ID: 42, At: dec3}},
		{name: "schedule at summer time", in: `schedule R-42 --at "2026-07-01 14:00"`, want: Schedule{ID: 42, At: time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)}},
		{name: "schedule neither", in: "schedule R-42", errCmd: "schedule", problem: "Say when: --window NAME or --at TIME"},
		{name: "schedule both", in: "schedule R-42 --window w --at 2026-12-03 14:00", errCmd: "schedule", problem: "--window and --at cannot be used together"},
		{name: "schedule window as positional", in: "schedule R-42 weekly-train", errCmd: "schedule", problem: `Unexpected argument "weekly-train": name the window with --window NAME`},
		{name: "schedule extra", in: "schedule R-42 --window w extra", errCmd: "schedule", problem: `Unexpected argument "extra"`},
		{name: "schedule bad time", in: "schedule R-42 --at 14:00", errCmd: "schedule", problem: "RFC 3339"},
		{name: "schedule missing id", in: "schedule --window w", errCmd: "schedule", problem: "Which release?"},
		{name: "schedule unknown option", in: "schedule R-42 --windw w", errCmd: "schedule", problem: `Unknown option "--windw"`, suggestion: "--window"},

		{name: "freeze quoted", in: `freeze until "2026-12-24 18:00" "holiday freeze"`, want: Freeze{Until: xmas, Reason: "holiday freeze"}},
		{name: "freeze unquoted", in: "freeze until 2026-12-24 18:00 holiday freeze", want: Freeze{Until: xmas, Reason: "holiday freeze"}},
		{name: "freeze smart quotes", in: "freeze until “2026-12-24 18:00” “holiday freeze”", want: Freeze{Until: xmas, Reason: "holiday freeze"}},
		{name: "freeze RFC 3339 and UNTIL", in: `freeze UNTIL 2026-12-24T17:00:00Z "holiday"`, want: Freeze{Until: xmas, Reason: "holiday"}},
		{name: "freeze quoted clock is the reason", in: `freeze until 2026-12-24 "18:00"`, errCmd: "freeze", problem: `"2026-12-24" is not a time`},
		{name: "freeze alone", in: "freeze", errCmd: "freeze", problem: "Say until when and why"},
		{name: "freeze missing until", in: `freeze "2026-12-24 18:00" "holiday"`, errCmd: "freeze", problem: "Write the word until before the time"},
		{name: "freeze missing time", in: "freeze until", errCmd: "freeze", problem: "Missing the time after until"},
		{name: "freeze missing reason", in: "freeze until 2026-12-24 18:00", errCmd: "freeze", problem: "Say why you freeze deployments"},
		{name: "freeze bad time", in: `freeze until tomorrow "holiday"`, errCmd: "freeze", problem: `"tomorrow" is not a time`},
		{name: "freeze in the DST gap", in: `freeze until "2026-03-29 02:30" "x"`, errCmd: "freeze", problem: "2026-03-29 02:30 does not exist in Europe/Berlin"},
		{name: "freeze option", in: "freeze --until 2026-12-24 x", errCmd: "freeze", problem: "/release freeze takes no options"},
	})
}

func TestParseOthers(t *testing.T) {
	runParseCases(t, []parseCase{
		{name: "unfreeze", in: "unfreeze", want: Unfreeze{}},
		{name: "unfreeze extra", in: "unfreeze now", errCmd: "unfreeze", problem: `Unexpected argument "now": /release unfreeze takes no arguments`},
		{name: "windows", in: "WINDOWS", want: Windows{}},
		{name: "windows extra", in: "windows all", errCmd: "windows", problem: `Unexpected argument "all"`},
		{name: "windows option", in: "windows --all", errCmd: "windows", problem: "/release windows takes no options"},
		{name: "history all", in: "history", want: History{}},
		{name: "history service", in: "history payments-api", want: History{Service: "payments-api"}},
		{name: "history two services", in: "history a b", errCmd: "history", problem: `Unexpected argument "b": /release history takes at most one service`},
		{name: "history bad service", in: `history "pay ments"`, errCmd: "history", problem: `"pay ments" is not a service name`},
		{name: "audit", in: "audit R-42", want: Audit{ID: 42}},
		{name: "audit missing id", in: "audit", errCmd: "audit", problem: "Which release? Give its id, like /release audit R-42"},
		{name: "audit extra", in: "audit R-42 R-43", errCmd: "audit", problem: `Unexpected argument "R-43"`},
	})
}
