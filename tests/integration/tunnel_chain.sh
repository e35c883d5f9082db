#!/bin/sh
# SSH tunnel chains against two real OpenSSH sshd (tests/lib/sshd.sh): an
# outer one on 127.0.0.1 and an inner one on 127.0.0.2, reached through a
# `direct-tcpip` channel of the outer one (its log names each). A profile
# `via` another, and a Host of ~/.ssh/config with ProxyJump: check reports
# each hop, a forward carries HTTP both ways, the inner host key is checked
# by its own name, the outer sshd going away takes the inner tunnel down
# with the reason and both come back; a via of a ProxyJump profile makes
# three hops; circles refused in words.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sshd.sh"
. "$top_srcdir/tests/lib/http.sh"

plan 37

# The outer sshd logs each channel's target (debug1).
sshd_start_pair "$TAP_TMP/outer" "$TAP_TMP/inner" LogLevel=DEBUG1 || exit 1
outer_port=$SSHD_PORT outer_key=$SSHD_KEY outer_kh=$SSHD_KNOWN_HOSTS user=$SSHD_USER
outer_log=$TAP_TMP/outer/sshd.log
inner_port=$SSHD_INNER_PORT inner_key=$SSHD_INNER_KEY inner_kh=$SSHD_INNER_KNOWN_HOSTS
# The fingerprints as regular expressions: base64 has '+'.
fp_re() { ssh-keygen -l -E sha256 -f "$1" | cut -d' ' -f2 | sed 's/[+]/\\+/g'; }
inner_fp=$(fp_re "$SSHD_INNER_HOSTKEY_PUB")
outer_fp=$(fp_re "$SSHD_HOSTKEY_PUB")

home=$TAP_TMP/home
mkdir -p "$home/.ssh"
export HOME="$home"
unset SSH_AUTH_SOCK
: >"$TAP_TMP/empty_known_hosts"
cat >"$home/.ssh/config" <<EOF
Host od-*
  User $user
  IdentitiesOnly yes
Host od-inner
  HostName 127.0.0.2
  Port $inner_port
  IdentityFile $inner_key
  UserKnownHostsFile $inner_kh
  ProxyJump od-outer
Host od-outer
  HostName 127.0.0.1
  Port $outer_port
  IdentityFile $outer_key
  UserKnownHostsFile $outer_kh
Host od-loop1
  ProxyJump od-loop2
Host od-loop2
  ProxyJump od-loop1
EOF
conf=$TAP_TMP/config.yaml
{
	echo "tunnels:"
	sshd_profile outer "keepalive: 1"
	sshd_profile -i inner inner "keepalive: 1" "via: outer"
	cat <<EOF
  - name: inner-unknown
    host: 127.0.0.2
    port: $inner_port
    user: $user
    identity_file: $inner_key
    known_hosts: $TAP_TMP/empty_known_hosts
    agent: false
    via: outer
  - name: sshcfg
    ssh_config_host: od-inner
    keepalive: 1
  - name: loop
    ssh_config_host: od-loop1
EOF
	sshd_profile three "via: sshcfg"
} >"$conf"

od() {
	timeout 60 "$OPSDECK" --config "$conf" "$@"
}

# target_count: channels the outer sshd opened to the inner one so far.
target_count() {
	grep -c "target 127\.0\.0\.2 port $inner_port" "$outer_log"
}

out=$(od tunnel list)
like "$out" "^inner +127\.0\.0\.2 +$inner_port +$user +strict +outer" \
	"tunnel list shows which profile a tunnel goes via"
like "$out" "^sshcfg +ssh:od-inner +- +- +strict +ssh:od-outer" \
	"and the ProxyJump of a Host of ~/.ssh/config"

# -- two hops: check ---------------------------------------------------------
before=$(target_count)
out=$(od tunnel check inner 2>&1)
is "$?" 0 "check through a chain succeeds"
like "$out" "hop 1: outer \(127\.0\.0\.1:$outer_port\): up" "it reports the outer hop"
like "$out" "hop 2: inner \(127\.0\.0\.2:$inner_port\): up" "and the inner one"
like "$out" "hop 2.*
  host key: +ssh-ed25519 $inner_fp" "with the inner sshd's own host key"
like "$out" "  auth: +publickey with $inner_key" "and the key the inner sshd took"
like "$out" "hop 1.*
  host key: +ssh-ed25519 $outer_fp" "the outer hop's host key too"
ok "the inner session went through a channel of the outer sshd" \
	test "$(target_count)" -gt "$before"
json=$(od tunnel check inner --json)
is "$(printf '%s' "$json" | jq -r '[.hops[] | .name + "@" + .host + ":" + .state] | join(" ")')" \
	"outer@127.0.0.1:up inner@127.0.0.2:up" "check --json lists the hops, the outermost first"
like "$(printf '%s' "$json" | jq -r '.hops[1].stages_ms.auth | type')" "number" \
	"with each hop's stages' times"

# -- the inner host key is checked by its own name -----------------------------
out=$(od tunnel check inner-unknown 2>&1)
is "$?" 1 "an unknown inner host key is refused under strict (exit 1)"
like "$out" "unknown host key: \[127\.0\.0\.2\]:$inner_port presents ssh-ed25519 key $inner_fp" \
	"by the inner host's name and port, with its fingerprint"
like "$out" "hop 1: outer \(127\.0\.0\.1:$outer_port\): up" "though the outer hop is known and up"
is "$(wc -c <"$TAP_TMP/empty_known_hosts")" 0 "nothing is recorded"

# -- a forward through two hops -----------------------------------------------
www=$TAP_TMP/www
mkdir -p "$www"
head -c 6000000 /dev/urandom >"$www/big"
head -c 4000000 /dev/urandom >"$TAP_TMP/upload"
big_sum=$(sha256sum <"$www/big" | cut -d' ' -f1)
up_sum=$(sha256sum <"$TAP_TMP/upload" | cut -d' ' -f1)
http_file_server "$www" || exit 1
hport=$HTTP_PORT

