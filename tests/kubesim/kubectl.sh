#!/bin/sh
# The real kubectl against kubesim: get (table and JSON), apply --server-side
# twice, scale, logs (--tail, --since-time, -f), get -w, delete namespace,
# finalizers (an object and a namespace held by them, patched away),
# delete --cascade=foreground (with and without a dependent), create
# namespace/configmap/secret/deployment/service (clusterip, nodeport,
# externalname)/job (protobuf bodies) and run,
# auth can-i (SelfSubjectAccessReview, sent as protobuf), auth can-i --list
# (SelfSubjectRulesReview), and the 401/403
# answers. Prints TAP.
set -u
# tap.sh's temporary directory and its check at exit that nothing is left
# running (the functions below are this script's own).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/kubectl.sh"

: "${KUBESIM:?KUBESIM must name the opsdeck-kubesim binary}"
KUBECTL=${KUBECTL:-kubectl}
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else notok "$desc"; fi; }

echo "1..47"
if ! command -v "$KUBECTL" >/dev/null 2>&1; then
	for i in $(seq 1 47); do echo "ok $i # SKIP kubectl is not installed"; done
	exit 0
fi

tmp=$(mktemp -d)
pid=
wpid=
cleanup() {
	for p in $pid $wpid; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
tap_on_exit cleanup

"$KUBESIM" --token admin-token-123 --ro-token viewer-token-123 \
	--kubeconfig-out "$tmp/kubeconfig" --port-file "$tmp/port" --seed 7 \
	--schedule-ms 20 --create-ms 30 --start-ms 40 --ready-ms 60 --terminate-ms 300 \
	--ns-delete-ms 400 --log-rate 20 >"$tmp/stdout" 2>"$tmp/stderr" &
pid=$!

# Poll for a condition with a deadline instead of sleeping blindly.
wait_for() {
	secs=$1; shift
	end=$(($(date +%s) + secs))
	while [ "$(date +%s)" -le "$end" ]; do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	return 1
}
wait_for 30 test -s "$tmp/port"
check "kubesim prints the URL it listens on" grep -q "^listening on https://127.0.0.1:$(cat "$tmp/port")$" "$tmp/stdout"

export KUBECONFIG="$tmp/kubeconfig"
K() { kubectl_compat --cache-dir "$tmp/cache" --request-timeout=20s "$@"; }

out=$(K get namespaces 2>&1)
check "get namespaces prints the default table" sh -c 'printf "%s\n" "$1" | grep -q "^NAME  *STATUS  *AGE" && printf "%s\n" "$1" | grep -q "^default  *Active"' _ "$out"

out=$(K get namespaces -o json 2>&1)
check "get namespaces -o json lists the namespaces" sh -c 'printf "%s\n" "$1" | grep -q "\"name\": \"kube-system\""' _ "$out"

cat >"$tmp/manifest.yaml" <<'YAML'
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {app.kubernetes.io/managed-by: opsdeck}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        ports: [{containerPort: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80}]
YAML

out=$(K apply --server-side -f "$tmp/manifest.yaml" 2>&1)
check "apply --server-side of a multi-document manifest" sh -c 'printf "%s\n" "$1" | grep -q "deployment.apps/web serverside-applied" && printf "%s\n" "$1" | grep -q "service/web serverside-applied"' _ "$out"

running() { [ "$(K get pods -n shop --field-selector=status.phase=Running -o name | wc -l)" -eq "$1" ]; }
check "the deployment's two pods reach Running" wait_for 30 running 2

ready_table() { K get deployments -n shop | grep -q "^web  *2/2  *2  *2 "; }
check "get deployments prints READY 2/2 in the default table" wait_for 30 ready_table

out=$(K get pods -n shop -o json 2>&1)
check "get pods -o json returns both pods" sh -c '[ "$(printf "%s\n" "$1" | grep -c "\"kind\": \"Pod\"")" -eq 2 ]' _ "$out"

rvs() { K get -n shop deployment/web service/web namespace/shop -o jsonpath='{range .items[*]}{.metadata.resourceVersion} {end}'; }
before=$(rvs)
out=$(K apply --server-side -f "$tmp/manifest.yaml" 2>&1)
after=$(rvs)
check "a second apply changes nothing (resourceVersions $before / $after)" sh -c '[ -n "$1" ] && [ "$1" = "$2" ]' _ "$before" "$after"

out=$(K scale -n shop deployment web --replicas=3 2>&1)
check "scale deployment --replicas=3" sh -c 'printf "%s\n" "$1" | grep -q "deployment.apps/web scaled"' _ "$out"
check "pods follow the scale to 3" wait_for 30 running 3

pod=$(K get pods -n shop -o jsonpath='{.items[0].metadata.name}')
has_lines() { [ "$(K logs -n shop "$pod" | wc -l)" -ge "$1" ]; }
wait_for 30 has_lines 5
out=$(K logs -n shop "$pod" --tail=2 2>&1)
check "logs --tail=2 gives two lines with sequence numbers" sh -c '[ "$(printf "%s\n" "$1" | grep -c "seq=[0-9]")" -eq 2 ]' _ "$out"

since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
since_lines() { [ "$(K logs -n shop "$pod" --since-time="$since" | wc -l)" -ge 5 ]; }
wait_for 30 since_lines
out=$(K logs -n shop "$pod" --since-time="$since" --timestamps 2>&1)
first=$(printf "%s\n" "$out" | head -n1 | cut -c1-19)
since_s=$(printf "%s" "$since" | cut -c1-19)
check "logs --since-time starts at the given time ($since, first $first)" sh -c '[ -n "$1" ] && [ "$(printf "%s\n%s\n" "$2" "$1" | sort | head -n1)" = "$2" ]' _ "$first" "$since_s"

"$KUBECTL" --cache-dir "$tmp/cache" logs -f -n shop "$pod" --tail=1 >"$tmp/follow" 2>&1 &
wpid=$!
followed() { [ "$(grep -c 'seq=[0-9]' "$tmp/follow")" -ge 10 ]; }
wait_for 30 followed
kill "$wpid" 2>/dev/null
wait "$wpid" 2>/dev/null
seqs=$(grep -o 'seq=[0-9]*' "$tmp/follow" | cut -d= -f2)
check "logs -f streams new lines in order" sh -c '[ "$(printf "%s\n" "$1" | wc -l)" -ge 10 ] && printf "%s\n" "$1" | sort -n -c' _ "$seqs"

"$KUBECTL" --cache-dir "$tmp/cache" get pods -n shop -w >"$tmp/watch" 2>&1 &
wpid=$!
header() { grep -q "^NAME" "$tmp/watch"; }
wait_for 30 header
K scale -n shop deployment web --replicas=1 >/dev/null 2>&1
terminating() { grep -q "Terminating" "$tmp/watch"; }
check "get pods -w shows pods going Terminating" wait_for 30 terminating
kill "$wpid" 2>/dev/null
wait "$wpid" 2>/dev/null
check "get pods -w printed its header once" [ "$(grep -c '^NAME' "$tmp/watch")" -eq 1 ]

out=$(K delete namespace shop 2>&1)
check "delete namespace waits until it is gone" sh -c 'printf "%s\n" "$1" | grep -q "namespace \"shop\" deleted" && ! "$2" --cache-dir "$3" get namespace shop >/dev/null 2>&1' _ "$out" "$KUBECTL" "$tmp/cache"

cat >"$tmp/held.yaml" <<'YAML'
apiVersion: v1
kind: Namespace
metadata: {name: held}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: held, finalizers: [example.com/hold]}
data: {k: v}
---
apiVersion: v1
kind: Secret
metadata: {name: s, namespace: held, finalizers: [example.com/hold]}
stringData: {k: v}
YAML
K apply --server-side -f "$tmp/held.yaml" >/dev/null 2>&1
"$KUBECTL" --cache-dir "$tmp/cache" get configmaps -n held -w --output-watch-events >"$tmp/cmwatch" 2>&1 &
wpid=$!
wait_for 30 grep -q "^EVENT" "$tmp/cmwatch"
out=$(K delete configmap c -n held --wait=false 2>&1)
when=$(K get configmap c -n held -o jsonpath='{.metadata.deletionTimestamp}' 2>&1)
check "a deleted configmap with a finalizer stays, with a deletionTimestamp ($when)" sh -c 'printf "%s\n" "$1" | grep -q "configmap \"c\" deleted" && printf "%s\n" "$2" | grep -q "^20[0-9][0-9]-"' _ "$out" "$when"
out=$(K patch configmap c -n held --type=merge -p '{"metadata":{"finalizers":null}}' 2>&1)
check "patching its finalizers away (merge patch) removes it" sh -c 'printf "%s\n" "$1" | grep -q "configmap/c patched" && ! "$2" --cache-dir "$3" get configmap c -n held >/dev/null 2>&1' _ "$out" "$KUBECTL" "$tmp/cache"
deleted() { grep -q "^DELETED  *c " "$tmp/cmwatch"; }
wait_for 30 deleted
kill "$wpid" 2>/dev/null
wait "$wpid" 2>/dev/null
check "get -w --output-watch-events saw it MODIFIED, then DELETED" sh -c '[ "$(grep -o "^MODIFIED  *c \|^DELETED  *c " "$1" | cut -d" " -f1 | tr "\n" " ")" = "MODIFIED DELETED " ]' _ "$tmp/cmwatch"

