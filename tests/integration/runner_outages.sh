# The job runner through outages, against a real PostgreSQL and kubesim
# with real `opsdeck worker` processes: two workers started with one
# --name never run one attempt (not even when one of them lost its lease
# and comes back), a 35 s API outage and a 10 s PostgreSQL outage during
# provisioning cost no attempt, and the store says what it waits for.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/cli.sh"
. "$top_srcdir/tests/lib/sim.sh"

plan 26

cli_setup --state 'operator: alice\nprovision:\n  timeout: 120\n'
sim_start "$work" --speed 4 --seed 5 || { echo "Bail out! cannot start kubesim"; exit 1; }
stop_workers() {
	for p in $workers; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	workers=
}
status() { q -c "SELECT status FROM opsdeck.stores WHERE id = '$1'"; }
job_of() { q -c "SELECT id FROM opsdeck.jobs WHERE store = '$1' AND kind = 'provision'"; }
step_of() { q -c "SELECT coalesce(step, '-') FROM opsdeck.jobs WHERE store = '$1' AND kind = 'provision'"; }
order() { # order NAME: prints the new store's id
	od store create shop woocommerce small "$1" | sed -n 's/^ordered store \([0-9a-f]*\) .*/\1/p'
}
# Steps recorded twice in one attempt, and attempts whose steps more than
# one runner recorded (both 0 when no attempt ran twice).
twice() {
	q -c "SELECT (SELECT count(*) FROM (SELECT 1 FROM opsdeck.job_steps GROUP BY job, attempt, step
		HAVING count(*) > 1) a) || ',' || (SELECT count(*) FROM (SELECT 1 FROM opsdeck.job_steps
		GROUP BY job, attempt HAVING count(DISTINCT runner) > 1) b)"
}

od db migrate >/dev/null || { echo "Bail out! db migrate failed"; exit 1; }
od catalog import "$top_srcdir/catalog/woocommerce.yaml" >/dev/null || { echo "Bail out! catalog import failed"; exit 1; }
od customer create Acme >/dev/null
od project create acme Shop --stores 30 --cpu 100 --memory 200Gi >/dev/null
od cluster add local --context "$SIM_CONTEXT" >/dev/null
# Slow answers, so that a test can act while a job is inside a step.
sim_post /sim/faults '{"latencyMs": 300}'

# ---- two workers with one --name ----
cli_worker twin-a.log --name twin --lease 3 --jobs 1
pa=$wpid
sid=$(order twin)
wait_for "[ \"\$(step_of $sid)\" = apply ]" 60
# The first worker freezes inside a step until its lease expires and the
# second, of the same name, takes the job; then it runs on.
kill -STOP "$pa"
cli_worker twin-b.log --name twin --lease 3 --jobs 1
pb=$wpid
wait_for "[ \"\$(q -c \"SELECT attempts FROM opsdeck.jobs WHERE store = '$sid'\")\" = 2 ]" 30
kill -CONT "$pa"
wait_for "[ \"\$(status $sid)\" = Ready ]" 90
is "$(status $sid)" Ready "a store whose worker stalled past its lease ends Ready under the other"
na=$(sed -n 's/^opsdeck worker \([^:]*\): running.*/\1/p' "$work/twin-a.log")
nb=$(sed -n 's/^opsdeck worker \([^:]*\): running.*/\1/p' "$work/twin-b.log")
like "$na" '^twin/[0-9a-f]{8}$' "a worker's name is the one it was given plus a random id"
ok "two workers given one name have different ids ($na, $nb)" [ -n "$nb" ] && [ "$na" != "$nb" ]
is "$(q -c "SELECT string_agg(DISTINCT runner, ',') FROM opsdeck.job_steps WHERE job = $(job_of "$sid") AND attempt = 2")" "$nb" \
	"the second attempt's steps are all the second worker's"
# Not "nothing more yet": the stalled worker's own word that its attempt
# stopped comes after anything it would still have written for it.
wait_for "grep -q 'job $(job_of "$sid") .*attempt 1 of [0-9]*: stopped' '$work/twin-a.log'" 60 ||
	diag "the stalled worker did not say its attempt stopped:" "$(cat "$work/twin-a.log")"
is "$(twice)" "0,0" "no step of an attempt was run twice, and no attempt by two workers"
is "$(q -c "SELECT string_agg(step || ' ' || attempt || ' ' || (runner = '$nb'), ',' ORDER BY id) FROM opsdeck.job_steps WHERE job = $(job_of "$sid")")" \
	"namespace 1 false,secrets 1 false,apply 1 false,namespace 2 true,secrets 2 true,apply 2 true,policy 2 true,readiness 2 true" \
	"the stalled worker, back, wrote nothing more: its attempt ended at apply, the other ran the second"
