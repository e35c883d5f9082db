# Drilling into a store's objects from its details, against a real
# PostgreSQL and kubesim, with the console's own job runner: y shows an
# object's YAML read live (kind and name; managedFields left out), e its
# events newest last, D deletes a pod after a confirmation naming it (its
# controller makes a new one, the details show it; audited), R restarts
# the Deployment as kubectl rollout restart does (the annotation set, seen
# by kubectl; audited); both refused in read-only mode. s and F run a
# kubectl -- a fake one first on the PATH that records its arguments and
# waits for a line -- with the console suspended (the fake's output on
# screen) while the runner goes on provisioning a store, and the console
# restored when it exits; a kubectl that fails or is missing is said in
# words.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/ui/lib.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/sim.sh"

plan 68

ui_with_pg
sim_start "$UI_TMP" --speed 4 --seed 7 || { echo "Bail out! cannot start kubesim"; exit 1; }
printf 'operator: drill-tester\nprovision:\n  timeout: 60\n' >"$UI_CONFIG/config.yaml"

# The fake kubectl: its arguments one a line, shown, then a line read; it
# fails with status 3 when that line is "fail". Only it is on the PATH.
mkdir -p "$UI_TMP/bin"
cat >"$UI_TMP/bin/kubectl" <<EOF
#!/bin/sh
printf '%s\n' "\$@" >"$UI_TMP/kubectl.args"
printf 'FAKE-KUBECTL %s\n' "\$*"
printf 'fake waits for a line: '
read line
[ "\$line" = fail ] && exit 3
exit 0
EOF
chmod +x "$UI_TMP/bin/kubectl"
cp "$UI_TMP/bin/kubectl" "$UI_TMP/fake-kubectl"
# The kubeconfig is opsdeck's setting, not the environment: kubectl must be
# told which file the console reads.
UI_ENV="PGHOST='$PGHOST' PGPORT=$PGPORT PGDATABASE=$PGDATABASE PGUSER=$PGUSER PATH='$UI_TMP/bin'"
printf 'kube:\n  kubeconfig: %s\n' "$KUBECONFIG" >>"$UI_CONFIG/config.yaml"

od() { XDG_CONFIG_HOME="$UI_TMP/config" "$OPSDECK" "$@"; }
od_quiet() { od "$@" >/dev/null 2>&1; }
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }
status() { q -c "SELECT status FROM opsdeck.stores WHERE id = '$1'"; }
audits() { q -c "SELECT count(*) FROM opsdeck.events WHERE action = '$1'"; }

{
	od db migrate &&
		od catalog import "$top_srcdir/catalog/woocommerce.yaml" &&
		od customer create Acme &&
		od project create acme Shop --stores 10 --cpu 100 --memory 200Gi &&
		od cluster add local --context "$SIM_CONTEXT" &&
		od store create shop woocommerce small drill1
} >/dev/null || { echo "Bail out! cannot prepare the database"; exit 1; }
id=$(q -c "SELECT id FROM opsdeck.stores WHERE name = 'drill1'")
ns="store-$id"

ui_start 150 40
ui_keys 3
screen_has "the console's runner makes the store Ready" "$id +drill1 .* Ready +1/1 " 90

# ---- details: the cursor on an object ----
ui_keys Enter
screen_has "Enter shows the store's details" "Store $id \\(Esc closes\\)"
screen_has "with its objects" 'pods +pod/mysql-0 +Running' 30
ui_keys y
screen_has "y on a line that is no object says where to go" 'Move the cursor to one of the store.s objects first'

# The details filtered: the cursor on the first line left, the object's
# (its events come after it).
detail_on() { ui_keys / C-u && ui_text "$1" && ui_keys Enter Home; }

# ---- y: YAML ----
detail_on "pod/mysql-0"
ui_keys y
screen_has "y shows the pod's YAML" "YAML of pod/mysql-0, store $id"
screen_has "read live: its kind" '^ *kind: Pod'
like "$(ui_screen)" '  name: mysql-0' "and its name"
unlike "$(ui_screen)" 'managedFields' "managedFields are left out"
ui_keys End
screen_has "End scrolls to its status" '  phase: Running'
ui_esc
screen_has "Esc goes back to the details" "Store $id \\(Esc closes\\)"

# ---- e: events ----
ui_keys e
screen_has "e shows the pod's events" "Events of pod/mysql-0, store $id"
screen_has "with type, reason, age, count and message" \
	'Normal +Scheduled +[0-9]+[smh] +1 +Successfully assigned store-[0-9a-f]+/mysql-0'
like "$(ui_screen)" 'Normal +Started .*Started container' "each of them"
sched=$(ui_screen | grep -n 'Scheduled' | head -n 1 | cut -d: -f1)
started=$(ui_screen | grep -n 'Started container' | head -n 1 | cut -d: -f1)
ok "newest last" test "$sched" -lt "$started"
ui_keys r
screen_has "r reads them again" 'Normal +Started'
ui_esc

