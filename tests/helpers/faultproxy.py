"""A loopback HTTP proxy in front of moto that misbehaves as a flaky network or a
throttling AWS would, at a seeded rate (the same run fails the same calls).

``drop_rate``: a write (any Organizations call not List*/Describe*/Get*) is forwarded to
moto, which commits it, and then its answer is replaced by a 500: the response was lost.
A request sent again after ``MAX_LOST_IN_A_ROW`` lost answers gets its answer: a flaky
network, not a dead one (botocore gives up after six attempts, and the threads of a
concurrent batch draw in no fixed order, so a seed alone does not keep a run from
losing all six).
``drop_first``: these operations lose their first answer whatever the draw.
``throttle_rate``: any Organizations call (or only those in ``throttle_ops``) is answered ``ThrottlingException`` (HTTP 400)
without reaching moto, as AWS answers when a caller exceeds its request rate.
``hold``: calls of ``hold_ops`` wait that many seconds before reaching moto, so
concurrent calls overlap; ``peak`` holds the most of each operation in flight at once.
``pending_ops``: their answers say ``IN_PROGRESS`` where moto says ``SUCCEEDED`` (AWS
creates an account in the background; moto at once); ``creating_peak`` is the most
account requests in progress at once (answered IN_PROGRESS, not yet polled SUCCEEDED).
``busy_first``: the first N CreateAccount calls are answered ConstraintViolationException
``ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED`` without reaching moto (too many in progress).
"""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

READ_PREFIXES = ("List", "Describe", "Get")
MAX_LOST_IN_A_ROW = 3


class FaultProxy:
    """``url`` is the endpoint to give aigov; ``stop()`` ends the proxy."""

    def __init__(self, upstream: str, *, seed: int = 13, drop_rate: float = 0.0,
                 throttle_rate: float = 0.0, throttle_ops: tuple[str, ...] = (),
                 drop_first: tuple[str, ...] = (), hold: float = 0.0,
                 hold_ops: tuple[str, ...] = (), pending_ops: tuple[str, ...] = (),
                 busy_first: int = 0) -> None:
        self.upstream = upstream.rstrip("/")
        self.random = random.Random(seed)
        self.drop_rate, self.throttle_rate = drop_rate, throttle_rate
        self.throttle_ops = throttle_ops
        self.drop_first = set(drop_first)  # these ops lose their first answer for sure
        self.lock = threading.Lock()
        self.hold, self.hold_ops, self.pending_ops = hold, hold_ops, pending_ops
        self.busy_left = busy_first
        self.busy: list[str] = []
        self.in_flight: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.creating: set[str] = set()
        self.creating_peak = 0
        self.dropped: list[str] = []
        self.lost_in_a_row: dict[bytes, int] = {}  # by request body
        self.throttled: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                return

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                proxy.handle(self, body)

            do_GET = do_POST  # noqa: N815

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _draw(self, rate: float) -> bool:
        with self.lock:
            return self.random.random() < rate

    def _lose(self, body: bytes) -> bool:
        """Whether the answer to this write is lost: drawn at ``drop_rate``, unless the
        same request has lost ``MAX_LOST_IN_A_ROW`` answers in a row."""
        with self.lock:
            lost = self.lost_in_a_row.get(body, 0)
            if lost >= MAX_LOST_IN_A_ROW or self.random.random() >= self.drop_rate:
                return False
            self.lost_in_a_row[body] = lost + 1
            return True

    def handle(self, h: BaseHTTPRequestHandler, body: bytes) -> None:
        target = h.headers.get("X-Amz-Target", "")
        op = target.rpartition(".")[2]
        if (op and self.throttle_rate and (not self.throttle_ops or op in self.throttle_ops)
                and self._draw(self.throttle_rate)):
            self.throttled.append(op)
            self._reply(h, 400, b'{"__type": "ThrottlingException", "message": "Rate exceeded"}',
                        {"Content-Type": "application/x-amz-json-1.1"})
            return
        with self.lock:
            busy = op == "CreateAccount" and self.busy_left > 0
            self.busy_left -= busy
        if busy:
            self.busy.append(op)
            self._reply(h, 400, b'{"__type": "ConstraintViolationException", "Reason": '
                        b'"ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED", "message": "busy"}',
                        {"Content-Type": "application/x-amz-json-1.1"})
            return
        status, headers, answer = self._held(op, h, body)
        if op in self.pending_ops:
            answer = answer.replace(b'"State": "SUCCEEDED"', b'"State": "IN_PROGRESS"')
        self._track_creating(op, answer)
        first = op in self.drop_first
        self.drop_first.discard(op)
        if first or (op and not op.startswith(READ_PREFIXES) and self.drop_rate
                     and self._lose(body)):
            self.dropped.append(op)
            self._reply(h, 500, b'{"__type": "InternalFailure", "message": "lost"}',
                        {"Content-Type": "application/x-amz-json-1.1"})
            return
        with self.lock:
            self.lost_in_a_row.pop(body, None)
        self._reply(h, status, answer, headers)

    def _track_creating(self, op: str, answer: bytes) -> None:
        if op not in ("CreateAccount", "DescribeCreateAccountStatus"):
            return
        try:
            status = json.loads(answer)["CreateAccountStatus"]
        except (ValueError, KeyError):
            return
        with self.lock:
            if status["State"] == "IN_PROGRESS":
                self.creating.add(status["Id"])
            else:
                self.creating.discard(status["Id"])
            self.creating_peak = max(self.creating_peak, len(self.creating))

    def _held(self, op: str, h: BaseHTTPRequestHandler, body: bytes) -> tuple[int, dict, bytes]:
        if op not in self.hold_ops:
            return self._forward(h, body)
        with self.lock:
            self.in_flight[op] = self.in_flight.get(op, 0) + 1
            self.peak[op] = max(self.peak.get(op, 0), self.in_flight[op])
        try:
            time.sleep(self.hold)
            return self._forward(h, body)
        finally:
            with self.lock:
                self.in_flight[op] -= 1

    def _forward(self, h: BaseHTTPRequestHandler, body: bytes) -> tuple[int, dict, bytes]:
        headers = {k: v for k, v in h.headers.items() if k.lower() not in ("host", "content-length")}
        req = urllib.request.Request(self.upstream + h.path, data=body or None, headers=headers,
                                     method=h.command)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()

    @staticmethod
    def _reply(h: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict) -> None:
        h.send_response(status)
        for k, v in headers.items():
            if k.lower() not in ("content-length", "transfer-encoding", "connection", "server",
                                 "date"):
                h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
