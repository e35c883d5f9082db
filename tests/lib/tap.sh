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

tap_n=0

plan() {
	echo "1..$1"
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

wait_for() {
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
