#!/usr/bin/env python3
"""A small SOCKS5 or HTTP proxy for tests, that says what it was asked.

    kube_proxy.py socks5|http PORT_FILE LOG [options]

Listens on 127.0.0.1 (a free port, written to PORT_FILE once listening).
Each request goes to LOG as one line, as it arrived:
    socks5: "CONNECT NAME PORT" (NAME as sent: a domain name, or an IP
            address in brackets when the client sent an address) and
            "AUTH ok" / "AUTH wrong" for a user name and password
    http:   the request line ("CONNECT host:port HTTP/1.1", or "GET
            http://host:port/path HTTP/1.1" in absolute form) and
            "AUTH ok" / "AUTH wrong" / "AUTH none"
Options:
    --map NAME=IP   connect to IP for NAME (other names: the system's lookup)
    --auth U:P      require this user name and password
    --deny          http: answer every request with 403
    --close         http: close the connection after reading the request,
                    without an answer
    --tls CERT KEY  http: speak TLS to the client (an https:// proxy)
"""
import base64
import os
import select
import socket
import socketserver
import ssl
import struct
import sys
import threading

opts = {"map": {}, "auth": None, "deny": False, "close": False, "tls": None}
log_lock = threading.Lock()


def log(line):
    with log_lock:
        with open(opts["log"], "a") as f:
            f.write(line + "\n")


def open_target(host, port):
    host = opts["map"].get(host, host)
    return socket.create_connection((host, port), timeout=10)


def relay(a, b):
    a.settimeout(None)
    b.settimeout(None)
    socks = [a, b]
    try:
        while True:
            ready, _, _ = select.select(socks, [], [], 60)
            if not ready:
                return
            for s in ready:
                # a TLS client side may hold decrypted bytes select cannot see
                data = s.recv(65536)
                if not data:
                    return
                (b if s is a else a).sendall(data)
                while isinstance(s, ssl.SSLSocket) and s.pending():
                    (b if s is a else a).sendall(s.recv(s.pending()))
    except OSError:
        return


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise ConnectionError("short read")
        data += chunk
    return data


class Socks5(socketserver.BaseRequestHandler):
    def handle(self):
        c = self.request
        ver, n = recv_exact(c, 2)
        methods = recv_exact(c, n)
        if ver != 5:
            return
        want = 2 if opts["auth"] else 0
        if want not in methods:
            c.sendall(b"\x05\xff")
            return
        c.sendall(bytes([5, want]))
        if want == 2:
            _, ulen = recv_exact(c, 2)
            user = recv_exact(c, ulen).decode()
            (plen,) = recv_exact(c, 1)
            password = recv_exact(c, plen).decode()
            good = "%s:%s" % (user, password) == opts["auth"]
            log("AUTH " + ("ok" if good else "wrong"))
            c.sendall(b"\x01\x00" if good else b"\x01\x01")
            if not good:
                return
        _, cmd, _, atyp = recv_exact(c, 4)
        if atyp == 3:
            (n,) = recv_exact(c, 1)
            host = recv_exact(c, n).decode()
            shown = host
        elif atyp == 1:
            host = socket.inet_ntop(socket.AF_INET, recv_exact(c, 4))
            shown = "[%s]" % host
        elif atyp == 4:
            host = socket.inet_ntop(socket.AF_INET6, recv_exact(c, 16))
            shown = "[%s]" % host
        else:
            return
        (port,) = struct.unpack(">H", recv_exact(c, 2))
        log("CONNECT %s %d" % (shown, port))
        if cmd != 1:
            c.sendall(b"\x05\x07\x00\x01" + bytes(6))
            return
        try:
            t = open_target(host, port)
        except ConnectionRefusedError:
            c.sendall(b"\x05\x05\x00\x01" + bytes(6))
            return
        except OSError:
            c.sendall(b"\x05\x04\x00\x01" + bytes(6))
            return
        c.sendall(b"\x05\x00\x00\x01" + bytes(6))
        with t:
            relay(c, t)


class Http(socketserver.BaseRequestHandler):
    def handle(self):
        c = self.request
        if opts["tls"]:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*opts["tls"])
            try:
                c = ctx.wrap_socket(c, server_side=True)
            except (ssl.SSLError, OSError):
                log("TLS handshake failed")
                return
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = c.recv(4096)
            if not chunk:
                return
            head += chunk
        head, rest = head.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        log(lines[0])
        method, target, _ = lines[0].split(" ", 2)
        auth = "none"
        for h in lines[1:]:
            name, _, value = h.partition(":")
            if name.strip().lower() == "proxy-authorization":
                scheme, _, cred = value.strip().partition(" ")
                good = scheme.lower() == "basic" and opts["auth"] and \
                    base64.b64decode(cred).decode() == opts["auth"]
                auth = "ok" if good else "wrong"
        if opts["auth"]:
            log("AUTH " + auth)
        if opts["close"]:
            return
        if opts["deny"]:
            c.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        if opts["auth"] and auth != "ok":
            c.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                      b"Proxy-Authenticate: Basic realm=\"test\"\r\n"
                      b"Content-Length: 0\r\nConnection: close\r\n\r\n")
            return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            try:
                t = open_target(host.strip("[]"), int(port))
            except OSError:
                c.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                return
            c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            with t:
                if rest:
                    t.sendall(rest)
                relay(c, t)
            return
        # absolute form: the origin gets the path; one connection per client
        if not target.startswith("http://"):
            c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return
        hostport, _, path = target[len("http://"):].partition("/")
        host, _, port = hostport.rpartition(":")
        if not host:
            host, port = hostport, "80"
        try:
            t = open_target(host, int(port))
        except OSError:
            c.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        kept = [h for h in lines[1:] if not h.lower().startswith("proxy-")]
        req = "\r\n".join(["%s /%s HTTP/1.1" % (method, path)] + kept) + "\r\n\r\n"
        with t:
            t.sendall(req.encode("latin-1") + rest)
            relay(c, t)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    kind, port_file, opts["log"] = sys.argv[1:4]
    args = sys.argv[4:]
    while args:
        a = args.pop(0)
        if a == "--map":
            name, _, ip = args.pop(0).partition("=")
            opts["map"][name] = ip
        elif a == "--auth":
            opts["auth"] = args.pop(0)
        elif a == "--deny":
            opts["deny"] = True
        elif a == "--close":
            opts["close"] = True
        elif a == "--tls":
            opts["tls"] = (args.pop(0), args.pop(0))
        else:
            sys.exit("kube_proxy.py: unknown option " + a)
    open(opts["log"], "a").close()
    srv = Server(("127.0.0.1", 0), Socks5 if kind == "socks5" else Http)
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(port_file + ".tmp", port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
