# Errors that end a step, against a real PostgreSQL and kubesim with a real
# `opsdeck worker`: a 500 that repeats word for word (as a v1.20 server
# answers a Service port without a protocol) fails the store after two
# requests and no further attempt, with the server's message and the
# worker saying why; a 500 on the first request only still ends Ready; a
# refusal (422) fails at once after one request.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/cli.sh"
. "$top_srcdir/tests/lib/sim.sh"

plan 14

cli_setup --state 'operator: alice\nprovision:\n  timeout: 120\n'
sim_start "$work" --speed 4 --seed 7 || { echo "Bail out! cannot start kubesim"; exit 1; }
wpid=
worker() { # worker LOG: starts a worker in the background, sets wpid
	"$OPSDECK" -c "$work/op.yaml" worker --reconcile 0 >>"$work/$1" 2>&1 &
	wpid=$!
}
stop_worker() { [ -n "$wpid" ] && kill "$wpid" 2>/dev/null && wait "$wpid" 2>/dev/null; wpid=; }
pg_on_exit '[ -n "$wpid" ] && kill -9 $wpid 2>/dev/null'
status() { q -c "SELECT status FROM opsdeck.stores WHERE id = '$1'"; }
order() { # order NAME: prints the new store's id
	od store create shop woocommerce small "$1" | sed -n 's/^ordered store \([0-9a-f]*\) .*/\1/p'
}
injected() { curl -sk --max-time 10 -H "Authorization: Bearer $SIM_TOKEN" "$SIM_URL/sim/stats" | jq '.errorsInjected'; }
fault_on_services() { # fault_on_services STORE JSON-FIELDS: faults on the store's Services only
	sim_post /sim/faults "{\"pathPrefix\": \"/api/v1/namespaces/store-$1/services\", $2}"
}

od db migrate >/dev/null || { echo "Bail out! db migrate failed"; exit 1; }
od catalog import "$top_srcdir/catalog/woocommerce.yaml" >/dev/null || { echo "Bail out! catalog import failed"; exit 1; }
od customer create Acme >/dev/null
od project create acme Shop --stores 10 --cpu 100 --memory 200Gi >/dev/null
od cluster add local --context "$SIM_CONTEXT" >/dev/null || { echo "Bail out! cluster add failed"; exit 1; }

# ---- a 500 that repeats word for word: failed after 2 requests, no further attempt ----
msg='failed to create typed patch object: .spec.ports: element 0: associative list with keys has an element that omits key field \"protocol\" (and does not have default value)'
want='failed to create typed patch object: .spec.ports: element 0: associative list with keys has an element that omits key field "protocol" (and does not have default value)'
# Ordered with no worker running, so that the fault is in place before its job runs.
det=$(order det)
fault_on_services "$det" "\"errorRate\": 1, \"errorCode\": 500, \"errorMessage\": \"$msg\""
worker det.log
wait_for "[ \"\$(status $det)\" = Failed ]" 60
is "$(status $det)" Failed "a 500 repeated word for word fails the store"
is "$(q -c "SELECT error_message FROM opsdeck.stores WHERE id = '$det'")" "Service/mysql: $want" \
	"with the server's message, naming the object"
# Counted once the worker has logged how the attempt ended, after its last
# request.
wait_for "grep -q 'store $det' '$work/det.log'" 20
is "$(injected)" 2 "after exactly 2 requests to its Services (the first and the immediate retry)"
is "$(q -c "SELECT state || ',' || attempts FROM opsdeck.jobs WHERE store = '$det'")" "failed,1" \
	"the job failed on its first attempt, with no further attempt"
is "$(q -c "SELECT string_agg(s.step || ':' || s.outcome, ',' ORDER BY s.id) FROM opsdeck.job_steps s JOIN opsdeck.jobs j ON j.id = s.job WHERE j.store = '$det'")" \
	"namespace:done,secrets:done,apply:failed" "its timeline ends at apply, failed"
like "$(grep "store $det" "$work/det.log")" \
	"^job [0-9]+ \\(provision of store $det\\), attempt 1 of 5: failed at step apply: Service/mysql: failed to create typed patch object: .* \\(HTTP 500 with the same message on the immediate retry, an answer that does not change\\); not tried again\$" \
	"the worker's log says the step, the error, why it is not tried again"
is "$(grep -c "store $det" "$work/det.log")" 1 "and logs the attempt once"
stop_worker
sim_delete /sim/faults

# ---- a 500 on the first request only: tried again, Ready ----
tr=$(order transient)
fault_on_services "$tr" '"errorRate": 1, "errorCode": 500, "errorCount": 1'
before=$(injected)
worker tr.log
wait_for "[ \"\$(status $tr)\" = Ready ]" 90
is "$(status $tr)" Ready "a 500 on the first request only: the store still ends Ready"
is "$(injected)" "$((before + 1))" "one error was injected"
is "$(q -c "SELECT state || ',' || attempts FROM opsdeck.jobs WHERE store = '$tr'")" "succeeded,1" \
	"within the step, on the first attempt"
wait_for "grep -q 'store $tr' '$work/tr.log'" 20
like "$(grep "store $tr" "$work/tr.log")" "^job [0-9]+ \\(provision of store $tr\\), attempt 1 of 5: succeeded\$" \
	"the worker logs that the attempt succeeded"
stop_worker
sim_delete /sim/faults

# ---- a refusal: failed after 1 request ----
ref=$(order refused)
fault_on_services "$ref" '"errorRate": 1, "errorCode": 422, "errorMessage": "Service \"mysql\" is invalid: spec.ports[0].port: Invalid value: 0"'
before=$(injected)
worker ref.log
wait_for "[ \"\$(status $ref)\" = Failed ]" 60
is "$(q -c "SELECT status || ': ' || error_message FROM opsdeck.stores WHERE id = '$ref'")" \
	'Failed: Service/mysql: Service "mysql" is invalid: spec.ports[0].port: Invalid value: 0' \
	"a 422 fails the store with the server's message"
wait_for "grep -q 'store $ref' '$work/ref.log'" 20
is "$(injected)" "$((before + 1))" "after one request"
like "$(grep "store $ref" "$work/ref.log")" \
	"attempt 1 of 5: failed at step apply: .*\\(HTTP 422, a refusal that the same request gets again\\); not tried again\$" \
	"the worker's log says why"
stop_worker
sim_delete /sim/faults
