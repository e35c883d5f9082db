# `opsdeck logs -f` and the reader of its output, against kubesim at
# --log-rate 0 (a container writes a line each time a stream asks: as fast
# as opsdeck takes them), a pod of two containers:
#  - `| head -n 5`: it ends as soon as head has gone, killed by SIGPIPE as
#    any writer is; with SIGPIPE ignored, it says it cannot write (exit 1);
#  - a full disk (/dev/full), following and reading: said, exit 1;
#  - stopped by SIGTERM while writing to a file, or to a reader that takes
#    nothing for a while: every line it built is in the output, whole, and
#    each container's lines come once each, in order;
#  - stopped while its reader takes nothing at all: what it built waits for
#    the reader; a second SIGTERM (or Ctrl-C) ends it at once.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sim.sh"

plan 26

work=$(mktemp -d)
tap_on_exit "rm -rf '$work'"
export XDG_CONFIG_HOME="$work/config" XDG_STATE_HOME="$work/state"
follower=
tap_on_exit '[ -n "$follower" ] && kill $follower 2>/dev/null && wait $follower'
# follow: in the background, at most a GiB of output (a safety net)
follow() {
	(ulimit -f 1048576; exec "$OPSDECK" logs -n out -l app=out -f --tail 0 --prefix) &
	follower=$!
}
# tally FILE: "lines gaps repeats cut" over each container's seq=k (cut:
# lines that are not whole log lines)
tally() {
	awk '{ if (!match($0, /seq=[0-9]+$/)) { cut++; next }
		k = $1; s = substr($0, RSTART + 4) + 0; n++
		if (k in last) { if (s > last[k] + 1) gaps += s - last[k] - 1; else if (s <= last[k]) reps++ }
		if (!(k in last) || s > last[k]) last[k] = s }
		END { printf "%d %d %d %d\n", n, gaps, reps, cut }' "$1"
}
# whole FILE: the file ends with a line's end
whole() { [ -s "$1" ] && [ "$(tail -c 1 "$1" | wc -l)" = 1 ]; }

sim_start "$work" --seed 3 --log-rate 0 --log-keep 10000000 ||
	{ echo "Bail out! cannot start kubesim"; exit 1; }
K create namespace out >/dev/null
printf '%s\n' 'apiVersion: v1' 'kind: Pod' \
	'metadata: {name: app, namespace: out, labels: {app: out}}' \
	'spec: {containers: [{name: web, image: nginx}, {name: db, image: mysql}]}' >"$work/pod.yaml"
K apply -f "$work/pod.yaml" >/dev/null
wait_for "[ \"\$(\"\$OPSDECK\" logs -n out app -c db --tail 1 | wc -l)\" = 1 ]" 60

# ---- a reader that goes away ----
timeout 60 bash -c "\"\$OPSDECK\" logs -n out -l app=out -f --tail 0 --prefix 2>'$work/err' |
	head -n 5 >'$work/head'; echo \"\${PIPESTATUS[0]}\" >'$work/rc'"
is "$?" 0 "logs -f | head -n 5 ends when head has gone"
is "$(cat "$work/rc")" 141 "killed by SIGPIPE, as a writer of a pipe whose reader went is"
is "$(grep -c 'seq=[0-9]*$' "$work/head")" 5 "head has its five lines"
timeout 60 bash -c "trap '' PIPE
	\"\$OPSDECK\" logs -n out -l app=out -f --tail 0 --prefix 2>'$work/err' | head -n 5 >/dev/null
	echo \"\${PIPESTATUS[0]}\" >'$work/rc'"
is "$?" 0 "with SIGPIPE ignored, logs -f | head -n 5 ends all the same"
is "$(cat "$work/rc")" 1 "and exits 1"
is "$(cat "$work/err")" "opsdeck: cannot write the output" "saying it cannot write"

# ---- a full disk ----
timeout 60 "$OPSDECK" logs -n out -l app=out -f --tail 0 >/dev/full 2>"$work/err"
is "$?" 1 "following onto a full disk exits 1"
is "$(cat "$work/err")" "opsdeck: cannot write the output" "saying it cannot write"
timeout 60 "$OPSDECK" logs -n out app --tail 1000 >/dev/full 2>"$work/err"
is "$?" 1 "a read onto a full disk exits 1"
is "$(cat "$work/err")" "opsdeck: cannot write the output" "saying it cannot write"

