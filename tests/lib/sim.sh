# kubesim for shell tests: start one on a free port with a kubeconfig, talk
# to its /sim/ endpoints, and stop it at exit, waiting until it is gone
# (through pg_on_exit when pg.sh is loaded, so before the server stops,
# else tap_on_exit).
#
#   sim_start DIR [kubesim options...]  starts it; sets SIM_PID (kubesim
#                                       itself: `sim_stop` or kill and wait
#                                       it to take it away), SIM_URL,
#                                       SIM_TOKEN, SIM_CONTEXT and exports
#                                       KUBECONFIG=DIR/kubeconfig. It runs
#                                       with --reject-missing-list-keys, as
#                                       strict as the oldest server opsdeck
#                                       supports (1.20): a port without
#                                       protocol is refused, not defaulted
#   sim_post PATH JSON                  POST to a /sim/ endpoint
#   sim_get PATH                        GET a /sim/ endpoint, prints the answer
#   sim_requests                        API requests kubesim has had (the
#                                       /sim/ ones do not count)
#   sim_delete PATH                     DELETE on a /sim/ endpoint
#   K ARGS...                           the real kubectl against it
#                                       (tests/lib/kubectl.sh)

command -v kubectl_compat >/dev/null 2>&1 || . "$top_srcdir/tests/lib/kubectl.sh"

sim_start() {
	sim__dir=$1
	shift
	# a kubesim started here before left its files: wait for the new ones
	rm -f "$sim__dir/kubeconfig" "$sim__dir/port"
	"$KUBESIM" --kubeconfig-out "$sim__dir/kubeconfig" --port-file "$sim__dir/port" \
		--reject-missing-list-keys "$@" \
		>"$sim__dir/sim.out" 2>"$sim__dir/sim.err" &
	SIM_PID=$!
	if command -v pg_on_exit >/dev/null 2>&1; then
		pg_on_exit "sim_stop $SIM_PID"
	else
		tap_on_exit "sim_stop $SIM_PID"
	fi
	wait_for "test -s '$sim__dir/kubeconfig'" 30 || {
		echo "sim_start: kubesim did not start:" >&2
		cat "$sim__dir/sim.err" >&2
		return 1
	}
	export KUBECONFIG="$sim__dir/kubeconfig"
	SIM_URL=$(kubectl config view --raw -o jsonpath='{.clusters[0].cluster.server}')
	SIM_TOKEN=$(kubectl config view --raw -o jsonpath='{.users[0].user.token}')
	SIM_CONTEXT=$(kubectl config current-context)
}

# sim_stop [PID]: stops kubesim (the last started) and waits until it is gone.
sim_stop() {
	sim__pid=${1:-$SIM_PID}
	kill "$sim__pid" 2>/dev/null
	wait_for "! tap_running $sim__pid" 30 || kill -9 "$sim__pid" 2>/dev/null
	wait "$sim__pid" 2>/dev/null
	:
}

sim_post() {
	curl -sk --max-time 10 -H "Authorization: Bearer $SIM_TOKEN" -H 'Content-Type: application/json' \
		-X POST -d "$2" "$SIM_URL$1" >/dev/null
}

sim_get() {
	curl -sk --max-time 10 -H "Authorization: Bearer $SIM_TOKEN" "$SIM_URL$1"
}

sim_requests() {
	sim_get /sim/stats | jq -e .requests
}

sim_delete() {
	curl -sk --max-time 10 -H "Authorization: Bearer $SIM_TOKEN" -X DELETE "$SIM_URL$1" >/dev/null
}

K() {
	kubectl_compat --cache-dir "$sim__dir/kcache" --request-timeout=20s "$@"
}
