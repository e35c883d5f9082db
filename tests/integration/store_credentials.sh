# Revealing a store's credentials, against a real PostgreSQL and kubesim: a
# store provisioned by a worker; `store credentials ID` prints what kubectl
# reads from its Secret; each reveal writes a store.reveal audit event
# first, with the operator and the key names and never a value (the
# passwords are nowhere in a dump of the database); read-only mode, an
# unknown, Queued or Deleted store are refused with no event; a missing
# Secret, a 403 and an unreachable cluster are put into words (the event of
# the attempt stays: it records what was asked). In the console (tmux): x in
# a store's details asks, then shows the passwords; x again hides them; they
# reach no message line and no file the console writes.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/ui/lib.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/store.sh"

plan 64

ui_with_pg
work=$UI_TMP
sim_start "$work" --speed 4 --seed 7 || { echo "Bail out! cannot start kubesim"; exit 1; }
printf 'operator: alice\nprovision:\n  timeout: 60\n' >"$UI_CONFIG/config.yaml"
UI_ENV="PGHOST='$PGHOST' PGPORT=$PGPORT PGDATABASE=$PGDATABASE PGUSER=$PGUSER KUBECONFIG='$KUBECONFIG'"

# The CLI reads the same settings file as the console.
od() { XDG_CONFIG_HOME="$work/config" XDG_STATE_HOME="$work/state" "$OPSDECK" "$@"; }
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }
status() { q -c "SELECT status FROM opsdeck.stores WHERE id = '$1'"; }
reveals() { q -c "SELECT count(*) FROM opsdeck.events WHERE action = 'store.reveal'"; }
order() { od store create shop woocommerce small "$1" | sed -n 's/^ordered store \([0-9a-f]*\) .*/\1/p'; }
# run ARGS: runs od, sets rc, out (stdout) and err (stderr)
run() {
	od "$@" >"$work/out" 2>"$work/err"
	rc=$?
	out=$(cat "$work/out")
	err=$(cat "$work/err")
}
worker=
pg_on_exit '[ -n "$worker" ] && kill $worker 2>/dev/null && wait $worker'

store_prepare_db

# ---- a Queued store has no Secret yet (no worker runs) ----
qid=$(order early)
is "$(status "$qid")" Queued "with no runner, a new store is Queued"
run store credentials "$qid"
is "$rc:$err" "1:opsdeck: store $qid is Queued: its credentials are made once provisioning begins" \
	"a Queued store's credentials are refused in words"
is "$(reveals)" 0 "and no reveal is audited"

# ---- a store provisioned by a worker ----
# Not through the od function: in the background that is a subshell, and
# $! must be the worker itself, for kill.
XDG_CONFIG_HOME="$work/config" XDG_STATE_HOME="$work/state" "$OPSDECK" worker --reconcile 0 \
	>>"$work/worker.log" 2>&1 &
worker=$!
id=$(order shop1)
wait_for "[ \"\$(status $id)\" = Ready ] && [ \"\$(status $qid)\" = Ready ]" 90
is "$(status "$id")" Ready "a worker provisions the store to Ready"
ns=store-$id
secret_value() { K get secret opsdeck-credentials -n "$ns" -o "jsonpath={.data.$1}" | base64 -d; }
pw=$(secret_value db_password)
like "$pw" '^[A-Za-z0-9]{24}$' "kubectl reads its generated database password"
all=
for k in db_password db_root_password admin_password jwt_secret cookie_secret; do
	all="$all$k $(secret_value $k)
"
done

# ---- the CLI ----
run store credentials "$id"
is "$rc:$err" "0:" "store credentials exits 0 and writes nothing on stderr"
is "$(printf '%s\n' "$out" | sed 's/  */ /')" "$(printf '%s' "$all")" \
	"it prints each key with the value kubectl decodes from the Secret"
