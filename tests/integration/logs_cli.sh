# `opsdeck logs` against a real PostgreSQL and kubesim: a store provisioned
# by a worker, plus a pod of two containers that joins it later. Every line
# of kubesim's logs carries its container's sequence number (seq=k, from 1
# for each run of a container), so the checks are exact: read to the end,
# --tail, --since, --since-time, --previous, a pod and a container by name,
# --max-streams below the number of sources, filters; then -f through
# dropped streams and 503s on reconnects, a container restart and a pod
# that starts later: every seq of every run of every container appears
# exactly once and in order. Bad input is a usage error (exit 2).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/cli.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/store.sh"

plan 99

cli_setup --state 'operator: alice\nprovision:\n  timeout: 120\n'
sim_start "$work" --speed 4 --seed 11 --log-rate 200 --log-keep 1000000 || { echo "Bail out! cannot start kubesim"; exit 1; }

# run ARGS: runs od, sets rc, out (stdout) and err (stderr)
run() {
	od "$@" >"$work/out" 2>"$work/err"
	rc=$?
	out=$(cat "$work/out")
	err=$(cat "$work/err")
}
# seqs FILE: "pod/container seq" per JSON line
seqs() { jq -r '"\(.pod)/\(.container) \(.line | capture("seq=(?<s>[0-9]+)").s)"' "$1"; }
# exactly_once FILE: every container's seqs go up by one; a run of a
# container that restarted starts again at 1. Prints each problem, then
# "SOURCE first=F last=L lines=N runs=R" per container, sorted.
exactly_once() {
	seqs "$1" | awk '
		{ k = $1; s = $2 + 0 }
		!(k in last) { first[k] = s; last[k] = s; n[k] = 1; runs[k] = 1; next }
		s == last[k] + 1 { last[k] = s; n[k]++; next }
		s == 1 { runs[k]++; last[k] = s; n[k]++; next }
		{ printf "PROBLEM %s: %d after %d\n", k, s, last[k]; last[k] = s; n[k]++ }
		END { for (k in last) printf "%s first=%d last=%d lines=%d runs=%d\n", k, first[k], last[k], n[k], runs[k] }' |
		sort
}
# lines FILE SOURCE: lines of one container
count_of() { seqs "$1" | awk -v k="$2" '$1 == k' | wc -l; }
worker=
pg_on_exit '[ -n "$worker" ] && kill $worker 2>/dev/null && wait $worker'
follower=
pg_on_exit '[ -n "$follower" ] && kill $follower 2>/dev/null && wait $follower'

store_prepare_db
"$OPSDECK" -c "$work/op.yaml" worker --reconcile 0 >"$work/worker.log" 2>&1 &
worker=$!
store_order_ready logs
ns=store-$id
web=$(K -n "$ns" get pods -l app.kubernetes.io/name=wordpress -o jsonpath='{.items[0].metadata.name}')
like "$web" '^wordpress-' "its web pod is there"
# a thousand lines in each container (five seconds of them)
wait_for "[ \"\$(od logs $id --tail 1000 | wc -l)\" -ge 2000 ]" 60

# ---- read to the end ----
run logs "$id" --json
is "$rc" 0 "logs of a store exit 0 at the end of the read"
once=$(exactly_once "$work/out")
unlike "$once" PROBLEM "every seq of each container comes once, in order"
like "$once" "mysql-0/mysql first=1 last=[0-9]+ lines=[0-9]+ runs=1" "the database container's log from its first line"
like "$once" "$web/wordpress first=1 " "the web container's log from its first line"
is "$(echo "$once" | wc -l)" 2 "every container of the store, and no other"
ok "nothing on stderr" [ -z "$err" ]

run logs "$id"
is "$rc" 0 "text output exits 0"
like "$(echo "$out" | head -n 1)" "seq=1\$" "text lines are the log's lines"
run logs "$id" --prefix --timestamps --tail 1 -c mysql
like "$out" "^\\[pod/mysql-0/mysql\\] 20[0-9-]+T[0-9:]+\\.[0-9]{9}Z .*seq=[0-9]+\$" \
	"--prefix and --timestamps as kubectl prints them, -c picks a container"

