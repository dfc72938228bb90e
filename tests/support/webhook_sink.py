#!/usr/bin/python3
"""A real HTTP receiver for webhook tests, on 127.0.0.1:PORT. Every POST is appended as one JSON
line to LOG: {"path", "status", "event", "delivery", "signature_ok", "body"}, where signature_ok
says whether X-Muhafiz-Signature is "sha256=" + hex HMAC-SHA256 of the body keyed with SECRET.
The answer depends on the path:
  /status/CODE        always CODE (a query string is ignored)
  /flaky/N/NAME       500 for the first N requests to that path, then 200
  anything else       200 (401 when the signature is wrong)
Prints "ready" once it accepts connections; stops on SIGTERM.
Usage: webhook_sink.py PORT LOG SECRET
"""
import hashlib
import hmac
import json
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, LOG, SECRET = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode()
counts = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        signature_ok = hmac.compare_digest(expected, self.headers.get("X-Muhafiz-Signature", ""))
        parts = self.path.split("?")[0].strip("/").split("/")
        with lock:
            counts[self.path] = counts.get(self.path, 0) + 1
            seen = counts[self.path]
            if parts[0] == "status":
                status = int(parts[1])
            elif parts[0] == "flaky":
                status = 500 if seen <= int(parts[1]) else 200
            else:
                status = 200 if signature_ok else 401
            with open(LOG, "a") as log:
                log.write(json.dumps({
                    "path": self.path, "status": status,
                    "event": self.headers.get("X-Muhafiz-Event"),
                    "delivery": self.headers.get("X-Muhafiz-Delivery"),
                    "content_type": self.headers.get("Content-Type"),
                    "signature_ok": signature_ok, "body": body.decode("utf-8")}) + "\n")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"status %d" % status)

    def log_message(self, *args):
        pass


def main():
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
