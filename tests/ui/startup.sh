#!/bin/sh
# Starting up: --help, --version, settings files good and bad, flags.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/ui/lib.sh"

plan 14
ui_setup
export HOME="$UI_TMP/home" XDG_CONFIG_HOME="$UI_TMP/config" XDG_STATE_HOME="$UI_TMP/state"

out=$("$UI_BIN" --help)
is "$?" 0 "--help exits 0"
like "$out" '--read-only' "--help lists the options"
like "$("$UI_BIN" --version)" '^opsdeck [0-9]+\.[0-9]+\.[0-9]+$' "--version prints the version"
"$UI_BIN" --no-such-flag >/dev/null 2>&1
is "$?" 2 "an unknown flag is a usage error (2)"
err=$("$UI_BIN" frobnicate 2>&1)
is "$?" 2 "an unknown command is a usage error (2)"
like "$err" "unknown command \"frobnicate\"" "and says which"

# A malformed settings file: path:line:column and exit 2.
printf 'theme: light\nmouse: perhaps\n' >"$UI_CONFIG/config.yaml"
err=$("$UI_BIN" --version 2>&1; "$UI_BIN" </dev/null 2>&1)
like "$err" 'config\.yaml:2:8: mouse must be true or false' "a bad value is reported as path:line:column"
"$UI_BIN" </dev/null >/dev/null 2>&1
is "$?" 2 "and opsdeck exits 2"
printf 'theme: light\n  oops: [\n' >"$UI_CONFIG/config.yaml"
like "$("$UI_BIN" 2>&1 </dev/null)" 'config\.yaml:[0-9]+:[0-9]+: ' "a YAML syntax error has a position too"
printf 'colour: blue\n' >"$UI_CONFIG/config.yaml"
like "$("$UI_BIN" 2>&1 </dev/null)" "config\.yaml:1:1: unknown option 'colour'" "an unknown option is named"
like "$("$UI_BIN" --config "$UI_TMP/none.yaml" 2>&1 </dev/null)" 'none\.yaml: No such file' "an explicit missing file is an error"
rm -f "$UI_CONFIG/config.yaml"

# Settings from the file reach the console; flags win over the file.
printf 'theme: light\nread_only: true\n' >"$UI_CONFIG/config.yaml"
ui_start 120 40
ok "read_only from the file shows the READ-ONLY badge" ui_wait 'READ-ONLY'
ui_keys q
wait_for '! ui_alive' 20
printf 'keymap: nosuchmap\n' >"$UI_CONFIG/config.yaml"
ui_start 120 40 --keymap vim
ui_keys '?'
ok "--keymap overrides the file" ui_wait 'Help: key map vim'
ui_keys q q
wait_for '! ui_alive' 20

# Alt arrives as ESC + key over SSH: a user map binds M-l.
rm -f "$UI_CONFIG/config.yaml"
mkdir -p "$UI_CONFIG/keymaps"
printf 'pane.logs: ["5", M-l]\n' >"$UI_CONFIG/keymaps/default.yaml"
ui_start 120 40
ui_keys Escape l
ok "ESC-prefixed Alt keys work (M-l shows Logs)" wait_for 'ui_line 3 | grep -q "^ Logs"' 20