# ---- --tail, --since, --since-time ----
run logs "$id" --json --tail 7
once=$(exactly_once "$work/out")
is "$(count_of "$work/out" mysql-0/mysql):$(count_of "$work/out" "$web/wordpress")" "7:7" "--tail 7: seven lines of each container"
unlike "$once" PROBLEM "--tail lines in order"
run logs "$id" --json --since 2s
is "$rc" 0 "--since exits 0"
span=$(jq -r '.time' "$work/out" | sed 's/\.\([0-9]*\)Z$/ \1/' | while read -r t f; do echo "$(date -u -d "$t" +%s).$f"; done |
	sort -n | awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%d", b - a }')
ok "--since 2s: the lines span about two seconds (got $span)" [ "$span" -le 3 ]
like "$(exactly_once "$work/out")" "mysql-0/mysql first=([2-9]|[1-9][0-9]+) " "--since leaves out the older lines"
from=$(jq -r 'select(.container == "mysql") | .time' "$work/out" | head -n 1)
run logs "$id" --json --since-time "$from" -c mysql
first=$(jq -r '.time' "$work/out" | head -n 1)
# the first line is at or after the time, within its second
is "$(printf '%s\n%s\n' "$from" "$first" | sort | head -n 1):${first%.*}" "$from:${from%.*}" \
	"--since-time starts at the time it names"

# ---- one pod, filters, streams ----
run logs -n "$ns" "$web" --json --tail 5
is "$rc:$(count_of "$work/out" "$web/wordpress")" "0:5" "-n NAMESPACE POD reads that pod"
run logs "$id" "$web" --tail 5
is "$rc:$(echo "$out" | wc -l)" "0:5" "STORE POD reads a pod of the store"
run logs "$id" --json --include 'seq=1[0-9]$' --exclude 'seq=13$'
is "$(seqs "$work/out" | awk '{print $2}' | sort -n | uniq -c | awk '{print $2":"$1}' | tr '\n' ' ')" \
	"10:2 11:2 12:2 14:2 15:2 16:2 17:2 18:2 19:2 " "--include and --exclude filter the lines"
run logs "$id" --json --max-streams 1
is "$rc" 0 "--max-streams 1 with two sources reads both, one after the other"
unlike "$(exactly_once "$work/out")" PROBLEM "... each whole and in order"
like "$err" "1 sources wait for a free stream \\(at most 1 at once\\)" "... and says that a source waits"

# ---- bad input ----
run logs "$id" --tail lots
like "$rc:$err" "^2:opsdeck: --tail takes a number" "a bad --tail is a usage error"
run logs "$id" --since 5
like "$rc:$err" "^2:opsdeck: --since takes a duration" "a --since without a unit is a usage error"
run logs "$id" --since 5m --since-time 2026-01-01T00:00:00Z
is "$rc" 2 "--since and --since-time together are refused"
run logs "$id" --since-time yesterday
like "$rc:$err" "^2:opsdeck: --since-time takes an RFC 3339 time" "a bad --since-time is a usage error"
run logs "$id" --include 'a(b'
like "$rc:$err" "^2:opsdeck: --include: \"a\\(b\" is not a valid regular expression" "a bad regex is a usage error"
run logs "$id" -f --previous
is "$rc" 2 "--previous with -f is refused"
# a number out of range says what was given and the range
run logs "$id" --tail 100000001
like "$rc:$err" '^2:opsdeck: --tail takes a number of lines from -1 \(all\) to 100000000, not "100000001"' \
	"--tail past its limit says the range and the value"
run logs "$id" --since 99999999h
like "$rc:$err" '^2:opsdeck: --since takes a duration above 0 and up to 87840h \(ten years\), not "99999999h"' \
	"--since past its limit says the maximum and the value"
run logs "$id" --since 0s
like "$rc:$err" '^2:opsdeck: --since takes a duration above 0 and up to 87840h \(ten years\), not "0s"' \
	"--since 0s too"
run logs "$id" --max-streams 10001
like "$rc:$err" '^2:opsdeck: --max-streams takes a number from 1 to 10000, not "10001"' \
	"--max-streams out of range says the range and the value"
run logs "$id" --max-streams 0
like "$rc:$err" '^2:opsdeck: --max-streams takes a number from 1 to 10000, not "0"' "... below it too"
run logs nosuchstore
like "$rc:$err" '^1:opsdeck: no store' "an unknown store is said in words"
# an id prefix too short for one says the minimum
run logs "$(printf %.2s "$id")"
like "$rc:$err" "^1:opsdeck: no store \"$(printf %.2s "$id")\" \\(an id prefix takes at least 4 characters\\)" \
	"an id prefix shorter than 4 says that it takes 4"
run logs "$(printf %.4s "$id")" --tail 1 -c mysql
is "$rc:$(echo "$out" | wc -l)" "0:1" "... and 4 characters of the id name the store"

# ---- a deleted store: its history, and no pods ----
# stage1 deleted a week ago, and an older store named as the live one
psql -X -q -v ON_ERROR_STOP=1 -v live="$id" <<'SQL' || { echo "Bail out! cannot add the deleted stores"; exit 1; }
SET session_replication_role = replica;
INSERT INTO opsdeck.stores (id, project, offering, plan, cluster, name, namespace, status, replicas,
			    created_by, created_at, updated_at)
SELECT v.id, s.project, s.offering, s.plan, s.cluster, v.name, 'store-' || v.id, 'Deleted', 1, 'alice',
       v.at - interval '1 day', v.at
  FROM opsdeck.stores s,
       (VALUES ('de1e7ed00001', 'stage1', timestamptz '2026-11-20 10:30:00+00'),
	       ('de1e7ed10002', 'logs', timestamptz '2026-11-01 00:00:00+00')) v(id, name, at)
 WHERE s.id = :'live';
INSERT INTO opsdeck.events (at, actor, action, object, project, message)
SELECT v.at, 'alice', v.action, 'store/de1e7ed00001', s.project, v.message
  FROM opsdeck.stores s,
       (VALUES (timestamptz '2026-11-19 10:30:00+00', 'store.ordered', 'ordered store stage1'),
	       (timestamptz '2026-11-20 10:29:00+00', 'store.delete', 'deletion asked'),
	       (timestamptz '2026-11-20 10:30:00+00', 'store.deleted', 'store de1e7ed00001 is deleted')) v(at, action, message)
 WHERE s.id = 'de1e7ed00001';
INSERT INTO opsdeck.jobs (id, store, kind, state, attempts, created_at, finished_at)
VALUES (900001, 'de1e7ed00001', 'delete', 'succeeded', 1, '2026-11-20 10:29:00+00', '2026-11-20 10:30:00+00');
INSERT INTO opsdeck.job_steps (job, attempt, step, runner, started_at, finished_at, outcome, message)
VALUES (900001, 1, 'namespace', 'w1', '2026-11-20 10:29:10+00', '2026-11-20 10:29:50+00', 'done', 'namespace gone');
SQL
run logs stage1
is "$rc:$err" "1:opsdeck: store stage1 (de1e7ed00001) was deleted on 2026-11-20 10:30 UTC: its pods are gone; --history shows what happened to it" \
	"the logs of a deleted store say when it was deleted and what --history does"
run logs stage1 --history
is "$rc:$err" "0:" "--history of a deleted store exits 0, quietly"
is "$out" "store.ordered by alice: ordered store stage1
store.delete by alice: deletion asked
job 900001 delete: step namespace started (attempt 1, w1)
job 900001 delete: step namespace done: namespace gone
store.deleted by alice: store de1e7ed00001 is deleted" "... and prints its events and job steps in time order"
run logs de1e7ed0 --history --json --tail 1
is "$rc:$(jq -r '.source' "$work/out" | sort | tr '\n' ' ')" "0:opsdeck/events opsdeck/jobs " \
	"an id prefix names a deleted store too; --tail applies to each history source"
run logs stage1 --history -f
like "$rc:$err" "^1:opsdeck: store stage1 \\(de1e7ed00001\\) was deleted on 2026-11-20 10:30 UTC: nothing more will happen to it" \
	"following a deleted store's history is refused in words"
run logs stage1 --history -c mysql
like "$rc:$err" "^1:opsdeck: store stage1 .*: its pods are gone; --history without a pod" \
	"... and so is a container of it"
run logs logs -c mysql --tail 1
is "$rc:$(echo "$out" | wc -l)" "0:1" "a name a deleted store had and a live one has names the live one"
run store show stage1
like "$rc:$err" "^1:opsdeck: no store \"stage1\": shop/stage1 \\(de1e7ed00001\\) was deleted on 2026-11-20 10:30 UTC" \
	"other commands say that the store of that name was deleted"
run logs -n "$ns" nosuchpod
like "$rc:$err" "^1:opsdeck: no pod \"nosuchpod\" in namespace \"$ns\"\$" "an unknown pod is said in words, once"
run logs -n nosuchns nosuchpod
like "$rc:$err" "^1:opsdeck: namespace \"nosuchns\" does not exist\$" "... and a namespace that does not exist"
# a container that none of the pods has: an error that names what there is
run logs "$id" -c nosuch
like "$rc:$err" "^1:opsdeck: store $id: no pod has a container \"nosuch\"; choose one of: \\[mysql wordpress\\]\$" \
	"an unknown container is an error that names the store's containers"
run logs "$id" "$web" -c nosuch
like "$rc:$err" "^1:opsdeck: store $id: pod $web has no container \"nosuch\"; choose one of: \\[wordpress\\]\$" \
	"... and of a pod named, its containers"
# following, too, rather than waiting for ever (not through od: timeout runs opsdeck)
timeout 60 "$OPSDECK" -c "$work/op.yaml" logs "$id" -c nosuch -f >"$work/out" 2>"$work/err"
like "$?:$(cat "$work/err")" "^1:opsdeck: store $id: no pod has a container \"nosuch\"" "... with -f as well"
# previous runs where no container restarted (yet: one does below)
run logs "$id" --previous
like "$rc:$err" "^1:opsdeck: store $id: no container has a previous run to read: none has restarted\$" \
	"--previous where no container restarted is said in words"
# a selector that matches no pod: as kubectl's "No resources found", exit 0
run logs -n "$ns" -l app=redis
like "$rc:$err" "^0:opsdeck: no pod matches app=redis in namespace $ns\$" "a selector that matches no pod says so"
is "$out" "" "... and prints no line"
# following, it says so once and waits for pods to come
"$OPSDECK" -c "$work/op.yaml" logs -n "$ns" -l app=redis -f >"$work/none" 2>"$work/none.err" &
follower=$!
wait_for "grep -q 'waiting for one\$' '$work/none.err'" 30
is "$(cat "$work/none.err")" "opsdeck: no pod matches app=redis in namespace $ns yet: waiting for one" \
	"... and with -f, says so and waits for one"
kill "$follower"
wait "$follower"
follower=
run logs "$id" -l app=redis
like "$rc:$err" "^0:opsdeck: store $id: no pod matches app=redis in its namespace $ns\$" "... of a store too"
run logs -n default
like "$rc:$err" "^0:opsdeck: no pod in namespace default\$" "a namespace without pods says so"
run logs -n nosuchns -l app=redis
like "$rc:$err" "^1:opsdeck: namespace \"nosuchns\" does not exist\$" "a namespace that does not exist is an error"
# following, it waits: the namespace may come (a store being made)
"$OPSDECK" -c "$work/op.yaml" logs -n comes -f >"$work/out" 2>"$work/err" &
follower=$!
wait_for "grep -q 'waiting for one\$' '$work/err'" 30
is "$(cat "$work/err")" "opsdeck: no pod in namespace comes yet: waiting for one" \
	"... but a follow waits for it and its pods"
K create namespace comes >/dev/null
printf '%s\n' 'apiVersion: v1' 'kind: Pod' 'metadata: {name: first, namespace: comes}' \
	'spec: {containers: [{name: main, image: busybox}]}' | K apply -f - >/dev/null
wait_for "grep -q 'seq=' '$work/out'" 60
like "$(head -n 1 "$work/out")" "seq=1\$" "... and follows the pod that comes, from its first line"
kill "$follower"
wait "$follower"
follower=
run logs
is "$rc" 2 "logs without a store is a usage error"

# ---- follow through faults, a restart and a pod that joins ----
# not through od: $! must be opsdeck itself
printf 'logs:\n  stall_timeout: 5\n' | cat "$work/op.yaml" - >"$work/follow.yaml"
"$OPSDECK" -c "$work/follow.yaml" logs "$id" -f --json --tail 0 >"$work/follow" 2>"$work/follow.err" &
follower=$!
wait_for "[ \"\$(count_of '$work/follow' mysql-0/mysql)\" -ge 100 ]" 30
# kubesim drops every log stream after 250 lines and answers 503 to a
# third of requests: streams reconnect, their replayed lines are dropped
sim_post /sim/faults '{"dropAfterLines": 250, "errorRate": 0.33, "errorCode": 503}'
sim_post /sim/restart "{\"namespace\": \"$ns\", \"pod\": \"$web\", \"container\": \"wordpress\"}"
cat >"$work/late.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: late
  namespace: $ns
  labels: {opsdeck.io/store: "$id"}
spec:
  containers:
  - name: app
    image: node:20
    resources: &small {requests: {cpu: 10m, memory: 16Mi}, limits: {cpu: 10m, memory: 16Mi}}
  - name: cache
    image: redis:7
    resources: *small
YAML
sim_delete /sim/faults
K apply -f "$work/late.yaml" >/dev/null
# then every other way a stream ends: a clean end after 2 s (the kubelet's
# cap), a connection broken inside a line, one stream stalled (the
# follower's stall bound is 5 s) and 503s to a third of log requests
sim_post /sim/faults '{"logFollowMaxSeconds": 2, "logDropRate": 0.002, "logStallAfterLines": 30,
	"logStallSeconds": 600, "logStallCount": 1, "logErrorRate": 0.33}'
