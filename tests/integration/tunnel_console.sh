#!/bin/sh
# The console through an SSH tunnel (tests/lib/sshd.sh): the database is
# reached only through the `database_tunnel` profile (PostgreSQL listens on
# 127.0.0.1, the console is given no socket). The header shows the tunnel
# up with its round trip, down with the reason when sshd stops (the whole
# reason on the message line), and up again when sshd is back; the
# console answers keys meanwhile, and the Projects pane's data comes back
# with the database. At 120x40, then at 80x24. Then a key with a
# passphrase: asked on the terminal before the screen is taken; refused
# there, asked on the console's prompt line while the loop goes on (the
# header keeps changing, the tunnel does not time out; Esc skips the key,
# the next attempt asks again, a wrong one is refused in words and asked
# again; a question that comes while `:` is being typed waits for it, said
# on the message line; Ctrl-c cancels as Esc), never shown nor logged, and
# the tunnel comes up with it. Then
# two tunnels: the database's and a cluster's (kube.tunnels, kubesim over
# HTTPS verified by name), both in the header, down and up with sshd, the
# cluster's state following its tunnel; last, both with the encrypted key,
# asked one after the other.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/ui/lib.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/sshd.sh"
. "$top_srcdir/tests/lib/sim.sh"

plan 63

PG_TCP=1
export PG_TCP
ui_with_pg
sshd_start "$TAP_TMP/sshd" || { echo "Bail out! cannot start sshd"; exit 1; }

{
	cat <<EOC
operator: tunnel-tester
database: "host=localhost port=$PG_TCP_PORT dbname=$PGDATABASE user=$PGUSER"
database_tunnel: bastion
tunnels:
EOC
	sshd_profile bastion "keepalive: 1"
} >"$UI_CONFIG/config.yaml"
# Changes made by another client, straight to the database's socket.
cat >"$TAP_TMP/direct.yaml" <<EOC
operator: other-client
database: "host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=$PGUSER"
EOC
direct() { "$OPSDECK" --config "$TAP_TMP/direct.yaml" "$@" >/dev/null; }
header() { ui_line 1; }
header_has() {
	if wait_for "header | grep -Eq -- '$2'" "${3:-30}"; then
		pass "$1"
	else
		fail "$1"
		diag "$(ui_screen)"
	fi
}

# one_outage W H CUSTOMER: sshd stops and comes back while the console
# runs at W x H; a customer made meanwhile shows once the database is back.
one_outage() {
	sshd_stop
	header_has "${1}x$2: the header shows the tunnel down with its reason" \
		'tunnel bastion: down: [a-z]'
	header_has "${1}x$2: and the database down with it" 'db: (down|connecting)'
	screen_has "${1}x$2: the whole reason is on the message line" \
		'tunnel bastion: down: session lost: .*closed'
	ui_keys 1
	if ui_wait_gone 'Acme Shops' 5; then
		pass "${1}x$2: keys are answered while the tunnel is down (another pane)"
	else
		fail "${1}x$2: keys are answered while the tunnel is down (another pane)"
		diag "$(ui_screen)"
	fi
	ui_keys 2
	screen_has "${1}x$2: and the Projects pane is shown again" 'Acme Shops' 5
	diag "$(ui_screen)"
	direct customer create "$3"
	sshd_restart
	header_has "${1}x$2: the tunnel is up again when sshd is back" \
		'tunnel bastion: up [0-9]+ ms' 60
	header_has "${1}x$2: and the database with it" 'db: ready' 60
	screen_has "${1}x$2: the pane's data comes back, with what changed meanwhile" "$3" 60
}

ui_start 120 40
header_has "the console reaches the database through the tunnel (migrated at start)" 'db: ready'
header_has "the header shows the tunnel up with its round trip" 'tunnel bastion: up [0-9]+ ms'
direct customer create "Acme Shops"
ui_keys 2
screen_has "the Projects pane lists what the database holds" 'Acme Shops'
one_outage 120 40 "Beta Ltd"

ui_resize 80 24
header_has "80x24: the tunnel shows in the header" 'tunnel bastion: up [0-9]+ ms'
one_outage 80 24 "Gamma Works"

# A key with a passphrase.
ui_stop
sshd_encrypted_key "$TAP_TMP/locked" 'correct horse' || exit 1
sed "s|identity_file: .*|identity_file: $TAP_TMP/locked|" "$UI_CONFIG/config.yaml" \
	>"$TAP_TMP/locked.yaml"
ui_start_cmd 120 40 "exec '$UI_BIN' --config '$TAP_TMP/locked.yaml'"
screen_has "a key's passphrase is asked on the terminal before the screen is taken" \
	"Passphrase for $TAP_TMP/locked"
