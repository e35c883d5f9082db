#!/bin/bash
# The console's Stores pane with N Ready stores, each with its web
# Deployment and 2 pods on one kubesim (2N pods): how long until the pane
# first shows READY values, the console's CPU and peak memory until then,
# how long one store's Deployment change and a filter keystroke take to be
# drawn, and whether keys are answered during the initial load; and how
# long until every Deployment is known (the first list whole).
#
# The stores are inserted by SQL and kubesim is seeded through /sim/seed
# (bench_ready_stores in bench/lib.sh), so no worker runs. The console runs
# with --no-worker in a private tmux (tests/ui/lib.sh) at 120x40; every
# time is read from the screen, captured in a loop every POLL_MS. Each
# run starts the console twice: once quiet (first paint, CPU, memory, then
# the changes and the filter keystrokes), once with a Down key sent every
# 100 ms from the moment the list shows until READY does (key latencies).
# Every wait is bounded: the first paint by MAX_S, the rest by 30 s; a
# bound reached is said in the summary, never waited out.
#
#   bench/stores_pane/run.sh BUILD_DIR [N]      (N defaults to 10000)
#   RUNS=3 MAX_S=1200 CHANGES=3 FILTERS=3 POLL_MS=10 in the environment
#
# The last lines are the summary, one figure a line. Figures go to
# bench/README.md.
set -u
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"
bench_init "${1:?usage: run.sh BUILD_DIR [N]}" --ui
stores=${2:-10000}
runs=${RUNS:-3}
max_s=${MAX_S:-1200}
changes=${CHANGES:-3}
filters=${FILTERS:-3}
poll_ms=${POLL_MS:-10}
poll_s=$(awk -v ms="$poll_ms" 'BEGIN { printf "%.3f", ms / 1000 }')
nl=$'\n'
top=be0000000001 # s1, the newest store: the pane's first row

log() { printf '%s\n' "$*" >&2; }
now() { NOW=$((${EPOCHREALTIME/./} / 1000)); } # ms, without a fork
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
hwm_kib() { awk '/^VmHWM/ { print $2 }' "/proc/$UI_PID/status"; }

# until_screen REGEX MAX_MS: polls the screen until it matches (SCREEN
# holds it); false once MAX_MS have passed.
until_screen() {
	now
	local start=$NOW end=$((NOW + $2)) rc=0
	while :; do
		SCREEN=$(ui_screen)
		polls=$((polls + 1))
		[[ $SCREEN =~ $1 ]] && break
		now
		[ "$NOW" -lt "$end" ] || { rc=1; break; }
		sleep "$poll_s"
	done
	now
	polled_ms=$((polled_ms + NOW - start))
	return $rc
}

# console: starts it (T0 the moment before, UI_PID the process) and shows
# the Stores pane once the tab bar is there.
console() {
	now
	T0=$NOW
	# shellcheck disable=SC2034 # read by ui_start_cmd
	UI_ENV="KUBECONFIG='$KUBECONFIG'"
	ui_start_cmd 120 40 "exec '$UI_BIN' --db \"$db\" --no-worker"
	UI_PID=$(ui__tmux display-message -p '#{pane_pid}')
	until_screen '1 Catalog' 30000 || { log "the console did not start:"; ui_screen >&2; exit 1; }
	ui_keys 3
}

console_stop() {
	ui_stop
	wait_for '! ui_alive' 10 || kill -9 "$UI_PID" 2>/dev/null
}

ready_re="be[0-9a-f]{10} [^$nl]* [0-9]+/[0-9]+ " # a row with a READY count
list_re="Stores \\($stores, "
# the title once every Deployment is known (no "reading cluster")
all_re="Stores \\($stores, [0-9]+ busy; live\\) +[0-9]+/$stores$nl"

# scale R: the top store's Deployment to R replicas (a merge patch)
scale() {
	curl -sk --max-time 10 -o /dev/null -w '%{http_code}' -X PATCH \
		-H "Authorization: Bearer $SIM_TOKEN" -H 'Content-Type: application/merge-patch+json' \
		-d "{\"spec\":{\"replicas\":$1}}" \
		"$SIM_URL/apis/apps/v1/namespaces/store-$top/deployments/wordpress" | grep -q 200
}

# A quiet start: first paint with READY, CPU and peak RSS until then; then
# the changes and the filter. Appends to the figure lists.
quiet_run() {
	console
	if ! until_screen "$ready_re" $((max_s * 1000)); then
		log "run $1: no READY after $max_s s; CPU $(cpu_s "$UI_PID") s, VmHWM $(mib "$(hwm_kib)") MiB"
		gave_up="$gave_up $1"
		console_stop
		return 1
	fi
	now
	paint="$paint $((NOW - T0))"
	cpu="$cpu $(cpu_s "$UI_PID")"
	rss="$rss $(mib "$(hwm_kib)")"
	log "run $1: READY after $((NOW - T0)) ms"
	if until_screen "$all_re" $((max_s * 1000)); then
		now
		whole="$whole $((NOW - T0))"
		wcpu="$wcpu $(cpu_s "$UI_PID")"
		wrss="$wrss $(mib "$(hwm_kib)")"
		log "run $1: every Deployment known after $((NOW - T0)) ms"
	else
		log "run $1: the list was not whole after $max_s s"
	fi
	# One store's Deployment changes: its spec (2 -> 3 -> 2) is shown at
	# once as READY's second number; each waits for the pods to settle.
	for _ in $(seq "$changes"); do
		for r in 3 2; do
			# Settled at the previous count first (a new pod takes 2 s).
			until_screen "$top [^$nl]* $((5 - r))/$((5 - r)) " 30000 || { change_lost=$((change_lost + 1)); continue; }
			scale "$r" || { log "cannot scale the Deployment"; exit 1; }
			now
			t=$NOW
			if until_screen "$top [^$nl]* [0-9]+/$r " 30000; then
				now
				change="$change $((NOW - t))"
			else
				change_lost=$((change_lost + 1))
			fi
		done
	done
	until_screen "$top [^$nl]* 2/2 " 30000 || log "run $1: the top store did not settle at 2/2"
	# A filter: / opens it, a character filters the table.
	for _ in $(seq "$filters"); do
		now
		t=$NOW
		ui_keys /
		if until_screen "$nl/\$" 30000; then
			now
			slash="$slash $((NOW - t))"
		else
			filter_lost=$((filter_lost + 1))
		fi
		now
		t=$NOW
		ui_text 7
		if until_screen "of $stores [^$nl]*/7$nl.*$nl/7\$" 30000; then
			now
			fchar="$fchar $((NOW - t))"
		else
			filter_lost=$((filter_lost + 1))
		fi
		ui_esc
		ui_esc
		until_screen "${list_re}[^$nl]* [0-9]+/$stores$nl" 30000 || { log "the filter did not close:"; ui_screen >&2; exit 1; }
	done
	console_stop
}

