#!/usr/bin/python3
"""A real HTTP server for the vulnerability download tests (src/vulns/fetch_test.cpp), on
127.0.0.1:PORT, serving the files of ROOT. Every request is appended as one JSON line to LOG:
{"path", "query", "status", "if_none_match", "if_modified_since", "api_key"}.
  /files/NAME            ROOT/NAME with an ETag (its SHA-1) and Last-Modified; 304 when
                         If-None-Match carries that ETag
  /gzip/NAME             ROOT/NAME sent with Content-Encoding: gzip
  /redirect/NAME         302 to /files/NAME
  /limited/N/NAME        429 with "Retry-After: 1" for the first N requests, then /files/NAME
  /busy/N/NAME           503 without Retry-After for the first N requests, then /files/NAME
  /status/CODE           always CODE
  /slow/SECONDS          200 after SECONDS seconds
  .../rest/json/cves/2.0 the NVD API: ROOT/nvd-page-<startIndex>.json (404 when missing)
Prints "ready" once it accepts connections; stops on SIGTERM.
Usage: vuln_feed_server.py PORT ROOT LOG
"""
import email.utils
import gzip
import hashlib
import json
import os
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, ROOT, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3]
counts = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, status, body=b"", headers=()):
        parsed = urllib.parse.urlsplit(self.path)
        with lock, open(LOG, "a") as log:
            log.write(json.dumps({
                "path": parsed.path, "query": parsed.query, "status": status,
                "if_none_match": self.headers.get("If-None-Match"),
                "if_modified_since": self.headers.get("If-Modified-Since"),
                "api_key": self.headers.get("apiKey")}) + "\n")
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def serve_file(self, name, encode=False):
        path = os.path.join(ROOT, name)
        if not os.path.isfile(path):
            return self.answer(404, b"not found")
        with open(path, "rb") as f:
            body = f.read()
        etag = '"%s"' % hashlib.sha1(body).hexdigest()
        modified = email.utils.formatdate(os.path.getmtime(path), usegmt=True)
        if self.headers.get("If-None-Match") == etag:
            return self.answer(304, b"", [("ETag", etag)])
        headers = [("ETag", etag), ("Last-Modified", modified)]
        if encode:
            body = gzip.compress(body)
            headers.append(("Content-Encoding", "gzip"))
        self.answer(200, body, headers)

    def do_GET(self):
        parsed = urllib.parse.urlsplit(self.path)
        parts = parsed.path.strip("/").split("/")
        with lock:
            counts[parsed.path] = counts.get(parsed.path, 0) + 1
            seen = counts[parsed.path]
        if parsed.path.endswith("/rest/json/cves/2.0"):
            query = urllib.parse.parse_qs(parsed.query)
            return self.serve_file("nvd-page-%s.json" % query.get("startIndex", ["0"])[0])
        if parts[0] == "files":
            return self.serve_file(parts[1])
        if parts[0] == "gzip":
            return self.serve_file(parts[1], encode=True)
        if parts[0] == "redirect":
            return self.answer(302, b"", [("Location", "/files/" + parts[1])])
        if parts[0] == "limited" and seen <= int(parts[1]):
            return self.answer(429, b"slow down", [("Retry-After", "1")])
        if parts[0] == "busy" and seen <= int(parts[1]):
            return self.answer(503, b"busy")
        if parts[0] in ("limited", "busy"):
            return self.serve_file(parts[2])
        if parts[0] == "slow":
            time.sleep(float(parts[1]))
            return self.answer(200, b"late")
        if parts[0] == "status":
            return self.answer(int(parts[1]), b"status")
        self.answer(404, b"not found")

    def log_message(self, *args):
        pass


def main():
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
