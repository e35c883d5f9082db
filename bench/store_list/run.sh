#!/bin/bash
# `opsdeck store list --json` against psql reading the same rows, at N
# stores (default 10,000) inserted directly with generate_series into a
# private PostgreSQL: each store has finished jobs of its past (a provision
# and two scales, each with its steps), and one in a hundred a running job
# with an open step, one in a hundred a queued one. psql runs the list
# query of src/db/stores.c (taken from the database's own statement log, so
# the two read exactly the same rows); the figures are wall time medians
# of RUNS runs each, after one warm-up run. Figures go to bench/README.md.
#
#   bench/store_list/run.sh BUILD_DIR [STORES] [RUNS]   (defaults 10000, 11)
set -u
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"
bench_init "${1:?usage: run.sh BUILD_DIR [STORES] [RUNS]}"
stores=${2:-10000}
runs=${3:-11}

db=$(pg_createdb storelist) || exit 1
{
	od db migrate &&
		od catalog import "$top_srcdir/catalog/woocommerce.yaml" &&
		od customer create Bench &&
		od project create bench Load --stores 10000 --cpu 1000 --memory 2000Gi
} >/dev/null || { echo "cannot prepare the database" >&2; exit 1; }
# Rows straight in, past the quota and capacity triggers (a superuser's
# replica role skips them): the list is what is measured, not ordering.
q -q <<SQL || exit 1
SET session_replication_role = replica;
INSERT INTO opsdeck.clusters (name, kube_context, max_stores) VALUES ('sim', 'sim', 100000);
INSERT INTO opsdeck.stores (id, project, offering, plan, cluster, name, namespace, status, url,
			    replicas, created_by, created_at, updated_at, ready_at)
SELECT lpad(to_hex(i), 12, '0'), p.uuid, o.uuid, pl.uuid, 'sim', 's' || i,
       'store-' || lpad(to_hex(i), 12, '0'), 'Ready', 'https://s' || i || '.example.com', 1,
       'bench', now() - (($stores - i) || ' s')::interval, now(), now()
  FROM generate_series(1, $stores) i, opsdeck.projects p, opsdeck.offerings o, opsdeck.plans pl
 WHERE p.slug = 'load' AND o.slug = 'woocommerce' AND pl.offering = o.uuid AND pl.name = 'small';
INSERT INTO opsdeck.jobs (store, kind, state, attempts, created_at, updated_at, started_at, finished_at)
SELECT s.id, k.kind, 'succeeded', 1, s.created_at, s.created_at, s.created_at, s.created_at
  FROM opsdeck.stores s, (VALUES ('provision'), ('scale'), ('scale')) k(kind);
INSERT INTO opsdeck.job_steps (job, attempt, step, runner, started_at, finished_at, outcome)
SELECT j.id, 1, st.step, 'bench', j.created_at, j.created_at, 'done'
  FROM opsdeck.jobs j, (VALUES ('apply'), ('readiness')) st(step);
INSERT INTO opsdeck.jobs (store, kind, state, attempts, lease_owner, lease_until, started_at)
SELECT id, 'scale', 'running', 1, 'bench', now() + interval '1 hour', now()
  FROM opsdeck.stores WHERE right(id, 2) = '07';
INSERT INTO opsdeck.job_steps (job, attempt, step, runner)
SELECT id, 1, 'apply', 'bench' FROM opsdeck.jobs WHERE state = 'running';
INSERT INTO opsdeck.jobs (store, kind) SELECT id, 'reconcile' FROM opsdeck.stores WHERE right(id, 2) = '0b';
ANALYZE;
SQL
echo "# $(q -c 'SELECT count(*) FROM opsdeck.stores') stores, $(q -c 'SELECT count(*) FROM opsdeck.jobs') jobs, $(q -c 'SELECT count(*) FROM opsdeck.job_steps') steps"

# The statement opsdeck sends, with its parameters, from the server's log.
q -c "ALTER SYSTEM SET log_min_duration_statement = 0" -c "SELECT pg_reload_conf()" >/dev/null
od store list --json >"$work/cli.json" || exit 1
q -c "ALTER SYSTEM RESET log_min_duration_statement" -c "SELECT pg_reload_conf()" >/dev/null
python3 - "$(pg_log)" "$work/list.sql" <<'PY' || { echo "the list statement is not in the log" >&2; exit 1; }
import re, sys
log = open(sys.argv[1], encoding='utf-8', errors='replace').read()
# "execute <unnamed>: SELECT ..." then "DETAIL:  parameters: $1 = NULL, $2 = 'f'"
m = None
for m in re.finditer(r'execute <unnamed>: (SELECT s\.id.*?)\n(?:.*DETAIL:\s+parameters: (.*)\n)?', log, re.S):
    pass
if not m:
    sys.exit(1)
sql, params = m.group(1), m.group(2) or ''
vals = dict(re.findall(r"\$(\d+) = (NULL|'(?:[^']|'')*')", params))
sql = re.sub(r'\$(\d+)', lambda x: vals[x.group(1)], sql)
open(sys.argv[2], 'w').write(sql.strip() + ';\n')
PY
rows_cli=$(jq length "$work/cli.json")
rows_psql=$(q -f "$work/list.sql" | wc -l)
[ "$rows_cli" = "$rows_psql" ] || { echo "opsdeck read $rows_cli rows, psql $rows_psql" >&2; exit 1; }

measure() { # measure NAME CMD...: RUNS wall times in ms after one warm-up
	"$@" >/dev/null
	vals=
	for _ in $(seq "$runs"); do
		timed "$work/t" "$@" >/dev/null || exit 1
		vals="$vals $(cut -d' ' -f1 "$work/t")"
	done
	echo "$(median $vals)"
}
# timed runs programs, not shell functions.
psql_ms=$(measure psql -X -At -d "$db" -f "$work/list.sql")
cli_ms=$(measure "$OPSDECK" --db "$db" store list --json)
explain=$(q -c "EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) $(cat "$work/list.sql")" | awk '/Execution Time/ { print $3 }')
echo "| stores | psql (same rows) | opsdeck store list --json | ratio | server execution |"
echo "|---:|---:|---:|---:|---:|"
awk -v n="$rows_cli" -v p="$psql_ms" -v c="$cli_ms" -v e="$explain" \
	'BEGIN { printf "| %d | %d ms | %d ms | %.2f | %.0f ms |\n", n, p, c, c / p, e }'
