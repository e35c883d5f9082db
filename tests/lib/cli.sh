# The setup most CLI tests share: a private PostgreSQL, a work directory
# and the operator's settings. Load after tap.sh.
#
#   cli_setup [--state] SETTINGS
#                       starts PostgreSQL (pg.sh; bails out if it does not),
#                       makes $work (removed at exit), points XDG_CONFIG_HOME
#                       (--state: and XDG_STATE_HOME) into it and writes
#                       SETTINGS (a printf format) to $work/op.yaml
#   cli_with_ui SETTINGS
#                       the same beside the console, after ui_with_pg
#                       (tests/ui/lib.sh): $work is the console's UI_TMP,
#                       XDG_CONFIG_HOME ($work/cli-config) and XDG_STATE_HOME
#                       ($work/state) the CLI's own
#   od ARGS             opsdeck with those settings
#   q ARGS              psql, unaligned, stopping at the first error
#   run CMD...          runs CMD; sets rc, out (stdout) and err (stderr)
#   cli_worker LOG [options...]
#                       starts `opsdeck worker --reconcile 0` with those
#                       settings in the background, its output appended to
#                       $work/LOG; sets wpid and adds it to $workers (each
#                       killed at exit, if still running)

command -v pg_start >/dev/null 2>&1 || . "$top_srcdir/tests/lib/pg.sh"

cli_setup() {
	cli__state=
	if [ "$1" = --state ]; then
		cli__state=1
		shift
	fi
	pg_start || { echo "Bail out! cannot start PostgreSQL"; exit 1; }
	work=$(mktemp -d)
	pg_on_exit "rm -rf '$work'"
	XDG_CONFIG_HOME=$work/config
	export XDG_CONFIG_HOME
	if [ -n "$cli__state" ]; then
		XDG_STATE_HOME=$work/state
		export XDG_STATE_HOME
	fi
	cli__settings "$1"
}

cli_with_ui() {
	work=$UI_TMP
	XDG_CONFIG_HOME=$work/cli-config
	XDG_STATE_HOME=$work/state
	export XDG_CONFIG_HOME XDG_STATE_HOME
	cli__settings "$1"
}

cli__settings() {
	printf "$1" >"$work/op.yaml"
	workers=
	pg_on_exit 'for p in $workers; do kill -9 $p 2>/dev/null; done'
}

od() { "$OPSDECK" -c "$work/op.yaml" "$@"; }
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }

run() {
	out=$("$@" 2>"$work/stderr")
	rc=$?
	err=$(cat "$work/stderr")
}

cli_worker() {
	cli__log=$1
	shift
	# Not through od: $! must be the worker itself, for kill -9.
	"$OPSDECK" -c "$work/op.yaml" worker --reconcile 0 "$@" >>"$work/$cli__log" 2>&1 &
	wpid=$!
	workers="$workers $wpid"
}
