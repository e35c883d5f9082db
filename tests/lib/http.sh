# A private HTTP server, and opsdeck's forwards to it, for shell tests that
# carry traffic through a forward (tests/integration/tunnel*.sh). Load
# after tap.sh.
#
#   http_file_server DIR  serves the files of DIR (GET) on a free 127.0.0.1
#                         port, and answers a POST with the SHA-256 (hex) of
#                         the body it received; sets HTTP_PORT and HTTP_PID,
#                         waits until it answers (20 s deadline), stopped at
#                         exit (tap_on_exit)
#   http_forward NAME CONF PROFILE TARGET
#                         starts `opsdeck --config CONF tunnel forward PROFILE
#                         TARGET` in the background, its output in
#                         $TAP_TMP/NAME.out and its messages in NAME.err,
#                         stopped at exit; sets FWD_PID, waits until it
#                         prints its local address (20 s deadline) and sets
#                         FWD_ADDR to what it printed

command -v tap_on_exit >/dev/null 2>&1 || . "$top_srcdir/tests/lib/tap.sh"

http_file_server() {
	HTTP_PORT=$(tap_free_ports 1) || return 1
	cat >"$TAP_TMP/http_server.py" <<'EOF'
import hashlib, http.server, sys
class H(http.server.SimpleHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        answer = hashlib.sha256(body).hexdigest().encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
	(cd "$1" && exec python3 "$TAP_TMP/http_server.py" "$HTTP_PORT") &
	HTTP_PID=$!
	tap_on_exit "kill $HTTP_PID 2>/dev/null; wait $HTTP_PID 2>/dev/null"
	wait_for "curl -sf http://127.0.0.1:$HTTP_PORT/ -o /dev/null" 20 || {
		echo "http_file_server: the server does not answer" >&2
		return 1
	}
}

http_forward() {
	"$OPSDECK" --config "$2" tunnel forward "$3" "$4" \
		>"$TAP_TMP/$1.out" 2>"$TAP_TMP/$1.err" &
	FWD_PID=$!
	tap_on_exit "kill $FWD_PID 2>/dev/null; wait $FWD_PID 2>/dev/null"
	wait_for "grep -q '^127\\.0\\.0\\.1:[0-9]*$' '$TAP_TMP/$1.out'" 20
	http__rc=$?
	FWD_ADDR=$(cat "$TAP_TMP/$1.out")
	return $http__rc
}