like "$out" "^db_password +$pw\$" "one key a line, the values aligned"
ev="SELECT actor || '|' || object || '|' || message || '|' || (detail -> 'keys')::text || '|' || (detail ->> 'namespace') || '|' || coalesce(p.slug, '')
	FROM opsdeck.events e LEFT JOIN opsdeck.projects p ON p.uuid = e.project WHERE action = 'store.reveal' ORDER BY e.id DESC LIMIT 1"
is "$(q -c "$ev")" \
	"alice|store/$id|revealed the credentials of store $id|[\"db_password\", \"db_root_password\", \"admin_password\", \"jwt_secret\", \"cookie_secret\"]|$ns|shop" \
	"the reveal is audited: the operator, the store, the message, the key names, the namespace, the project"
run store credentials "$id" --json
is "$rc" 0 "store credentials --json exits 0"
is "$(printf '%s' "$out" | jq -r '.credentials.db_password')" "$pw" "the JSON holds the password"
is "$(printf '%s' "$out" | jq -r '[.store, .namespace, .cluster, (.credentials | keys | length)] | join(",")')" \
	"$id,$ns,local,5" "with the store, its namespace, its cluster and the five keys"
is "$(printf '%s' "$out" | jq -r '.event')" "$(q -c "SELECT max(id) FROM opsdeck.events WHERE action = 'store.reveal'")" \
	"and the id of the audit event it wrote"
is "$(reveals)" 2 "each reveal writes its own event"
is "$(q -c "SELECT count(*) FROM opsdeck.events WHERE action = 'store.reveal' AND detail::text ~ '[A-Za-z0-9]{24}'")" 0 \
	"no event's detail holds anything like a password"

# ---- refusals: nothing revealed, nothing audited ----
before=$(reveals)
run --read-only store credentials "$id"
is "$rc:$out:$err" "1::opsdeck: read-only mode: refusing to reveal a store's credentials (a reveal writes an audit event)" \
	"read-only mode refuses, saying that a reveal writes an audit event"
run store credentials 0123456789ab
is "$rc:$err" '1:opsdeck: no store "0123456789ab"' "an unknown store is refused"
run store credentials nope
is "$rc:$err" '1:opsdeck: no store "nope"' "a name no store has is refused"
run store credentials
is "$rc" 2 "the id is required (usage)"
did=$(order gone)
wait_for "[ \"\$(status $did)\" = Ready ]" 90
od store delete "$did" --wait --timeout 60 >/dev/null 2>&1
is "$(status "$did")" Deleted "a second store is deleted"
run store credentials "$did"
is "$rc:$err" "1:opsdeck: store $did is Deleted: its namespace and credentials are gone" \
	"a Deleted store's credentials are refused in words"
is "$(reveals)" "$before" "no refusal wrote an event"

# ---- the audit event cannot be written: nothing is read or shown ----
q -c "CREATE FUNCTION public.refuse_reveal() RETURNS trigger LANGUAGE plpgsql AS
	\$\$BEGIN RAISE EXCEPTION 'the audit trail is full'; END\$\$;
	CREATE TRIGGER refuse_reveal BEFORE INSERT ON opsdeck.events FOR EACH ROW
	WHEN (NEW.action = 'store.reveal') EXECUTE FUNCTION public.refuse_reveal()" >/dev/null
# The simulator's count of GET requests: the Secret must not be asked for.
sim_gets() { curl -sk --max-time 10 -H "Authorization: Bearer $SIM_TOKEN" "$SIM_URL/sim/stats" | jq '.byVerb.get'; }
gets=$(sim_gets)
run store credentials "$id"
like "$rc:$err" "^1:opsdeck: .*the audit trail is full" "when its audit event cannot be written, the reveal fails"
is "$out" "" "and prints nothing"
is "$(sim_gets)" "$gets" "the cluster was not even asked for the Secret"
q -c "DROP TRIGGER refuse_reveal ON opsdeck.events; DROP FUNCTION public.refuse_reveal()" >/dev/null
is "$(reveals)" "$before" "and no event was written"

