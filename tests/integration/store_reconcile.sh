# The reconcile pass against a real PostgreSQL and two kubesims: a pod
# replaced (a blip shorter than the confirmation delay) marks nothing, a
# lasting breakage marks the store Failed, a store a job has taken up is
# left alone, orphans are found on a cluster that holds no store, clusters
# that cannot be reached are findings while the others are still looked
# at, stores and jobs that wait too long are reported as stuck, and the
# console's own runner reconciles periodically and says so on screen; the
# headless worker logs a finding when it appears and when it goes, once.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/ui/lib.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/cli.sh"
. "$top_srcdir/tests/lib/sim.sh"

plan 39

ui_with_pg
cli_with_ui 'operator: alice\nprovision:\n  timeout: 40\nworker:\n  reconcile_confirm: 4\n'
# Speed 1: a replaced pod is back in about 2 s, well inside the 4 s
# confirmation delay.
sim_start "$work" --speed 1 --seed 11 || { echo "Bail out! cannot start kubesim"; exit 1; }

# A second cluster, "far", on its own kubesim, and "down", whose API
# server is a port nothing listens on; their kubeconfigs are merged with
# the first one, as kubectl merges them.
mkdir -p "$work/far"
"$KUBESIM" --kubeconfig-out "$work/far/kubeconfig" --port-file "$work/far/port" --seed 12 --reject-missing-list-keys \
	>"$work/far/sim.out" 2>"$work/far/sim.err" &
far_pid=$!
pg_on_exit "sim_stop $far_pid"
wait_for "test -s '$work/far/kubeconfig'" 30 || { echo "Bail out! cannot start the second kubesim"; exit 1; }
rename_context() { # rename_context NAME < kubeconfig: its cluster, context and user renamed
	sed -e "s/^\\(- name: \\|    cluster: \\|    user: \\|current-context: \\)kubesim/\\1$1/"
}
rename_context far <"$work/far/kubeconfig" >"$work/far.kubeconfig"
rename_context down <"$work/far/kubeconfig" | sed -e 's|server: https://127.0.0.1:[0-9]*|server: https://127.0.0.1:1|' \
	>"$work/down.kubeconfig"
export KUBECONFIG="$KUBECONFIG:$work/far.kubeconfig:$work/down.kubeconfig"

