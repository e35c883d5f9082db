#!/bin/sh
# A kubeconfig's proxy-url, taken as kubectl takes it, against kubesim over
# HTTPS reached only by names that do not resolve here (*.cluster.invalid):
# through a SOCKS5 proxy that resolves them itself (the name is sent, not
# an address; user and password), through OpenSSH's `ssh -D`, and through an
# HTTP CONNECT proxy (and absolute-form requests for an http server). The
# server's certificate is still checked by its name or tls-server-name; an
# https proxy's by the cluster's certificate authority. A refused proxy (at
# the scheme's own port when the URL names none), a refused target, 407,
# 403, a proxy that closes on CONNECT and an untrusted https proxy are told
# in words naming the proxy; a watch streams through the proxy;
# proxy-url wins over the *_proxy variables, which otherwise apply as in
# kubectl. The proxy's password appears in no output.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/sshd.sh"

plan 52

work=$TAP_TMP
export XDG_CONFIG_HOME="$work/config" XDG_STATE_HOME="$work/state"
unset HTTPS_PROXY https_proxy HTTP_PROXY http_proxy NO_PROXY no_proxy ALL_PROXY all_proxy
PW=pr0xy-pw-never-shown-5521
printf 'operator: alice\n' >"$work/op.yaml"

# A CA-flagged self-signed certificate for the names the server goes by.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=api.cluster.invalid -keyout "$work/api.key" -out "$work/api.crt" \
	-addext "subjectAltName=DNS:api.cluster.invalid,DNS:localhost,IP:127.0.0.1" \
	-addext "basicConstraints=critical,CA:TRUE" 2>"$work/openssl.err" ||
	{ echo "Bail out! cannot make a certificate"; exit 1; }
mkdir -p "$work/plain"
sim_start "$work/plain" --http || { echo "Bail out! cannot start kubesim (http)"; exit 1; }
PLAIN_PORT=${SIM_URL##*:}
PLAIN_TOKEN=$SIM_TOKEN
sim_start "$work" --cert "$work/api.crt" --key "$work/api.key" ||
	{ echo "Bail out! cannot start kubesim"; exit 1; }
PORT=${SIM_URL##*:}
CLOSED=$(tap_free_ports 1)

# proxy_start NAME KIND OPTIONS...: a kube_proxy.py that maps the test's
# names to 127.0.0.1; sets PROXY_PORT; its log is $work/NAME.log
proxy_start() {
	proxy__name=$1
	proxy__kind=$2
	shift 2
	rm -f "$work/$proxy__name.port"
	python3 "$top_srcdir/tests/integration/kube_proxy.py" "$proxy__kind" "$work/$proxy__name.port" \
		"$work/$proxy__name.log" --map api.cluster.invalid=127.0.0.1 \
		--map alias.cluster.invalid=127.0.0.1 --map plain.cluster.invalid=127.0.0.1 \
		"$@" 2>>"$work/proxies.err" &
	proxy__pid=$!
	tap_on_exit "kill $proxy__pid 2>/dev/null; wait $proxy__pid 2>/dev/null"
	wait_for "test -s '$work/$proxy__name.port'" 30 || {
		echo "Bail out! proxy $proxy__name did not start"
		cat "$work/proxies.err"
		exit 1
	}
	PROXY_PORT=$(cat "$work/$proxy__name.port")
}
proxy_start socks socks5 --auth "alice:$PW"
SOCKS=$PROXY_PORT
proxy_start connect http --auth "bob:$PW"
CONNECT=$PROXY_PORT
proxy_start deny http --deny
DENY=$PROXY_PORT
proxy_start tls http --tls "$work/api.crt" "$work/api.key"
TLS=$PROXY_PORT
# an https proxy whose certificate another authority signed
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=localhost -keyout "$work/other.key" -out "$work/other.crt" \
	-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>>"$work/openssl.err" ||
	{ echo "Bail out! cannot make a certificate"; exit 1; }
proxy_start othertls http --tls "$work/other.crt" "$work/other.key"
OTHERTLS=$PROXY_PORT
proxy_start close http --close
CLOSE=$PROXY_PORT
proxy_start atsign http --auth "carol:at@$PW"
ATSIGN=$PROXY_PORT

# kubeconfig SERVER PROXY-URL [TOKEN [TLS-SERVER-NAME]]: $work/kc.yaml
# (KC_INSECURE=1: insecure-skip-tls-verify instead of the CA)
kubeconfig() {
	{
		printf 'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n'
		printf '    server: %s\n' "$1"
		case $1:${KC_INSECURE:-} in
		https:*:1) printf '    insecure-skip-tls-verify: true\n' ;;
		https:*) printf '    certificate-authority: %s\n' "$work/api.crt" ;;
		esac
		[ -n "$2" ] && printf '    proxy-url: %s\n' "$2"
		[ -n "${4:-}" ] && printf '    tls-server-name: %s\n' "$4"
		printf 'contexts:\n- name: c\n  context: {cluster: c, user: u}\n'
		printf 'current-context: c\nusers:\n- name: u\n  user: {token: %s}\n' "${3:-$SIM_TOKEN}"
	} >"$work/kc.yaml"
}
# doctor: `opsdeck doctor` with that kubeconfig (no database: only the
# kube context's lines count); out holds them, all.out every output whole
doctor() {
	KUBECONFIG="$work/kc.yaml" timeout 90 "$OPSDECK" -c "$work/op.yaml" \
		-d "host=$work/no-database" doctor >"$work/doctor.out" 2>"$work/doctor.err"
	cat "$work/doctor.out" "$work/doctor.err" >>"$work/all.out"
	out=$(cat "$work/doctor.out" "$work/doctor.err" | grep '^[a-zA-Z]* *kube context c:')
}
answers_re() { # answers_re URL: the line saying the server answered
	printf 'ok    kube context c: %s answers in [0-9]+ ms' "$(printf '%s' "$1" | sed 's/[.]/\\./g')"
}
lines() { # lines NAME: how many lines its proxy has logged
	wc -l <"$work/$1.log" | tr -d ' '
}

