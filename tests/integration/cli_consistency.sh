# The command line's conventions, against a real PostgreSQL and kubesim:
# --help after any noun or verb, one wording and exit code per kind of
# error (usage 2; not found and refused 1), empty values, the global
# --context, cluster add probing the context (--force), duplicate names in
# words, store create --wait --json, control characters echoed safely,
# worker --name's limit, and stores named by id, id prefix, name or
# PROJECT/NAME in every store verb.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/cli.sh"
. "$top_srcdir/tests/lib/sim.sh"

plan 85

cli_setup --state 'operator: alice\nprovision:\n  timeout: 40\n'
sim_start "$work" --speed 4 --seed 5 --ro-token viewer-token-4711 ||
	{ echo "Bail out! cannot start kubesim"; exit 1; }
# A context whose server refuses connections, with the simulator's user.
sim_user=$(kubectl config view -o jsonpath='{.users[0].name}')
{
	kubectl config set-cluster refused --server=https://127.0.0.1:1 &&
		kubectl config set-context refused --cluster=refused --user="$sim_user"
} >/dev/null || { echo "Bail out! cannot write the kubeconfig"; exit 1; }

# run ARGS...: opsdeck with the test's settings; sets rc, out and err
run() {
	out=$(od "$@" 2>"$work/stderr")
	rc=$?
	err=$(cat "$work/stderr")
}
wpid=
pg_on_exit '[ -n "$wpid" ] && kill -9 $wpid 2>/dev/null'

{
	od db migrate &&
		od catalog import "$top_srcdir/catalog/woocommerce.yaml" &&
		od customer create Acme &&
		od project create acme Shop --stores 20 --cpu 100 --memory 200Gi &&
		od project create acme Blog --stores 20 --cpu 100 --memory 200Gi
} >/dev/null || { echo "Bail out! cannot prepare the database"; exit 1; }

# ---- --help after any noun or verb ----
run store --help
like "$rc:$out" '^0:usage: opsdeck store list' "store --help lists the noun's verbs on stdout, exit 0"
like "$out" 'usage: opsdeck store scale STORE REPLICAS' "with each verb's usage"
is "$err" "" "and nothing on stderr"
run store scale --help
is "$rc:$(printf '%s\n' "$out" | head -n 1)" \
	"0:usage: opsdeck store scale STORE REPLICAS [--wait] [--timeout SECONDS]" "store scale --help"
run store scale x --help
is "$rc:$(printf '%s\n' "$out" | head -n 1)" \
	"0:usage: opsdeck store scale STORE REPLICAS [--wait] [--timeout SECONDS]" \
	"store scale x --help: the usage, not an attempt"
run cluster add -h
like "$rc:$out" '^0:usage: opsdeck cluster add NAME --context KUBE_CONTEXT' "-h works as --help"
run worker --help
like "$rc:$out" '^0:usage: opsdeck worker \[--once\]' "worker --help (a noun that is a command)"
run doctor -h
like "$rc:$out" '^0:usage: opsdeck doctor' "doctor -h"

# ---- usage errors: exit 2 ----
run frobnicate
is "$rc:$err" "2:opsdeck: unknown command \"frobnicate\" (opsdeck --help lists them)" "an unknown noun"
run store frobnicate
like "$rc:$err" "^2:opsdeck: unknown command \"store frobnicate\"" "an unknown verb"
run store
like "$rc:$err" "^2:opsdeck: store needs a verb" "a noun without its verb"
run store show
like "$rc:$err" "^2:opsdeck: missing arguments" "a missing argument"
run store show a b
like "$rc:$err" "^2:opsdeck: unexpected argument 'b'" "an extra argument"
run store list --bogus
like "$rc:$err" "^2:opsdeck: unknown option '--bogus'" "an unknown option"
like "$err" 'usage: opsdeck store list' "with the usage line"
run store scale web many
like "$rc:$err" "^2:opsdeck: REPLICAS is a whole number from 1 to 50" "a bad number"
run store pause web --timeout soon
like "$rc:$err" "^2:opsdeck: --timeout takes seconds from 1 to 86400" "a bad --timeout"
run cluster set-state x sideways
like "$rc:$err" "^2:opsdeck: a cluster's state is active, cordoned or disabled" "a bad state"
run store create shop woocommerce small Bad_Name
like "$rc:$err" "^2:opsdeck: invalid store name 'Bad_Name'" "a bad store name"

# ---- empty values: usage errors naming the option ----
run store create shop woocommerce small web --cluster ""
like "$rc:$err" '^2:opsdeck: --cluster cannot be empty' "--cluster \"\""
run store create shop woocommerce small web --cluster=
like "$rc:$err" '^2:opsdeck: --cluster cannot be empty' "--cluster="
run store show ""
like "$rc:$err" '^2:opsdeck: argument 1 is empty' "an empty argument"
run customer create X --slug ""
is "$rc:$(printf '%s\n' "$err" | head -n 1)" '2:opsdeck: --slug cannot be empty' "--slug \"\" names the option"
run project set shop --description ""
is "$rc" 0 "free text (--description TEXT) may be set to nothing"
run --context= doctor
is "$rc:$err" '2:opsdeck: --context cannot be empty' "the global --context="
run --db "" store list
is "$rc:$err" '2:opsdeck: --db cannot be empty' "the global --db \"\""

