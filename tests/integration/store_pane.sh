# The Stores pane against a real PostgreSQL and kubesim, with the console's
# own job runner: a store ordered with n and the form goes Provisioning ->
# Ready on screen with no key pressed, is scaled to 3 (3/3 from the
# cluster's watch), shows its details (its objects with their status, its
# namespace's events, its job history), is paused and resumed (the details
# follow live), and is deleted with its id typed back. The order form's plan
# follows the offering; a store of a broken offering fails with its pod's
# reason in the details and is retried with R once the offering is fixed;
# two marked stores are paused, resumed and deleted at once. Read-only mode
# refuses an order; quitting while a job runs asks first and hands the job
# back; with the cluster gone, the details say so.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/ui/lib.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/store.sh"

plan 100

ui_with_pg
sim_start "$UI_TMP" --speed 4 --seed 5 || { echo "Bail out! cannot start kubesim"; exit 1; }
printf 'operator: pane-tester\nprovision:\n  timeout: 60\n' >"$UI_CONFIG/config.yaml"
UI_ENV="PGHOST='$PGHOST' PGPORT=$PGPORT PGDATABASE=$PGDATABASE PGUSER=$PGUSER KUBECONFIG='$KUBECONFIG'"

od() { XDG_CONFIG_HOME="$UI_TMP/config" "$OPSDECK" "$@"; }
od_quiet() { od "$@" >/dev/null 2>&1; }
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }
status() { q -c "SELECT status FROM opsdeck.stores WHERE id = '$1'"; }

store_prepare_db

ui_start 170 40
ui_keys 3
screen_has "the Stores pane lists the stores (none yet)" 'Stores \(0, 0 busy; live\)'
screen_has "the header shows the cluster is reachable" "cluster local: ok" 10

# ---- order with n and the form ----
# The runner's namespace requests answer slowly until the screen has shown
# the store on its way: a fast cluster would otherwise make it Ready first.
sim_post /sim/faults '{"latencyMs": 3000, "pathPrefix": "/api/v1/namespaces"}'
ui_keys n
screen_has "n opens the order form" 'Order a store'
like "$(ui_screen)" 'Project +.*shop' "with the project chosen from the live list"
# Project, Offering, Plan (small), Name, Cluster: Enter moves on, and
# submits on the last field.
ui_keys Enter Enter Enter
ui_text "Bad_Name" && ui_keys Enter Enter
screen_has "the form checks the name before anything is sent" 'DNS|lowercase|invalid' 20
is "$(q -c "SELECT count(*) FROM opsdeck.stores")" 0 "and a bad name orders nothing"
ui_keys C-u && ui_text "web1" && ui_keys Enter Enter
screen_has "the order is confirmed on the message line" 'Ordered store web1 \(woocommerce/small\) for project shop'
id=$(q -c "SELECT id FROM opsdeck.stores WHERE name = 'web1'")
like "$id" '^[0-9a-f]{12}$' "the store is in the database"
is "$(q -c "SELECT actor FROM opsdeck.events WHERE object = 'store/$id' AND action = 'store.order'")" \
	pane-tester "the order is audited with the operator"
screen_has "the new store shows as Queued or Provisioning, with its step and age" \
	"$id +web1 +shop +woocommerce/small +local +(Queued|Provisioning) .*([a-z]+ [0-9]+s|provision (queued|running))"
sim_delete /sim/faults
screen_has "it turns Ready on screen with no key pressed, 1/1 ready" \
	"$id +web1 +shop +woocommerce/small +local +Ready +1/1 .*https://$id\." 60
is "$(status "$id")" Ready "the console's own runner provisioned it"

# ---- scale with s ----
ui_keys s
screen_has "s asks how many replicas" 'Replicas \(1-50\): 1'
ui_keys C-u && ui_text 99 && ui_keys Enter
screen_has "a count out of range is refused in words" 'Replicas: a whole number from 1 to 50'
# The Deployment requests answer slowly until the screen has shown the job.
sim_post /sim/faults '{"latencyMs": 3000, "pathPrefix": "/apis/apps"}'
ui_keys s && ui_wait 'Replicas' && ui_keys C-u && ui_text 3 && ui_keys Enter
screen_has "while the job runs, STATUS says what it does" "$id +web1 .* Scaling 1→3 " 10
sim_delete /sim/faults
screen_has "scaling to 3 ends 3/3 on screen" "$id +web1 .* Ready +3/3 " 60
is "$(K get deploy wordpress -n "store-$id" -o jsonpath='{.spec.replicas}')" 3 "the web deployment has 3 replicas"

