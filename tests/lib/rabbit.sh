# A private RabbitMQ broker for one test script. Source it, then:
#
#   rabbit_start   start a broker of its own: its own node name, its own
#                  ports on 127.0.0.1 (AMQP, management HTTP, Erlang
#                  distribution and a private epmd), data, logs and
#                  configuration under TAP_TMP, the management, shovel and
#                  shovel_management plugins enabled; wait until the
#                  management API answers (180 s deadline) and export
#                  RABBIT_URL (http://127.0.0.1:PORT), RABBIT_USER and
#                  RABBIT_PASSWORD (an administrator), RABBIT_AMQP_PORT.
#                  Registers its cleanup with tap_on_exit: the broker and
#                  its epmd are stopped, and waited for, at exit.
#                  RABBIT_PLUGINS (comma-separated) replaces the plugins;
#                  RABBIT_CONF holds more rabbitmq.conf lines.
#   rabbit_stop    stop the broker (its data is kept)
#   rabbit_restart start it again on the same data and ports (after
#                  rabbit_stop), waiting for the management API
#   rabbit_api M PATH [BODY]
#                  one management API request as the administrator; prints
#                  the body, fails on a status that is not 2xx; a BODY of
#                  @FILE is read from FILE
#   rabbit_queue_declare VHOST NAME [ARGUMENTS-JSON]
#   rabbit_publish VHOST QUEUE COUNT [PAYLOAD-PREFIX]
#                  COUNT messages through the default exchange
#   rabbit_depth VHOST QUEUE
#                  the queue's message count as the broker's API shows it
#   rabbit_odd_queues
#                  two queues in vhost /: $rabbit_odd, named with a space, a
#                  slash, a percent sign and a control character (2
#                  messages), and $rabbit_twin, the name as it read once
#                  the control character was cleaned (3 messages);
#                  $rabbit_odd_p and $rabbit_twin_p are them URL-encoded
#   rabbit_log     the broker's log directory (for diag on failure)
#
# The programs are Debian's rabbitmq-server ones, from /usr/lib/rabbitmq/bin.
# Under uid 0 the broker runs as the `rabbitmq` user (or `nobody`), which
# owns its directory, as the package's own service would.

command -v tap_on_exit >/dev/null 2>&1 || . "$top_srcdir/tests/lib/tap.sh"

RABBIT_BINDIR=${RABBIT_BINDIR:-/usr/lib/rabbitmq/bin}
RABBIT_USER=opsdeck-test
RABBIT_PASSWORD=rabbit-test-pw

rabbit__free_ports() { tap_free_ports "$1"; }

rabbit_log() {
	echo "$rabbit__dir/log"
}

# Runs a command as the broker's user, in the broker's environment. The
# node's schedulers do not busy-wait (the tests share a few cores).
rabbit__run() {
	$rabbit__runas env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin HOME="$rabbit__dir/home" \
		TAP_TMP="$TAP_TMP" LANG=C.UTF-8 LC_ALL=C.UTF-8 \
		RABBITMQ_CONF_ENV_FILE="$rabbit__dir/rabbitmq-env.conf" \
		RABBITMQ_NODENAME="$rabbit__node" \
		RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
		RABBITMQ_NODE_PORT="$RABBIT_AMQP_PORT" \
		RABBITMQ_DIST_PORT="$rabbit__dist_port" \
		RABBITMQ_CONFIG_FILE="$rabbit__dir/rabbitmq.conf" \
		RABBITMQ_ENABLED_PLUGINS_FILE="$rabbit__dir/enabled_plugins" \
		RABBITMQ_MNESIA_BASE="$rabbit__dir/mnesia" \
		RABBITMQ_LOG_BASE="$rabbit__dir/log" \
		RABBITMQ_PID_FILE="$rabbit__dir/rabbit.pid" \
		RABBITMQ_PLUGINS_EXPAND_DIR="$rabbit__dir/plugins-expand" \
		ERL_EPMD_PORT="$rabbit__epmd_port" ERL_EPMD_ADDRESS=127.0.0.1 \
		RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-shutdown_time 2000 +sbwt none +sbwtdcpu none +sbwtdio none" \
		"$@"
}

