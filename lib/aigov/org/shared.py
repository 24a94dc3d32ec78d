"""Discovery shared by the notebooks of one run: discover once, until something writes.

Each runbook notebook runs in its own kernel, and five of them read the live
organization: at 1,000 accounts one discovery is over a thousand list calls, and on AWS,
where Organizations throttles, each one costs minutes. ``aigov run`` gives every kernel a
private working folder (``AIGOV_RUN_WORK``: created mode 0700 outside the record, removed
when the run ends). The first notebook that discovers stores the Inventory there; the
next ones read it instead of discovering again.

Any write request this process sends (anything but Describe/List/Get: the same rule as
``target/readonly.py``) empties the folder before it is sent, so a notebook that changes
the organization, and every notebook after it, discovers afresh. What the folder holds
is what list and describe calls returned (names, ids, emails, policy documents): no
credentials, and it never reaches the record. Outside ``aigov run`` (no folder), or for
a client the library did not make, every call discovers.

Changes made outside the run while it runs (another person, another tool) are not seen
by the notebooks that read the stored inventory: a run is one pass over one state.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path
from typing import Any

from aigov.org.discover import discover
from aigov.org.inventory import Inventory
from aigov.paths import write_atomic
from aigov.target.calls import on_request
from aigov.target.clients import OrgClients
from aigov.target.readonly import is_read

RUN_WORK_ENV = "AIGOV_RUN_WORK"
PREFIX = "inventory-"


def _folder() -> Path | None:
    folder = os.environ.get(RUN_WORK_ENV)
    return Path(folder) if folder and Path(folder).is_dir() else None


def invalidate() -> None:
    """Forget every stored inventory (before a write, or when a caller knows better)."""
    folder = _folder()
    if folder is None:
        return
    for path in folder.glob(f"{PREFIX}*"):
        path.unlink(missing_ok=True)


def _on_request(operation: str) -> None:
    # "organizations.CreateAccount" -> "CreateAccount"
    if not is_read(operation.rpartition(".")[2]):
        invalidate()


def _key(c: OrgClients, options: dict[str, Any]) -> str:
    where = f"{c.endpoint_url or 'aws'}|{c.region}|{sorted(options.items())}"
    return PREFIX + hashlib.sha256(where.encode()).hexdigest()[:24]


def _load(path: Path) -> Inventory | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    # The folder is this run's own (mode 0700, written only by its kernels).
    inv = pickle.loads(data)  # noqa: S301
    return inv if isinstance(inv, Inventory) else None


def _store(path: Path, inv: Inventory) -> None:
    # A reader sees the whole inventory or none.
    write_atomic(path, pickle.dumps(inv, protocol=pickle.HIGHEST_PROTOCOL), per_process=True)


def discover_shared(c: OrgClients, *, with_policies: bool = True,
                    **options: Any) -> Inventory:
    """``discover(c, ...)``, answered from the run's stored inventory when nothing has
    written since it was read.

    In a run, every discovery reads the full inventory (policies and their targets too),
    even for a caller that needs only the structure (``with_policies=False``: 00-02):
    a later notebook (05's plan, 06's audit) needs it, and one discovery then answers
    them all. It costs two calls per policy more in the notebook that reads it; outside
    a run, ``with_policies=False`` still saves them.
    """
    folder = _folder()
    if folder is None:
        return discover(c, with_policies=with_policies, **options)
    on_request(_on_request)
    path = folder / _key(c, options)
    inv = _load(path)
    if inv is None:
        inv = discover(c, with_policies=True, **options)
        _store(path, inv)
    return inv
