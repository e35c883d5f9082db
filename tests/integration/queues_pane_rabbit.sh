# The Queues pane's RabbitMQ section in a real terminal (tmux) against a
# real broker (tests/lib/rabbit.sh) and a real database, at 120x40 and
# 80x24: the broker's line and its queues with their counts, Celery's own
# queues apart from the work queues; a peek shows a payload and leaves it;
# a purge asks for the queue's name typed back and empties exactly that
# queue; a dead-letter queue's messages moved back; a stopped broker shows
# in words on its line while the jobs keep updating, and recovers; every
# action audited, and refused in read-only mode. The cluster's KafkaTopics
# (kubesim: v1beta2 in one cluster, v1 in another) below them: Ready, not
# ready with its reason, not yet applied.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/ui/lib.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/queues.sh"
. "$top_srcdir/tests/lib/rabbit.sh"
. "$top_srcdir/tests/lib/sim.sh"

plan 43

ui_with_pg
rabbit_start || { echo "Bail out! cannot start RabbitMQ"; exit 1; }
{
	for q in tasks heavy background worker1.celery.pidbox tasks.dlq; do
		rabbit_queue_declare / "$q" || exit 1
	done
	rabbit_publish / tasks 5 task && rabbit_publish / heavy 3 heavy &&
		rabbit_publish / worker1.celery.pidbox 1 ping && rabbit_publish / tasks.dlq 4 dead
} || { echo "Bail out! cannot fill the broker"; exit 1; }
queues_config --rabbit
mkdir -p "$TAP_TMP/sim"
# The topics' statuses are written here, not by kubesim's controller.
sim_start "$TAP_TMP/sim" --topic-ready-ms 3600000 || { echo "Bail out! cannot start kubesim"; exit 1; }
topic() { # topic NAME PARTITIONS REPLICAS
	printf '{"apiVersion":"kafka.strimzi.io/v1beta2","kind":"KafkaTopic","metadata":{"name":"%s","namespace":"kafka","labels":{"strimzi.io/cluster":"events"}},"spec":{"partitions":%s,"replicas":%s}}' "$1" "$2" "$3"
}
# (through the API: kubectl patches a status subresource only from 1.24)
topic_status() { # topic_status NAME STATUS REASON MESSAGE
	curl -sfk --max-time 10 -H "Authorization: Bearer $SIM_TOKEN" -X PATCH \
		-H 'Content-Type: application/merge-patch+json' \
		-d "{\"status\":{\"observedGeneration\":1,\"conditions\":[{\"type\":\"Ready\",\"status\":\"$2\",\"reason\":\"$3\",\"message\":\"$4\"}]}}" \
		"$SIM_URL/apis/kafka.strimzi.io/v1beta2/namespaces/kafka/kafkatopics/$1/status"
}
{
	K create namespace kafka &&
		topic orders 12 3 | K create -f - &&
		topic audit 1 1 | K create -f - &&
		topic payments 6 3 | K create -f - &&
		topic_status orders True "" "" &&
		topic_status audit False KafkaError "Number of partitions cannot be decreased"
} >/dev/null || { echo "Bail out! cannot make the KafkaTopics"; exit 1; }
# A second cluster serves only kafka.strimzi.io/v1 (Strimzi 0.52 and later),
# its topic made Ready by kubesim's controller; its kubeconfig names it kraft.
old_kubeconfig=$KUBECONFIG
mkdir -p "$TAP_TMP/sim1"
sim_start "$TAP_TMP/sim1" --kafka-topic-version v1 || { echo "Bail out! cannot start kubesim"; exit 1; }
{
	K create namespace streams &&
		printf '{"apiVersion":"kafka.strimzi.io/v1","kind":"KafkaTopic","metadata":{"name":"clicks","namespace":"streams","labels":{"strimzi.io/cluster":"kraft-events"}},"spec":{"partitions":24,"replicas":3}}' |
		K create -f -
} >/dev/null || { echo "Bail out! cannot make the v1 KafkaTopic"; exit 1; }
sed 's/kubesim/kraft/g' "$TAP_TMP/sim1/kubeconfig" >"$TAP_TMP/sim1/kraft.kubeconfig"
export KUBECONFIG="$old_kubeconfig:$TAP_TMP/sim1/kraft.kubeconfig"
UI_ENV="PGHOST='$PGHOST' PGPORT=$PGPORT PGDATABASE=$PGDATABASE PGUSER=$PGUSER KUBECONFIG='$KUBECONFIG'"

