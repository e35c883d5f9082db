#!/bin/sh
# SSH tunnels against a real OpenSSH sshd (tests/lib/sshd.sh): host keys
# under both policies, key-file, encrypted-key and agent authentication, a
# refused key in words, an HTTP exchange through a forward both ways with
# bodies of several MB, and a forward that goes down with sshd and comes
# back with it. Passphrases: asked outside the connect timeout, on the
# terminal or through SSH_ASKPASS, too long or cancelled refused in words,
# not asked again when a dropped session reconnects. Each direction of a
# connection ends on its own.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sshd.sh"
. "$top_srcdir/tests/lib/http.sh"
. "$top_srcdir/tests/ui/lib.sh"

plan 66

sshd_start "$TAP_TMP/sshd" || exit 1
conf=$TAP_TMP/config.yaml
home=$TAP_TMP/home
mkdir -p "$home"
export HOME="$home"
unset SSH_AUTH_SOCK

# profile NAME KEY KNOWN_HOSTS POLICY AGENT [KEEPALIVE]: one entry of the
# tunnels list
profile() {
	cat <<EOF
  - name: $1
    host: 127.0.0.1
    port: $SSHD_PORT
    user: $SSHD_USER
    identity_file: $2
    known_hosts: $3
    host_key_policy: $4
    agent: $5
    keepalive: ${6:-1}
EOF
}

ssh-keygen -q -t ed25519 -N '' -C stranger -f "$TAP_TMP/stranger"
sshd_encrypted_key "$TAP_TMP/locked" 'correct horse'
ssh-keygen -q -t rsa -b 2048 -N '' -C rsa -f "$TAP_TMP/rsa"
cat "$TAP_TMP/rsa.pub" >>"$TAP_TMP/sshd/authorized_keys"
mkdir -p "$home/.ssh"
cat >"$home/.ssh/config" <<EOF
Host od-*
  User $SSHD_USER
  IdentitiesOnly yes
Host od-bastion
  HostName 127.0.0.1
  Port $SSHD_PORT
  IdentityFile $SSHD_KEY
  UserKnownHostsFile $SSHD_KNOWN_HOSTS
EOF
{
	echo "tunnels:"
	profile key "$SSHD_KEY" "$SSHD_KNOWN_HOSTS" strict false
	profile strict-unknown "$SSHD_KEY" "$TAP_TMP/empty_known_hosts" strict false
	profile accept "$SSHD_KEY" "$TAP_TMP/accepted/known_hosts" accept-new false
	profile stranger "$TAP_TMP/stranger" "$SSHD_KNOWN_HOSTS" strict false
	profile agent "$TAP_TMP/no-such-key" "$SSHD_KNOWN_HOSTS" strict true
	profile locked "$TAP_TMP/locked" "$SSHD_KNOWN_HOSTS" strict false
	profile rsa "$TAP_TMP/rsa" "$SSHD_KNOWN_HOSTS" strict false
	# Keepalives minutes apart: only the connections' own traffic drives
	# the session.
	profile calm "$SSHD_KEY" "$SSHD_KNOWN_HOSTS" strict false 600
	printf '  - name: sshcfg\n    ssh_config_host: od-bastion\n'
	printf '  - name: closed\n    host: 127.0.0.1\n    port: %s\n' "$(sshd_free_port)"
} >"$conf"
: >"$TAP_TMP/empty_known_hosts"
# The fingerprint as a regular expression: base64 has '+'.
fingerprint_re() {
	ssh-keygen -l -E sha256 -f "$SSHD_HOSTKEY_PUB" | cut -d' ' -f2 | sed 's/[+]/\\+/g'
}
fp=$(fingerprint_re)

od() {
	timeout 60 "$OPSDECK" --config "$conf" "$@"
}

out=$(od tunnel list)
like "$out" "^key +127\.0\.0\.1 +$SSHD_PORT +$SSHD_USER +strict" "tunnel list shows a profile"

# -- a key file, the host key known ----------------------------------------
out=$(od tunnel check key 2>&1)
rc=$?
is "$rc" 0 "check with a key file succeeds"
like "$out" "host key: +ssh-ed25519 $fp" \
	"check names the host key's SHA256 fingerprint as ssh-keygen does"
like "$out" "auth: +publickey with $SSHD_KEY" "check names the key that authenticated"
like "$out" "round trip: [0-9]+ ms" "check measures the round trip"
like "$out" "stages: +connected [0-9]+ ms, host key checked [0-9]+ ms, authenticated [0-9]+ ms" \
	"check times each stage"