# ---- SOCKS5: the proxy resolves the name ----
api=https://api.cluster.invalid:$PORT
kubeconfig "$api" "socks5://alice:$PW@127.0.0.1:$SOCKS"
doctor
like "$out" "$(answers_re "$api")" "doctor reaches the server through the SOCKS5 proxy"
like "$out" "ok    kube context c: authenticated as admin" "and authenticates through it"
ok "the proxy was asked for the name api.cluster.invalid" \
	grep -qx "CONNECT api.cluster.invalid $PORT" "$work/socks.log"
nok "it was never sent an address" grep -q "^CONNECT \[" "$work/socks.log"
ok "the user name and password of the proxy URL were accepted" grep -qx "AUTH ok" "$work/socks.log"
nok "and never refused" grep -q "AUTH wrong" "$work/socks.log"
kout=$(KUBECONFIG="$work/kc.yaml" kubectl_compat --cache-dir "$work/kcache" \
	--request-timeout=20s get namespaces -o name 2>&1)
printf '%s\n' "$kout" >>"$work/all.out"
like "$kout" "namespace/default" "kubectl takes the same kubeconfig through the same proxy"

# a watch: listed, then a namespace made afterwards arrives on the stream
KUBECONFIG="$work/kc.yaml" timeout 90 "$top_builddir/tests/integration/kube_proxy_watch" \
	proxied-watch "$work/watch.ready" >"$work/watch.out" 2>&1 &
watcher=$!
if wait_for "test -e '$work/watch.ready' || ! tap_running $watcher" 60 &&
	[ -e "$work/watch.ready" ]; then
	K --kubeconfig "$work/kubeconfig" create namespace proxied-watch >>"$work/all.out" 2>&1
fi
wait "$watcher"
rc=$?
cat "$work/watch.out" >>"$work/all.out"
is "$rc $(cat "$work/watch.out")" "0 added proxied-watch" \
	"a watch through the proxy brings a namespace made after its list"

# ---- the certificate is still checked by name ----
alias=https://alias.cluster.invalid:$PORT
kubeconfig "$alias" "socks5://alice:$PW@127.0.0.1:$SOCKS" "" api.cluster.invalid
doctor
like "$out" "$(answers_re "$alias")" "tls-server-name: the certificate's name, another server name"
ok "the proxy was asked for the server's own name" \
	grep -qx "CONNECT alias.cluster.invalid $PORT" "$work/socks.log"