K delete namespace held --wait=false >/dev/null 2>&1
remaining() { K get namespace held -o jsonpath='{.status.conditions[?(@.type=="NamespaceFinalizersRemaining")].message}'; }
has_remaining() { remaining | grep -q .; }
wait_for 30 has_remaining
msg=$(remaining 2>&1)
check "a namespace with a finalized secret inside stays Terminating, and says why ($msg)" sh -c '[ "$1" = "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances" ] && "$2" --cache-dir "$3" get namespace held | grep -q "^held  *Terminating"' _ "$msg" "$KUBECTL" "$tmp/cache"
# Not a sleep: a namespace deleted after it, with nothing held inside, goes;
# by then held would have gone too, were it not held.
K create namespace later >/dev/null 2>&1
K delete namespace later --wait=false >/dev/null 2>&1
later_gone() { ! K get namespace later >/dev/null 2>&1; }
wait_for 30 later_gone
check "it is still Terminating after a namespace deleted later has gone" sh -c '! "$1" --cache-dir "$2" get namespace later >/dev/null 2>&1 && "$1" --cache-dir "$2" get namespace held | grep -q "^held  *Terminating"' _ "$KUBECTL" "$tmp/cache"
out=$(K patch secret s -n held --type=json -p '[{"op":"remove","path":"/metadata/finalizers"}]' 2>&1)
check "a JSON patch removes the secret's finalizers ($out)" sh -c 'printf "%s\n" "$1" | grep -q "secret/s patched"' _ "$out"
out=$(K wait --for=delete namespace/held --timeout=30s 2>&1)
check "then the namespace goes" sh -c '! "$1" --cache-dir "$2" get namespace held >/dev/null 2>&1' _ "$KUBECTL" "$tmp/cache"