json=$(od tunnel check key --json)
is "$(printf '%s' "$json" | jq -r '.state + " " + (.rtt_ms | type) + " " +
	(.stages_ms.auth | type)')" "up number number" \
	"check --json: state up, a round-trip time and the stages' times"

out=$(od tunnel check closed 2>&1)
rc=$?
is "$rc" 1 "a port where nothing listens fails (exit 1)"
like "$out" "tunnel closed: connection refused by 127\.0\.0\.1:[0-9]+" \
	"and says the connection was refused"

# -- host key policies -------------------------------------------------------
tries=$(grep -c publickey "$TAP_TMP/sshd/sshd.log")
out=$(od tunnel check strict-unknown 2>&1)
rc=$?
is "$rc" 1 "strict refuses an unknown host key (exit 1)"
like "$out" "unknown host key: \[127\.0\.0\.1\]:$SSHD_PORT presents ssh-ed25519 key $fp" \
	"the refusal names the key type and fingerprint"
is "$(wc -c <"$TAP_TMP/empty_known_hosts")" 0 "strict records nothing"
is "$(grep -c publickey "$TAP_TMP/sshd/sshd.log")" "$tries" \
	"no key was offered to a server whose host key was refused"

out=$(od tunnel check accept 2>&1)
rc=$?
is "$rc" 0 "accept-new accepts an unknown host key"
like "$out" "recorded in known_hosts" "and says it recorded it"
ok "the key is in the new known_hosts file" \
	ssh-keygen -F "[127.0.0.1]:$SSHD_PORT" -f "$TAP_TMP/accepted/known_hosts"
out=$(od tunnel check accept 2>&1)
unlike "$out" "recorded" "the recorded key is known the next time"

# -- authentication ----------------------------------------------------------
out=$(od tunnel check stranger 2>&1)
rc=$?
is "$rc" 1 "a key the server does not know is refused (exit 1)"
refusal="authentication refused for user $SSHD_USER: tried $TAP_TMP/stranger"
like "$out" "$refusal; the server accepts publickey" \
	"the refusal says which user, which key was tried and what the server accepts"

sshd_agent_start "$SSHD_KEY"
out=$(od tunnel check agent 2>&1)
like "$out" "auth: +publickey from the agent" "the agent's key authenticates"
askpass=$TAP_TMP/askpass
printf '#!/bin/sh\necho "correct horse"\n' >"$askpass"
chmod +x "$askpass"
out=$(SSH_ASKPASS=$askpass SSH_ASKPASS_REQUIRE=force od tunnel check locked 2>&1 </dev/null)
like "$out" "auth: +publickey with $TAP_TMP/locked" \
	"an encrypted key with its passphrase authenticates"
printf '#!/bin/sh\necho "wrong"\n' >"$askpass"
out=$(SSH_ASKPASS=$askpass SSH_ASKPASS_REQUIRE=force od tunnel check locked 2>&1 </dev/null)
like "$out" "tried $TAP_TMP/locked \(wrong passphrase\)" "a wrong passphrase is said so"
# The operator may take longer than the connect timeout (15 s) to answer.
printf '#!/bin/sh\nsleep 17\necho "correct horse"\n' >"$askpass"
out=$(SSH_ASKPASS=$askpass SSH_ASKPASS_REQUIRE=force od tunnel check locked 2>&1 </dev/null)
like "$out" "auth: +publickey with $TAP_TMP/locked" \
	"a passphrase typed more slowly than the connect timeout still authenticates"
auth_ms=$(printf '%s\n' "$out" | sed -n 's/.*authenticated \([0-9]*\) ms.*/\1/p')
ok "the time spent typing is not counted in the stages' times ($auth_ms ms)" \
	test "${auth_ms:-99999}" -lt 15000
python3 -c 'print("x" * 1100)' >"$TAP_TMP/long_pass"
printf '#!/bin/sh\ncat "%s"\n' "$TAP_TMP/long_pass" >"$askpass"
out=$(SSH_ASKPASS=$askpass SSH_ASKPASS_REQUIRE=force od tunnel check locked 2>&1 </dev/null)
like "$out" "tried $TAP_TMP/locked \(encrypted, the passphrase is longer than 1023 bytes: refused\)" \
	"a passphrase longer than a key takes is refused in words, not cut"
printf '#!/bin/sh\nexit 0\n' >"$askpass"
out=$(SSH_ASKPASS=$askpass SSH_ASKPASS_REQUIRE=force od tunnel check locked 2>&1 </dev/null)
like "$out" "tried $TAP_TMP/locked \(encrypted, passphrase cancelled\)" \
	"an askpass that ends without an answer cancels (no empty passphrase)"
