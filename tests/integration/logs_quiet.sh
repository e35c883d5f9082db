# `opsdeck logs -f --tail 0` against kubesim when a stream says nothing for
# longer than the stall bound (5 s):
#  - the first stream stalls before its first line (kubesim's stall fault)
#    while the container writes 20 lines a second: the reconnect asks from
#    the time the follow started, so the lines written while it was down
#    come, each once, in order, and none from before the follow started;
#  - a container that writes a line every 20 s: its quiet stream is
#    reconnected at the stall bound again and again, silently (nothing on
#    stderr), and its lines still come once each.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"

plan 10

work=$(mktemp -d)
tap_on_exit "rm -rf '$work'"
export XDG_CONFIG_HOME="$work/config" XDG_STATE_HOME="$work/state"
printf 'logs:\n  stall_timeout: 5\n' >"$work/op.yaml"
od() { "$OPSDECK" -c "$work/op.yaml" "$@"; }
follower=
tap_on_exit '[ -n "$follower" ] && kill $follower 2>/dev/null && wait $follower'
# seqs FILE: the seq of each JSON line
seqs() { jq -r '.line | capture("seq=(?<s>[0-9]+)").s' "$1"; }
last_seq() { od logs -n quiet app --tail 1 --json | jq -r '.line | capture("seq=(?<s>[0-9]+)").s'; }
stat() { sim_get /sim/stats | jq -r ".$1"; }
# a pod "app" in namespace "quiet", with its first line written
start_pod() {
	K create namespace quiet >/dev/null
	printf '%s\n' 'apiVersion: v1' 'kind: Pod' 'metadata: {name: app, namespace: quiet}' \
		'spec: {containers: [{name: main, image: busybox}]}' >"$work/pod.yaml"
	K apply -f "$work/pod.yaml" >/dev/null
	wait_for "[ \"\$(od logs -n quiet app --tail 1 | wc -l)\" = 1 ]" 60
}
# once FILE: "first=F last=L", and a PROBLEM line for each seq out of turn
once() {
	seqs "$1" | awk 'NR == 1 { f = $1; l = $1; next }
		$1 != l + 1 { printf "PROBLEM %d after %d\n", $1, l } { l = $1 }
		END { printf "first=%d last=%d\n", f, l }'
}

# ---- a first stream that breaks before its first line ----
mkdir "$work/a"
sim_start "$work/a" --seed 5 --log-rate 20 --log-keep 1000000 ||
	{ echo "Bail out! cannot start kubesim"; exit 1; }
start_pod
sim_post /sim/faults '{"logStallAfterLines": 0, "logStallSeconds": 600, "logStallCount": 1}'
before=$(last_seq)
"$OPSDECK" -c "$work/op.yaml" logs -n quiet app -f --tail 0 --json \
	>"$work/follow" 2>"$work/follow.err" &
follower=$!
wait_for '[ "$(stat logStreamsStalled)" -ge 1 ]' 30
# the first stream is open and stalled: every line from here on was
# written after the follow started
s0=$(last_seq)
like "$s0" '^[0-9]+$' "the last line written once the follow's first stream was open: $s0"
wait_for "seqs '$work/follow' | grep -qx '$((s0 + 150))'" 60
kill "$follower"
wait "$follower"
follower=
check=$(once "$work/follow")
unlike "$check" PROBLEM "every line once, in order"
first=$(echo "$check" | sed -n 's/^first=\([0-9]*\) .*/\1/p')
ok "the lines written while the first stream was stalled came ($check; the last before it: $s0)" \
	[ "$first" -le $((s0 + 1)) ]
ok "no line from before the follow started ($before was the last then)" [ "$first" -gt "$before" ]
is "$(cat "$work/follow.err")" "" "the stall's reconnect is not reported"
sim_stop

# ---- a container quiet for longer than the stall bound ----
mkdir "$work/b"
sim_start "$work/b" --seed 6 --log-rate 0.05 --log-keep 1000000 ||
	{ echo "Bail out! cannot start kubesim"; exit 1; }
start_pod
base=$(stat logStreamsTotal)
b0=$(last_seq)
"$OPSDECK" -c "$work/op.yaml" logs -n quiet app -f --tail 0 --json \
	>"$work/quiet" 2>"$work/quiet.err" &
follower=$!
# four streams: three reconnects of a quiet stream, 5 s apart
wait_for "[ \"\$(stat logStreamsTotal)\" -ge $((base + 4)) ]" 60
streams=$(($(stat logStreamsTotal) - base))
ok "the quiet stream was reconnected at the stall bound ($streams streams)" \
	[ "$(stat logStreamsTotal)" -ge $((base + 4)) ]
is "$(cat "$work/quiet.err")" "" "a quiet stream's reconnects are not reported"
# its next line, then two more quiet reconnects that replay it
wait_for "[ -s '$work/quiet' ]" 60
base=$(stat logStreamsTotal)
wait_for "[ \"\$(stat logStreamsTotal)\" -ge $((base + 2)) ]" 60
# one line, newer than the last before the follow (which line depends on
# how long the start took: one every 20 s)
got=$(seqs "$work/quiet" | tr '\n' ' ')
is "$(seqs "$work/quiet" | sort -n | uniq -d)" "" "each line came once, through the reconnects after it ($got)"
ok "from a line written after the follow started ($b0 was the last before)" [ "${got%% *}" -gt "$b0" ]
kill "$follower"
wait "$follower"
follower=
is "$(cat "$work/quiet.err")" "" "nothing on stderr"
