# Reconcile against the template, with a real PostgreSQL and kubesim: an
# object a store's template renders, deleted behind opsdeck's back (its web
# Deployment, leaving the StatefulSet; a Service and a Secret; its
# Ingress), is drift named "missing KIND/NAME", marked only after the
# confirmation delay and audited; `store retry` puts it back and the next
# pass finds nothing. An object that is back before the second look is
# "recovered"; a list the cluster refuses is not an absence; the console's
# :reconcile view and the worker's pass show the same; a Paused store's
# stopped workloads are not missing; a template imported since the store
# was provisioned is not held against it until it is provisioned again;
# stores of two offerings are each judged by their own.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/ui/lib.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/cli.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/store.sh"

plan 53

ui_with_pg
cli_with_ui 'operator: alice\nprovision:\n  timeout: 60\nworker:\n  reconcile_confirm: 2\n'
sim_start "$work" --speed 4 --seed 21 || { echo "Bail out! cannot start kubesim"; exit 1; }

status() { q -c "SELECT status FROM opsdeck.stores WHERE id = '$1'"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# reconcile [options]: runs `store reconcile`; sets out, rc and took (ms)
reconcile() {
	t0=$(now_ms)
	out=$(od store reconcile "$@" 2>&1)
	rc=$?
	took=$(($(now_ms) - t0))
}
drift_events() { q -c "SELECT count(*) FROM opsdeck.events WHERE action = 'store.drift' AND object = 'store/$1'"; }
# start_worker ARGS...: a worker in the background; $worker is opsdeck itself
worker=
start_worker() {
	"$OPSDECK" -c "$work/op.yaml" worker "$@" >>"$work/worker.log" 2>&1 &
	worker=$!
}
stop_worker() {
	[ -n "$worker" ] || return 0
	kill "$worker" 2>/dev/null
	wait "$worker" 2>/dev/null
	worker=
}
pg_on_exit 'stop_worker'
wait_ready() { wait_for "[ \"\$(status $1)\" = Ready ]" 120; }

store_prepare_db

a=$(od store create shop woocommerce small web | sed -n 's/^ordered store \([0-9a-f]*\) .*/\1/p')
ns=store-$a
start_worker --reconcile 0
wait_ready "$a"
is "$(status "$a")" Ready "a worker provisions the store"
reconcile
like "$rc:$out" '^0:.*checked 1 store\(s\): 0 finding\(s\)$' "with every object of its template there, nothing is found"

# ---- the web Deployment deleted, its StatefulSet left ----
K delete deployment wordpress -n "$ns" >/dev/null
wait_for "! K get deployment wordpress -n $ns >/dev/null 2>&1" 30
reconcile --json
is "$rc" 0 "store reconcile --json succeeds"
like "$(printf '%s' "$out" | jq -r '.findings[] | select(.store == "'"$a"'") | "\(.kind) \(.acted) \(.reason)"')" \
	'^drift true missing deployment/wordpress($|;)' \
	"a Deployment the template renders and the namespace lacks is drift, marked (--json)"
ok "after the confirmation delay (${took} ms)" [ "$took" -ge 2000 ]
is "$(status "$a")" Failed "the store is marked Failed"
like "$(q -c "SELECT error_message FROM opsdeck.stores WHERE id = '$a'")" '^drift: missing deployment/wordpress' \
	"with the missing object as the reason"
like "$(q -c "SELECT actor || ' ' || message FROM opsdeck.events WHERE action = 'store.drift' AND object = 'store/$a'")" \
	"^alice store $a was Ready but missing deployment/wordpress" "and audited as drift, with who found it"
ok "the StatefulSet was left alone" K get statefulset mysql -n "$ns"

od store retry "$a" >/dev/null
wait_ready "$a"
is "$(status "$a")" Ready "store retry provisions it again"
ok "and puts the Deployment back" K get deployment wordpress -n "$ns"
reconcile
like "$rc:$out" '^0:.*checked 1 store\(s\): 0 finding\(s\)$' "the next pass finds nothing"

# ---- back before the second look: recovered ----
# A look lists one resource after another, the ingresses last; kubesim
# holds every list of ingresses for 15 s. Once the first look has made as
# many requests as a whole pass on a healthy cluster, its services list
# has been answered (without the Service) and its ingresses list is held:
# the Service is put back then, and the second look, which comes after the
# hold, finds it. No worker runs meanwhile: only the pass talks to the
# cluster.
stop_worker
K get service wordpress -n "$ns" -o json |
	jq 'del(.metadata.uid, .metadata.resourceVersion, .metadata.creationTimestamp, .metadata.managedFields, .spec.clusterIP, .spec.clusterIPs, .status)' \
		>"$work/svc.json"
r0=$(sim_requests)
od store reconcile >/dev/null 2>&1
look=$(($(sim_requests) - r0))
K delete service wordpress -n "$ns" >/dev/null
wait_for "! K get service wordpress -n $ns >/dev/null 2>&1" 30
sim_post /sim/faults '{"latencyMs": 15000, "pathPrefix": "/apis/networking.k8s.io/v1/ingresses"}'
r0=$(sim_requests)
od store reconcile >"$work/blip.out" 2>&1 &
rpid=$!
wait_for "[ \"\$(sim_requests)\" -ge $((r0 + look)) ]" 60 || diag "the first look did not end"
K apply --server-side -f "$work/svc.json" >/dev/null
sim_delete /sim/faults
wait "$rpid"
like "$(cat "$work/blip.out")" "recovered +local $ns store $a: missing service/wordpress; fine again 2s later, so not marked" \
	"an object missing at the first look and back at the second is recovered, not drift"
is "$(status "$a"):$(drift_events "$a")" Ready:1 "and nothing is marked"
start_worker --reconcile 0

# ---- a Service and a Secret deleted ----
K delete service wordpress -n "$ns" >/dev/null
K delete secret mysql-secret -n "$ns" >/dev/null
wait_for "! K get service wordpress -n $ns >/dev/null 2>&1 && ! K get secret mysql-secret -n $ns >/dev/null 2>&1" 30
# A read-only console's :reconcile view runs a pass of its own and marks
# nothing.
UI_ENV="PGHOST='$PGHOST' PGPORT=$PGPORT PGDATABASE=$PGDATABASE PGUSER=$PGUSER KUBECONFIG='$KUBECONFIG'"
cp "$work/op.yaml" "$UI_CONFIG/config.yaml"
ui_start 120 40 --read-only
ui_text ":reconcile" && ui_keys Enter
screen_has "the :reconcile view names what is missing" \
	"drift +local +$ns +$a +missing secret/mysql-secret, service/wordpress" 30
screen_has "and, for the row under the cursor, that it was not marked" \
	"missing secret/mysql-secret, service/wordpress.*\\(not marked: read-only mode\\)"
ui_resize 80 24
screen_has "at 80x24 too" "missing secret/mysql-secret"
ui_keys q
wait_for '! ui_alive' 10 || :
is "$(status "$a")" Ready "a read-only view marks nothing"

reconcile
like "$out" "drift +local $ns store $a: missing secret/mysql-secret, service/wordpress.*\\(marked Failed\\)" \
	"the CLI names both, in template order, and marks the store"
is "$(status "$a"):$(drift_events "$a")" Failed:2 "the store is Failed, the drift audited"
od store retry "$a" >/dev/null
wait_ready "$a"
ok "store retry puts the Service back" K get service wordpress -n "$ns"
ok "and the Secret" K get secret mysql-secret -n "$ns"
reconcile
like "$rc:$out" '^0:.*checked 1 store\(s\): 0 finding\(s\)$' "then nothing is found"

# ---- a list that fails is not an absence ----
# Ingresses cannot be listed (as on a cluster that does not serve them);
# the store's Ingress is deleted meanwhile.
sim_post /sim/faults '{"errorRate": 1, "errorCode": 404, "pathPrefix": "/apis/networking.k8s.io/v1/ingresses"}'
K delete ingress wordpress-ingress -n "$ns" >/dev/null
wait_for "! K get ingress wordpress-ingress -n $ns >/dev/null 2>&1" 30
reconcile
is "$rc" 0 "a list that fails does not fail the pass"
like "$out" "unchecked +local: listing ingresses: .*; the ingresses of 1 store\\(s\\) not looked for" \
	"it is said, with what it leaves unjudged"
unlike "$out" "missing" "and nothing of that kind is called missing"
is "$(status "$a")" Ready "the store stays Ready"
# A suspect makes the pass look again, where the list fails again: that is
# said once.
K delete service wordpress -n "$ns" >/dev/null
wait_for "! K get service wordpress -n $ns >/dev/null 2>&1" 30
reconcile
like "$out" "drift +local $ns store $a: missing service/wordpress \\(marked Failed\\)" \
	"with a suspect, the pass looks again"
is "$(printf '%s\n' "$out" | grep -c 'unchecked  *local: listing ingresses')" 1 \
	"and the list that fails at both looks is said once"
sim_delete /sim/faults
od store retry "$a" >/dev/null
wait_ready "$a"
K delete ingress wordpress-ingress -n "$ns" >/dev/null
wait_for "! K get ingress wordpress-ingress -n $ns >/dev/null 2>&1" 30

# ---- the worker's own pass ----
stop_worker
start_worker --reconcile 1
if wait_for "grep -q '^reconcile: drift local $ns: missing ingress/wordpress-ingress (marked Failed)' '$work/worker.log'" 60; then
	pass "once it can be listed, the worker's pass finds the missing Ingress and marks the store"
else
	fail "once it can be listed, the worker's pass finds the missing Ingress and marks the store"
	diag "$(cat "$work/worker.log")"
fi
is "$(status "$a")" Failed "the store is Failed"
od store retry "$a" >/dev/null
wait_ready "$a"
ok "store retry puts the Ingress back" K get ingress wordpress-ingress -n "$ns"
if wait_for "grep -q '^reconcile: no longer found: drift local $ns $a' '$work/worker.log'" 60; then
	pass "and the worker's next pass no longer finds it"
else
	fail "and the worker's next pass no longer finds it"
	diag "$(cat "$work/worker.log")"
fi
stop_worker
start_worker --reconcile 0

# ---- a Paused store ----
od store pause "$a" >/dev/null
wait_for "[ \"\$(status $a)\" = Paused ]" 120
is "$(status "$a")" Paused "the store is paused"
reconcile
like "$rc:$out" '^0:.*checked 1 store\(s\): 0 finding\(s\)$' "its stopped workloads are not missing"
K delete deployment wordpress -n "$ns" >/dev/null
wait_for "! K get deployment wordpress -n $ns >/dev/null 2>&1" 30
reconcile
like "$out" "drift +local $ns store $a: missing deployment/wordpress \\(marked Failed\\)" \
	"but a Paused store's deleted Deployment is"
is "$(drift_events "$a")" 5 "five drifts audited in all"

# ---- a template imported after the store was provisioned ----
od store retry "$a" >/dev/null
wait_ready "$a"
ok "the namespace records the objects of the template it was given" \
	test -n "$(K get namespace "$ns" -o jsonpath='{.metadata.annotations.opsdeck\.io/template}')"
reconcile
like "$rc:$out" '^0:.*checked 1 store\(s\): 0 finding\(s\)$' "a store provisioned again is judged as before"
# The offering now also renders a ConfigMap.
{
	cat "$top_srcdir/catalog/woocommerce.yaml"
	cat <<'EOF'

  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: wordpress-settings
    data:
      host: "{{ store.host }}"
EOF
} >"$work/woocommerce-v2.yaml"
ok "the offering's template is imported anew" od catalog import "$work/woocommerce-v2.yaml"
reconcile
is "$rc" 0 "a pass after the template changed succeeds"
like "$out" "unchecked +local $ns store $a: its offering's template changed since it was provisioned" \
	"a store provisioned with the template before is not judged by the new one, and that is said"
unlike "$out" "missing|drift" "nothing it never had is called missing"
is "$(status "$a"):$(drift_events "$a")" Ready:5 "the store stays Ready, nothing marked"
# A namespace without the record (provisioned before the job kept it) is
# judged by the offering's template as it is.
K annotate namespace "$ns" opsdeck.io/template- >/dev/null
reconcile
like "$out" "drift +local $ns store $a: missing configmap/wordpress-settings \\(marked Failed\\)" \
	"a namespace without the record is judged by the current template"
is "$(status "$a")" Failed "and marked"
od store retry "$a" >/dev/null
wait_ready "$a"
ok "store retry applies the new template" K get configmap wordpress-settings -n "$ns"
reconcile
like "$rc:$out" '^0:.*checked 1 store\(s\): 0 finding\(s\)$' \
	"then the store is judged by it and nothing is found"

# ---- stores of two offerings in one pass ----
# One request reads every judged store's template, each offering's on its
# first row in id order only; each store is judged by its own.
od catalog import "$top_srcdir/catalog/medusa.yaml" >/dev/null
b=$(od store create shop woocommerce small web2 | sed -n 's/^ordered store \([0-9a-f]*\) .*/\1/p')
m=$(od store create shop medusa small med | sed -n 's/^ordered store \([0-9a-f]*\) .*/\1/p')
wait_ready "$b"
wait_ready "$m"
is "$(status "$b"):$(status "$m")" Ready:Ready "a second woocommerce store and a medusa store are provisioned"
reconcile
like "$rc:$out" '^0:.*checked 3 store\(s\): 0 finding\(s\)$' "three stores of two offerings: nothing is found"
K delete configmap wordpress-settings -n "store-$b" >/dev/null
K delete service medusa -n "store-$m" >/dev/null
wait_for "! K get configmap wordpress-settings -n store-$b >/dev/null 2>&1 && ! K get service medusa -n store-$m >/dev/null 2>&1" 30
reconcile
like "$out" "drift +local store-$b store $b: missing configmap/wordpress-settings \\(marked Failed\\)" \
	"the second woocommerce store is judged by its offering's template"
like "$out" "drift +local store-$m store $m: missing service/medusa \\(marked Failed\\)" \
	"the medusa store by its own"
unlike "$out" "store $a:" "and the first store, whole, is not named"
stop_worker