ended_every_way() {
	sim_get /sim/stats |
		jq -e '.streamsDropped >= 20 and .logStreamsCapped >= 3 and .logStreamsStalled >= 1' \
			>/dev/null
}
wait_for "[ \"\$(wc -l <'$work/follow')\" -ge 20000 ] && [ \"\$(count_of '$work/follow' late/cache)\" -ge 1000 ] && ended_every_way" 120
sim_delete /sim/faults
kill "$follower"
wait "$follower"
frc=$?
follower=
once=$(exactly_once "$work/follow")
diag "$(echo "$once" | grep -v PROBLEM)"
unlike "$once" PROBLEM "followed through dropped streams and 503s: every seq once, in order"
ok "at least 20,000 lines followed" [ "$(wc -l <"$work/follow")" -ge 20000 ]
dropped=$(sim_get /sim/stats | jq -r '.streamsDropped')
ok "kubesim dropped the streams many times ($dropped)" [ "$dropped" -ge 20 ]
ok "streams also ended cleanly at the follow cap and one stalled: $(sim_get /sim/stats |
	jq -c '{logStreamsCapped, logStreamsStalled}')" ended_every_way
like "$once" "$web/wordpress first=[0-9]+ last=[0-9]+ lines=[0-9]+ runs=2" "the restarted container's new run is followed from seq=1"
like "$once" "late/app first=1 " "a pod that starts later joins, from its first line"
like "$once" "late/cache first=1 " "... each of its containers"
like "$once" "mysql-0/mysql first=[0-9]+ last=[0-9]+ lines=[0-9]+ runs=1" "the other containers go on"
like "$(cat "$work/follow.err")" "$web/wordpress: restarted \\(exit code 137\\)" "the restart is said on stderr"
is "$frc" 0 "SIGTERM ends the follow with exit 0"

