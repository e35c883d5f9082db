# Store provisioning end to end against a real PostgreSQL and kubesim, with
# real `opsdeck worker` processes: order -> Ready with every object, scale,
# pause, resume and delete seen on the cluster, a bad image failing with
# the reason, quota and MAX_STORES refusals, the concurrency limit across
# two workers, kill -9 of a worker at each step, faults, and drift.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/cli.sh"
. "$top_srcdir/tests/lib/sim.sh"

plan 58

cli_setup --state 'operator: alice\nprovision:\n  timeout: 120\n'
sim_start "$work" --speed 4 --seed 3 || { echo "Bail out! cannot start kubesim"; exit 1; }
status() { q -c "SELECT status FROM opsdeck.stores WHERE id = '$1'"; }
order() { # order NAME [PROJECT [OFFERING]]: prints the new store's id
	od store create "${2:-shop}" "${3:-woocommerce}" small "$1" | sed -n 's/^ordered store \([0-9a-f]*\) .*/\1/p'
}

od db migrate >/dev/null || { echo "Bail out! db migrate failed"; exit 1; }
od catalog import "$top_srcdir/catalog/woocommerce.yaml" "$top_srcdir/catalog/medusa.yaml" >/dev/null || { echo "Bail out! catalog import failed"; exit 1; }
od customer create Acme >/dev/null
od project create acme Shop --stores 30 --cpu 100 --memory 200Gi >/dev/null

# ---- clusters ----
out=$(od store create shop woocommerce small early 2>&1); rc=$?
like "$rc:$out" '^1:opsdeck: no active cluster: add one with `opsdeck cluster add`' "ordering needs a cluster"
out=$(od cluster add local --context "$SIM_CONTEXT"); rc=$?
is "$rc:$out" "0:added cluster local (context $SIM_CONTEXT)" "cluster add"
like "$(od cluster list)" "local +$SIM_CONTEXT +active +0/50" "cluster list shows it with its capacity"
out=$(od cluster add Bad --context x 2>&1); rc=$?
like "$rc:$out" "^2:opsdeck: invalid cluster name 'Bad'" "a bad cluster name is a usage error"

# ---- order -> Ready, with every object ----
cli_worker w1.log
id=$(order first)
like "$id" '^[0-9a-f]{12}$' "store create answers the new store's id"
out=$(od store show "$id" --json)
like "$out" '"status": "(Queued|Provisioning)"' "a new store is Queued or Provisioning"
wait_for "[ \"\$(status $id)\" = Ready ]" 60
is "$(status $id)" Ready "the worker provisions it to Ready"
ns=store-$id
is "$(K get ns "$ns" -o jsonpath='{.metadata.labels.app\.kubernetes\.io/managed-by},{.metadata.labels.opsdeck\.io/store},{.metadata.labels.opsdeck\.io/project}')" \
	"opsdeck,$id,shop" "its namespace carries the managed-by, store and project labels"
is "$(K get deploy,sts,svc,ingress,pvc,resourcequota,networkpolicy -n "$ns" -o name | sort | tr '\n' ' ')" \
	"deployment.apps/wordpress ingress.networking.k8s.io/wordpress-ingress networkpolicy.networking.k8s.io/opsdeck-isolation persistentvolumeclaim/mysql-pvc resourcequota/opsdeck-quota service/mysql service/wordpress statefulset.apps/mysql " \
	"every expected object is in the namespace"
is "$(K get secrets -n "$ns" -o name | sort | tr '\n' ' ')" \
	"secret/mysql-secret secret/opsdeck-credentials secret/wordpress-secret " "and its secrets"
pw=$(K get secret opsdeck-credentials -n "$ns" -o jsonpath='{.data.db_password}' | base64 -d)
like "$pw" '^[A-Za-z0-9]{24}$' "the generated password is 24 letters and digits"
is "$(K get secret mysql-secret -n "$ns" -o jsonpath='{.data.password}' | base64 -d)" "$pw" \
	"the template's secret holds the same password"
is "$(q -c "SELECT count(*) FROM opsdeck.events WHERE object = 'store/$id' AND action = 'store.ready'")" 1 \
	"becoming Ready is in the audit trail"
is "$(q -c "SELECT url FROM opsdeck.stores WHERE id = '$id'")" "https://$id.stores.example.com" "it has its URL"
is "$(q -c "SELECT string_agg(step, ',' ORDER BY id) FROM opsdeck.job_steps WHERE job = 1")" \
	"namespace,secrets,apply,policy,readiness" "the job went through every step, in order"
grep -q "$pw" "$work/w1.log" "$work"/sim.* && fail "the password reached a log" || pass "the password reached no log"

