# Orphan namespaces against a real PostgreSQL and kubesim: deleting one
# is audited with the operator before the cluster is asked, and refused
# when the event cannot be written; `store reconcile --delete-orphan NS`
# deletes only the one named, refuses a name that is not an orphan (a live
# store's, a Terminating one, an unknown one) and refuses in read-only
# mode. Namespaces stuck Terminating are held by real finalizers: one by
# its own metadata.finalizers, one by a ConfigMap with a finalizer inside
# (the namespace controller keeps its "kubernetes" finalizer and says why
# in its conditions); both are listed with what holds them, and go once
# the finalizers are patched away. The console's :reconcile view lists an
# orphan and the stuck namespaces, filters, deletes an orphan only when its
# name is typed back (through the same audited path), and runs its own
# pass without a runner: read-only refuses the deletion, and a store
# ordered after the pass keeps its namespace.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/ui/lib.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/cli.sh"
. "$top_srcdir/tests/lib/sim.sh"

plan 54

ui_with_pg
cli_with_ui 'operator: alice\n'
sim_start "$work" --speed 4 --seed 21 || { echo "Bail out! cannot start kubesim"; exit 1; }

# reconcile [options]: runs `store reconcile`; sets out and rc
reconcile() {
	out=$(od store reconcile "$@" 2>&1)
	rc=$?
}
last() { printf '%s\n' "$out" | tail -n 1; } # what went wrong is said last
# ns_state CONTEXT NAME: "active", "terminating" or "gone"
# One read: a namespace finalized between two reads would look active. Only
# NotFound is "gone"; another failure (a slow answer) is read again.
ns_state() {
	local ts end
	end=$(($(tap_now_ms) + 30000))
	while :; do
		if ts=$(K --context "$1" get ns "$2" -o jsonpath='{.metadata.deletionTimestamp}' \
			2>"$work/ns_state.err"); then
			if [ -n "$ts" ]; then echo terminating; else echo active; fi
			return
		fi
		if grep -q '(NotFound)' "$work/ns_state.err"; then
			echo gone
			return
		fi
		if [ "$(tap_now_ms)" -ge "$end" ]; then
			echo "unknown: $(cat "$work/ns_state.err")"
			return
		fi
		sleep 0.2
	done
}
# orphan CONTEXT NAME STORE [FINALIZER]: an opsdeck namespace with no row
orphan() {
	{
		printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n' "$2"
		printf '  labels: {app.kubernetes.io/managed-by: opsdeck, opsdeck.io/store: "%s"}\n' "$3"
		[ -n "${4:-}" ] && printf '  finalizers: ["%s"]\n' "$4"
	} >"$work/ns.yaml"
	K --context "$1" apply --server-side -f "$work/ns.yaml" >/dev/null
}
events() { q -c "SELECT count(*) FROM opsdeck.events WHERE action = 'orphan.delete'"; }

{
	od db migrate &&
		od catalog import "$top_srcdir/catalog/woocommerce.yaml" &&
		od customer create Acme &&
		od project create acme Shop --stores 20 --cpu 100 --memory 200Gi &&
		od cluster add local --context "$SIM_CONTEXT"
} >/dev/null || { echo "Bail out! cannot prepare the database"; exit 1; }

# A store ordered with no runner about: Queued, live, and its namespace
# made as the first provisioning step makes it.
live=$(od store create shop woocommerce small kept --cluster local | sed -n 's/^ordered store \([0-9a-f]*\) .*/\1/p')
orphan "$SIM_CONTEXT" "store-$live" "$live"
orphan "$SIM_CONTEXT" orphan-a aaaaaaaaaaaa
orphan "$SIM_CONTEXT" orphan-b bbbbbbbbbbbb
orphan "$SIM_CONTEXT" orphan-c cccccccccccc
# Held by its own finalizer: the namespace controller finishes (drops
# "kubernetes") and it stays.
orphan "$SIM_CONTEXT" held dddddddddddd example.com/hold
# Held by its content: a ConfigMap with a finalizer.
orphan "$SIM_CONTEXT" held-content eeeeeeeeeeee
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: keep, namespace: held-content, finalizers: [example.com/hold]}\n' \
	>"$work/cm.yaml"