# ---- failures on the cluster side: in words, after the event ----
sim_post /sim/faults "{\"latencyMs\": 3000, \"pathPrefix\": \"/api/v1/namespaces/$ns/secrets\"}"
run store credentials "$id" --timeout 1
is "$rc:$err" "1:opsdeck: store $id: cluster local did not answer within 1s (reading secret opsdeck-credentials in namespace $ns)" \
	"a slow cluster: the read gives up after its timeout, in words"
sim_delete /sim/faults
sim_post /sim/faults "{\"errorRate\": 1, \"errorCode\": 403, \"pathPrefix\": \"/api/v1/namespaces/$ns/secrets\"}"
run store credentials "$id"
like "$rc:$err" "^1:opsdeck: store $id: cluster local does not allow reading secret opsdeck-credentials in namespace $ns: " \
	"a 403 says the cluster does not allow reading the secret"
sim_delete /sim/faults
is "$out" "" "and prints no value"
K delete secret opsdeck-credentials -n "$ns" >/dev/null
run store credentials "$id"
is "$rc:$err" "1:opsdeck: store $id: secret opsdeck-credentials not found in namespace $ns (is the store provisioned?)" \
	"a missing Secret is put into words"
is "$(reveals)" "$((before + 3))" "each attempt (slow, 403, missing) is audited: the event says what was asked"

# ---- nothing of the values anywhere in the database or the logs ----
pg_dump --data-only -t opsdeck.events >"$work/events.sql" 2>"$work/dump.err"
like "$(cat "$work/events.sql")" "revealed the credentials of store $id" "a dump of the events table holds the reveals"
printf '%s' "$all" | while read -r k v; do
	grep -rqF -- "$v" "$work/events.sql" && echo "$k"
done >"$work/leaks"
is "$(cat "$work/leaks")" "" "and none of the five values"
pg_dump >"$work/all.sql" 2>>"$work/dump.err"
grep -qF -- "$pw" "$work/all.sql" && fail "the password is nowhere in the database" ||
	pass "the password is nowhere in the database"
grep -qF -- "$pw" "$work/worker.log" && fail "the password is not in the worker's log" ||
	pass "the password is not in the worker's log"

# ---- the console ----
kill "$worker" 2>/dev/null
wait "$worker" 2>/dev/null
worker=
# A fresh Secret for the store: the one deleted above, with known values.
cpw=Console0Reveal0Secret0Pw
printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: opsdeck-credentials\n  namespace: %s\ntype: Opaque\ndata:\n  db_password: %s\n  admin_password: %s\n' \
	"$ns" "$(printf %s "$cpw" | base64)" "$(printf %s Admin0Console0Secret0Pw | base64)" >"$work/secret.yaml"
K apply --server-side -f "$work/secret.yaml" >/dev/null
is "$(secret_value db_password)" "$cpw" "the Secret is back, with a known password"
printf 'operator: console-op\n' >"$UI_CONFIG/config.yaml"
ui_start 170 40 --no-worker
ui_keys 3
screen_has "the Stores pane lists the store" "$id +shop1 " 20
ui_keys /
ui_text "$id" && ui_keys Enter
ui_keys Enter
screen_has "Enter shows its details" "Store $id \\(Esc closes\\)"
before=$(reveals)
ui_keys x
screen_has "x asks first, and says it is audited" "Reveal the credentials of store $id\\? This is audited\\."
ui_keys n
# The question gone, n was read.
ui_wait_gone 'This is audited' 20 || diag "the question stayed: $(ui_screen)"
unlike "$(ui_screen)" "$cpw" "n shows nothing"
ui_keys x
ui_wait 'This is audited' && ui_keys y
screen_has "y shows the credentials in the details" "credentials +db_password +$cpw" 20
# Not "none yet" after n, which a slow machine would pass anyway: the y's
# event, written before its values are read and after anything n sent, is
# the only one.
is "$(reveals)" "$((before + 1))" "n wrote no event: the y after it wrote the only one"
like "$(ui_screen)" " +admin_password +Admin0Console0Secret0Pw" "each key on its own line"
like "$(ui_screen)" " +jwt_secret +\\(not in the secret\\)" "a key the Secret lacks is said so"
is "$(ui_screen | grep -c -- "$cpw")" 1 "the password is on the screen once: not on the message line"
like "$(ui_screen)" "Credentials of store $id shown \\(audited\\); x hides them" "the message line says it was audited"
is "$(q -c "SELECT actor || '|' || object FROM opsdeck.events WHERE action = 'store.reveal' ORDER BY id DESC LIMIT 1")" \
	"console-op|store/$id" "the console's reveal is audited with its operator"