# ---- the other store kind ----
mid=$(order med shop medusa)
wait_for "[ \"\$(status $mid)\" = Ready ]" 60
is "$(status $mid)" Ready "a Medusa store is provisioned too"
is "$(K get deploy,sts -n "store-$mid" -o name | sort | tr '\n' ' ')" \
	"deployment.apps/medusa deployment.apps/redis statefulset.apps/postgres " "with its Medusa, Redis and PostgreSQL"

# ---- scale, pause, resume, on the cluster side ----
out=$(od store scale "$id" 3 --wait --timeout 180 2>/dev/null); rc=$?
like "$rc:$(printf '%s\n' "$out" | tail -n 1)" "^0:job [0-9]+ succeeded; the store is Ready" "store scale --wait ends when the job succeeds"
is "$(K get deploy wordpress -n "$ns" -o jsonpath='{.spec.replicas}/{.status.readyReplicas}')" 3/3 "the web deployment runs 3 of 3"
out=$(od store pause "$id" --wait --timeout 180 2>/dev/null); rc=$?
is "$rc:$(status $id)" 0:Paused "store pause"
is "$(K get deploy wordpress -n "$ns" -o jsonpath='{.spec.replicas},{.metadata.annotations.opsdeck\.io/paused-replicas}')" \
	"0,3" "pausing scales to 0 and remembers 3 on the deployment"
is "$(K get sts mysql -n "$ns" -o jsonpath='{.spec.replicas}')" 0 "and the database too"
out=$(od store resume "$id" --wait --timeout 180 2>/dev/null); rc=$?
is "$rc:$(status $id)" 0:Ready "store resume"
is "$(K get deploy wordpress -n "$ns" -o jsonpath='{.status.readyReplicas}'):$(K get sts mysql -n "$ns" -o jsonpath='{.status.readyReplicas}')" \
	"3:1" "resuming brings back 3 web replicas and the database"
out=$(od store resume "$id" 2>&1); rc=$?
like "$rc:$out" "^1:opsdeck: store $id is Ready; only a Paused store can be resumed" "resuming a Ready store is refused in words"

# ---- refusals ----
od project create acme Tiny --stores 1 >/dev/null
t1=$(order tiny1 tiny)
out=$(od store create tiny woocommerce small tiny2 2>&1); rc=$?
like "$rc:$out" '^1:opsdeck: project tiny has used 1 of its 1 store\(s\)' "the project's store quota refuses an order"
q -c "UPDATE opsdeck.settings SET value = (SELECT count(*) FROM opsdeck.stores WHERE status <> 'Deleted') WHERE name = 'max_stores'" >/dev/null
out=$(od store create shop woocommerce small over 2>&1); rc=$?
like "$rc:$out" '^1:opsdeck: opsdeck runs at most [0-9]+ stores and has [0-9]+ already' "MAX_STORES refuses an order"
q -c "UPDATE opsdeck.settings SET value = 50 WHERE name = 'max_stores'" >/dev/null
out=$(od --read-only store create shop woocommerce small ro 2>&1); rc=$?
like "$rc:$out" '^1:opsdeck: read-only mode: refusing to order a store' "read-only mode refuses an order"
out=$(od --read-only worker 2>&1); rc=$?
like "$rc:$out" '^1:opsdeck: read-only mode: refusing to run jobs' "and refuses to run a worker"

# ---- delete ----
out=$(od store delete "$id" --wait --timeout 180 2>/dev/null); rc=$?
is "$rc:$(status $id)" 0:Deleted "store delete ends Deleted"
K get ns "$ns" >/dev/null 2>&1 && fail "the namespace is gone" || pass "the namespace is gone"
like "$(od store list --all)" "$id +first .* Deleted" "the row stays, for the audit trail"
out=$(od store scale "$id" 2 2>&1); rc=$?
like "$rc:$out" "^1:opsdeck: store $id is deleted" "a deleted store takes no more operations"
wait_for "[ \"\$(status $t1)\" = Ready ]" 60
od store delete "$t1" --wait --timeout 180 >/dev/null 2>&1

# ---- a bad image fails with the reason ----
sed -e 's/^  slug: woocommerce/  slug: broken/' -e 's/^  name: WooCommerce/  name: Broken/' \
	-e 's|image: wordpress:6.4-php8.2-apache|image: wordpress:invalid-tag|' \
	"$top_srcdir/catalog/woocommerce.yaml" >"$work/broken.yaml"
od catalog import "$work/broken.yaml" >/dev/null
bad=$(order bad shop broken)
wait_for "[ \"\$(status $bad)\" = Failed ]" 60
is "$(status $bad)" Failed "a store with an image that cannot be pulled ends Failed"
like "$(q -c "SELECT error_message FROM opsdeck.stores WHERE id = '$bad'")" '^deployment/wordpress: ImagePullBackOff' \
	"and the reason names the deployment and ImagePullBackOff"
