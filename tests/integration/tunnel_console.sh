#!/bin/sh
# The console through an SSH tunnel (tests/lib/sshd.sh): the database is
# reached only through the `database_tunnel` profile (PostgreSQL listens on
# 127.0.0.1, the console is given no socket). The header shows the tunnel
# up with its round trip, down with the reason when sshd stops (the whole
# reason on the message line), and up again when sshd is back; the
# console answers keys meanwhile, and the Projects pane's data comes back
# with the database. At 120x40, then at 80x24. Then a key with a
# passphrase: asked on the terminal before the screen is taken; refused
# there, asked in a modal prompt of the console (Esc skips the key, the next
# attempt asks again), never shown, and the tunnel comes up with it. Last,
# two tunnels: the database's and a cluster's (kube.tunnels, kubesim over
# HTTPS verified by name), both in the header, down and up with sshd, the
# cluster's state following its tunnel.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/ui/lib.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/sshd.sh"
. "$top_srcdir/tests/lib/sim.sh"

plan 34

PG_TCP=1
export PG_TCP
ui_with_pg
sshd_start "$TAP_TMP/sshd" || { echo "Bail out! cannot start sshd"; exit 1; }

cat >"$UI_CONFIG/config.yaml" <<EOC
operator: tunnel-tester
database: "host=localhost port=$PG_TCP_PORT dbname=$PGDATABASE user=$PGUSER"
database_tunnel: bastion
tunnels:
  - name: bastion
    host: 127.0.0.1
    port: $SSHD_PORT
    user: $SSHD_USER
    identity_file: $SSHD_KEY
    known_hosts: $SSHD_KNOWN_HOSTS
    agent: false
    keepalive: 1
EOC
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
screen_has "and asks in a modal prompt when the tunnel tries again" \
	"Passphrase for $TAP_TMP/locked" 60
ui_esc
ui_wait_gone 'Esc = skip this key' 10
header_has "Esc skips the key: the tunnel is down with the reason" 'tunnel bastion: down: [a-z]'
screen_has "the next attempt asks again" 'Esc = skip this key' 60
ui_text 'correct horse'
if ui_screen | grep -q 'correct horse'; then
	fail "what is typed is never shown"
else
	pass "what is typed is never shown"
fi
ui_keys Enter
header_has "the tunnel comes up with the passphrase" 'tunnel bastion: up [0-9]+ ms' 60
header_has "and the database with it" 'db: ready' 60

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
