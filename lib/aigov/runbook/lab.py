"""``aigov lab``: JupyterLab on 127.0.0.1 with the emulator, on the onboarding notebook.

Each session opens a fresh copy of ``notebooks/onboarding.ipynb`` under
``outputs/onboarding/<UTC timestamp>/``: what the team tried is saved there as a record,
and the committed notebook stays without outputs. The kernel gets the emulator's
environment (``Emulator.environment()``: endpoint and dummy credentials) and
``AIGOV_ROOT``, so the spec resolves from the repository wherever the copy lives.

When lab points at an emulator (its own, or a loopback endpoint), the kernels get the
emulator's dummy credentials only: every ``AWS_*`` variable of the shell (keys, session
tokens, ``AWS_PROFILE``, credential files, container and web-identity settings) is
removed and the shared credential and config files point at ``/dev/null``, so no cell
can reach, print or record a real credential.

SIGTERM and SIGHUP end a session as Ctrl-C does: JupyterLab and the emulator are
stopped, the token file is removed, and the session's folder is passed through the run
records' redactor (runbook/redact.py), so a copy saved under ``outputs/onboarding/``
holds no secret and no file that cannot be checked.

Token authentication stays on: the token is random per session and printed only to
this terminal. JupyterLab reads it from a private temporary file named by
``JUPYTER_TOKEN_FILE``, removed when the session ends: not the command line (``ps``
shows it) and not ``JUPYTER_TOKEN``, which every kernel would inherit, so a cell that
prints its environment cannot put the token into the session's record. There is no
option to turn it off; tests log in with the printed URL.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from aigov.errors import UsageError
from aigov.paths import outputs_dir, repo_root
from aigov.target.emulator import EMULATOR_ENV, HOST, free_port
from aigov.target.endpoints import is_loopback

NOTEBOOK = Path("notebooks") / "onboarding.ipynb"


@dataclass(frozen=True)
class LabLaunch:
    """How JupyterLab is started: its command line, environment and URL (with token)."""

    argv: list[str]
    env: dict[str, str]
    root_dir: Path
    notebook: Path
    port: int
    token: str

    @property
    def url(self) -> str:
        rel = self.notebook.relative_to(self.root_dir).as_posix()
        return f"http://{HOST}:{self.port}/lab/tree/{rel}?token={self.token}"


def session_copy(now: float | None = None) -> Path:
    """Copy the onboarding notebook into a new folder under ``outputs/onboarding/``."""
    src = repo_root() / NOTEBOOK
    if not src.is_file():
        raise UsageError(f"{src} is missing", fix="run aigov lab from the aigov repository")
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    folder = outputs_dir() / "onboarding" / stamp
    n = 1
    while folder.exists():
        n += 1
        folder = outputs_dir() / "onboarding" / f"{stamp}-{n}"
    folder.mkdir(parents=True)
    return Path(shutil.copy2(src, folder / src.name))


def lab_launch(notebook: Path, port: int, endpoint_env: dict[str, str], token: str,
               token_file: Path, open_browser: bool) -> LabLaunch:
    """JupyterLab's command line and environment for a session (no process started).

    The server's root is the repository when the copy lives under it (the team can
    open the policies and the other notebooks), else the copy's folder.
    """
    if not token:
        raise UsageError("JupyterLab needs a token", fix="aigov lab always generates one")
    root = repo_root()
    root_dir = root if notebook.resolve().is_relative_to(root) else notebook.parent
    env = {k: v for k, v in os.environ.items() if k not in ("JUPYTER_TOKEN", "JUPYTER_PASSWORD")}
    if is_loopback(endpoint_env.get("AWS_ENDPOINT_URL", "")):
        env = emulator_only(env)
    env.update(endpoint_env, AIGOV_ROOT=str(root), JUPYTER_TOKEN_FILE=str(token_file))
    argv = [sys.executable, "-m", "jupyterlab", f"--ServerApp.ip={HOST}",
            f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={root_dir}",
            f"--ServerApp.open_browser={open_browser}",
            str(notebook.resolve().relative_to(root_dir))]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.insert(-1, "--allow-root")  # containers often run as root; JupyterLab refuses
    return LabLaunch(argv, env, root_dir, notebook.resolve(), port, token)


def emulator_only(env: dict[str, str]) -> dict[str, str]:
    """``env`` without any AWS setting, with the emulator's dummy credentials: what a
    kernel gets when lab points at the emulator."""
    out = {k: v for k, v in env.items() if not k.startswith("AWS_")}
    out.update(EMULATOR_ENV, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
               AWS_CONFIG_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true",
               AWS_DEFAULT_REGION=env.get("AWS_DEFAULT_REGION", "us-east-1"))
    return out


class Stopped(Exception):
    """SIGTERM or SIGHUP arrived: end the session as Ctrl-C does."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.exit_code = 128 + signum


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP raise ``Stopped`` while inside, so a session's cleanup runs."""
    def handler(signum: int, _frame: object) -> None:
        raise Stopped(signum)

    saved = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, old in saved.items():
            signal.signal(sig, old)


@dataclass
class LabSession:
    """An ``aigov lab`` session: where its AWS calls go and how JupyterLab is launched;
    ``run()`` starts JupyterLab and waits for it (the caller announces the URL first)."""

    where: str
    launch: LabLaunch
    process: subprocess.Popen | None = None

    def run(self) -> int:
        self.process = subprocess.Popen(self.launch.argv, env=self.launch.env,
                                        cwd=self.launch.root_dir)
        return self.process.wait()


@contextmanager
def lab_session(port: int | None = None, endpoint_url: str | None = None,
                open_browser: bool = True) -> Iterator[LabSession]:
    """Start the emulator (unless ``endpoint_url`` or ``$AWS_ENDPOINT_URL`` is given),
    and prepare JupyterLab; on leaving, stop both (JupyterLab terminated, killed after 30 s),
    remove the token file and pass the session's folder through the redactor."""
    from aigov.target.emulator import Emulator

    endpoint = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
    emu = None
    session = None
    notebook = None
    fd, token_path = tempfile.mkstemp(prefix="aigov-lab-token-")  # mode 0600
    token = secrets.token_urlsafe(24)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(token)
        if endpoint:
            env = {"AWS_ENDPOINT_URL": endpoint}
        else:
            emu = Emulator()
            env = emu.environment()
        notebook = session_copy()
        launch = lab_launch(notebook, port or free_port(), env, token,
                            Path(token_path), open_browser)
        where = f"emulator on {emu.url}" if emu else f"endpoint {endpoint}"
        session = LabSession(where, launch)
        yield session
    finally:
        proc = session.process if session is not None else None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        Path(token_path).unlink(missing_ok=True)
        if emu is not None:
            emu.stop()
        if notebook is not None:
            _redact_session(notebook.parent)


def _redact_session(folder: Path) -> None:
    """The session's copy (and JupyterLab's checkpoints) through the records' redactor;
    what cannot be checked is removed."""
    from aigov.runbook.redact import Redactor, scrub_tree

    for r in scrub_tree(folder, Redactor.from_environment(resolve=True)):
        print(f"aigov lab: removed {folder / r.file}: {r.reason}", file=sys.stderr)