# ---- not found: exit 1, one form ----
run store show nope
is "$rc:$err" '1:opsdeck: no store "nope"' "no store"
run store list --project Shop
is "$rc:$out" "0:ID  NAME  PROJECT  OFFERING  CLUSTER  STATUS  REPLICAS  AGE  URL" \
	"store list --project takes a project's name as well as its slug"
run store list --project nope
is "$rc:$err" '1:opsdeck: no project "nope"' "store list --project names a missing project"
run store create nope woocommerce small web
is "$rc:$err" '1:opsdeck: no project "nope"' "store create in a missing project"
run cluster set-state nope active
is "$rc:$err" '1:opsdeck: no cluster "nope"' "no cluster"
run catalog show nope
is "$rc:$err" '1:opsdeck: no offering "nope"' "no offering"
run catalog pause nope
is "$rc:$err" '1:opsdeck: no offering "nope"' "no offering, for a change too"
run catalog show Bad_Slug
like "$rc:$err" "^2:opsdeck: invalid offering slug 'Bad_Slug'" "a malformed offering slug is a usage error"
run events list --project nope
is "$rc:$err" '1:opsdeck: no project "nope"' "events list --project names a missing project"
run events list --project Shop --limit 1
is "$rc:$err" "0:" "events list --project takes a project's name"
run events list --limit none
like "$rc:$err" '^2:opsdeck: --limit takes a whole number' "a bad --limit"

# ---- cluster add: the context is probed ----
run cluster add ghost --context nope
like "$rc:$err" '^1:opsdeck: context nope: no context "nope" in the kubeconfig .* \(contexts: .*kubesim-readonly.*\)' \
	"an unknown context is refused, with the contexts there are"
run cluster add ro --context kubesim-readonly
like "$rc:$err" '^1:opsdeck: context kubesim-readonly: .*may not create namespaces' \
	"a context that may not provision is refused, saying what it may not do"
like "$err" 'cluster ro not added: .*--force' "and that --force adds it"
run cluster add down --context refused --timeout 3
like "$rc" '^1$' "an unreachable cluster is refused"
is "$(q -c "SELECT count(*) FROM opsdeck.clusters")" 0 "none of them was added"
run cluster add ro --context kubesim-readonly --force
like "$rc:$out" '^0:added cluster ro \(context kubesim-readonly\)' "--force adds it"
like "$err" 'may not create namespaces.*' "saying what it may not do"
like "$err" 'adding cluster ro all the same \(--force\)' "and that it is added all the same"
run cluster set-state ro disabled
is "$rc" 0 "(the read-only cluster is disabled)"
run cluster add local --context "$SIM_CONTEXT"
is "$rc:$out:$err" "0:added cluster local (context $SIM_CONTEXT):" "a context that may provision is added"
run cluster add local --context "$SIM_CONTEXT"
is "$rc:$err" '1:opsdeck: cluster "local" already exists' "a duplicate cluster name in words"
run store create shop woocommerce small web --cluster nope
is "$rc:$err" '1:opsdeck: no cluster "nope"' "store create on a missing cluster"

# ---- the global --context ----
run --context nope doctor
is "$rc" 1 "doctor fails on an unknown --context"
like "$out" 'FAIL  kube context nope: no context "nope" in the kubeconfig' "and says so as a failed check"
unlike "$out" 'all [0-9]+ checks passed' "not that all checks passed"
run --context nope store reconcile
like "$rc:$err" '^1:opsdeck: no context "nope" in the kubeconfig' "store reconcile refuses an unknown --context"
run --context nope worker --once
like "$rc:$err" '^1:opsdeck: no context "nope" in the kubeconfig' "so does worker"
run --context "$SIM_CONTEXT" cluster add again
is "$rc:$out" "0:added cluster again (context $SIM_CONTEXT)" "cluster add takes its context from --context"
od cluster set-state again disabled >/dev/null

