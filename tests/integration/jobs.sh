# The job queue as an operator sees it (`opsdeck job`), against a real
# PostgreSQL and kubesim with a real `opsdeck worker`: list with filters
# and JSON; cancel a queued job (the store Failed, saying who cancelled
# it) and retry it; read-only mode refuses both and changes nothing; a
# queued job due too long, an expired lease and an attempt past the
# timeout are flagged with their age; a running job asked to stop ends
# cancelled at its next step (a kubesim latency fault holds a step), the
# step it was in finished and the next never begun; every action audited.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/cli.sh"
. "$top_srcdir/tests/lib/sim.sh"

plan 37

cli_setup --state 'operator: alice\nprovision:\n  timeout: 120\n  queued_alert: 600\n'
sim_start "$work" --speed 4 --seed 7 || { echo "Bail out! cannot start kubesim"; exit 1; }
wpid=
pg_on_exit '[ -n "$wpid" ] && kill -9 $wpid 2>/dev/null'
status() { q -c "SELECT status FROM opsdeck.stores WHERE id = '$1'"; }
jobof() { q -c "SELECT max(id) FROM opsdeck.jobs WHERE store = '$1'"; }
jstate() { q -c "SELECT state FROM opsdeck.jobs WHERE id = $1"; }
order() { # order NAME: prints the new store's id
	od store create shop woocommerce small "$1" | sed -n 's/^ordered store \([0-9a-f]*\) .*/\1/p'
}
events() { q -c "SELECT count(*) FROM opsdeck.events WHERE action = '$1' AND actor = 'alice'"; }

od db migrate >/dev/null || { echo "Bail out! db migrate failed"; exit 1; }
od catalog import "$top_srcdir/catalog/woocommerce.yaml" >/dev/null || { echo "Bail out! catalog import failed"; exit 1; }
od customer create Acme >/dev/null
od project create acme Shop --stores 20 --cpu 100 --memory 200Gi >/dev/null
od cluster add local --context "$SIM_CONTEXT" >/dev/null || { echo "Bail out! cluster add failed"; exit 1; }

# ---- list, filters, JSON ----
a=$(order alpha)
b=$(order beta)
ja=$(jobof "$a")
jb=$(jobof "$b")
out=$(od job list)
like "$out" "^ID +STORE +NAME +KIND +STATE" "job list prints a table with a header"
like "$out" "$ja +$a +alpha +provision +queued +- +0/5 +waiting" "each queued job with its store, kind, state and tries"
is "$(od job list --store alpha --json | jq -r '[.[].id] | @csv')" "$ja" "--store takes a store's name"
is "$(od job list --state queued --kind provision --json | jq length)" 2 "--state and --kind filter"
od job list --state bogus >/dev/null 2>"$work/err"; rc=$?
is "$rc:$(cat "$work/err" | head -1)" \
	"2:opsdeck: no job state 'bogus' (queued, running, failed, cancelled, succeeded)" \
	"an unknown state is a usage error in words"
od job show 999999 >/dev/null 2>"$work/err"; rc=$?
is "$rc:$(cat "$work/err")" '1:opsdeck: no job "999999"' "an unknown job is not found (exit 1)"

# ---- read-only refuses, and changes nothing ----
od --read-only job cancel "$ja" >/dev/null 2>"$work/err"; rc=$?
is "$rc:$(cat "$work/err")" "1:opsdeck: read-only mode: refusing to cancel a job" "read-only refuses cancel"
od --read-only job retry "$ja" >/dev/null 2>"$work/err"; rc=$?
is "$rc:$(cat "$work/err")" "1:opsdeck: read-only mode: refusing to retry a job" "read-only refuses retry"
is "$(jstate "$ja")" queued "and the job is untouched"

