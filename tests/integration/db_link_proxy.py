#!/usr/bin/env python3
"""A TCP proxy that can go silent, as a dead tunnel does.

    db_link_proxy.py TARGET_PORT PORT_FILE

Listens on 127.0.0.1 (a free port, written to PORT_FILE once listening)
and forwards each connection to 127.0.0.1:TARGET_PORT. SIGUSR1: stop
forwarding, in both directions, without closing anything (new connections
are accepted and left hanging too). SIGUSR2: forward again.
"""
import select
import signal
import socket
import sys

silent = False


def set_silent(value):
    def handler(signo, frame):
        global silent
        silent = value
    return handler


def main():
    target = int(sys.argv[1])
    signal.signal(signal.SIGUSR1, set_silent(True))
    signal.signal(signal.SIGUSR2, set_silent(False))
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    with open(sys.argv[2] + ".tmp", "w") as f:
        f.write("%d\n" % lsock.getsockname()[1])
    import os
    os.rename(sys.argv[2] + ".tmp", sys.argv[2])
    peer = {}
    while True:
        watched = [lsock] + ([] if silent else list(peer))
        try:
            ready, _, _ = select.select(watched, [], [], 0.1)
        except InterruptedError:
            continue
        for s in ready:
            if s is lsock:
                client, _ = lsock.accept()
                try:
                    server = socket.create_connection(("127.0.0.1", target))
                except OSError:
                    client.close()
                    continue
                peer[client] = server
                peer[server] = client
                continue
            if s not in peer:
                continue
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            other = peer[s]
            if data:
                try:
                    other.sendall(data)
                    continue
                except OSError:
                    pass
            for x in (s, other):
                peer.pop(x, None)
                x.close()


if __name__ == "__main__":
    main()
