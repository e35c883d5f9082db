#!/bin/bash
# The console's Logs pane ingesting LINES lines (default 1,000,000): a
# store's two pods on a kubesim at --log-rate 0 (as fast as the console
# reads), opened with `:logs STORE` in a private tmux, the ring at its
# default bounds (logs.max_lines 100,000, logs.max_bytes 64 MiB) or, with
# MAX_LINES, at that many lines and 4 GiB. The pane first takes each
# container's tail (as many lines as the ring holds, merged by time);
# from then it times the lines the pane counts (held + evicted) until
# LINES more, and reads the console's CPU over them and its peak RSS
# (VmHWM) then. The payload the
# ring holds is its lines held times the mean length of those lines' text
# (read with `opsdeck logs STORE --tail`, which shows the same text).
# Figures go to bench/README.md.
#
#   bench/logs/console.sh BUILD_DIR [LINES [MAX_LINES]]
set -u
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"
bench_init "${1:?usage: console.sh BUILD_DIR [LINES [MAX_LINES]]}" --ui
lines=${2:-1000000}
if [ -n "${3:-}" ]; then
	printf 'logs:\n  max_lines: %s\n  max_bytes: 4294967296\n' "$3" \
		>"$UI_CONFIG/config.yaml"
fi

bench_cluster logs 1 --log-rate 0 --log-keep 10000000
bench_ready_stores 1

# shellcheck disable=SC2034 # read by ui_start
UI_ENV="KUBECONFIG='$KUBECONFIG'"
ui_start 120 40 --db "\"$db\"" --no-worker
ui_wait "cluster sim: ok" 20 || { echo "the cluster is not connected:" >&2; ui_screen >&2; exit 1; }
rss_kib() { awk "/^$1:/ { print \$2 }" "/proc/$UI_PID/status"; }
rss0=$(rss_kib VmRSS)
cpu0=$(cpu_s "$UI_PID")
# taken: lines held + evicted, as the pane's summary says them
taken() {
	ui_screen | sed -n 's/.* lines\/s, \([0-9]*\) evicted, \([0-9]*\) held.*/\1 \2/p' |
		awk '{ print $1 + $2; exit }'
}
# until_taken N: waits until the pane has taken N lines (10 minutes at most)
until_taken() {
	until [ "$(taken)" -ge "$1" ]; do
		[ $(($(tap_now_ms) - t_open)) -lt 600000 ] ||
			{ echo "$1 lines did not come in 10 minutes" >&2; exit 1; }
		sleep 0.05
	done
}
# The pane asks each container for as many lines as its ring holds (its
# tail), merged by time: the rate is timed once both are in, over the
# LINES that come after them.
backlog=$((2 * ${3:-100000}))
ui_keys : && ui_text "logs s1"
t_open=$(tap_now_ms)
ui_keys Enter
# shellcheck disable=SC2016 # wait_for evaluates it
wait_for '[ "$(taken)" -gt 0 ]' 30 || { echo "no line came:" >&2; ui_screen >&2; exit 1; }
until_taken "$backlog"
t0=$(tap_now_ms)
open_ms=$((t0 - t_open))
cpu0=$(cpu_s "$UI_PID")
n0=$(taken)
until_taken $((n0 + lines))
ms=$(($(tap_now_ms) - t0))
cpu1=$(cpu_s "$UI_PID")
hwm=$(rss_kib VmHWM)
summary=$(ui_screen | grep -m1 ' lines/s, ')
n=$(($(taken) - n0))
held=$(ui_screen | sed -n 's/.* evicted, \([0-9]*\) held.*/\1/p' | head -1)
ui_stop
# the mean text length of the newest lines, per pod's container
"$OPSDECK" --db "$db" logs s1 --tail $((held / 2)) >"$work/tail" || exit 1
mean=$(awk '{ b += length($0) } END { printf "%.1f", b / NR }' "$work/tail")
awk -v n="$n" -v ms="$ms" -v cpu0="$cpu0" -v cpu1="$cpu1" -v rss0="$rss0" -v hwm="$hwm" \
	-v held="$held" -v mean="$mean" 'BEGIN {
	payload = held * mean
	printf "| lines taken | lines/s | CPU s per million lines | RSS before | peak RSS "
	printf "| held | payload held | peak RSS / payload | growth / payload |\n"
	printf "|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
	printf "| %d | %.0f | %.2f | %.1f MiB | %.1f MiB | %d | %.1f MiB | %.2f | %.2f |\n",
		n, n / (ms / 1000), (cpu1 - cpu0) / (n / 1e6), rss0 / 1024, hwm / 1024, held,
		payload / 1048576, hwm * 1024 / payload, (hwm - rss0) * 1024 / payload
}'
echo "(the $backlog lines of the containers' tails were in $open_ms ms after the Enter)"
echo "(pane: $summary)"
echo "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
