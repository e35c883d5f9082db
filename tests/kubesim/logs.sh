#!/bin/sh
# kubesim's container logs as a follower that wants every line exactly once
# meets them, checked with curl and the real kubectl: a follow stream ends
# cleanly at --log-follow-max (and at the /sim/faults override), at a
# rotation every logRotateLines lines (after the file's last line), and at
# a restart (after the old run's last line); a restart gives a new
# containerID, restartCount and lastState.terminated with the exit code,
# and previous=true reads the old run; sinceTime is honoured to the second
# as the API server forwards it, with tailLines and limitBytes; the log
# faults (a drop every N lines, a seeded per-line drop that cuts a line, a
# stall, 503 for a share of log requests) apply under their path prefix
# only; at --log-rate 0 a follow stream gets lines as fast as it reads them.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"

plan 62

work=$TAP_TMP
# --log-keep: every line of a run stays readable however slow the machine,
# so that the checks for seq=1 hold after any time.
sim_start "$work" --seed 3 --log-rate 200 --log-follow-max 2s --log-keep 10000000 \
	--schedule-ms 10 --create-ms 10 --start-ms 10 --ready-ms 10 || {
	echo "Bail out! cannot start kubesim"
	exit 1
}

C() { curl -sk -H "Authorization: Bearer $SIM_TOKEN" "$@"; }
faults() { C -X POST -H 'Content-Type: application/json' -d "$1" "$SIM_URL/sim/faults"; }
stat() { sim_get /sim/stats | jq -r ".$1"; }
P=$SIM_URL/api/v1/namespaces/lg/pods
# follow FILE URL [curl options]: a follow stream into FILE; sets rc and
# ms (how long it lasted).
follow() {
	f__out=$1
	f__url=$2
	shift 2
	f__t0=$(date +%s%N)
	C -N --max-time 30 "$@" "$f__url" >"$f__out"
	rc=$?
	ms=$((($(date +%s%N) - f__t0) / 1000000))
}
# complete FILE: its whole lines (a stream cut in a line leaves a part)
complete() {
	if [ -n "$(tail -c1 "$1")" ]; then head -n -1 "$1"; else cat "$1"; fi
}
pseqs() { grep -o 'seq=[0-9]*' | cut -d= -f2; }
seqs() { complete "$1" | pseqs; }
# consecutive FILE: at least one line, and seq goes up by one on each
consecutive() {
	seqs "$1" | awk 'NR > 1 && $1 != prev + 1 { bad = 1 }
		{ prev = $1 } END { exit bad || NR == 0 }'
}
lines() { complete "$1" | wc -l; }
last_seq() { seqs "$1" | tail -n1; }
nanos() { date -u -d "$1" +%s%N; }

K apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Namespace
metadata: {name: lg}
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: lg}
spec:
  containers:
  - {name: web, image: nginx:1.25}
  - {name: db, image: postgres:16}
---
apiVersion: v1
kind: Pod
metadata: {name: q, namespace: lg}
spec:
  containers:
  - {name: web, image: nginx:1.25}
YAML
has_lines() { [ "$(C "$P/$1/log?container=web" | wc -l)" -ge "$2" ]; }
ok "both pods write logs" wait_for "has_lines p 50 && has_lines q 50" 30

# ---- the kubelet's cap on a follow connection ----
follow "$work/cap" "$P/p/log?container=web&follow=true&tailLines=0"
ok "a follow stream ends cleanly at --log-follow-max 2s (curl exit $rc after $ms ms)" \
	test "$rc" -eq 0 -a "$ms" -ge 1900
ok "its lines are consecutive ($(lines "$work/cap") lines)" consecutive "$work/cap"
is "$(stat logStreamsCapped)" 1 "/sim/stats counts the stream ended by the cap"
faults '{"logFollowMaxSeconds":0.5}' >/dev/null
is "$(sim_get /sim/faults | jq .logFollowMaxSeconds)" 0.5 "/sim/faults sets the cap at run time"
follow "$work/cap2" "$P/p/log?container=web&follow=true&tailLines=0"
ok "the stream ends cleanly after 0.5 s (exit $rc after $ms ms)" \
	test "$rc" -eq 0 -a "$ms" -ge 450
is "$(stat logStreamsCapped)" 2 "  ... ended by the cap, as /sim/stats counts it"
K logs -f -n lg p -c web --tail=3 >"$work/kf" 2>"$work/kf.err"
krc=$?
ok "kubectl logs -f ends at the cap with exit 0 ($krc) and its lines in order" \
	sh -c '[ "$1" -eq 0 ] && [ "$(wc -l <"$2")" -ge 3 ]' _ "$krc" "$work/kf"
