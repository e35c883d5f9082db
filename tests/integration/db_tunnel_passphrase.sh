#!/bin/sh
# A CLI command whose database rides a tunnel with an encrypted key
# (tests/lib/sshd.sh, tests/lib/pg.sh): the passphrase is asked on the
# terminal before anything connects, so an operator who takes longer than
# the database's connect timeout (10 s) still gets the answer; Ctrl-C at
# the prompt ends the command at once, also in a command that handles
# SIGINT itself (logs -f), before any other key is asked for. A wrong
# passphrase is tried once, not at every reconnection. A hop that uses an
# agent holding a key is not asked for its encrypted key; a stale agent
# socket does not spare the prompt. Shell completion through the same
# tunnel asks for nothing, prints nothing on the terminal and answers
# within its bound.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sshd.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/ui/lib.sh"

plan 29

PG_TCP=1 pg_start || { echo "Bail out! cannot start PostgreSQL"; exit 1; }
sshd_start "$TAP_TMP/sshd" || { echo "Bail out! cannot start sshd"; exit 1; }
sshd_encrypted_key "$TAP_TMP/locked" 'correct horse' ||
	{ echo "Bail out! cannot make an encrypted key"; exit 1; }
sshd_encrypted_key "$TAP_TMP/locked2" 'battery staple' ||
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
is "$(connections)" "$before" "... nor while the operator takes their time"
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
before=$(connections)
ui_keys C-c
ok "Ctrl-C at the prompt ends the command at once" ui_wait "^exit 130\$" 10
is "$(connections)" "$before" "... without connecting to the bastion"

# -- Ctrl-C in a command with its own SIGINT handler, two keys to ask for --------------
cat >"$TAP_TMP/kubeconfig" <<EOK
apiVersion: v1
kind: Config
current-context: far
clusters:
  - name: far
    cluster:
      server: https://localhost:6443
contexts:
  - name: far
    context:
      cluster: far
      user: far
users:
  - name: far
    user:
      token: t
EOK
cat >"$TAP_TMP/twokeys.yaml" <<EOC
database: "$db"
tunnels:
  - name: bastion
    host: 127.0.0.1
    port: $SSHD_PORT
    user: $SSHD_USER
    identity_files: [$TAP_TMP/locked, $TAP_TMP/locked2]
    known_hosts: $SSHD_KNOWN_HOSTS
    agent: false
kube:
  kubeconfig: $TAP_TMP/kubeconfig
  context: far
  tunnels:
    far: bastion
EOC
ui_start_cmd 120 30 "trap : INT; '$OPSDECK' --config '$TAP_TMP/twokeys.yaml' logs -n shop -f; \
echo \"exit \$?\"; exec cat"
ui_wait "Passphrase for $TAP_TMP/locked:" 30 ||
	{ echo "Bail out! no prompt in logs -f"; exit 1; }
before=$(connections)
ui_keys C-c
ok "Ctrl-C at the first prompt of logs -f ends it as interrupted" ui_wait "^exit 130\$" 10
unlike "$(ui_screen)" "Passphrase for $TAP_TMP/locked2" "... without asking for the second key"
is "$(connections)" "$before" "... nor connecting to the bastion"

# -- the worker asks before its loop runs, not on a job's first use of a cluster ---------
ui_start_cmd 120 30 "trap : INT; '$OPSDECK' --config '$TAP_TMP/twokeys.yaml' worker; \
echo \"exit \$?\"; exec cat"
ok "the worker asks for the cluster's tunnel keys at its start" \
	ui_wait "Passphrase for $TAP_TMP/locked:" 30
unlike "$(ui_screen)" "running up to" "... before it runs jobs"
ui_text "correct horse"
ui_keys Enter
ui_wait "Passphrase for $TAP_TMP/locked2:" 30 ||
	{ echo "Bail out! no second prompt in the worker"; exit 1; }
ui_text "battery staple"
ui_keys Enter
ok "... and then runs" ui_wait "running up to" 30
ui_keys C-c
ok "... until interrupted" ui_wait "^exit [0-9]+\$" 30

# -- a wrong passphrase is tried once ---------------------------------------------------
ui_start_cmd 120 30 "$list"
ui_wait "Passphrase for $TAP_TMP/locked:" 30 ||
	{ echo "Bail out! no prompt for a wrong passphrase"; exit 1; }
ui_text "wrong horse"
ui_keys Enter
ok "a wrong passphrase fails the command" ui_wait "^exit 1\$" 60
like "$(ui_screen | tr -d '\n')" "wrong passphrase; run the command again" \
	"... tried once, then saying to run it again"

# -- a hop that uses the agent: its encrypted key is not asked for --------------------
sshd_agent_start "$SSHD_KEY" || { echo "Bail out! cannot start ssh-agent"; exit 1; }
UI_ENV="SSH_AUTH_SOCK='$SSH_AUTH_SOCK'"
ui_start_cmd 120 30 "'$OPSDECK' --config '$agented' store list; echo \"exit \$?\"; exec cat"
ok "with the agent the command succeeds" ui_wait "^exit 0" 60
unlike "$(ui_screen)" "Passphrase" "... and the encrypted key's passphrase is not asked for"
# an empty agent: asked, as ssh would
ssh-add -q -D 2>/dev/null
ui_start_cmd 120 30 "'$OPSDECK' --config '$agented' store list; echo \"exit \$?\"; exec cat"
ok "with an empty agent the key's passphrase is asked for" \
	ui_wait "Passphrase for $TAP_TMP/locked:" 30
ui_text "correct horse"
ui_keys Enter
ok "... and the command succeeds" ui_wait "^exit 0" 60
# an agent with another key: the encrypted one is neither in it nor asked
ssh-keygen -q -t ed25519 -N '' -C stray -f "$TAP_TMP/stray" &&
	ssh-add -q "$TAP_TMP/stray" 2>/dev/null ||
	{ echo "Bail out! cannot add a key to the agent"; exit 1; }
ui_start_cmd 120 30 "'$OPSDECK' --config '$agented' store list; echo \"exit \$?\"; exec cat"
ok "with another key in the agent the command fails" ui_wait "^exit 1" 60
like "$(ui_screen | tr -d '\n')" \
	"not in the agent and not asked; ssh-add it, or set agent: false on profile bastion" \
	"... saying first how to give the key"
# the same with a socket nothing answers on: asked, as ssh would
UI_ENV="SSH_AUTH_SOCK='$TAP_TMP/stale.sock'"
ui_start_cmd 120 30 "'$OPSDECK' --config '$agented' store list; echo \"exit \$?\"; exec cat"
ok "with a stale agent socket the key's passphrase is asked for" \
	ui_wait "Passphrase for $TAP_TMP/locked:" 30
ui_text "correct horse"
ui_keys Enter
ok "... and the command succeeds" ui_wait "^exit 0" 60
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
