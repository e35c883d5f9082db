# A private OpenSSH sshd for shell tests: its own host keys, config, user key
# and log in a directory of the test's TAP_TMP, on a free 127.0.0.1 port,
# public-key authentication only, stopped at exit leaving nothing running.
# It runs as the user running the tests (as root it needs /run/sshd, the
# privilege separation directory, which it makes); that user logs in.
#
#   sshd_start DIR [sshd -o options...]  starts it; sets SSHD_PORT, SSHD_PID,
#                                        SSHD_USER, SSHD_KEY (an ed25519 user
#                                        key it accepts), SSHD_HOSTKEY_PUB and
#                                        SSHD_KNOWN_HOSTS (a known_hosts file
#                                        holding its host key)
#   sshd_stop                            stops it and waits until it is gone
#   sshd_restart                         starts it again on the same port
#   sshd_new_hostkey                     a new host key (for a changed key);
#                                        takes effect at the next start
#   sshd_encrypted_key FILE PASSPHRASE   makes an ed25519 key encrypted with
#                                        PASSPHRASE, authorized by the sshd
#   sshd_agent_start KEY                 starts an ssh-agent holding KEY,
#                                        exports SSH_AUTH_SOCK, stops at exit
#   sshd_use NAME                        makes NAME (letters, digits, '_') the
#                                        instance the functions above and the
#                                        SSHD_* variables are about; the first
#                                        is "default". A script runs a second
#                                        sshd with its own host and user keys
#                                        and port by `sshd_use NAME` then
#                                        sshd_start, and goes back with
#                                        `sshd_use default`.
#   SSHD_ADDR                            the address sshd_start listens on
#                                        (default 127.0.0.1; 127.0.0.2 also
#                                        is loopback), set before it
#   sshd_start_pair OUTER_DIR INNER_DIR [sshd -o options...]
#                                        two sshd for chains: the outer one
#                                        ("default", the options given) on
#                                        127.0.0.1, the inner one ("inner") on
#                                        127.0.0.2; sets SSHD_INNER_PORT,
#                                        SSHD_INNER_KEY, SSHD_INNER_KNOWN_HOSTS
#                                        and SSHD_INNER_HOSTKEY_PUB, and leaves
#                                        "default" the instance in use
#   sshd_profile [-i INSTANCE] NAME [SETTING...]
#                                        prints an entry of a configuration's
#                                        tunnels list for the instance in use
#                                        (or INSTANCE): its address, port,
#                                        user, key and known_hosts, no agent,
#                                        then each SETTING ("key: value") on a
#                                        line

sshd_free_port() { tap_free_ports 1; }

sshd__vars="sshd__dir sshd__opts SSHD_ADDR SSHD_PORT SSHD_PID SSHD_USER SSHD_KEY
SSHD_HOSTKEY_PUB SSHD_KNOWN_HOSTS"

sshd_use() {
	for sshd__v in $sshd__vars; do
		eval "sshd__s_${sshd__name:-default}_$sshd__v=\${$sshd__v:-}"
	done
	sshd__name=$1
	for sshd__v in $sshd__vars; do
		eval "$sshd__v=\${sshd__s_${1}_$sshd__v:-}"
	done
}

sshd__write_config() {
	cat >"$sshd__dir/sshd_config" <<EOF
ListenAddress $SSHD_ADDR:$SSHD_PORT
HostKey $sshd__dir/host_ed25519
PidFile $sshd__dir/sshd.pid
AuthorizedKeysFile $sshd__dir/authorized_keys
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
AllowTcpForwarding yes
MaxStartups 100
LogLevel VERBOSE
EOF
}

sshd__run() {
	/usr/sbin/sshd -D -e -f "$sshd__dir/sshd_config" $sshd__opts \
		>>"$sshd__dir/sshd.log" 2>&1 &
	SSHD_PID=$!
	wait_for "sshd__answers" 30 || {
		echo "sshd_start: sshd does not answer:" >&2
		cat "$sshd__dir/sshd.log" >&2
		return 1
	}
}

# sshd greets with its version as soon as it accepts.
sshd__answers() {
	tap_running "$SSHD_PID" &&
		python3 - "$SSHD_PORT" "$SSHD_ADDR" <<'EOF'
import socket, sys
s = socket.create_connection((sys.argv[2], int(sys.argv[1])), timeout=2)
sys.exit(0 if s.recv(64).startswith(b"SSH-2.0-") else 1)
EOF
}

