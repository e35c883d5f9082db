# One console, one cluster, an outage. The console's runner provisions a
# store while the Stores pane, the store's details and the :reconcile view
# are open: the kubeconfig's exec credential plugin runs once for all of
# them (one client per context). Then kubesim is killed: the header says
# the cluster is unreachable and READY is "?" rather than the last counts.
# A new, empty kubesim on the same port: the header says ok within the
# probe's 5 s cap, and within 10 s the pane shows the truth (no web
# Deployment: -/1), without restarting the console.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/ui/lib.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/sim.sh"

plan 13

ui_with_pg
token=outage-test-token
simopts="--http --token $token --speed 4 --seed 3"
# shellcheck disable=SC2086
sim_start "$UI_TMP" $simopts || { echo "Bail out! cannot start kubesim"; exit 1; }
port=$(cat "$UI_TMP/port")

# The console's own kubeconfig: the same server, credentials from an exec
# plugin that counts its runs.
runs="$UI_TMP/plugin-runs"
cat >"$UI_TMP/plugin" <<EOF
#!/bin/sh
echo run >>'$runs'
echo '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"$token","expirationTimestamp":"2999-01-01T00:00:00Z"}}'
EOF
chmod +x "$UI_TMP/plugin"
cat >"$UI_TMP/console.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: sim
  cluster:
    server: http://127.0.0.1:$port
contexts:
- name: plugged
  context:
    cluster: sim
    user: plug
current-context: plugged
users:
- name: plug
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: $UI_TMP/plugin
      interactiveMode: Never
EOF

printf 'operator: outage-tester\nprovision:\n  timeout: 60\n' >"$UI_CONFIG/config.yaml"
UI_ENV="PGHOST='$PGHOST' PGPORT=$PGPORT PGDATABASE=$PGDATABASE PGUSER=$PGUSER KUBECONFIG='$UI_TMP/console.kubeconfig'"

od() { XDG_CONFIG_HOME="$UI_TMP/config" KUBECONFIG="$UI_TMP/console.kubeconfig" "$OPSDECK" "$@"; }
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }

{
	od db migrate &&
		od catalog import "$top_srcdir/catalog/woocommerce.yaml" &&
		od customer create Acme &&
		od project create acme Shop --stores 10 --cpu 100 --memory 200Gi &&
		od cluster add local --context plugged
} >/dev/null || { echo "Bail out! cannot prepare the database"; exit 1; }
rm -f "$runs"

ui_start 170 40
ui_keys 3
screen_has "the header shows the cluster answering" "cluster local: ok" 20
id=$(od store create shop woocommerce small web1 --cluster local | sed -n 's/^ordered store \([0-9a-f]*\) .*/\1/p')
like "$id" '^[0-9a-f]{12}$' "a store is ordered"
screen_has "the console's runner provisions it: Ready, 1/1" "$id +web1 .* Ready +1/1 " 90

# details and :reconcile open too, on the same context
ui_keys Enter
screen_has "its details show its objects" 'workloads +deployment/wordpress ' 20
ui_esc
ui_keys : && ui_text reconcile && ui_keys Enter
screen_has ":reconcile runs a pass on the same client" 'pass|finding|no finding' 20
ui_keys 3
ui_wait "$id +web1" 20
# the runner, the pane, the details and the reconcile pass shared one
# client: the plugin ran once for this console (its token does not expire)
is "$(cat "$runs" 2>/dev/null | wc -l | tr -d ' ')" 1 "the exec plugin ran once for everything in the console"

# ---- the cluster goes away ----
kill "$SIM_PID"
wait "$SIM_PID" 2>/dev/null
screen_has "the header says it cannot be reached" "cluster local: unreachable" 20
screen_has "READY is unknown, not the last counts" "$id +web1 .* Ready +\? " 20
unlike "$(ui_screen)" "$id +web1 .* 1/1 " "no stale 1/1"

# ---- a new, empty server on the same port ----
# shellcheck disable=SC2086
sim_start "$UI_TMP" $simopts --port "$port" || { echo "Bail out! cannot restart kubesim"; exit 1; }
# (that the probe's wait is capped is test_registry's to check, by the
# waits the registry schedules rather than by a clock)
screen_has "the header says ok again" "cluster local: ok" 20
screen_has "within 10 s the pane shows the truth: no web Deployment any more" "$id +web1 .* Ready +-/1 " 10
unlike "$(ui_screen)" "$id +web1 .* 1/1 " "nothing stale survives the restart"
is "$(cat "$runs" 2>/dev/null | wc -l | tr -d ' ')" 1 "and the plugin did not run again"

ui_stop
wait_for '! ui_alive' 20 || :
