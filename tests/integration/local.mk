# Integration tests against real servers started by the tests themselves
# (tests/lib/pg.sh: a private PostgreSQL on a Unix socket per script).
TESTS += tests/integration/pg_harness.sh
EXTRA_DIST += tests/lib/tap.sh tests/lib/pg.sh tests/integration/pg_harness.sh