# ---- the previous run ----
run logs "$id" "$web" --previous --json
once=$(exactly_once "$work/out")
like "$rc:$once" "^0:$web/wordpress first=1 last=[0-9]+ lines=[0-9]+ runs=1\$" "--previous reads the run before the restart, whole"
run logs "$id" --previous --json
once=$(exactly_once "$work/out")
like "$rc:$once" "^0:$web/wordpress first=1 last=[0-9]+ lines=[0-9]+ runs=1\$" \
	"--previous on a store reads the containers that restarted, and only those"
run logs "$id" -c mysql --previous
is "$rc:$err" "1:opsdeck: store $id: container mysql of pod mysql-0 has no previous run to read: it has not restarted" \
	"--previous of a container that never restarted is said in words"
run logs "$id" -c wordpress --previous --json
like "$rc:$(exactly_once "$work/out")" "^0:$web/wordpress first=1 last=[0-9]+ lines=[0-9]+ runs=1\$" \
	"--previous of a container that restarted reads its run before"

# ---- 60 sources, 50 streams: 10 wait, visibly, and start as others end ----
K create namespace many >/dev/null
for i in $(seq 1 60); do
	printf -- '---\napiVersion: v1\nkind: Pod\nmetadata: {name: p%02d, namespace: many, labels: {app: many}}\n' "$i"
	printf 'spec: {containers: [{name: main, image: busybox}]}\n'