cat >"$tmp/fg.yaml" <<'YAML'
apiVersion: v1
kind: Namespace
metadata: {name: fg}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: solo, namespace: fg}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: owner, namespace: fg}
YAML
K apply --server-side -f "$tmp/fg.yaml" >/dev/null 2>&1
out=$(K delete configmap solo -n fg --cascade=foreground --timeout=30s 2>&1)
check "delete --cascade=foreground of an object without dependents completes ($out)" sh -c 'printf "%s\n" "$1" | grep -q "configmap \"solo\" deleted" && ! "$2" --cache-dir "$3" get configmap solo -n fg >/dev/null 2>&1' _ "$out" "$KUBECTL" "$tmp/cache"
owner_uid=$(K get configmap owner -n fg -o jsonpath='{.metadata.uid}')
cat >"$tmp/dep.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata:
  name: dep
  namespace: fg
  finalizers: [example.com/hold]
  ownerReferences:
  - {apiVersion: v1, kind: ConfigMap, name: owner, uid: "$owner_uid", blockOwnerDeletion: true}
YAML
K apply --server-side -f "$tmp/dep.yaml" >/dev/null 2>&1
K delete configmap owner -n fg --cascade=foreground --wait=false >/dev/null 2>&1
dep_deleting() { K get configmap dep -n fg -o jsonpath='{.metadata.deletionTimestamp}' | grep -q '^20'; }
check "the dependent is deleted first" wait_for 30 dep_deleting
meta=$(K get configmap owner -n fg -o jsonpath='{.metadata.finalizers} {.metadata.deletionTimestamp}' 2>&1)
check "meanwhile the owner waits with foregroundDeletion and a deletionTimestamp ($meta)" sh -c 'printf "%s\n" "$1" | grep -q "^\[\"foregroundDeletion\"\] 20"' _ "$meta"
K patch configmap dep -n fg --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1
out=$(K wait --for=delete configmap/owner -n fg --timeout=30s 2>&1)
check "once the dependent is gone the owner goes ($out)" sh -c '! "$1" --cache-dir "$2" get configmap owner -n fg >/dev/null 2>&1' _ "$KUBECTL" "$tmp/cache"