ui_keys C-d
screen_has "refused there, the console starts" '1 Catalog' 60
prompt='Passphrase for [^ ]*locked \(tunnel bastion; not shown, Esc skips\)'
screen_has "and asks on the prompt line when the tunnel tries again" "$prompt" 60
header_has "the database is not reached meanwhile" 'db: (down|connecting)'
# db: FIELD of the header, to see it change
db_field() { header | grep -Eo 'db: [a-z]+' | head -n 1; }
prompt_changes_header() {
	before=$(db_field)
	if wait_for "[ \"\$(db_field)\" != '$before' ] && ui_screen | grep -Eq '$prompt'" 90; then
		pass "$1"
	else
		fail "$1"
		diag "$(ui_screen)"
	fi
}
asked_at=$(date +%s)
prompt_changes_header "the loop runs while the prompt is open: the header's database state changes"
# Past the 15 s connect timeout, the tunnel never down meanwhile.
wait_for "header | grep -q 'tunnel bastion: down' || [ \$((\$(date +%s) - $asked_at)) -ge 20 ]" 60
if header | grep -q 'tunnel bastion: connecting' && ui_screen | grep -Eq "$prompt"; then
	pass "the waiting tunnel does not time out (20 s with the prompt open)"
else
	fail "the waiting tunnel does not time out (20 s with the prompt open)"
	diag "$(ui_screen)"
fi
ui_esc
if ui_wait_gone 'Esc skips' 10; then
	pass "Esc closes the prompt"
else
	fail "Esc closes the prompt"
	diag "$(ui_screen)"
fi
header_has "Esc skips the key: the tunnel is down with the reason" 'tunnel bastion: down: [a-z]'
screen_has "the reason says the passphrase was cancelled" 'locked \(encrypted, passphrase cancel'
screen_has "the next attempt asks again" "$prompt" 60
# A question that comes while a command is being typed waits for it.
sshd_stop
ui_esc
header_has "skipped again with sshd stopped: the tunnel is down" 'tunnel bastion: down: [a-z]' 60
ui_keys :
ui_text 'cust'
sshd_restart
screen_has "a question that comes while ':' is open is said on the message line" \
	'tunnel bastion wants the passphrase of [^ ]*locked: finish this first' 90
if ui_screen | grep -q '^:cust' && ! ui_screen | grep -Eq "$prompt"; then
	pass "the command line keeps what was typed, the question waits"
else
	fail "the command line keeps what was typed, the question waits"
	diag "$(ui_screen)"
fi
ui_text 'x'
if wait_for "ui_screen | grep -q '^:custx'" 10; then
	pass "and its keys still go to the command line"
else
	fail "and its keys still go to the command line"
	diag "$(ui_screen)"
fi
ui_esc
screen_has "the passphrase prompt opens once the command line is closed" "$prompt" 30
ui_text 'wrong horse'
ui_keys Enter
screen_has "a wrong passphrase is refused in words" 'locked \(wrong passphrase\)' 60
unlike "$(ui_screen)" 'wrong horse' "what was typed is not shown"
screen_has "and asked again" "$prompt" 60
ui_text 'correct'
ui_keys C-c
if ui_wait_gone 'Esc skips' 10; then
	pass "Ctrl-c in the passphrase prompt closes it, as Esc"
else
	fail "Ctrl-c in the passphrase prompt closes it, as Esc"
	diag "$(ui_screen)"
fi
header_has "the console still runs: the key skipped, the tunnel down" \
	'tunnel bastion: down: [a-z]' 30
screen_has "and the next attempt asks again" "$prompt" 60
ui_text 'correct horse'
# A new size after the keys: the console's redraw at 100x30 puts the prompt
# on line 30, where the old screen had nothing.
ui_resize 100 30
if wait_for "ui_line 30 | grep -Eq '$prompt'" 30; then
	pass "the screen is redrawn after typing (at the new size, the prompt still open)"
else
	fail "the screen is redrawn after typing (at the new size, the prompt still open)"
	diag "$(ui_screen)"
fi
unlike "$(ui_screen)" 'correct horse' "what is typed is never shown"
ui_keys Enter
header_has "the tunnel comes up with the passphrase" 'tunnel bastion: up [0-9]+ ms' 60
header_has "and the database with it" 'db: ready' 60
sshd_stop
header_has "the database goes down with the tunnel" 'db: (down|connecting)' 60
sshd_restart
header_has "the kept passphrase brings the tunnel back unasked" 'tunnel bastion: up [0-9]+ ms' 60
if grep -rqs 'correct horse' "$UI_TMP/state" "$UI_TMP/home" "$UI_TMP/config"; then
	fail "the passphrase is in no file the console wrote"
	diag "$(grep -rls 'correct horse' "$UI_TMP/state" "$UI_TMP/home" "$UI_TMP/config")"
