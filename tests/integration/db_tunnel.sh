#!/bin/sh
# The database through an SSH tunnel (database_tunnel) to a private OpenSSH
# sshd: a blocking connection (the CLI's) and the loop's connection (the
# console's) reach a PostgreSQL that listens on 127.0.0.1 through the
# bastion, keeping the database's host name, by which TLS (verify-full)
# checks the server; the loop's connection goes down with the tunnel when
# sshd stops and comes back, with its queries, when sshd is back. A Unix
# socket is refused in words. The CLI migrates, reports and lists through
# the tunnel, and fails in words without it, naming the server and the
# tunnel. The server asks for a password on TCP: it comes from ~/.pgpass's
# line for the database's host and port (or the passfile parameter's file),
# not the tunnel's local port, on the port as written; libpq never looks
# the local port up itself; a wrong password from the file is said to come
# from it; a password file others may read is ignored with a warning (ours,
# not libpq's on stderr); a service that could supply the host, port, user,
# database or password file is refused. The database through a two-hop
# chain (a profile `via` the bastion).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sshd.sh"
. "$top_srcdir/tests/lib/pg.sh"

plan 40

# A certificate for the name localhost only: TLS verified by name through
# the tunnel's 127.0.0.1.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TAP_TMP/server.key" \
	-out "$TAP_TMP/server.crt" -days 2 -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost 2>/dev/null ||
	{ echo "Bail out! cannot make a certificate"; exit 1; }
pw=tunnel-pw-$$
PG_PASSWORD=$pw PG_TCP=1 PG_SSL_CERT=$TAP_TMP/server.crt PG_SSL_KEY=$TAP_TMP/server.key pg_start ||
	{ echo "Bail out! cannot start PostgreSQL"; exit 1; }
# The bastion, and a second hop: an sshd on 127.0.0.2 reached through it.
sshd_start_pair "$TAP_TMP/sshd" "$TAP_TMP/inner" || { echo "Bail out! cannot start sshd"; exit 1; }
prog=$top_builddir/tests/integration/db_tunnel_test
conf=$TAP_TMP/config.yaml
export HOME=$TAP_TMP
unset SSH_AUTH_SOCK
# The only password: for the database's name and port, as libpq matches it.
printf '# the test server\nlocalhost:%s:%s:%s:%s\n' "$PG_TCP_PORT" "$PGDATABASE" "$PGUSER" \
	"$pw" >"$HOME/.pgpass"
chmod 600 "$HOME/.pgpass"

# write_conf DATABASE [PROFILE]: the settings with the bastion's profile
# (PROFILE "inner": and one via it), the database through PROFILE
# (default: bastion)
write_conf() {
	{
		printf 'database: "%s"\ndatabase_tunnel: %s\ntunnels:\n' "$1" "${2:-bastion}"
		sshd_profile bastion "keepalive: 1"
		if [ "${2:-}" = inner ]; then
			sshd_profile -i inner inner "keepalive: 1" "via: bastion"
		fi
	} >"$conf"
}

write_conf "host=localhost port=$PG_TCP_PORT dbname=$PGDATABASE user=$PGUSER"
out=$(timeout 60 "$prog" open "$conf" 2>&1)
like "$out" "answer 42" "a blocking connection answers through the tunnel, with ~/.pgpass's password"
like "$out" "host localhost" "it keeps the database's host name"
lport=$(printf '%s\n' "$out" | sed -n 's/^local //p')
like "$out" "port $lport\$" "it connects to the tunnel's local port ($lport), not $PG_TCP_PORT"
ok "the local port is not the server's ($lport, $PG_TCP_PORT)" \
	test -n "$lport" -a "$lport" != "$PG_TCP_PORT"

chmod 644 "$HOME/.pgpass"
out=$(timeout 60 "$prog" open "$conf" 2>&1)
like "$out" "^error: cannot connect to the database localhost:$PG_TCP_PORT through tunnel bastion: " \
	"a failure names the server and the tunnel"
like "$out" "password file .*\.pgpass has group or world access; permissions should be u=rw" \
	"a password file others may read is ignored, with libpq's warning"
unlike "$out" "^WARNING: password file" "libpq reads no password file itself, nor warns on stderr"
chmod 600 "$HOME/.pgpass"

# A wrong password read from the file: said to come from it, never shown.
cp "$HOME/.pgpass" "$TAP_TMP/good.pgpass"
printf 'localhost:%s:%s:%s:wrong-pw-%s\n' "$PG_TCP_PORT" "$PGDATABASE" "$PGUSER" $$ \
	>"$HOME/.pgpass"
