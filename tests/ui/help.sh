#!/bin/sh
# The help overlay: built from the active key map, every action listed with
# its keys, filterable with / in the table widget.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/ui/lib.sh"

plan 26
# help_pages N: N screens of the overlay, paging down after each (in $seen).
help_pages() {
	seen=""
	hp__prev=
	for i in $(seq "$1"); do
		# the page after PageDown, not the one before it
		[ -n "$hp__prev" ] && wait_for '[ "$(ui_screen)" != "$hp__prev" ]' 20
		hp__prev=$(ui_screen)
		seen="$seen
$hp__prev"
		ui_keys PageDown
	done
}

ui_setup
ui_start 120 40

ui_keys '?'
ok "? opens the help overlay" ui_wait 'Help: key map default'
like "$(ui_screen)" 'quit +q' "quit is listed with its key"
like "$(ui_screen)" 'cursor\.down +Down, j' "cursor.down is listed with both keys"

# Every action of the map appears once the list is scrolled to the end.
actions=$(grep -o 'ACTION([A-Z_]*, "[a-z._]*"' "$top_srcdir/src/actions.h" | sed 's/.*"\(.*\)"/\1/')
help_pages 3
missing=""
for a in $actions; do
	printf '%s\n' "$seen" | grep -q " $a " || missing="$missing $a"
done
is "$missing" "" "every action is listed in help"

ui_keys '/'
ui_text 'page'
ok "/ filters the help table" ui_wait 'of [0-9]+ +/page'
scr=$(ui_screen)
like "$scr" 'page\.down' "matching rows stay"
unlike "$scr" 'pane\.catalog' "other rows are hidden"
ui_keys Enter
ui_keys '/' C-u
ui_text '!pane'
ui_keys Enter
# The cursor is still on the last row (PageDown above): back to the top,
# where cursor.up is.
ui_keys Home
ok "a ! filter inverts" ui_wait 'cursor\.up'
unlike "$(ui_screen)" 'pane\.next' "inverted filter hides matches"
ui_esc
ok "Esc closes help" ui_wait_gone 'Help: key map'
ui_text ':help'
ui_keys Enter
ok ":help opens it too" ui_wait 'Help: key map default'
# The panes' verbs are commands of their own in help.
ui_keys '/'
ui_text ':catalog'
ui_keys Enter
scr=$(ui_screen)
like "$scr" ':catalog pause \[OFF.* +: +command +Pause an offering' "help lists :catalog pause"
like "$scr" ':catalog plans \[OFF.* +: +command +Show the plans' "and :catalog plans"
ui_keys '/' C-u
ui_text 'audit trail'
ui_keys Enter
ok "and :events" ui_wait ':events \[FILTER\] +: +command +Show the audit trail'

# At 80 columns no action name is cut (key maps name them); the ACTION
# column yields the rest to DESCRIPTION, and the row under the cursor is
# shown whole below the table, a `:` command with its arguments too.
ui_esc
ui_stop
ui_start 80 24
ui_keys '?'
ui_wait 'Help: key map default'
help_pages 8
missing=""
for a in $actions; do
	printf '%s\n' "$seen" | grep -q "│  $a " || missing="$missing $a"
done
is "$missing" "" "at 80 columns every action name is shown whole"
like "$seen" '│  :stores delete \[STO' "the Stores pane's verbs are listed too"
unlike "$(printf '%s\n' "$seen" | grep -E '^ +│  [a-z]' | cut -c1-45)" '…' "no action name ends in an ellipsis"
like "$seen" '│  stores\.delete +d +stores +Delete the store, or the' \
	"DESCRIPTION has the room ACTION does not need"
ui_keys '/' C-u
ui_text 'marked ones (type'
ui_keys Enter
ok "the row under the cursor is shown whole below the table, wrapped" \
	ui_wait 'stores\.delete \(d\): Delete the store, or the marked ones \(type the id to'
like "$(ui_screen)" '│ confirm\) +│' "its second line ends the description"
ui_keys '/' C-u
ui_text 'new-project'
ui_keys Enter
ok "a command cut in its column is whole below the table" \
	ui_wait ':projects new-project \[CUSTOMER\]: '

# Opened in a pane, help lists that pane's own keys first, then the global
# ones; keys that do nothing there are not listed.
ui_esc
ui_wait_gone "Help: key map"
ui_keys 5 '?'
ok "help in the Logs pane" ui_wait 'Help: key map default, in the Logs pane'
first=$(ui_screen | grep -E '^ +│  [a-z]' | head -n 1)
like "$first" '│  logs\.[a-z]+ ' "its first row is one of the pane's own keys"
unlike "$(ui_screen | grep -E '^ +│  [a-z]' | head -n 16)" 'stores\.|catalog\.|cursor\.' \
	"... the other panes' and the list keys come after them"
# filtered on "mark": the Stores pane's delete (its description says
# "marked") shows the filter is applied, the list's mark keys are not there
ui_keys '/'
ui_text 'mark'
ui_keys Enter
ok "... filtered" ui_wait '│  stores\.delete ' 10
unlike "$(ui_screen)" '│  mark(\.clear)? ' "... and the list keys that do nothing there are not listed"

