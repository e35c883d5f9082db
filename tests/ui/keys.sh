#!/bin/sh
# Keys as terminals send them over SSH: escape sequences that the terminal
# type's terminfo entry does not list (TERM=xterm-256color has no
# `ESC [ 1 ~`, which PuTTY and tmux send for Home) are read whole, the
# common ones as the keys they are, the others dropped -- never as Esc
# followed by keys. Sent as raw bytes (tmux send-keys -H).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/ui/lib.sh"

plan 22
ui_setup
UI_ENV="TERM=xterm-256color"
ui_start 120 40

raw() { ui__tmux send-keys -H "$@"; }
# pos: the help table's "P/N" at the end of its title line
pos() { ui_screen | sed -n 's/.*Help: key map.* \([0-9]*\)\/[0-9]* │$/\1/p'; }
total() { ui_screen | sed -n 's/.*Help: key map.* [0-9]*\/\([0-9]*\) │$/\1/p'; }

ui_keys '?'
ok "? opens the help overlay" ui_wait 'Help: key map default'
n=$(total)
like "$n" '^[0-9]+$' "its title gives the position of $n rows"

# name, bytes of Home's or End's variant
check() {
	want=$1
	shift
	raw "$@"
	if [ "$want" = End ]; then at=$n; else at=1; fi
	if wait_for "[ \"\$(pos)\" = $at ]" 20; then
		pass "$* is $want"
	else
		fail "$* is $want"
		diag "$(ui_screen)"
	fi
}
check End 1b 5b 34 7e     # ESC [ 4 ~  (PuTTY, tmux, screen)
check Home 1b 5b 31 7e    # ESC [ 1 ~
check End 1b 5b 38 7e     # ESC [ 8 ~  (rxvt)
check Home 1b 5b 37 7e    # ESC [ 7 ~
check End 1b 5b 46        # ESC [ F
check Home 1b 5b 48       # ESC [ H
check End 1b 4f 46        # ESC O F
check Home 1b 4f 48       # ESC O H

ui_keys Escape
ok "Esc closes help" ui_wait_gone 'Help: key map'

# On a pane, nothing of a sequence may act as a key: with Home read as
# Esc [ 1 ~, the 1 would open the Catalog and ~ would be "not bound".
title_is() { ui_line 3 | grep -Eq "^ $1 *\$"; }
ok "the Stores pane is shown" wait_for 'title_is Stores' 20
# then_sync: a ':' after the bytes opens the command line once they are
# all read; Esc closes it again
then_sync() {
	ui_text ":"
	wait_for 'ui_line 40 | grep -q "^:"' 20 || diag "no command line: $(ui_line 40)"
}
for seq in "1b 5b 31 7e" "1b 5b 34 7e" "1b 5b 39 39 7e" "1b 5b 3f 31 30 34 39 68" \
	"1b 5b 31 3b 32 3b 33 41" "1b 4f 7a"; do
	# shellcheck disable=SC2086 # the bytes are meant to split
	raw $seq
	then_sync
	if title_is Stores && ! ui_screen | grep -q 'not bound'; then
		pass "$seq leaves the pane and prints nothing"
	else
		fail "$seq leaves the pane and prints nothing"
		diag "$(ui_screen)"
	fi
	ui_keys Escape
	wait_for '! ui_line 40 | grep -q "^:"' 20 || diag "the command line stayed"
done

# A lone Esc is still Esc, and Alt arrives as ESC and the key.
ui_text ":"
ok "the command line opens" wait_for 'ui_line 40 | grep -q "^:"' 20
raw 1b
ok "a lone Esc closes it (after the short wait for more)" wait_for '! ui_line 40 | grep -q "^:"' 20
raw 1b 31
then_sync
ok "Alt-1 is not Esc and 1: the Catalog is not opened" title_is Stores
ui_keys Escape
wait_for '! ui_line 40 | grep -q "^:"' 20 || diag "the command line stayed"
ui_keys q
ok "q quits" wait_for '! ui_alive' 20