K apply --server-side -f "$work/cm.yaml" >/dev/null
K delete ns held held-content --wait=false >/dev/null
spec_finalizers() { K get ns "$1" -o jsonpath='{.spec.finalizers}'; }
content_held() {
	K get ns held-content -o jsonpath='{.status.conditions[?(@.type=="NamespaceFinalizersRemaining")].status}' | grep -q True
}
wait_for '[ -z "$(spec_finalizers held)" ] && content_held' 20 ||
	{ echo "Bail out! the namespace controller did not get to the held namespaces"; exit 1; }

# ---- the CLI ----
reconcile
like "$rc:$out" "^0:" "store reconcile lists the findings"
like "$out" "orphan +local orphan-a store aaaaaaaaaaaa: labelled as opsdeck.s but no live store uses it" \
	"an orphan is listed"
like "$out" "terminating +local held store dddddddddddd: Terminating for [0-9]+s; finalizers: example.com/hold \\(metadata\\)$" \
	"a namespace held by its own finalizer is listed with it, once the namespace controller is done"
like "$out" "terminating +local held-content store eeeeeeeeeeee: Terminating for [0-9]+s; finalizers: kubernetes \\(spec\\); NamespaceContentRemaining: Some resources are remaining: configmaps\\. has 1 resource instances; NamespaceFinalizersRemaining: Some content in the namespace has finalizers remaining: example\\.com/hold in 1 resource instances$" \
	"a namespace held by its content is listed with the controller's finalizer and what the controller says holds it"
unlike "$out" "store-$live" "a live store's namespace is not an orphan"

reconcile --delete-orphan orphan-a
like "$rc:$(printf '%s\n' "$out" | grep orphan-a)" "^0:orphan +local orphan-a store aaaaaaaaaaaa: .* \\(deleting it\\)$" \
	"--delete-orphan deletes the one named"
is "$(ns_state "$SIM_CONTEXT" orphan-a | sed 's/gone/terminating/')" terminating \
	"the cluster deletes it"
is "$(ns_state "$SIM_CONTEXT" orphan-b),$(ns_state "$SIM_CONTEXT" orphan-c)" active,active \
	"and only it: the other orphans stay"
is "$(q -c "SELECT actor || ' ' || object || ' ' || (detail->>'cluster') || ' ' || (detail->>'namespace') || ' ' || (detail->>'store')
	FROM opsdeck.events WHERE action = 'orphan.delete'")" \
	"alice namespace/local/orphan-a local orphan-a aaaaaaaaaaaa" \
	"the deletion is audited with the operator, the cluster, the namespace and its store label"
like "$(q -c "SELECT message || ' ' || (detail->>'uid') FROM opsdeck.events WHERE action = 'orphan.delete'")" \
	'^deleting orphan namespace orphan-a on cluster local \(its store aaaaaaaaaaaa has no live row\) [0-9a-f-]{8,}$' \
	"in words, with the uid of the namespace that was deleted"

reconcile --delete-orphan nosuch
like "$rc:$(last)" "^1:opsdeck: 'nosuch' is not an orphan namespace .*orphans found: local/orphan-b, local/orphan-c" \
	"an unknown namespace is refused, naming the orphans there are"
reconcile --delete-orphan "store-$live"
like "$rc:$(last)" "^1:opsdeck: 'store-$live' is not an orphan namespace \\(a live store uses it" \
	"a live store's namespace is refused"
reconcile --delete-orphan orphan-b --delete-orphan held
like "$rc:$(last)" "^1:opsdeck: namespace held on cluster local is not an orphan: the pass reports it as terminating" \
	"a Terminating namespace is refused"
is "$(ns_state "$SIM_CONTEXT" "store-$live"),$(ns_state "$SIM_CONTEXT" orphan-b),$(events)" active,active,1 \
	"a refused name deletes nothing, not even the orphans named with it"
reconcile --delete-orphan local/
is "$rc" 2 "a malformed name is a usage error"
reconcile --delete-orphans --delete-orphan orphan-b
is "$rc" 2 "--delete-orphans and --delete-orphan together are a usage error"
out=$(od --read-only store reconcile --delete-orphan orphan-b 2>&1)
rc=$?
like "$rc:$out" "^1:opsdeck: read-only mode: refusing to delete orphan namespaces" "read-only mode refuses the deletion in words"
is "$(ns_state "$SIM_CONTEXT" orphan-b),$(events)" active,1 "and deletes nothing"