depths() {
	for n in tasks heavy background worker1.celery.pidbox tasks.dlq; do
		printf '%s=%s ' "$n" "$(rabbit_depth / "$n")"
	done
}
# depths_are WANT DESC: the broker's statistics lag a little behind a change
# (wait_for evals its condition inside itself, where $1 is the condition:
# the wanted depths go through a variable.)
depths_are() {
	depths_want=$1
	wait_for '[ "$(depths)" = "$depths_want" ]' 30
	is "$(depths)" "$1" "$2"
}
# line_of REGEX: the screen line the first match is on
line_of() { ui_screen | grep -nE -- "$1" | head -n 1 | cut -d: -f1; }
queues_prepare_db
{
	q -c "INSERT INTO opsdeck.clusters (name, kube_context) VALUES ('kind', 'kubesim'), ('kraft', 'kraft')" &&
		q -c "$(queues_store_sql 0000000000b1 shop Queued)" &&
		q -c "$(queues_store_sql 0000000000b2 later Queued)" &&
		q -c "INSERT INTO opsdeck.jobs (store, kind) VALUES ('0000000000b1', 'provision')"
} >/dev/null || { echo "Bail out! cannot prepare the database"; exit 1; }

ui_start 120 40 --no-worker
ui_keys 4
screen_has "the pane shows the Jobs section with its counts" 'Jobs: 1 queued'
screen_has "and the RabbitMQ section with the broker's counts" \
	'RabbitMQ: 1 broker · 5 queues · 13 messages'
screen_has "the broker's line: version, node and totals" \
	'main: RabbitMQ [0-9.]+ on [^ ]+@[^ ]+, 5 queues, 13 messages \(13 ready, 0 unacked\)'
screen_has "a work queue with its ready, unacked and total counts" \
	'/ +tasks +work +classic +running +5 +0 +5 +0 '
screen_has "the dead-letter queue too" '/ +tasks\.dlq +work +classic +running +4 +0 +4 '
screen_has "each queue with its depth trend" '/ +heavy +work .* [▁▂▃▄▅▆▇█]+ *$'
screen_has "Celery's pidbox is in its own group" 'worker1\.celery\.pidbox +celery '
screen_has "the Kafka topics section counts the cluster's topics" \
	'Kafka topics: 4 topics · 2 ready · 1 not ready · 1 not yet applied'
screen_has "a v1 topic of a cluster that serves only v1, made Ready by its operator" \
	'kraft +streams +clicks +kraft-events +24 +3 +Ready'
screen_has "a Ready topic with its Kafka cluster, partitions and replicas" \
	'kind +kafka +orders +events +12 +3 +Ready'
screen_has "a topic not ready with its reason and message" \
	'kafka +audit +events +1 +1 +not ready: KafkaError: Number of partitions cannot be decreased'
screen_has "a topic the operator has not applied yet" 'kafka +payments +events +6 +3 +not yet applied'
K -n kafka patch kafkatopic orders --type=merge -p '{"spec":{"partitions":16}}' >/dev/null
screen_has "a changed spec the operator has not applied shows so, live" \
	'kafka +orders +events +16 +3 +not yet applied \(generation 2, applied 1\)'
pidbox=$(line_of 'worker1\.celery\.pidbox'); dlq=$(line_of '/ +tasks\.dlq'); bg=$(line_of '/ +background')
ok "Celery's own queues are listed after the work queues" \
	test "${pidbox:-0}" -gt "${dlq:-99}" -a "${pidbox:-0}" -gt "${bg:-99}"

# ---- the cursor on the RabbitMQ queues: peek ----
ui_keys s / && ui_text tasks && ui_keys Enter
screen_has "s moves to the queues; the footer tells the queue under the cursor and its keys" \
	'Queue tasks \(vhost /\) of main: \(p peeks, d purges, m moves its messages\)'
ui_keys p
screen_has "p shows the first messages of the queue" 'The first messages of queue tasks'
screen_has "with their payloads" 'task-1'
# a message's header line, its payload on the next, a blank line between
# messages; no newline drawn as a character
ok "each message on lines of its own" \
	eval 'ui_screen | grep -A1 "^ *Message 1: " | tail -n 1 | grep -q "^ *task-1 *$"'
ok "and the next message starts a line of its own" \
	eval 'ui_screen | grep -q "^ *Message 2: " && ! ui_screen | grep -F "Message 2:" | grep -q "?\|task-1"'