done >"$work/many.yaml"
K apply -f "$work/many.yaml" >/dev/null
wait_for "[ \"\$(K -n many get pods --no-headers | grep -c Running)\" = 60 ]" 60
# only every hundredth line is printed: the streams still carry them all
"$OPSDECK" -c "$work/op.yaml" logs -n many -l app=many -f --json --tail 1 --max-streams 50 \
	--include 'seq=[0-9]*00$' >"$work/many" 2>"$work/many.err" &
follower=$!
pods_seen() { grep -o '"pod":"p[0-9]*"' "$work/many" | sort -u | wc -l; }
wait_for "[ \"\$(pods_seen)\" -ge 50 ]" 60
like "$(cat "$work/many.err")" "^opsdeck: 10 sources wait for a free stream \\(at most 50 at once\\)" \
	"60 sources, --max-streams 50: 10 wait, and stderr says so"
lines_now=$(wc -l <"$work/many")
wait_for "[ \"\$(wc -l <'$work/many')\" -ge $((lines_now + 300)) ]" 30
is "$(pods_seen)" 50 "while 50 stream, the other 10 wait"
grep -o '"pod":"p[0-9]*"' "$work/many" | sort -u | head -n 10 | sed 's/.*"\(p[0-9]*\)"/\1/' >"$work/gone"
K -n many delete pod $(cat "$work/gone") --wait=false >/dev/null
wait_for "[ \"\$(pods_seen)\" = 60 ]" 60
is "$(pods_seen)" 60 "as deleted pods' streams end, the waiting sources start"
wait_for "[ \"\$(grep -c ': pod deleted\$' '$work/many.err')\" = 10 ]" 30
is "$(grep -c ': pod deleted$' "$work/many.err")" 10 "each deleted pod's stream ends, saying so"
kill "$follower"
wait "$follower"
follower=