# ---- details: the objects, the events, the jobs ----
ui_keys Enter
screen_has "Enter shows the store's details" "Store $id \\(Esc closes\\)"
screen_has "with its deployment on the cluster, ready/desired" 'workloads +deployment/wordpress +3/3 ready'
screen_has "and its StatefulSet" ' +statefulset/mysql +1/1 ready'
screen_has "its pods with their phase, readiness and restarts" 'pods +pod/mysql-0 +Running, 1/1 ready, 0 restarts'
screen_has "its volume claim" 'volumes +pvc/mysql-pvc +Bound, 2Gi'
screen_has "its services" 'services +service/mysql +ClusterIP '
screen_has "its ingress" "ingresses +ingress/wordpress-ingress +hosts $id\\."
# Events come from their own list and watch; wait for them as for the objects.
screen_has "and the namespace's events: age, type, reason, object" \
	'events +[0-9]+[smhd] +Normal +[A-Za-z]+ +(pod|deployment|statefulset|replicaset)/[a-z0-9-]+ '
# Newest first: on a slow machine the new pods' events fall in later
# seconds than the scaling and push it below the first screen; at the end
# of the details every event shown is on screen.
ui_keys End
screen_has "with their messages" 'Scaled up replica set wordpress-[a-z0-9]+ to 3'
screen_has "with its job history" 'job [0-9]+ scale: succeeded'
screen_has "and a timeline of each job's steps" 'namespace +(ok|succeeded|done)'
ui_esc
screen_has "Esc goes back to the table" 'Stores \(1, '

# ---- pause (asks first) and resume ----
ui_keys p
screen_has "p asks before pausing" "Pause store $id\\? Its workloads scale to 0"
ui_keys y
screen_has "y pauses it: Paused on screen" "$id +web1 .* Paused +0/0 " 60
is "$(K get deploy wordpress -n "store-$id" -o jsonpath='{.spec.replicas}'),$(K get sts mysql -n "store-$id" -o jsonpath='{.spec.replicas}')" \
	"0,0" "kubectl shows its workloads at 0 replicas"
ui_keys Enter
screen_has "the details of a paused store show its workloads scaled to 0" \
	'deployment/wordpress +0/0 ready, scaled to 0'
ui_keys r
screen_has "r in the details resumes it" "Resuming store $id"
screen_has "and the open details follow the cluster live, back to 3/3" \
	'workloads +deployment/wordpress +3/3 ready' 60
screen_has "the status in the details turns Ready" 'status +Ready' 60
ui_esc
screen_has "resumed: Ready 3/3 in the table" "$id +web1 .* Ready +3/3 " 30
is "$(status "$id")" Ready "the database says Ready"

# ---- l: logs ----
ui_keys l
screen_has "l follows the store's logs in the Logs pane" "Logs for store shop/web1 \\($id\\)"
ui_keys 3

# ---- the order form: the plan follows the offering ----
# A second offering whose image cannot be pulled and whose plans have other
# names; its third plan is no longer sold.
sed -e 's/^  slug: woocommerce/  slug: wp-broken/' -e 's/^  name: WooCommerce/  name: Broken/' \
	-e 's/^  - name: small/  - name: one/' -e 's/^  - name: medium/  - name: two/' \
	-e 's/^  - name: large/  - name: three/' \
	-e 's|image: wordpress:6.4-php8.2-apache|image: wordpress:invalid-tag|' \
	"$top_srcdir/catalog/woocommerce.yaml" >"$UI_TMP/broken.yaml"
