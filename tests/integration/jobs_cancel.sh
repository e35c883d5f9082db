# The schema's rules for a running job asked to stop, against a real
# PostgreSQL, through the functions a runner and an operator call: the
# request holds when the attempt ends in a transient failure (job_end
# 'retry'), when its runner hands it back (job_release) and when its
# runner dies (the next claim ends it); a claim never runs such a job; a
# job that version 7 put back in the queue is cancelled by the migration.
# Then the lock order: a cancel or a claim holding a job while a delete of
# its store waits, both finish (no deadlock) -- a gate trigger holds the
# first in the middle, between its job's lock and its store's.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/cli.sh"

plan 43

cli_setup 'operator: alice\n'

# The rows a project, an offering with a plan and a cluster need, as SQL.
base_sql="INSERT INTO opsdeck.customers (name, slug) VALUES ('Acme', 'acme');
INSERT INTO opsdeck.projects (customer, name, slug, quota_stores)
	SELECT uuid, 'Shop', 'shop', 20 FROM opsdeck.customers WHERE slug = 'acme';
INSERT INTO opsdeck.offerings (slug, name, kind, template)
	VALUES ('woocommerce', 'WooCommerce', 'woocommerce', 'kind: template');
INSERT INTO opsdeck.plans (offering, name, replicas, cpu_request_millis, cpu_limit_millis,
			   memory_request_mib, memory_limit_mib, storage_gib, monthly_price)
	SELECT uuid, 'small', 1, 100, 500, 256, 512, 5, 19.00 FROM opsdeck.offerings;
INSERT INTO opsdeck.clusters (name, kube_context) VALUES ('local', 'kubesim');"

od db migrate >/dev/null || { echo "Bail out! db migrate failed"; exit 1; }
q -c "$base_sql" >/dev/null || { echo "Bail out! cannot add the base rows"; exit 1; }

# order NAME [DB]: a new store's provision job id
order() { q ${2:+-d "$2"} -c "SELECT job_id FROM opsdeck.store_order('shop', 'woocommerce', 'small', NULL, '$1', 'alice')"; }
storeof() { q ${2:+-d "$2"} -c "SELECT store FROM opsdeck.jobs WHERE id = $1"; }
jrow() { q ${2:+-d "$2"} -c "SELECT state || '|' || coalesce(last_error, '') FROM opsdeck.jobs WHERE id = $1"; }
srow() { q ${2:+-d "$2"} -c "SELECT status || '|' || coalesce(error_message, '') FROM opsdeck.stores WHERE id = '$1'"; }
steps() { q ${2:+-d "$2"} -c "SELECT string_agg(step || ':' || outcome, ',' ORDER BY id) FROM opsdeck.job_steps WHERE job = $1"; }
# claim OWNER [DB]: the id of the job claimed, "" for none
claim() { q ${2:+-d "$2"} -c "SELECT id FROM opsdeck.job_claim('$1', 60)"; }
# started JOB [DB]: claimed by w1/0001 and at its first step, then asked to stop
started() {
	is "$(claim w1/0001 "$2")" "$1" "job $1 is claimed"
	is "$(q ${2:+-d "$2"} -c "SELECT ok FROM opsdeck.job_step_next($1, 'w1/0001', 1, 'namespace', NULL)")" t \
		"and reaches its first step"
	is "$(q ${2:+-d "$2"} -c "SELECT opsdeck.job_cancel($1, 'alice')")" running \
		"a cancel asks it to stop at its next step"
}
events() { q -c "SELECT string_agg(actor || ':' || action, ',' ORDER BY id) FROM opsdeck.events WHERE object = 'store/$1' AND action LIKE 'job.%'"; }

# ---- the attempt fails and would be tried again ----
j=$(order alpha); s=$(storeof "$j")
started "$j"
msg="cancelled by alice instead of trying again after attempt 1 failed: connection refused"
is "$(q -c "SELECT ok || '|' || cancelled FROM opsdeck.job_end_next($j, 'w1/0001', 1, 'retry',
	'connection refused', 0, NULL)")" "true|$msg" \
	"the runner ends the attempt for a retry, and is told the job was cancelled instead"
is "$(jrow "$j")" "cancelled|$msg" "the job ends cancelled, not queued again, and says why"
is "$(srow "$s")" "Failed|$msg" "its store is Failed with the same words"
is "$(steps "$j")" "namespace:failed" "the step that failed is closed as failed"
is "$(events "$s")" "alice:job.cancel,alice:job.cancelled" "the request and the end are audited"
is "$(claim w2/0002)" "" "no claim runs it again"
out=$(od job show "$j")
like "$out" "cancel: asked by alice while it ran; it ended cancelled" \
	"job show says the request was honoured"
unlike "$out" "stops at its next step" "and not that the job will stop"