# kubectl create sends these as Kubernetes protobuf
out=$(K create namespace made 2>&1)
check "create namespace (protobuf body) ($out)" sh -c '[ "$1" = "namespace/made created" ] && "$2" --cache-dir "$3" get namespace made -o jsonpath="{.spec.finalizers}" | grep -q kubernetes' _ "$out" "$KUBECTL" "$tmp/cache"
out=$(K create configmap conf -n made --from-literal=mode=demo --from-literal=empty= 2>&1)
data=$(K get configmap conf -n made -o jsonpath='{.data}' 2>&1)
check "create configmap --from-literal (protobuf body): $data" sh -c '[ "$1" = "configmap/conf created" ] && [ "$2" = "{\"empty\":\"\",\"mode\":\"demo\"}" ]' _ "$out" "$data"
out=$(K create secret generic pw -n made --from-literal=password=s3cret 2>&1)
data=$(K get secret pw -n made -o jsonpath='{.type} {.data.password}' 2>&1)
check "create secret generic --from-literal (protobuf body): $data" sh -c '[ "$1" = "secret/pw created" ] && [ "$2" = "Opaque czNjcmV0" ]' _ "$out" "$data"
out=$(K run solo -n made --image=nginx:1.25 --labels=app=solo 2>&1)
solo_running() { K get pod solo -n made -o jsonpath='{.status.phase}' | grep -qx Running; }
check "run creates a pod ($out)" [ "$out" = "pod/solo created" ]
check "the pod run made is Running" wait_for 30 solo_running
out=$(K create deployment web2 -n made --image=nginx:1.25 --port=80 --replicas=2 2>&1)
spec=$(K get deployment web2 -n made -o jsonpath='{.spec.replicas} {.spec.selector.matchLabels.app} {.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].ports[0].containerPort}/{.spec.template.spec.containers[0].ports[0].protocol} {.spec.strategy.type}' 2>&1)
check "create deployment (protobuf body): $spec" sh -c '[ "$1" = "deployment.apps/web2 created" ] && [ "$2" = "2 web2 nginx:1.25 80/TCP RollingUpdate" ]' _ "$out" "$spec"
web2_ready() { [ "$(K get deployment web2 -n made -o jsonpath='{.status.readyReplicas}')" = 2 ]; }
check "the deployment create made gets its two pods ready" wait_for 30 web2_ready
out=$(K create service clusterip web2 -n made --tcp=80:8080 2>&1)
spec=$(K get service web2 -n made -o jsonpath='{.spec.type} {.spec.ports[0].name} {.spec.ports[0].port}/{.spec.ports[0].protocol}->{.spec.ports[0].targetPort} {.spec.selector.app} {.spec.clusterIP}' 2>&1)
check "create service clusterip (protobuf body): $spec" sh -c '[ "$1" = "service/web2 created" ] && printf "%s\n" "$2" | grep -q "^ClusterIP 80-8080 80/TCP->8080 web2 10\.96\."' _ "$out" "$spec"
K create service nodeport np -n made --tcp=80:8080 --node-port=30080 >/dev/null 2>&1
K create service externalname ext -n made --external-name=db.example.com >/dev/null 2>&1
table=$(K get services np ext -n made 2>&1)
check "create service nodeport and externalname: their ports and alias as kubectl prints them" sh -c 'printf "%s\n" "$1" | grep -q "^np  *NodePort  *10\.96\.[0-9.]*  *<none>  *80:30080/TCP " && printf "%s\n" "$1" | grep -q "^ext  *ExternalName  *<none>  *db\.example\.com  *<none> "' _ "$table"
out=$(K create job once -n made --image=busybox:1.36 -- echo hi 2>&1)
spec=$(K get job once -n made -o jsonpath='{.spec.template.spec.containers[0].command} {.spec.template.spec.restartPolicy} {.spec.backoffLimit} {.spec.completions}' 2>&1)
table=$(K get jobs -n made 2>&1)
check "create job (protobuf body): $spec" sh -c '[ "$1" = "job.batch/once created" ] && [ "$2" = "[\"echo\",\"hi\"] Never 6 1" ] && printf "%s\n" "$3" | grep -q "^NAME  *STATUS  *COMPLETIONS  *DURATION  *AGE" && printf "%s\n" "$3" | grep -q "^once  *Running  *0/1 "' _ "$out" "$spec" "$table"

