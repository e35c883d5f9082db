#!/bin/bash
# `opsdeck store reconcile` and `opsdeck doctor` over N Ready stores on one
# kubesim: wall time, CPU (user+system), peak RSS of the opsdeck process,
# the API requests kubesim served for it and kubesim's own CPU, each the
# median of RUNS runs. The pass is measured with nothing to find and with
# one drift suspect (a store whose image cannot be pulled), which makes it
# wait worker.reconcile_confirm seconds and list that cluster again.
# Figures go to bench/README.md.
#
#   bench/reconcile/run.sh BUILD_DIR [STORES...]    e.g. build 50 200
#   RUNS=3 (the default) sets the runs per figure.
set -u
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"
bench_init "${1:?usage: run.sh BUILD_DIR [STORES...]}"
shift
sizes=${*:-50}
runs=${RUNS:-3}
confirm=5 # worker.reconcile_confirm, its default, written out
printf 'worker:\n  reconcile_confirm: %d\n' "$confirm" >"$XDG_CONFIG_HOME/opsdeck/config.yaml"

# measure LABEL EXPECT CMD...: runs CMD (a program, for /usr/bin/time)
# $runs times, before each the shell function named by $before if set;
# checks its output matches the extended regex EXPECT; prints a table row
# of the medians.
measure() {
	label=$1 expect=$2
	shift 2
	walls='' cpus='' rsss='' reqs='' scpus=''
	for r in $(seq "$runs"); do
		[ -n "${before:-}" ] && $before
		r0=$(sim_requests) s0=$(cpu_s "$SIM_PID")
		timed "$work/t" "$@" >"$work/out" 2>&1
		r1=$(sim_requests) s1=$(cpu_s "$SIM_PID")
		grep -Eq -- "$expect" "$work/out" || {
			echo "$label, run $r: the output does not match '$expect':" >&2
			cat "$work/out" >&2
			exit 1
		}
		read -r wall cpu rss <"$work/t"
		walls="$walls $wall" cpus="$cpus $cpu" rsss="$rsss $rss" reqs="$reqs $((r1 - r0))"
		scpus="$scpus $(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.2f", b - a }')"
	done
	# shellcheck disable=SC2086 # the lists are meant to split
	printf '| %s | %s | %s ms (%s–%s) | %s s | %.1f MiB | %s | %s s |\n' "$stores" "$label" \
		"$(median $walls)" "$(printf '%s\n' $walls | sort -n | head -n 1)" \
		"$(printf '%s\n' $walls | sort -n | tail -n 1)" "$(median $cpus)" \
		"$(awk -v k="$(median $rsss)" 'BEGIN { print k / 1024 }')" "$(median $reqs)" "$(median $scpus)"
}

# Before each run with a suspect: the store Ready again, as the pass
# marked it Failed (drift) the run before.
ready_again() {
	q -c "UPDATE opsdeck.stores SET status = 'Ready', error_message = NULL WHERE id = '$broken'" >/dev/null
}

echo "| stores | command | wall, median (min–max) | CPU | peak RSS | API requests | kubesim CPU |"
echo "|---:|---|---:|---:|---:|---:|---:|"
for stores in $sizes; do
	bench_cluster "recon$stores" 50
	bench_order "$stores"
	bench_worker_start 10
	bench_settle "$stores"
	bench_worker_stop
	failed=$(q -c "SELECT count(*) FROM opsdeck.stores WHERE status <> 'Ready'")
	[ "$failed" = 0 ] || { echo "$failed of $stores stores did not become Ready" >&2; exit 1; }

	before=
	measure "store reconcile" "checked $stores store\\(s\\): 0 finding\\(s\\)" "$OPSDECK" --db "$db" store reconcile
	measure doctor "cluster sim" "$OPSDECK" --db "$db" doctor

	broken=$(q -c "SELECT id FROM opsdeck.stores WHERE name = 's1'")
	K set image -n "store-$broken" deployment/wordpress wordpress=wordpress:invalid-tag >/dev/null
	wait_for "K get pods -n store-$broken | grep -Eq 'ErrImagePull|ImagePullBackOff'" 20 ||
		{ echo "the broken store's pod does not fail" >&2; exit 1; }
	before=ready_again
	measure "store reconcile, 1 suspect" "drift +sim store-$broken .*\\(marked Failed\\)" "$OPSDECK" --db "$db" store reconcile
	bench_sim_stop
done
echo "(worker.reconcile_confirm: $confirm s; $runs runs each)"
