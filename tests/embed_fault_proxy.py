"""Fault injection in front of a real embeddings server, for the backfill tests.

    python embed_fault_proxy.py PORT UPSTREAM DROP_AT

Listens on 127.0.0.1:PORT and forwards every POST .../embeddings to UPSTREAM (the API base,
e.g. http://127.0.0.1:18080/v1) unchanged, except that the answer to the DROP_AT-th request
(1-based) loses its last embedding: a short answer, as a broken gateway might give. Prints
"ready" on stdout once it listens; GET /requests answers the number of requests forwarded.
"""

import json
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, UPSTREAM, DROP_AT = int(sys.argv[1]), sys.argv[2].rstrip("/"), int(sys.argv[3])
lock = threading.Lock()
count = 0


class Proxy(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body, ctype="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.answer(200, str(count).encode(), "text/plain")

    def do_POST(self):
        global count
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with lock:
            count += 1
            n = count
        req = urllib.request.Request(
            UPSTREAM + "/embeddings",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                status, reply = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, reply = e.code, e.read()
        if n == DROP_AT and status == 200:
            answer = json.loads(reply)
            answer["data"] = answer["data"][:-1]
            reply = json.dumps(answer).encode()
        self.answer(status, reply)


server = ThreadingHTTPServer(("127.0.0.1", PORT), Proxy)
print("ready", flush=True)
server.serve_forever()