# ---- D: a pod deleted, a new one made ----
detail_on "pod/wordpress"
old=$(ui_screen | grep -oE 'pod/wordpress-[a-z0-9]+-[a-z0-9]+' | head -n 1)
like "$old" '^pod/wordpress-' "the Deployment's pod is in the details"
ui_keys D
screen_has "D asks, naming the pod" "Delete pod ${old#pod/} of store $id\\? Its controller makes a new one"
ui_keys n
is "$(K get pod "${old#pod/}" -n "$ns" -o name 2>/dev/null)" "$old" "n keeps it"
ui_keys D && ui_wait 'Delete pod' && ui_keys y
screen_has "y deletes it (audited)" "Deleted $old \\(audited\\)" 20
wait_for "ui_screen | grep -oE 'pod/wordpress-[a-z0-9]+-[a-z0-9]+' | grep -qv '^${old}\$'" 60
new=$(ui_screen | grep -oE 'pod/wordpress-[a-z0-9]+-[a-z0-9]+' | grep -v "^$old\$" | head -n 1)
like "$new" '^pod/wordpress-' "the details show the new pod its controller made"
is "$(q -c "SELECT actor || '|' || object || '|' || message || '|' || (detail->>'name')
	FROM opsdeck.events WHERE action = 'store.pod_delete'")" \
	"drill-tester|store/$id|deleted pod ${old#pod/} of store $id|${old#pod/}" \
	"the deletion is audited: operator, store, message, pod"

# ---- R: rollout restart ----
detail_on "deployment/wordpress"
ui_keys R
screen_has "R asks" "Restart deployment/wordpress of store $id\\?"
ui_keys y
screen_has "y restarts it (audited)" "Restarting deployment/wordpress \\(audited\\)" 20
at=$(K get deploy wordpress -n "$ns" -o jsonpath='{.spec.template.metadata.annotations.kubectl\.kubernetes\.io/restartedAt}')
like "$at" '^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z$' \
	"kubectl sees the restartedAt annotation, a time in RFC 3339"
is "$(audits store.rollout_restart)" 1 "the restart is audited"
screen_has "the details follow the rollout back to 1/1 ready" 'deployment/wordpress +1/1 ready' 60

# ---- s: a shell by kubectl, the console suspended meanwhile ----
detail_on "pod/mysql-0"
ui_keys s
screen_has "s runs kubectl with the console suspended (its output on screen)" 'FAKE-KUBECTL .*exec -it mysql-0' 20
ok "the console is not drawn meanwhile" ui_wait_gone '1 Catalog'
like "$(ui_screen)" "opsdeck: a shell in pod mysql-0, container mysql \\(store $id\\)" \
	"a line says where the shell is"
is "$(tr '\n' ' ' <"$UI_TMP/kubectl.args")" \
	"--kubeconfig=$KUBECONFIG --context=$SIM_CONTEXT -n $ns exec -it mysql-0 -c mysql -- sh -c command -v bash >/dev/null && exec bash || exec sh " \
	"kubectl gets the console's kubeconfig, the context, the namespace, the pod, the container and the shell"
od_quiet store create shop woocommerce small drill2
id2=$(q -c "SELECT id FROM opsdeck.stores WHERE name = 'drill2'")
wait_for "[ \"\$(status $id2)\" = Ready ]" 90
is "$(status "$id2")" Ready "the console's runner provisions a store while kubectl has the terminal"
ui_text "bye" && ui_keys Enter
screen_has "the console is back when kubectl exits" "Store $id \\(Esc closes\\)" 20
screen_has "and says so" 'kubectl exec ended; back in opsdeck'

# s on the Deployment: a shell in its pod
detail_on "deployment/wordpress"
ui_keys s
screen_has "s on a Deployment opens the shell in its pod" 'FAKE-KUBECTL .*exec -it wordpress-' 20
like "$(sed -n 7p "$UI_TMP/kubectl.args")" '^wordpress-[a-z0-9]+-[a-z0-9]+$' "the pod of the workload"
ui_text "fail" && ui_keys Enter
screen_has "kubectl that fails is said in words" 'kubectl exec ended with exit status 3' 20

# s on a pod of two containers asks which
K apply -n "$ns" -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: two-c, labels: {app: two-c}}
spec:
  containers:
  - name: app
    image: nginx:1.25
    resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {cpu: 20m, memory: 32Mi}}
  - name: side
    image: busybox:1.36
    resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {cpu: 20m, memory: 32Mi}}