http_forward fwd "$conf" inner "127.0.0.1:$hport"
fwd_pid=$FWD_PID addr=$FWD_ADDR
got=$(curl -sS --max-time 60 "http://$addr/big" | sha256sum | cut -d' ' -f1)
is "$got" "$big_sum" "a 6 MB download through two hops arrives whole"
got=$(curl -sS --max-time 60 --data-binary "@$TAP_TMP/upload" "http://$addr/")
is "$got" "$up_sum" "a 4 MB upload through two hops arrives whole"
ok "forward reports each hop up" \
	wait_for "grep -q 'tunnel outer: up' '$TAP_TMP/fwd.err' &&
		grep -q 'tunnel inner: up' '$TAP_TMP/fwd.err'" 20

# -- the outer sshd goes away and comes back -------------------------------------
sshd_stop
ok "the inner tunnel is reported down, saying the outer one went" \
	wait_for "grep -Eq 'tunnel inner: down: via outer: .*(closed|refused)' \
		'$TAP_TMP/fwd.err'" 30
sshd_restart
ok "both come back up when the outer sshd is back" \
	wait_for "test \$(grep -c 'tunnel outer: up' '$TAP_TMP/fwd.err') -ge 2 &&
		test \$(grep -c 'tunnel inner: up' '$TAP_TMP/fwd.err') -ge 2" 60
got=$(curl -sS --max-time 60 "http://$addr/big" | sha256sum | cut -d' ' -f1)
is "$got" "$big_sum" "the same local address carries a download again"
# The inner sshd drops the session (its connection's processes killed):
# the inner tunnel alone reconnects, over the same outer session.
sshd_use inner
for p in $(pgrep -P "$SSHD_PID"); do
	kill $(pgrep -P "$p") "$p" 2>/dev/null
done
sshd_use default
ok "the inner session dropped, the inner tunnel connects again" \
	wait_for "test \$(grep -c 'tunnel inner: up' '$TAP_TMP/fwd.err') -ge 3" 60
is "$(grep -c 'tunnel outer: up' "$TAP_TMP/fwd.err")" 2 "on the same outer session"
got=$(curl -sS --max-time 60 "http://$addr/big" | sha256sum | cut -d' ' -f1)
is "$got" "$big_sum" "and carries a download"
kill "$fwd_pid"
wait "$fwd_pid"
is "$?" 0 "forward ends cleanly when interrupted"

# -- ProxyJump of ~/.ssh/config ------------------------------------------------
out=$(od tunnel check sshcfg 2>&1)
is "$?" 0 "a Host of ~/.ssh/config with ProxyJump serves as a profile"
like "$out" "hop 1: ssh:od-outer \(127\.0\.0\.1:$outer_port\): up" \
	"its jump host takes its settings from its own Host"
like "$out" "hop 2: sshcfg \(127\.0\.0\.2:$inner_port\): up.*
  host key: +ssh-ed25519 $inner_fp" "and the target is reached through it"
http_forward fwd2 "$conf" sshcfg "127.0.0.1:$hport"
fwd2_pid=$FWD_PID
got=$(curl -sS --max-time 60 "http://$FWD_ADDR/big" | sha256sum | cut -d' ' -f1)
is "$got" "$big_sum" "a forward through ProxyJump carries a download"
kill "$fwd2_pid"
wait "$fwd2_pid"
# A profile via the ProxyJump one: three hops, the third the outer sshd
# again, reached from the inner one.
out=$(od tunnel check three 2>&1)
like "$out" "hop 1: ssh:od-outer .*: up.*
hop 2: sshcfg .*: up.*
hop 3: three \(127\.0\.0\.1:$outer_port\): up" "a via of a ProxyJump profile makes three hops"
http_forward fwd3 "$conf" three "127.0.0.1:$hport"
fwd3_pid=$FWD_PID
got=$(curl -sS --max-time 60 "http://$FWD_ADDR/big" | sha256sum | cut -d' ' -f1)
is "$got" "$big_sum" "and a download through them arrives whole"
kill "$fwd3_pid"
wait "$fwd3_pid"
out=$(od tunnel check loop 2>&1)
is "$?" 1 "Hosts whose ProxyJumps go round are refused (exit 1)"
like "$out" "tunnel loop: its hops go round in a circle: ssh:od-loop2 -> ssh:od-loop1 -> ssh:od-loop2" \
	"in words"

# -- via circles and unknown profiles ---------------------------------------------
bad=$TAP_TMP/bad.yaml
printf 'tunnels:\n  - name: a\n    host: h\n    via: b\n  - name: b\n    host: h\n    via: a\n' >"$bad"
out=$("$OPSDECK" --config "$bad" tunnel list 2>&1)
rc=$?
ok "a via circle makes the settings invalid (exit $rc)" test "$rc" -ne 0
like "$out" "bad\.yaml:4:10: tunnels: via goes round in a circle: a -> b -> a" \
	"said in words at the via"
printf 'tunnels:\n  - name: a\n    host: h\n    via: a\n' >"$bad"
out=$("$OPSDECK" --config "$bad" tunnel list 2>&1)
like "$out" "bad\.yaml:4:10: tunnels: via goes round in a circle: a -> a" \
	"a profile via itself too"
printf 'tunnels:\n  - name: a\n    host: h\n    via: nowhere\n' >"$bad"
out=$("$OPSDECK" --config "$bad" tunnel list 2>&1)
like "$out" "bad\.yaml:4:10: tunnels: a goes via nowhere, which is not a profile" \
	"a via naming no profile"
