#!/bin/bash
# 50 stores ordered at once against kubesim at a high speed factor, run by
# one `opsdeck worker`: wall time until all are Ready, the worker's and
# kubesim's CPU time, requests made, per concurrency limit. Figures go to
# bench/README.md.
#
#   bench/provision/run.sh BUILD_DIR [STORES] [LIMITS...]
#   e.g. bench/provision/run.sh build 50 3 10
set -u
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"
bench_init "${1:?usage: run.sh BUILD_DIR [STORES] [LIMITS...]}"
stores=${2:-50}
shift 2 2>/dev/null || shift $#
limits=${*:-3 10}

echo "| stores | concurrency | all Ready after | worker CPU | kubesim CPU | API requests |"
echo "|---:|---:|---:|---:|---:|---:|"
for limit in $limits; do
	bench_cluster "bench$limit" 50
	bench_order "$stores"
	start=$(tap_now_ms)
	bench_worker_start "$limit"
	bench_settle "$stores"
	end=$(tap_now_ms)
	wcpu=$(cpu_s "$WORKER_PID")
	scpu=$(cpu_s "$SIM_PID")
	reqs=$(sim_requests)
	failed=$(q -c "SELECT count(*) FROM opsdeck.stores WHERE status = 'Failed'")
	bench_worker_stop
	bench_sim_stop
	printf '| %s | %s | %.1f s | %s s | %s s | %s |%s\n' "$stores" "$limit" \
		"$(awk -v ms=$((end - start)) 'BEGIN { print ms / 1000 }')" "$wcpu" "$scpu" "${reqs:-?}" \
		"$([ "$failed" = 0 ] || echo " ($failed Failed)")"
done