ok "  ... consecutive" consecutive "$work/kf"
sim_delete /sim/faults
is "$(sim_get /sim/faults | jq .logFollowMaxSeconds)" 2 \
	"DELETE /sim/faults gives the option's cap back"
faults '{"logFollowMaxSeconds":0}' >/dev/null

# ---- rotation ----
faults '{"logRotateLines":100}' >/dev/null
follow "$work/rot" "$P/p/log?container=web&follow=true&tailLines=5"
last=$(last_seq "$work/rot")
ok "a rotation every 100 lines ends the stream cleanly after the file's last line" \
	test "$rc" -eq 0 -a "$((last % 100))" -eq 0
diag "curl exit $rc, last seq $last"
ok "  ... its lines are consecutive" consecutive "$work/rot"
is "$(stat logStreamsRotated)" 1 "/sim/stats counts the stream ended by a rotation"
first=$(C "$P/p/log?container=web" | pseqs | head -n1)
is "$first" 1 "a read after the rotation still sees the kept lines, from seq=1"
# A sinceTime past the current file's last line: no line of this file is
# sent, and the stream ends when the file rotates, not at once.
before=$(C "$P/p/log?container=web&tailLines=1" | pseqs)
ahead=$(date -u -d @$(($(date +%s) + 30)) +%Y-%m-%dT%H:%M:%SZ)
follow "$work/rot2" "$P/p/log?container=web&follow=true&sinceTime=$ahead"
after=$(C "$P/p/log?container=web&tailLines=1" | pseqs)
is "$rc $(lines "$work/rot2")" "0 0" "a follow stream with a sinceTime 30 s ahead sends nothing"
ok "  ... and ends when its file rotates (seq $before then $after)" \
	test "$after" -ge "$(((before / 100 + 1) * 100))"
is "$(stat logStreamsRotated)" 2 "  ... counted as a rotation"
faults '{"logRotateLines":0}' >/dev/null

# ---- restart ----
cid() { K get pod -n lg p -o jsonpath="{.status.containerStatuses[?(@.name==\"web\")].$1}"; }
old_id=$(cid containerID)
like "$old_id" '^containerd://[0-9a-f]{64}$' "containerID is containerd:// and 64 hex digits"
C -N --max-time 30 "$P/p/log?container=web&follow=true&tailLines=1" >"$work/old" &
cpid=$!
wait_for "[ \$(lines '$work/old') -ge 5 ]" 20
sim_post /sim/restart '{"namespace":"lg","pod":"p","container":"web","exitCode":3}'
wait_for "! tap_running $cpid" 20
wait "$cpid"
rc=$?
is "$rc" 0 "the old run's follow stream ends cleanly at the restart"
new_id=$(cid containerID)
ok "the new run has a new containerID" test -n "$new_id" -a "$new_id" != "$old_id"
is "$(cid restartCount)" 1 "restartCount is 1"
is "$(cid lastState.terminated.exitCode)" 3 "lastState.terminated has the exit code"
is "$(cid lastState.terminated.containerID)" "$old_id" \
	"lastState.terminated has the old containerID"
C "$P/p/log?container=web&previous=true&timestamps=true" >"$work/prev"
is "$(last_seq "$work/old")" "$(last_seq "$work/prev")" \
	"the old stream sent the old run's last line (seq $(last_seq "$work/prev"))"
ok "  ... and every line after its first, once" consecutive "$work/old"
is "$(seqs "$work/prev" | head -n1)" 1 "previous=true reads the old run from seq=1"
wait_for "has_lines p 1" 10
is "$(C "$P/p/log?container=web" | pseqs | head -n1)" 1 "the new run starts at seq=1"
is "$(K logs -n lg p -c web --previous --tail=1 | pseqs)" "$(last_seq "$work/prev")" \
	"kubectl logs --previous --tail=1 prints the old run's last line"

