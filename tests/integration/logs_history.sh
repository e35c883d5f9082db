# Following opsdeck's history of a store (a cmocka program speaking TAP)
# against a private PostgreSQL: each read after the first asks only for
# what is newer than what it has, a burst larger than one read comes
# whole, and a read's lines go by time among pods' lines that came first.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/store.sh"
# stores A and B, two hours old; 3,000 events of A, a second apart, an hour
# old and more, and some of B
store_db_two_ready History '2 hours' '2 hours'
psql -X -q -v ON_ERROR_STOP=1 <<'SQL' || { echo "Bail out! cannot add the events"; exit 1; }
SET session_replication_role = replica;
INSERT INTO opsdeck.events (at, actor, action, object, project, message)
SELECT now() - interval '2 hours' + i * interval '1 second', 'test', 'store.old', 'store/' || s.id,
       s.project, 'old ' || i
  FROM opsdeck.stores s, generate_series(1, 3000) i WHERE s.id = '00000000000a';
INSERT INTO opsdeck.events (actor, action, object, project, message)
SELECT 'test', 'store.old', 'store/' || s.id, s.project, 'other ' || i
  FROM opsdeck.stores s, generate_series(1, 50) i WHERE s.id = '00000000000b';
SQL

"$top_builddir/tests/integration/logs_history_test"
