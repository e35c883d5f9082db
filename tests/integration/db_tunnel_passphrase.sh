#!/bin/sh
# A CLI command whose database rides a tunnel with an encrypted key
# (tests/lib/sshd.sh, tests/lib/pg.sh): the passphrase is asked on the
# terminal before anything connects, so an operator who takes longer than
# the database's connect timeout (10 s) still gets the answer; Ctrl-C at
# the prompt ends the command at once. A hop that uses the agent is not
# asked for its encrypted key. Shell completion through the same tunnel
# asks for nothing, prints nothing on the terminal and answers within its
# bound.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sshd.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/ui/lib.sh"

plan 12

PG_TCP=1 pg_start || { echo "Bail out! cannot start PostgreSQL"; exit 1; }
sshd_start "$TAP_TMP/sshd" || { echo "Bail out! cannot start sshd"; exit 1; }
sshd_encrypted_key "$TAP_TMP/locked" 'correct horse' ||
	{ echo "Bail out! cannot make an encrypted key"; exit 1; }
unset SSH_AUTH_SOCK
sshd_log=$TAP_TMP/sshd/sshd.log
db="host=localhost port=$PG_TCP_PORT dbname=$PGDATABASE user=$PGUSER"

# write_conf FILE KEY AGENT: the database through one tunnel profile
write_conf() {
	cat >"$1" <<EOC
database: "$db"
database_tunnel: bastion
tunnels:
  - name: bastion
    host: 127.0.0.1
    port: $SSHD_PORT
    user: $SSHD_USER
    identity_file: $2
    known_hosts: $SSHD_KNOWN_HOSTS
    agent: $3
    keepalive: 1
EOC
}
plain=$TAP_TMP/plain.yaml
locked=$TAP_TMP/locked.yaml
agented=$TAP_TMP/agented.yaml
write_conf "$plain" "$SSHD_KEY" false
write_conf "$locked" "$TAP_TMP/locked" false
write_conf "$agented" "$TAP_TMP/locked" true
timeout 60 "$OPSDECK" --config "$plain" db migrate >"$TAP_TMP/migrate.out" 2>&1 ||
	{ echo "Bail out! cannot migrate: $(cat "$TAP_TMP/migrate.out")"; exit 1; }
connections() { grep -c 'Connection from' "$sshd_log"; }

ui_setup
# -- asked first, answered slowly --------------------------------------------------
list="'$OPSDECK' --config '$locked' store list; echo \"exit \$?\"; exec cat"
before=$(connections)
ui_start_cmd 120 30 "$list"
ok "the terminal is asked for the key's passphrase" \
	ui_wait "Passphrase for $TAP_TMP/locked:" 30
is "$(connections)" "$before" "... before the tunnel connects to the bastion"
# The operator takes longer than the database's connect timeout.
sleep 12
ui_text "correct horse"
ui_keys Enter
ok "the command succeeds after a slow answer" ui_wait "^exit 0" 60
like "$(ui_screen)" "ID +NAME +PROJECT" "... with its listing through the tunnel"
unlike "$(ui_screen)" "correct horse|timeout|cannot connect" "... nothing else said, nothing echoed"

# -- Ctrl-C at the prompt -------------------------------------------------------------
# The shell survives the interrupt to say how the command ended; the
# command keeps the default disposition (a trap with a command is reset).
ui_start_cmd 120 30 "trap : INT; $list"
ui_wait "Passphrase for $TAP_TMP/locked:" 30 ||
	{ echo "Bail out! no prompt for Ctrl-C"; exit 1; }
ui_keys C-c
ok "Ctrl-C at the prompt ends the command at once" ui_wait "^exit (1|130)\$" 10

# -- a hop that uses the agent: its encrypted key is not asked for --------------------
sshd_agent_start "$SSHD_KEY" || { echo "Bail out! cannot start ssh-agent"; exit 1; }
UI_ENV="SSH_AUTH_SOCK='$SSH_AUTH_SOCK'"
ui_start_cmd 120 30 "'$OPSDECK' --config '$agented' store list; echo \"exit \$?\"; exec cat"
ok "with the agent the command succeeds" ui_wait "^exit 0" 60
unlike "$(ui_screen)" "Passphrase" "... and the encrypted key's passphrase is not asked for"
UI_ENV=
unset SSH_AUTH_SOCK

# -- completion asks for nothing ---------------------------------------------------------
out=$TAP_TMP/complete.out
err=$TAP_TMP/complete.err
complete="'$OPSDECK' --config '$locked' complete store >'$out' 2>'$err'"
ui_start_cmd 120 30 "s=\$(date +%s%N); $complete; \
echo \"exit \$? in \$(( (\$(date +%s%N) - s) / 1000000 )) ms\"; exec cat"
ok "completion through a tunnel with an encrypted key ends" ui_wait "^exit 0 in [0-9]+ ms" 30
ms=$(ui_screen | sed -n 's/^exit 0 in \([0-9]*\) ms$/\1/p')
# its database bound is 2 s; room for a busy machine, far from a prompt
ok "... within its bound (${ms:-?} ms)" [ "${ms:-99999}" -le 6000 ]
is "$(ui_screen | grep -v '^exit ' | tr -d ' \n')" "" "... printing nothing on the terminal"
is "$(cat "$out" "$err")" "" "... nor on its output"
ui_stop