# Y on a revealed credential copies its value alone (OSC 52, kept by tmux).
ui__tmux set-option -g set-clipboard on
ui_keys / && ui_text "db_password" && ui_keys Enter
ui_keys Y
ok "Y copies a revealed credential's value, nothing else" \
	wait_for '[ "$(ui__tmux show-buffer 2>/dev/null)" = "$cpw" ]' 20
unlike "$(ui_line 40)" "$cpw" "and the message line does not show it"
ui_keys / C-u Enter
ui_keys x
if ui_wait_gone "$cpw" 20; then pass "x again hides them"; else fail "x again hides them"; diag "$(ui_screen)"; fi
like "$(ui_screen)" "Credentials of store $id hidden" "and says so"
ui_keys x
ui_wait 'This is audited' && ui_keys y
screen_has "a second reveal shows them again" "credentials +db_password +$cpw" 20
ui_esc
if ui_wait_gone "$cpw" 20; then pass "closing the details hides them"; else fail "closing the details hides them"; diag "$(ui_screen)"; fi
screen_has "back in the table" "$id +shop1 "
ui_keys x
screen_has "x on a table row opens the details and asks" "Reveal the credentials of store $id\\? This is audited\\."
like "$(ui_screen)" "Store $id \\(Esc closes\\)" "over the store's details"
ui_keys y
screen_has "and shows them once confirmed" "credentials +db_password +$cpw" 20
is "$(reveals)" "$((before + 3))" "three reveals, three events"
ui_keys x
ui_stop
wait_for '! ui_alive' 20 || :

# Read-only: refused before anything is written.
before=$(reveals)
ui_start 170 40 --no-worker --read-only
ui_keys 3
ui_wait "$id +shop1 " 20
ui_keys /
ui_text "$id" && ui_keys Enter
ui_keys x
screen_has "a read-only console refuses, saying why" \
	'read-only mode: refusing to reveal credentials \(a reveal writes an audit event\)'
is "$(reveals)" "$before" "and writes no event"

# The cluster gone: the reveal is audited, then fails in words.
kill "$SIM_PID"
wait "$SIM_PID" 2>/dev/null
ui_stop
wait_for '! ui_alive' 20 || :
ui_start 170 40 --no-worker
ui_keys 3
ui_wait "$id +shop1 " 20
ui_keys /
ui_text "$id" && ui_keys Enter
ui_keys x
ui_wait 'This is audited' && ui_keys y
screen_has "with the cluster gone, the console says it is unreachable" \
	"store $id: cluster local is unreachable: " 30
ui_stop
wait_for '! ui_alive' 20 || :
run store credentials "$id"
like "$rc:$err" "^1:opsdeck: store $id: cluster local is unreachable: " "and so does the CLI"
is "$(reveals)" "$((before + 2))" "both attempts are in the audit trail"
grep -rqF -- "$cpw" "$work/state" "$UI_CONFIG" && fail "the console wrote the password to no file" ||
	pass "the console wrote the password to no file"
