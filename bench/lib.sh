# shellcheck shell=bash
# Shared setup of the benchmarks that run opsdeck against kubesim and a
# private PostgreSQL (bench/provision, bench/reconcile, bench/details).
# Source it from bash, then:
#
#   bench_init BUILD_DIR [--ui] sets top_srcdir, OPSDECK, KUBESIM, loads
#                               tests/lib/{tap,pg,sim}.sh, starts PostgreSQL,
#                               makes $work (removed at exit) and points
#                               XDG_CONFIG_HOME at $work/config; exits on
#                               failure. --ui also loads tests/ui/lib.sh and
#                               sets it up (a private tmux; ui_start runs the
#                               console), stopped at exit
#   bench_cluster NAME SPEED [SIM_ARGS...]
#                               a fresh kubesim (seed 1) at that speed factor
#                               and a database NAME migrated, with the catalog,
#                               a project "load" of 1000 stores and the
#                               kubesim as cluster "sim"; sets db (its conninfo)
#   bench_order N [PREFIX]      orders N stores (plan small) named PREFIXi
#   bench_ready_stores N        N stores Ready at once, without a worker (after
#                               bench_cluster): the rows inserted by SQL (each
#                               store with its succeeded provision job; plan
#                               medium, 2 replicas; projects load, load2, ... of
#                               1000 stores each) with the stores' and jobs'
#                               triggers off, and on the kubesim each store's
#                               namespace, web Deployment and 2 pods Ready
#                               (POST /sim/seed). Store i is named s<i>, has id
#                               be<i as 10 hex digits> and was ordered i minutes
#                               ago, so s1 is the newest (the Stores pane's top)
#   bench_worker_start LIMIT    `opsdeck worker --jobs LIMIT` with the database's
#                               max_concurrent_provisions at LIMIT and no
#                               reconcile pass; sets WORKER_PID
#   bench_settle N              waits until N stores are Ready or Failed
#   bench_worker_stop           stops it (a SIGTERM hands jobs back)
#   bench_sim_stop              stops the kubesim of bench_cluster
#   od ARGS / q ARGS            opsdeck / psql on $db
#   cpu_s PID                   user+system seconds of a live process
#   sim_requests                API requests kubesim has served (not /sim/)
#   sim_watches_open            watch streams open now
#   timed OUT CMD...            runs CMD; writes "wall_ms cpu_s rss_kib" to OUT
#                               (wall time from the clock, CPU user+system
#                               and peak RSS of CMD from /usr/bin/time)
#   median N...                 the median of numbers (the middle of an odd
#                               count, the mean of the middle two otherwise)
#
# Figures go to bench/README.md, never into a test.

bench_init() {
	build=$(cd "${1:?bench_init: BUILD_DIR}" && pwd) || exit 2
	top_srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	export OPSDECK="$build/opsdeck" KUBESIM="$build/opsdeck-kubesim"
	for f in "$OPSDECK" "$KUBESIM"; do
		[ -x "$f" ] || { echo "$f is not built (make in $build)" >&2; exit 2; }
	done
	. "$top_srcdir/tests/lib/tap.sh"
	. "$top_srcdir/tests/lib/pg.sh"
	. "$top_srcdir/tests/lib/sim.sh"
	if [ "${2:-}" = --ui ]; then
		export OPSDECK_DATADIR="$top_srcdir"
		. "$top_srcdir/tests/ui/lib.sh"
		# Before pg_start, whose EXIT trap then replaces ui_setup's.
		ui_setup
		pg_start || exit 1
		pg_on_exit "ui_stop; wait_for '! ui_alive' 5; rm -rf '$UI_TMP'"
	else
		pg_start || exit 1
	fi
	work=$(mktemp -d "${TMPDIR:-/tmp}/opsdeck-bench.XXXXXX") || exit 1
	pg_on_exit "rm -rf '$work'"
	export XDG_CONFIG_HOME="$work/config"
	mkdir -p "$XDG_CONFIG_HOME/opsdeck"
	bench__n=0
}

q() { psql -X -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }
od() { "$OPSDECK" --db "$db" "$@"; }

cpu_s() {
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"
}

bench__stat() { # bench__stat JQ_PATH: one number of /sim/stats
	curl -sk --max-time 10 -H "Authorization: Bearer $SIM_TOKEN" "$SIM_URL/sim/stats" | jq -r "$1"
}
sim_requests() { bench__stat .requests; }
sim_watches_open() { bench__stat .watchesOpen; }

bench_cluster() {
	bench__n=$((bench__n + 1))
	mkdir -p "$work/sim$bench__n"
	sim_start "$work/sim$bench__n" --speed "$2" --seed 1 "${@:3}" || exit 1
	db=$(pg_createdb "$1") || exit 1
	{
		od db migrate &&
			od catalog import "$top_srcdir/catalog/woocommerce.yaml" &&
			od customer create Bench &&
			od project create bench Load --stores 1000 --cpu 1000 --memory 2000Gi &&
			od cluster add sim --context "$SIM_CONTEXT" --max-stores 1000 &&
			q -c "UPDATE opsdeck.settings SET value = 1000 WHERE name = 'max_stores'"
	} >/dev/null || { echo "bench_cluster: cannot prepare the database" >&2; exit 1; }
}

bench_order() {
	for i in $(seq "$1"); do
		od store create load woocommerce small "${2:-s}$i" >/dev/null || exit 1
	done
}

