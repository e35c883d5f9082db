# `opsdeck queue` against a real RabbitMQ broker (tests/lib/rabbit.sh) and a
# real PostgreSQL for the audit trail: depths listed right, 2,000 queues
# through paging, peek leaves the message, purge empties exactly the chosen
# queues, a shovel moves a dead-letter queue back, errors in words (wrong
# password, a broker that does not answer, one that is stopped and comes
# back), and read-only mode refuses every change.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/rabbit.sh"

plan 66

pg_start || { echo "Bail out! cannot start PostgreSQL"; exit 1; }
t0=$(tap_now_ms)
rabbit_start || { echo "Bail out! cannot start RabbitMQ"; exit 1; }
diag "broker started in $(($(tap_now_ms) - t0)) ms"
work=$TAP_TMP/work
mkdir -p "$work"
export XDG_CONFIG_HOME="$work/config"
cd "$work" || exit 1
printf '%s\n' "$RABBIT_PASSWORD" >"$work/rabbit.pass"
chmod 600 "$work/rabbit.pass"
# A port where something listens and never answers.
silent_port=$(rabbit__free_ports 1)
python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
conns = []
while True:
    c, _ = s.accept()
    conns.append(c)
' "$silent_port" &
silent_pid=$!
tap_on_exit "kill $silent_pid 2>/dev/null; wait $silent_pid 2>/dev/null"

cat >"$work/config.yaml" <<EOF
operator: alice
database: "$OPSDECK_TEST_DB"
rabbitmq:
  - name: main
    url: $RABBIT_URL
    user: $RABBIT_USER
    password_file: $work/rabbit.pass
    vhosts: ["/"]
  - name: bulk
    url: $RABBIT_URL
    user: $RABBIT_USER
    password: "$RABBIT_PASSWORD"
    vhosts: [bulk]
  - name: badpw
    url: $RABBIT_URL/
    user: $RABBIT_USER
    password: not-the-password
  - name: silent
    url: http://127.0.0.1:$silent_port
    user: nobody
    password: x
    timeout: 1
EOF

od() { "$OPSDECK" -c "$work/config.yaml" "$@"; }
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }
run() {
	out=$("$@" 2>"$work/stderr" </dev/null)
	rc=$?
	err=$(cat "$work/stderr")
}
# depth VHOST QUEUE: messages as the broker counts them, right now
depth() { rabbit_depth "$1" "$2"; }
# The JSON listing's field for one queue of broker main.
listed() {
	od queue list --broker main --json 2>/dev/null | python3 -c '
import json, sys
for q in json.load(sys.stdin):
    if q["name"] == sys.argv[1]:
        print(q.get(sys.argv[2], "absent"))' "$1" "$2"
}

od db migrate >/dev/null || { echo "Bail out! db migrate failed"; exit 1; }

# ---- queues with known depths ----
for qn in tasks heavy background tasks.dlq w1.celery.pidbox celeryev.0d1e; do
	rabbit_queue_declare / "$qn" || { echo "Bail out! cannot declare $qn"; exit 1; }
done
rabbit_publish / tasks 3 task && rabbit_publish / heavy 5 heavy && rabbit_publish / tasks.dlq 4 dead &&
	rabbit_publish / celeryev.0d1e 2 ev || { echo "Bail out! cannot publish"; exit 1; }

ok "the listing shows each queue's depth once the broker has counted them" \
	wait_for '[ "$(listed tasks messages):$(listed heavy messages):$(listed tasks.dlq messages):$(listed background messages)" = 3:5:4:0 ]' 30
