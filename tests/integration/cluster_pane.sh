# The :clusters view against a real PostgreSQL and kubesim: two clusters,
# one on kubesim (ok) and one whose server refuses connections
# (unreachable, the reason in words), each with its state, its stores and
# its capacity. c asks before cordoning (No by default); y cordons, which
# is audited with the operator's name; a activates again; `:clusters
# cordon NAME` names a cluster, an unknown one is refused in words. A
# change made with `opsdeck cluster set-state`, and a store ordered, show
# without a key press.
# Read-only mode refuses both keys and changes nothing. At 80x24 the name,
# state, reachability and stores still show.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/ui/lib.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/sim.sh"

plan 35

ui_with_pg
sim_start "$UI_TMP" --speed 4 --seed 7 || { echo "Bail out! cannot start kubesim"; exit 1; }

# A second context whose server refuses connections (nothing listens on
# port 1), with the simulator's user.
kc="$UI_TMP/console.kubeconfig"
cp "$KUBECONFIG" "$kc"
sim_user=$(kubectl --kubeconfig "$kc" config view -o jsonpath='{.users[0].name}')
{
	kubectl --kubeconfig "$kc" config set-cluster refused --server=https://127.0.0.1:1 &&
		kubectl --kubeconfig "$kc" config set-context refused --cluster=refused \
			--user="$sim_user"
} >/dev/null || { echo "Bail out! cannot write the kubeconfig"; exit 1; }

printf 'operator: cluster-tester\n' >"$UI_CONFIG/config.yaml"
UI_ENV="PGHOST='$PGHOST' PGPORT=$PGPORT PGDATABASE=$PGDATABASE PGUSER=$PGUSER KUBECONFIG='$kc'"

od() { XDG_CONFIG_HOME="$UI_TMP/config" KUBECONFIG="$kc" "$OPSDECK" "$@"; }
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }
state() { q -c "SELECT state FROM opsdeck.clusters WHERE name = '$1'"; }
last_event() {
	q -c "SELECT actor || ' ' || (detail->>'from') || '->' || (detail->>'to')
	      FROM opsdeck.events WHERE action = 'cluster.state' AND object = 'cluster/$1'
	      ORDER BY id DESC LIMIT 1"
}

{
	od db migrate &&
		od catalog import "$top_srcdir/catalog/woocommerce.yaml" &&
		od customer create Acme &&
		od project create acme Shop --stores 10 --cpu 100 --memory 200Gi &&
		od cluster add local --context "$SIM_CONTEXT" --max-stores 10 &&
		# far goes in directly: its server never answers
		q -c "INSERT INTO opsdeck.clusters (name, kube_context) VALUES ('far', 'refused')" &&
		od store create shop woocommerce small web1 --cluster local &&
		od store create shop woocommerce small web2 --cluster local
} >/dev/null || { echo "Bail out! cannot prepare the database"; exit 1; }

# No runner: the stores stay Queued, which counts as much as Ready.
ui_start 120 40 --no-worker
ui_keys : && ui_text clusters && ui_keys Enter
screen_has ":clusters lists both clusters" 'Clusters \(2, 0 cordoned, 1 not answering; live\)' 20
like "$(ui_screen)" 'NAME +STATE +REACHABILITY +STORES +CAPACITY +CONTEXT +PROBLEM' \
	"with state, reachability, stores, capacity, context and the problem"
screen_has "the kubesim cluster answers, with its 2 stores of 10" \
	"local +active +ok +2 +2/10 +$SIM_CONTEXT" 20
screen_has "the other is unreachable, with the reason in words" \
	'far +active +unreachable +0 +0/50 +refused +.*(refused|connect)' 20
like "$(ui_screen)" '5 Logs +:clusters' "the tab bar names the open view"
screen_has "the row under the cursor is described whole below the table" \
	'far \(context refused\): 0 of 50 stores; active: new stores may be placed on it\. Unreachable since [0-9:]+: '
like "$(ui_screen)" 'Connection refused\. c cordons it\.' "with the reason and the key that cordons it"