# ---- sinceTime, sinceSeconds, tailLines, limitBytes (on the old run, which no longer changes) ----
n=$(wc -l <"$work/prev")
# a line in the middle with a fraction of a second in its timestamp
mid=$(sed -n "$((n / 2))p" "$work/prev" | cut -d' ' -f1)
sec=${mid%%.*}Z
want=$(awk -v s="${mid%%.*}" '$1 >= s { print; exit }' "$work/prev" | pseqs)
got=$(C "$P/p/log?container=web&previous=true&timestamps=true&sinceTime=$mid" | pseqs | head -n1)
is "$got" "$want" "sinceTime=$mid is honoured to its second: the first line is the second's first"
got=$(C "$P/p/log?container=web&previous=true&sinceTime=${mid%%.*}.999999999Z" | pseqs | head -n1)
is "$got" "$want" "  ... whatever the fraction"
got=$(C "$P/p/log?container=web&previous=true&sinceTime=$sec" | pseqs | head -n1)
is "$got" "$want" "  ... as the whole second"
plus=$(date -u -d "@$(($(nanos "$sec") / 1000000000 + 3600))" +%Y-%m-%dT%H:%M:%S)%2B01:00
got=$(C "$P/p/log?container=web&previous=true&sinceTime=$plus" | pseqs | head -n1)
is "$got" "$want" "  ... with a zone offset ($plus)"
got=$(C "$P/p/log?container=web&previous=true&sinceTime=null" | pseqs | head -n1)
is "$got" 1 "sinceTime=null is no time, as the API server reads it"
out=$(C -w ' %{http_code}' "$P/p/log?container=web&previous=true&sinceTime=9999-12-31T23:59:59Z")
is "$out" " 200" "sinceTime=9999-12-31T23:59:59Z (Go reads years to 9999) gives no line"
got=$(C "$P/p/log?container=web&previous=true&sinceTime=0000-01-01T00:00:00Z" | pseqs | head -n1)
is "$got" 1 "sinceTime=0000-01-01T00:00:00Z gives every line"
for bad in "$(printf %s "$sec" | tr T t)" "${mid%%.*}" 2026-02-30T00:00:00Z 2026-01-01T00:00:60Z; do
	code=$(C -o /dev/null -w '%{http_code}' \
		"$P/p/log?container=web&previous=true&sinceTime=$bad")
	is "$code" 400 "sinceTime=$bad is refused as the API server refuses it"
done
out=$(C "$P/p/log?container=web&previous=true&sinceTime=$sec&tailLines=4" | pseqs | tr '\n' ' ')
is "$out" "$(seqs "$work/prev" | tail -n4 | tr '\n' ' ')" \
	"tailLines=4 with sinceTime: the last 4 lines"
out=$(C "$P/p/log?container=web&previous=true&sinceTime=$sec&tailLines=4&limitBytes=50")
is "$out" "$(C "$P/p/log?container=web&previous=true&tailLines=4" | head -c 50)" \
	"limitBytes=50 cuts the same lines after 50 bytes"
t0=$(date +%s%N)
C "$P/q/log?timestamps=true&sinceSeconds=1" >"$work/ss"
t1=$(date +%s%N)
f=$(nanos "$(head -n1 "$work/ss" | cut -d' ' -f1)")
ok "sinceSeconds=1: the first line is at most a second old, to the nanosecond" \
	test "$f" -ge "$((t0 - 1000000000))" -a "$f" -le "$((t1 - 1000000000 + 5000000))"

# ---- faults, each under its path prefix ----
PP=/api/v1/namespaces/lg/pods/p/
faults '{"dropAfterLines":30,"pathPrefix":"'"$PP"'"}' >/dev/null
follow "$work/d1" "$P/p/log?container=db&follow=true&tailLines=2"
ok "dropAfterLines: the stream breaks (exit $rc) after 2 + 30 lines at most ($(lines "$work/d1"))" \
	test "$rc" -eq 18 -a "$(lines "$work/d1")" -le 32
follow "$work/d2" "$P/q/log?follow=true&tailLines=0" --max-time 1
is "$rc" 28 "  ... a stream outside the prefix goes on"
sim_delete /sim/faults
faults '{"logFollowMaxSeconds":0,"logDropRate":0.02,"pathPrefix":"'"$PP"'"}' >/dev/null
follow "$work/r1" "$P/p/log?container=db&follow=true&tailLines=3"
consecutive "$work/r1" && r=$rc || r="$rc, not consecutive"
is "$r" 18 "logDropRate: the stream breaks (curl exit 18) in a line, after whole consecutive ones"
ok "  ... never in the opening lines ($(lines "$work/r1") lines)" test "$(lines "$work/r1")" -ge 3
sim_delete /sim/faults
faults '{"logFollowMaxSeconds":0,"logStallAfterLines":10,"logStallSeconds":60,
	"pathPrefix":"'"$PP"'"}' >/dev/null
