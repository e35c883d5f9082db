# The PostgreSQL test harness itself: start, query, stop/restart, and
# nothing left running or on disk afterwards.
. "$top_srcdir/tests/lib/tap.sh"

plan 10

# Everything runs in a subshell so that its EXIT trap (the harness's
# cleanup) runs before we look for leftovers.
out=$(
	. "$top_srcdir/tests/lib/pg.sh"
	pg_start || exit 1
	echo "dir=$PGHOST"
	echo "pid=$(head -1 "$PGHOST/data/postmaster.pid")"
	echo "answer=$(psql -X -At -c 'SELECT 6 * 7')"
	echo "conninfo=$(psql -X -At -d "$OPSDECK_TEST_DB" -c 'SELECT current_user')"
	echo "tcp=$(psql -X -At -c 'SHOW listen_addresses')"
	db=$(pg_createdb harness_extra) && echo "createdb=$(psql -X -At -d "$db" -c 'SELECT current_database()')"
	pg_stop && echo "stopped=$(psql -X -At -c 'SELECT 1' 2>/dev/null || echo refused)"
	pg_restart && echo "restarted=$(psql -X -At -c 'SELECT 2')"
	echo "pid2=$(head -1 "$PGHOST/data/postmaster.pid")"
)
diag "$out"

# A zombie (exited, not yet reaped by whoever adopted it) is not running.
alive() {
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "${st#Z}" = "$st" ]
}

get() { printf '%s\n' "$out" | sed -n "s/^$1=//p"; }

dir=$(get dir)
pid=$(get pid)
pid2=$(get pid2)
like "$dir" '^/.*opsdeck-pg\.' "pg_start made a temporary directory"
is "$(get answer)" 42 "a query runs through psql on the socket"
is "$(get conninfo)" opsdeck "OPSDECK_TEST_DB connects as the opsdeck superuser"
is "$(get tcp)" "" "the server does not listen on TCP"
is "$(get createdb)" harness_extra "pg_createdb creates a database"
is "$(get stopped)" refused "pg_stop stops the server"
is "$(get restarted)" 2 "pg_restart brings it back on the same data"
nok "the first server process is gone" alive "${pid:-999999999}"
nok "the restarted server process is gone after the script exits" alive "${pid2:-999999999}"
nok "the temporary directory is removed" test -e "${dir:-/nonexistent}"
