# The Queues pane's actions in a real terminal (tmux) against a real broker
# (tests/lib/rabbit.sh), a real database and kubesim: a queue whose name
# holds a space, a slash, a percent sign and a control character is shown
# escaped and peeked at and purged under its exact name (a queue named as
# its cleaned form is left alone); a quorum queue's peek asks first, since
# each peek counts against its delivery limit; a retry's answer is told of
# its own job while a cancel of another is being asked; and the KafkaTopics
# of a cluster that had no Strimzi when the console started show up once
# Strimzi is there. That kubesim serves both KafkaTopic versions, as Strimzi
# 0.4x does while it migrates; the console reads v1, the preferred one.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/ui/lib.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/queues.sh"
. "$top_srcdir/tests/lib/rabbit.sh"
. "$top_srcdir/tests/lib/sim.sh"

plan 16

ui_with_pg
rabbit_start || { echo "Bail out! cannot start RabbitMQ"; exit 1; }
# $twin: what the name read as once its control character was cleaned
{
	rabbit_odd_queues &&
		rabbit_queue_declare / qq '{"x-queue-type":"quorum","x-delivery-limit":2}' &&
		rabbit_publish / qq 1 quorum
} || { echo "Bail out! cannot fill the broker"; exit 1; }
odd=$rabbit_odd twin=$rabbit_twin odd_p=$rabbit_odd_p twin_p=$rabbit_twin_p
queues_config --rabbit
mkdir -p "$TAP_TMP/sim"
sim_start "$TAP_TMP/sim" --kafka-topic-version both || { echo "Bail out! cannot start kubesim"; exit 1; }
{
	K create namespace kafka &&
		printf '{"apiVersion":"kafka.strimzi.io/v1beta2","kind":"KafkaTopic","metadata":{"name":"late","namespace":"kafka","labels":{"strimzi.io/cluster":"events"}},"spec":{"partitions":3,"replicas":1}}' |
		K create -f -
} >/dev/null || { echo "Bail out! cannot make the KafkaTopic"; exit 1; }
is "$(sim_get /apis/kafka.strimzi.io | jq -c '[.preferredVersion.version, [.versions[].version]]')" \
	'["v1",["v1","v1beta2"]]' "kubesim serves both KafkaTopic versions, v1 preferred"
is "$(sim_get /apis/kafka.strimzi.io/v1/namespaces/kafka/kafkatopics | jq -r '.items[0].apiVersion'):$(sim_get /apis/kafka.strimzi.io/v1beta2/namespaces/kafka/kafkatopics/late | jq -r .apiVersion)" \
	"kafka.strimzi.io/v1:kafka.strimzi.io/v1beta2" \
	"a topic written as v1beta2 reads as v1 under v1, and as v1beta2 under v1beta2"
# Strimzi is not there yet: its API group answers 404.
sim_post /sim/faults '{"errorRate":1,"errorCode":404,"pathPrefix":"/apis/kafka.strimzi.io"}' ||
	{ echo "Bail out! cannot set the fault"; exit 1; }
UI_ENV="PGHOST='$PGHOST' PGPORT=$PGPORT PGDATABASE=$PGDATABASE PGUSER=$PGUSER KUBECONFIG='$KUBECONFIG'"

queues_prepare_db
{
	q -c "INSERT INTO opsdeck.clusters (name, kube_context) VALUES ('kind', '$SIM_CONTEXT')" &&
		q -c "$(queues_store_sql 0000000000c1 shop Queued)" &&
		q -c "$(queues_store_sql 0000000000c2 broken Failed)" &&
		q -c "INSERT INTO opsdeck.jobs (store, kind) VALUES ('0000000000c1', 'provision')" &&
		q -c "INSERT INTO opsdeck.jobs (store, kind, state, attempts, max_attempts, last_error, finished_at)
			VALUES ('0000000000c2', 'provision', 'failed', 5, 5, 'boom', now())"
} >/dev/null || { echo "Bail out! cannot prepare the database"; exit 1; }
jc1=$(queues_job_of 0000000000c1); jc2=$(queues_job_of 0000000000c2)
depth() { rabbit_depth / "$1"; }