run od queue list --broker main --json
is "$rc" 0 "queue list --json exits 0"
fields=$(printf '%s' "$out" | python3 -c '
import json, sys
q = [x for x in json.load(sys.stdin) if x["name"] == "heavy"][0]
print(q["broker"], q["vhost"], q["type"], q["state"], q["messages"], q["ready"], q["unacked"], q["consumers"], q["kind"])')
is "$fields" "main / classic running 5 5 0 0 work" "a queue's object has broker, vhost, type, state, counts and kind"
is "$(listed celeryev.0d1e kind):$(listed w1.celery.pidbox kind):$(listed tasks kind)" "celery:celery:work" \
	"Celery's event and mailbox queues are told apart from work queues"
ok "rates come once the broker has measured them (publish rate present)" \
	wait_for '[ "$(listed tasks publish_rate)" != absent ]' 30
run od queue list --broker main
like "$out" 'BROKER +VHOST +QUEUE +TYPE +STATE +READY +UNACKED +TOTAL +CONSUMERS' "the text listing has a header"
like "$out" 'main +/ +heavy +classic +running +5 +0 +5 +0 ' "the text listing shows heavy's depth"
like "$out" "Celery's own queues" "Celery's queues are listed in a section of their own"
celery_part=$(printf '%s\n' "$out" | sed -n "/Celery's own queues/,\$p")
like "$celery_part" 'celeryev\.0d1e' "the events queue is in the Celery section"
unlike "$celery_part" ' tasks ' "a work queue is not in the Celery section"

# ---- 2,000 queues through paging ----
rabbit_api PUT /api/vhosts/bulk '{}' >/dev/null &&
	rabbit_api PUT "/api/permissions/bulk/$RABBIT_USER" '{"configure":".*","write":".*","read":".*"}' >/dev/null ||
	{ echo "Bail out! cannot make the vhost"; exit 1; }
python3 -c '
import json
print(json.dumps({"queues": [{"name": "bulk-%04d" % i, "vhost": "bulk", "durable": True,
    "auto_delete": False, "arguments": {}} for i in range(2000)]}))' >"$work/defs.json"
# The import declares 2,000 durable queues before it answers: far beyond
# 30 s on a busy machine (it was once).
RABBIT_API_TIMEOUT=600 rabbit_api POST /api/definitions "@$work/defs.json" >/dev/null ||
	{ echo "Bail out! cannot import 2000 queues"; exit 1; }
t0=$(tap_now_ms)
run od queue list --broker bulk --json
diag "2000 queues listed in $(($(tap_now_ms) - t0)) ms"
is "$rc" 0 "listing 2000 queues exits 0"
counts=$(printf '%s' "$out" | python3 -c '
import json, sys
l = json.load(sys.stdin)
names = [q["name"] for q in l]
print(len(l), len(set(names)), names[0], names[-1], all(q["vhost"] == "bulk" for q in l))')
is "$counts" "2000 2000 bulk-0000 bulk-1999 True" "every one of 2000 queues is listed once, in order, through pages of 500"
# The broker is restarted below: without the 2,000 queues to recover, its
# boot stays short on a busy machine. The vhost comes back empty.
rabbit_api DELETE /api/vhosts/bulk >/dev/null 2>&1
wait_for '! rabbit_api GET /api/vhosts/bulk >/dev/null 2>&1' 120
{
	rabbit_api PUT /api/vhosts/bulk '{}' >/dev/null &&
		rabbit_api PUT "/api/permissions/bulk/$RABBIT_USER" '{"configure":".*","write":".*","read":".*"}' >/dev/null
} || { echo "Bail out! cannot empty the vhost"; exit 1; }

# ---- peek ----
run od queue peek main tasks --count 2
is "$rc" 0 "peek exits 0"
like "$out" 'message 1: 6 bytes.*routing key tasks' "peek shows the message's size and routing key"
like "$out" '  task-1' "peek shows the payload"
like "$out" '  task-2' "peek shows the second message"
ok "peek leaves the messages in the queue" wait_for '[ "$(depth / tasks)" = 3 ]' 20
rabbit_queue_declare / odd && rabbit_api POST /api/exchanges/%2F/amq.default/publish \
	'{"properties":{},"routing_key":"odd","payload":"a\nb\u001b[2Jc","payload_encoding":"string"}' >/dev/null
run od queue peek main odd
like "$out" '  a\\nb\\x1b\[2Jc' "control characters in a payload are shown escaped"
run od queue peek main tasks --json --count 1
is "$(printf '%s' "$out" | python3 -c 'import json,sys; m=json.load(sys.stdin)[0]; print(m["payload"], m["routing_key"], m["redelivered"])')" \
	"task-1 tasks True" "peek --json gives the payload and says it was requeued"
run od queue peek main no-such-queue
like "$rc:$err" '^1:opsdeck: broker main: queue no-such-queue does not exist on the broker' "peek of a missing queue says so"

# ---- purge ----
run od queue purge main heavy
like "$rc:$err" '^1:opsdeck: a purge needs --yes when it is not run on a terminal' "purge without --yes off a terminal is refused"
is "$(depth / heavy)" 5 "and the queue keeps its messages"
# on a terminal (script(1) gives it one): the queue's name is asked for
# on_tty ANSWER CMD: CMD on a terminal that does not echo, so the answer
# typed never lands before or after the question by the machine's timing.
on_tty() { printf '%s\n' "$1" | script -qec "stty -echo; $2" /dev/null 2>&1 | tr -d '\r'; }
out=$(on_tty wrong "$OPSDECK -c $work/config.yaml queue purge main heavy")
like "$out" "Type the queue's name to confirm: opsdeck: not confirmed: nothing purged" \
	"on a terminal, a purge asks for the queue's name and a wrong answer purges nothing"
is "$(depth / heavy)" 5 "the queue keeps its messages"
run od -r queue purge main heavy --yes
like "$rc:$err" '^1:opsdeck: read-only mode' "read-only mode refuses a purge"
run od queue purge main heavy background --yes
is "$rc:$out" "0:purged queue heavy on broker main
purged queue background on broker main" "purge of two queues"
ok "the purged queue is empty" wait_for '[ "$(depth / heavy)" = 0 ]' 20
is "$(depth / tasks):$(depth / tasks.dlq)" "3:4" "the other queues keep their messages"
is "$(q -c "SELECT string_agg(actor || ' ' || action || ' ' || object, ',' ORDER BY id) FROM opsdeck.events WHERE action LIKE 'queue.%'")" \
	"alice queue.purge rabbitmq/main///heavy,alice queue.purge rabbitmq/main///background" \
	"each purge is in the audit trail with the operator"

rabbit_publish / heavy 2 again || { echo "Bail out! cannot publish"; exit 1; }
wait_for '[ "$(depth / heavy)" = 2 ]' 20
out=$(on_tty heavy "$OPSDECK -c $work/config.yaml queue purge main heavy")
like "$out" "purged queue heavy on broker main" "typing the queue's name purges it"
ok "and empties it" wait_for '[ "$(depth / heavy)" = 0 ]' 20

# ---- move a dead-letter queue back through a shovel ----
run od -r queue move main tasks.dlq tasks
like "$rc:$err" '^1:opsdeck: read-only mode' "read-only mode refuses a move"
run od queue move main tasks.dlq nowhere
like "$rc:$err" '^1:opsdeck: broker main: queue nowhere does not exist on the broker' "a move to a missing queue is refused in words"
run od queue move main tasks.dlq tasks
is "$rc:$out" "0:moved 4 messages from queue tasks.dlq to queue tasks on broker main" "move reports what it moved"
ok "the dead-letter queue is empty" wait_for '[ "$(depth / tasks.dlq)" = 0 ]' 20
ok "its messages are in the target queue" wait_for '[ "$(depth / tasks)" = 7 ]' 20
run od queue peek main tasks --count 7 --json
is "$(printf '%s' "$out" | python3 -c 'import json,sys; print(" ".join(sorted(m["payload"] for m in json.load(sys.stdin))))')" \
	"dead-1 dead-2 dead-3 dead-4 task-1 task-2 task-3" "every moved message is there"
is "$(rabbit_api GET /api/parameters/shovel | tr -d ' \n')" "[]" "the shovel removed itself"
is "$(q -c "SELECT count(*) FROM opsdeck.events WHERE action = 'queue.move' AND detail->>'to' = 'tasks'")" 1 \
	"the move is in the audit trail"

# ---- errors in words ----
run od queue list --broker badpw
like "$rc:$err" '^1:opsdeck: broker badpw: the broker refused the credentials \(not_authorized: Login failed\)' \
	"a wrong password is told with the broker's reason"
unlike "$err" 'not-the-password' "the password is not shown"
run od queue list --broker silent
like "$rc:$err" '^1:opsdeck: broker silent: GET /api/overview: no answer from http://127.0.0.1:[0-9]+ (in time|within 1 s)' \
	"a broker that does not answer is a timeout in words"
run od queue list
like "$err" 'broker badpw' "listing every broker names the one that failed"
like "$out" 'main +/ +tasks ' "and lists the others' queues"

# ---- the queue watch, as the console polls: a broker down, then back ----
cat >"$work/watch.yaml" <<EOF
rabbitmq:
  - name: main
    url: $RABBIT_URL
    user: $RABBIT_USER
    password_file: $work/rabbit.pass
    vhosts: ["/"]
  - name: badpw
    url: $RABBIT_URL
    user: $RABBIT_USER
    password: not-the-password
EOF
mkfifo "$work/probe.in"
"$top_builddir/tests/integration/queuewatch_probe" "$work/watch.yaml" tasks 300 \
	<"$work/probe.in" >"$work/probe.out" 2>&1 &
probe_pid=$!
exec 3>"$work/probe.in"
tap_on_exit "exec 3>&-; kill $probe_pid 2>/dev/null; wait $probe_pid 2>/dev/null"
watched() { grep "^$1 " "$work/probe.out" | tail -n 1; }
ok "the watch lists each queue with its depth and its trend" \
	wait_for 'watched main | grep -q "^main ok .* depth=7 trend=7 "' 20
like "$(watched badpw)" '^badpw failed .*error=broker badpw: the broker refused the credentials \(not_authorized: Login failed\)' \
	"a broker refusing the credentials is failed with the reason while the other is listed"

rabbit_stop
run od queue list --broker main
like "$rc:$err" '^1:opsdeck: broker main: GET /api/overview: cannot reach http://127.0.0.1:[0-9]+: Connection refused' \
	"a stopped broker is told in words"
ok "the watch marks the stopped broker failed, in words" \
	wait_for 'watched main | grep -q "^main failed .*error=broker main: GET /api/overview: cannot reach"' 30
like "$(watched main)" 'queues=7 depth=7 ' "and keeps its last listing meanwhile"
rabbit_restart || { echo "Bail out! the broker did not come back"; exit 1; }
ok "once the broker is back, its queues are listed again with their messages" \
	wait_for '[ "$(listed tasks messages)" = 7 ]' 30
ok "and the watch recovers by itself" wait_for 'watched main | grep -q "^main ok .* depth=7 "' 30

# ---- a quorum queue: each peek counts as a delivery ----
{
	rabbit_queue_declare / qq.dead &&
		rabbit_queue_declare / qq '{"x-queue-type":"quorum","x-delivery-limit":2,"x-dead-letter-exchange":"","x-dead-letter-routing-key":"qq.dead"}' &&
		rabbit_queue_declare / sq '{"x-queue-type":"stream"}' &&
		rabbit_publish / qq 1 quorum
} || { echo "Bail out! cannot make the quorum queue"; exit 1; }
wait_for '[ "$(depth / qq)" = 1 ]' 20
for i in 1 2 3 4; do run od queue peek main qq; done
is "$rc:$err" "1:opsdeck: broker main: queue qq is a quorum queue: each peek counts as a delivery against its delivery limit of 2, past which the broker dead-letters or drops a message
opsdeck: nothing peeked; --yes peeks anyway" \
	"a peek of a quorum queue is refused in words, with its delivery limit, unless agreed to"
is "$(depth / qq):$(depth / qq.dead)" "1:0" "refused peeks, more than the limit, leave the message where it was"
run od queue peek main qq --yes
is "$rc:$(printf '%s' "$out" | tail -n 1)" "0:  quorum-1" "--yes peeks at the quorum queue"
is "$err" "opsdeck: they went back to quorum queue qq, each with a delivery counted against its limit of 2" \
	"and says what became of the messages"
out=$(on_tty y "$OPSDECK -c $work/config.yaml queue peek main qq")
like "$(printf '%s' "$out" | tr '\n' '|')" 'quorum queue: each peek counts .*\|Peek anyway\? \[y/N\] message 1: .*\|  quorum-1\|' \
	"on a terminal the peek asks, and y peeks"
run od queue peek main qq --yes
ok "the warning is true: a peek past the delivery limit dead-letters the message" \
	wait_for '[ "$(depth / qq):$(depth / qq.dead)" = 0:1 ]' 20
run od queue peek main sq
like "$rc:$err" '^1:opsdeck: broker main: queue sq is a stream: it is read by consumers from an offset' \
	"a stream is refused in words"

# ---- a queue whose name holds a space, a slash, a percent sign and a control character ----
# $twin: what the name read as once its control character was cleaned
rabbit_odd_queues || { echo "Bail out! cannot make the oddly named queues"; exit 1; }
odd=$rabbit_odd twin=$rabbit_twin odd_p=$rabbit_odd_p twin_p=$rabbit_twin_p
ok "the listing has the queue under its exact name, with its depth" \
	wait_for '[ "$(listed "$odd" messages):$(listed "$twin" messages)" = 2:3 ]' 30
run od queue list --broker main
like "$out" 'main +/ +odd name/with%\\x01ctl +classic' "the text listing shows the name with its control character escaped"
run od queue peek main "$odd" --count 2
is "$rc:$(printf '%s' "$out" | sed -n 2p)" "0:  odd-1" "peek reads that queue"
run od queue purge main "$odd" --yes
is "$rc:$out" '0:purged queue odd name/with%\x01ctl on broker main' "purge names it escaped"
ok "and empties exactly that queue" wait_for '[ "$(depth / "$odd_p"):$(depth / "$twin_p")" = 0:3 ]' 20
is "$(q -c "SELECT object || '|' || (detail->>'queue' = '$odd') FROM opsdeck.events WHERE action = 'queue.purge' ORDER BY id DESC LIMIT 1")" \
	'rabbitmq/main///odd name/with%\x01ctl|true' "the audit event shows the name escaped and keeps it exact"
run od queue move main "$twin" "$odd"
is "$rc" 0 "a move into it works"
ok "and moves every message there" wait_for '[ "$(depth / "$odd_p"):$(depth / "$twin_p")" = 3:0 ]' 20
