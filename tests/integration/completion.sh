# Shell completion: the bash script made at build time from opsdeck's own
# command table completes nouns, verbs and options, and names of stores,
# projects, customers, offerings and clusters through `opsdeck complete`,
# which is quick and silent when the database cannot be reached.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/pg.sh"

plan 27

bash_script="$top_builddir/completion/opsdeck"
zsh_script="$top_builddir/completion/_opsdeck"
export XDG_CONFIG_HOME="$TAP_TMP/config"
mkdir -p "$XDG_CONFIG_HOME"

# comp opsdeck WORD...: what bash offers for the last word (one a line),
# the words as bash splits them (`--opt=` gives `--opt` `=`), in a fresh
# bash that reads only the completion script; opsdeck is the one built.
comp() {
	shift
	bash --norc --noprofile -c '
		. "$1" || exit 1
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		COMPREPLY=()
		_opsdeck
		[ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}" | sort' \
		_ "$bash_script" "$OPSDECK" "$@"
}
# Words of a list on one line, for messages and regexes.
line() { tr '\n' ' ' | sed 's/ $//'; }

ok "the bash and zsh scripts are made by the build" test -s "$bash_script" -a -s "$zsh_script"
is "$(bash --norc --noprofile -c '. "$1" && complete -p opsdeck' _ "$bash_script")" \
	"complete -F _opsdeck opsdeck" "bash: the script registers its function for opsdeck"

# The table in the script is the binary's own, every command of --help in it.
missing=
"$OPSDECK" --help | sed -n -e 's/^  opsdeck \([a-z-]*\) \([a-z-]*\)  .*/\1 \2/p' \
	-e 's/^  opsdeck \([a-z-]*\)  .*/\1 -/p' >"$TAP_TMP/help"
while read -r noun verb; do
	grep -q "^$noun $verb" "$bash_script" || missing="$missing $noun/$verb"
done <"$TAP_TMP/help"
ncommands=$(wc -l <"$TAP_TMP/help")
[ "$ncommands" -gt 20 ] || missing="only $ncommands commands read from --help"
is "$missing" "" "every command of opsdeck --help ($ncommands) is in the completion table"

is "$(comp opsdeck st | line)" "store" "opsdeck st<Tab> gives store"
is "$(comp opsdeck store '' | line)" \
	"create credentials delete list pause reconcile resume retry scale show" \
	"opsdeck store <Tab> gives its verbs"
is "$(comp opsdeck store create --w | line)" "--wait" "an option of the verb"
is "$(comp opsdeck store scale -- | line)" "--timeout --wait" "options of store scale"
is "$(comp opsdeck cluster set-state x '' | line)" "active cordoned disabled" \
	"the words an argument may be"
like "$(comp opsdeck --re | line)" '^--read-only$' "an option before the command"
is "$(comp opsdeck worker --on | line)" "--once" "a noun that is a command on its own"

# No database: nothing offered, nothing said, no wait.
is "$(PGHOST="$TAP_TMP/nowhere" comp opsdeck store show '' | line)" "" \
	"no store names without a database"
out=$(PGHOST="$TAP_TMP/nowhere" "$OPSDECK" complete store 2>&1)
is "$?:$out" "0:" "opsdeck complete exits 0 and says nothing when the database is down"

# A server that accepts connections and never answers: given up within
# the completion's own 2 s.
python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(600)
' "$TAP_TMP/silent.port" &
silent_pid=$!
tap_on_exit "kill $silent_pid 2>/dev/null; wait $silent_pid 2>/dev/null"
if wait_for "test -s '$TAP_TMP/silent.port'" 20; then
	start=$(tap_now_ms)
	out=$("$OPSDECK" -d "host=127.0.0.1 port=$(cat "$TAP_TMP/silent.port") connect_timeout=30" \
		complete store 2>&1)
	rc=$?
	took=$(($(tap_now_ms) - start))
	is "$rc:$out" "0:" "silent and exit 0 when the server never answers"
	ok "given up within 5 s (took $took ms), whatever connect_timeout says" \
		test "$took" -lt 5000
