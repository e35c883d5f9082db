#!/bin/bash
# The console's Stores pane with N Ready stores on one kubesim, while their
# details are opened and closed: the console's resident memory, its open
# sockets and the API requests it makes, after each round of OPENS
# openings (Enter, wait for the store's objects, Esc, next store), and how
# long an opening takes until its objects show. Memory that grows round
# after round, or sockets (the details' watch streams) left open after
# Esc, would be a leak. kubesim counts a watch as open until it next
# writes to it (5-15 s after the client went, here), so its count is read
# last, once it has settled.
# The console runs in a private tmux with --no-worker, so no provisioning
# or reconcile pass of its own runner adds to the figures. Figures go to
# bench/README.md.
#
#   bench/details/run.sh BUILD_DIR [STORES] [OPENS] [ROUNDS]
#   (defaults 50, 20, 3)
set -u
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"
bench_init "${1:?usage: run.sh BUILD_DIR [STORES] [OPENS] [ROUNDS]}" --ui
stores=${2:-50}
opens=${3:-20}
rounds=${4:-3}

bench_cluster details 50
bench_order "$stores"
bench_worker_start 10
bench_settle "$stores"
bench_worker_stop

# shellcheck disable=SC2034 # read by ui_start
UI_ENV="KUBECONFIG='$KUBECONFIG'"
ui_start 170 40 --db "\"$db\"" --no-worker
ui_keys 3
ui_wait "Stores \\($stores, 0 busy; live\\)" 10 || { echo "the Stores pane does not list $stores stores:" >&2; ui_screen >&2; exit 1; }
ui_wait "cluster sim: ok" 10
sleep 1 # the pane's first list and watch

rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$UI_PID/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
# shown_within REGEX SECS: polls the screen every 20 ms (finer than
# ui_wait's 100 ms, as this is what is timed)
shown_within() {
	end=$(($(tap_now_ms) + $2 * 1000))
	until ui_screen | grep -Eq -- "$1"; do
		[ "$(tap_now_ms)" -lt "$end" ] || return 1
		sleep 0.02
	done
}
sockets() { find "/proc/$UI_PID/fd" -lname 'socket:*' | wc -l; }
row() { # row OPENS_SO_FAR
	printf '| %s | %s | %s | %s | %s s |\n' "$1" "$(mib "$(rss_kib)")" "$(sockets)" \
		"$(($(sim_requests) - req0))" "$(cpu_s "$UI_PID")"
}

req0=$(sim_requests)
watches0=$(sim_watches_open)
echo "| details opened | console RSS | console sockets | API requests since start | console CPU |"
echo "|---:|---:|---:|---:|---:|"
row 0
times=
n=0
for _ in $(seq "$rounds"); do
	for _ in $(seq "$opens"); do
		t0=$(tap_now_ms)
		ui_keys Enter
		shown_within 'workloads +deployment/wordpress +1/1 ready' 10 ||
			{ echo "opening $((n + 1)): the details do not show the store's objects:" >&2; ui_screen >&2; exit 1; }
		times="$times $(($(tap_now_ms) - t0))"
		ui_esc
		ui_wait "Stores \\($stores, " 5 || { echo "Esc does not close the details" >&2; exit 1; }
		n=$((n + 1))
		# The next store, back to the first after the last.
		if [ $((n % stores)) = 0 ]; then ui_keys Home; else ui_keys Down; fi
	done
	row "$n"
done
wait_for '[ "$(sim_watches_open)" = "$watches0" ]' 60
echo "(kubesim: $watches0 watch(es) open before, $(sim_watches_open) after the last Esc once settled)"
# shellcheck disable=SC2086 # the list is meant to split
echo "(details shown after $(median $times) ms median, $(printf '%s\n' $times | sort -n | head -n 1)–$(printf '%s\n' $times | sort -n | tail -n 1) ms, $n openings; VmHWM $(mib "$(awk '/^VmHWM/ { print $2 }' "/proc/$UI_PID/status")"))"