bench_ready_stores() {
	bench__projects=$((($1 + 999) / 1000))
	for k in $(seq 2 "$bench__projects"); do
		od project create bench "load$k" --stores 1000 --cpu 1000 --memory 2000Gi >/dev/null ||
			{ echo "bench_ready_stores: cannot create project load$k" >&2; exit 1; }
	done
	q -c "UPDATE opsdeck.settings SET value = greatest(value, $1) WHERE name = 'max_stores'" \
		-c "UPDATE opsdeck.clusters SET max_stores = greatest(max_stores, $1) WHERE name = 'sim'" \
		>/dev/null || exit 1
	q >/dev/null <<-SQL || { echo "bench_ready_stores: cannot insert the stores" >&2; exit 1; }
	BEGIN;
	-- The rows are valid as they stand; the per-row checks (quotas, the
	-- global limit) would make the insert quadratic, and the notices are
	-- for nobody.
	ALTER TABLE opsdeck.stores DISABLE TRIGGER USER;
	ALTER TABLE opsdeck.jobs DISABLE TRIGGER USER;
	INSERT INTO opsdeck.stores (id, project, offering, plan, cluster, name, namespace, status,
				    url, replicas, created_by, created_at, updated_at, ready_at)
	SELECT 'be' || lpad(to_hex(i), 10, '0'), p.uuid, o.uuid, pl.uuid, 'sim', 's' || i,
	       'store-be' || lpad(to_hex(i), 10, '0'), 'Ready',
	       'http://be' || lpad(to_hex(i), 10, '0') || '.localhost', pl.replicas, 'bench',
	       now() - i * interval '1 minute', now() - i * interval '1 minute' + interval '30 s',
	       now() - i * interval '1 minute' + interval '30 s'
	  FROM generate_series(1, $1) i
	  JOIN opsdeck.projects p
	    ON p.slug = CASE WHEN i <= 1000 THEN 'load' ELSE 'load' || ((i - 1) / 1000 + 1) END
	  JOIN opsdeck.offerings o ON o.slug = 'woocommerce'
	  JOIN opsdeck.plans pl ON pl.offering = o.uuid AND pl.name = 'medium';
	INSERT INTO opsdeck.jobs (store, kind, args, state, attempts, created_at, updated_at,
				  started_at, finished_at)
	SELECT id, 'provision', '{"actor": "bench"}', 'succeeded', 1, created_at, ready_at,
	       created_at, ready_at
	  FROM opsdeck.stores WHERE created_by = 'bench';
	ALTER TABLE opsdeck.stores ENABLE TRIGGER USER;
	ALTER TABLE opsdeck.jobs ENABLE TRIGGER USER;
	COMMIT;
	ANALYZE;
	SQL
	[ "$(q -c "SELECT count(*) FROM opsdeck.stores WHERE status = 'Ready'")" = "$1" ] ||
		{ echo "bench_ready_stores: the stores are not all there" >&2; exit 1; }
	q -c "SELECT json_build_object('replicas', 2, 'stores', json_agg(json_build_object(
		'id', s.id, 'project', p.slug) ORDER BY s.id))
		FROM opsdeck.stores s JOIN opsdeck.projects p ON p.uuid = s.project" >"$work/seed.json"
	# About 2-5 ms of kubesim's CPU per store.
	curl -sk --max-time "${BENCH_SEED_MAX_S:-1800}" -H "Authorization: Bearer $SIM_TOKEN" \
		-H 'Content-Type: application/json' --data-binary "@$work/seed.json" \
		"$SIM_URL/sim/seed" >"$work/seed.out"
	if [ "$(jq -r .podsReady "$work/seed.out" 2>/dev/null)" != $(($1 * 2)) ]; then
		echo "bench_ready_stores: kubesim was not seeded: $(cat "$work/seed.out")" >&2
		exit 1
	fi
}

bench_worker_start() {
	q -c "UPDATE opsdeck.settings SET value = $1 WHERE name = 'max_concurrent_provisions'" >/dev/null
	"$OPSDECK" --db "$db" worker --jobs "$1" --reconcile 0 >"$work/worker.log" 2>&1 &
	WORKER_PID=$!
	pg_on_exit "kill $WORKER_PID 2>/dev/null"
}

bench_settle() {
	until [ "$(q -c "SELECT count(*) FROM opsdeck.stores WHERE status IN ('Ready', 'Failed')")" = "$1" ]; do
		kill -0 "$WORKER_PID" 2>/dev/null || {
			echo "the worker stopped:" >&2
			cat "$work/worker.log" >&2
			exit 1
		}
		sleep 0.2
	done
}

bench_worker_stop() {
	kill "$WORKER_PID" 2>/dev/null
	wait "$WORKER_PID" 2>/dev/null
}

bench_sim_stop() {
	kill "$SIM_PID" 2>/dev/null
	wait "$SIM_PID" 2>/dev/null
}

timed() {
	bench__out=$1
	shift
	bench__t0=$(tap_now_ms)
	/usr/bin/time -f '%U %S %M' -o "$bench__out.time" "$@"
	bench__rc=$?
	bench__t1=$(tap_now_ms)
	# The last line: a failed command's status comes first.
	tail -n 1 "$bench__out.time" | awk -v ms=$((bench__t1 - bench__t0)) \
		'{ printf "%d %.2f %d\n", ms, $1 + $2, $3 }' >"$bench__out"
	return $bench__rc
}

median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 }
		END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