printf '#!/bin/sh\nexit 1\n' >"$askpass"
out=$(SSH_ASKPASS=$askpass SSH_ASKPASS_REQUIRE=force od tunnel check locked 2>&1 </dev/null)
like "$out" "tried $TAP_TMP/locked \(encrypted, passphrase cancelled\)" \
	"an askpass that fails cancels"
unset SSH_AUTH_SOCK
out=$(od tunnel check rsa 2>&1)
like "$out" "cannot sign with rsa-sha2-256/512 .* an ed25519 or ECDSA key works" \
	"an RSA key against a server that refuses ssh-rsa is explained"
out=$(od tunnel check sshcfg 2>&1)
like "$out" "auth: +publickey with $SSHD_KEY" "a Host of ~/.ssh/config serves as a profile"

# -- forwarding --------------------------------------------------------------
www=$TAP_TMP/www
mkdir -p "$www"
head -c 6000000 /dev/urandom >"$www/big"
head -c 4000000 /dev/urandom >"$TAP_TMP/upload"
http_file_server "$www" || exit 1
hport=$HTTP_PORT

http_forward fwd "$conf" key "127.0.0.1:$hport"
fwd_pid=$FWD_PID addr=$FWD_ADDR
like "$addr" '^127\.0\.0\.1:[0-9]+$' "forward prints the local address"
got=$(curl -sS --max-time 60 "http://$addr/big" | sha256sum | cut -d' ' -f1)
big_sum=$(sha256sum <"$www/big" | cut -d' ' -f1)
is "$got" "$big_sum" "a 6 MB download through the forward arrives whole"
got=$(curl -sS --max-time 60 --data-binary "@$TAP_TMP/upload" "http://$addr/")
is "$got" "$(sha256sum <"$TAP_TMP/upload" | cut -d' ' -f1)" \
	"a 4 MB upload through the forward arrives whole"
# Rounds of six at once: the keepalive's pump runs among them every second
# (a channel that moved during it was once taken for stalled).
six_sum=$(for i in 1 2 3 4 5 6; do cat "$www/big"; done | sha256sum | cut -d' ' -f1)
whole=0
for round in 1 2 3 4 5 6 7 8; do
	pids=
	for i in 1 2 3 4 5 6; do
		curl -sS --max-time 120 "http://$addr/big" -o "$TAP_TMP/par.$i" &
		pids="$pids $!"
	done
	for p in $pids; do
		wait "$p"
	done
	[ "$(cat "$TAP_TMP"/par.* | sha256sum | cut -d' ' -f1)" = "$six_sum" ] &&
		whole=$((whole + 1))
done
is "$whole" 8 "eight rounds of six downloads at once through one session all arrive whole"
wait_for "grep -q 'tunnel key: up' '$TAP_TMP/fwd.err'" 10
ok "forward says the tunnel is up" grep -q "tunnel key: up" "$TAP_TMP/fwd.err"

# -- sshd goes away and comes back -------------------------------------------
sshd_stop
ok "the forward reports the tunnel down with the reason" \
	wait_for "grep -Eq 'tunnel key: down: .*(closed|refused)' '$TAP_TMP/fwd.err'" 30
sshd_restart
ok "the forward comes back up when sshd is back" \
	wait_for "test \$(grep -c 'tunnel key: up' '$TAP_TMP/fwd.err') -ge 2" 60
got=$(curl -sS --max-time 60 "http://$addr/big" | sha256sum | cut -d' ' -f1)
is "$got" "$big_sum" "the same local address carries a download again"
# A server that stops answering (its connection's processes stopped) is
# found dead by the keepalive probes, and the forward connects again.
conn_pids=$(pgrep -P "$SSHD_PID")
for p in $conn_pids; do
	conn_pids="$conn_pids $(pgrep -P "$p")"
done
kill -STOP $conn_pids
ok "a session that stops answering is found dead" \
	wait_for "grep -q 'tunnel key: down: timeout: .* stopped answering' '$TAP_TMP/fwd.err'" 40
ok "and the forward connects again" \
	wait_for "test \$(grep -c 'tunnel key: up' '$TAP_TMP/fwd.err') -ge 3" 60
kill -CONT $conn_pids
kill "$fwd_pid"
wait "$fwd_pid"
is "$?" 0 "forward ends cleanly when interrupted"

lport=$(sshd_free_port)
"$OPSDECK" --config "$conf" tunnel forward key "127.0.0.1:$hport" --local-port "$lport" \
	>"$TAP_TMP/fwd2.out" 2>"$TAP_TMP/fwd2.err" &