kubeconfig "$alias" "socks5://alice:$PW@127.0.0.1:$SOCKS"
doctor
like "$out" "FAIL  kube context c: GET /version: the certificate of $alias cannot be trusted" \
	"a name the certificate does not hold fails"
kubeconfig "$api" "socks5://alice:$PW@127.0.0.1:$SOCKS" "" wrong.cluster.invalid
doctor
like "$out" "FAIL  kube context c: GET /version: the certificate of $api cannot be trusted" \
	"so does a wrong tls-server-name"

# ---- SOCKS5 refusals in words ----
socks_named="through proxy socks5://alice:xxxxx@127\.0\.0\.1"
kubeconfig "$api" "socks5://alice:wrong-pw@127.0.0.1:$SOCKS"
doctor
like "$out" "FAIL  kube context c: GET /version: cannot reach $api $socks_named:$SOCKS: $(
	)the SOCKS proxy rejected the user name and password of the proxy URL" \
	"a wrong password: the SOCKS proxy rejected it, the proxy named without it"
kubeconfig "https://api.cluster.invalid:$CLOSED" "socks5://alice:$PW@127.0.0.1:$SOCKS"
doctor
like "$out" "cannot reach https://api\.cluster\.invalid:$CLOSED $socks_named:$SOCKS: $(
	)the SOCKS proxy could not connect to the server: connection refused" \
	"a server that refuses the proxy's connection"
kubeconfig "$api" "socks5://alice:$PW@127.0.0.1:$CLOSED"
doctor
like "$out" "cannot reach $api $socks_named:$CLOSED: the proxy refused the connection$" \
	"a SOCKS proxy that is not there refused the connection"

# ---- HTTP CONNECT ----
kubeconfig "$api" "http://bob:$PW@127.0.0.1:$CONNECT"
doctor
like "$out" "$(answers_re "$api")" "doctor reaches the server through an HTTP CONNECT proxy"
ok "the proxy was asked to CONNECT to the name" \
	grep -qx "CONNECT api.cluster.invalid:$PORT HTTP/1.1" "$work/connect.log"
ok "with the proxy URL's credentials" grep -qx "AUTH ok" "$work/connect.log"
kout=$(KUBECONFIG="$work/kc.yaml" kubectl_compat --cache-dir "$work/kcache" \
	--request-timeout=20s get namespaces -o name 2>&1)
printf '%s\n' "$kout" >>"$work/all.out"
like "$kout" "namespace/default" "kubectl takes it through the same HTTP proxy"

before=$(lines connect)
http_named="through proxy http://bob:xxxxx@127\.0\.0\.1"
kubeconfig "$api" "http://bob:wrong-pw@127.0.0.1:$CONNECT"
doctor
like "$out" "cannot reach $api $http_named:$CONNECT: the proxy rejected the user name $(
	)and password of the proxy URL \(407 Proxy Authentication Required\)$" \
	"407 to a wrong password, in words"
is "$(($(lines connect) - before))" 2 "a refused tunnel is not tried again (one CONNECT, one AUTH)"
kubeconfig "$api" "http://127.0.0.1:$CONNECT"
doctor
like "$out" "through proxy http://127\.0\.0\.1:$CONNECT: the proxy asks for credentials $(
	)\(407 Proxy Authentication Required\): put user:password@ in the proxy URL$" \
	"407 without credentials says where to put them"
kubeconfig "$api" "http://127.0.0.1:$DENY"
doctor
like "$out" "through proxy http://127\.0\.0\.1:$DENY: $(
	)the proxy refused the tunnel to the server \(403 Forbidden\)$" \
	"403 to CONNECT, in words"
kubeconfig "$api" "http://bob:$PW@127.0.0.1:$CLOSED"
doctor
like "$out" "cannot reach $api $http_named:$CLOSED: the proxy refused the connection$" \
	"an HTTP proxy that is not there refused the connection"
