# Tiny TAP helpers for shell tests. Source it, call `plan N`, then one
# assertion per test case. Every assertion prints exactly one "ok"/"not ok"
# line and returns 0/1, so a script can go on after a failure and the
# driver still counts every case.
#
#   plan N                  print the plan
#   pass DESC / fail DESC   an unconditional result
#   ok DESC CMD...          ok if CMD exits 0
#   nok DESC CMD...         ok if CMD exits non-zero
#   is GOT WANT DESC        ok if the strings are equal
#   like GOT REGEX DESC     ok if GOT matches the extended regex
#   unlike GOT REGEX DESC   ok if it does not
#   diag MSG...             a comment line (shown by the driver on failure)
#   wait_for CMD TIMEOUT    runs CMD (a shell string) every 0.1 s until it
#                           succeeds or TIMEOUT seconds pass; returns 0/1
#   tap_free_ports N        N free loopback ports a server can bind again after
#                           a restart (below the ephemeral range)
#   tap_on_exit CMD         run shell command CMD at exit (the last one
#                           registered runs first); scripts never set their own
#                           EXIT trap, the libraries register here
#   tap_running PID         true while PID runs (a zombie does not)
#
# Sourcing it gives the script one temporary directory of its own, TAP_TMP,
# exported as TMPDIR too, so that every mktemp (the libraries', the
# script's) lands inside it and every program the script starts carries its
# name in the environment. At exit, after the cleanup registered, one more
# case is reported (`plan N` announces N + 1): "no process left running" —
# no process whose environment or working directory names TAP_TMP (any
# found is killed and named, and the case fails). Then TAP_TMP is removed.

tap_n=0
tap__planned=

plan() {
	tap__planned=1
	echo "1..$(($1 + 1))"
}

diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

pass() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1"
}

fail() {
	tap_n=$((tap_n + 1))
	echo "not ok $tap_n - $1"
	return 1
}

ok() {
	tap_d=$1
	shift
	if "$@"; then pass "$tap_d"; else fail "$tap_d"; fi
}

nok() {
	tap_d=$1
	shift
	if "$@"; then fail "$tap_d"; else pass "$tap_d"; fi
}

is() {
	if [ "$1" = "$2" ]; then
		pass "$3"
	else
		fail "$3"
		diag "got:  '$1'" "want: '$2'"
		return 1
	fi
}

like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		pass "$3"
	else
		fail "$3"
		diag "got:  '$1'" "want a match for: $2"
		return 1
	fi
}

unlike() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		fail "$3"
		diag "got:  '$1'" "want no match for: $2"
		return 1
	else
		pass "$3"
	fi
}

tap_now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# tap_free_ports N: N free 127.0.0.1 ports, drawn at random below the
# kernel's ephemeral range: a restarted server (a broker, sshd) binds its
# ports again, and a port of that range, once free, may meanwhile become
# any program's outgoing connection or another server's "port 0".
tap_free_ports() {
	python3 -c '
import random, socket, sys
lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
lo = lo if lo > 11000 else 32768
ports = []
for _ in range(10000):
    if len(ports) == int(sys.argv[1]):
        break
    p = random.randrange(10000, lo)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    if p not in ports:
        ports.append(p)
if len(ports) < int(sys.argv[1]):
    sys.exit("tap_free_ports: no free port on 127.0.0.1")
print(" ".join(map(str, ports)))' "$1"
}

# A condition may wait in turn: the deadline is this call's own.
wait_for() {
	local tap_end
	tap_end=$(($(tap_now_ms) + $(awk -v s="$2" 'BEGIN { printf "%d", s * 1000 }')))
	while :; do
		if eval "$1" >/dev/null 2>&1; then
			return 0
		fi
		if [ "$(tap_now_ms)" -ge "$tap_end" ]; then
			return 1
		fi
		sleep 0.1
	done
}

# The shell running this (a subshell has its own pid, $$ stays the script's).
tap__self() {
	read -r tap__me tap__rest </proc/self/stat
}