status() { q -c "SELECT status FROM opsdeck.stores WHERE id = '$1'"; }
order() { # order NAME: prints the new store's id
	od store create shop woocommerce small "$1" --cluster local | sed -n 's/^ordered store \([0-9a-f]*\) .*/\1/p'
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# reconcile [options]: runs `store reconcile`; sets out, rc and took (ms)
reconcile() {
	t0=$(now_ms)
	out=$(od store reconcile "$@" 2>&1)
	rc=$?
	took=$(($(now_ms) - t0))
}
drift_events() { q -c "SELECT count(*) FROM opsdeck.events WHERE action = 'store.drift' AND object = 'store/$1'"; }

{
	od db migrate &&
		od catalog import "$top_srcdir/catalog/woocommerce.yaml" &&
		od customer create Acme &&
		od project create acme Shop --stores 20 --cpu 100 --memory 200Gi &&
		od cluster add local --context "$SIM_CONTEXT" &&
		od cluster add far --context far
} >/dev/null || { echo "Bail out! cannot prepare the database"; exit 1; }

# ---- three Ready stores on "local"; "far" holds none ----
a=$(order steady)
b=$(order lasting)
c=$(order busy)
"$OPSDECK" -c "$work/op.yaml" worker --reconcile 0 >"$work/worker.log" 2>&1 &
wpid=$!
pg_on_exit "kill -9 $wpid 2>/dev/null"
wait_for "[ \"\$(q -c \"SELECT count(*) FROM opsdeck.stores WHERE status = 'Ready'\")\" = 3 ]" 90
is "$(status "$a"),$(status "$b"),$(status "$c")" Ready,Ready,Ready "a worker provisions three stores"
kill "$wpid"
wait "$wpid"
# Ordered with no runner about: it waits, Queued, for the stuck check.
s=$(order waiting)

r0=$(sim_requests)
reconcile
# What one look at "local" asks of it (nothing was suspect: no second look).
look=$(($(sim_requests) - r0))
like "$rc:$out" '^0:' "store reconcile succeeds"
like "$out" 'checked 3 store\(s\): 0 finding\(s\)$' "and finds nothing when all is well (the Queued store is left to its job)"

# ---- a blip: a pod replaced ----
# However slow the machine, the first look must see the pod missing and the
# second must see it back: the simulated clock almost stops while the pod
# is replaced, and once the pass has made its first look's requests, it
# runs fast, so that the new pod is Ready long before the second look.
sim_post /sim/speed '{"factor": 0.01}'
pod=$(K get pods -n "store-$a" -o name | grep wordpress)
K delete -n "store-$a" "$pod" --grace-period=0 --force --wait=false >/dev/null 2>&1
wait_for "[ \"\$(K get deploy wordpress -n store-$a -o jsonpath='{.status.readyReplicas}')\" != 1 ]" 30
r0=$(sim_requests)
t0=$(now_ms)
"$OPSDECK" -c "$work/op.yaml" store reconcile >"$work/blip.out" 2>&1 &
rpid=$!
wait_for "[ \"\$(sim_requests)\" -ge $((r0 + look)) ]" 60
sim_post /sim/speed '{"factor": 10}'
wait "$rpid"
rc=$?
took=$(($(now_ms) - t0))
out=$(cat "$work/blip.out")
sim_post /sim/speed '{"factor": 1}'
like "$out" "recovered +local store-$a store $a: deployment/wordpress: 0/1 ready.*fine again 4s later, so not marked" \
	"a pod being replaced is a suspect at first, and fine at the second look"
ok "the second look came after the confirmation delay (${took} ms)" [ "$took" -ge 4000 ]
is "$(status "$a"):$(drift_events "$a")" Ready:0 "so the store stays Ready and no drift is recorded"

# ---- a lasting breakage ----
K set image -n "store-$b" deployment/wordpress wordpress=wordpress:invalid-tag >/dev/null
reconcile
like "$out" "drift +local store-$b store $b: deployment/wordpress: (ErrImagePull|ImagePullBackOff).*\\(marked Failed\\)" \
	"a workload that stays broken is drift"
ok "recorded only after the second look (${took} ms)" [ "$took" -ge 4000 ]
is "$(status "$b")" Failed "the store is marked Failed"
like "$(q -c "SELECT error_message FROM opsdeck.stores WHERE id = '$b'")" '^drift: deployment/wordpress: (ErrImagePull|ImagePullBackOff)' \
	"with the reason"
is "$(q -c "SELECT actor || ' ' || message FROM opsdeck.events WHERE action = 'store.drift' AND object = 'store/$b'")" \
	"alice store $b was Ready but $(q -c "SELECT substr(error_message, 8) FROM opsdeck.stores WHERE id = '$b'")" \
	"and the audit trail says who found what"
reconcile
unlike "$out" "store $b" "a Failed store is not looked at again"

# ---- a store that a job has taken up is left alone ----
K set image -n "store-$c" deployment/wordpress wordpress=wordpress:invalid-tag >/dev/null
od store pause "$c" >/dev/null
reconcile
like "$out" "drift +local store-$c store $c: .*\\(not marked: a job is on it or has just ended" \
	"a broken store with a job queued is reported but not marked"
is "$(status "$c"):$(drift_events "$c")" Ready:0 "it stays Ready for its job"
is "$(q -c "SELECT opsdeck.store_drift('$a', 'test', 'tester', 'Paused', now())")" f \
	"store_drift refuses a store whose status is no longer the one seen"

# ---- orphans on a cluster that holds no store ----
printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: stray-far\n  labels: {app.kubernetes.io/managed-by: opsdeck, opsdeck.io/store: "0123456789ab"}\n' \
	>"$work/stray.yaml"
K --context far apply --server-side -f "$work/stray.yaml" >/dev/null
reconcile
like "$out" 'orphan +far stray-far store 0123456789ab: labelled as opsdeck.s but no live store uses it' \
	"an orphan is found on a cluster without stores"

# ---- clusters that cannot be reached ----
od cluster add down --context down --force >/dev/null 2>&1
od cluster add ghost --context ghost --force >/dev/null 2>&1
reconcile
is "$rc" 0 "unreachable clusters do not fail the pass"
like "$out" 'unreachable down: listing namespaces: ' "a cluster whose API server does not answer is reported"
like "$out" 'unreachable ghost: context ghost: ' "so is one whose context is not in the kubeconfig"
like "$out" 'orphan +far stray-far' "and the other clusters are still looked at"
reconcile --json
like "$(printf '%s' "$out" | tr -d ' \n')" '"kind":"unreachable","cluster":"ghost","namespace":"","store":"","reason":"contextghost:' \
	"--json lists them too"
od cluster set-state down disabled >/dev/null
od cluster set-state ghost disabled >/dev/null
reconcile
unlike "$out" 'unreachable' "disabled clusters are not looked at"

# ---- stuck ----
printf 'operator: alice\nprovision:\n  timeout: 10\nworker:\n  reconcile_confirm: 1\n' >"$work/short.yaml"
wait_for "[ \"\$(q -c \"SELECT now() - updated_at > interval '11 seconds' FROM opsdeck.stores WHERE id = '$s'\")\" = t ]" 15
out=$("$OPSDECK" -c "$work/short.yaml" store reconcile 2>&1)
like "$out" "stuck +local store-$s store $s: Queued for [0-9]+s; its provision job \\(job [0-9]+\\) is due but no runner has taken it" \
	"a store Queued longer than the provisioning timeout is stuck, with its age and what it waits for"
jid=$(q -c "SELECT id FROM opsdeck.jobs WHERE store = '$s'")
# As a runner that died half an hour into its attempt would leave it.
q -c "UPDATE opsdeck.jobs SET state = 'running', attempts = 1, step = 'readiness', lease_owner = 'gone-runner',
	lease_until = now() - interval '1 minute', started_at = now() - interval '30 minutes' WHERE id = $jid;
	INSERT INTO opsdeck.job_steps (job, attempt, step, runner, started_at)
	VALUES ($jid, 1, 'readiness', 'gone-runner', now() - interval '30 minutes')" >/dev/null
out=$("$OPSDECK" -c "$work/short.yaml" store reconcile 2>&1)
like "$out" "stuck +local store-$s store $s: job $jid \\(provision\\) has been on attempt 1 of 5 for 30m \\(expected under 20s\\), at step readiness, runner gone-runner; the runner stopped renewing its lease [0-9]+s ago" \
	"a job running far past its time is stuck, with its step, runner and lease"
is "$(printf '%s\n' "$out" | grep -c '^stuck')" 1 "and the store it works on is not reported twice"

# ---- the console's runner reconciles by itself ----
printf 'operator: console-op\nprovision:\n  timeout: 40\nworker:\n  reconcile_interval: 2\n  reconcile_confirm: 1\n' \
	>"$UI_CONFIG/config.yaml"
UI_ENV="PGHOST='$PGHOST' PGPORT=$PGPORT PGDATABASE=$PGDATABASE PGUSER=$PGUSER KUBECONFIG='$KUBECONFIG'"
ui_start 170 40
screen_has "its periodic pass reports the orphan on the message line" "Reconcile: 1 orphan namespace" 15
wait_for "[ \"\$(status $s)\" = Ready ] && [ \"\$(status $c)\" = Paused ]" 60
is "$(status "$s"),$(status "$c")" Ready,Paused "the console's runner takes up the abandoned job and the queued pause"
is "$(q -c "SELECT opsdeck.store_drift('$c', 'test', 'tester', 'Paused', now() - interval '1 minute')")" f \
	"store_drift refuses a store a job ended on since the pass read it"
K delete ns "store-$a" --wait=false >/dev/null
# The message line first: it fades after 5 s, which a slow machine could
# spend on the database checks below.
screen_has "the console says so on its message line" "Reconcile: store $a marked Failed \\(drift: namespace store-$a is (gone|Terminating)" 20
wait_for "[ \"\$(status $a)\" = Failed ]" 20
is "$(status "$a")" Failed "a namespace deleted behind opsdeck's back is marked Failed by the console's runner"
like "$(q -c "SELECT actor FROM opsdeck.events WHERE action = 'store.drift' AND object = 'store/$a'")" ':[0-9]+/[0-9a-f]{8}$' \
	"the drift event names the runner"
# The pass after the one that marked it says only what is left (the orphan
# on "far"): it ran, and had it recorded the drift again, it would be here.
if ui_wait 'Reconcile: 1 orphan namespace' 30; then
	is "$(drift_events "$a")" 1 "passes after it record nothing more"
else
	fail "passes after it record nothing more"
	diag "no later pass said anything:" "$(ui_screen)"
fi
ui_keys q
wait_for '! ui_alive' 10 || :

# ---- the worker's log: a finding once, and once more when it goes ----
"$OPSDECK" -c "$work/op.yaml" worker --reconcile 1 >"$work/worker2.log" 2>&1 &
wpid=$!
pg_on_exit "kill -9 $wpid 2>/dev/null"
wait_for "[ \"\$(grep -c '^reconcile: orphan far stray-far' '$work/worker2.log')\" -ge 1 ]" 30
# Two more passes, each shown by a new orphan it logs: both saw stray-far.
for later in later-1 later-2; do
	sed "s/stray-far/$later/" "$work/stray.yaml" | K --context far apply --server-side -f - >/dev/null
	wait_for "grep -q '^reconcile: orphan far $later' '$work/worker2.log'" 30 ||
		diag "no pass logged the orphan $later"
done
is "$(grep -c '^reconcile: orphan far stray-far' "$work/worker2.log")" 1 \
	"the worker logs a lasting orphan once, not at every pass"
K --context far delete ns stray-far later-1 later-2 --wait=false >/dev/null
if wait_for "grep -q '^reconcile: no longer found: orphan far stray-far' '$work/worker2.log'" 20; then
	pass "and says when it is no longer found"
else
	fail "and says when it is no longer found"
	diag "$(cat "$work/worker2.log")"
fi
kill "$wpid"
wait "$wpid" 2>/dev/null

# ---- a drift that cannot be recorded ----
# The findings still print; what went wrong comes last, and fails the run.
q -c "CREATE FUNCTION refuse_events() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN RAISE EXCEPTION 'audit trail offline'; END \$\$;
	CREATE TRIGGER refuse BEFORE INSERT ON opsdeck.events FOR EACH ROW EXECUTE FUNCTION refuse_events()" >/dev/null
K delete ns "store-$s" --wait=false >/dev/null
wait_for "! K get ns store-$s >/dev/null 2>&1" 20
reconcile
like "$rc:$(printf '%s\n' "$out" | tail -n 1)" "^1:opsdeck: recording the drift of store $s: .*audit trail offline" \
	"a drift that cannot be recorded fails the run, said last"
like "$out" "drift +local store-$s store $s: namespace store-$s is gone" "after the findings, which still print"
is "$(status "$s")" Ready "and the store is left as it was"
q -c "DROP TRIGGER refuse ON opsdeck.events; DROP FUNCTION refuse_events()" >/dev/null

# ---- a worker stopped while a pass waits on a cluster ----
# "far" answers nothing for 20 s; SIGTERM comes in the middle of the pass,
# which must be let go of before the runner's connection is freed. (The
# answer held back keeps that kubesim from stopping until it is sent.)
far_url=$(KUBECONFIG="$work/far/kubeconfig" kubectl config view --raw -o jsonpath='{.clusters[0].cluster.server}')
far_token=$(KUBECONFIG="$work/far/kubeconfig" kubectl config view --raw -o jsonpath='{.users[0].user.token}')
curl -sk --max-time 10 -H "Authorization: Bearer $far_token" -H 'Content-Type: application/json' \
	-X POST -d '{"latencyMs": 20000, "pathPrefix": "/api"}' "$far_url/sim/faults" >/dev/null
far_requests() {
	curl -sk --max-time 10 -H "Authorization: Bearer $far_token" "$far_url/sim/stats" | jq -e .requests
}
r0=$(far_requests)
"$OPSDECK" -c "$work/op.yaml" worker --reconcile 1 >"$work/worker3.log" 2>"$work/worker3.err" &
wpid=$!
pg_on_exit "kill -9 $wpid 2>/dev/null"
# A request to "far" has come in: the pass waits on its answer.
wait_for "[ \"\$(far_requests)\" -gt $r0 ]" 60 || diag "the worker's pass did not reach far"
kill -TERM "$wpid"
wait "$wpid"
is "$?" 0 "a worker stopped in the middle of a reconcile pass exits cleanly"
unlike "$(cat "$work/worker3.err")" 'Sanitizer|runtime error' "and frees the pass before the connection it uses"