is "$(rabbit_depth / tasks)" 5 "the peek leaves the messages in the queue"
ui_esc
ui_wait 'RabbitMQ: 1 broker'

# ---- purge: the name typed back ----
ui_keys d
screen_has "d asks for the queue's name typed back" 'Purge every ready message of queue tasks on broker main\? Type its name'
ui_text task && ui_keys Enter
screen_has "a name that is not the queue's purges nothing" '"task" is not "tasks": nothing purged'
ui_keys d && ui_wait 'Queue name:' && ui_text tasks && ui_keys Enter
screen_has "the name typed back purges" 'Purged 1 queue'
depths_are "tasks=0 heavy=3 background=0 worker1.celery.pidbox=1 tasks.dlq=4 " \
	"exactly that queue is empty"
is "$(q -c "SELECT actor || ' ' || object FROM opsdeck.events WHERE action = 'queue.purge'" | grep -c 'pane-tester.*tasks')" 1 \
	"the purge is audited with the operator"
screen_has "the pane follows: the queue shows 0" '/ +tasks +work +classic +running +0 +0 +0 '

# ---- move a dead-letter queue's messages back ----
ui_esc
ui_keys / && ui_text dlq && ui_keys Enter
ui_wait 'Queue tasks\.dlq \(vhost /\) of main: a dead-letter queue'
ui_keys m
screen_has "m offers the dead-letter queue's origin" 'To queue: tasks'
ui_keys BSpace BSpace BSpace && ui_wait 'To queue: ta *$'
ui_keys Tab
screen_has "Tab completes a queue name of the broker" 'To queue: tasks *$'
ui_keys Enter
screen_has "the messages are moved" 'Moved the messages of tasks\.dlq to tasks' 60
depths_are "tasks=4 heavy=3 background=0 worker1.celery.pidbox=1 tasks.dlq=0 " \
	"every message is back in its queue"
is "$(q -c "SELECT count(*) FROM opsdeck.events WHERE action = 'queue.move' AND actor = 'pane-tester'")" 1 \
	"the move is audited"

# ---- purge the marked queues: their count typed back ----
ui_esc
ui_keys / && ui_text heavy && ui_keys Enter && ui_wait 'Queue heavy \(vhost /\)'
ui_keys Space
ui_esc
ui_keys / && ui_text pidbox && ui_keys Enter && ui_wait 'Queue worker1\.celery\.pidbox \(vhost /\)'
ui_keys Space
ui_esc
ui_keys d
screen_has "d on marked queues asks for their count" 'Purge every ready message of 2 marked queues\? Type 2'
ui_text 2 && ui_keys Enter
screen_has "the count typed back purges them" 'Purged 2 queues'
depths_are "tasks=4 heavy=0 background=0 worker1.celery.pidbox=0 tasks.dlq=0 " \
	"exactly the marked queues are empty"

# ---- the broker stops: an error row, the jobs keep updating, recovery ----
rabbit_stop
screen_has "a stopped broker shows in words on its line" 'main: cannot reach|main: .*(refused|no answer)' 60
q -c "INSERT INTO opsdeck.jobs (store, kind) VALUES ('0000000000b2', 'provision')" >/dev/null
screen_has "meanwhile the Jobs section still updates" 'Jobs: 2 queued'
screen_has "and the section says a broker is failing" 'RabbitMQ: 1 broker · 5 queues · [0-9]+ messages · 1 failing'
rabbit_restart || { echo "Bail out! cannot restart RabbitMQ"; exit 1; }
screen_has "the broker's line comes back when it answers again" \
	'main: RabbitMQ [0-9.]+ on [^ ]+@[^ ]+, 5 queues' 60

# ---- 80x24, read-only ----
ui_start 80 24 --no-worker --read-only
ui_keys 4
screen_has "at 80x24 both sections show their counts" 'RabbitMQ: 1 broker · 5 queues'
ui_wait 'Jobs: 2 queued'
screen_has "and the queues their counts" 'tasks +work +running +4 +0 +4 '
ui_keys s d
screen_has "read-only mode refuses a purge" 'read-only mode: refusing to purge a queue'
ui_keys m
screen_has "and a move" "read-only mode: refusing to move a queue's messages"
is "$(depths)" "tasks=4 heavy=0 background=0 worker1.celery.pidbox=0 tasks.dlq=0 " \
	"nothing changed"
ui_stop