else
	fail "the silent server started"
	fail "the silent server started"
fi

pg_start
od() { "$OPSDECK" "$@"; }
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }
store_sql() {
	echo "INSERT INTO opsdeck.stores (id, project, offering, plan, cluster, name, namespace, replicas, created_by, status, ready_at)
	SELECT '$1', p.uuid, o.uuid, pl.uuid, 'kind', '$2', 'store-$1', 1, 'tester', 'Ready', now()
	FROM opsdeck.projects p, opsdeck.offerings o JOIN opsdeck.plans pl ON pl.offering = o.uuid
	WHERE p.slug = '$3' AND o.slug = 'woocommerce' AND pl.name = 'small'"
}
{
	od db migrate &&
		od catalog import "$top_srcdir/catalog/woocommerce.yaml" \
			"$top_srcdir/catalog/medusa.yaml" &&
		od customer create "Acme Shops" &&
		od customer create "Beta Goods" &&
		od project create acme-shops "Web Store" &&
		od project create acme-shops "Other" &&
		q -c "INSERT INTO opsdeck.clusters (name, kube_context)
			VALUES ('kind', 'kind'), ('prod-eu', 'eu')" &&
		q -c "$(store_sql 0000000000a1 outlet web-store)" &&
		q -c "$(store_sql 0000000000b1 web web-store)" &&
		q -c "$(store_sql 0000000000c1 web other)"
} >"$TAP_TMP/prepare.log" 2>&1 || {
	echo "Bail out! cannot prepare the database: $(tail -n 3 "$TAP_TMP/prepare.log")"
	exit 1
}

is "$(comp opsdeck store show '' | line)" "other/web outlet web-store/web" \
	"opsdeck store show <Tab> gives the stores, a shared name as PROJECT/NAME"
is "$(comp opsdeck store delete ou | line)" "outlet" "a store name completed from its start"
is "$(comp opsdeck store show 0000000000b | line)" "0000000000b1" "a store id completed"
is "$(comp opsdeck store list --project '' | line)" "other web-store" \
	"--project takes a project"
is "$(comp opsdeck store list --project = we | line)" "web-store" \
	"--project=we<Tab> (bash splits at =)"
is "$(comp opsdeck store create '' | line)" "other web-store" "store create: a project first"
is "$(comp opsdeck store create other '' | line)" "medusa woocommerce" "then an offering"
is "$(comp opsdeck cluster set-state '' | line)" "kind prod-eu" "cluster set-state: a cluster"
is "$(comp opsdeck project list --customer b | line)" "beta-goods" "--customer takes a customer"
is "$(PGHOST="$TAP_TMP/nowhere" comp opsdeck -d "$OPSDECK_TEST_DB" project archive '' | line)" \
	"other web-store" \
	"the database given before the command is the one asked"

# A slow database: a table locked by another session (as a migration
# does). Completion gives up on its query within its own bound, silently.
PGAPPNAME=locker psql -X -At -c "BEGIN" -c "LOCK TABLE opsdeck.stores" -c "SELECT pg_sleep(120)" \
	>/dev/null 2>&1 &
locker=$!
tap_on_exit "kill $locker 2>/dev/null; wait $locker 2>/dev/null"
wait_for "[ \"\$(q -c \"SELECT count(*) FROM pg_locks WHERE relation = 'opsdeck.stores'::regclass
	AND mode = 'AccessExclusiveLock' AND granted\")\" = 1 ]" 20 || diag "the lock was not taken"
start=$(tap_now_ms)
out=$(od complete store 2>&1)
rc=$?
took=$(($(tap_now_ms) - start))
is "$rc:$out" "0:" "silent and exit 0 when the query waits on a locked table"
ok "given up within 5 s (took $took ms)" test "$took" -lt 5000
q -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'locker'" >/dev/null
wait "$locker" 2>/dev/null
is "$(comp opsdeck store delete ou | line)" "outlet" "the names come back once the lock is gone"