# 0 when the management API answers the administrator.
rabbit__answers() {
	curl -fsS -m 2 -u "$RABBIT_USER:$RABBIT_PASSWORD" "$RABBIT_URL/api/overview" >/dev/null 2>&1
}

rabbit__launch() {
	rabbit__run "$RABBIT_BINDIR/rabbitmq-server" >>"$rabbit__dir/log/console.log" 2>&1 &
	rabbit__pid=$!
	# A bound, not a wait: Erlang's boot and the recovery of thousands of
	# queues take over a minute on a machine busy with the rest of the suite.
	if ! wait_for 'rabbit__answers || ! tap_running $rabbit__pid' 180 || ! rabbit__answers; then
		echo "rabbit_start: the broker's management API did not answer; see $rabbit__dir/log" >&2
		tail -n 30 "$rabbit__dir/log/console.log" >&2 2>/dev/null
		return 1
	fi
}

rabbit_start() {
	if [ ! -x "$RABBIT_BINDIR/rabbitmq-server" ]; then
		echo "rabbit_start: $RABBIT_BINDIR/rabbitmq-server not found (install the Debian package rabbitmq-server)" >&2
		return 1
	fi
	rabbit__dir=$TAP_TMP/rabbit
	mkdir -p "$rabbit__dir/home" "$rabbit__dir/log" "$rabbit__dir/mnesia" || return 1
	tap_on_exit rabbit__cleanup
	rabbit__ports=$(rabbit__free_ports 4) && [ -n "$rabbit__ports" ] || return 1
	set -- $rabbit__ports
	RABBIT_AMQP_PORT=$1
	RABBIT_MGMT_PORT=$2
	rabbit__dist_port=$3
	rabbit__epmd_port=$4
	rabbit__node=opsdeck-test-$$@localhost
	RABBIT_URL=http://127.0.0.1:$RABBIT_MGMT_PORT
	: >"$rabbit__dir/rabbitmq-env.conf"
	echo "[${RABBIT_PLUGINS:-rabbitmq_management,rabbitmq_shovel,rabbitmq_shovel_management}]." \
		>"$rabbit__dir/enabled_plugins"
	# Statistics every 500 ms so that counts settle fast; the test user is
	# the broker's default user, made at its first boot.
	cat >"$rabbit__dir/rabbitmq.conf" <<EOC
listeners.tcp.1 = 127.0.0.1:$RABBIT_AMQP_PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $RABBIT_MGMT_PORT
collect_statistics_interval = 500
default_user = $RABBIT_USER
default_pass = $RABBIT_PASSWORD
default_user_tags.administrator = true
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
log.file.level = warning
log.console = false
vm_memory_high_watermark.relative = 0.8
disk_free_limit.absolute = 1MB
${RABBIT_CONF:-}
EOC
	rabbit__runas=
	if [ "$(id -u)" = 0 ]; then
		rabbit__user=rabbitmq
		id -u "$rabbit__user" >/dev/null 2>&1 || rabbit__user=nobody
		chown -R "$rabbit__user" "$rabbit__dir" || return 1
		rabbit__runas="runuser -u $rabbit__user --"
	fi
	export RABBIT_URL RABBIT_USER RABBIT_PASSWORD RABBIT_AMQP_PORT RABBIT_MGMT_PORT
	rabbit__launch
}