follow "$work/s1" "$P/p/log?container=db&follow=true&tailLines=0" --max-time 3
ok "logStallAfterLines 10: connected (exit $rc), silent after 10 lines ($(lines "$work/s1"))" \
	test "$rc" -eq 28 -a "$(lines "$work/s1")" -eq 10
is "$(stat logStreamsStalled)" 1 "/sim/stats counts the stalled stream"
faults '{"logStallSeconds":1}' >/dev/null
follow "$work/s2" "$P/p/log?container=db&follow=true&tailLines=0" --max-time 4
consecutive "$work/s2" && r=$rc || r="$rc, not consecutive"
is "$r" 28 "a 1 s stall ends, the stream goes on (curl exit 28: still open) in order"
ok "  ... with the lines written meanwhile ($(lines "$work/s2") lines)" \
	test "$(lines "$work/s2")" -gt 100
faults '{"logStallSeconds":60,"logStallCount":1}' >/dev/null
follow "$work/s3" "$P/p/log?container=db&follow=true&tailLines=0" --max-time 2
follow "$work/s4" "$P/p/log?container=db&follow=true&tailLines=0" --max-time 2
ok "logStallCount 1: one stream stalls ($(lines "$work/s3") lines), not the next" \
	test "$(lines "$work/s3")" -eq 10 -a "$(lines "$work/s4")" -gt 10
is "$(sim_get /sim/faults | jq .logStallCount)" 0 "  ... and no stall is left"
sim_delete /sim/faults
faults '{"logFollowMaxSeconds":0,"logErrorRate":1,"pathPrefix":"'"$PP"'"}' >/dev/null
hdr=$(C -D - -o /dev/null "$P/p/log?container=db&tailLines=1")
like "$hdr" '^HTTP/[0-9.]+ 503' "logErrorRate 1: a log request is answered 503"
like "$hdr" '[Rr]etry-[Aa]fter: 1' "  ... with Retry-After: 1"
is "$(C -o /dev/null -w '%{http_code}' "$P/p")" 200 "  ... the pod itself is read as ever"
is "$(C -o /dev/null -w '%{http_code}' "$P/q/log?tailLines=1")" 200 \
	"  ... another pod's log is not under the prefix"
faults '{"logErrorRate":0.33}' >/dev/null
n503=0
for i in $(seq 1 60); do
	code=$(C -o /dev/null -w '%{http_code}' "$P/p/log?container=db&tailLines=1")
	[ "$code" = 503 ] && n503=$((n503 + 1))
done
ok "logErrorRate 0.33: some of 60 log requests are answered 503 ($n503)" \
	test "$n503" -ge 5 -a "$n503" -le 40
sim_delete /sim/faults

# ---- --log-rate 0: as fast as the reader reads ----
sim_stop
# the first server's kubeconfig would pass for the new one's until it is written
rm -f "$work/kubeconfig" "$work/port"
sim_start "$work" --seed 3 --log-rate 0 --schedule-ms 10 --create-ms 10 --start-ms 10 \
	--ready-ms 10 || {
	echo "Bail out! cannot start kubesim"
	exit 1
}
P=$SIM_URL/api/v1/namespaces/lg/pods
K create namespace lg >/dev/null
K run -n lg q --image=nginx:1.25 >/dev/null
wait_for "[ \"\$(K get pod -n lg q -o jsonpath='{.status.phase}')\" = Running ]" 30
C -N --max-time 60 "$P/q/log?follow=true&timestamps=true" 2>/dev/null | head -n 200000 >"$work/fast"
is "$(lines "$work/fast")" 200000 "--log-rate 0: a follow stream reads 200000 lines at once"
ok "  ... every one in order" consecutive "$work/fast"
f=$(nanos "$(head -n1 "$work/fast" | cut -d' ' -f1)")
l=$(nanos "$(tail -n1 "$work/fast" | cut -d' ' -f1)")
is "$((l - f))" 199999 "  ... stamped a nanosecond apart"
ok "  ... and a plain read then has them" \
	test "$(C "$P/q/log?tailLines=1" | pseqs)" -ge 200000
ahead=$(date -u -d @$(($(date +%s) + 3600)) +%Y-%m-%dT%H:%M:%SZ)
follow "$work/ahead" "$P/q/log?follow=true&sinceTime=$ahead" --max-time 2
is "$rc $(wc -c <"$work/ahead")" "28 0" \
	"  ... but none stamped after now: a sinceTime an hour ahead waits, connected"
