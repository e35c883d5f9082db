# The live lists' typed notices and the connection's link checks (a cmocka
# program speaking TAP), against a private PostgreSQL that also listens on
# TCP, reached directly and through a proxy that can go silent.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/store.sh"
PG_TCP=1
# Two stores, A then B.
store_db_two_ready Live '2 min' '1 min'

python3 "$top_srcdir/tests/integration/db_link_proxy.py" "$PG_TCP_PORT" "$work/proxy.port" \
	2>"$work/proxy.log" &
PROXY_PID=$!
pg_on_exit "kill $PROXY_PID 2>/dev/null"
wait_for "[ -s '$work/proxy.port' ]" 10 || { echo "Bail out! the proxy did not start"; exit 1; }
PROXY_PORT=$(cat "$work/proxy.port")
export PROXY_PID PROXY_PORT

"$top_builddir/tests/integration/db_live_test"
rc=$?
if [ $rc -ne 0 ]; then
	echo "# server log:"
	sed 's/^/# /' "$(pg_log)" | tail -20
	sed 's/^/# proxy: /' "$work/proxy.log"
fi
exit $rc