out=$(K --token=wrong-token get pods 2>&1)
check "401 Unauthorized without a valid token" sh -c 'printf "%s\n" "$1" | grep -q "Unauthorized"' _ "$out"

out=$(K --token=viewer-token-123 get namespaces 2>&1)
check "the read-only token can read" sh -c 'printf "%s\n" "$1" | grep -q "^default"' _ "$out"

out=$(K --token=viewer-token-123 create namespace nope 2>&1)
check "403 Forbidden for a write with the read-only token" sh -c 'printf "%s\n" "$1" | grep -q "Forbidden" && printf "%s\n" "$1" | grep -q "User \"viewer\" cannot create resource \"namespaces\""' _ "$out"

out=$(K auth can-i create namespaces 2>"$tmp/can-i.err")
rc=$?
check "auth can-i create namespaces: yes (exit $rc)" sh -c '[ "$1" -eq 0 ] && [ "$2" = yes ]' _ "$rc" "$out"

out=$(K --context kubesim-readonly auth can-i delete namespaces 2>"$tmp/can-i.err")
rc=$?
check "auth can-i delete namespaces with the read-only context: no (exit $rc)" sh -c '[ "$1" -eq 1 ] && printf "%s\n" "$2" | grep -q "^no"' _ "$rc" "$out"

out=$(K --context kubesim-readonly auth can-i get pods --subresource=log -n shop 2>&1)
rc=$?
check "auth can-i get pods/log with the read-only context: yes (exit $rc)" sh -c '[ "$1" -eq 0 ] && [ "$2" = yes ]' _ "$rc" "$out"

out=$(K auth can-i --list 2>&1)
rc=$?
check "auth can-i --list (SelfSubjectRulesReview): everything for the token (exit $rc)" sh -c '[ "$1" -eq 0 ] && printf "%s\n" "$2" | grep -q "^\*\.\*  *\[\]  *\[\]  *\[\*\]$" && printf "%s\n" "$2" | grep -q "^  *\[\*\]  *\[\]  *\[\*\]$"' _ "$rc" "$out"
out=$(K --context kubesim-readonly auth can-i --list -n default 2>&1)
rc=$?
check "auth can-i --list with the read-only context: get, list and watch (exit $rc)" sh -c '[ "$1" -eq 0 ] && printf "%s\n" "$2" | grep -q "^\*\.\*  *\[\]  *\[\]  *\[get list watch\]$" && ! printf "%s\n" "$2" | grep -q "\[\*\]$"' _ "$rc" "$out"
out=$(K api-resources --api-group=authorization.k8s.io -o name 2>&1)
check "discovery lists selfsubjectrulesreviews" sh -c 'printf "%s\n" "$1" | grep -qx "selfsubjectrulesreviews.authorization.k8s.io"' _ "$out"

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
check "SIGTERM shuts kubesim down cleanly (exit $rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || sed 's/^/# /' "$tmp/stderr" | tail -40
[ "$fails" -eq 0 ]
