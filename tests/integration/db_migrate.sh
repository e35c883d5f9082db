# Schema migrations through the CLI: from an empty database, re-run as a
# no-op, concurrent runs, from version 1 with data in it, a database newer
# than the binary, a changed migration, read-only mode, unmigrated and
# unreachable databases.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/cli.sh"

plan 47

# The migrations built in: their number, and "1 001_init,2 ..." as recorded.
nmig=$(ls "$top_srcdir"/src/db/migrations/[0-9][0-9][0-9]_*.sql | wc -l)
migs=$(cd "$top_srcdir/src/db/migrations" && ls [0-9][0-9][0-9]_*.sql | sed 's/\.sql$//' |
	awk '{ printf "%s%d %s", (NR > 1 ? "," : ""), NR, $0 }')
next=$(printf '%03d' $((nmig + 1)))

cli_setup 'operator: migrator\n'

# ---- from empty ----
out=$(od db status 2>&1); rc=$?
is "$rc" 0 "db status works on an empty database"
like "$out" '^001 +001_init +pending +-' "an empty database has 001_init pending"
out=$(od customer list 2>&1); rc=$?
is "$rc" 1 "commands refuse an unmigrated database"
like "$out" 'run `opsdeck db migrate`' "and say what to do"

out=$(od db migrate 2>&1); rc=$?
is "$rc" 0 "db migrate succeeds on an empty database"
like "$out" "^applied $nmig migrations; the schema is at version $nmig\$" "and says what it applied"
is "$(q -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'opsdeck'")" 11 "the schema has its eleven tables"
is "$(q -c "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'opsdeck'")" \
	"clusters,customers,events,job_steps,jobs,offerings,plans,projects,schema_migrations,settings,stores" "named as designed"
is "$(q -c "SELECT string_agg(version || ' ' || name, ',' ORDER BY version) FROM opsdeck.schema_migrations")" "$migs" "the migrations are recorded"
is "$(q -c "SELECT actor || ' ' || action || ' ' || message FROM opsdeck.events")" \
	"migrator schema.migrate migrated the schema from version 0 to $nmig" "migrating is audited"

