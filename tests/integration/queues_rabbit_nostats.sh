# `opsdeck queue` against a broker that keeps no statistics
# (management_agent.disable_metrics_collector) and has no shovel plugin:
# counts and rates are shown as unknown, never as zero; peek still works;
# a move says the shovel plugin is not enabled, and changes nothing.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/rabbit.sh"

plan 7

RABBIT_PLUGINS=rabbitmq_management
RABBIT_CONF='management_agent.disable_metrics_collector = true'
rabbit_start || { echo "Bail out! cannot start RabbitMQ"; exit 1; }
work=$TAP_TMP/work
mkdir -p "$work"
export XDG_CONFIG_HOME="$work/config"
cd "$work" || exit 1
cat >"$work/config.yaml" <<EOC
rabbitmq:
  - name: quiet
    url: $RABBIT_URL
    user: $RABBIT_USER
    password: "$RABBIT_PASSWORD"
EOC
od() { "$OPSDECK" -c "$work/config.yaml" "$@"; }
run() {
	out=$("$@" 2>"$work/stderr" </dev/null)
	rc=$?
	err=$(cat "$work/stderr")
}

rabbit_queue_declare / tasks && rabbit_queue_declare / tasks.dlq &&
	rabbit_publish / tasks.dlq 2 dead || { echo "Bail out! cannot set the queues up"; exit 1; }

run od queue list --json
is "$rc" 0 "the listing works without statistics"
is "$(printf '%s' "$out" | python3 -c '
import json, sys
q = [x for x in json.load(sys.stdin) if x["name"] == "tasks.dlq"][0]
print(q["messages"], q["ready"], q["unacked"], q["consumers"], "publish_rate" in q, "deliver_rate" in q)')" \
	"None None None None False False" "counts are null and rates absent, not zero"
run od queue list
like "$out" 'quiet +/ +tasks\.dlq +classic +live +- +- +- +- +- +- +-' "the text listing shows them as unknown"
run od queue peek quiet tasks.dlq
like "$rc:$out" '^0:message 1: 6 bytes.*
  dead-1' "peek works without statistics"
run od queue move quiet tasks.dlq tasks
like "$rc:$err" '^1:opsdeck: broker quiet: the shovel plugin is not enabled \(rabbitmq-plugins enable rabbitmq_shovel rabbitmq_shovel_management\): cannot move messages' \
	"a move says the shovel plugin is not enabled"
run od queue peek quiet tasks.dlq --count 5 --json
is "$(printf '%s' "$out" | python3 -c 'import json,sys; print(" ".join(m["payload"] for m in json.load(sys.stdin)))')" \
	"dead-1 dead-2" "the dead-letter queue keeps its messages"
run od queue peek quiet tasks --json
is "$rc:$out" "0:[]" "and the target queue got none"
