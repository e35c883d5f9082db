#!/bin/bash
# 50 stores ordered at once against kubesim at a high speed factor, run by
# one `opsdeck worker`: wall time until all are Ready, the worker's and
# kubesim's CPU time, requests made, per concurrency limit. Figures go to
# bench/README.md.
#
#   bench/provision/run.sh BUILD_DIR [STORES] [LIMITS...]
#   e.g. bench/provision/run.sh build 50 3 10
set -u
build=$(cd "${1:?usage: run.sh BUILD_DIR [STORES] [LIMITS...]}" && pwd)
stores=${2:-50}
shift 2 2>/dev/null || shift $#
limits=${*:-3 10}
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
export OPSDECK="$build/opsdeck" KUBESIM="$build/opsdeck-kubesim"
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/sim.sh"

cpu_s() { # user+system seconds of a live process
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"
}

pg_start || exit 1
work=$(mktemp -d)
pg_on_exit "rm -rf '$work'"
export XDG_CONFIG_HOME="$work/config"
q() { psql -X -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }
od() { "$OPSDECK" --db "$db" "$@"; }

echo "| stores | concurrency | all Ready after | worker CPU | kubesim CPU | API requests |"
echo "|---:|---:|---:|---:|---:|---:|"
for limit in $limits; do
	dir=$work/run-$limit
	mkdir -p "$dir"
	sim_start "$dir" --speed 50 --seed 1 || exit 1
	db=$(pg_createdb "bench$limit")
	od db migrate >/dev/null
	od catalog import "$top_srcdir/catalog/woocommerce.yaml" >/dev/null
	od customer create Bench >/dev/null
	od project create bench Load --stores 1000 --cpu 1000 --memory 2000Gi >/dev/null
	od cluster add sim --context "$SIM_CONTEXT" --max-stores 1000 >/dev/null
	q -c "UPDATE opsdeck.settings SET value = 1000 WHERE name = 'max_stores'" >/dev/null
	q -c "UPDATE opsdeck.settings SET value = $limit WHERE name = 'max_concurrent_provisions'" >/dev/null
	for i in $(seq "$stores"); do
		od store create load woocommerce small "s$i" >/dev/null
	done
	start=$(tap_now_ms)
	"$OPSDECK" --db "$db" worker --jobs "$limit" --reconcile 0 >"$dir/worker.log" 2>&1 &
	wpid=$!
	until [ "$(q -c "SELECT count(*) FROM opsdeck.stores WHERE status IN ('Ready', 'Failed')")" = "$stores" ]; do
		kill -0 $wpid 2>/dev/null || { echo "the worker stopped:" >&2; cat "$dir/worker.log" >&2; exit 1; }
		sleep 0.2
	done
	end=$(tap_now_ms)
	wcpu=$(cpu_s $wpid)
	scpu=$(cpu_s $SIM_PID)
	reqs=$(curl -sk -H "Authorization: Bearer $SIM_TOKEN" "$SIM_URL/sim/stats" |
		sed -n 's/^{"requests":\([0-9]*\).*/\1/p')
	failed=$(q -c "SELECT count(*) FROM opsdeck.stores WHERE status = 'Failed'")
	kill $wpid; wait $wpid 2>/dev/null
	kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null
	printf '| %s | %s | %.1f s | %s s | %s s | %s |%s\n' "$stores" "$limit" \
		"$(awk -v ms=$((end - start)) 'BEGIN { print ms / 1000 }')" "$wcpu" "$scpu" "${reqs:-?}" \
		"$([ "$failed" = 0 ] || echo " ($failed Failed)")"
done
