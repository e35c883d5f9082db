# `opsdeck doctor` against a real PostgreSQL and kubesim: everything fine,
# a schema that is behind, a read-only context registered as a cluster, a
# disabled cluster, refused credentials, a server too slow to answer, a
# database that is down and a cluster that is down, --json; no secret in
# any output; whether libcurl resolves names without blocking. Also the
# detail object of `events list --json`.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/cli.sh"
. "$top_srcdir/tests/lib/sim.sh"

plan 45

cli_setup --state 'operator: alice\n'
RO_TOKEN=viewer-token-4711
BAD_TOKEN=wrong-token-0815
DB_PASSWORD=never-shown-pw-42
sim_start "$work" --ro-token "$RO_TOKEN" || { echo "Bail out! cannot start kubesim"; exit 1; }

# Every output goes to all.out too, to look for secrets at the end.
run() { # run ARGS...: opsdeck with the test's settings; sets out, rc and ms
	t0=$(tap_now_ms)
	out=$("$OPSDECK" -c "$work/op.yaml" "$@" 2>&1)
	rc=$?
	ms=$(($(tap_now_ms) - t0))
	printf '%s\n' "$out" >>"$work/all.out"
}
line() { # line PREFIX: the lines of $out that start with PREFIX
	printf '%s\n' "$out" | grep -F -- "$1" || :
}
json() { # json PYTHON-EXPRESSION: evaluated with j = the JSON in $out
	printf '%s' "$out" | python3 -c "import json, sys; j = json.load(sys.stdin); print($1)"
}

# ---- a database that was never migrated ----
fresh=$(pg_createdb fresh)
run -d "$fresh" doctor
is "$rc" 1 "a schema that is behind fails doctor"
like "$out" '^FAIL  database schema: the schema is at version 0 and this opsdeck needs [0-9]+: run `opsdeck db migrate`$' \
	"and says to run opsdeck db migrate"
like "$out" 'warn  clusters: not known without the database; checking the current kube context instead' \
	"without a clusters table it says it checks the current kube context"
like "$out" "ok    kube context kubesim: context kubesim resolves to $SIM_URL as user kubesim-admin" \
	"and checks it all the same"

# ---- everything fine ----
"$OPSDECK" -c "$work/op.yaml" db migrate >/dev/null || { echo "Bail out! db migrate failed"; exit 1; }
"$OPSDECK" -c "$work/op.yaml" cluster add demo --context "$SIM_CONTEXT" >/dev/null ||
	{ echo "Bail out! cluster add failed"; exit 1; }
run -d "$OPSDECK_TEST_DB password=$DB_PASSWORD" doctor
is "$rc" 0 "all fine: doctor exits 0"
is "$(line 'ok    conf:')" "ok    conf: settings loaded from $work/op.yaml" "it names the settings file"
like "$out" "ok    database: connected to database postgres as opsdeck through the Unix socket in $PGHOST \\(port 5432\\), PostgreSQL [0-9.]+" \
	"it says where the database is"
like "$out" 'ok    database schema: version [0-9]+, as this opsdeck expects' "the schema is current"
is "$(line 'database settings:')" "ok    database settings: readable: max_concurrent_provisions 3, max_stores 50" \
	"the settings are read"
like "$out" "ok    cluster demo: $SIM_URL answers in [0-9]+ ms: Kubernetes v1\\.32\\.0-kubesim" \
	"the cluster answers, with its version and the round trip"
is "$(line 'cluster demo: authenticated')" \
	"ok    cluster demo: authenticated as admin (groups system:masters, system:authenticated)" \
	"it says who the cluster takes the caller for"
is "$(line 'cluster demo: the server serves')" \
	"ok    cluster demo: the server serves all 13 resources provisioning uses" "discovery finds every resource"
is "$(line 'cluster demo: context')" \
	"ok    cluster demo: context kubesim resolves to $SIM_URL as user kubesim-admin
ok    cluster demo: context kubesim may do all 29 things provisioning needs" \
	"the context resolves and may do everything provisioning needs"
unlike "$out" '^(FAIL|warn) ' "no failure and no warning"
like "$(line 'http:')" '^ok    http: libcurl [0-9][0-9.]* resolves host names asynchronously \((threaded resolver|c-ares [0-9.]+)\)$' \
	"libcurl resolves host names without blocking the console"
like "$(printf '%s\n' "$out" | tail -n 1)" '^all 10 checks passed$' "the last line sums it up"
is "$(printf '%s\n' "$out" | grep -Evc '^(ok   |all )')" 0 "every other line is one check"

out=$("$OPSDECK" doctor 2>&1)
is "$(line 'conf:')" "ok    conf: no settings file ($XDG_CONFIG_HOME/opsdeck/config.yaml does not exist): built-in defaults" \
	"without a settings file it says the defaults are used, and where the file would be"
mkdir -p "$XDG_CONFIG_HOME/opsdeck"
printf 'read_only: true\n' >"$XDG_CONFIG_HOME/opsdeck/config.yaml"
out=$("$OPSDECK" doctor 2>&1)
is "$(line 'conf:')" "ok    conf: settings loaded from $XDG_CONFIG_HOME/opsdeck/config.yaml (read-only mode)" \
	"the default settings file is named when it exists"
rm "$XDG_CONFIG_HOME/opsdeck/config.yaml"

run doctor --json
is "$rc" 0 "--json: exit 0"
is "$(json '(j["ok"], j["failures"], j["warnings"], len(j["checks"]))')" "(True, 0, 0, 10)" \
	"--json parses, with the verdict and the counts"
is "$(json 'all(set(c) >= {"check", "subject", "level", "message"} for c in j["checks"])')" True \
	"every check has check, subject, level and message"
