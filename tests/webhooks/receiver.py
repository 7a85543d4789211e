#!/usr/bin/env python3
"""A partner's webhook receiver for the end-to-end tests (issue 36).

Listens on 127.0.0.1 only. Verifies every delivery's signature with the reference library of
Standard Webhooks (`pip install standardwebhooks`), then records it, one JSON line per request, in
the file given with --record: the `webhook-id`, whether the signature verified (and with which of
the secrets it holds), and the delivery's type, ticket and event.

Behaviour, set at start (--mode) or by `POST /_control` with a JSON body:
  {"secrets": ["whsec_…", …]}   the secrets a signature may verify with (any of them)
  {"mode": "ok"}                 answer 204 to a verified delivery, 401 to one that is not
  {"mode": "fail"}               answer 500 (after recording), as a broken receiver does
  {"mode": "slow", "delay": 3}   record, then wait `delay` seconds before answering
A receiver that is down is this process stopped: the tests kill it and start it again on the
same port.
"""

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

state = {"secrets": [], "mode": "ok", "delay": 0.0}
lock = threading.Lock()
record_file = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # quiet: the record file says what happened
        pass

    def answer(self, status, body=b""):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        if body:
            self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if self.path == "/_control":
            change = json.loads(body or b"{}")
            with lock:
                state.update(change)
            return self.answer(204)
        with lock:
            secrets = list(state["secrets"])
            mode = state["mode"]
            delay = float(state["delay"])
        headers = {
            "webhook-id": self.headers.get("webhook-id", ""),
            "webhook-timestamp": self.headers.get("webhook-timestamp", ""),
            "webhook-signature": self.headers.get("webhook-signature", ""),
        }
        verified_with = None
        for index, secret in enumerate(secrets):
            try:
                Webhook(secret).verify(body, headers)
                verified_with = index
                break
            except WebhookVerificationError:
                continue
        try:
            payload = json.loads(body)
        except ValueError:
            payload = {}
        data = payload.get("data", {}) if isinstance(payload, dict) else {}
        event = data.get("event", {}) if isinstance(data, dict) else {}
        entry = {
            "id": headers["webhook-id"],
            "signatures": len(headers["webhook-signature"].split()),
            "verified": verified_with is not None,
            "verified_with": verified_with,
            "path": self.path,
            "type": payload.get("type") if isinstance(payload, dict) else None,
            "ticket_id": data.get("ticket_id"),
            "action_required": data.get("action_required"),
            "event_id": event.get("id"),
            "seq": event.get("seq"),
            "visibility": event.get("visibility"),
            "mode": mode,
        }
        # Recorded as soon as received: a slow receiver has the delivery while it takes its time.
        with lock:
            record_file.write(json.dumps(entry) + "\n")
            record_file.flush()
        if mode == "slow":
            time.sleep(delay)
        if mode == "fail":
            return self.answer(500, b"receiver failing on purpose")
        if verified_with is None:
            return self.answer(401, b"signature not verified")
        return self.answer(204)


def main():
    global record_file
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--record", required=True)
    parser.add_argument("--secret", action="append", default=[])
    parser.add_argument("--mode", default="ok")
    args = parser.parse_args()
    state["secrets"] = args.secret
    state["mode"] = args.mode
    record_file = open(args.record, "a", encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    # The port, for the test to read; then serve until killed.
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
