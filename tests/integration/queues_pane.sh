# The Queues pane's Jobs section in a real terminal (tmux) against a real
# database, at 120x40 and 80x24: the counts per state with the oldest
# queued job's age, the jobs listed, an expired lease highlighted with its
# age, a failed job retried (R) and a queued one cancelled (X, asked
# first), each audited; read-only mode refuses both.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/ui/lib.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/queues.sh"

plan 18

ui_with_pg
queues_config
UI_ENV="PGHOST='$PGHOST' PGPORT=$PGPORT PGDATABASE=$PGDATABASE PGUSER=$PGUSER"

queues_prepare_db
{
	q -c "INSERT INTO opsdeck.clusters (name, kube_context) VALUES ('kind', 'kind')" &&
		q -c "$(queues_store_sql 0000000000a1 shop Queued)" &&
		q -c "$(queues_store_sql 0000000000a2 broken Failed)" &&
		q -c "$(queues_store_sql 0000000000a3 ghost Provisioning)" &&
		q -c "INSERT INTO opsdeck.jobs (store, kind, created_at) VALUES ('0000000000a1', 'provision', now() - interval '3 minutes')" &&
		q -c "INSERT INTO opsdeck.jobs (store, kind, state, attempts, max_attempts, last_error, finished_at)
			VALUES ('0000000000a2', 'provision', 'failed', 5, 5, 'Service/mysql: the cluster said no', now())" &&
		q -c "INSERT INTO opsdeck.jobs (store, kind, state, attempts, lease_owner, lease_until, step)
			VALUES ('0000000000a3', 'provision', 'running', 1, 'w9/deadbeef', now() - interval '150 seconds', 'apply')"
} >/dev/null || { echo "Bail out! cannot prepare the database"; exit 1; }
ja1=$(queues_job_of 0000000000a1)
ja2=$(queues_job_of 0000000000a2)
ja3=$(queues_job_of 0000000000a3)

ui_start 120 40 --no-worker
ui_keys 4
screen_has "the Jobs section counts jobs per state, with the oldest queued job's age" \
	'Jobs: 1 queued \(oldest 3m\) · 1 running · 1 failed · 0 cancelled · 0 succeeded'
screen_has "and lists each job with its store, kind, state and tries" \
	"$ja1 +shop 0000000000a1 +provision +queued +- +0/5 +waiting"
screen_has "an expired lease stands out with its age and its runner" \
	"$ja3 +ghost 0000000000a3 +provision +running +apply .*lease expired [23]m ago"
screen_has "a failed job shows its last error" "$ja2 +broken 0000000000a2 +provision +failed .*Service/mysql: the cluster said no"
# the pane says nothing of sources it does not watch
is "$(ui_screen | grep -Ec 'RabbitMQ|Kafka|not (yet|in this)')" 0 "no text about other sources"

# ---- retry the failed job ----
ui_keys / && ui_text broken && ui_keys Enter
screen_has "the footer tells the row under the cursor with its key" "Job $ja2, provision of broken: failed \\(R retries it\\)"
ui_keys R
screen_has "R retries the failed job as a new one" "Job $ja2 runs again as job [0-9]+"
is "$(q -c "SELECT count(*) FROM opsdeck.jobs WHERE store = '0000000000a2' AND state = 'queued'")" 1 \
	"a new queued job exists"
is "$(q -c "SELECT actor FROM opsdeck.events WHERE action = 'job.retry'")" pane-tester "the retry is audited"
screen_has "live: the counts follow" 'Jobs: 2 queued'

# ---- cancel a queued job, asked first ----
ui_esc
ui_keys / && ui_text shop && ui_keys Enter
ui_wait "Job $ja1, provision of shop: queued"
ui_keys X
screen_has "X asks first" "Cancel job $ja1 \\(provision of store shop 0000000000a1\\)\\?"
ui_keys y
screen_has "then cancels it" "Job $ja1 is cancelled"
is "$(q -c "SELECT state FROM opsdeck.jobs WHERE id = $ja1"),$(q -c "SELECT actor FROM opsdeck.events WHERE action = 'job.cancelled'")" \
	"cancelled,pane-tester" "the job is cancelled, audited with the operator"

# ---- Enter: the details ----
ui_keys Enter
screen_has "Enter shows the job, its last error whole and its timeline" "Last error: cancelled by pane-tester before it ran"
ui_esc

# ---- 80x24 and read-only ----
ui_start 80 24 --no-worker --read-only
ui_keys 4
screen_has "at 80x24 the counts fit" 'Jobs: 1 queued .* 1 running · 1 failed · 1 cancelled'
screen_has "and the stuck job under the cursor is told whole below the table" \
	'Job [0-9]+, provision of ghost: running \(X cancels it\); stuck: lease expired'
ui_keys / && ui_text broken && ui_keys Enter
ui_wait "0000000000a2"
ui_keys End
ui_wait "Job $ja2, provision of broken: failed"
ui_keys R
screen_has "read-only mode refuses a retry" 'read-only mode: refusing to retry a job'

# ---- a running job asked to stop: its detail says when it stops ----
q -c "UPDATE opsdeck.jobs SET cancel_requested_by = 'alice', cancel_requested_at = now()
	WHERE id = $ja3" >/dev/null
ui_esc
ui_keys / && ui_text ghost && ui_keys Enter
ui_wait "Job $ja3, provision of ghost: running"
ui_keys Enter
screen_has "the detail says who asked it to stop and when it stops" \
	"Cancel: asked by alice; it stops at its next step"
ui_stop