# ---- cancel a queued job, then retry it ----
is "$(od job cancel "$ja")" "job $ja (provision of store $a) is cancelled" "cancel a queued job"
is "$(jstate "$ja")" cancelled "it is cancelled at once"
is "$(status "$a"),$(q -c "SELECT error_message FROM opsdeck.stores WHERE id = '$a'")" \
	"Failed,cancelled by alice before it ran" "its store is Failed and says who cancelled it"
is "$(events job.cancelled)" 1 "the cancel is audited with the operator's name"
od job cancel "$ja" >/dev/null 2>"$work/err"; rc=$?
is "$rc:$(cat "$work/err")" \
	"1:opsdeck: job $ja is cancelled; only a queued or running job can be cancelled" \
	"a finished job cannot be cancelled (in words)"
od job retry "$jb" >/dev/null 2>"$work/err"; rc=$?
is "$rc:$(cat "$work/err")" "1:opsdeck: job $jb is queued; only a failed or cancelled job can be retried" \
	"a queued job cannot be retried"
out=$(od job retry "$ja" --json)
new=$(printf '%s' "$out" | jq -r .new_job)
is "$(printf '%s' "$out" | jq -r .job)" "$ja" "retry answers the job retried"
is "$(jstate "$new"),$(status "$a")" "queued,Queued" "as a new queued job; the store is Queued again"
is "$(events job.retry)" 1 "the retry is audited"
od job retry "$ja" >/dev/null 2>"$work/err"; rc=$?
like "$rc:$(cat "$work/err")" "^1:opsdeck: job $new \\(provision\\) of store $a came after it and is queued" \
	"a job retried already points at the later one"
od job cancel "$new" >/dev/null

# ---- what stands out: due too long, an expired lease, past the timeout ----
q -c "UPDATE opsdeck.jobs SET run_after = now() - interval '20 minutes',
	created_at = now() - interval '20 minutes' WHERE id = $jb" >/dev/null
c=$(order gamma); jc=$(jobof "$c")
q -c "UPDATE opsdeck.jobs SET state = 'running', attempts = 1, lease_owner = 'ghost/0001',
	lease_until = now() - interval '90 seconds', step = 'apply' WHERE id = $jc" >/dev/null
d=$(order delta); jd=$(jobof "$d")
q -c "UPDATE opsdeck.jobs SET state = 'running', attempts = 1, lease_owner = 'ghost/0002',
	lease_until = now() + interval '1 hour', step = 'apply' WHERE id = $jd;
	INSERT INTO opsdeck.job_steps (job, attempt, step, runner, started_at)
	VALUES ($jd, 1, 'apply', 'ghost/0002', now() - interval '1 hour')" >/dev/null
alerts=$(od job list --json | jq -r '.[] | select(.alert) | "\(.id):\(.alert.kind):\(.alert.age_s / 60 | floor)"' | sort)
is "$alerts" "$(printf '%s\n' "$jb:queued_too_long:20" "$jc:lease_expired:1" "$jd:over_timeout:60" | sort)" \
	"each stuck job flagged with its kind and age"
like "$(od job list --store beta)" "STUCK: due for 20m \\(over 10m\\) and no runner has taken it" \
	"the table says why in words"
like "$(od job show "$jc")" "stuck: lease expired (9[0-9]|1[01][0-9])s ago: runner ghost/0001 stopped renewing it" \
	"show says the lease expired, naming the runner"
like "$(od job show "$jd")" "stuck: attempt 1 has run for 60m, past the 2m timeout, at step apply" \
	"and an attempt past the timeout, with its step"
is "$(od job cancel "$jc")" "job $jc (provision of store $c) is cancelled" \
	"a running job whose lease expired is cancelled at once"
like "$(q -c "SELECT error_message FROM opsdeck.stores WHERE id = '$c'")" \
	"^cancelled by alice after its runner ghost/0001 stopped renewing its lease" "its store says why"
od job cancel "$jb" >/dev/null
od job cancel "$jd" >/dev/null
q -c "UPDATE opsdeck.jobs SET lease_until = now() - interval '1 second' WHERE id = $jd" >/dev/null

