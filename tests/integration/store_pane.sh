# The Stores pane against a real PostgreSQL and kubesim, with the console's
# own job runner: a store ordered with n and the form goes Provisioning ->
# Ready on screen with no key pressed, is scaled to 3 (3/3 from the
# cluster's watch), shows its details and job history, and is deleted with
# its id typed back. Read-only mode refuses an order; quitting while a job
# runs asks first and hands the job back.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/ui/lib.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/sim.sh"

plan 32

if ! command -v tmux >/dev/null 2>&1; then
	echo "Bail out! tmux is not installed (scripts/setup installs it)"
	exit 1
fi
ui_setup
pg_start || { echo "Bail out! cannot start PostgreSQL"; exit 1; }
pg_on_exit "ui_stop; wait_for \"! ui_alive\" 5; rm -rf \"\$UI_TMP\""
sim_start "$UI_TMP" --speed 4 --seed 5 || { echo "Bail out! cannot start kubesim"; exit 1; }
printf 'operator: pane-tester\nprovision:\n  timeout: 60\n' >"$UI_CONFIG/config.yaml"
UI_ENV="PGHOST='$PGHOST' PGPORT=$PGPORT PGDATABASE=$PGDATABASE PGUSER=$PGUSER KUBECONFIG='$KUBECONFIG'"

od() { XDG_CONFIG_HOME="$UI_TMP/config" "$OPSDECK" "$@"; }
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }
# screen_has DESC REGEX [SECS]
screen_has() {
	if ui_wait "$2" "${3:-5}"; then
		pass "$1"
	else
		fail "$1"
		diag "$(ui_screen)"
	fi
}
status() { q -c "SELECT status FROM opsdeck.stores WHERE id = '$1'"; }

{
	od db migrate &&
		od catalog import "$top_srcdir/catalog/woocommerce.yaml" &&
		od customer create Acme &&
		od project create acme Shop --stores 10 --cpu 100 --memory 200Gi &&
		od cluster add local --context "$SIM_CONTEXT"
} >/dev/null || { echo "Bail out! cannot prepare the database"; exit 1; }

ui_start 170 40
ui_keys 3
screen_has "the Stores pane lists the stores (none yet)" 'Stores \(0, 0 busy; live\)'
screen_has "the header shows the cluster is reachable" "cluster local: ok" 10

# ---- order with n and the form ----
ui_keys n
screen_has "n opens the order form" 'Order a store'
like "$(ui_screen)" 'Project +.*shop' "with the project chosen from the live list"
# Project, Offering, Plan (small), Name, Cluster: Enter moves on, and
# submits on the last field.
ui_keys Enter Enter Enter
ui_text "Bad_Name" && ui_keys Enter Enter
screen_has "the form checks the name before anything is sent" 'DNS|lowercase|invalid' 3
is "$(q -c "SELECT count(*) FROM opsdeck.stores")" 0 "and a bad name orders nothing"
ui_keys C-u && ui_text "web1" && ui_keys Enter Enter
screen_has "the order is confirmed on the message line" 'Ordered store web1 \(woocommerce/small\) for project shop'
id=$(q -c "SELECT id FROM opsdeck.stores WHERE name = 'web1'")
like "$id" '^[0-9a-f]{12}$' "the store is in the database"
is "$(q -c "SELECT actor FROM opsdeck.events WHERE object = 'store/$id' AND action = 'store.order'")" \
	pane-tester "the order is audited with the operator"
screen_has "the new store shows as Queued or Provisioning, with its step and age" \
	"$id +web1 +shop +woocommerce/small +local +(Queued|Provisioning) .*([a-z]+ [0-9]+s|provision (queued|running))"
screen_has "it turns Ready on screen with no key pressed, 1/1 ready" \
	"$id +web1 +shop +woocommerce/small +local +Ready +1/1 .*https://$id\." 60
is "$(status "$id")" Ready "the console's own runner provisioned it"

# ---- scale with s ----
ui_keys s
screen_has "s asks how many replicas" 'Replicas \(1-50\): 1'
ui_keys C-u && ui_text 99 && ui_keys Enter
screen_has "a count out of range is refused in words" 'Replicas: a whole number from 1 to 50'
ui_keys s && ui_wait 'Replicas' && ui_keys C-u && ui_text 3 && ui_keys Enter
screen_has "scaling to 3 ends 3/3 on screen" "$id +web1 .* Ready +3/3 " 60
is "$(K get deploy wordpress -n "store-$id" -o jsonpath='{.spec.replicas}')" 3 "the web deployment has 3 replicas"

# ---- details ----
ui_keys Enter
screen_has "Enter shows the store's details" "Store $id \\(Esc closes\\)"
screen_has "with its job history" 'job [0-9]+ scale: succeeded'
screen_has "and a timeline of each job's steps" 'namespace +(ok|succeeded|done)'
like "$(ui_screen)" 'deployment/wordpress 3/3 ready' "and its deployment on the cluster"
ui_esc
screen_has "Esc goes back to the table" 'Stores \(1, '

# ---- l: logs ----
ui_keys l
screen_has "l says where logs will come from" 'logs come with the logs issue'

# ---- delete with d, typing the id ----
ui_keys d
screen_has "d asks for the store's id" "Delete store $id\\? Type its id to confirm"
ui_text "wrong" && ui_keys Enter
screen_has "a wrong id deletes nothing" "'wrong' is not '$id': nothing deleted"
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
sleep 0.3
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

ui_stop
wait_for '! ui_alive' 5 || :