ok "an offering with a bad image is imported" od_quiet catalog import "$UI_TMP/broken.yaml"
q -c "UPDATE opsdeck.plans SET active = false WHERE name = 'three'" >/dev/null
ui_keys 1
screen_has "the Catalog pane shows the new offering, with its two active plans" 'wp-broken +Broken .* active +2 '
ui_keys 3
ui_keys n
screen_has "n opens the form again" 'Order a store'
screen_has "the plan is a choice, the first plan of the first offering" 'Plan +< small >'
ui_keys Tab Tab Right
screen_has "Right on the plan cycles through the offering's plans" 'Plan +< medium >'
ui_keys Up Right
screen_has "changing the offering puts the plan on its first plan" 'Plan +< one >' 20
like "$(ui_screen)" 'Offering +< wp-broken >' "of the offering chosen"
ui_keys Down Right
screen_has "the plan cycles through that offering's plans" 'Plan +< two >'
ui_keys Right
screen_has "only the active ones: three is not sold" 'Plan +< one >'
unlike "$(ui_screen)" '< three >' "and is never offered"
ui_keys Up Left
screen_has "back to the first offering, back to its first plan" 'Plan +< small >'
ui_keys Right
ui_wait 'Plan +< one >'
ui_keys Down Right
screen_has "one more time: wp-broken, plan two" 'Plan +< two >'
ui_keys Enter
ui_text "bad1" && ui_keys Enter Enter
screen_has "the order names the plan chosen" 'Ordered store bad1 \(wp-broken/two\) for project shop'
bad=$(q -c "SELECT id FROM opsdeck.stores WHERE name = 'bad1'")
is "$(q -c "SELECT p.name FROM opsdeck.stores s JOIN opsdeck.plans p ON p.uuid = s.plan WHERE s.id = '$bad'")" \
	two "and the database has it"

# ---- a Failed store: its reason in the details, then R ----
# Another pane open: the message line tells how the store this console
# ordered ended.
ui_keys 1
screen_has "on another pane, the message line says the order ended Failed, and why" \
	"Store shop/bad1 \\($bad\\) Failed: deployment/wordpress" 90
ui_keys 3
screen_has "a store whose image cannot be pulled ends Failed" "$bad +bad1 .* Failed " 90
ui_keys /
ui_text "$bad" && ui_keys Enter
ui_keys Enter
screen_has "its details give the reason" 'error +deployment/wordpress: (ImagePullBackOff|ErrImagePull)'
screen_has "its details show the pod waiting and why" \
	'pod/wordpress-[a-z0-9-]+ +Pending, 0/1 ready, 0 restarts, (ImagePullBackOff|ErrImagePull): ' 20
screen_has "next to the StatefulSet that runs" 'statefulset/mysql +1/1 ready'
screen_has "and the Warning event of the failed pull" 'Warning +Failed +pod/wordpress-'
ui_esc
# The operator fixes the offering's image; R provisions the store again.
sed -e 's|image: wordpress:invalid-tag|image: wordpress:6.4-php8.2-apache|' "$UI_TMP/broken.yaml" >"$UI_TMP/fixed.yaml"
ok "the offering is fixed" od_quiet catalog import "$UI_TMP/fixed.yaml"
ui_keys R
screen_has "R retries the Failed store" "Retrying store $bad"
ui_keys 2
screen_has "on another pane, the message line says the retried store is Ready" \
	"Store shop/bad1 \\($bad\\) is Ready" 90
ui_keys 3
screen_has "and it ends Ready once the image is fixed" "$bad +bad1 .* Ready +2/2 " 90
is "$(status "$bad")" Ready "the database says Ready"
ui_keys / C-u Enter

# ---- marks: bulk pause, resume and delete ----
ok "two more stores ordered from the CLI" od_quiet store create shop woocommerce small bulk-a
od_quiet store create shop woocommerce small bulk-b
ba=$(q -c "SELECT id FROM opsdeck.stores WHERE name = 'bulk-a'")
bb=$(q -c "SELECT id FROM opsdeck.stores WHERE name = 'bulk-b'")
wait_for "[ \"\$(status $ba)\" = Ready ] && [ \"\$(status $bb)\" = Ready ]" 60
is "$(status "$ba"),$(status "$bb")" Ready,Ready "the console's runner provisions the CLI's orders"
ui_keys /
ui_text "bulk-" && ui_keys Enter
screen_has "the filter leaves the two" 'Stores \(4, .* [12]/2 of 4 +/bulk-'
ui_keys Home Space Space
screen_has "Space marks both" 'marked: 2'
ui_keys p
screen_has "p asks before pausing the marked stores" 'Pause 2 marked stores\? Their workloads scale to 0'
ui_keys y
screen_has "both go Paused on screen" "$ba +bulk-a .* Paused " 60
screen_has "both of them" "$bb +bulk-b .* Paused " 60
wait_for "[ \"\$(status $ba)\" = Paused ] && [ \"\$(status $bb)\" = Paused ]" 60
is "$(K get deploy wordpress -n "store-$ba" -o jsonpath='{.spec.replicas}'),$(K get deploy wordpress -n "store-$bb" -o jsonpath='{.spec.replicas}')" \
	"0,0" "kubectl shows both at 0 replicas"