# ---- a running job asked to stop ends at its next step ----
e=$(order epsilon); je=$(jobof "$e")
sim_post /sim/faults "{\"latencyMs\": 3000, \"pathPrefix\": \"/api/v1/namespaces/store-$e/secrets\"}" >/dev/null
"$OPSDECK" -c "$work/op.yaml" worker --reconcile 0 >>"$work/worker.log" 2>&1 &
wpid=$!
wait_for "[ \"\$(q -c \"SELECT step FROM opsdeck.jobs WHERE id = $je\")\" = secrets ]" 60
is "$(od job cancel "$je")" "job $je (provision of store $e) is running: it is cancelled at its next step" \
	"cancel of a running job: it stops at its next step"
is "$(od job list --store epsilon --json | jq -r '.[0] | "\(.state),\(.cancel_requested_by)"')" \
	"running,alice" "meanwhile it runs on, the request shown"
wait_for "[ \"\$(jstate $je)\" = cancelled ]" 60
is "$(jstate "$je")" cancelled "it ends cancelled"
is "$(q -c "SELECT string_agg(step || ':' || outcome, ',' ORDER BY id) FROM opsdeck.job_steps WHERE job = $je")" \
	"namespace:done,secrets:done" "after the step it was in, which finished; the next never began"
is "$(status "$e"),$(q -c "SELECT error_message FROM opsdeck.stores WHERE id = '$e'")" \
	"Failed,cancelled by alice after step secrets, before step apply" "the store says so, in words"
wait_for "grep -q 'store $e' '$work/worker.log'" 20
like "$(grep "store $e" "$work/worker.log")" "attempt 1 of 5: cancelled by alice after step secrets, before step apply$" \
	"the worker logs the cancel"
is "$(q -c "SELECT string_agg(action, ',' ORDER BY id) FROM opsdeck.events WHERE object = 'store/$e' AND action LIKE 'job.%'")" \
	"job.cancel,job.cancelled" "the request and the end are both audited"
is "$(od job show "$je" --json | jq -r '[.steps[].step] | join(",")')" "namespace,secrets" \
	"job show --json has its timeline"
kill "$wpid"; wait "$wpid" 2>/dev/null; wpid=
sim_delete /sim/faults >/dev/null

# ---- asked to stop, then its step fails for a retry: it ends cancelled ----
# Ordered with no worker running, so that the fault is in place before its job runs.
z=$(order zeta); jz=$(jobof "$z")
sim_post /sim/faults "{\"errorRate\": 1, \"errorCode\": 429, \"latencyMs\": 1000,
	\"pathPrefix\": \"/api/v1/namespaces/store-$z/secrets\"}" >/dev/null
"$OPSDECK" -c "$work/op.yaml" worker --reconcile 0 >>"$work/worker.log" 2>&1 &
wpid=$!
wait_for "[ \"\$(q -c \"SELECT step FROM opsdeck.jobs WHERE id = $jz\")\" = secrets ]" 60
is "$(od job cancel "$jz")" "job $jz (provision of store $z) is running: it is cancelled at its next step" \
	"a running job asked to stop while its step keeps failing"
wait_for "[ \"\$(jstate $jz)\" != running ]" 60
is "$(jstate "$jz"),$(q -c "SELECT attempts FROM opsdeck.jobs WHERE id = $jz")" cancelled,1 \
	"its attempt ends for a retry, and the job ends cancelled, not tried again"
like "$(q -c "SELECT error_message FROM opsdeck.stores WHERE id = '$z'")" \
	"^cancelled by alice instead of trying again after attempt 1 failed: " "the store says so"
wait_for "grep -q 'store $z' '$work/worker.log'" 20
like "$(grep "store $z" "$work/worker.log")" \
	"attempt 1 of 5: cancelled by alice instead of trying again after attempt 1 failed: " \
	"the worker logs the cancel, not a retry"
kill "$wpid"; wait "$wpid" 2>/dev/null; wpid=
sim_delete /sim/faults >/dev/null