# No unaudited deletion: an audit trail that refuses the event keeps the
# namespace.
q -c "CREATE FUNCTION refuse_events() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN RAISE EXCEPTION 'audit trail offline'; END \$\$;
	CREATE TRIGGER refuse BEFORE INSERT ON opsdeck.events FOR EACH ROW EXECUTE FUNCTION refuse_events()" >/dev/null
reconcile --delete-orphan local/orphan-b
like "$rc:$(last)" "^1:opsdeck: the audit event could not be written, so namespace orphan-b was not deleted: .*audit trail offline" \
	"when the audit event cannot be written the deletion is refused, and says why"
like "$out" "orphan +local orphan-b store bbbbbbbbbbbb: .*; not deleted: " "the finding says it was not deleted"
is "$(ns_state "$SIM_CONTEXT" orphan-b)" active "the namespace stays"
q -c "DROP TRIGGER refuse ON opsdeck.events; DROP FUNCTION refuse_events()" >/dev/null

# ---- the console, with its runner ----
printf 'operator: bob\nworker:\n  reconcile_interval: 2\n  reconcile_confirm: 1\n' >"$UI_CONFIG/config.yaml"
UI_ENV="PGHOST='$PGHOST' PGPORT=$PGPORT PGDATABASE=$PGDATABASE PGUSER=$PGUSER KUBECONFIG='$KUBECONFIG'"
ui_start 170 40
screen_has "the message line summary points to :reconcile" \
	"Reconcile: 2 orphan namespaces, 2 namespaces stuck Terminating \\(:reconcile lists them\\)" 20
ui_text ":reconcile" && ui_keys Enter
screen_has ":reconcile shows the runner's latest findings" "Reconcile: 4 findings"
# The first pass may run while the runner still provisions the live store
# (a store being provisioned is not checked); a later one checks it.
screen_has "with when the pass ran, and by whom" \
	"Pass of [0-9]{2}:[0-9]{2}:[0-9]{2} \\(took [0-9]+s, 1 store checked\\) by the console's runner, every 2s" 30
like "$(ui_line 2)" ':reconcile$' "the tab bar names the view"
like "$(ui_screen)" "KIND +CLUSTER +NAMESPACE +STORE +REASON" "as a table of kind, cluster, namespace, store and reason"
like "$(ui_screen)" "orphan +local +orphan-b +bbbbbbbbbbbb +labelled as opsdeck.s but no live store uses it" \
	"an orphan is listed"
like "$(ui_screen)" "terminating +local +held +dddddddddddd +Terminating for [0-9a-z]+; finalizers: example.com/hold \\(metadata\\)" \
	"a namespace stuck Terminating shows the finalizers that hold it"
like "$(ui_screen_attrs | grep 'orphan-b' | head -n 1)" '38;5;221' "rows are coloured by kind (an orphan in the theme's state_busy)"
ui_keys /
ui_text "held-content" && ui_keys Enter
screen_has "/ filters the findings" "Reconcile: .*\\(1 of [0-9]+\\)|1/[0-9]+" 20
unlike "$(ui_screen)" "orphan-b" "leaving only the rows that match"
like "$(ui_screen | tr -s ' \n' '  ')" "terminating local/held-content: .*NamespaceFinalizersRemaining: Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances" \
	"the footer shows the finding whole: the content's finalizer that holds the namespace"
ui_keys d
screen_has "d refuses a row that is not an orphan" "Only an orphan namespace can be deleted here; this row is a terminating finding"
ui_keys /
ui_keys C-u && ui_text "orphan-b" && ui_keys Enter
ui_keys d
screen_has "d on an orphan asks for its name" "Delete orphan namespace orphan-b on cluster local\\? Type its name to confirm"
ui_text "orphan-c" && ui_keys Enter
screen_has "a wrong name deletes nothing" "'orphan-c' is not 'orphan-b': nothing deleted"
is "$(ns_state "$SIM_CONTEXT" orphan-b),$(ns_state "$SIM_CONTEXT" orphan-c),$(events)" active,active,1 \
	"neither namespace is touched, and no event is written"
ui_keys d
ui_text "orphan-b" && ui_keys Enter
screen_has "the typed name deletes it, and the message line says so" \
	"deleting orphan namespace orphan-b on cluster local \\(audit event [0-9]+\\)" 20