sshd_start() {
	sshd__dir=$1
	shift
	sshd__opts=
	for sshd__o in "$@"; do
		sshd__opts="$sshd__opts -o $sshd__o"
	done
	mkdir -p "$sshd__dir"
	SSHD_ADDR=${SSHD_ADDR:-127.0.0.1}
	if [ "$(id -u)" -eq 0 ] && [ ! -d /run/sshd ]; then
		mkdir -p /run/sshd && chmod 755 /run/sshd
	fi
	ssh-keygen -q -t ed25519 -N '' -C opsdeck-test-host -f "$sshd__dir/host_ed25519" || return 1
	ssh-keygen -q -t ed25519 -N '' -C opsdeck-test-user -f "$sshd__dir/user_ed25519" || return 1
	cat "$sshd__dir/user_ed25519.pub" >"$sshd__dir/authorized_keys"
	SSHD_USER=$(id -un)
	SSHD_KEY=$sshd__dir/user_ed25519
	SSHD_PORT=$(sshd_free_port)
	SSHD_HOSTKEY_PUB=$sshd__dir/host_ed25519.pub
	SSHD_KNOWN_HOSTS=$sshd__dir/known_hosts
	printf '[%s]:%s %s\n' "$SSHD_ADDR" "$SSHD_PORT" "$(cut -d' ' -f1,2 "$SSHD_HOSTKEY_PUB")" \
		>"$SSHD_KNOWN_HOSTS"
	sshd__write_config
	tap_on_exit "sshd_use ${sshd__name:-default}; sshd_stop"
	sshd__run
}

sshd_stop() {
	[ -n "${SSHD_PID:-}" ] || return 0
	# Its per-connection processes (children, and theirs) outlive the
	# listener: they go too, so that clients see the server gone.
	sshd__conns=$(pgrep -P "$SSHD_PID")
	for sshd__p in $sshd__conns; do
		sshd__conns="$sshd__conns $(pgrep -P "$sshd__p")"
	done
	kill "$SSHD_PID" $sshd__conns 2>/dev/null
	wait_for "! tap_running $SSHD_PID" 30 || kill -9 "$SSHD_PID" 2>/dev/null
	wait "$SSHD_PID" 2>/dev/null
	for sshd__p in $sshd__conns; do
		wait_for "! tap_running $sshd__p" 30 || kill -9 "$sshd__p" 2>/dev/null
	done
	SSHD_PID=
	:
}

sshd_restart() {
	sshd__run
}

sshd_new_hostkey() {
	rm -f "$sshd__dir/host_ed25519" "$sshd__dir/host_ed25519.pub"
	ssh-keygen -q -t ed25519 -N '' -C opsdeck-test-host2 -f "$sshd__dir/host_ed25519"
}

sshd_encrypted_key() {
	ssh-keygen -q -t ed25519 -N "$2" -C opsdeck-test-encrypted -f "$1" || return 1
	cat "$1.pub" >>"$sshd__dir/authorized_keys"
}

sshd_agent_start() {
	eval "$(ssh-agent -s -a "$sshd__dir/agent.sock")" >/dev/null || return 1
	sshd__agent_pid=$SSH_AGENT_PID
	export SSH_AUTH_SOCK
	tap_on_exit "kill $sshd__agent_pid 2>/dev/null"
	ssh-add -q "$1" 2>/dev/null
}

sshd_start_pair() {
	sshd__outer=$1
	sshd__inner=$2
	shift 2
	sshd_use default
	sshd_start "$sshd__outer" "$@" || return 1
	sshd_use inner
	SSHD_ADDR=127.0.0.2
	sshd_start "$sshd__inner" || { sshd_use default; return 1; }
	SSHD_INNER_PORT=$SSHD_PORT
	SSHD_INNER_KEY=$SSHD_KEY
	SSHD_INNER_KNOWN_HOSTS=$SSHD_KNOWN_HOSTS
	SSHD_INNER_HOSTKEY_PUB=$SSHD_HOSTKEY_PUB
	sshd_use default
}

sshd_profile() {
	if [ "$1" = -i ]; then
		sshd__was=${sshd__name:-default}
		sshd_use "$2"
		shift 2
		sshd_profile "$@"
		sshd_use "$sshd__was"
		return
	fi
	printf '  - name: %s\n    host: %s\n    port: %s\n    user: %s\n' \
		"$1" "$SSHD_ADDR" "$SSHD_PORT" "$SSHD_USER"
	printf '    identity_file: %s\n    known_hosts: %s\n    agent: false\n' \
		"$SSHD_KEY" "$SSHD_KNOWN_HOSTS"
	shift
	for sshd__s in "$@"; do
		printf '    %s\n' "$sshd__s"
	done
}