EOF
detail_on "pod/two-c"
screen_has "a pod made by kubectl shows in the details" 'pod/two-c +Running' 60
detail_on "pod/two-c"
ui_keys s
screen_has "s on a pod of two containers asks which" 'Container: app'
like "$(ui_screen)" 'Pod two-c has 2 containers: app, side; which one\?' "naming them"
ui_keys C-u && ui_text nope && ui_keys Enter
screen_has "a name that is none of them is refused" "'nope' is not a container of pod two-c"
ui_keys s && ui_wait 'Container: ' && ui_keys C-u && ui_text side && ui_keys Enter
screen_has "the container chosen gets the shell" 'FAKE-KUBECTL .*exec -it two-c -c side' 20
ui_text "bye" && ui_keys Enter
screen_has "and the console comes back" 'kubectl exec ended; back in opsdeck' 20

# ---- F: a port-forward to the service ----
detail_on "service/wordpress"
ui_keys F
screen_has "F asks for the local port: for a remote one below 1024, 8000 more by default" 'Local port: 8080'
like "$(ui_screen)" "Forward a local port to svc/wordpress port 80 of store $id" "saying what it forwards"
ui_keys C-u && ui_text 70000 && ui_keys Enter
screen_has "a port out of range is refused in words" 'Local port: a whole number from 1 to 65535'
ui_keys F && ui_wait 'Local port' && ui_keys C-u && ui_text 18080 && ui_keys Enter
screen_has "the port-forward runs in the foreground" 'forwarding localhost:18080 to svc/wordpress port 80' 20
ui_wait 'FAKE-KUBECTL .*port-forward' 20
is "$(tr '\n' ' ' <"$UI_TMP/kubectl.args")" "--kubeconfig=$KUBECONFIG --context=$SIM_CONTEXT -n $ns port-forward svc/wordpress 18080:80 " \
	"kubectl gets the service and the ports"
ui_text "stop" && ui_keys Enter
screen_has "the console is back after it" 'kubectl port-forward ended; back in opsdeck' 20
detail_on "pod/mysql-0"
ui_keys F
screen_has "F on a pod takes a port its container declares" 'Forward a local port to pod/mysql-0 port 3306'
like "$(ui_screen)" 'Local port: 3306' "the same port by default"
ui_esc

# ---- 80x24: the events' messages wrap ----
ui_resize 80 24
detail_on "pod/mysql-0"
ui_keys e
screen_has "at 80x24 the events view shows" "Events of pod/mysql-0"
screen_has "with a long message wrapped under its own column" '^ {20,}[a-z0-9/ -]*kubesim-node'
ui_esc
ui_resize 150 40

# ---- what is refused ----
detail_on "service/wordpress"
ui_keys D
screen_has "D on a service is refused in words" 'D deletes a pod: move the cursor to one'
ui_keys R
screen_has "R on a service is refused in words" 'R restarts a Deployment or a StatefulSet'
ui_keys s
screen_has "s on a service is refused in words" 's opens a shell in a pod'
rm -f "$UI_TMP/bin/kubectl"
detail_on "pod/mysql-0"
ui_keys s
screen_has "a missing kubectl is said in words" 'kubectl is not on the PATH'
ui_alive && pass "the console still runs" || fail "the console still runs"

# ---- read-only mode ----
ui_start 150 40 --read-only
ui_keys 3
screen_has "a read-only console lists the store" "$id +drill1 .* Ready" 30
ui_keys / && ui_text "drill1" && ui_keys Enter Enter
screen_has "and shows its details" 'pods +pod/mysql-0 +Running' 30
detail_on "pod/mysql-0"
before=$(audits store.pod_delete)
ui_keys D
screen_has "read-only mode refuses to delete a pod" 'read-only mode: refusing to delete a pod'
detail_on "deployment/wordpress"
ui_keys R
screen_has "and to restart a workload" 'read-only mode: refusing to restart a workload'
ui_keys s
screen_has "and to open a shell" 'read-only mode: refusing to open a shell \(it can change the pod\)'
ui_keys y
screen_has "while y still shows the YAML" '^ *kind: Deployment'
is "$(audits store.pod_delete),$(audits store.rollout_restart)" "$before,1" "nothing more is audited"

# ---- the console stopped while kubectl has the terminal ----
cp "$UI_TMP/fake-kubectl" "$UI_TMP/bin/kubectl"
ui_esc
detail_on "service/wordpress"
ui_keys F && ui_wait 'Local port' && ui_keys C-u && ui_text 18081 && ui_keys Enter
screen_has "a port-forward has the terminal" 'FAKE-KUBECTL .*port-forward' 20
fake_running() { pgrep -f "$UI_TMP/bin/kubectl" >/dev/null; }
ok "the fake kubectl runs" fake_running
kill -TERM "$UI_PID"
ok "SIGTERM stops the console while kubectl has the terminal" wait_for '! ui_alive' 30
ok "and kubectl's group is told to stop too" wait_for '! fake_running' 20
