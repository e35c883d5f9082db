#!/bin/sh
# kubesim's start-up options: --preload (multi-document, List, missing
# namespaces), --demo, refusals of bad manifests and bad options (the
# authentication options among them), the port file, anonymous /version,
# --reject-missing-list-keys and SIGTERM during a latency fault. Uses curl.
# Prints TAP.
set -u
# tap.sh's temporary directory and its check at exit that nothing is left
# running (the functions below are this script's own).
. "$top_srcdir/tests/lib/tap.sh"

: "${KUBESIM:?KUBESIM must name the opsdeck-kubesim binary}"
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else notok "$desc"; fi; }

echo "1..26"
if ! command -v curl >/dev/null 2>&1; then
	for i in $(seq 1 26); do echo "ok $i # SKIP curl is not installed"; done
	exit 0
fi
tmp=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
tap_on_exit cleanup

wait_for() {
	secs=$1; shift
	end=$(($(date +%s) + secs))
	while [ "$(date +%s)" -le "$end" ]; do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	return 1
}

# start NAME ARGS...: runs kubesim over HTTP, waits for its port file.
start() {
	name=$1; shift
	rm -f "$tmp/$name.port"
	"$KUBESIM" --http --token start-token-1 --port-file "$tmp/$name.port" "$@" \
		>"$tmp/$name.out" 2>"$tmp/$name.err" &
	pid=$!
	wait_for 30 test -s "$tmp/$name.port"
	port=$(cat "$tmp/$name.port" 2>/dev/null)
}
stop() {
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	pid=
	return $rc
}
get() { curl -s -H "Authorization: Bearer start-token-1" "http://127.0.0.1:$port$1"; }

cat >"$tmp/pre.yaml" <<'YAML'
# a comment, then two documents in a namespace nobody created
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: pre}
data: {mode: demo}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: pre}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: "node:20"}]
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Secret
  metadata: {name: creds, namespace: pre}
  stringData: {password: not-a-secret}
YAML

start pre --preload "$tmp/pre.yaml" --schedule-ms 10 --create-ms 10 --start-ms 10 --ready-ms 10
check "kubesim starts with --preload" [ -n "$port" ]
check "the preloaded namespace was created" sh -c 'printf "%s" "$1" | grep -q "\"phase\":\"Active\""' _ "$(get /api/v1/namespaces/pre)"
check "the preloaded configmap is there" sh -c 'printf "%s" "$1" | grep -q "\"mode\":\"demo\""' _ "$(get /api/v1/namespaces/pre/configmaps/settings)"
check "a List's items are applied (stringData encoded)" sh -c 'printf "%s" "$1" | grep -q "\"password\":\"bm90LWEtc2VjcmV0\""' _ "$(get /api/v1/namespaces/pre/secrets/creds)"
ready2() { get /apis/apps/v1/namespaces/pre/deployments/api | grep -q '"readyReplicas":2'; }
check "the preloaded deployment's pods become ready" wait_for 30 ready2
check "/version answers without a token" sh -c 'curl -s "http://127.0.0.1:$1/version" | grep -q "\"major\":\"1\""' _ "$port"
check "/sim/stats counts objects" sh -c 'printf "%s" "$1" | grep -q "\"deployments\":1"' _ "$(get /sim/stats)"
check "SIGTERM after --preload exits 0" stop

start demo --demo
bad() { get /apis/apps/v1/namespaces/store-badc0ffee123/deployments/wordpress | grep -q '"name":"wordpress"'; }
check "--demo creates the sample stores" sh -c 'printf "%s" "$1" | grep -q "store-a1b2c3d4e5f6" && printf "%s" "$1" | grep -q "store-0f1e2d3c4b5a"' _ "$(get /api/v1/namespaces)"
check "--demo includes a store stuck on a bad image" bad
stop >/dev/null

# --reject-missing-list-keys: server-side apply as servers before 1.21 answer it
ssa() { # ssa PATH BODY: prints "HTTP-code body"
	curl -s -X PATCH -H "Authorization: Bearer start-token-1" \
		-H "Content-Type: application/apply-patch+yaml" \
		-w ' %{http_code}' --data-binary "$2" "http://127.0.0.1:$port$1?fieldManager=t"
}
svc_no_proto='apiVersion: v1
kind: Service
metadata: {name: mysql, namespace: default}
spec:
  ports: [{port: 3306}]'
svc_proto='apiVersion: v1
kind: Service
metadata: {name: mysql, namespace: default}
spec:
  ports: [{port: 3306, protocol: TCP}]'
