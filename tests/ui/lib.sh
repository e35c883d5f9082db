# UI test harness: runs opsdeck inside a private tmux server at a fixed size,
# sends keys and reads the screen as text. Source it after tests/lib/tap.sh.
#
#   ui_setup                   temp dirs, pinned environment (TERM, LANG, TZ,
#                              HOME, XDG_*), a private tmux socket; cleanup at
#                              exit (tap_on_exit)
#   ui_start W H [ARGS...]     start `opsdeck ARGS` in a W x H pane; waits for
#                              the tab bar; UI_PID is the opsdeck process
#   ui_start_cmd W H CMD       start a shell command instead (CMD runs in sh)
#   ui_keys KEYS...            tmux send-keys (names like Enter, Escape, Tab, BTab)
#   ui_text TEXT               send literal text
#   ui_esc                     a lone Esc (then a pause, else the next key is Alt-key)
#   ui_screen                  the screen as text;  ui_screen_attrs: with SGR codes
#   ui_wait REGEX [SECS]       wait until the screen matches (default 20 s:
#                              generous, a busy machine is slow to draw)
#   ui_wait_gone REGEX [SECS]  wait until it no longer matches
#   ui_resize W H              resize the pane (and window)
#   ui_alive                   true while opsdeck runs
#   ui_stop                    kill the tmux server; waits until it and the
#                              pane's program are gone
#   UI_CONFIG                  the XDG config dir opsdeck reads (…/opsdeck)

ui_setup() {
	# Inside the script's own directory (tests/lib/tap.sh), under a short
	# name: paths in it show on screen.
	if [ -n "${TAP_TMP:-}" ] && mkdir "$TAP_TMP/ui" 2>/dev/null; then
		UI_TMP=$TAP_TMP/ui
	else
		UI_TMP=$(mktemp -d "${TMPDIR:-/tmp}/opsdeck-ui.XXXXXX")
	fi
	UI_SOCK="$UI_TMP/tmux.0.sock"
	ui__n=0
	UI_CONFIG="$UI_TMP/config/opsdeck"
	mkdir -p "$UI_TMP/home" "$UI_CONFIG" "$UI_TMP/state"
	UI_BIN=${OPSDECK:-$top_builddir/opsdeck}
	ui__server_pid=
	ui__pane_pid=
	tap_on_exit ui__cleanup
}

ui__cleanup() {
	ui_stop
	rm -rf "$UI_TMP"
}

ui__tmux() {
	tmux -S "$UI_SOCK" -f /dev/null "$@"
}

ui_start_cmd() {
	ui__w=$1 ui__h=$2
	shift 2
	ui_stop
	# A launcher file instead of nested quoting; the environment is pinned
	# so the screen is the same on every machine.
	{
		echo "export PATH='$PATH' TERM=tmux-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC"
		echo "export HOME='$UI_TMP/home' XDG_CONFIG_HOME='$UI_TMP/config'"
		echo "export XDG_STATE_HOME='$UI_TMP/state' OPSDECK_DATADIR='$OPSDECK_DATADIR'"
		echo "export ASAN_OPTIONS='${ASAN_OPTIONS:-}' UBSAN_OPTIONS='${UBSAN_OPTIONS:-}'"
		echo "unset NO_COLOR PGHOST PGHOSTADDR PGDATABASE PGSERVICE KUBECONFIG TMUX"
		[ -n "${UI_ENV:-}" ] && echo "export $UI_ENV"
		echo "$*"
	} >"$UI_TMP/run.sh"
	# A fresh socket each time: the previous server may still be exiting.
	ui__n=$((ui__n + 1))
	UI_SOCK="$UI_TMP/tmux.$ui__n.sock"
	ui__tmux new-session -d -x "$ui__w" -y "$ui__h" "sh '$UI_TMP/run.sh'"
	ui__tmux set-option -g escape-time 0 >/dev/null
	ui__server_pid=$(ui__tmux display-message -p '#{pid}')
	ui__pane_pid=$(ui__tmux display-message -p '#{pane_pid}')
}