# Both at once on several orders.
for i in 1 2 3 4; do order "pair$i" >/dev/null; done
wait_for "[ \"\$(q -c \"SELECT count(*) FROM opsdeck.stores WHERE name LIKE 'pair%' AND status = 'Ready'\")\" = 4 ]" 120
is "$(q -c "SELECT count(*) FROM opsdeck.stores WHERE name LIKE 'pair%' AND status = 'Ready'")" 4 \
	"two workers of one name provision four stores"
is "$(twice)" "0,0" "and still no attempt ran twice"
is "$(q -c "SELECT string_agg(DISTINCT attempts::text, ',') FROM opsdeck.jobs j JOIN opsdeck.stores s ON s.id = j.store WHERE s.name LIKE 'pair%'")" \
	1 "each in one attempt"
like "$(od store show "$sid")" "apply +#1 .* -> .* lost: runner $na stopped holding the lease" \
	"store show tells that the stalled worker lost the first attempt"
like "$(od store show "$sid" --json | tr -d ' \n')" "\"runner\":\"$nb\"" "and names each step's runner by its id"
stop_workers

# ---- a 35 s API outage ----
cli_worker outage.log --name steady
sid=$(order api)
wait_for "[ \"\$(step_of $sid)\" = apply ]" 60
sim_post /sim/faults '{"outageSeconds": 35}'
wait_for "od store show $sid | grep -q 'waiting for cluster local: '" 30
like "$(od store show "$sid")" "apply .*\\(running\\) : waiting for cluster local: " \
	"during an API outage the job's step says it waits for the cluster"
diag "$(od store list | grep "$sid")"
like "$(od store list)" "$sid .*Provisioning \\(provision apply [0-9]+s: waiting for cluster local: " \
	"and so does the store's status in store list"
wait_for "[ \"\$(status $sid)\" = Ready ]" 120
is "$(status $sid)" Ready "after 35 s without an API server the store ends Ready"
is "$(q -c "SELECT attempts FROM opsdeck.jobs WHERE store = '$sid'")" 1 "in its first attempt"
is "$(q -c "SELECT string_agg(step || ' ' || outcome, ',' ORDER BY id) FROM opsdeck.job_steps WHERE job = $(job_of "$sid")")" \
	"namespace done,secrets done,apply done,policy done,readiness done" "each step ran once, none failed"
is "$(q -c "SELECT count(*) FROM opsdeck.job_steps WHERE job = $(job_of "$sid") AND message IS NOT NULL")" 0 \
	"and the waiting note is gone once the cluster answered"
ok "kubesim was indeed unreachable" [ "$(curl -sk -H "Authorization: Bearer $SIM_TOKEN" "$SIM_URL/sim/stats" |
	sed -n 's/.*"connectionsRefused": *\([0-9]*\).*/\1/p')" -gt 0 ]

# ---- a 10 s PostgreSQL outage ----
sid=$(order pg)
wait_for "[ \"\$(step_of $sid)\" = apply ]" 60
job=$(job_of "$sid")
pg_stop
# The outage itself: ten seconds without a database.
sleep 10
pg_restart
wait_for "[ \"\$(status $sid)\" = Ready ]" 90
is "$(status $sid)" Ready "after 10 s without PostgreSQL the store ends Ready"
is "$(q -c "SELECT attempts FROM opsdeck.jobs WHERE id = $job")" 1 "in the same attempt"
is "$(q -c "SELECT string_agg(step || ' ' || outcome, ',' ORDER BY id) FROM opsdeck.job_steps WHERE job = $job")" \
	"namespace done,secrets done,apply done,policy done,readiness done" "each step once, none lost"
is "$(q -c "SELECT count(DISTINCT runner) FROM opsdeck.job_steps WHERE job = $job")" 1 "all by the worker that had it"
kill -0 "$wpid" 2>/dev/null && pass "the worker kept running through the outage" || fail "the worker kept running through the outage"
# Its next order is taken as usual.
sid=$(order after)
wait_for "[ \"\$(status $sid)\" = Ready ]" 90
is "$(status $sid)" Ready "and takes new orders afterwards"
is "$(twice)" "0,0" "no attempt anywhere ran twice"
stop_workers
# Under the sanitizers a worker reports what it found when it exits.
bad=$(grep -l 'Sanitizer' "$work"/*.log 2>/dev/null | tr '\n' ' ')
is "$bad" "" "no worker log carries a sanitizer report"