fwd2_pid=$!
tap_on_exit "kill $fwd2_pid 2>/dev/null; wait $fwd2_pid 2>/dev/null"
wait_for "test -s '$TAP_TMP/fwd2.out'" 20
is "$(cat "$TAP_TMP/fwd2.out")" "127.0.0.1:$lport" "--local-port chooses the local port"
got=$(curl -sS --max-time 60 "http://127.0.0.1:$lport/big" | sha256sum | cut -d' ' -f1)
is "$got" "$big_sum" "and the forward carries on it"
kill "$fwd2_pid"
wait "$fwd2_pid"
od tunnel forward key "127.0.0.1" >/dev/null 2>&1
is "$?" 2 "a target without a port is a usage error"

# -- the passphrase asked on the terminal ---------------------------------------
ui_setup
check_locked="'$OPSDECK' --config '$conf' tunnel check locked; echo \"exit \$?\"; exec cat"
ui_start_cmd 300 30 "$check_locked"
ok "the terminal is asked for the passphrase" ui_wait "Passphrase for $TAP_TMP/locked:" 30
ui_text "correct horse"
ui_keys Enter
ok "the passphrase typed on the terminal authenticates" ui_wait "^exit 0" 30
like "$(ui_screen)" "auth: +publickey with $TAP_TMP/locked" "with the encrypted key"
unlike "$(ui_screen)" "correct horse" "the passphrase is not echoed"
ui_start_cmd 300 30 "$check_locked"
ui_wait "Passphrase for $TAP_TMP/locked:" 30
ui_keys C-d
ok "the end of input (ctrl-D) at the prompt cancels" \
	ui_wait "tried $TAP_TMP/locked \(encrypted, passphrase cancelled\)" 30
# The pane's shell ignores ctrl-C, as an interactive shell leaves it to
# the command in the foreground.
ui_start_cmd 300 30 "trap '' INT; $check_locked"
ui_wait "Passphrase for $TAP_TMP/locked:" 30
ui_keys C-c
ok "ctrl-C at the prompt ends the command at once (exit 1)" ui_wait "^exit 1" 30
like "$(ui_screen)" "tried $TAP_TMP/locked \(encrypted, passphrase cancelled\)" "the key skipped"
ui_start_cmd 300 30 "$check_locked"
ui_wait "Passphrase for $TAP_TMP/locked:" 30
ui_text "$(cat "$TAP_TMP/long_pass")"
ui_keys Enter
ok "a passphrase too long for the key is refused in words" \
	ui_wait "the passphrase is longer than 1023 bytes: refused" 30
ui_stop

# -- a dropped tunnel does not ask for the passphrase again ---------------------
printf '#!/bin/sh\necho asked >>"%s"\necho "correct horse"\n' "$TAP_TMP/asked" >"$askpass"
SSH_ASKPASS=$askpass SSH_ASKPASS_REQUIRE=force "$OPSDECK" --config "$conf" tunnel forward \
	locked "127.0.0.1:$hport" >"$TAP_TMP/fwd3.out" 2>"$TAP_TMP/fwd3.err" </dev/null &
fwd3_pid=$!
tap_on_exit "kill $fwd3_pid 2>/dev/null; wait $fwd3_pid 2>/dev/null"
ok "a forward with an encrypted key comes up" \
	wait_for "grep -q 'tunnel locked: up' '$TAP_TMP/fwd3.err'" 30
# The session's own sshd processes (the listener's children and theirs).
for p in $(pgrep -P "$SSHD_PID"); do
	kill $(pgrep -P "$p") "$p" 2>/dev/null
done
ok "its session dropped, the forward connects again" \
	wait_for "test \$(grep -c 'tunnel locked: up' '$TAP_TMP/fwd3.err') -ge 2" 60
is "$(wc -l <"$TAP_TMP/asked")" 1 "with the passphrase given once, not asked again"
addr=$(cat "$TAP_TMP/fwd3.out")
got=$(curl -sS --max-time 60 "http://$addr/big" | sha256sum | cut -d' ' -f1)
is "$got" "$big_sum" "and carries a download"
# Connections dropped with data in flight: their channels are closed on
# the session while it carries the others, and the session goes on.
pids=
for i in 1 2 3 4 5 6; do
	curl -sS --max-time 60 --limit-rate 300k "http://$addr/big" -o "$TAP_TMP/drop.$i" \
		2>/dev/null &
	pids="$pids $!"
done
ok "six slow downloads are under way" \
	wait_for "test \$(find '$TAP_TMP' -name 'drop.*' -size +1k | wc -l) -eq 6" 30
