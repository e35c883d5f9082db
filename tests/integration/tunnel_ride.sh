#!/bin/sh
# The clients that ride tunnels, against a real OpenSSH sshd
# (tests/lib/sshd.sh): the cluster client to kubesim over HTTPS with a
# certificate for localhost only, reached through kube.tunnels (verified by
# the server's name, so the same server named by its address fails); a
# kubeconfig proxy-url with a tunnel refused in words; a RabbitMQ broker's
# management API through a broker's tunnel; with sshd stopped, each fails
# naming the tunnel. Then a log stream followed through
# the tunnel while sshd's per-connection process is killed: the tunnel
# comes back and every line of the container (numbered seq=k by kubesim)
# comes exactly once.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sshd.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/rabbit.sh"

plan 22

work=$TAP_TMP/work
mkdir -p "$work"
export XDG_CONFIG_HOME="$work/config" XDG_STATE_HOME="$work/state"
sshd_start "$TAP_TMP/sshd" || { echo "Bail out! cannot start sshd"; exit 1; }
sshd_log=$TAP_TMP/sshd/sshd.log

# kubesim's certificate names localhost only: no IP address
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=localhost -addext subjectAltName=DNS:localhost \
	-keyout "$work/key.pem" -out "$work/cert.pem" 2>"$work/openssl.err" ||
	{ echo "Bail out! cannot make a certificate"; exit 1; }
rabbit_start || { echo "Bail out! cannot start RabbitMQ"; exit 1; }
sim_start "$work" --cert "$work/cert.pem" --key "$work/key.pem" --speed 2 --log-rate 100 ||
	{ echo "Bail out! cannot start kubesim"; exit 1; }
port=$(cat "$work/port")
# the kubeconfig kubesim wrote names it https://127.0.0.1:PORT
cp "$KUBECONFIG" "$work/kc-addr"
sed "s#https://127.0.0.1:$port#https://localhost:$port#" "$work/kc-addr" >"$work/kc-name"
sed "s#^\( *\)server: .*#&\n\1proxy-url: http://127.0.0.1:9#" "$work/kc-name" >"$work/kc-proxy"
export KUBECONFIG="$work/kc-name"

# settings KUBECONFIG [MORE...]: the tunnel profile and kube.tunnels
settings() {
	cat <<EOF
tunnels:
  - name: bastion
    host: 127.0.0.1
    port: $SSHD_PORT
    user: $SSHD_USER
    identity_file: $SSHD_KEY
    known_hosts: $SSHD_KNOWN_HOSTS
    keepalive: 1
kube:
  kubeconfig: $1
  tunnels:
    kubesim: bastion
rabbitmq:
  - name: hidden
    url: $RABBIT_URL
    user: $RABBIT_USER
    password: "$RABBIT_PASSWORD"
    vhosts: ["/"]
    timeout: 3
    tunnel: bastion
EOF
}
settings "$work/kc-name" >"$work/name.yaml"
settings "$work/kc-addr" >"$work/addr.yaml"
settings "$work/kc-proxy" >"$work/proxy.yaml"

# run SETTINGS ARGS...: sets rc, out and err
run() {
	s=$1
	shift
	timeout 120 "$OPSDECK" -c "$work/$s.yaml" "$@" >"$work/out" 2>"$work/err" </dev/null
	rc=$?
	out=$(cat "$work/out")
	err=$(cat "$work/err")
}
sessions() { grep -c 'Accepted publickey' "$sshd_log"; }

printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: talker, namespace: default}\n' >"$work/pod.yaml"
printf 'spec: {containers: [{name: main, image: busybox}]}\n' >>"$work/pod.yaml"
K apply -f "$work/pod.yaml" >/dev/null || { echo "Bail out! cannot make a pod"; exit 1; }
wait_for "K get pod talker --no-headers | grep -q Running" 60 ||
	{ echo "Bail out! the pod does not run"; exit 1; }
wait_for "[ \"\$(K logs talker | wc -l)\" -ge 20 ]" 60 ||
	{ echo "Bail out! the pod writes no 20 lines of log"; exit 1; }

# ---- the cluster through the tunnel, verified by name ----
before=$(sessions)
run name logs -n default talker --tail 3
is "$rc:$(printf '%s\n' "$out" | grep -c 'seq=')" "0:3" \
	"a command reads the cluster through kube.tunnels, the server named localhost"
is "$(sessions)" "$((before + 1))" "... over a session of the tunnel's bastion"
run name doctor --timeout 20
like "$out" "context kubesim resolves to https://localhost:$port through tunnel bastion as user kubesim-admin" \
	"doctor says which tunnel a context rides"
