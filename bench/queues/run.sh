#!/bin/bash
# One poll of the Queues pane's RabbitMQ section at N queues (default
# 2,000) on a private broker (tests/lib/rabbit.sh), against what an operator
# runs instead. `opsdeck queue list --json` is that poll (rabbit_list: the
# overview, then the queues in pages of 500 with only the columns shown);
# beside it `rabbitmqctl list_queues` (a second Erlang node talking to the
# broker), curl of /api/queues unpaged and whole (what Flower and scripts
# read) and curl of the same pages opsdeck asks for. For each: wall time,
# CPU and peak RSS of the client (medians of RUNS runs after one warm-up;
# rabbitmqctl 3 runs), the broker's CPU per call (its beam process,
# measured over the same runs), the HTTP requests made (counted by a
# proxy, in a run of their own) and the bytes read. Figures go to
# bench/README.md.
#
#   bench/queues/run.sh BUILD_DIR [QUEUES] [RUNS]   (defaults 2000, 11)
set -u
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"
bench_init "${1:?usage: run.sh BUILD_DIR [QUEUES] [RUNS]}"
queues=${2:-2000}
runs=${3:-11}
. "$top_srcdir/tests/lib/rabbit.sh"
rabbit_start || exit 1
beam=$(cat "$rabbit__dir/rabbit.pid") || exit 1

# The queues, in a vhost of their own, a few holding messages.
rabbit_api PUT /api/vhosts/bench '{}' >/dev/null &&
	rabbit_api PUT "/api/permissions/bench/$RABBIT_USER" '{"configure":".*","write":".*","read":".*"}' \
		>/dev/null || exit 1
python3 -c '
import json, sys
n = int(sys.argv[1])
print(json.dumps({"queues": [{"name": "bench-%05d" % i, "vhost": "bench", "durable": True,
    "auto_delete": False, "arguments": {}} for i in range(n)]}))' "$queues" >"$work/defs.json"
rabbit_api POST /api/definitions "@$work/defs.json" >/dev/null || exit 1
for i in 0 1 2 3 4 5 6 7 8 9; do
	rabbit_publish bench "bench-0000$i" 5 || exit 1
done
wait_for "[ \"\$(rabbit_api GET /api/overview | jq '.object_totals.queues')\" -ge $queues ]" 60 ||
	{ echo "the broker does not list $queues queues" >&2; exit 1; }
cat >"$work/config.yaml" <<CONF
rabbitmq:
  - name: bench
    url: $RABBIT_URL
    user: $RABBIT_USER
    password: "$RABBIT_PASSWORD"
    vhosts: [bench]
CONF

columns="name,vhost,type,state,messages,messages_ready,messages_unacknowledged,consumers"
columns="$columns,message_stats.publish_details.rate,message_stats.deliver_get_details.rate"
columns="$columns,message_stats.ack_details.rate"
# The clients, as commands /usr/bin/time can run.
opsdeck_list() { "$OPSDECK" -c "$work/config.yaml" queue list --broker bench --json; }
curl_all() { curl -fsS -u "$RABBIT_USER:$RABBIT_PASSWORD" "${1:-$RABBIT_URL}/api/queues/bench"; }
cat >"$work/paged.sh" <<PAGED
for p in \$(seq $(((queues + 499) / 500))); do
	curl -fsS -u '$RABBIT_USER:$RABBIT_PASSWORD' \\
		"\${1:-$RABBIT_URL}/api/queues/bench?pagination=true&page=\$p&page_size=500&sort=name&columns=$columns" ||
		exit 1
done
PAGED
{
	declare -p RABBIT_BINDIR rabbit__runas rabbit__dir TAP_TMP rabbit__node RABBIT_AMQP_PORT \
		rabbit__dist_port rabbit__epmd_port
	declare -f rabbit__run
	echo 'rabbit__run "$RABBIT_BINDIR/rabbitmqctl" -q list_queues -p bench name type state \'
	echo '	messages messages_ready messages_unacknowledged consumers'
} >"$work/ctl.sh"
curl_paged() { bash "$work/paged.sh" "$@"; }
ctl_list() { bash "$work/ctl.sh"; }
[ "$(opsdeck_list | jq length)" = "$queues" ] || { echo "opsdeck did not list $queues queues" >&2; exit 1; }
[ "$(curl_all | jq length)" = "$queues" ] || { echo "curl did not read $queues queues" >&2; exit 1; }
[ "$(ctl_list | grep -c '^bench-')" = "$queues" ] || { echo "rabbitmqctl did not list $queues queues" >&2; exit 1; }

