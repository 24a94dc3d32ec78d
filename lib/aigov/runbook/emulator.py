"""The embedded AWS emulator: moto's threaded server on a free loopback port.

moto's own default is to listen on every interface; this binds 127.0.0.1 only. boto3
and the Pulumi AWS provider both reach it over real HTTP.
"""

from __future__ import annotations

import socket
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from aigov.errors import TargetError

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Emulator:
    """A running moto server. ``url`` is its endpoint; ``stop()`` ends it."""

    def __init__(self, port: int | None = None) -> None:
        import logging

        from moto.server import ThreadedMotoServer

        # werkzeug logs every request at INFO; a run record wants none of that noise.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}"
        try:
            self._server = ThreadedMotoServer(ip_address=HOST, port=self.port, verbose=False)
            self._server.start()
        except OSError as exc:
            raise TargetError(f"cannot start the emulator on {self.url}: {exc}",
                              fix="choose another --port, or stop what listens there") from exc
        self._wait_ready()

    def _wait_ready(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise TargetError(f"the emulator did not answer on {self.url} within {timeout:.0f}s")

    def reset(self) -> None:
        """Forget every emulated resource (moto's reset API)."""
        req = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        urllib.request.urlopen(req, timeout=5).close()

    def stop(self) -> None:
        self._server.stop()

    def environment(self) -> dict[str, str]:
        """What a shell or JupyterLab needs to reach this emulator (no real secrets)."""
        return {"AWS_ENDPOINT_URL": self.url, "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@contextmanager
def running_emulator(port: int | None = None) -> Iterator[Emulator]:
    emu = Emulator(port)
    try:
        yield emu
    finally:
        emu.stop()