# ---- opsdeck's own history of the store among its pods' lines ----
run logs "$id" --history --json
is "$rc" 0 "--history: a read to the end exits 0"
nhist=$(jq -c 'select(.source)' "$work/out" | wc -l)
order_at=$(q -c "SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US') FROM opsdeck.events
	WHERE object = 'store/$id' AND action = 'store.order'")
like "$(jq -r 'select(.source == "opsdeck/events") | "\(.time) \(.line)"' "$work/out")" \
	"${order_at}000Z store.order by alice: ordered store $id" "the store's order event, at its time"
nsteps=$(q -c "SELECT count(*) + count(x.finished_at) FROM opsdeck.job_steps x
	JOIN opsdeck.jobs j ON j.id = x.job WHERE j.store = '$id' AND j.kind = 'provision'")
is "$(jq -r 'select(.source == "opsdeck/jobs") | .line' "$work/out" | grep -c ' provision: step ')" "$nsteps" \
	"each step of the provision job, started and finished"
first_start=$(q -c "SELECT to_char(x.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), x.step
	FROM opsdeck.job_steps x JOIN opsdeck.jobs j ON j.id = x.job WHERE j.store = '$id' ORDER BY x.id LIMIT 1" |
	sed 's/|/Z /; s/Z /000Z /')
like "$(jq -r 'select(.source == "opsdeck/jobs") | "\(.time) \(.line)"' "$work/out" | head -n 1)" \
	"^${first_start%% *} job [0-9]+ provision: step ${first_start#* } started" "the first step at its own time"
ok "every line in time order" sh -c "jq -r .time '$work/out' | sort -c"
# the pods started while the job ran: its last steps come among their lines
jq -r 'if .source then "H" else "P" end' "$work/out" | tr -d '\n' >"$work/kinds"
like "$(cat "$work/kinds")" '^H+P+H+P+' "the history interleaved with the pods' lines by time"
jq -c 'select(.pod)' "$work/out" >"$work/pods"
unlike "$(exactly_once "$work/pods")" PROBLEM "the pods' lines still each once, in order"
run logs "$id" --history --timestamps --prefix --tail 1
like "$out" "\\[opsdeck/events\\] [0-9T:.-]+Z store\\.[a-z.]+ by " "--prefix names the history's sources"
is "$(echo "$out" | grep -c '^\[opsdeck/')" 2 "--tail 1: the newest line of each history source"
run logs -n "$ns" --history
like "$rc:$err" '^2:.*--history is a store' "--history without a store is a usage error"

# following from the start: what came before the history's first read is
# in prints in one time order, the history among the pods' lines, as
# without -f. The start is held until that is in; OPSDECK_LOGS_HOLD_MS
# lifts the bound on the hold (3 s) that a busy machine could reach first.
OPSDECK_LOGS_HOLD_MS=120000 "$OPSDECK" -c "$work/op.yaml" logs "$id" -f --history --json \
	>"$work/hf0" 2>"$work/hf0.err" &
follower=$!
wait_for "[ \"\$(grep -c '\"source\":\"opsdeck/' '$work/hf0')\" -ge $nhist ]" 150
kill "$follower"
wait "$follower"
follower=
last_hist=$(grep -n '"source":"opsdeck/' "$work/hf0" | tail -n 1 | cut -d: -f1)
head -n "$last_hist" "$work/hf0" | jq -r 'if .source then "H" else "P" end' | tr -d '\n' >"$work/kinds0"
like "$(cat "$work/kinds0")" '^H+P+H+' "-f --history: the history interleaved with the pods' lines by time"
ok "-f --history: the lines up to the history's last in time order" \
	sh -c "head -n '$last_hist' '$work/hf0' | jq -r .time | sort -c"

# a ring smaller than what came before the start: the hold gives way
# before a line would go, so every line still prints, once
printf 'logs:\n  max_lines: 100\n' | cat "$work/op.yaml" - >"$work/small.yaml"
OPSDECK_LOGS_HOLD_MS=120000 "$OPSDECK" -c "$work/small.yaml" logs "$id" -f --history --json \
	>"$work/hs" 2>"$work/hs.err" &
follower=$!
# (the wait is on a line of each of the four containers: the checks below
# look at every one)
wait_for "[ \"\$(grep -c '\"source\":\"opsdeck/' '$work/hs')\" -ge $nhist ] &&
	[ \"\$(seqs '$work/hs' 2>/dev/null | cut -d' ' -f1 | sort -u | wc -l)\" -ge 4 ]" 60
kill "$follower"
wait "$follower"
follower=
jq -c 'select(.pod)' "$work/hs" >"$work/hs.pods"
once=$(exactly_once "$work/hs.pods")
diag "$once"
unlike "$once" PROBLEM "-f --history, 100 lines held: the pods' lines each once, in order"
is "$(echo "$once" | awk '$2 != "first=1"')" "" "... every container's from its first line"
is "$(echo "$once" | wc -l)" 4 "... of every container"
is "$(jq -r 'select(.source) | "\(.source) \(.time) \(.line)"' "$work/hs" | sort | uniq -d)" "" \
	"... the history's lines each once"
unlike "$(cat "$work/hs.err")" "did not fit" "... and none left out"

# following: what opsdeck does to the store comes as it happens
since_at=$(date -u -d '-3 seconds' +%Y-%m-%dT%H:%M:%S)
"$OPSDECK" -c "$work/op.yaml" logs "$id" -f --history --json --since 1s >"$work/hf" 2>"$work/hf.err" &
follower=$!
wait_for "[ -s '$work/hf' ]" 30
od store scale "$id" 2 --wait >/dev/null
wait_for "grep -q 'opsdeck/jobs.*scale: step [a-z-]* done' '$work/hf'" 30
like "$(jq -r 'select(.source == "opsdeck/events") | .line' "$work/hf")" '^store\.scale by alice: ' \
	"-f --history: the scale request's event comes as it happens"
like "$(jq -r 'select(.source == "opsdeck/jobs") | .line' "$work/hf")" 'job [0-9]+ scale: step [a-z-]+ done' \
	"... and the scale job's steps"
is "$(jq -r 'select(.source) | "\(.source) \(.time) \(.line)"' "$work/hf" | sort | uniq -d)" "" "... each once"
is "$(jq -r 'select(.source) | .time' "$work/hf" | awk -v s="$since_at" '$0 < s' | wc -l)" 0 \
	"... and nothing from before --since"
kill "$follower"
wait "$follower"
follower=