# a password with an '@' (the userinfo ends at the last one) and a path,
# which is ignored, as Go's url.Parse and transport take them
kubeconfig "$api" "http://carol:at@$PW@127.0.0.1:$ATSIGN/ignored"
doctor
like "$out" "$(answers_re "$api")" "a proxy password with an '@', a path after the proxy"
ok "its credentials were accepted" grep -qx "AUTH ok" "$work/atsign.log"
# no port: http's own 80 (where nothing listens here), as in Go, not 1080
kubeconfig "$api" "http://127.0.0.1"
doctor
like "$out" "cannot reach $api through proxy http://127\.0\.0\.1:80: $(
	)the proxy refused the connection$" "a proxy-url without a port: port 80, named"
kubeconfig "$api" ""
export HTTPS_PROXY=127.0.0.1
doctor
unset HTTPS_PROXY
like "$out" "cannot reach $api through proxy http://127\.0\.0\.1:80: $(
	)the proxy refused the connection$" "so does an HTTPS_PROXY of a bare address"
kubeconfig "$api" "http://127.0.0.1:$CLOSE"
doctor
like "$out" "cannot reach $api through proxy http://127\.0\.0\.1:$CLOSE: $(
	)the proxy closed the connection instead of answering CONNECT$" \
	"a proxy that closes the connection on CONNECT, in words"
KUBECONFIG="$work/kc.yaml" timeout 90 "$top_builddir/tests/integration/kube_proxy_watch" \
	--get /api/v1/namespaces >"$work/get.out" 2>&1
cat "$work/get.out" >>"$work/all.out"
like "$(cat "$work/get.out")" "the proxy closed the connection instead of answering CONNECT" \
	"a GET the client would retry: the same words"
is "$(grep -c '^CONNECT' "$work/close.log")" 2 "and it is not tried again (one CONNECT each)"

# an http server: absolute-form requests to the proxy, as Go sends them
plain=http://plain.cluster.invalid:$PLAIN_PORT
kubeconfig "$plain" "http://bob:$PW@127.0.0.1:$CONNECT" "$PLAIN_TOKEN"
doctor
like "$out" "$(answers_re "$plain")" "an http server through the HTTP proxy"
ok "asked for in absolute form, not tunnelled" \
	grep -q "^GET $plain/version HTTP/1.1\$" "$work/connect.log"
nok "no CONNECT for it" grep -q "^CONNECT plain" "$work/connect.log"
kubeconfig "$plain" "http://127.0.0.1:$CONNECT" "$PLAIN_TOKEN"
doctor
like "$out" "cannot reach $plain through proxy http://127\.0\.0\.1:$CONNECT: $(
	)the proxy asks for credentials \(407 Proxy Authentication Required\)" \
	"and its 407 in the same words"