out=$(od store retry "$bad" 2>&1); rc=$?
like "$rc:$out" "^0:retry: store $bad \\(bad, job [0-9]+\\)" "a Failed store can be retried"
kill "$wpid"; wait "$wpid" 2>/dev/null
q -c "UPDATE opsdeck.jobs SET state = 'cancelled', finished_at = now() WHERE state IN ('queued', 'running')" >/dev/null
od store delete "$bad" >/dev/null 2>&1
q -c "UPDATE opsdeck.jobs SET state = 'cancelled', finished_at = now() WHERE state IN ('queued', 'running')" >/dev/null
q -c "UPDATE opsdeck.stores SET status = 'Deleted' WHERE id = '$bad'" >/dev/null

# ---- 10 orders, concurrency 3, two workers ----
ids=
for i in 0 1 2 3 4 5 6 7 8 9; do ids="$ids $(order many$i)"; done
(
	max=0
	while [ ! -e "$work/stop-sampling" ]; do
		n=$(q -c "SELECT count(*) FROM opsdeck.jobs WHERE kind = 'provision' AND state = 'running'")
		[ "$n" -gt "$max" ] && max=$n
		echo "$max" >"$work/max-running"
		sleep 0.05
	done
) &
sampler=$!
pg_on_exit "touch '$work/stop-sampling'; kill $sampler 2>/dev/null; wait $sampler"
cli_worker wa.log --jobs 5 --name worker-a
cli_worker wb.log --jobs 5 --name worker-b
wait_for "[ \"\$(q -c \"SELECT count(*) FROM opsdeck.stores WHERE name LIKE 'many%' AND status = 'Ready'\")\" = 10 ]" 120
touch "$work/stop-sampling"; wait $sampler
is "$(q -c "SELECT count(*) FROM opsdeck.stores WHERE name LIKE 'many%' AND status = 'Ready'")" 10 "ten orders all end Ready"
max=$(cat "$work/max-running")
ok "never more than 3 provision jobs ran at once (at most $max seen)" [ "$max" -le 3 ]
ok "and the limit was reached ($max)" [ "$max" -eq 3 ]
# From the step timeline: the runs of provision jobs, as intervals.
overlap=$(q -c "WITH r AS (SELECT job, attempt, min(started_at) s, max(finished_at) f FROM opsdeck.job_steps
	GROUP BY job, attempt), e AS (SELECT s t, 1 d FROM r UNION ALL SELECT f, -1 FROM r)
	SELECT max(c) FROM (SELECT sum(d) OVER (ORDER BY t, d) c FROM e) x")
ok "the step timeline agrees: at most 3 runs overlap ($overlap)" [ "$overlap" -le 3 ]
is "$(q -c "SELECT count(*) FROM (SELECT job, attempt FROM opsdeck.job_steps GROUP BY job, attempt HAVING count(DISTINCT runner) > 1) x")" \
	0 "no attempt of a job was run by two workers"
is "$(q -c "SELECT count(DISTINCT runner) FROM opsdeck.job_steps s JOIN opsdeck.jobs j ON j.id = s.job JOIN opsdeck.stores st ON st.id = j.store WHERE st.name LIKE 'many%'")" \
	2 "both workers took jobs" || diag "$(q -c "SELECT DISTINCT runner FROM opsdeck.job_steps")"
for p in $workers; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
workers=

