#!/bin/bash
# SSH tunnels: an HTTP server on 127.0.0.1 reached directly, through one
# hop and through two hops (an outer sshd on 127.0.0.1, an inner one on
# 127.0.0.2 reached through the outer, both private: tests/lib/sshd.sh),
# by `opsdeck tunnel forward` and, side by side, by OpenSSH's own
# `ssh -L` and `ssh -J ... -L`. For each path:
#  - throughput: a SIZE MB download (default 256) with curl, best and
#    median of RUNS (default 3), MB/s and the share of the direct figure;
#  - latency: N (default 200) sequential small GETs (100 bytes), each over
#    a new connection (a channel opened per request through a tunnel) and
#    then all over one kept-alive connection; median and 90th percentile
#    in ms, and the median added per hop over the path one hop shorter.
# Figures go to bench/README.md.
#
#   bench/tunnel/run.sh BUILD_DIR [SIZE_MB] [RUNS] [N]
set -u
build=$(cd "${1:?usage: run.sh BUILD_DIR [SIZE_MB] [RUNS] [N]}" && pwd) || exit 2
size=${2:-256}
runs=${3:-3}
n=${4:-200}
top_srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export OPSDECK="$build/opsdeck"
[ -x "$OPSDECK" ] || { echo "$OPSDECK is not built (make in $build)" >&2; exit 2; }
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/sshd.sh"
work=$TAP_TMP

sshd_start_pair "$work/outer" "$work/inner" >/dev/null || exit 1
outer_port=$SSHD_PORT outer_key=$SSHD_KEY outer_kh=$SSHD_KNOWN_HOSTS user=$SSHD_USER
inner_port=$SSHD_INNER_PORT inner_key=$SSHD_INNER_KEY inner_kh=$SSHD_INNER_KNOWN_HOSTS
export HOME=$work/home
mkdir -p "$HOME"
unset SSH_AUTH_SOCK

# The server: files, HTTP/1.1 so that a connection is kept alive.
www=$work/www
mkdir -p "$www"
head -c $((size * 1024 * 1024)) /dev/urandom >"$www/big"
head -c 100 /dev/urandom >"$www/small"
# /small is answered in one write (headers and body), so that the small
# requests measure the paths rather than TCP: a response in two writes
# gives every SSH path, OpenSSH's too, stalls of 40 ms in some runs (a
# server's second small packet held back until the first is acknowledged,
# and the acknowledgement delayed). TCP_NODELAY for the same reason.
cat >"$work/server.py" <<'EOF'
import http.server, socket, sys
SMALL = open("small", "rb").read()
class H(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    def do_GET(self):
        if self.path != "/small":
            return super().do_GET()
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(SMALL) + SMALL)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
hport=$(sshd_free_port)
(cd "$www" && exec python3 "$work/server.py" "$hport") &
http_pid=$!
tap_on_exit "kill $http_pid 2>/dev/null; wait $http_pid 2>/dev/null"
wait_for "curl -sf http://127.0.0.1:$hport/small -o /dev/null" 20 || exit 1

# lat.py HOST PORT N MODE: "median p90" in ms of N GETs of /small, each on
# a new connection (MODE new) or all on one (MODE keep)
cat >"$work/lat.py" <<'EOF'
import http.client, statistics, sys, time
host, port, n, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ts, c = [], None
for i in range(n):
    t0 = time.perf_counter()
    if c is None:
        c = http.client.HTTPConnection(host, port, timeout=30)
    c.request("GET", "/small")
    r = c.getresponse()
    if len(r.read()) != 100:
        sys.exit("short answer")
    if mode == "new":
        c.close()
        c = None
    ts.append((time.perf_counter() - t0) * 1000)
ts.sort()
print("%.2f %.2f" % (statistics.median(ts), ts[int(len(ts) * 0.9) - 1]))
EOF

conf=$work/config.yaml
{
	echo "tunnels:"
	sshd_profile outer
	sshd_profile -i inner inner "via: outer"
} >"$conf"
cat >"$work/ssh_config" <<EOF
Host b-outer
  HostName 127.0.0.1
  Port $outer_port
  IdentityFile $outer_key
  UserKnownHostsFile $outer_kh