ui_start() {
	ui__w=$1 ui__h=$2
	shift 2
	ui_start_cmd "$ui__w" "$ui__h" "exec '$UI_BIN' $*"
	UI_PID=$(ui__tmux display-message -p '#{pane_pid}')
	ui_wait '1 Catalog' 30
}

ui_keys() {
	ui__tmux send-keys "$@"
}

# Esc followed at once by a key is Alt-key (as over SSH), so a lone Esc is
# given the time a person's next key would take.
# ui_esc: Esc on its own. The console takes an ESC followed within 30 ms by
# another key for Alt and that key (as terminals send it), so the next key
# goes only once the console has read the ESC from its terminal (nothing
# left in the pane's input queue), and at a typist's pace after it.
ui_esc() {
	ui__tmux send-keys Escape
	wait_for "ui__input_queued 0" 20 || diag "the console did not read the Esc"
	sleep 0.1
}

# ui__input_queued N: true when N bytes wait unread in the pane's terminal.
ui__input_queued() {
	python3 -c '
import fcntl, os, struct, sys, termios
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
n = struct.unpack("i", fcntl.ioctl(fd, termios.TIOCINQ, b"\0" * 4))[0]
sys.exit(0 if n == int(sys.argv[2]) else 1)' "$(ui__tmux display -p '#{pane_tty}')" "$1"
}

ui_text() {
	ui__tmux send-keys -l "$1"
}

ui_screen() {
	ui__tmux capture-pane -p 2>/dev/null
}

ui_screen_attrs() {
	ui__tmux capture-pane -p -e 2>/dev/null
}

# The pattern goes through a variable: quotes in it must not break the eval.
ui_wait() {
	ui__pat=$1
	wait_for 'ui_screen | grep -Eq -- "$ui__pat"' "${2:-20}"
}

ui_wait_gone() {
	ui__pat=$1
	wait_for '! ui_screen | grep -Eq -- "$ui__pat"' "${2:-20}"
}

ui_resize() {
	ui__tmux resize-window -x "$1" -y "$2"
}

# The pid of the program the pane's shell started (for ui_start_cmd).
ui_child_pid() {
	pgrep -P "$(ui__tmux display-message -p '#{pane_pid}')" | head -n 1
}

ui_alive() {
	[ -n "${UI_PID:-}" ] && kill -0 "$UI_PID" 2>/dev/null
}

# The server hangs up on the pane when it goes: both are waited for, so that
# nothing of this console is left when the next starts or the script ends.
ui_stop() {
	ui__tmux kill-server >/dev/null 2>&1 || :
	for ui__p in ${ui__server_pid:-} ${ui__pane_pid:-}; do
		wait_for "! tap_running $ui__p" 30 || :
	done
	ui__server_pid=
	ui__pane_pid=
}

# Line N (1-based) of the screen.
ui_line() {
	ui_screen | sed -n "$1p"
}

# screen_has DESC REGEX [SECS]: one test that passes when REGEX shows on the
# screen within SECS (default 20), and otherwise fails showing the screen.
screen_has() {
	if ui_wait "$2" "${3:-20}"; then
		pass "$1"
	else
		fail "$1"
		diag "$(ui_screen)"
	fi
}

# ui_with_pg: the start of a console test against a private PostgreSQL
# (tests/lib/pg.sh sourced): tmux must be there, then ui_setup and
# pg_start, and both are stopped at exit. Bails out if either cannot be.
ui_with_pg() {
	if ! command -v tmux >/dev/null 2>&1; then
		echo "Bail out! tmux is not installed (scripts/setup installs it)"
		exit 1
	fi
	ui_setup
	pg_start || { echo "Bail out! cannot start PostgreSQL"; exit 1; }
	pg_on_exit "ui_stop; wait_for \"! ui_alive\" 20; rm -rf \"\$UI_TMP\""
}