# ---- job show prints what the database holds with its controls escaped ----
q -c "UPDATE opsdeck.jobs SET last_error = E'boom\\r\\u009b2Jstate: succeeded\\nsecond line'
	WHERE id = $j;
	UPDATE opsdeck.job_steps SET message = E'waiting\\nfor\\rit' WHERE job = $j" >/dev/null
out=$(od job show "$j")
is "$(printf '%s\n' "$out" | grep '^last error: ')" \
	'last error: boom\r\xc2\x9b2Jstate: succeeded\nsecond line' \
	"the last error on one line, a carriage return, a C1 control and a line break escaped"
raw() { case "$1" in *"$(printf '\r')"* | *"$(printf '\302\233')"*) return 0 ;; esac; return 1; }
nok "no carriage return or C1 control reaches the terminal" raw "$out"
like "$out" 'namespace +w1/0001 +.* +failed +waiting\\nfor\\rit$' \
	"a step's message is escaped alike, on its row"

# ---- the runner hands the job back ----
j=$(order beta); s=$(storeof "$j")
started "$j"
msg="cancelled by alice when its runner w1/0001 stopped at step namespace"
is "$(q -c "SELECT ok || '|' || cancelled FROM opsdeck.job_release_next($j, 'w1/0001', 1)")" \
	"true|$msg" "the runner hands the job back, and is told the job was cancelled instead"
is "$(jrow "$j")" "cancelled|$msg" "the job ends cancelled, not queued again"
is "$(srow "$s"),$(steps "$j")" "Failed|$msg,namespace:cancelled" "its store and its step say so"
is "$(claim w2/0002)" "" "no claim runs it again"

# ---- the runner dies: its lease expires ----
j=$(order gamma); s=$(storeof "$j")
started "$j"
like "$(od job show "$j")" "cancel: asked by alice; it stops at its next step" \
	"job show of a running job asked to stop says when it stops"
q -c "UPDATE opsdeck.jobs SET lease_until = now() - interval '1 second' WHERE id = $j" >/dev/null
is "$(claim w2/0002)" "" "the next claim does not take the job"
msg="cancelled by alice after its runner w1/0001 stopped renewing its lease"
is "$(jrow "$j"),$(steps "$j")" "cancelled|$msg,namespace:lost" "it ends the job cancelled, the step lost"
is "$(events "$s")" "alice:job.cancel,alice:job.cancelled" "audited for the one who asked"

# ---- a claim passes over a job asked to stop even when the slots are full ----
q -c "UPDATE opsdeck.settings SET value = 0 WHERE name = 'max_concurrent_provisions'" >/dev/null
j=$(order delta)
q -c "UPDATE opsdeck.jobs SET cancel_requested_by = 'alice', cancel_requested_at = now() WHERE id = $j" >/dev/null
is "$(claim w2/0002),$(jrow "$j")" ",cancelled|cancelled by alice as asked while it ran; it was not run again" \
	"a queued job asked to stop is ended, not run"
q -c "UPDATE opsdeck.settings SET value = 3 WHERE name = 'max_concurrent_provisions'" >/dev/null

# ---- nobody asked: a retry and a hand-back queue the job again, as before ----
j=$(order theta)
claim w1/0001 >/dev/null
is "$(q -c "SELECT ok || '|' || coalesce(cancelled, '-') FROM opsdeck.job_end_next($j, 'w1/0001', 1,
	'retry', 'connection refused', 0, NULL)"),$(jrow "$j")" "true|-,queued|connection refused" \
	"a retry of a job nobody asked to stop queues it again"
claim w1/0001 >/dev/null
is "$(q -c "SELECT ok || '|' || coalesce(cancelled, '-') FROM opsdeck.job_release_next($j, 'w1/0001', 2)"),$(jrow "$j" | cut -d'|' -f1)" \
	"true|-,queued" "and so does a hand-back"
q -c "SELECT opsdeck.job_cancel($j, 'alice')" >/dev/null

# ---- a job version 7 put back in the queue: the migration cancels it ----
# A database at version 7, migrated as `db migrate` does (each file and its
# record), in which the request is lost as version 7 lost it.
legacy=$(pg_createdb legacy) || { echo "Bail out! cannot create a database"; exit 1; }
{
	echo "SET client_min_messages = warning;"
	echo "CREATE SCHEMA opsdeck;"
	echo "CREATE TABLE opsdeck.schema_migrations ("
	echo " version integer PRIMARY KEY CONSTRAINT schema_migrations_version_positive CHECK (version > 0),"
	echo " name text NOT NULL CONSTRAINT schema_migrations_name_valid CHECK (name ~ '^[0-9]{3}_[a-z0-9_]+\$'),"
	echo " checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());"
	for v in 1 2 3 4 5 6 7; do
		f=$(ls "$top_srcdir"/src/db/migrations/00${v}_*.sql)
		cat "$f"
		echo ";"
		q -c "SELECT format('INSERT INTO opsdeck.schema_migrations (version, name, checksum) VALUES (%s, %L, %L);',
			version, name, checksum) FROM opsdeck.schema_migrations WHERE version = $v"
	done
	echo "$base_sql"
} >"$work/v7.sql"
q -d "$legacy" -q -1 -f "$work/v7.sql" >/dev/null 2>"$work/v7.err" || { echo "Bail out! cannot make a version 7 database: $(head -3 "$work/v7.err")"; exit 1; }
j=$(order epsilon "$legacy"); s=$(storeof "$j" "$legacy")
started "$j" "$legacy"
q -d "$legacy" -c "SELECT opsdeck.job_end($j, 'w1/0001', 1, 'retry', 'connection refused', 0, NULL)" >/dev/null
is "$(jrow "$j" "$legacy")" "queued|connection refused" "version 7 queued it again, the request kept on it"
out=$(od -d "$legacy" db migrate 2>&1); rc=$?
like "$rc:$out" "^0:applied 1 migration; the schema is at version [0-9]+$" \
	"db migrate takes it to the current version"