# ---- kill -9 of the worker at each step ----
# Slow answers keep each step going long enough to be caught at it; the
# namespace and the secrets steps are one request each, so while the worker
# is to be caught at one of them, the store's own requests take 3 s (however
# slow the machine, the poll sees the step before it is over).
slow_all='{"latencyMs": 400, "pathPrefix": "/api"}'
sim_post /sim/faults "$slow_all"
for step in namespace secrets apply readiness; do
	sid=$(order "kill-$step")
	case $step in
	namespace | secrets)
		sim_post /sim/faults "{\"latencyMs\": 3000, \"pathPrefix\": \"/api/v1/namespaces/store-$sid\"}"
		;;
	esac
	cli_worker "k-$step.log" --lease 3 --jobs 1
	if wait_for "[ \"\$(q -c \"SELECT step FROM opsdeck.jobs WHERE store = '$sid' AND kind = 'provision'\")\" = $step ]" 60; then
		kill -9 "$wpid"; wait "$wpid" 2>/dev/null
		sim_post /sim/faults "$slow_all"
		pw1=$(K get secret opsdeck-credentials -n "store-$sid" -o jsonpath='{.data.db_password}' 2>/dev/null)
		cli_worker "k-$step-2.log" --lease 3 --jobs 1
		wait_for "[ \"\$(status $sid)\" = Ready ]" 180
		objs=$(K get deploy,sts,secrets,svc -n "store-$sid" -o name | sort | tr '\n' ' ')
		pw2=$(K get secret opsdeck-credentials -n "store-$sid" -o jsonpath='{.data.db_password}')
		pods=$(K get pods -n "store-$sid" -o name | wc -l)
		good=yes
		[ "$(status $sid)" = Ready ] || good="not Ready"
		[ "$objs" = "deployment.apps/wordpress secret/mysql-secret secret/opsdeck-credentials secret/wordpress-secret service/mysql service/wordpress statefulset.apps/mysql " ] || good="objects: $objs"
		[ "$pods" -eq 2 ] || good="$pods pods"
		[ -z "$pw1" ] || [ "$pw1" = "$pw2" ] || good="the password changed"
		is "$good" yes "killed at $step: a new worker ends it Ready, with one of each object and no new password"
		kill "$wpid" 2>/dev/null; wait "$wpid" 2>/dev/null
		q -c "UPDATE opsdeck.jobs SET state = 'cancelled', finished_at = now() WHERE store = '$sid' AND state IN ('queued', 'running')" >/dev/null
	else
		fail "killed at $step: the job never reached that step"
		diag "$(q -c "SELECT step, state FROM opsdeck.jobs WHERE store = '$sid'")"
		# The job must not be left to the next case's worker.
		kill "$wpid" 2>/dev/null; wait "$wpid" 2>/dev/null
		sim_post /sim/faults "$slow_all"
		q -c "UPDATE opsdeck.jobs SET state = 'cancelled', finished_at = now() WHERE store = '$sid' AND state IN ('queued', 'running')" >/dev/null
	fi
done
is "$(q -c "SELECT count(*) FROM opsdeck.job_steps WHERE outcome = 'lost'")" 4 "each killed run shows in the timeline as lost"

# ---- SIGTERM hands the running job back ----
sid=$(order sigterm)
cli_worker term.log --jobs 1
wait_for "[ \"\$(q -c \"SELECT step FROM opsdeck.jobs WHERE store = '$sid'\")\" = apply ]" 60
kill -TERM "$wpid"; wait "$wpid"; rc=$?
is "$rc:$(q -c "SELECT state || ',' || coalesce(lease_owner, '-') || ',' || attempts FROM opsdeck.jobs WHERE store = '$sid'")" \
	"0:queued,-,0" "SIGTERM: the worker exits 0 and the job is queued again, unleased, the attempt not counted"
cli_worker term2.log
wait_for "[ \"\$(status $sid)\" = Ready ]" 60
is "$(status $sid)" Ready "and the next worker finishes it"
kill "$wpid"; wait "$wpid" 2>/dev/null

# ---- faults: 30% 503s, latency, dropped streams ----
sim_post /sim/faults '{"errorRate": 0.3, "errorCode": 503, "latencyMs": 50, "dropAfterSeconds": 1}'
cli_worker f.log
fid=$(order faulty)
wait_for "[ \"\$(status $fid)\" = Ready ]" 120
is "$(status $fid)" Ready "with 30% of requests failing 503, slow answers and dropped streams, the store still ends Ready"
sim_delete /sim/faults
like "$(od store show "$fid")" "job [0-9]+ provision: succeeded" "store show tells the job's story"

# ---- drift and orphans ----
K delete ns "store-$fid" --wait=false >/dev/null
out=$(od store reconcile); rc=$?
like "$rc:$out" "drift +local store-$fid store $fid: namespace store-$fid is (gone|Terminating)" "reconcile notices the namespace deleted behind opsdeck's back"
is "$(status $fid)" Failed "and marks the store Failed"
like "$(q -c "SELECT error_message FROM opsdeck.stores WHERE id = '$fid'")" "^drift: namespace store-$fid is" "with the reason"
printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: stray-store\n  labels: {app.kubernetes.io/managed-by: opsdeck, opsdeck.io/store: "0123456789ab"}\n' >"$work/stray.yaml"
K apply --server-side -f "$work/stray.yaml" >/dev/null
out=$(od store reconcile --json); rc=$?
like "$(printf '%s' "$out" | tr -d ' \n')" '"kind":"orphan","cluster":"local","namespace":"stray-store"' \
	"a labelled namespace without a store is an orphan"
out=$(od store reconcile --delete-orphans)
like "$out" "orphan +local stray-store .*\\(deleting it\\)" "and --delete-orphans removes it"
wait_for "! K get ns stray-store" 20
K get ns stray-store >/dev/null 2>&1 && fail "the orphan namespace is gone" || pass "the orphan namespace is gone"