rabbit__stop_node() {
	[ -n "${rabbit__pid:-}" ] || return 0
	# The node shuts down cleanly on SIGTERM, without the seconds an
	# Erlang client such as rabbitmqctl takes to start. Its queues and
	# message stores are closed within milliseconds; what lingers after
	# that is cut short by -shutdown_time (rabbit__run).
	if tap_running "$rabbit__pid"; then
		rabbit__beam=$(cat "$rabbit__dir/rabbit.pid" 2>/dev/null)
		kill "${rabbit__beam:-$rabbit__pid}" 2>/dev/null
	fi
	wait_for '! tap_running $rabbit__pid' 30 || kill -9 "$rabbit__pid" 2>/dev/null
	wait "$rabbit__pid" 2>/dev/null
	rabbit__pid=
}

rabbit_stop() {
	rabbit__stop_node
}

rabbit_restart() {
	rabbit__stop_node
	rabbit__launch
}

rabbit__cleanup() {
	rabbit__rc=$?
	if [ -n "${rabbit__dir:-}" ] && [ -d "$rabbit__dir" ]; then
		rabbit__stop_node
		# epmd was started by the node and outlives it: stop this one only.
		rabbit__run epmd -port "$rabbit__epmd_port" -kill >/dev/null 2>&1 || :
	fi
	rabbit__dir=
	return $rabbit__rc
}

# RABBIT_API_TIMEOUT: seconds one call may take (30); a heavy one, such as
# importing thousands of queues on a busy machine, sets more.
rabbit_api() {
	if [ -n "${3:-}" ]; then
		curl -fsS -m "${RABBIT_API_TIMEOUT:-30}" -u "$RABBIT_USER:$RABBIT_PASSWORD" -X "$1" \
			-H 'content-type: application/json' --data-binary "$3" "$RABBIT_URL$2"
	else
		curl -fsS -m "${RABBIT_API_TIMEOUT:-30}" -u "$RABBIT_USER:$RABBIT_PASSWORD" -X "$1" "$RABBIT_URL$2"
	fi
}

rabbit__vhost() {
	if [ "$1" = / ]; then echo %2F; else echo "$1"; fi
}

rabbit_queue_declare() {
	rabbit_api PUT "/api/queues/$(rabbit__vhost "$1")/$2" \
		"{\"durable\":true,\"arguments\":${3:-{\}}}" >/dev/null
}

rabbit_publish() {
	rabbit__i=0
	while [ "$rabbit__i" -lt "$3" ]; do
		rabbit__i=$((rabbit__i + 1))
		rabbit_api POST "/api/exchanges/$(rabbit__vhost "$1")/amq.default/publish" \
			"{\"properties\":{\"delivery_mode\":2},\"routing_key\":\"$2\",\"payload\":\"${4:-msg}-$rabbit__i\",\"payload_encoding\":\"string\"}" \
			| grep -q '"routed":true' || return 1
	done
}

# rabbit__publish_to NAME COUNT PREFIX: JSON-encoded, for any queue name
rabbit__publish_to() {
	for rabbit__i in $(seq "$2"); do
		rabbit_api POST /api/exchanges/%2F/amq.default/publish "$(python3 -c '
import json, sys
print(json.dumps({"properties": {}, "routing_key": sys.argv[1], "payload": sys.argv[2],
    "payload_encoding": "string"}))' "$1" "$3-$rabbit__i")" | grep -q '"routed":true' || return 1
	done
}

rabbit__urlenc() {
	python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"
}

rabbit_odd_queues() {
	rabbit_odd=$(printf 'odd name/with%%\001ctl')
	rabbit_twin='odd name/with% ctl'
	rabbit_odd_p=$(rabbit__urlenc "$rabbit_odd")
	rabbit_twin_p=$(rabbit__urlenc "$rabbit_twin")
	rabbit_queue_declare / "$rabbit_odd_p" && rabbit_queue_declare / "$rabbit_twin_p" &&
		rabbit__publish_to "$rabbit_odd" 2 odd && rabbit__publish_to "$rabbit_twin" 3 twin
}

rabbit_depth() {
	rabbit_api GET "/api/queues/$(rabbit__vhost "$1")/$2?columns=messages" |
		python3 -c 'import json,sys; print(json.load(sys.stdin).get("messages", ""))'
}
