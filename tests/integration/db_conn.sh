# Runs the asynchronous connection tests (a cmocka program speaking TAP)
# against a private PostgreSQL; the program restarts it through $PG_CTL.
. "$top_srcdir/tests/lib/pg.sh"
if ! pg_start; then
	echo "Bail out! cannot start PostgreSQL"
	exit 1
fi
"$top_builddir/tests/integration/db_conn_test"
rc=$?
if [ $rc -ne 0 ]; then
	echo "# server log:"
	sed 's/^/# /' "$(pg_log)" | tail -20
fi
exit $rc