# ---- stores by id, prefix, name and PROJECT/NAME ----
order() { # order PROJECT NAME: prints the new store's id
	od store create "$1" woocommerce small "$2" | sed -n 's/^ordered store \([0-9a-f]*\) .*/\1/p'
}
web1=$(order shop web)
web2=$(order blog web)
solo=$(order shop solo)
like "$web1:$web2:$solo" '^[0-9a-f]{12}:[0-9a-f]{12}:[0-9a-f]{12}$' "three stores ordered"
run store create Blog woocommerce small named
like "$rc:$out" '^0:ordered store [0-9a-f]{12} \(named, job [0-9]+\)$' "store create takes the project's name"
run store show blog/named --json
like "$rc:$out" '"project": "blog"' "and orders the store in that project"
run store show solo --json
like "$rc:$(printf '%s' "$out" | tr -d ' \n')" "^0:\\{\"id\":\"$solo\",\"name\":\"solo\"" "show by name"
run store show shop/web --json
like "$rc:$(printf '%s' "$out" | tr -d ' \n')" "^0:\\{\"id\":\"$web1\"" "show by PROJECT/NAME"
run store show "$(printf '%s' "$web2" | cut -c1-8)" --json
like "$rc:$(printf '%s' "$out" | tr -d ' \n')" "^0:\\{\"id\":\"$web2\"" "show by a unique id prefix"
run store show "$solo"
like "$rc:$out" "^0:store $solo \\(solo\\)" "show by id"
run store show web
like "$rc:$err" "^1:opsdeck: \"web\" names 2 stores: .*(shop/web \\($web1\\)|blog/web \\($web2\\)).*; give PROJECT/NAME or the id" \
	"an ambiguous name lists the stores it names (exit 1)"
run store scale web 2
like "$rc:$err" '^1:opsdeck: "web" names 2 stores' "scale refuses an ambiguous name too"
run store pause nope
is "$rc:$err" '1:opsdeck: no store "nope"' "pause of a missing store"
run store scale solo 2
is "$rc:$err" "1:opsdeck: store $solo is Queued; it can be scaled once it is Ready" \
	"scale by name reaches the store (its id in the refusal)"
run store resume blog/web
is "$rc:$err" "1:opsdeck: store $web2 is Queued; only a Paused store can be resumed" "resume by PROJECT/NAME"
run store retry solo
is "$rc:$err" "1:opsdeck: store $solo is Queued; only a Failed store can be retried" "retry by name"
run store credentials solo
is "$rc:$err" "1:opsdeck: store $solo is Queued: its credentials are made once provisioning begins" \
	"credentials by name"
run --read-only store delete solo
is "$rc:$err" "1:opsdeck: read-only mode: refusing to delete a store" "read-only refuses (exit 1)"
run store delete blog/web
like "$rc:$out" "^0:delete: store $web2 \\(web, job [0-9]+\\)$" "delete by PROJECT/NAME says the id and name"

# ---- store create --wait --json ----
"$OPSDECK" -c "$work/op.yaml" worker --reconcile 0 >"$work/worker.log" 2>&1 &
wpid=$!
run store create shop woocommerce small waited --wait --timeout 90 --json
created=$out
keys() { python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["name"], j["status"], sorted(j))'; }
id=$(printf '%s' "$created" | sed -n 's/^  "id": "\([0-9a-f]*\)",$/\1/p')
like "$id" '^[0-9a-f]{12}$' "store create --wait --json prints the store as JSON on stdout"
like "$rc:$err" "^0:ordered store $id \\(waited, job [0-9]+\\)" "and what it did on stderr"
run store show "$id" --json
like "$(printf '%s' "$created" | keys)" "^waited Ready " "the store, once Ready"
is "$(printf '%s' "$created" | keys)" "$(printf '%s' "$out" | keys)" "the object of store show --json"
wait_for "[ \"\$(q -c \"SELECT status FROM opsdeck.stores WHERE id = '$web2'\")\" = Deleted ]" 60
run store show web --json
like "$rc:$(printf '%s' "$out" | tr -d ' \n')" "^0:\\{\"id\":\"$web1\"" \
	"with the other one Deleted, the name is no longer ambiguous"
kill "$wpid"
wait "$wpid" 2>/dev/null
wpid=
run store scale waited 2 --json
like "$rc:$err" "^0:scale: store $id \\(waited, job [0-9]+\\)$" "an operation with --json says what it did on stderr"
is "$(printf '%s' "$out" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["id"], j["job"]["kind"])')" \
	"$id scale" "and prints the store on stdout"

# ---- control characters are shown escaped ----
run store show "$(printf 'w\033[2Jb')"
is "$rc:$err" '1:opsdeck: no store "w [2Jb"' "a store name with an escape is echoed without it"
run "$(printf 'x\033]0;t\007')"
is "$rc:$err" "2:opsdeck: unknown command \"x ]0;t \" (opsdeck --help lists them)" "so is an unknown command"
run store "$(printf 'v\033[1m')"
like "$rc:$err" "^2:opsdeck: unknown command \"store v \\[1m\"" "and an unknown verb"
run store list --project "$(printf 'p\033[2J')"
like "$rc:$err" '^1:opsdeck: no project "p.\[2J"' "and a project"
run catalog check "$work/$(printf 'x\033[2J').yaml"
like "$rc:$err" '^1:opsdeck: .*/x \[2J\.yaml: ' "and a file name in a message"
unlike "$err" "$(printf '\033')" "(no escape reaches the terminal)"

# ---- worker --name ----
long=$(printf 'n%.0s' $(seq 1 191))
run worker --once --name "$long"
like "$rc:$err" '^2:opsdeck: --name takes 1 to 190 characters' "a worker name too long is a usage error saying the limit"
