#!/bin/sh
# Switching panes by number, by Tab and Shift-Tab, and by `:` command.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/ui/lib.sh"

plan 22
ui_setup
ui_start 120 40

# The pane's title is the first line under the tab bar.
title_is() {
	wait_for "ui_line 3 | grep -Eq '^ $1 *\$'" 20
}

ok "starts on the Stores pane" title_is Stores
like "$(ui_line 2)" '1 Catalog +2 Projects +3 Stores +4 Queues +5 Logs' "tab bar lists the five panes"

n=1
for p in Catalog Projects Stores Queues Logs; do
	ui_keys "$n"
	ok "key $n shows $p" title_is "$p"
	n=$((n + 1))
done

ui_keys 1 Tab
ok "Tab moves to the next pane" title_is Projects
ui_keys BTab BTab
ok "Shift-Tab moves back, wrapping around" title_is Logs

for p in catalog projects stores queues logs; do
	ui_text ":$p"
	ui_keys Enter
	P=$(echo "$p" | sed 's/^./\U&/')
	ok ":$p shows $P" title_is "$P"
done

# :events has no tab: it is opened by name, as in k9s.
ui_text ":events"
ui_keys Enter
ok ":events shows the audit trail" title_is Events
like "$(ui_line 2)" '5 Logs +:events$' "the tab bar names it while it is open"
like "$(ui_screen)" 'No database configured: the events of the audit trail live in PostgreSQL' "without a database it says where events live"
ui_keys Tab
ok "Tab goes from it to the first tab" title_is Catalog
ui_text ":events"
ui_keys Enter BTab
ok "Shift-Tab goes from it to the last tab" title_is Logs
unlike "$(ui_line 2)" ':events' "the tab bar drops it once it is closed"

ui_text ":nosuch"
ui_keys Enter
ok "an unknown command is reported" ui_wait 'Unknown command :nosuch'
ui_keys q
ok "q quits" wait_for '! ui_alive' 20
