# A private PostgreSQL server for one test script. Source it, then:
#
#   pg_start      initdb in a fresh temporary directory, start the server on a
#                 Unix socket only (no TCP), wait until it accepts
#                 connections (30 s deadline), export PGHOST, PGPORT,
#                 PGDATABASE, PGUSER and OPSDECK_TEST_DB (a libpq conninfo),
#                 and PG_CTL (an executable: `$PG_CTL stop|start|restart`, for
#                 test programs that need to take the server away). Registers
#                 its cleanup with tap_on_exit (tests/lib/tap.sh): the
#                 server is stopped, and waited for, at exit.
#   pg_stop       stop the server (fast shutdown), keeping its data
#   pg_restart    start it again on the same data directory (after pg_stop),
#                 or stop and start it if it is running
#   pg_createdb N create an empty database N; prints its conninfo
#   pg_on_exit C  run shell command C before the server is torn down
#   pg_log        the server's log file (for diag on failure)
#
# PG_TCP=1 before pg_start: the server also listens on 127.0.0.1, on a free
# port (the socket's name follows it), exported as PG_TCP_PORT.
# PG_SSL_CERT=FILE PG_SSL_KEY=FILE before pg_start: TLS on, with that
# certificate and key (copied into the data directory).
# PG_PASSWORD=TEXT before pg_start: TCP connections authenticate with
# scram-sha-256, user opsdeck's password being TEXT; the Unix socket stays
# trust (psql, pg_createdb).
#
# The server programs are looked up in $PG_BINDIR, then
# /usr/lib/postgresql/*/bin (newest first), then pg_config --bindir. initdb
# refuses to run as root, so under uid 0 the server runs as the `postgres`
# user (or `nobody`) and owns the temporary directory.

command -v tap_on_exit >/dev/null 2>&1 || . "$top_srcdir/tests/lib/tap.sh"

pg__find_bindir() {
	if [ -n "${PG_BINDIR:-}" ] && [ -x "$PG_BINDIR/initdb" ]; then
		echo "$PG_BINDIR"
		return 0
	fi
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5 -n -r); do
		if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
			echo "$d"
			return 0
		fi
	done
	if command -v pg_config >/dev/null 2>&1; then
		d=$(pg_config --bindir)
		if [ -x "$d/initdb" ]; then
			echo "$d"
			return 0
		fi
	fi
	return 1
}

pg__exit_hooks=

pg_on_exit() {
	pg__exit_hooks="$pg__exit_hooks
$1"
}

pg__cleanup() {
	pg__rc=$?
	if [ -n "$pg__exit_hooks" ]; then
		eval "$pg__exit_hooks" || :
	fi
	if [ -n "${pg__dir:-}" ] && [ -d "$pg__dir" ]; then
		# pg_ctl -w returns once the server and its processes are gone.
		if [ -f "$pg__dir/data/postmaster.pid" ]; then
			"$pg__dir/ctl" stop >/dev/null 2>&1 || "$pg__dir/ctl" kill >/dev/null 2>&1 || :
		fi
		rm -rf "$pg__dir"
	fi
	pg__dir=
	return $pg__rc
}

pg_log() {
	echo "$pg__dir/server.log"
}

