"""Kernels for ``aigov run``: the next notebook's kernel starts while this one runs.

A kernel takes about a second to start and its notebook's imports (pandas, boto3, the
library) about as long again; run one after the other, that is most of a starter run's
wall time. So the runner starts notebook N+1's kernel as soon as notebook N starts, and
that kernel imports, while it boots, the modules N+1's code cells import
(``imports_of``, read from the notebook with ``ast``) and then what those modules say
their functions import when called (``DEFERRED_IMPORTS``: pandas for a table,
matplotlib for a picture; the library defers them so that a command that draws nothing
never pays for them): when papermill hands it the first cell, the imports are done.
Each notebook still gets a fresh kernel of its own (nothing leaks from one notebook's
globals to the next): the warm-up names nothing in the user namespace and does not
count as an execution.

A kernel that is never used (the run stopped early, Ctrl-C, SIGTERM) is shut down by
``close``; the runner calls it on every path (docs/contracts/run-records.md).
"""

from __future__ import annotations

import ast
import json
import sys
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

# papermill's client keeps IPython's history in memory (nbclient's ``ipython_hist_file``);
# a kernel started here must too, or every kernel writes the user's history database.
HISTORY_IN_MEMORY = "--HistoryManager.hist_file=:memory:"


def imports_of(notebook: Path) -> list[str]:
    """The modules a notebook's code cells import at top level, in order, once each.

    ``from aigov.runbook.notebook import start`` gives ``aigov.runbook.notebook``; a
    relative import, a magic or a cell that does not parse is skipped (the notebook's
    own cell then imports it, as it would have anyway).
    """
    data = json.loads(notebook.read_text(encoding="utf-8"))
    out: list[str] = []
    for cell in data.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = "".join(cell.get("source", ""))
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                out.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                out.append(node.module)
    return list(dict.fromkeys(out))


# A module's tuple of the modules its functions import when called, that a kernel
# started ahead for a notebook importing it imports too (lint_report: pandas, pyplot).
DEFERRED = "DEFERRED_IMPORTS"


def warm_lines(modules: Sequence[str]) -> list[str]:
    """IPython ``exec_lines`` that import ``modules``, then each one's ``DEFERRED_IMPORTS``,
    and leave no name behind.

    A module that fails to import is left for the notebook's own cell to fail on, with
    the notebook's traceback in the record.
    """
    if not modules:
        return []
    names = json.dumps(list(modules))
    return [f"for _aigov_m in {names}:\n"
            "    try: __import__(_aigov_m)\n"
            "    except Exception: pass\n"
            f"for _aigov_m in [d for m in {names} for d in getattr("
            f"__import__('sys').modules.get(m), '{DEFERRED}', ())]:\n"
            "    try: __import__(_aigov_m)\n"
            "    except Exception: pass\n"
            "del _aigov_m"]


def _exec_lines_args(lines: Sequence[str]) -> list[str]:
    # traitlets appends each occurrence of a list option to the list
    return [f"--IPKernelApp.exec_lines={line}" for line in lines]


ENGINE = "aigov-prestarted"


def _settle_tasks() -> None:
    """After Ctrl-C or SIGTERM cut a notebook short, end the tasks nbclient left on the
    event loop (a cell's execution, the kernel-alive poll), so that stopping the kernel,
    which runs the same loop again, does not wake them into "Task exception was never
    retrieved" tracebacks. The loop is the one jupyter_core's ``run_sync`` drives."""
    import asyncio

    loop = asyncio.get_event_loop()
    tasks = list(asyncio.all_tasks(loop))
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))