is "$(ns_state "$SIM_CONTEXT" orphan-b | sed 's/gone/terminating/')" terminating "the cluster deletes it"
is "$(q -c "SELECT actor || ' ' || object FROM opsdeck.events WHERE action = 'orphan.delete' ORDER BY id DESC LIMIT 1")" \
	"bob namespace/local/orphan-b" "audited with the console's operator"
ok "the view runs a pass after it, and orphan-b is no longer an orphan" ui_wait_gone "orphan +local +orphan-b" 20
# The pass R runs ends after R was pressed, a second after the last one.
pass_time() { ui_screen | sed -n 's/.*Pass of \([0-9:]*\) .*/\1/p' | head -n 1; }
t0=$(date -u +%s)
wait_for '[ "$(date -u +%s)" -gt "$t0" ]' 20 || :
pressed=$(date -u +%H:%M:%S)
ui_keys R
ok "R runs a pass now" wait_for '! [ "$(pass_time)" \< "$pressed" ]' 20
ok "and what the message line said of it goes when it is done" \
	ui_wait_gone "Reconcile pass running" 20
ui_text ":events" && ui_keys Enter
screen_has "the event appears in the audit trail" "bob +orphan.delete +namespace/local/orphan-b" 20
ui_keys q
wait_for '! ui_alive' 20 || :

# ---- the console, read-only: the view runs its own pass ----
ui_start 170 40 --read-only
ui_text ":reco" && ui_keys Tab
screen_has "Tab completes :reconcile" "^:reconcile *$"
ui_keys Enter
screen_has "without a runner the view runs a pass itself when opened" \
	"Pass of .* by this view" 20
like "$(ui_screen)" "orphan +local +orphan-c" "and lists the orphans"
ui_keys /
ui_text "orphan-c" && ui_keys Enter
ui_keys d
screen_has "read-only mode refuses the deletion in words" "read-only mode: refusing to delete an orphan namespace"
is "$(ns_state "$SIM_CONTEXT" orphan-c),$(events)" active,2 "and deletes nothing"
ui_keys q
wait_for '! ui_alive' 20 || :

# ---- --no-worker: a store ordered after the pass keeps its namespace ----
orphan "$SIM_CONTEXT" store-0123456789ab 0123456789ab
ui_start 170 40 --no-worker
ui_text ":reconcile store-0123456789ab" && ui_keys Enter
screen_has ":reconcile FILTER opens the view filtered, from its own pass" \
	"orphan +local +store-0123456789ab +0123456789ab" 20
# As if ordered between the pass and the deletion.
q -c "INSERT INTO opsdeck.stores (id, project, offering, plan, cluster, name, namespace, replicas, created_by)
	SELECT '0123456789ab', p.uuid, o.uuid, pl.uuid, 'local', 'late', 'store-0123456789ab', 1, 'test'
	FROM opsdeck.projects p, opsdeck.offerings o JOIN opsdeck.plans pl ON pl.offering = o.uuid
	WHERE p.slug = 'shop' AND o.slug = 'woocommerce' AND pl.name = 'small'" >/dev/null
ui_keys d
ui_text "store-0123456789ab" && ui_keys Enter
screen_has "the deletion checks again, and refuses a namespace a store now uses" \
	"namespace store-0123456789ab on cluster local is no longer an orphan: store 0123456789ab \\(Queued\\) uses it; nothing deleted" 20
is "$(ns_state "$SIM_CONTEXT" store-0123456789ab),$(events)" active,2 "the namespace stays and no event is written"
ui_keys q
wait_for '! ui_alive' 20 || :

# ---- the finalizers patched away: both namespaces go ----
K patch configmap keep -n held-content --type=json -p '[{"op":"remove","path":"/metadata/finalizers"}]' >/dev/null
K patch namespace held --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null
ok "the namespace held by its content goes once the ConfigMap's finalizer is removed" \
	wait_for '[ "$(ns_state "$SIM_CONTEXT" held-content)" = gone ]' 20
ok "the namespace held by its own finalizer goes once that is removed" \
	wait_for '[ "$(ns_state "$SIM_CONTEXT" held)" = gone ]' 20
reconcile
unlike "$out" "terminating" "and a pass no longer reports them"
