#!/usr/bin/env python3
"""A minimal Docker registry token server for rcd's tests.

GET /token?service=S&scope=repository:NAME:pull,push with Basic credentials returns an RS256
JWT signed by the key of a self-signed certificate, as CNCF distribution's token auth expects.
Usage: token_server.py PORT KEY.pem CERT.pem ISSUER USER PASSWORD [READER PASSWORD]
READER, when given, may only pull: its tokens grant no other action.
"""
import base64, json, sys, time, uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlparse, parse_qs

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

port, key_file, cert_file, issuer, user, password = sys.argv[1:7]
reader = tuple(sys.argv[7:9]) if len(sys.argv) >= 9 else None
key = open(key_file, "rb").read()
cert = x509.load_pem_x509_certificate(open(cert_file, "rb").read())
x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urlparse(self.path)
        if url.path != "/token":
            self.send_response(404)
            self.end_headers()
            return
        auth = self.headers.get("Authorization", "")
        basic = lambda u, p: "Basic " + base64.b64encode(f"{u}:{p}".encode()).decode()
        pull_only = reader is not None and auth == basic(*reader)
        if auth != basic(user, password) and not pull_only:
            self.send_response(401)
            self.end_headers()
            return
        query = parse_qs(url.query)
        access = []
        for scope in query.get("scope", []):
            kind, name, actions = scope.split(":")
            granted = [a for a in actions.split(",") if not pull_only or a == "pull"]
            access.append({"type": kind, "name": name, "actions": granted})
        now = int(time.time())
        claims = {"iss": issuer, "sub": reader[0] if pull_only else user, "aud": query.get("service", [""])[0],
                  "exp": now + 300, "nbf": now - 10, "iat": now, "jti": str(uuid.uuid4()),
                  "access": access}
        token = jwt.encode(claims, key, algorithm="RS256", headers={"x5c": [x5c]})
        body = json.dumps({"token": token, "access_token": token, "expires_in": 300}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


HTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()