kill -9 $pids
for p in $pids; do
	wait "$p" 2>/dev/null
done
got=$(curl -sS --max-time 60 "http://$addr/big" | sha256sum | cut -d' ' -f1)
is "$got" "$big_sum" "after they were dropped mid-transfer, a download arrives whole"
is "$(grep -c 'tunnel locked: down' "$TAP_TMP/fwd3.err")" 1 "on the same session"
kill "$fwd3_pid"
wait "$fwd3_pid"
is "$?" 0 "and ends cleanly"

# -- each direction ends on its own ----------------------------------------------
# A server whose first byte says what it does: E ends its side at once and,
# a slow reader, reads the rest only after the SSH window has filled,
# writing its SHA-256 to a file; R reads the rest to its end and then
# answers it eight times over.
cat >"$TAP_TMP/halves.py" <<'EOF'
import hashlib, os, socket, sys, threading, time
def serve(c):
    mode = c.recv(1)
    h, body = hashlib.sha256(), []
    if mode == b"E":
        c.shutdown(socket.SHUT_WR)
        time.sleep(2)
    while True:
        b = c.recv(65536)
        if not b:
            break
        h.update(b)
        if mode == b"R":
            body.append(b)
    if mode == b"E":
        with open(sys.argv[2] + ".tmp", "w") as f:
            f.write(h.hexdigest())
        os.rename(sys.argv[2] + ".tmp", sys.argv[2])
    else:
        data = b"".join(body)
        for _ in range(8):
            c.sendall(data)
    c.close()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,)).start()
EOF
# halves_client.py ADDR MODE FILE: sends MODE and FILE, ends its side, then
# prints the SHA-256 of what comes back.
cat >"$TAP_TMP/halves_client.py" <<'EOF'
import hashlib, socket, sys
host, port = sys.argv[1].rsplit(":", 1)
c = socket.create_connection((host, int(port)), timeout=60)
c.sendall(sys.argv[2].encode())
with open(sys.argv[3], "rb") as f:
    c.sendall(f.read())
c.shutdown(socket.SHUT_WR)
h = hashlib.sha256()
while True:
    b = c.recv(65536)
    if not b:
        break
    h.update(b)
print(h.hexdigest())
EOF
half_port=$(sshd_free_port)
python3 "$TAP_TMP/halves.py" "$half_port" "$TAP_TMP/half.sum" &
half_pid=$!
tap_on_exit "kill $half_pid 2>/dev/null; wait $half_pid 2>/dev/null"
wait_for "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $half_port))'" 20
head -c 8000000 /dev/urandom >"$TAP_TMP/half.up"
http_forward fwd4 "$conf" calm "127.0.0.1:$half_port"
fwd4_pid=$FWD_PID addr=$FWD_ADDR
timeout 60 python3 "$TAP_TMP/halves_client.py" "$addr" E "$TAP_TMP/half.up" >/dev/null &
half_client=$!
# The session's keepalives are minutes apart: only the upload's own need
# to read the session keeps it going.
ok "an 8 MB upload after the server ended its side arrives" \
	wait_for "test -s '$TAP_TMP/half.sum'" 30
is "$(cat "$TAP_TMP/half.sum" 2>/dev/null)" "$(sha256sum <"$TAP_TMP/half.up" | cut -d' ' -f1)" \
	"whole"
wait "$half_client"
head -c 1000000 /dev/urandom >"$TAP_TMP/half.small"
got=$(timeout 60 python3 "$TAP_TMP/halves_client.py" "$addr" R "$TAP_TMP/half.small")
is "$got" "$(for i in 1 2 3 4 5 6 7 8; do cat "$TAP_TMP/half.small"; done |
	sha256sum | cut -d' ' -f1)" "an 8 MB answer after the client ended its side arrives whole"
kill "$fwd4_pid"
wait "$fwd4_pid"
is "$?" 0 "that forward ends cleanly"

# -- a changed host key --------------------------------------------------------
sshd_stop
sshd_new_hostkey
sshd_restart
newfp=$(fingerprint_re)
ok "sshd presents a new host key ($newfp)" sh -c '[ -n "$1" ] && [ "$1" != "$2" ]' _ "$newfp" "$fp"
out=$(od tunnel check accept 2>&1)
rc=$?
is "$rc" 1 "a changed host key is refused, under accept-new too"
like "$out" "host key mismatch: \[127\.0\.0\.1\]:$SSHD_PORT now presents ssh-ed25519 key $newfp" \
	"the refusal names the new key's fingerprint"