else
	pass "the passphrase is in no file the console wrote"
fi
ls -R "$UI_TMP/state" | grep -q . || diag "no state files written"

# Two tunnels: the database's and the cluster's, each its own session.
ui_stop
kc=$TAP_TMP/kube
mkdir -p "$kc"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=localhost -addext subjectAltName=DNS:localhost \
	-keyout "$kc/key.pem" -out "$kc/cert.pem" 2>"$kc/openssl.err" ||
	{ echo "Bail out! cannot make a certificate"; exit 1; }
sim_start "$kc" --cert "$kc/cert.pem" --key "$kc/key.pem" ||
	{ echo "Bail out! cannot start kubesim"; exit 1; }
sed "s#https://127.0.0.1:#https://localhost:#" "$KUBECONFIG" >"$kc/kubeconfig-name"
{
	cat "$UI_CONFIG/config.yaml"
	sed -n '/^  - name: bastion/,$p' "$UI_CONFIG/config.yaml" | sed 's/name: bastion/name: kubebastion/'
	printf 'kube:\n  kubeconfig: %s\n  tunnels:\n    %s: kubebastion\n' \
		"$kc/kubeconfig-name" "$SIM_CONTEXT"
} >"$TAP_TMP/two.yaml"
psql -X -q -v ON_ERROR_STOP=1 -c "INSERT INTO opsdeck.clusters (name, kube_context)
	VALUES ('sim', '$SIM_CONTEXT')" >/dev/null || { echo "Bail out! cannot add a cluster"; exit 1; }
ui_start 120 40 --config "'$TAP_TMP/two.yaml'"
header_has "two tunnels show in the header, each up" \
	'tunnels: (bastion|kubebastion) up [0-9]+ ms, (bastion|kubebastion) up [0-9]+ ms' 60
header_has "the cluster is reached through its tunnel" 'cluster sim: ok' 60
sshd_stop
header_has "both go down with sshd" \
	'tunnels: (bastion|kubebastion) down, (bastion|kubebastion) down' 60
screen_has "the reason is on the message line" 'tunnel (bastion|kubebastion): down: session lost'

header_has "and the cluster with its tunnel" 'cluster sim: (unreachable|connecting)' 60
sshd_restart
header_has "both come back" \
	'tunnels: (bastion|kubebastion) up [0-9]+ ms, (bastion|kubebastion) up [0-9]+ ms' 60
header_has "the cluster with them" 'cluster sim: ok' 60
header_has "and the database" 'db: ready' 60

# Both tunnels with the encrypted key: each asks on the prompt line in turn.
ui_stop
sed "s|identity_file: .*|identity_file: $TAP_TMP/locked|" "$TAP_TMP/two.yaml" \
	>"$TAP_TMP/two-locked.yaml"
ui_start_cmd 120 40 "exec '$UI_BIN' --config '$TAP_TMP/two-locked.yaml'"
screen_has "two locked tunnels: the terminal asks first" "Passphrase for $TAP_TMP/locked" 60
ui_keys C-d
screen_has "the console starts" '1 Catalog' 60
tprompt='Passphrase for [^ ]*locked \(tunnel (bastion|kubebastion); not shown'
screen_has "the first tunnel's question is on the prompt line" "$tprompt" 60
first=$(ui_screen | grep -Eo "$tprompt" | grep -Eo 'tunnel [a-z]+')
ui_text 'correct horse'
ui_keys Enter
other='Passphrase for [^ ]*locked \(tunnel (bastion|kubebastion); not shown'
if wait_for "ui_screen | grep -Eo '$other' | grep -Eqv '$first;'" 60; then
	pass "then the other tunnel's question, once the first is answered"
else
	fail "then the other tunnel's question, once the first is answered"
	diag "first: $first"
	diag "$(ui_screen)"
fi
ui_text 'correct horse'
ui_keys Enter
header_has "both tunnels come up with their answers" \
	'tunnels: (bastion|kubebastion) up [0-9]+ ms, (bastion|kubebastion) up [0-9]+ ms' 60
header_has "and the database rides its tunnel" 'db: ready' 60
if grep -rqs 'correct horse' "$UI_TMP/state" "$UI_TMP/home" "$UI_TMP/config"; then
	fail "no file the console wrote holds the passphrase"
else
	pass "no file the console wrote holds the passphrase"
fi