# HTTP requests, counted by a proxy that forwards each connection to the
# broker and counts the request lines it passes.
proxy_port=$(rabbit__free_ports 1)
python3 - "$proxy_port" "$RABBIT_MGMT_PORT" "$work/requests" <<'PY' &
import re, socket, sys, threading
listen, target, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
count = [0, 0]  # requests, bytes answered
lock = threading.Lock()
req = re.compile(rb'(?:^|\r\n\r\n)(GET|POST|PUT|DELETE|HEAD) /')
def pump(a, b, request):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            with lock:
                if request:
                    count[0] += len(req.findall(data))
                else:
                    count[1] += len(data)
                open(out, 'w').write('%d %d' % tuple(count))
            b.sendall(data)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", listen))
s.listen(64)
while True:
    c, _ = s.accept()
    u = socket.create_connection(("127.0.0.1", target))
    threading.Thread(target=pump, args=(c, u, True), daemon=True).start()
    threading.Thread(target=pump, args=(u, c, False), daemon=True).start()
PY
proxy_pid=$!
pg_on_exit "kill $proxy_pid 2>/dev/null"
wait_for "curl -fsS -o /dev/null -u '$RABBIT_USER:$RABBIT_PASSWORD' http://127.0.0.1:$proxy_port/api/whoami" 20 ||
	{ echo "the counting proxy did not start" >&2; exit 1; }
through() { # through CMD...: "REQUESTS BYTES" CMD made and read through the proxy
	local r0 b0 r1 b1
	read -r r0 b0 <"$work/requests"
	"$@" >/dev/null || return 1
	read -r r1 b1 <"$work/requests"
	echo "$((r1 - r0)) $((b1 - b0))"
}
sed "s|$RABBIT_URL|http://127.0.0.1:$proxy_port|" "$work/config.yaml" >"$work/proxied.yaml"

measure() { # measure RUNS CMD...: "wall_ms cpu_s rss_kib broker_cpu_ms" medians
	local n=$1 w= c= r= b0 b1
	shift
	"$@" >/dev/null || exit 1
	b0=$(cpu_s "$beam")
	for _ in $(seq "$n"); do
		timed "$work/t" "$@" >/dev/null || exit 1
		read -r tw tc tr <"$work/t"
		w="$w $tw"
		c="$c $tc"
		r="$r $tr"
	done
	b1=$(cpu_s "$beam")
	# shellcheck disable=SC2086
	echo "$(median $w) $(median $c) $(median $r) $(awk -v a="$b0" -v b="$b1" -v n="$n" \
		'BEGIN { printf "%d", (b - a) * 1000 / n }')"
}
row() { # row NAME "REQUESTS BYTES" FIGURES
	local w c r bc rq by
	read -r w c r bc <<<"$3"
	read -r rq by <<<"$2"
	printf '| %s | %s ms | %s s | %s MiB | %s ms | %s | %s |\n' "$1" "$w" "$c" \
		"$(awk -v k="$r" 'BEGIN { printf "%.1f", k / 1024 }')" "$bc" "$rq" \
		"$(awk -v b="$by" 'BEGIN { if (b == "") print "-"; else printf "%d KiB", b / 1024 }')"
}

# The broker's answers grow as its statistics come in: the times first,
# then the requests and bytes of one more call each.
t_opsdeck=$(measure "$runs" "$OPSDECK" -c "$work/config.yaml" queue list --broker bench --json)
t_paged=$(measure "$runs" bash "$work/paged.sh")
t_all=$(measure "$runs" curl -fsS -u "$RABBIT_USER:$RABBIT_PASSWORD" "$RABBIT_URL/api/queues/bench")
t_ctl=$(measure 3 bash "$work/ctl.sh")
net_opsdeck=$(through "$OPSDECK" -c "$work/proxied.yaml" queue list --broker bench --json)
net_paged=$(through curl_paged "http://127.0.0.1:$proxy_port")
net_all=$(through curl_all "http://127.0.0.1:$proxy_port")

echo "# $queues queues on RabbitMQ $(rabbit_api GET /api/overview | jq -r .rabbitmq_version), $runs runs"
echo "| client | wall | CPU | peak RSS | broker CPU | HTTP requests | bytes read |"
echo "|---|---:|---:|---:|---:|---:|---:|"
row "opsdeck queue list --json (one poll)" "$net_opsdeck" "$t_opsdeck"
row "curl /api/queues/bench, paged as opsdeck asks" "$net_paged" "$t_paged"
row "curl /api/queues/bench, unpaged, every field" "$net_all" "$t_all"
row "rabbitmqctl list_queues (7 columns)" "- " "$t_ctl"
