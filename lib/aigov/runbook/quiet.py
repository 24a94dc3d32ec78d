"""No traceback after an interrupted run (docs/contracts/faults.md, "Signals")."""

from __future__ import annotations

import logging


class _LeftBehindKernelTask(logging.Filter):
    """Drops asyncio's "Task exception was never retrieved" for nbclient's
    ``DeadKernelError``. Interrupted inside a cell, nbclient leaves that cell's task
    pending; once the kernel is stopped (as it must be) the task ends with that error,
    nobody awaits it, and asyncio logs it with a traceback when it is collected, after
    the run has said "interrupted". A kernel that dies while a cell runs is still
    reported: papermill awaits that task and the run records the failure."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return type(exc).__name__ != "DeadKernelError"


def quiet_left_behind_kernel_tasks() -> None:
    """Install ``_LeftBehindKernelTask`` on the asyncio logger, once per process."""
    logger = logging.getLogger("asyncio")
    if not any(isinstance(f, _LeftBehindKernelTask) for f in logger.filters):
        logger.addFilter(_LeftBehindKernelTask())