# ---- cordon: asks first, No by default; audited ----
ui_keys Down
screen_has "the cursor moves to local" 'local \(context .*\): 2 of 10 stores; active'
ui_keys c
screen_has "c asks before cordoning" \
	'Cordon cluster local\? No new stores are placed on it; its 2 stores keep running\.'
ui_keys n
ui_wait_gone 'Cordon cluster local\?'
is "$(state local)" active "answering no changes nothing"
ui_keys c && ui_wait 'Cordon cluster local\?' && ui_keys y
screen_has "y cordons it: the message says so" 'Cordoned cluster local: no new stores are placed on it'
screen_has "and the row shows it cordoned, still answering" "local +cordoned +ok +2 +2/10" 20
is "$(state local)" cordoned "the database has it cordoned"
is "$(last_event local)" "cluster-tester active->cordoned" "an audit event names the operator"
is "$(q -c "SELECT count(*) FROM opsdeck.events WHERE action = 'cluster.state' AND object = 'cluster/local'")" \
	1 "and it is the only one: the n before it wrote nothing"
like "$(od store create shop woocommerce small web3 --cluster local 2>&1)" \
	'cluster local is cordoned' "a cordoned cluster takes no new store"
ui_keys c
screen_has "c on a cordoned cluster says so and writes nothing" 'Cluster local is already cordoned'

# ---- activate ----
ui_keys a
screen_has "a activates it" 'Activated cluster local: it takes new stores'
screen_has "the row shows it active" "local +active +ok +2 +2/10" 20
is "$(last_event local)" "cluster-tester cordoned->active" "activating is audited too"

# ---- by name ----
ui_keys : && ui_text "clusters cordon nosuch" && ui_keys Enter
screen_has "an unknown cluster is refused in words" 'no cluster "nosuch"'
ui_keys : && ui_text "clusters cordon far" && ui_keys Enter
screen_has ":clusters cordon NAME asks about that cluster" \
	'Cordon cluster far\? No new stores are placed on it; its 0 stores keep running\.'
ui_keys y
screen_has "and cordons it" 'far +cordoned +unreachable'

# ---- live: a change made with the CLI ----
t0=$(tap_now_ms)
od cluster set-state far active >/dev/null
if ui_wait 'far +active +unreachable' 20; then
	pass "a change made with the CLI shows without a key press"
	diag "shown $(($(tap_now_ms) - t0)) ms after the CLI ran"
else
	fail "a change made with the CLI shows without a key press"
	diag "$(ui_screen)"
fi
od cluster set-state local disabled >/dev/null
screen_has "a disabled cluster is not probed: no reachability, no problem" 'local +disabled +- +2 +2/10'
od cluster set-state local active >/dev/null
screen_has "and is probed again once active" "local +active +ok +2 +2/10" 20
od store create shop woocommerce small web3 --cluster local >/dev/null
screen_has "a store ordered meanwhile is counted at once" "local +active +ok +3 +3/10" 20

# ---- read-only mode ----
ui_start 120 40 --read-only
ui_keys : && ui_text clusters && ui_keys Enter
screen_has "read-only: the clusters show" "local +active +ok +3 +3/10" 20
ui_keys c
screen_has "c is refused in read-only mode" 'read-only mode: refusing to cordon a cluster'
ui_keys a
screen_has "a is refused too" 'read-only mode: refusing to activate a cluster'
is "$(state far),$(state local)" "active,active" "and nothing changed"

# ---- 80x24 ----
ui_start 80 24 --no-worker
ui_keys : && ui_text clusters && ui_keys Enter
screen_has "at 80x24 local shows its name, state, reachability and stores" \
	'local +active +ok +3( |$)' 20
screen_has "and far its reachability" 'far +active +unreachable +0( |$)' 20
ui_keys '?'
ui_wait 'Help: key map default'
ui_keys / && ui_text clusters. && ui_keys Enter
screen_has "help lists the view's keys in its scope" 'clusters\.cordon +c +clusters +Cordon'
like "$(ui_screen)" 'clusters\.activate +a +clusters +Activate' "and activate"