def register_engine() -> str:
    """Register (once) the papermill engine that runs a notebook on a given kernel.

    papermill's own nbclient engine leaves a kernel it did not start running and its
    client's channels (a heartbeat thread among them) open; this one closes the client
    after the notebook, and the pool stops the kernel. Engines are papermill's extension
    point (``papermill_engines.register``).
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger

    class PrestartedEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man: Any, kernel_name: str,
                                     log_output: bool = False, stdout_file: Any = None,
                                     stderr_file: Any = None, start_timeout: int = 60,
                                     execution_timeout: int | None = None,
                                     **kwargs: Any) -> Any:
            for unused in ("input_path", "timeout", "startup_timeout"):
                kwargs.pop(unused, None)
            client = PapermillNotebookClient(
                nb_man, timeout=execution_timeout, startup_timeout=start_timeout,
                kernel_name=kernel_name, log=logger, log_output=log_output,
                stdout_file=stdout_file, stderr_file=stderr_file, **kwargs)
            try:
                return client.execute()
            except BaseException:
                _settle_tasks()
                raise
            finally:
                if client.kc is not None:
                    client.kc.stop_channels()
                    client.kc = None

    if ENGINE not in papermill_engines._engines:
        papermill_engines.register(ENGINE, PrestartedEngine)
    return ENGINE


def without_iri_parser() -> None:
    """Keep jsonschema from importing ``rfc3987_syntax`` in the runner.

    jsonschema imports it, when it is installed, for its optional ``iri`` format check,
    and it builds an Earley parser of RFC 3987 at import: 1.5 s of CPU on a quiet machine,
    paid by every run through nbformat's validator. No notebook schema (nbformat/v4/
    *.schema.json) uses the ``iri`` format, so the check would never run; jsonschema
    skips it when the import fails (``with suppress(ImportError)`` in its _format.py).
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


class KernelPool:
    """One kernel per notebook, each started one notebook ahead of its use."""

    def __init__(self, notebooks: Sequence[Path], cwd: Path, extra_arguments: Sequence[str],
                 kernel_name: str = "python3") -> None:
        self._notebooks = list(notebooks)
        self._cwd = cwd
        self._args = [*extra_arguments, HISTORY_IN_MEMORY]
        self._kernel_name = kernel_name
        self._started: dict[int, Any] = {}
        self._stopping: list[Any] = []

    def _start(self, index: int) -> None:
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        if index >= len(self._notebooks) or index in self._started:
            return
        # nbclient drives kernels with asyncio: the async manager is the one it expects
        km = AsyncKernelManager(kernel_name=self._kernel_name)
        # registered before the start, so close() stops a kernel whose start was cut short
        self._started[index] = km
        warm = warm_lines(imports_of(self._notebooks[index]))
        # A kernel that cannot start (no such kernelspec, a broken environment) is not the
        # runner's failure but its notebook's: papermill tries again when the notebook
        # runs, and the error is recorded against that notebook.
        with suppress(Exception):
            run_sync(km.start_kernel)(extra_arguments=[*self._args, *_exec_lines_args(warm)],
                                      cwd=str(self._cwd))

    def prestart(self) -> None:
        """Start the first notebook's kernel now (it boots while the emulator starts)."""
        self._start(0)

    def take(self, index: int) -> Any:
        """The kernel manager for notebook ``index`` (started now if it was not yet);
        the next notebook's kernel starts booting before this returns."""
        self._start(index)
        km = self._started.pop(index)
        self._start(index + 1)
        return km

    def stop(self, km: Any) -> None:
        """Ask a used kernel to shut down and go on; ``close`` reaps it.

        A graceful shutdown takes about a second of waiting for the process to exit;
        the next notebook runs meanwhile.
        """
        from jupyter_core.utils import run_sync

        self._stopping.append(km)
        with suppress(Exception):  # already dead: close() cleans up
            run_sync(km.request_shutdown)()

    def close(self) -> None:
        """Stop every kernel: those asked to stop, and those started ahead and not taken."""
        from jupyter_core.utils import run_sync

        kms = [*self._stopping, *self._started.values()]
        self._stopping.clear()
        self._started.clear()
        for km in kms:
            try:
                if km.has_kernel:
                    run_sync(km.finish_shutdown)(waittime=2.0)
                    if km.has_kernel:
                        run_sync(km.shutdown_kernel)(now=True)
            except Exception:  # noqa: BLE001 - nothing left to stop
                pass
            finally:
                run_sync(km.cleanup_resources)()