ui_start 120 40 --no-worker
ui_keys 4
screen_has "the queue's name is shown with its control character escaped" \
	'/ +odd name/with%\\x01ctl +work +classic +running +2 +0 +2 '
ok "the cluster was asked for KafkaTopics and had none" \
	wait_for '[ "$(sim_get /sim/stats | jq -e .errorsInjected)" -ge 1 ]' 30
is "$(ui_screen | grep -c 'Kafka topics')" 0 "so the pane shows no Kafka section"

# ---- the oddly named queue: peek and purge act on it, exactly ----
ui_keys s / && ui_text 'with%\x01' && ui_keys Enter
screen_has "the footer names it escaped" 'Queue odd name/with%\\x01ctl \(vhost /\) of main'
ui_keys p
screen_has "p peeks at it" 'odd-1'
ui_esc
ui_wait 'RabbitMQ: 1 broker'
ui_keys d && ui_wait 'Queue name:'
ui_text 'odd name/with%\x01ctl' && ui_keys Enter
screen_has "its name typed as shown purges it" 'Purged 1 queue'
ok "exactly that queue is empty; the one named as its cleaned form keeps its messages" \
	wait_for '[ "$(depth "$odd_p"):$(depth "$twin_p")" = 0:3 ]' 30

# ---- a quorum queue: the peek asks first ----
ui_esc
ui_keys / && ui_text qq && ui_keys Enter && ui_wait 'Queue qq \(vhost /\)'
ui_keys p
screen_has "a quorum queue's peek asks first" \
	'Peek at quorum queue qq\? Each peek counts against its delivery limit \(2\)'
screen_has "saying why" 'queue qq is a quorum queue: each peek counts as a delivery'
ui_keys n
ui_wait_gone 'Peek at quorum queue'
ui_keys p && ui_wait 'Peek at quorum queue' && ui_keys y
screen_has "agreed, it peeks and tells that a delivery was counted" \
	'Peeked at 1 message; they went back to quorum queue qq, each with a delivery counted against its limit of 2'
screen_has "with the messages" 'quorum-1'
ui_esc

# ---- a retry's answer while a cancel of another job is asked ----
ui_keys s && ui_wait 'Job [0-9]+, '
mkfifo "$TAP_TMP/lock.in"
psql -X -q -v ON_ERROR_STOP=1 <"$TAP_TMP/lock.in" >/dev/null 2>&1 &
lock_pid=$!
exec 4>"$TAP_TMP/lock.in"
tap_on_exit "exec 4>&-; wait $lock_pid 2>/dev/null"
echo "BEGIN; LOCK TABLE opsdeck.jobs IN EXCLUSIVE MODE; SELECT 1;" >&4
wait_for "[ \"\$(q -c \"SELECT count(*) FROM pg_locks WHERE relation = 'opsdeck.jobs'::regclass AND mode = 'ExclusiveLock' AND granted\")\" = 1 ]" 20
ui_keys / && ui_text broken && ui_keys Enter && ui_wait "Job $jc2, provision of broken: failed"
ui_keys R
ui_wait "Retrying job $jc2"
ui_esc
ui_keys / && ui_text shop && ui_keys Enter && ui_wait "Job $jc1, provision of shop: queued"
ui_keys X && ui_wait "Cancel job $jc1"
echo "COMMIT;" >&4
screen_has "the retry's answer names the job retried, not the one being asked about" \
	"Job $jc2 runs again as job [0-9]+"
ui_keys y
screen_has "and the cancel's names its own" "Job $jc1 is cancelled"

# ---- Strimzi installed after the console started ----
# Both versions are served now, v1beta2 failing: the console reads v1.
sim_post /sim/faults '{"errorRate":1,"errorCode":500,"pathPrefix":"/apis/kafka.strimzi.io/v1beta2"}'
screen_has "the cluster is asked again, and its KafkaTopics show up, read as v1 (v1beta2 fails)" \
	'kind +kafka +late +events +3 +1 ' 150
ui_stop