Host b-inner
  HostName 127.0.0.2
  Port $inner_port
  IdentityFile $inner_key
  UserKnownHostsFile $inner_kh
  ProxyJump b-outer
Host b-*
  User $user
  IdentitiesOnly yes
  StrictHostKeyChecking yes
  BatchMode yes
EOF

# start_forward KIND: a forward to the server; sets fwd_port and fwd_pid
start_forward() {
	local lport
	lport=$(sshd_free_port)
	case $1 in
	opsdeck1 | opsdeck2)
		local prof=outer
		[ "$1" = opsdeck2 ] && prof=inner
		"$OPSDECK" --config "$conf" tunnel forward "$prof" "127.0.0.1:$hport" \
			--local-port "$lport" >"$work/fwd.out" 2>"$work/fwd.err" &
		;;
	ssh1 | ssh2)
		local host=b-outer
		[ "$1" = ssh2 ] && host=b-inner
		ssh -F "$work/ssh_config" -N -o ExitOnForwardFailure=yes \
			-L "127.0.0.1:$lport:127.0.0.1:$hport" "$host" 2>"$work/fwd.err" &
		;;
	esac
	fwd_pid=$!
	fwd_port=$lport
	# Up when a small GET goes through (an opsdeck forward listens before
	# its tunnel is up).
	wait_for "curl -sf --max-time 5 http://127.0.0.1:$lport/small -o /dev/null" 60 || {
		echo "the $1 forward did not come up:" >&2
		cat "$work/fwd.err" >&2
		exit 1
	}
}

stop_forward() {
	kill "$fwd_pid" 2>/dev/null
	wait "$fwd_pid" 2>/dev/null
}

median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# measure PORT: "best_MBps median_MBps new_med new_p90 keep_med keep_p90"
measure() {
	local speeds=() s i
	for ((i = 0; i < runs; i++)); do
		s=$(curl -sS --max-time 600 -o /dev/null -w '%{speed_download}' \
			"http://127.0.0.1:$1/big") || exit 1
		speeds+=("$(awk -v s="$s" 'BEGIN { printf "%.1f", s / 1048576 }')")
	done
	printf '%s %s %s %s\n' "$(printf '%s\n' "${speeds[@]}" | sort -g | tail -1)" \
		"$(median "${speeds[@]}")" "$(python3 "$work/lat.py" 127.0.0.1 "$1" "$n" new)" \
		"$(python3 "$work/lat.py" 127.0.0.1 "$1" "$n" keep)"
}

declare -A res
res[direct]=$(measure "$hport")
for kind in opsdeck1 opsdeck2 ssh1 ssh2; do
	start_forward "$kind"
	res[$kind]=$(measure "$fwd_port")
	stop_forward
done

echo "$size MB download, best and median of $runs; $n small GETs (median / p90 ms)"
echo
echo "| path | MB/s best | MB/s median | of direct | new conn. median | p90 | added per hop | kept-alive median | p90 | added per hop |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
read -r _ dmed _ <<<"${res[direct]}"
row() {
	local name=$1 kind=$2 shorter=$3 best med nmed np90 kmed kp90 snmed skmed
	read -r best med nmed np90 kmed kp90 <<<"${res[$kind]}"
	if [ -n "$shorter" ]; then
		read -r _ _ snmed _ skmed _ <<<"${res[$shorter]}"
	fi
	awk -v n="$name" -v b="$best" -v m="$med" -v d="$dmed" -v nm="$nmed" -v np="$np90" \
		-v km="$kmed" -v kp="$kp90" -v sn="${snmed:-}" -v sk="${skmed:-}" 'BEGIN {
		printf "| %s | %.0f | %.0f | %.0f%% | %.2f | %.2f | %s | %.2f | %.2f | %s |\n", n, b, m,
			100 * m / d, nm, np, sn == "" ? "-" : sprintf("%+.2f", nm - sn), km, kp,
			sk == "" ? "-" : sprintf("%+.2f", km - sk) }'
}
row "direct" direct ""
row "opsdeck, one hop" opsdeck1 direct
row "opsdeck, two hops" opsdeck2 opsdeck1
row "ssh -L, one hop" ssh1 direct
row "ssh -J -L, two hops" ssh2 ssh1