pg_start() {
	pg__bindir=$(pg__find_bindir) || {
		echo "pg_start: PostgreSQL server programs not found (install the Debian package postgresql)" >&2
		return 1
	}
	pg__base=${TMPDIR:-/tmp}
	# A Unix socket path is limited to about 107 bytes.
	if [ ${#pg__base} -gt 60 ]; then
		pg__base=/tmp
	fi
	pg__dir=$(mktemp -d "$pg__base/opsdeck-pg.XXXXXX") || return 1
	tap_on_exit pg__cleanup
	pg__runas=
	if [ "$(id -u)" = 0 ]; then
		pg__user=postgres
		id -u "$pg__user" >/dev/null 2>&1 || pg__user=nobody
		chown "$pg__user" "$pg__dir" || return 1
		pg__runas="runuser -u $pg__user --"
	fi
	pg__auth=--auth=trust
	if [ -n "${PG_PASSWORD:-}" ]; then
		printf '%s\n' "$PG_PASSWORD" >"$pg__dir/pwfile" || return 1
		[ -z "$pg__runas" ] || chown "$pg__user" "$pg__dir/pwfile" || return 1
		pg__auth="--auth-local=trust --auth-host=scram-sha-256 --pwfile=$pg__dir/pwfile"
	fi
	if ! $pg__runas "$pg__bindir/initdb" -D "$pg__dir/data" $pg__auth -U opsdeck \
		-E UTF8 --no-locale -N >"$pg__dir/initdb.log" 2>&1; then
		echo "pg_start: initdb failed:" >&2
		cat "$pg__dir/initdb.log" >&2
		return 1
	fi
	pg__port=5432
	pg__listen=
	if [ "${PG_TCP:-}" = 1 ]; then
		pg__port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') || return 1
		pg__listen=127.0.0.1
		PG_TCP_PORT=$pg__port
		export PG_TCP_PORT
	fi
	# Throw-away data: durability settings off for speed.
	cat >>"$pg__dir/data/postgresql.conf" <<EOC
listen_addresses = '$pg__listen'
unix_socket_directories = '$pg__dir'
port = $pg__port
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 40
shared_buffers = 16MB
log_min_messages = warning
EOC
	if [ -n "${PG_SSL_CERT:-}" ]; then
		cp "$PG_SSL_CERT" "$pg__dir/data/server.crt" &&
			cp "$PG_SSL_KEY" "$pg__dir/data/server.key" &&
			chmod 600 "$pg__dir/data/server.key" || return 1
		if [ -n "$pg__runas" ]; then
			chown "$pg__user" "$pg__dir/data/server.crt" "$pg__dir/data/server.key" || return 1
		fi
		printf "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n" \
			>>"$pg__dir/data/postgresql.conf"
	fi
	cat >"$pg__dir/ctl" <<EOC
#!/bin/sh
# Controls the test server in $pg__dir: start|stop|restart|kill.
ctl() { $pg__runas '$pg__bindir/pg_ctl' -D '$pg__dir/data' "\$@" >>'$pg__dir/ctl.log' 2>&1; }
ready() {
	# pg_ctl -w already waited; this double-checks within the same deadline.
	i=0
	while [ \$i -lt 300 ]; do
		'$pg__bindir/pg_isready' -q -h '$pg__dir' -p $pg__port && return 0
		sleep 0.1
		i=\$((i + 1))
	done
	echo "test server did not become ready; see $pg__dir/server.log" >&2
	return 1
}
case "\$1" in
start) ctl -l '$pg__dir/server.log' -w -t 30 start && ready ;;
stop) ctl -m fast -w -t 30 stop ;;
restart) ctl -m fast -w -t 30 stop; ctl -l '$pg__dir/server.log' -w -t 30 start && ready ;;
kill) ctl -m immediate -w -t 30 stop ;;
*) echo "usage: \$0 start|stop|restart|kill" >&2; exit 2 ;;
esac
EOC
	chmod 755 "$pg__dir/ctl"
	if ! "$pg__dir/ctl" start; then
		echo "pg_start: the server did not start:" >&2
		cat "$pg__dir/server.log" "$pg__dir/ctl.log" >&2 2>/dev/null
		return 1
	fi
	unset PGSERVICE PGHOSTADDR PGPASSWORD PGPASSFILE PGOPTIONS PGSSLMODE
	PGHOST=$pg__dir
	PGPORT=$pg__port
	PGDATABASE=postgres
	PGUSER=opsdeck
	PG_CTL=$pg__dir/ctl
	OPSDECK_TEST_DB="host=$pg__dir port=$pg__port dbname=postgres user=opsdeck"
	export PGHOST PGPORT PGDATABASE PGUSER PG_CTL OPSDECK_TEST_DB
}

pg_stop() {
	"$pg__dir/ctl" stop
}

pg_restart() {
	if [ -f "$pg__dir/data/postmaster.pid" ]; then
		"$pg__dir/ctl" restart
	else
		"$pg__dir/ctl" start
	fi
}

pg_createdb() {
	case "$1" in
	'' | *[!a-z0-9_]*)
		echo "pg_createdb: database names here are [a-z0-9_]+" >&2
		return 2
		;;
	esac
	"$pg__bindir/psql" -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE \"$1\"" >/dev/null || return 1
	echo "host=$pg__dir port=$pg__port dbname=$1 user=opsdeck"
}
