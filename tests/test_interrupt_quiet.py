"""An interrupted run prints one line, never a traceback (issue 13: "no traceback on
interruption"), even from what the notebook client leaves behind.

When SIGTERM or Ctrl-C stops ``aigov run`` inside a cell, nbclient's cell task is left
pending; once the kernel has been stopped (as it must be) the task ends with
``DeadKernelError``, nobody awaits it, and asyncio logs "Task exception was never
retrieved" with a traceback when it is collected. The end-to-end test is
tests/test_record.py (SIGTERM, SIGHUP, Ctrl-C); this one reproduces the mechanism alone,
with nbclient's own exception and asyncio's own handler, so it fails every time rather
than under load only.
"""

from __future__ import annotations

import asyncio
import gc
import logging

from nbclient.exceptions import DeadKernelError

from aigov.runbook.quiet import quiet_left_behind_kernel_tasks


def _abandon_a_task_that_finds_the_kernel_dead() -> None:
    async def cell() -> None:
        raise DeadKernelError("Kernel died")

    loop = asyncio.new_event_loop()
    try:
        task = loop.create_task(cell())
        loop.run_until_complete(asyncio.sleep(0.01))  # the task ends; nobody awaits it
        assert task.done()
    finally:
        loop.close()
    del task
    gc.collect()


def _asyncio_errors(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "asyncio" and r.levelno >= logging.ERROR]


def test_asyncio_logs_an_abandoned_dead_kernel_task_with_a_traceback(caplog):
    """The problem, reproduced: without the filter asyncio logs the error."""
    logger = logging.getLogger("asyncio")
    saved = list(logger.filters)
    for f in saved:
        logger.removeFilter(f)
    try:
        _abandon_a_task_that_finds_the_kernel_dead()
    finally:
        for f in saved:
            logger.addFilter(f)
    (record,) = _asyncio_errors(caplog)
    assert "never retrieved" in record.getMessage() and record.exc_info


def test_a_dead_kernel_task_left_by_an_interruption_logs_nothing(caplog):
    quiet_left_behind_kernel_tasks()
    quiet_left_behind_kernel_tasks()  # idempotent: one filter
    _abandon_a_task_that_finds_the_kernel_dead()
    assert _asyncio_errors(caplog) == []


def test_other_asyncio_errors_still_reach_the_log(caplog):
    quiet_left_behind_kernel_tasks()

    async def fails() -> None:
        raise ValueError("a real bug")

    loop = asyncio.new_event_loop()
    try:
        task = loop.create_task(fails())
        loop.run_until_complete(asyncio.sleep(0.01))
    finally:
        loop.close()
    del task
    gc.collect()
    (record,) = _asyncio_errors(caplog)
    assert isinstance(record.exc_info[1], ValueError)
