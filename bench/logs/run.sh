#!/bin/bash
# `opsdeck logs -f` against `kubectl logs -f` and a plain `curl -N` of the
# same follow URLs (the plain reader: no parsing, no resume), on the same
# pods of one kubesim at --log-rate 0 (a container writes a line each time a follow
# stream asks for one: as fast as the reader takes them), over HTTPS. One
# container, then a store's four (2 pods x 2 containers) at once. For each
# client: lines/s, CPU seconds per million lines, peak RSS, the gaps and
# repeats in each container's seq=k numbers, and kubesim's own CPU seconds
# per million lines over that client's run (the server is not the limit
# while it stays well under a core). Each client runs SECONDS
# (default 5) from --tail 0, one after the other; output goes to files.
# Each starts on a settled machine: the file a client wrote (a GiB or
# more) is counted and deleted, and the system's dirty pages are written
# out (sync) before the next starts, which would otherwise pay for that
# writeback on the same two cores.
# Figures go to bench/README.md.
#
#   bench/logs/run.sh BUILD_DIR [SECONDS]
set -u
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"
bench_init "${1:?usage: run.sh BUILD_DIR [SECONDS]}"
secs=${2:-5}

mkdir -p "$work/sim"
sim_start "$work/sim" --seed 1 --log-rate 0 --log-keep 10000000 || exit 1
kc() { kubectl_compat --cache-dir "$work/kcache" "$@"; }
kc create namespace bench >/dev/null || exit 1
for p in p1 p2; do
	printf '%s\n' '---' 'apiVersion: v1' 'kind: Pod' \
		"metadata: {name: $p, namespace: bench, labels: {app: bench}}" \
		'spec: {containers: [{name: web, image: nginx}, {name: db, image: mysql}]}'
done >"$work/pods.yaml"
kc apply -f "$work/pods.yaml" >/dev/null || exit 1
wait_for "[ \"\$(kc -n bench get pods --no-headers 2>/dev/null | grep -c Running)\" = 2 ]" 60 ||
	{ echo "the pods did not start" >&2; exit 1; }

# curl_args OUT POD CONTAINER: curl's arguments to follow a container from
# now on (words without blanks: the token's header comes from a file)
printf 'Authorization: Bearer %s\n' "$SIM_TOKEN" >"$work/auth"
curl_args() {
	echo -sk -N -H "@$work/auth" -o "$1" \
		"$SIM_URL/api/v1/namespaces/bench/pods/$2/log?container=$3&follow=true&timestamps=true&tailLines=0"
}
# seqs FILE [PREFIXED]: "container seq" per complete line; a line cut by
# the end of the run (no newline: its seq may be cut too) is left out
seqs() {
	head -n "$(wc -l <"$1")" "$1" | awk -v pre="${2:-}" '{
		k = pre ? $1 : "one"
		if (match($0, /seq=[0-9]+$/)) print k, substr($0, RSTART + 4)
	}'
}
# tally FILE...: "lines gaps repeats" over every container's seqs
tally() {
	awk '{ k = $1; s = $2 + 0; n++
		if (k in last) { if (s > last[k] + 1) gaps += s - last[k] - 1; else if (s <= last[k]) reps++ }
		if (!(k in last) || s > last[k]) last[k] = s }
		END { printf "%d %d %d\n", n, gaps, reps }'
}
# kubesim's CPU seconds so far; row takes the difference over a client's run
sim_cpu0=$(cpu_s "$SIM_PID")
# settled TIMED_FILE COMMAND...: timed, on a machine with nothing left to
# write back; a client that did not run until the timeout is said
settled() {
	sync
	timed "$@"
	local rc=$?
	[ "$rc" = 124 ] || echo "run.sh: ${*:2:3}... ended with status $rc before its time" >&2
}
# row NAME TIMED_FILE LINES GAPS REPEATS: the row of a client whose output
# has been counted; the output files are deleted
row() {
	read -r ms cpu rss <"$2"
	local sim_cpu
	sim_cpu=$(cpu_s "$SIM_PID")
	awk -v name="$1" -v ms="$ms" -v cpu="$cpu" -v rss="$rss" -v n="$3" -v g="$4" -v r="$5" \
		-v sc="$(awk -v a="$sim_cpu" -v b="$sim_cpu0" 'BEGIN { print a - b }')" \
		'BEGIN { m = n / 1e6
			 printf "| %s | %.0f | %.2f | %d MiB | %d | %d | %.2f |\n", name, n / (ms / 1000),
			 n ? cpu / m : 0, rss / 1024, g, r, n ? sc / m : 0 }'
	sim_cpu0=$sim_cpu
	rm -f "$work"/o.*
}