out=$(timeout 60 "$prog" open "$conf" 2>&1)
from="\(password from $HOME/\.pgpass\)"
like "$out" "through tunnel bastion: .*password authentication failed.* $from" \
	"a wrong password from the file is said to come from it"
unlike "$out" "wrong-pw-$$" "the password read is not shown"
# An empty password for the server: no password, as directly; libpq does
# not go on to match the local port against the next line.
printf 'localhost:%s:%s:%s:\n*:*:*:*:%s\n' "$PG_TCP_PORT" "$PGDATABASE" "$PGUSER" "$pw" \
	>"$HOME/.pgpass"
out=$(timeout 60 "$prog" open "$conf" 2>&1)
like "$out" "^error: cannot connect to the database localhost:$PG_TCP_PORT through tunnel bastion: " \
	"an empty password from the file is the one used"
# The port as written: libpq compares the text, so 0PORT is not PORT.
cp "$TAP_TMP/good.pgpass" "$HOME/.pgpass"
write_conf "host=localhost port=0$PG_TCP_PORT dbname=$PGDATABASE user=$PGUSER"
out=$(timeout 60 "$prog" open "$conf" 2>&1)
like "$out" "error: .*localhost:0$PG_TCP_PORT through tunnel bastion: .*password" \
	"the password file is matched on the port as written"
printf 'localhost:0%s:%s:%s:%s\n' "$PG_TCP_PORT" "$PGDATABASE" "$PGUSER" "$pw" >"$HOME/.pgpass"
out=$(timeout 60 "$prog" open "$conf" 2>&1)
like "$out" "answer 42" "and a line with the port so written gives the password"
cp "$TAP_TMP/good.pgpass" "$HOME/.pgpass"

mv "$HOME/.pgpass" "$TAP_TMP/other.pgpass"
write_conf "host=localhost port=$PG_TCP_PORT dbname=$PGDATABASE user=$PGUSER"
out=$(timeout 60 "$prog" open "$conf" 2>&1)
like "$out" "error: .*through tunnel bastion: .*password" "without a password file the server refuses"
write_conf "host=localhost port=$PG_TCP_PORT dbname=$PGDATABASE user=$PGUSER passfile=$TAP_TMP/other.pgpass"
out=$(timeout 60 "$prog" open "$conf" 2>&1)
like "$out" "answer 42" "the passfile parameter names the password file"
out=$(PGPASSFILE=$TAP_TMP/other.pgpass timeout 60 "$prog" open "$conf" 2>&1)
like "$out" "answer 42" "and so does PGPASSFILE"
mv "$TAP_TMP/other.pgpass" "$HOME/.pgpass"
write_conf "host=localhost port=$PG_TCP_PORT dbname=$PGDATABASE user=$PGUSER"
out=$(PGPASSWORD=wrong timeout 60 "$prog" open "$conf" 2>&1)
like "$out" "error: .*password authentication failed" "PGPASSWORD goes before the password file"

tls="sslmode=verify-full sslrootcert=$TAP_TMP/server.crt"
write_conf "host=localhost port=$PG_TCP_PORT dbname=$PGDATABASE user=$PGUSER $tls"
out=$(timeout 60 "$prog" open "$conf" 2>&1)
like "$out" "answer 42" "TLS verifies the server by the database's name through the tunnel"
like "$out" "ssl on" "the connection is encrypted"
write_conf "host=127.0.0.1 port=$PG_TCP_PORT dbname=$PGDATABASE user=$PGUSER $tls"
out=$(timeout 60 "$prog" open "$conf" 2>&1)
like "$out" "error: cannot connect to the database 127\.0\.0\.1:$PG_TCP_PORT through tunnel bastion: .*does not match host name \"127.0.0.1\"" \
	"a name the certificate does not carry is refused, though the address is the same"

write_conf "host=$(dirname "$(pg_log)") dbname=$PGDATABASE"
out=$(timeout 60 "$prog" refuse "$conf" 2>&1)
like "$out" "refused: database_tunnel needs the database's host name in the database setting" \
	"a Unix socket is refused in words"
# A service fills only what the conninfo leaves unset.
printf '[prod]\nhost=elsewhere.invalid\nport=1\nuser=nobody\ndbname=none\n' \
	>"$TAP_TMP/pg_service.conf"
