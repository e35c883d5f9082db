# Schema migrations through the CLI: from an empty database, re-run as a
# no-op, concurrent runs, a database newer than the binary, a changed
# migration, read-only mode, unmigrated and unreachable databases.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/pg.sh"

plan 30

pg_start || { echo "Bail out! cannot start PostgreSQL"; exit 1; }
work=$(mktemp -d)
pg_on_exit "rm -rf '$work'"
export XDG_CONFIG_HOME="$work/config"
printf 'operator: migrator\n' >"$work/op.yaml"

od() { "$OPSDECK" -c "$work/op.yaml" "$@"; }
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }

# ---- from empty ----
out=$(od db status 2>&1); rc=$?
is "$rc" 0 "db status works on an empty database"
like "$out" '^001 +001_init +pending +-' "an empty database has 001_init pending"
out=$(od customer list 2>&1); rc=$?
is "$rc" 1 "commands refuse an unmigrated database"
like "$out" 'run `opsdeck db migrate`' "and say what to do"

out=$(od db migrate 2>&1); rc=$?
is "$rc" 0 "db migrate succeeds on an empty database"
like "$out" '^applied 2 migrations; the schema is at version 2$' "and says what it applied"
is "$(q -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'opsdeck'")" 11 "the schema has its eleven tables"
is "$(q -c "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'opsdeck'")" \
	"clusters,customers,events,job_steps,jobs,offerings,plans,projects,schema_migrations,settings,stores" "named as designed"
is "$(q -c "SELECT string_agg(version || ' ' || name, ',' ORDER BY version) FROM opsdeck.schema_migrations")" "1 001_init,2 002_runner" "the migrations are recorded"
is "$(q -c "SELECT actor || ' ' || action || ' ' || message FROM opsdeck.events")" \
	"migrator schema.migrate migrated the schema from version 0 to 2" "migrating is audited"

# ---- re-run ----
out=$(od db migrate 2>&1); rc=$?
is "$rc" 0 "a second db migrate succeeds"
is "$out" "the schema is up to date (version 2)" "and does nothing"
is "$(q -c "SELECT count(*) FROM opsdeck.schema_migrations")" 2 "nothing new is recorded"
is "$(q -c "SELECT count(*) FROM opsdeck.events")" 1 "no-op runs write no audit event"
out=$(od db status --json)
is "$(printf '%s' "$out" | tr -d ' \n')" \
	"$(printf '{"schema_version":2,"binary_version":2,"migrations":[{"version":1,"name":"001_init","state":"applied","applied_at":"%s"},{"version":2,"name":"002_runner","state":"applied","applied_at":"%s"}]}' \
		$(q -c "SELECT to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM opsdeck.schema_migrations ORDER BY version"))" \
	"db status --json describes the schema"

# ---- concurrent runs on a fresh database ----
conc=$(pg_createdb concurrent)
for i in 1 2 3; do
	od -d "$conc" db migrate >"$work/m$i.out" 2>&1 &
done
wait
rcs=0
for i in 1 2 3; do
	grep -q -e '^applied 2 migrations' -e '^the schema is up to date' "$work/m$i.out" || rcs=1
done
is "$rcs" 0 "three concurrent db migrate runs all succeed"
is "$(cat "$work"/m*.out | grep -c '^applied 2 migrations')" 1 "exactly one of them applies the migrations"
is "$(q -d "$conc" -c "SELECT count(*) FROM opsdeck.schema_migrations")" 2 "they are recorded once"
is "$(q -d "$conc" -c "SELECT count(*) FROM opsdeck.events")" 1 "and audited once"

# ---- read-only ----
ro=$(pg_createdb readonly)
out=$(od --read-only -d "$ro" db migrate 2>&1); rc=$?
is "$rc" 1 "db migrate is refused in read-only mode"
like "$out" 'read-only mode: refusing to migrate the database schema' "with a clear message"
is "$(q -d "$ro" -c "SELECT count(*) FROM pg_namespace WHERE nspname = 'opsdeck'")" 0 "and the database is untouched"

# ---- a database newer than this binary ----
q -c "INSERT INTO opsdeck.schema_migrations (version, name, checksum) VALUES (3, '003_future', 'x')" >/dev/null
out=$(od db migrate 2>&1); rc=$?
is "$rc" 1 "db migrate refuses a database migrated by a newer opsdeck"
like "$out" 'schema is at version 3, newer than this opsdeck knows \(2; migration 003_future is not built in\): upgrade opsdeck' \
	"and says so"
out=$(od db status 2>&1); rc=$?
is "$rc" 1 "db status fails on it"
like "$out" '003 +003_future +unknown' "and lists the unknown migration"
out=$(od project list 2>&1); rc=$?
like "$out" 'newer than this opsdeck knows' "other commands refuse it too (rc $rc)"
q -c "DELETE FROM opsdeck.schema_migrations WHERE version = 3" >/dev/null

# ---- a migration changed after it was applied ----
q -c "UPDATE opsdeck.schema_migrations SET checksum = 'fnv1a64:0000000000000000' WHERE version = 1" >/dev/null
out=$(od db migrate 2>&1); rc=$?
is "$rc" 1 "db migrate refuses when an applied migration differs from the built-in one"
like "$out" 'migration 001_init differs from the one applied' "and names it"

# ---- unreachable ----
out=$(od -d "host=/nonexistent-dir dbname=x connect_timeout=2" db status 2>&1); rc=$?
like "$rc:$out" '^1:opsdeck: cannot connect to the database: .*nonexistent-dir' \
	"an unreachable database is a failure in words"