# ---- re-run ----
out=$(od db migrate 2>&1); rc=$?
is "$rc" 0 "a second db migrate succeeds"
is "$out" "the schema is up to date (version $nmig)" "and does nothing"
is "$(q -c "SELECT count(*) FROM opsdeck.schema_migrations")" "$nmig" "nothing new is recorded"
is "$(q -c "SELECT count(*) FROM opsdeck.events")" 1 "no-op runs write no audit event"
out=$(od db status --json)
is "$(printf '%s' "$out" | tr -d ' \n')" \
	"$(printf '{"schema_version":%d,"binary_version":%d,"migrations":[%s]}' "$nmig" "$nmig" \
		"$(q -c "SELECT string_agg(format('{\"version\":%s,\"name\":\"%s\",\"state\":\"applied\",\"applied_at\":\"%s\"}', version, name,
			to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')), ',' ORDER BY version) FROM opsdeck.schema_migrations")")" \
	"db status --json describes the schema"

# ---- concurrent runs on a fresh database ----
conc=$(pg_createdb concurrent)
for i in 1 2 3; do
	od -d "$conc" db migrate >"$work/m$i.out" 2>&1 &
done
wait
rcs=0
for i in 1 2 3; do
	grep -q -e "^applied $nmig migrations" -e '^the schema is up to date' "$work/m$i.out" || rcs=1
done
is "$rcs" 0 "three concurrent db migrate runs all succeed"
is "$(cat "$work"/m*.out | grep -c "^applied $nmig migrations")" 1 "exactly one of them applies the migrations"
is "$(q -d "$conc" -c "SELECT count(*) FROM opsdeck.schema_migrations")" "$nmig" "they are recorded once"
is "$(q -d "$conc" -c "SELECT count(*) FROM opsdeck.events")" 1 "and audited once"

# ---- from version 1, with data ----
# A database as opsdeck 1 left it: 001_init applied the way `db migrate`
# applies it (schema and schema_migrations first, the file, its record
# with the checksum this binary computes for it), then v1 rows written as
# v1 wrote them, with plain INSERTs.
v1_checksum=$(q -c "SELECT checksum FROM opsdeck.schema_migrations WHERE version = 1")
make_v1() { # make_v1 NAME: prints the conninfo of a new database at version 1
	make_v1_db=$(pg_createdb "$1") || return 1
	{
		echo "SET client_min_messages = warning;"
		echo "CREATE SCHEMA opsdeck;"
		# As src/db/migrate.c creates it.
		echo "CREATE TABLE opsdeck.schema_migrations ("
		echo " version integer PRIMARY KEY CONSTRAINT schema_migrations_version_positive CHECK (version > 0),"
		echo " name text NOT NULL CONSTRAINT schema_migrations_name_valid CHECK (name ~ '^[0-9]{3}_[a-z0-9_]+\$'),"
		echo " checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());"
		cat "$top_srcdir/src/db/migrations/001_init.sql"
		echo "INSERT INTO opsdeck.schema_migrations (version, name, checksum) VALUES (1, '001_init', '$v1_checksum');"
	} >"$work/v1.sql"
	q -d "$make_v1_db" -q -1 -f "$work/v1.sql" >/dev/null || return 1
	q -d "$make_v1_db" -q -v tpl="$(cat "$top_srcdir/catalog/woocommerce.yaml")" >/dev/null <<'EOSQL' || return 1
BEGIN;
INSERT INTO opsdeck.customers (name, slug) VALUES ('Acme', 'acme');
INSERT INTO opsdeck.projects (customer, name, slug, quota_stores)
	SELECT uuid, 'Shop', 'shop', 10 FROM opsdeck.customers WHERE slug = 'acme';
INSERT INTO opsdeck.offerings (slug, name, kind, template) VALUES ('woocommerce', 'WooCommerce', 'woocommerce', :'tpl');
INSERT INTO opsdeck.plans (offering, name, replicas, cpu_request_millis, cpu_limit_millis, memory_request_mib,
			   memory_limit_mib, storage_gib, monthly_price)
	SELECT uuid, 'small', 1, 100, 500, 256, 512, 5, 19.00 FROM opsdeck.offerings;
INSERT INTO opsdeck.clusters (name, kube_context) VALUES ('local', 'kubesim');
INSERT INTO opsdeck.stores (id, project, offering, plan, cluster, name, namespace, status, url, replicas,
			    error_message, created_by, ready_at)
	SELECT v.id, p.uuid, o.uuid, pl.uuid, 'local', v.name, 'store-' || v.id, v.status, v.url, 1, v.err, 'alice',
	       CASE WHEN v.status = 'Ready' THEN now() END
	  FROM (VALUES ('aaaaaaaaaaa1', 'ready', 'Ready', 'https://aaaaaaaaaaa1.stores.example.com', NULL),
		       ('aaaaaaaaaaa2', 'new', 'Provisioning', NULL, NULL),
		       ('aaaaaaaaaaa3', 'broken', 'Failed', NULL, 'deployment/wordpress: ImagePullBackOff'))
		AS v (id, name, status, url, err),
	       opsdeck.projects p, opsdeck.offerings o, opsdeck.plans pl;
INSERT INTO opsdeck.jobs (store, kind, args, state, attempts, started_at, finished_at, last_error) VALUES
	('aaaaaaaaaaa1', 'provision', '{"actor": "alice"}', 'succeeded', 1, now(), now(), NULL),
	('aaaaaaaaaaa2', 'provision', '{"actor": "alice"}', 'queued', 0, NULL, NULL, NULL),
	('aaaaaaaaaaa3', 'provision', '{"actor": "alice"}', 'failed', 5, now(), now(), 'deployment/wordpress: ImagePullBackOff');
INSERT INTO opsdeck.events (actor, action, object, message) VALUES ('alice', 'store.order', 'store/aaaaaaaaaaa2', 'ordered');
COMMIT;
EOSQL
	echo "$make_v1_db"
}
v1=$(make_v1 from_v1)
ok "a database at version 1 with v1 data is made" [ -n "$v1" ]
like "$(od -d "$v1" db status | tr '\n' ' ')" '001 +001_init +applied .*002 +002_runner +pending .*003 +003_reconcile +pending' \
	"db status sees it at version 1"
out=$(od -d "$v1" db migrate 2>&1); rc=$?
is "$rc:$out" "0:applied $((nmig - 1)) migrations; the schema is at version $nmig" "db migrate takes it from version 1 to $nmig"
is "$(q -d "$v1" -c "SELECT string_agg(id || ' ' || status || ' ' || coalesce(url, '-') || ' ' || coalesce(error_message, '-'), ',' ORDER BY id) FROM opsdeck.stores")" \
	"aaaaaaaaaaa1 Ready https://aaaaaaaaaaa1.stores.example.com -,aaaaaaaaaaa2 Provisioning - -,aaaaaaaaaaa3 Failed - deployment/wordpress: ImagePullBackOff" \
	"its stores are intact"
is "$(q -d "$v1" -c "SELECT string_agg(store || ' ' || kind || ' ' || state || ' ' || attempts || ' ' || coalesce(step, '-'), ',' ORDER BY id) FROM opsdeck.jobs")" \
	"aaaaaaaaaaa1 provision succeeded 1 -,aaaaaaaaaaa2 provision queued 0 -,aaaaaaaaaaa3 provision failed 5 -" \
	"so are its jobs, with no step yet"
is "$(q -d "$v1" -c "SELECT (SELECT count(*) FROM opsdeck.customers) || ',' || (SELECT count(*) FROM opsdeck.projects) || ',' ||
	(SELECT count(*) FROM opsdeck.plans) || ',' || (SELECT length(template) FROM opsdeck.offerings)")" \
	"1,1,1,$(printf '%s' "$(cat "$top_srcdir/catalog/woocommerce.yaml")" | wc -c | tr -d ' ')" \
	"and its customers, projects, plans and catalog template"
is "$(q -d "$v1" -c "SELECT string_agg(message, ',' ORDER BY id) FROM opsdeck.events")" \
	"ordered,migrated the schema from version 1 to $nmig" "its audit trail is kept and the migration added to it"
is "$(q -d "$v1" -c "SELECT string_agg(name || '=' || value, ',' ORDER BY name) FROM opsdeck.settings")" \
	"max_concurrent_provisions=3,max_stores=50" "the runner's settings are there"
is "$(q -d "$v1" -c "SELECT string_agg(p.proname || '/' || p.pronargs, ',' ORDER BY 1) FROM pg_proc p
	WHERE p.pronamespace = 'opsdeck'::regnamespace AND p.proname IN ('job_claim', 'store_order', 'store_drift', 'job_end')")" \
	"job_claim/2,job_end/6,job_end/7,store_drift/5,store_order/6" \
	"and its functions, store_drift in its version 3 form only"
is "$(q -d "$v1" -c "SELECT id || ' ' || store || ' ' || state || ' ' || lease_owner || ' ' || attempts FROM opsdeck.job_claim('tester', 30)")" \
	"2 aaaaaaaaaaa2 running tester 1" "the provision job v1 queued can be claimed"
is "$(q -d "$v1" -c "SELECT status FROM opsdeck.stores WHERE id = 'aaaaaaaaaaa2'")" Provisioning "and its store is Provisioning"
out=$(od -d "$v1" store create shop woocommerce small second 2>&1); rc=$?
like "$rc:$out" '^0:ordered store [0-9a-f]{12} ' "a store can be ordered on the migrated database"
out=$(od -d "$v1" db migrate 2>&1); rc=$?
is "$rc:$out" "0:the schema is up to date (version $nmig)" "migrating it again does nothing"
conc1=$(make_v1 concurrent_v1)
for i in 1 2 3; do
	od -d "$conc1" db migrate >"$work/v$i.out" 2>&1 &
done
wait
is "$(cat "$work"/v*.out | sort | uniq -c | sed 's/^ *//' | tr '\n' ';')" \
	"1 applied $((nmig - 1)) migrations; the schema is at version $nmig;2 the schema is up to date (version $nmig);" \
	"three concurrent migrations from version 1: one applies, the others wait and find nothing to do"
is "$(q -d "$conc1" -c "SELECT count(*) FROM opsdeck.schema_migrations")" "$nmig" "each migration is recorded once"

# ---- read-only ----
ro=$(pg_createdb readonly)
out=$(od --read-only -d "$ro" db migrate 2>&1); rc=$?
is "$rc" 1 "db migrate is refused in read-only mode"
like "$out" 'read-only mode: refusing to migrate the database schema' "with a clear message"
is "$(q -d "$ro" -c "SELECT count(*) FROM pg_namespace WHERE nspname = 'opsdeck'")" 0 "and the database is untouched"

# ---- a database newer than this binary ----
q -c "INSERT INTO opsdeck.schema_migrations (version, name, checksum) VALUES ($((nmig + 1)), '${next}_future', 'x')" >/dev/null
out=$(od db migrate 2>&1); rc=$?
is "$rc" 1 "db migrate refuses a database migrated by a newer opsdeck"
like "$out" "schema is at version $((nmig + 1)), newer than this opsdeck knows \\($nmig; migration ${next}_future is not built in\\): upgrade opsdeck" \
	"and says so"
out=$(od db status 2>&1); rc=$?
is "$rc" 1 "db status fails on it"
like "$out" "$next +${next}_future +unknown" "and lists the unknown migration"
out=$(od project list 2>&1); rc=$?
like "$out" 'newer than this opsdeck knows' "other commands refuse it too (rc $rc)"
q -c "DELETE FROM opsdeck.schema_migrations WHERE version = $((nmig + 1))" >/dev/null

# ---- a migration changed after it was applied ----
q -c "UPDATE opsdeck.schema_migrations SET checksum = 'fnv1a64:0000000000000000' WHERE version = 1" >/dev/null
out=$(od db migrate 2>&1); rc=$?
is "$rc" 1 "db migrate refuses when an applied migration differs from the built-in one"
like "$out" 'migration 001_init differs from the one applied' "and names it"

# ---- another migrator holds the lock ----
locked=$(pg_createdb locked)
# psql itself in the background (not the q function, a subshell): $! is
# what kill must reach.
psql -X -At -v ON_ERROR_STOP=1 -d "$locked" -c "SELECT pg_advisory_lock(31367363322798955)" -c "SELECT pg_sleep(120)" \
	>/dev/null 2>&1 &
holder=$!
pg_on_exit "kill $holder 2>/dev/null; wait $holder"
wait_for "[ \"\$(q -d '$locked' -c \"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted\")\" = 1 ]" 20
t0=$(tap_now_ms)
out=$(od -d "$locked" db migrate 2>&1); rc=$?
took=$(($(tap_now_ms) - t0))
is "$rc:$out" "1:opsdeck: another opsdeck is migrating the database; gave up after 15 s" \
	"db migrate gives up on a lock another migrator holds, in words"
ok "after the bound, not much later (${took} ms)" [ "$took" -ge 14500 -a "$took" -lt 25000 ]
kill "$holder" 2>/dev/null
wait "$holder"

# ---- unreachable ----
out=$(od -d "host=/nonexistent-dir dbname=x connect_timeout=2" db status 2>&1); rc=$?
like "$rc:$out" '^1:opsdeck: cannot connect to the database: .*nonexistent-dir' \
	"an unreachable database is a failure in words"
