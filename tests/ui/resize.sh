#!/bin/sh
# Resizing at any moment: 120x40 down to 80x24, below the minimum, and back.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/ui/lib.sh"

plan 9
ui_setup
ui_start 120 40

width_of_line() {
	ui_line "$1" | awk '{ print length($0) }'
}

ok "the header fills 120 columns" wait_for '[ "$(ui_line 1 | sed "s/ *$//" | wc -L)" -gt 100 ]' 20
ui_keys '?'
ui_wait 'Help: key map'
ui_resize 80 24
ok "at 80x24 the tab bar is still whole" ui_wait '1 Catalog +2 Projects +3 Stores +4 Queues +5 Logs'
ok "the help overlay is redrawn at 80x24" ui_wait 'Help: key map'
like "$(ui_screen | tail -n 1)" '\? help +: command' "the hint line is on the last row"
ok "operator name moved to the new right edge" wait_for '[ "$(ui_line 1 | sed "s/ *$//" | wc -L)" -le 80 ]' 20
ui_resize 70 20
ok "below 80x24 a clear notice says so" ui_wait 'Terminal too small: 70x20'
ui_esc
ui_resize 120 40
ok "back at 120x40 the console returns" ui_wait '1 Catalog'
ui_wait_gone 'Terminal too small'
ok "the notice is gone" ui_wait_gone 'too small'
ok "still alive and answering keys" sh -c "true" && ui_keys 4 && ui_wait '^ Queues'