is "$(status "$id"),$(status "$bad")" Ready,Ready "the stores not marked are left alone"
ok "the marks clear after the bulk action" ui_wait_gone 'marked: 2'
ui_keys Home Space Space && ui_wait 'marked: 2'
ui_keys r
screen_has "r resumes the marked stores" 'Resuming 2 stores'
wait_for "[ \"\$(status $ba)\" = Ready ] && [ \"\$(status $bb)\" = Ready ]" 60
is "$(status "$ba"),$(status "$bb")" Ready,Ready "both are Ready again"
screen_has "and Ready 1/1 on screen" "$ba +bulk-a .* Ready +1/1 " 30
ui_keys Home Space Space && ui_wait 'marked: 2'
ui_keys d
screen_has "d asks for the number of marked stores and the word delete" \
	'Delete 2 marked stores\? Type "2 delete" to confirm'
ui_text "2" && ui_keys Enter
screen_has "the count alone deletes nothing" '"2" is not "2 delete": nothing deleted'
is "$(status "$ba"),$(status "$bb")" Ready,Ready "both are still Ready"
ok "and the marks stay for another try" ui_wait 'marked: 2'
ui_keys d && ui_wait 'Stores:' && ui_text "2 delete" && ui_keys Enter
screen_has "the right count deletes both" 'Deleting 2 stores'
wait_for "[ \"\$(status $ba)\" = Deleted ] && [ \"\$(status $bb)\" = Deleted ]" 60
is "$(status "$ba"),$(status "$bb")" Deleted,Deleted "both rows end Deleted"
is "$(K get ns -o name | grep -c -e "store-$ba" -e "store-$bb")" 0 "their namespaces are gone"
is "$(status "$id"),$(status "$bad")" Ready,Ready "and the other stores stay"
ui_keys / C-u Enter
screen_has "the filter is cleared" 'Stores \(2, '
# Newest first: bad1, then web1.
ui_keys Home Down

# ---- delete with d, typing the id ----
ui_keys d
screen_has "d asks for the store's id" "Delete store $id\\? Type its id to confirm"
ui_text "wrong" && ui_keys Enter
screen_has "a wrong id deletes nothing" "\"wrong\" is not \"$id\": nothing deleted"
ui_keys d && ui_wait 'Store id:' && ui_text "$id" && ui_keys Enter
screen_has "the store goes Deleting" "$id +web1 .* (Deleting|Queued)|Deleting store $id" 10
if ui_wait_gone "$id +web1" 60; then pass "and then goes from the table"; else fail "and then goes from the table"; diag "$(ui_screen)"; fi
is "$(status "$id")" Deleted "the row is Deleted in the database"

# ---- quitting while a job runs asks first ----
ui_keys n && ui_wait 'Order a store' && ui_keys Enter Enter Enter && ui_text "web2" && ui_keys Enter Enter
ui_wait 'web2 .*(Provisioning)' 20
ui_keys q
screen_has "q while a job runs asks first" 'job is running in this console. Quit anyway\?'
ui_keys n
ui_wait_gone 'Quit anyway' 20 || diag "the question stayed: $(ui_screen)"
ok "n keeps the console running" ui_alive
ui_keys q && ui_wait 'Quit anyway' && ui_keys y
if wait_for '! ui_alive' 10; then pass "y quits"; else fail "y quits"; fi
is "$(q -c "SELECT count(*) FROM opsdeck.jobs WHERE state = 'running'")" 0 "and the running job was handed back"

# ---- read-only ----
ui_start 170 40 --read-only
ui_keys 3
ui_wait 'web2'
ui_keys n
screen_has "read-only mode refuses an order" 'read-only mode: refusing to order a store'

# ---- the cluster gone: the details say so ----
w2=$(q -c "SELECT id FROM opsdeck.stores WHERE name = 'web2'")
ui_keys /
ui_text "$w2" && ui_keys Enter Enter
screen_has "the details of a store show its objects" 'workloads +deployment/wordpress ' 20
kill "$SIM_PID"
wait "$SIM_PID" 2>/dev/null
screen_has "with the cluster gone, the details say it cannot be reached instead" \
	'objects +cluster local: .*cannot reach' 30
unlike "$(ui_screen)" 'workloads +deployment/' "and show no stale objects"
ui_esc
screen_has "the table says READY is unknown" 'READY unknown: cluster local unreachable' 30

ui_stop
wait_for '! ui_alive' 20 || :