msg="cancelled by alice as asked while it ran; it was not run again"
is "$(jrow "$j" "$legacy"),$(srow "$s" "$legacy")" "cancelled|$msg,Failed|$msg" \
	"the job is cancelled by the migration, its store Failed saying why"

# ---- lock order: a job's row, then its store's ----
# A BEFORE UPDATE trigger on the jobs makes a session named "gated" wait,
# in the middle of its statement, for an advisory lock the "gatekeeper"
# session holds: a cancel or a claim then holds its job (locked before the
# update) and has not yet locked the store. A delete of that store starts
# and waits; the gate opens; both must finish.
q -c "CREATE FUNCTION public.test_gate() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
	IF current_setting('application_name') = 'gated' THEN
		PERFORM pg_advisory_xact_lock_shared(4242);
	END IF;
	RETURN NEW;
END \$\$;
CREATE TRIGGER test_gate BEFORE UPDATE ON opsdeck.jobs FOR EACH ROW EXECUTE FUNCTION public.test_gate()" \
	>/dev/null || { echo "Bail out! cannot add the gate"; exit 1; }
bg_pids=
pg_on_exit 'for p in $bg_pids; do kill $p 2>/dev/null; done'
waiting() { # waiting APP: the session named APP waits for a lock
	[ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$1' AND wait_event_type = 'Lock'")" = 1 ]
}
# race NAME SQL: SQL runs gated, and a delete of STORE ($store) meets it
race() {
	PGAPPNAME=gatekeeper psql -X -At -c "SELECT pg_advisory_lock(4242)" -c "SELECT pg_sleep(300)" \
		>/dev/null 2>&1 &
	keeper=$!
	bg_pids="$bg_pids $keeper"
	wait_for "[ \"\$(q -c \"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted\")\" = 1 ]" 20
	PGAPPNAME=gated psql -X -At -v ON_ERROR_STOP=1 -c "$2" >"$work/$1.a" 2>&1 &
	a=$!
	bg_pids="$bg_pids $a"
	wait_for "waiting gated" 20 || diag "$1: the gated statement did not wait at the gate"
	PGAPPNAME=deleter psql -X -At -v ON_ERROR_STOP=1 \
		-c "SELECT opsdeck.store_request('$store', 'delete', NULL, 'bob')" >"$work/$1.b" 2>&1 &
	b=$!
	bg_pids="$bg_pids $b"
	wait_for "waiting deleter" 20 || diag "$1: the delete did not wait"
	q -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'gatekeeper'" >/dev/null
	wait "$a"; rca=$?
	wait "$b"; rcb=$?
	wait "$keeper" 2>/dev/null
}

j=$(order zeta); store=$(storeof "$j")
race cancel "SELECT opsdeck.job_cancel($j, 'alice')"
is "$rca:$(cat "$work/cancel.a")" "0:cancelled" "a cancel holding the job while a delete of its store waits finishes"
like "$rcb:$(cat "$work/cancel.b")" "^0:[0-9]+$" "and so does the delete, after it (no deadlock)"
is "$(jrow "$j"),$(srow "$store")" "cancelled|cancelled by alice before it ran,Deleting|cancelled by alice before it ran" \
	"the job is cancelled and the store being deleted"

# The delete's own job out of the way, so that the claim takes this one.
q -c "SELECT opsdeck.job_cancel(id, 'alice') FROM opsdeck.jobs WHERE state = 'queued'" >/dev/null
j=$(order eta); store=$(storeof "$j")
race claim "SELECT id FROM opsdeck.job_claim('w3/0003', 60)"
is "$rca:$(cat "$work/claim.a")" "0:$j" "a claim holding the job while a delete of its store waits finishes"
like "$rcb:$(cat "$work/claim.b")" "^0:[0-9]+$" "and so does the delete (no deadlock)"
is "$(jrow "$j" | cut -d'|' -f1),$(srow "$store" | cut -d'|' -f1)" "running,Deleting" \
	"the job runs on, its store being deleted after it"
