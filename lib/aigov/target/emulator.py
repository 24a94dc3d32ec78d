"""The embedded AWS emulator: moto's threaded server on a free loopback port, strict.

Strict: before it starts, ``aigov.target.strict.install()`` adds the AWS Organizations
rules moto skips (last SCP, attachment and size quotas, OU depth and sibling names,
malformed documents, disabled policy types, botocore's lengths and patterns), answering
with AWS's exception names and reason codes.

moto's own default is to listen on every interface; this binds 127.0.0.1 only. boto3
and the Pulumi AWS provider both reach it over real HTTP.
"""

from __future__ import annotations

import socket
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aigov.errors import TargetError

HOST = "127.0.0.1"
# Before snapshots, a state folder held moto's recording of every request, replayed
# under this seed; such a folder is converted once (``Emulator._migrate``).
LEGACY_RECORDING = "moto-recording.jsonl"
LEGACY_SEED = 20241101
# The emulator's fixed dummy key, said once (moto accepts any key): boto3 sessions take the first form, a
# process environment (a shell, JupyterLab, the Pulumi CLI) the second.
EMULATOR_KEY = "testing"
EMULATOR_CREDENTIALS = {"aws_access_key_id": EMULATOR_KEY, "aws_secret_access_key": EMULATOR_KEY}
EMULATOR_ENV = {"AWS_ACCESS_KEY_ID": EMULATOR_KEY, "AWS_SECRET_ACCESS_KEY": EMULATOR_KEY}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Emulator:
    """A running moto server. ``url`` is its endpoint; ``stop()`` ends it."""

    def __init__(self, port: int | None = None, state_dir: Path | None = None) -> None:
        import logging

        from aigov.target.moto_types import install as install_types
        from aigov.target.strict import install as install_strict

        install_types()  # BEDROCK_POLICY, BACKUP_POLICY (aigov.target.moto_types)
        install_strict()  # AWS's rules that moto skips (aigov.target.strict)
        # werkzeug logs every request at INFO; a run record wants none of that noise.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.state_dir = state_dir
        self.loaded = 0  # writes applied from the state file at start
        if state_dir is not None:
            # Load before binding: the port opens only once the organization is whole,
            # so an early client never sees it half-built. moto's backends are process
            # globals, so the state is loaded straight into them (target/state.py).
            self._reset_backends()
            self._restore(state_dir)
        self._server = self._start(self.port).server
        if state_dir is None:
            # moto keeps its backends in module globals: a second server in the same
            # process would see the first one's organization. Every emulator starts empty.
            self.reset()

    class _Started:
        def __init__(self, server: object, url: str) -> None:
            self.server, self.url = server, url

    def _start(self, port: int) -> Emulator._Started:
        from moto.server import ThreadedMotoServer

        url = f"http://{HOST}:{port}"
        try:
            server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
            server.start()
        except OSError as exc:
            raise TargetError(f"cannot start the emulator on {url}: {exc}",
                              fix="choose another --port, or stop what listens there") from exc
        self._wait_ready(url)
        return Emulator._Started(server, url)

    def _post(self, path: str, url: str | None = None) -> None:
        req = urllib.request.Request(f"{url or self.url}/moto-api/{path}", method="POST",
                                     data=b"")
        urllib.request.urlopen(req, timeout=120).close()

    @staticmethod
    def _reset_backends() -> None:
        from moto.moto_api._internal.models import moto_api_backend

        moto_api_backend.reset()

    def _restore(self, state_dir: Path) -> None:
        """Load the saved organization, compact it if it had writes after its snapshot,
        then keep every write this session serves (``aigov.target.state``). The journal
        is process-wide, so one process keeps at most one emulator with state."""
        from aigov.target import state

        state_dir.mkdir(parents=True, exist_ok=True)
        path = state_dir / state.STATE_FILE
        legacy = state_dir / LEGACY_RECORDING
        if not path.is_file() and legacy.is_file():
            self._migrate(legacy)
            state.compact(path)
            legacy.unlink()
            self._reset_backends()  # and load the snapshot like any other
        state.install()
        if path.is_file():
            self.loaded = state.load(path)
            state.compact(path)  # a no-op unless writes followed the snapshot (a kill)
        state.start_journal(path)

    def _migrate(self, legacy: Path) -> None:
        """A state folder from before snapshots: replay moto's request recording once
        (under the seed it was made with) on a private port; the caller compacts it."""
        from moto.moto_api import recorder

        private = self._start(free_port())
        try:
            recorder.stop_recording()
            recorder._location = str(legacy)  # moto reads it from the env only at import
            self._post(f"seed?a={LEGACY_SEED}", private.url)
            recorder.replay_recording(target_host=private.url)
        finally:
            private.server.stop()

    @staticmethod
    def _wait_ready(url: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise TargetError(f"the emulator did not answer on {url} within {timeout:.0f}s")

    def reset(self) -> None:
        """Forget every emulated resource (moto's reset API)."""
        self._post("reset")

    def stop(self) -> None:
        self._server.stop()
        if self.state_dir is not None:
            from aigov.target import state

            journal = state.stop_journal()
            if journal is not None and journal.count:
                state.compact(journal.path)

    def environment(self) -> dict[str, str]:
        """What a shell or JupyterLab needs to reach this emulator (no real secrets)."""
        return {"AWS_ENDPOINT_URL": self.url, **EMULATOR_ENV, "AWS_DEFAULT_REGION": "us-east-1"}


@contextmanager
def running_emulator(port: int | None = None,
                     state_dir: Path | None = None) -> Iterator[Emulator]:
    emu = Emulator(port, state_dir)
    try:
        yield emu
    finally:
        emu.stop()