# ---- stopped while writing to a file ----
follow >"$work/file" 2>"$work/err"
wait_for "[ \"\$(wc -l <'$work/file')\" -ge 100000 ]" 120
kill -TERM "$follower"
wait "$follower"
is "$?" 0 "a follow stopped by SIGTERM exits 0"
follower=
ok "the file ends with a whole line" whole "$work/file"
read -r n gaps reps cut < <(tally "$work/file")
is "$gaps $reps $cut" "0 0 0" "$n lines: none missing, none twice, none cut"

# ---- a reader that takes nothing for a while, then all ----
mkfifo "$work/fifo"
{ read -r first; sleep 2; printf '%s\n' "$first"; cat; } <"$work/fifo" >"$work/slow" &
reader=$!
follow >"$work/fifo" 2>"$work/err"
wait_for "[ \"\$(wc -l <'$work/slow')\" -ge 100000 ]" 120
kill -TERM "$follower"
wait "$follower"
is "$?" 0 "a follow to a slow reader, stopped by SIGTERM, exits 0"
follower=
wait "$reader"
is "$?" 0 "the reader read to the end"
ok "its output ends with a whole line" whole "$work/slow"
read -r n gaps reps cut < <(tally "$work/slow")
is "$gaps $reps $cut" "0 0 0" "$n lines: none missing, none twice, none cut"
is "$(cat "$work/err")" "" "nothing on stderr"

# ---- stopped while its reader takes nothing: SIGTERM, then the reader ----
# pending FIFO: the bytes written to the fifo and not read yet
pending() { python3 -c 'import fcntl, os, struct, sys, termios
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
print(struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"0000"))[0])' "$1"; }
# writer_blocked PID FIFO: one of its threads waits in write(2) on the full
# pipe (the kernel names the wait pipe_write or anon_pipe_write); where
# the kernel does not name waits, 64 KiB pending (a pipe can be full with
# less, pages part-used, so the name comes first)
writer_blocked() {
	local n
	n=$(pending "$2")
	[ "$n" -gt 0 ] || return 1
	cat /proc/"$1"/task/*/wchan 2>/dev/null | grep -q pipe_write || [ "$n" -ge 65536 ]
}
# gone PID: the process has ended (a zombie until waited for)
gone() { ! ps -o stat= -p "$1" | grep -qv '^Z'; }
mkfifo "$work/stall"
exec 3<>"$work/stall" # a reader that holds the fifo and reads nothing
follow >"$work/stall" 2>"$work/err"
# the pipe is full: the writer waits in write(2) and the batches queue up
ok "the reader takes nothing: the writer waits on the full pipe" \
	wait_for "writer_blocked $follower '$work/stall'" 60
kill -TERM "$follower"
# the reader reads now, through an end of its own: once opsdeck has gone
# no writer is left and it sees the end
exec 4<"$work/stall" 3>&-
cat <&4 >"$work/late" &
catpid=$!
exec 4<&-
wait "$follower"
is "$?" 0 "stopped by SIGTERM while its reader took nothing, it exits 0 once the reader reads"
follower=
wait "$catpid"
ok "the reader's output ends with a whole line" whole "$work/late"
read -r n gaps reps cut < <(tally "$work/late")
is "$gaps $reps $cut" "0 0 0" "$n lines: none missing, none twice, none cut"

# ---- ... and a second SIGTERM while it waits for a reader that never reads ----
rm -f "$work/stall" && mkfifo "$work/stall"
exec 3<>"$work/stall"
follow >"$work/stall" 2>"$work/err"
ok "... and again: the writer waits on the full pipe" \
	wait_for "writer_blocked $follower '$work/stall'" 60
kill -TERM "$follower"
# the first is taken by the loop, which stops; from then on one ends it
wait_for "kill -TERM $follower 2>/dev/null; gone $follower" 30
ok "a second SIGTERM ends it while its reader takes nothing" gone "$follower"
gone "$follower" || kill -KILL "$follower"
wait "$follower"
is "$?" 143 "... killed by the signal (143)"
follower=
exec 3>&-
is "$(cat "$work/err")" "" "nothing on stderr"