# keys_answered: the keys of keys_run that SCREEN shows done (key j, from
# 0, once the cursor is at row j + 2), with their latencies.
keys_answered() {
	[[ $SCREEN =~ $pos_re ]] || return 0
	while [ "$answered" -lt "$k" ] && [ $((answered + 2)) -le "${BASH_REMATCH[1]}" ]; do
		keylat="$keylat $((NOW - sent[answered]))"
		answered=$((answered + 1))
	done
}

# A start with a Down key every 100 ms until every READY is known: each key's time
# until the cursor position it asked for is drawn (the title's P/N).
keys_run() {
	local k=0 sent=() pos_re="Stores \\($stores, [^$nl]* ([0-9]+)/$stores$nl" ready=false
	local answered=0 end
	console
	until_screen "$pos_re" $((max_s * 1000)) || { log "run $1: no list after $max_s s"; console_stop; return 1; }
	now
	end=$((T0 + max_s * 1000))
	while ! $ready && [ "$NOW" -lt "$end" ] && [ $k -lt $((stores - 1)) ]; do
		ui_keys Down
		now
		sent[k]=$NOW
		k=$((k + 1))
		local next=$((NOW + 100))
		while [ "$NOW" -lt "$next" ]; do
			SCREEN=$(ui_screen)
			now
			[[ $SCREEN =~ $all_re ]] && ready=true
			keys_answered
			sleep "$poll_s"
		done
	done
	# The keys still waiting get up to 30 s more, as a person would wait.
	end=$((NOW + 30000))
	while [ $answered -lt $k ] && [ "$NOW" -lt "$end" ]; do
		SCREEN=$(ui_screen)
		now
		keys_answered
		sleep "$poll_s"
	done
	keys_sent=$((keys_sent + k))
	keys_lost=$((keys_lost + k - answered))
	$ready || log "run $1: no READY while keys were sent ($max_s s)"
	log "run $1: $k keys sent, $answered answered"
	console_stop
}

bench_cluster pane 1
now
t=$NOW
bench_ready_stores "$stores"
now
log "$stores stores in the database and on kubesim after $((NOW - t)) ms (kubesim RSS $(mib "$(awk '/^VmRSS/ { print $2 }' "/proc/$SIM_PID/status")") MiB)"

paint="" cpu="" rss="" whole="" wcpu="" wrss="" change="" slash="" fchar="" keylat="" gave_up="" polls=0 polled_ms=0
change_lost=0 filter_lost=0 keys_sent=0 keys_lost=0
for i in $(seq "$runs"); do
	quiet_run "$i" && keys_run "$i"
done

# "median (min-max)" of a list, or "-" when empty
stat() {
	# shellcheck disable=SC2086 # the list is meant to split
	if [ -z "${1// /}" ]; then echo "-"; else
		echo "$(median $1) ($(printf '%s\n' $1 | sort -n | head -n 1)–$(printf '%s\n' $1 | sort -n | tail -n 1))"
	fi
}
count() { echo $#; }
# shellcheck disable=SC2086
within50=$(printf '%s\n' $keylat | awk 'NF && $1 <= 50 { n++ } END { print n + 0 }')
echo "== Stores pane, $stores stores ($((stores * 2)) pods), $runs run(s); the screen captured every $poll_ms ms plus the capture's own time: one every $((polled_ms / (polls > 0 ? polls : 1))) ms on average"
if [ -n "$gave_up" ]; then
	echo "first paint with READY: not within $max_s s in run(s)$gave_up (gave up)"
fi
echo "first paint with READY: $(stat "$paint") ms"
echo "CPU until then: $(stat "$cpu") s"
echo "peak RSS until then: $(stat "$rss") MiB"
echo "every Deployment known: $(stat "$whole") ms; CPU until then $(stat "$wcpu") s, peak RSS $(stat "$wrss") MiB"
# shellcheck disable=SC2086
echo "one Deployment change shown: $(stat "$change") ms ($(count $change) changes; $change_lost not shown within 30 s)"
# shellcheck disable=SC2086
echo "/ drawn: $(stat "$slash") ms ($(count $slash) keystrokes)"
# shellcheck disable=SC2086
echo "filter character drawn: $(stat "$fchar") ms ($(count $fchar) keystrokes; $filter_lost not drawn within 30 s)"
echo "keys during the load: $keys_sent sent, $within50 answered within 50 ms, $keys_lost not answered within 30 s of READY; latency $(stat "$keylat") ms"