like "$out" "ok +kube context kubesim: https://localhost:$port answers in [0-9]+ ms" "... and reaches it"
run addr logs -n default talker --tail 3
like "$rc:$err" \
	"^1:opsdeck: pod talker: GET /version: the certificate of https://127\\.0\\.0\\.1:$port through tunnel bastion cannot be trusted: .*127\\.0\\.0\\.1" \
	"the same server named by its address fails verification through the tunnel"
run proxy logs -n default talker --tail 3
like "$rc:$err" \
	"^1:opsdeck: .*context kubesim: the kubeconfig's proxy-url and kube.tunnels \\(tunnel bastion\\) both lead to https://localhost:$port; use one of them" \
	"a proxy-url and a tunnel for one cluster are refused in words"

# ---- a broker through the tunnel ----
rabbit_queue_declare / orders && rabbit_publish / orders 4 order ||
	{ echo "Bail out! cannot fill a queue"; exit 1; }
# depth: the depth of orders as opsdeck lists it through the tunnel
depth() {
	run name queue list --broker hidden --json
	printf '%s' "$out" | jq -r '.[] | select(.name == "orders") | .messages'
}
before=$(sessions)
ok "a broker's queues are listed through its tunnel" wait_for '[ "$(depth)" = 4 ]' 30
ok "... over sessions of the bastion" [ "$(sessions)" -gt "$before" ]

sshd_stop
# the tunnel's state comes first on stderr, the command's failure last
down="^opsdeck: tunnel bastion: down: connection refused by 127\\.0\\.0\\.1:$SSHD_PORT"
run name logs -n default talker --tail 3
like "$rc:$(printf '%s\n' "$err" | tail -n 1)" \
	"^1:opsdeck: pod talker: GET /version: .*https://localhost:$port through tunnel bastion" \
	"with sshd stopped the same command fails, naming the tunnel"
like "$err" "$down" "... and stderr says why the tunnel is down"
run name queue list --broker hidden
like "$rc:$(printf '%s\n' "$err" | tail -n 1)" \
	"^1:opsdeck: broker hidden: GET /api/overview: .*$RABBIT_URL through tunnel bastion" \
	"so does the broker's listing"
like "$err" "$down" "... saying why as well"
sshd_restart || { echo "Bail out! sshd does not start again"; exit 1; }

# ---- a log stream through a dropped tunnel ----
seqs() { jq -r '.line | capture("seq=(?<s>[0-9]+)").s' "$1"; }
# gaps FILE: each seq that does not follow the one before it
gaps() { seqs "$1" | awk 'NR > 1 && $1 != last + 1 { print "after " last ": " $1 } { last = $1 }'; }
"$OPSDECK" -c "$work/name.yaml" logs -n default talker -f --timestamps --json \
	>"$work/follow" 2>"$work/follow.err" </dev/null &
follower=$!
tap_on_exit "kill $follower 2>/dev/null; wait $follower 2>/dev/null"
ok "the follower reads 200 lines through the tunnel" \
	wait_for "[ \"\$(wc -l <'$work/follow')\" -ge 200 ]" 60
before=$(sessions)
# the session's own processes: sshd's child for the connection and its
# children; the listener stays
conns=$(pgrep -P "$SSHD_PID")
for p in $conns; do
	conns="$conns $(pgrep -P "$p")"
done
ok "the tunnel's session has sshd processes to kill" [ -n "$conns" ]
streams=$(sim_get /sim/stats | jq -r .logStreamsTotal)
kill $conns
# lines written from now on (after the few the dying session may still
# carry) reach the follower only through a stream opened after the drop
written=$(K logs talker --tail 1 | sed -n 's/.*seq=\([0-9]*\)$/\1/p')
ok "the tunnel comes back with a new session" wait_for "[ \"\$(sessions)\" -gt $before ]" 60
ok "the log stream is opened again" \
	wait_for "[ \"\$(sim_get /sim/stats | jq -r .logStreamsTotal)\" -gt $streams ]" 60
last_seq() { seqs "$work/follow" 2>/dev/null | tail -n 1; }
ok "lines written after the drop come through it (past seq ${written:-?} + 500)" \
	wait_for "[ \"\$(last_seq)\" -ge $((${written:-999999999} + 500)) ]" 60
kill "$follower"
wait "$follower"
frc=$?
like "$(cat "$work/follow.err")" "https://localhost:$port through tunnel bastion: " \
	"what broke is said with the tunnel it went through"
like "$(cat "$work/follow.err")" "^opsdeck: tunnel bastion: down: " "the follower says the tunnel went down"
like "$(cat "$work/follow.err")" "^opsdeck: tunnel bastion: up again\$" "... and came back"
is "$(gaps "$work/follow")" "" "every line once and in order across the drop (seq 1 to $(seqs "$work/follow" | tail -n 1))"
is "$frc" 0 "SIGTERM ends the follow with exit 0"
diag "follower's stderr: $(cat "$work/follow.err")"