is "$(json '[(c["check"], c["subject"]) for c in j["checks"]][5:]')" \
	"[('cluster.context', 'cluster demo'), ('cluster.server', 'cluster demo'), ('cluster.auth', 'cluster demo'), ('cluster.discovery', 'cluster demo'), ('cluster.access', 'cluster demo')]" \
	"the cluster's checks in order"
is "$(json '[(type(c["rtt_ms"]).__name__, c["version"], c["server"]) for c in j["checks"] if c["check"] == "cluster.server"]')" \
	"[('int', 'v1.32.0-kubesim', '$SIM_URL')]" "the server check carries the round trip, the version and the URL"
is "$(json '[c["denied"] for c in j["checks"] if c["check"] == "cluster.access"]')" "[[]]" \
	"and the access check an empty denied list"
is "$(json '[(c["subject"], c["level"], c["async_dns"]) for c in j["checks"] if c["check"] == "http.dns"]')" \
	"[('http', 'ok', True)]" "--json carries the name lookup check with async_dns"

# ---- a read-only context registered as a cluster, a disabled cluster ----
"$OPSDECK" -c "$work/op.yaml" cluster add ro --context kubesim-readonly --force >/dev/null 2>&1
run doctor
is "$rc" 1 "a context that may not write fails doctor"
is "$(line 'FAIL  cluster ro')" \
	"FAIL  cluster ro: context kubesim-readonly (user kubesim-viewer) may not create namespaces, patch namespaces, delete namespaces, create secrets, patch secrets, patch persistentvolumeclaims, patch services, patch resourcequotas, patch deployments, patch deployments/scale, patch statefulsets, patch ingresses, patch networkpolicies" \
	"naming every missing verb in one sentence"
like "$(line 'cluster demo: context kubesim may do')" '^ok ' "while the other cluster is still fine"
run doctor --json
is "$(json '[c["denied"][:2] + [len(c["denied"])] for c in j["checks"] if c["subject"] == "cluster ro" and c["check"] == "cluster.access"]')" \
	"[['create namespaces', 'patch namespaces', 13]]" "--json lists the denied verbs"
"$OPSDECK" -c "$work/op.yaml" cluster set-state ro disabled >/dev/null
run doctor
is "$rc:$(line 'cluster ro')" "0:ok    cluster ro: disabled: no store runs there, so it is not checked" \
	"a disabled cluster is only noted"
run events list --json
is "$(json '[(e["action"], sorted(e["detail"].items())) for e in j if e["object"] == "cluster/ro"]')" \
	"[('cluster.state', [('from', 'active'), ('to', 'disabled')]), ('cluster.add', [('context', 'kubesim-readonly'), ('max_stores', 50)])]" \
	"events list --json includes each event's detail object"

# ---- refused credentials ----
# The bad user and its context in a kubeconfig of their own, merged after
# kubesim's (`kubectl config set-credentials` of Debian's kubectl 1.20
# crashes).
cat >"$work/bad.kubeconfig" <<EOF
apiVersion: v1
kind: Config
users:
- name: bad
  user: {token: $BAD_TOKEN}
contexts:
- name: bad
  context: {cluster: kubesim, user: bad}
EOF
sim_kubeconfig=$KUBECONFIG
export KUBECONFIG="$sim_kubeconfig:$work/bad.kubeconfig"
run doctor --context bad
export KUBECONFIG="$sim_kubeconfig"
is "$rc" 1 "refused credentials fail doctor"
is "$(line 'kube context bad: context bad (user')" \
	"FAIL  kube context bad: context bad (user bad) is not authenticated: Unauthorized: the cluster did not accept the credentials" \
	"and say so in words"
unlike "$out" 'cluster demo' "--context checks only that context"

# ---- a server that does not answer in time ----
# A minute's latency: returning well before it (a generous bound for a busy
# machine) can only be the 2 s timeout.
sim_post /sim/faults '{"latencyMs": 60000, "pathPrefix": "/apis"}'
run doctor --timeout 2
like "$(line 'cluster demo: no answer')" "^FAIL  cluster demo: no answer from $SIM_URL within 2 s" \
	"a server too slow to answer fails with the time it was given"
ok "and doctor returns on time, long before the server would answer (${ms} ms)" [ "$ms" -lt 30000 ]
sim_delete /sim/faults

# ---- the database down: the current context is still checked ----
pg_stop
run doctor
like "$out" '^FAIL  database: cannot connect to the database: connection to server on socket ".*" failed' \
	"a database that is down fails in words"
like "$out" "ok    kube context kubesim: context kubesim may do all 29 things provisioning needs" \
	"and the current kube context is checked from the kubeconfig"
is "$rc" 1 "exit 1"
pg_restart

# ---- the cluster down ----
kill "$SIM_PID"
wait "$SIM_PID" 2>/dev/null
# A refused connection ends the check at once, not at the (60 s) timeout.
run doctor --timeout 60
is "$(line 'FAIL  cluster demo')" "FAIL  cluster demo: GET /version: cannot reach $SIM_URL: Connection refused" \
	"a cluster that is down fails in words"
ok "long before the timeout (${ms} ms)" [ "$ms" -lt 30000 ]

# ---- usage, secrets ----
run doctor --timeout 0
is "$rc" 2 "a bad --timeout is a usage error"
run doctor extra
is "$rc" 2 "so is an argument"
nok "no token, bad token or database password in any output" \
	grep -qF -e "$SIM_TOKEN" -e "$RO_TOKEN" -e "$BAD_TOKEN" -e "$DB_PASSWORD" "$work/all.out"
