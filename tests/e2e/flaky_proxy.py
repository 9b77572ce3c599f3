#!/usr/bin/env python3
"""A proxy in front of a real registry that answers the first N requests with
503 and Retry-After, then forwards everything. With "refuse-monolithic" it also
answers 416 to every blob upload sent whole (a PUT with a body), as registries
that take only chunked uploads do. With "refuse-artifacts" it answers 400
MANIFEST_INVALID to every manifest that has an artifactType, as registries older
than OCI 1.1 do. It logs one line per request:
"<unix time> <status> <method> <path>".
Usage: flaky_proxy.py LISTEN_PORT REGISTRY_PORT FAILURES RETRY_AFTER_SECONDS LOG [MODE]
"""
import http.client, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

listen, upstream, failures, retry_after, log_path = sys.argv[1:6]
mode = sys.argv[6] if len(sys.argv) > 6 else ""
refuse_monolithic = mode == "refuse-monolithic"
refuse_artifacts = mode == "refuse-artifacts"
remaining = [int(failures)]
lock = threading.Lock()
log = open(log_path, "a", buffering=1)


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with lock:
            fail = remaining[0] > 0
            if fail:
                remaining[0] -= 1
        if fail:
            log.write(f"{time.time():.3f} 503 {self.command} {self.path}\n")
            self.send_response(503)
            self.send_header("Retry-After", retry_after)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if refuse_monolithic and self.command == "PUT" and "/blobs/uploads/" in self.path and body:
            log.write(f"{time.time():.3f} 416 {self.command} {self.path}\n")
            self.send_response(416)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if refuse_artifacts and self.command == "PUT" and "/manifests/" in self.path \
                and b'"artifactType"' in body:
            error = b'{"errors":[{"code":"MANIFEST_INVALID","message":"manifest invalid"}]}'
            log.write(f"{time.time():.3f} 400 {self.command} {self.path}\n")
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(error)))
            self.end_headers()
            self.wfile.write(error)
            return
        conn = http.client.HTTPConnection("127.0.0.1", int(upstream))
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        headers["Host"] = self.headers.get("Host", "")
        conn.request(self.command, self.path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        log.write(f"{time.time():.3f} {response.status} {self.command} {self.path}\n")
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any


ThreadingHTTPServer(("127.0.0.1", int(listen)), Proxy).serve_forever()