deploy_no_proto='apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.25", ports: [{containerPort: 80, protocol: TCP}, {containerPort: 81}]}]'
start strict --reject-missing-list-keys
out=$(ssa /api/v1/namespaces/default/services/mysql "$svc_no_proto")
check "a Service port without protocol is the pre-1.21 HTTP 500 ($out)" sh -c '[ "${1##* }" = 500 ] && printf "%s" "$1" | grep -qF "\"message\":\"failed to create typed patch object: .spec.ports: element 0: associative list with keys has an element that omits key field \\\"protocol\\\" (and doesn'"'"'t have default value)\""' _ "$out"
out=$(ssa /apis/apps/v1/namespaces/default/deployments/web "$deploy_no_proto")
check "so is a container port without protocol, named by its path ($out)" sh -c '[ "${1##* }" = 500 ] && printf "%s" "$1" | grep -qF ".spec.template.spec.containers[name=\\\"web\\\"].ports: element 1: associative list with keys has an element that omits key field \\\"protocol\\\""' _ "$out"
out=$(ssa /api/v1/namespaces/default/services/mysql "$svc_proto")
check "with protocol the apply is accepted (${out##* })" [ "${out##* }" = 201 ]
stop >/dev/null
start lenient
out=$(ssa /api/v1/namespaces/default/services/mysql "$svc_no_proto")
check "without the option protocol is defaulted, the port keyed by port and protocol (${out##* })" sh -c '[ "${1##* }" = 201 ] && printf "%s" "$1" | grep -qF "\"k:{\\\"port\\\":3306,\\\"protocol\\\":\\\"TCP\\\"}\""' _ "$out"
out=$(ssa /apis/apps/v1/namespaces/default/deployments/web "$deploy_no_proto")
check "and a container port by containerPort and protocol (${out##* })" sh -c '[ "${1##* }" = 201 ] && printf "%s" "$1" | grep -qF "\"k:{\\\"containerPort\\\":81,\\\"protocol\\\":\\\"TCP\\\"}\""' _ "$out"
stop >/dev/null

# SIGTERM while a request sleeps in a latency fault: the sleep is cut short,
# every thread is joined and kubesim exits 0 (under ASan: without a leak)
# long before the latency would have ended.
start slow
curl -s -X POST -H "Authorization: Bearer start-token-1" -H "Content-Type: application/json" \
	-d '{"latencyMs": 60000}' "http://127.0.0.1:$port/sim/faults" >/dev/null
curl -s --max-time 120 -H "Authorization: Bearer start-token-1" \
	"http://127.0.0.1:$port/api/v1/namespaces" >/dev/null 2>&1 &
cpid=$!
held() { get /sim/stats | grep -q '"requests":1[,}]'; }
check "a request is held by a 60 s latency fault" wait_for 30 held
kill -TERM "$pid"
exited() { ! tap_running "$pid"; }
check "SIGTERM ends kubesim without waiting for the latency" wait_for 30 exited
wait "$pid"
rc=$?
pid=
check "it exits 0 (exit $rc), nothing reported on stderr" sh -c '[ "$1" -eq 0 ] && ! grep -q "Sanitizer\|runtime error" "$2"' _ "$rc" "$tmp/slow.err"
wait "$cpid"

printf 'apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n' >"$tmp/bad.yaml"
"$KUBESIM" --http --preload "$tmp/bad.yaml" >"$tmp/bad.out" 2>"$tmp/bad.err"
rc=$?
check "a manifest with an unserved kind is refused (exit $rc) naming the document" sh -c '[ "$1" -eq 1 ] && grep -q "bad.yaml: document 1: v1 Node is not a kind kubesim serves" "$2"' _ "$rc" "$tmp/bad.err"

"$KUBESIM" --port nope >/dev/null 2>"$tmp/opt.err"
rc=$?
check "a bad option is a usage error (exit $rc)" sh -c '[ "$1" -eq 2 ] && grep -q -- "--port: expected an integer" "$2"' _ "$rc" "$tmp/opt.err"

# a duration under a millisecond is a millisecond, not 0 ("never")
start tiny --log-follow-max 0.5ms
cap=$(get /sim/faults | jq .logFollowMaxSeconds)
stop
check "--log-follow-max 0.5ms is 1 ms, not never ($cap)" test "$cap" = 0.001

# refused: usage errors (exit 2) that say what is wrong
refused() {
	want=$1; shift
	"$KUBESIM" "$@" >/dev/null 2>"$tmp/auth.err"
	[ $? -eq 2 ] && grep -q -- "$want" "$tmp/auth.err"
}
check "--client-ca is refused with --http" refused "client certificates need HTTPS" --http --client-ca /dev/null
check "--client-ca-key alone is refused" refused "--client-ca-key needs --client-ca" --client-ca-key /dev/null
check "--kubeconfig-auth cert with a --client-ca but no key is refused" refused "needs --client-ca-key" --client-ca /dev/null --kubeconfig-auth cert
check "--kubeconfig-auth basic needs --basic-auth" refused "needs --basic-auth" --kubeconfig-auth basic
check "--basic-auth without a password is refused" refused "expected USER:PASSWORD" --basic-auth alice
[ "$fails" -eq 0 ]
