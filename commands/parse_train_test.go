package commands

import "testing"

func TestParseTrain(t *testing.T) {
	runParseCases(t, []parseCase{
		{name: "two services", in: "create payments-api@v2.4.0 ledger@v1.9.0",
			want: Create{Components: []Component{{Service: "payments-api", Version: "v2.4.0"}, {Service: "ledger", Version: "v1.9.0"}}}},
		{name: "name and options", in: `create payments-api@v2.4.0 ledger@v1.9.0 --name checkout-q3 --teams risk --envs staging --window weekly-train --notes "q3"`,
			want: Create{Components: []Component{{Service: "payments-api", Version: "v2.4.0"}, {Service: "ledger", Version: "v1.9.0"}},
				TrainName: "checkout-q3", Teams: []string{"risk"}, Envs: []string{"staging"}, Window: "weekly-train", Notes: "q3"}},
		{name: "one service written so", in: "create ledger@v1.9.0", want: Create{Components: []Component{{Service: "ledger", Version: "v1.9.0"}}}},
		{name: "a word without @", in: "create payments-api@v2.4.0 ledger v1.9.0", errCmd: "create", problem: `"ledger" is not SERVICE@VERSION`},
		{name: "service twice", in: "create ledger@v1 Ledger@v2", errCmd: "create", problem: `"Ledger" is in the train twice`},
		{name: "bad version", in: "create ledger@-rf", errCmd: "create", problem: `"-rf" is not a version`},
		{name: "empty version", in: "create ledger@", errCmd: "create", problem: "The version must be 1 to 100 characters"},
		{name: "bad service", in: "create led$ger@v1", errCmd: "create", problem: `"led$ger" is not a service name`},
		{name: "--name on the one-service form", in: "create ledger v1 --name x", errCmd: "create", problem: "--name names a train"},

		{name: "retry", in: "retry R-4", want: Retry{ID: 4}},
		{name: "retry one service", in: "retry r-4 --service payments-api", want: Retry{ID: 4, Service: "payments-api"}},
		{name: "retry without id", in: "retry", errCmd: "retry", problem: "Which release?"},
		{name: "retry extra word", in: "retry R-4 payments-api", errCmd: "retry", problem: `Unexpected argument "payments-api"`},

		{name: "descope", in: `descope R-4 payments-api "schema not ready"`, want: Descope{ID: 4, Service: "payments-api", Reason: "schema not ready"}},
		{name: "descope unquoted reason", in: "descope R-4 payments-api schema not ready", want: Descope{ID: 4, Service: "payments-api", Reason: "schema not ready"}},
		{name: "descope without reason", in: "descope R-4 payments-api", errCmd: "descope", problem: "Say why payments-api leaves the train"},
		{name: "descope without service", in: "descope R-4", errCmd: "descope", problem: "Which service leaves the train"},
	})
}
