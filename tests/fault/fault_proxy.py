#!/usr/bin/env python3
"""A loopback proxy in front of a real registry that injects faults, for rcd's fault suite.

Usage: fault_proxy.py LISTEN_PORT REGISTRY_PORT SEED RATE LOG [MODE]

Each request is, with probability RATE, given one fault chosen at random (seeded):
  reset       the connection closes before any answer (before or after forwarding)
  5xx         500 or 503
  429         429 with Retry-After: 1
  truncate    the status and headers, then half the body, then the connection closes
  trickle     the body a few bytes at a time (bounded: about a second)
  corrupt     a blob's body with one byte changed (GET of a blob only)
  swap        another blob's body instead (GET of a blob only)
Log lines: "<fault or ok> <status> <method> <path>".

MODE "silent": accept connections and never answer. MODE "loris": answer one byte every
5 s, forever. Neither forwards anything.
"""
import http.client, random, socket, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

listen, upstream, seed, rate, log_path = sys.argv[1:6]
mode = sys.argv[6] if len(sys.argv) > 6 else ""
rng = random.Random(int(seed))
rate = float(rate)
lock = threading.Lock()
log = open(log_path, "a", buffering=1)
seen_blobs = []  # bodies of blobs served, for "swap"


def pick(method, path):
    with lock:
        if rng.random() >= rate:
            return "ok"
        faults = ["reset", "5xx", "429", "truncate", "trickle"]
        if method == "GET" and "/blobs/sha256:" in path:
            faults += ["corrupt", "swap"]
        return rng.choice(faults)


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def note(self, fault, status):
        log.write(f"{fault} {status} {self.command} {self.path.split('?')[0]}\n")

    def drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def handle_any(self):
        if mode == "silent":
            time.sleep(3600)
            return
        if mode == "loris":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
            while True:
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(5)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fault = pick(self.command, self.path)
        if fault == "reset" and rng.random() < 0.5:
            self.note("reset-before", 0)
            return self.drop()
        if fault in ("5xx", "429"):
            status = 429 if fault == "429" else rng.choice([500, 503])
            self.note(fault, status)
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", "1")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        conn = http.client.HTTPConnection("127.0.0.1", int(upstream), timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        headers["Host"] = self.headers.get("Host", "")
        conn.request(self.command, self.path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        if fault == "reset":  # forwarded: the registry did it, the client never hears
            self.note("reset-after", response.status)
            return self.drop()
        is_blob = self.command == "GET" and response.status == 200 and "/blobs/sha256:" in self.path
        if is_blob and fault == "corrupt" and data:
            i = rng.randrange(len(data))
            data = data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:]
        elif is_blob and fault == "swap":
            with lock:
                other = [b for b in seen_blobs if b != data]
            if other:
                data = rng.choice(other)
            else:
                fault = "ok"
        elif is_blob:
            with lock:
                if len(seen_blobs) < 16:
                    seen_blobs.append(data)
        self.note(fault, response.status)
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if fault == "truncate" and len(data) > 1:
            self.wfile.write(data[: len(data) // 2])
            return self.drop()
        if fault == "trickle":
            step = max(1, len(data) // 10)
            for at in range(0, len(data), step):
                self.wfile.write(data[at:at + step])
                self.wfile.flush()
                time.sleep(0.1)
            return
        self.wfile.write(data)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", int(listen)), Proxy).serve_forever()
