#!/bin/sh
# Settings checked when they are read: a bad value, a second YAML document,
# text after the first document or a bad byte stops the console, a command
# and the worker with `path:line:column: what is wrong` and status 2, before
# anything else happens. Theme and key map files get the same messages on
# the console's message line, and the defaults are used.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/ui/lib.sh"

plan 25
ui_setup
export HOME="$UI_TMP/home" XDG_CONFIG_HOME="$UI_TMP/config" XDG_STATE_HOME="$UI_TMP/state"
# Nothing may be reached: a database or a cluster that is tried would show.
export PGHOST="$UI_TMP/no-such-socket-dir" KUBECONFIG="$UI_TMP/no-kubeconfig"
CFG="$UI_CONFIG/config.yaml"

# run ARGS...: opsdeck's stderr in $err, its stdout in $out, status in $rc.
run() {
	"$UI_BIN" "$@" </dev/null >"$UI_TMP/out" 2>"$UI_TMP/err"
	rc=$?
	out=$(cat "$UI_TMP/out")
	err=$(cat "$UI_TMP/err")
}

# expect DESC REGEX ARGS...: status 2, REGEX on stderr, nothing on stdout.
expect() {
	expect_d=$1 expect_re=$2
	shift 2
	run "$@"
	if [ "$rc" = 2 ] && printf '%s\n' "$err" | grep -Eq -- "$expect_re" && [ -z "$out" ]; then
		pass "$expect_d"
	else
		fail "$expect_d"
		diag "status $rc" "stderr: $err" "stdout: $out" "wanted: $expect_re"
	fi
}

printf 'theme: light\nprovision:\n  domain: Shop_Example.com\n' >"$CFG"
expect "console: a bad provision.domain, at its value's position" \
	"^opsdeck: $CFG:3:11: provision.domain must be a DNS name such as stores.example.com"
expect "opsdeck doctor: the same, status 2" \
	"^opsdeck: $CFG:3:11: provision.domain must be a DNS name" doctor
expect "opsdeck worker: the same, status 2" \
	"^opsdeck: $CFG:3:11: provision.domain must be a DNS name" worker --once
printf 'provision.domain:\n' >"$CFG"
expect "a domain left empty is named" \
	"^opsdeck: $CFG:1:18: provision.domain needs a value" doctor

printf 'operator: "alice\\tsmith"\n' >"$CFG"
expect "an operator name with a control character" \
	"^opsdeck: $CFG:1:11: operator must be a name of 1 to 200 characters on one line" \
	store list
printf 'operator: {name: alice}\n' >"$CFG"
expect "an operator given a mapping" \
	"^opsdeck: $CFG:1:11: operator takes a single value, not a mapping" doctor
printf "database: \"host='db1 dbname=x\"\n" >"$CFG"
expect "a connection string libpq cannot read (and no part of it repeated)" \
	"^opsdeck: $CFG:1:11: database is not a connection string libpq reads" doctor
unlike "$err" "db1" "the message does not quote the value"
printf 'kube:\n  context: "prod\\e[2J"\n' >"$CFG"
expect "a kube context with an escape" \
	"^opsdeck: $CFG:2:12: kube.context must be a context name" doctor
printf 'worker:\n  jobs: 0\n' >"$CFG"
expect "a number out of range" \
	"^opsdeck: $CFG:2:9: worker.jobs must be a whole number from 1 to 64" worker --once
printf 'provision:\n  domian: shop.example.com\n' >"$CFG"
expect "an unknown option" "^opsdeck: $CFG:2:3: unknown option 'provision.domian'" doctor

# One YAML document; what follows it is read, not skipped.
printf 'theme: light\n---\ntheme: dark\n' >"$CFG"
expect "a second document" "^opsdeck: $CFG:2:1: more than one YAML document"
expect "a second document (doctor)" "^opsdeck: $CFG:2:1: more than one YAML document" doctor
printf 'theme: light\n...\nmouse: [\n' >"$CFG"
expect "text after the first document" \
	"^opsdeck: $CFG:3:1: did not find expected <document start>" doctor
printf 'theme: light\n---\nmouse: [\n' >"$CFG"
expect "a syntax error in a second document is not skipped" \
	"^opsdeck: $CFG:2:1: more than one YAML document" doctor

# Bad bytes: their own line and column, not 1:1.
printf 'theme: light\nmouse: false\noperator: "al\377ce"\n' >"$CFG"
expect "invalid UTF-8 at its line and column" \
	"^opsdeck: $CFG:3:14: invalid leading UTF-8 octet \\(byte 0xff\\)" doctor
printf 'theme: light\noperator: al\000ce\n' >"$CFG"
expect "a NUL byte at its line and column" \
	"^opsdeck: $CFG:2:13: control characters are not allowed \\(U\\+0000\\)" doctor

# Flags follow the options' rules.
rm -f "$CFG"
expect "--db with a bad connection string" \
	"^opsdeck: --db: database is not a connection string libpq reads" --db "host='x" doctor
expect "--context with a control character" \
	"^opsdeck: --context: kube.context must be a context name" --context "$(printf 'a\033b')" doctor

# Catalog files: one document too.
printf 'offering:\n  slug: x\n---\nplans: []\n' >"$UI_TMP/two.yaml"
run catalog check "$UI_TMP/two.yaml"
like "$err" "^opsdeck: $UI_TMP/two\\.yaml:3:1: more than one YAML document" \
	"a catalog file of two documents"

# Themes and key maps: the console says what is wrong and uses the defaults.
if ! command -v tmux >/dev/null 2>&1; then
	echo "Bail out! tmux is not installed (scripts/setup installs it)"
	exit 1
fi
unset PGHOST KUBECONFIG
mkdir -p "$UI_CONFIG/themes" "$UI_CONFIG/keymaps"
printf 'styles:\n  normal: { fg: 252 }\n---\nstyles:\n  header: { fg: red }\n' \
	>"$UI_CONFIG/themes/twodocs.yaml"
ui_start 120 40 --theme twodocs
screen_has "a theme of two documents: file:line:column on the message line" \
	'twodocs\.yaml:3:1: more than one YAML document \(using the default theme\)'
screen_has "and the console runs" '3 Stores'
ui_keys q
wait_for '! ui_alive' 20

printf 'quit: [x]\n...\n: [\n' >"$UI_CONFIG/keymaps/default.yaml"
ui_start 120 40
screen_has "a key map with a syntax error after its document" \
	'default\.yaml:3:1: did not find expected <document start>'
ui_keys q
ok "the shipped map is used (q quits)" wait_for '! ui_alive' 20

printf 'quit: [x]\npane.logs: ["\001"]\n' >"$UI_CONFIG/keymaps/default.yaml"
ui_start 120 40
screen_has "a control character in a key map at its line and column" \
	'default\.yaml:2:14: control characters are not allowed \(U\+0001\)'
ui_keys q
wait_for '! ui_alive' 20
rm -f "$UI_CONFIG/keymaps/default.yaml"