echo "| client | lines/s | CPU s per million lines | peak RSS | gaps | repeats | kubesim CPU s per million lines |"
echo "|---|---:|---:|---:|---:|---:|---:|"
# ---- one container ----
# shellcheck disable=SC2046 # the arguments are words without blanks
settled "$work/t.curl1" timeout "$secs" curl $(curl_args "$work/o.curl1" p1 web)
read -r n g r < <(seqs "$work/o.curl1" | tally)
row "one container: curl -N" "$work/t.curl1" "$n" "$g" "$r"
settled "$work/t.kubectl1" timeout "$secs" "${KUBECTL:-kubectl}" -n bench logs -f --tail 0 \
	--timestamps p1 -c web >"$work/o.kubectl1"
read -r n g r < <(seqs "$work/o.kubectl1" | tally)
row "one container: kubectl logs -f" "$work/t.kubectl1" "$n" "$g" "$r"
settled "$work/t.opsdeck1" timeout "$secs" "$OPSDECK" logs -n bench p1 -c web -f --tail 0 \
	--timestamps >"$work/o.opsdeck1"
read -r n g r < <(seqs "$work/o.opsdeck1" | tally)
row "one container: opsdeck logs -f" "$work/t.opsdeck1" "$n" "$g" "$r"

# ---- four containers ----
# timeout signals its whole process group: every curl; the shell waits for
# them (their CPU and RSS are counted). It splits each curl's words (the
# URLs' '&' must not reach it as shell text).
# shellcheck disable=SC2016 # $a is the inner shell's
settled "$work/t.curl4" timeout "$secs" bash -c \
	'trap wait TERM; set -f; for a in "$@"; do curl $a & done; wait' _ \
	"$(curl_args "$work/o.curl4.p1.web" p1 web)" "$(curl_args "$work/o.curl4.p1.db" p1 db)" \
	"$(curl_args "$work/o.curl4.p2.web" p2 web)" "$(curl_args "$work/o.curl4.p2.db" p2 db)"
read -r n g r < <(for f in "$work"/o.curl4.*; do seqs "$f" | sed "s|^one|${f##*.curl4.}|"; done | tally)
row "four containers: 4 x curl -N" "$work/t.curl4" "$n" "$g" "$r"
settled "$work/t.kubectl4" timeout "$secs" "${KUBECTL:-kubectl}" -n bench logs -f --tail 0 \
	--timestamps -l app=bench --all-containers --prefix >"$work/o.kubectl4"
read -r n g r < <(seqs "$work/o.kubectl4" 1 | tally)
row "four containers: kubectl logs -f -l --all-containers --prefix" "$work/t.kubectl4" "$n" "$g" "$r"
settled "$work/t.opsdeck4" timeout "$secs" "$OPSDECK" logs -n bench -l app=bench -f --tail 0 \
	--prefix --timestamps >"$work/o.opsdeck4"
read -r n g r < <(seqs "$work/o.opsdeck4" 1 | tally)
row "four containers: opsdeck logs -f -l --prefix" "$work/t.opsdeck4" "$n" "$g" "$r"
echo
echo "kubesim CPU over the runs: $(cpu_s "$SIM_PID") s; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