tap_running() {
	tap__st=$(sed 's/.*) //; s/ .*//' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$tap__st" ] && [ "$tap__st" != Z ]
}

# Hooks belong to the shell that registered them: a subshell that registers
# its own (pg_harness.sh starts a server in one) runs only those at its exit.
tap__hooks=
tap__hooks_of=
tap_on_exit() {
	tap__self
	if [ "$tap__hooks_of" != "$tap__me" ]; then
		tap__hooks=
		tap__hooks_of=$tap__me
	fi
	tap__hooks="$1
$tap__hooks"
	trap tap__exit EXIT
}

# Processes (pid and command line, one a line) whose environment or working
# directory names TAP_TMP, except the script and the shell asking. The
# candidates are listed before the pipeline that reads them starts (its own
# processes carry TAP_TMP too), and the caller is outside TAP_TMP, so that
# the shell's own subshells do not count.
tap__leftovers() {
	tap__self
	tap__env=
	tap__cwd=
	for tap__d in /proc/[0-9]*; do
		tap__env="$tap__env $tap__d/environ"
		tap__cwd="$tap__cwd $tap__d/cwd"
	done
	{
		grep -alsF -- "$TAP_TMP" $tap__env
		find $tap__cwd -maxdepth 0 \( -lname "$TAP_TMP" -o -lname "$TAP_TMP/*" \) 2>/dev/null
	} | sed -n 's|^/proc/\([0-9]*\)/.*|\1|p' | sort -un | while read -r tap__p; do
		if [ "$tap__p" = "$$" ] || [ "$tap__p" = "$tap__me" ] || ! tap_running "$tap__p"; then
			continue
		fi
		printf '%s %s\n' "$tap__p" "$(tr '\0' ' ' <"/proc/$tap__p/cmdline" 2>/dev/null)"
	done
}

# A process told to stop at cleanup may take a moment to go (a console
# answering SIGHUP, a server shutting down): what is still there after 15 s
# was left running.
tap__check_leftovers() {
	cd / || return 0
	tap__end=$(($(tap_now_ms) + 15000))
	while tap__left=$(tap__leftovers) && [ -n "$tap__left" ]; do
		[ "$(tap_now_ms)" -ge "$tap__end" ] && break
		sleep 0.2
	done
	if [ -z "$tap__left" ]; then
		[ -n "$tap__planned" ] && pass "no process left running"
		return 0
	fi
	if [ -n "$tap__planned" ]; then
		fail "no process left running"
	else
		echo "not ok - no process left running"
	fi
	diag "still running at exit (now killed):" "$tap__left"
	tap__pids=$(printf '%s\n' "$tap__left" | cut -d' ' -f1)
	kill $tap__pids 2>/dev/null
	tap__end=$(($(tap_now_ms) + 5000))
	for tap__p in $tap__pids; do
		while tap_running "$tap__p" && [ "$(tap_now_ms)" -lt "$tap__end" ]; do
			sleep 0.1
		done
		kill -9 "$tap__p" 2>/dev/null
	done
	return 1
}

tap__exit() {
	tap__rc=$?
	trap - EXIT
	if [ -n "$tap__hooks" ]; then
		eval "$tap__hooks" || :
	fi
	tap__hooks=
	tap__self
	# Only the script itself checks, once everything it started is stopped.
	if [ "$tap__me" = "$$" ] && [ -n "${TAP_TMP:-}" ]; then
		tap__check_leftovers || tap__rc=1
		rm -rf "$TAP_TMP"
	fi
	exit "$tap__rc"
}

if [ -z "${TAP_TMP:-}" ] || [ "${tap__tmp_of:-}" != "$$" ]; then
	# Short: a Unix socket path inside it (PostgreSQL's, tmux's) is limited,
	# and paths inside it show in messages on an 80-column screen.
	tap__base=${TMPDIR:-/tmp}
	[ ${#tap__base} -gt 24 ] && tap__base=/tmp
	TAP_TMP=$(mktemp -d "$tap__base/od.XXXXXXXX") || {
		echo "Bail out! cannot make a temporary directory"
		exit 1
	}
	# Others may pass through it: the test server runs as another user
	# under uid 0.
	chmod 711 "$TAP_TMP"
	tap__tmp_of=$$
	TMPDIR=$TAP_TMP
	export TAP_TMP TMPDIR
	tap__self
	tap__hooks_of=$tap__me
	trap tap__exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
fi