# an https proxy's own certificate: the cluster's certificate authority,
# as Go's transport checks it
kubeconfig "$api" "https://localhost:$TLS"
doctor
like "$out" "$(answers_re "$api")" "an https proxy whose certificate the cluster's CA signed"
ok "was asked to CONNECT" grep -qx "CONNECT api.cluster.invalid:$PORT HTTP/1.1" "$work/tls.log"
kubeconfig "$api" "https://localhost:$OTHERTLS"
doctor
like "$out" "cannot reach $api through proxy https://localhost:$OTHERTLS: the certificate of $(
	)the proxy cannot be trusted \(checked against the cluster's certificate authority\)" \
	"one that another authority signed is refused"
nok "nothing was asked of it" grep -q "^CONNECT" "$work/othertls.log"
KC_INSECURE=1
kubeconfig "$api" "https://localhost:$OTHERTLS"
KC_INSECURE=
doctor
like "$out" "$(answers_re "$api")" "insecure-skip-tls-verify: the proxy's certificate unchecked too"

# ---- proxy-url and the environment ----
before=$(lines socks)
kubeconfig "$api" "socks5://alice:$PW@127.0.0.1:$SOCKS"
out=$(NO_PROXY='*' HTTPS_PROXY="http://127.0.0.1:$CLOSED" KUBECONFIG="$work/kc.yaml" \
	timeout 90 "$OPSDECK" -c "$work/op.yaml" -d "host=$work/no-database" doctor 2>&1)
printf '%s\n' "$out" >>"$work/all.out"
like "$out" "$(answers_re "$api")" "proxy-url wins over NO_PROXY and HTTPS_PROXY"
ok "through the proxy-url" test "$(lines socks)" -gt "$before"

kubeconfig "$api" ""
out=$(HTTPS_PROXY="socks5://alice:$PW@127.0.0.1:$SOCKS" KUBECONFIG="$work/kc.yaml" \
	timeout 90 "$OPSDECK" -c "$work/op.yaml" -d "host=$work/no-database" doctor 2>&1)
printf '%s\n' "$out" >>"$work/all.out"
like "$out" "$(answers_re "$api")" \
	"without proxy-url, HTTPS_PROXY applies (socks5: the proxy resolves)"
out=$(HTTPS_PROXY="socks5://alice:$PW@127.0.0.1:$SOCKS" NO_PROXY=example.org,.cluster.invalid \
	KUBECONFIG="$work/kc.yaml" timeout 90 "$OPSDECK" -c "$work/op.yaml" \
	-d "host=$work/no-database" doctor 2>&1)
printf '%s\n' "$out" >>"$work/all.out"
like "$out" "FAIL  kube context c: GET /version: cannot reach $api: " \
	"NO_PROXY .cluster.invalid: direct, where the name does not resolve"
unlike "$out" "through proxy" "and no proxy is named"
kubeconfig "$SIM_URL" ""
out=$(HTTPS_PROXY="http://127.0.0.1:$CLOSED" KUBECONFIG="$work/kc.yaml" \
	timeout 90 "$OPSDECK" -c "$work/op.yaml" -d "host=$work/no-database" doctor 2>&1)
printf '%s\n' "$out" >>"$work/all.out"
like "$out" "$(answers_re "$SIM_URL")" "a loopback server is never proxied, as in kubectl"
kubeconfig "$api" ""
out=$(HTTPS_PROXY="bob:$PW@proxy host" KUBECONFIG="$work/kc.yaml" timeout 90 "$OPSDECK" \
	-c "$work/op.yaml" -d "host=$work/no-database" doctor 2>&1)
printf '%s\n' "$out" >>"$work/all.out"
like "$out" "HTTPS_PROXY: its value is not a usable proxy URL" \
	"an HTTPS_PROXY that is no URL is refused in words, its value not repeated"

# ---- a real SOCKS5 server: OpenSSH's dynamic forwarding ----
sshd_start "$work/sshd" || { echo "Bail out! cannot start sshd"; exit 1; }
DYN=$(tap_free_ports 1)
ssh -v -N -D "127.0.0.1:$DYN" -p "$SSHD_PORT" -i "$SSHD_KEY" -o IdentitiesOnly=yes \
	-o BatchMode=yes -o UserKnownHostsFile="$SSHD_KNOWN_HOSTS" -o StrictHostKeyChecking=yes \
	-o ExitOnForwardFailure=yes "$SSHD_USER@127.0.0.1" 2>"$work/ssh.log" &
ssh_pid=$!
tap_on_exit "kill $ssh_pid 2>/dev/null; wait $ssh_pid 2>/dev/null"
wait_for "grep -q 'Entering interactive session\|forwarding to socks' '$work/ssh.log'" 30 ||
	diag "ssh -D did not start:" "$(cat "$work/ssh.log")"
viassh=https://localhost:$PORT
kubeconfig "$viassh" "socks5://127.0.0.1:$DYN"
doctor
like "$out" "$(answers_re "$viassh")" "through ssh -D (OpenSSH resolves localhost)"
ok "the connections went over the SSH session" grep -q "dynamic-tcpip" "$work/ssh.log"
kubeconfig "https://localhost:$CLOSED" "socks5://127.0.0.1:$DYN"
doctor
like "$out" "cannot reach https://localhost:$CLOSED through proxy socks5://127\.0\.0\.1:$DYN: $(
	)the SOCKS proxy (closed the connection instead of connecting to the server|$(
	)could not connect to the server)" "ssh -D that cannot connect to the server, in words"

# ---- the password never shows ----
nok "the proxy's password is in no output" grep -qF -- "$PW" "$work/all.out"
nok "nor in a file opsdeck wrote" grep -rqF -- "$PW" "$work/state" "$work/config"
