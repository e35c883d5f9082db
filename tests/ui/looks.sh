#!/bin/sh
# Themes and key maps: switching at run time, user key maps that unbind and
# rebind, bad files reported with line and column, NO_COLOR, ASCII fallback.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/ui/lib.sh"

plan 21
ui_setup
ui_start 120 40

ui_text ':theme light'
ui_keys Enter
ok ":theme light switches" ui_wait 'Theme light'
ui_text ':theme nosuch'
ui_keys Enter
ok "an unknown theme is refused in words" ui_wait "no theme named 'nosuch'"
ui_esc
ui_text ':keymap vim'
ui_keys Enter
ok ":keymap vim switches" ui_wait 'Key map vim'
ui_keys '?'
ok "help shows the vim map" ui_wait 'Help: key map vim'
like "$(ui_screen)" 'cursor\.top +Home, g' "vim binds g to cursor.top"
ui_esc
ui_text ':th'
ui_keys Tab
ok "Tab completes a command" ui_wait '^:theme'
ui_keys Tab
ok "a second Tab lists the themes" ui_wait 'default +light +mono'
ui_esc
ui_keys q
wait_for '! ui_alive' 20

# A user key map: unbind Tab's action, move quit to x.
cat >"$UI_CONFIG/keymaps.tmp" <<'YAML'
pane.next: disabled
quit: [x]
YAML
mkdir -p "$UI_CONFIG/keymaps"
mv "$UI_CONFIG/keymaps.tmp" "$UI_CONFIG/keymaps/default.yaml"
ui_start 120 40
ui_keys 1 Tab q
# Keys are read in order: once q has said it is not bound, Tab was read too.
ui_wait 'q is not bound' 20 || diag "q said nothing: $(ui_screen)"
if ui_line 3 | grep -q "^ Catalog"; then
	pass "a disabled action's key does nothing"
else
	fail "a disabled action's key does nothing"
	diag "$(ui_screen)"
fi
ok "the key taken from quit no longer quits" ui_alive
ok "and says it is not bound" ui_wait 'q is not bound'
ui_keys x
ok "the rebound key quits" wait_for '! ui_alive' 20

# A bad user theme: reported with file, line and column; defaults used.
mkdir -p "$UI_CONFIG/themes"
printf 'styles:\n  normal: { fg: 252 }\n  header: { fg: purpleish }\n' >"$UI_CONFIG/themes/broken.yaml"
ui_start 120 40 --theme broken
ok "a bad theme is reported as file:line:column" ui_wait 'broken\.yaml:3:[0-9]+: '
ok "and the console runs with the default theme" ui_wait '3 Stores'
ui_keys q
wait_for '! ui_alive' 20

# A bad user key map: unknown action reported, shipped map kept.
printf 'quit: [x]\nno.such.action: [z]\n' >"$UI_CONFIG/keymaps/default.yaml"
ui_start 120 40
ok "an unknown action is reported as file:line:column" ui_wait 'default\.yaml:2:1: '
ui_keys q
ok "the shipped map is used (q quits)" wait_for '! ui_alive' 20
# At 80 columns the message, path and all, is wrapped, not cut.
ui_start 80 24
ok "at 80x24 the key map's error is shown whole" ui_wait 'map\)$'
unlike "$(ui_screen)" '…' "and nothing of it is cut"
ui_keys q
wait_for '! ui_alive' 20
rm -f "$UI_CONFIG/keymaps/default.yaml"

# NO_COLOR: no colour escape codes on the screen.
UI_ENV="NO_COLOR=1"
ui_start 120 40
# 39/49 (default colours) are fine; 30-37, 40-47, 90-97 and 256-colour codes are not.
unlike "$(ui_screen_attrs)" '\[([0-9;]*;)?(3[0-7]|4[0-7]|9[0-7]|38;5|48;5)(;[0-9;]*)?m' "NO_COLOR draws without colours"
ui_keys q
wait_for '! ui_alive' 20
UI_ENV=""

# Without a UTF-8 locale, borders fall back to ASCII.
UI_ENV="LANG=C LC_ALL=C"
ui_start 120 40
ui_keys '?'
ok "borders are ASCII without a UTF-8 locale" ui_wait '\+ Help -+'
ui_keys q q
wait_for '! ui_alive' 20
UI_ENV=""

# TERM=screen has 8 colours: the theme falls back to basic colours.
UI_ENV="TERM=screen"
ui_start 120 40
ok "TERM=screen renders the console" ui_wait '1 Catalog +2 Projects'
scr=$(ui_screen_attrs)
unlike "$scr" '38;5;|48;5;' "TERM=screen gets no 256-colour codes"
ui_keys q
wait_for '! ui_alive' 20
UI_ENV=""
