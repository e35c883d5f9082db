#!/bin/sh
# The terminal's lifetime: losing the terminal ends opsdeck promptly; SIGTERM,
# Ctrl-C and a crash all give the terminal back.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/ui/lib.sh"

plan 9
ui_setup

# Killing the pane hangs up the terminal (SIGHUP): opsdeck goes.
ui_start 120 40
pid=$UI_PID
ok "opsdeck runs in the pane" ui_alive
tmux -S "$UI_SOCK" kill-pane -t "$(tmux -S "$UI_SOCK" display-message -p '#{pane_id}')"
ok "killing the pane ends opsdeck" wait_for "! kill -0 $pid" 20

# The terminal comes back after each way out: the shell's line is visible
# again (the alternate screen was left) with opsdeck's exit status.
restored() {
	ui_start_cmd 120 40 "echo BEFORE-OPSDECK; '$UI_BIN'; echo \"EXIT=\$?\"; sleep 30"
	ui_wait '1 Catalog' 20 || return 1
	UI_PID=$(ui_child_pid)
	[ -n "$UI_PID" ] || return 1
	"$@"
	ui_wait 'EXIT=' 20 && ui_screen | grep -q BEFORE-OPSDECK
}

send_signal() {
	kill -"$1" "$UI_PID"
}

ok "SIGTERM restores the terminal" restored send_signal TERM
like "$(ui_screen)" 'EXIT=0' "and exits 0"
ok "Ctrl-C restores the terminal" restored ui_keys C-c
like "$(ui_screen)" 'EXIT=0' "and exits 0"
ok "a crash (SIGSEGV) restores the terminal" restored send_signal SEGV
like "$(ui_screen)" 'EXIT=139' "and dies of the signal"

# Losing stdin (EOF) ends opsdeck instead of spinning.
ui_start_cmd 120 40 "'$UI_BIN' </dev/null; echo \"EXIT=\$?\"; sleep 30"
ok "no terminal on stdin: refused with a message" ui_wait 'needs a terminal'