export PGSERVICEFILE=$TAP_TMP/pg_service.conf
write_conf "service=prod dbname=$PGDATABASE"
out=$(timeout 60 "$prog" refuse "$conf" 2>&1)
named="name host, port, user, dbname and passfile \(or password\)"
like "$out" "refused: database_tunnel: the database setting names a service: $named in it instead" \
	"a service that could supply the host is refused in words"
write_conf "host=localhost port=$PG_TCP_PORT dbname=$PGDATABASE"
out=$(PGSERVICE=prod timeout 60 "$prog" refuse "$conf" 2>&1)
like "$out" "refused: database_tunnel: PGSERVICE is set in the environment: unset it, or $named in the" \
	"and so is PGSERVICE, which could supply the user and the password file"
write_conf "host=localhost port=$PG_TCP_PORT dbname=$PGDATABASE user=$PGUSER passfile=$HOME/.pgpass"
out=$(PGSERVICE=prod timeout 60 "$prog" open "$conf" 2>&1)
like "$out" "answer 42" "PGSERVICE with all that routing needs named in the setting connects"
unset PGSERVICEFILE

write_conf "host=localhost port=$PG_TCP_PORT dbname=$PGDATABASE user=$PGUSER"
od() { timeout 60 "$OPSDECK" --config "$conf" "$@"; }
ok "the CLI migrates the database through the tunnel" od db migrate
out=$(od db status 2>&1)
like "$out" "schema version [0-9]+; this opsdeck knows [0-9]+; 0 pending" "db status answers through the tunnel"
out=$(od store list 2>&1)
like "$out" "^ID +NAME +PROJECT" "store list answers through the tunnel"
closed=$(tap_free_ports 1)
write_conf "host=localhost port=$closed dbname=$PGDATABASE user=$PGUSER"
out=$(od db status 2>&1)
like "$out" "database localhost:$closed through tunnel bastion: .*; the bastion could not open a connection to localhost:$closed" \
	"a channel the bastion refuses is said"
write_conf "host=localhost port=$PG_TCP_PORT dbname=$PGDATABASE user=$PGUSER"
sshd_stop
out=$(od store list 2>&1)
rc=$?
ok "without the tunnel the CLI fails" [ "$rc" -ne 0 ]
like "$out" "cannot connect to the database localhost:$PG_TCP_PORT through tunnel bastion: " \
	"and says so in words, naming the server and the tunnel"
like "$out" "through tunnel bastion: .*; tunnel bastion down: " "with the tunnel's down reason"
diag "$out"
sshd_restart

log=$TAP_TMP/loop.log
stop=$TAP_TMP/stop
"$prog" loop "$conf" "$log" "$stop" 2>"$TAP_TMP/loop.err" &
loop_pid=$!
tap_on_exit "touch $stop; wait $loop_pid 2>/dev/null"

count() { grep -c "$1" "$log" 2>/dev/null || echo 0; }
ok "the loop's connection is ready through the tunnel" \
	wait_for "[ \$(count '^db ready') -ge 1 ] && [ \$(count '^query 42') -ge 1 ]" 60
ok "the tunnel is up" wait_for "grep -q '^tunnel bastion up' '$log'" 30

sshd_stop
ok "the connection goes down when sshd stops" wait_for "grep -q '^db down' '$log'" 60
ok "saying why, through which tunnel" \
	wait_for "grep -q '^db down: database localhost:$PG_TCP_PORT through tunnel bastion: .*; tunnel bastion down: ' '$log'" 60
ok "the tunnel is down with its reason" \
	wait_for "grep -q '^tunnel bastion down: [a-z]' '$log'" 60
sshd_restart
ok "the connection is ready again when sshd is back" \
	wait_for "[ \$(count '^db ready') -ge 2 ]" 90
ok "and answers queries" wait_for "[ \$(count '^query 42') -ge 2 ]" 30

touch "$stop"
wait "$loop_pid"
is "$?" 0 "the loop's client ends cleanly"
diag "$(cat "$log")"

write_conf "host=localhost port=$PG_TCP_PORT dbname=$PGDATABASE user=$PGUSER" inner
out=$(od db status 2>&1)
like "$out" "schema version [0-9]+; this opsdeck knows [0-9]+; 0 pending" \
	"db status answers through a two-hop chain"
sshd_use inner
sshd_stop
sshd_use default
out=$(od db status 2>&1)
like "$out" "through tunnel inner: " "without its second hop it fails, naming the tunnel"
