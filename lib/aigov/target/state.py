"""The emulator's persisted organization: a snapshot of its state plus the writes since.

One file, ``DIR/organizations.jsonl`` (docs/emulator.md, "Persisted state"). Every line
is one Organizations write in the API's own terms (operation, request parameters) plus
the ids and times moto drew while serving it:

    {"op": "CreateOrganizationalUnit", "account": "123456789012", "partition": "aws",
     "params": {"ParentId": "r-ab12", "Name": "AI"}, "drawn": {"ou": ["ou-ab12-..."]}}

- While the emulator serves, each write that succeeded is appended (the journal): reads
  are never kept, and a process killed mid-run loses nothing it acknowledged.
- ``compact`` rewrites the file as the shortest list of writes that rebuilds the
  current state (one create per OU, account and policy, its tags, moves, closures, and
  the attachments that differ from what a create attaches by itself), atomically. The
  emulator compacts when it stops after a session that wrote, and after loading a file
  that had writes after its snapshot. A file therefore grows with the organization, not
  with its history, and loading it costs time proportional to the organization.
- ``load`` applies each line to moto's backend in this process (no HTTP), with the
  recorded ids and times handed back to moto's generators, so every id and timestamp
  comes back identical. Lines are checked like requests: a known write operation,
  parameters within botocore's input model, ids of the form moto draws.

moto (5.x) draws ids through ``moto.organizations.utils.make_random_*`` and times
through ``utcnow``; ``install`` wraps both so a write's draws are recorded, or forced on
load. Only Organizations is kept: STS answers from the caller's key and holds no state.
"""

from __future__ import annotations

import json
import re
import threading
from datetime import datetime
from functools import cache, wraps
from pathlib import Path
from typing import Any

from aigov.errors import TargetError
from aigov.paths import write_atomic

STATE_FILE = "organizations.jsonl"
_READS = ("Describe", "List", "Get")
# moto's id generators (moto.organizations.utils) by the kind of id they draw, and the
# form each id takes (Organizations API reference: Id patterns).
ID_KINDS = {
    "org": ("make_random_org_id", r"o-[a-z0-9]{10,32}"),
    "root": ("make_random_root_id", r"r-[a-z0-9]{4,32}"),
    "ou": ("make_random_ou_id", r"ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}"),
    "account": ("make_random_account_id", r"\d{12}"),
    "car": ("make_random_create_account_status_id", r"car-[a-z0-9]{8,32}"),
    "policy": ("make_random_policy_id", r"p-[a-zA-Z0-9_]{8,128}"),
}
AUTO_ATTACHED = ("p-FullAWSAccess", "p-RCPFullAWSAccess")  # what moto attaches at create
FIX = "the file is the emulator's saved organization: remove it (or the whole --state " \
      "folder) to start with an empty organization"

_local = threading.local()   # .drawn (recording a write's draws) / .forced (on load)
_lock = threading.Lock()     # writes one at a time: the journal's order is the order served
_journal: Journal | None = None


# -- draws: record them while serving, force them while loading --------------------------

def _drawing(kind: str, original: Any) -> Any:
    @wraps(original)
    def draw(*args: Any, **kwargs: Any) -> Any:
        forced = getattr(_local, "forced", None)
        value = forced[kind].pop(0) if forced and forced.get(kind) else original(*args, **kwargs)
        drawn = getattr(_local, "drawn", None)
        if drawn is not None:
            drawn.setdefault(kind, []).append(value.isoformat() if kind == "time" else value)
        return value

    draw.aigov_state = True  # type: ignore[attr-defined]
    return draw


def _journaled(operation: str, method: Any) -> Any:
    @wraps(method)
    def run(self: Any) -> Any:
        journal = _journal
        if journal is None:
            return method(self)
        with _lock:
            _local.drawn = {}
            try:
                out = method(self)  # raises on any refusal: only successes are kept
                entry = {"op": operation, "account": self.current_account,
                         "partition": self.partition, "params": self.request_params,
                         "drawn": _local.drawn}
                if operation == "CreateOrganization":
                    entry["region"] = self.region
                journal.append(entry)
                return out
            finally:
                _local.drawn = None

    run.aigov_journal = True  # type: ignore[attr-defined]
    return run


@cache
def write_operations() -> frozenset[str]:
    """Organizations operations that change something (all but Describe*, List*, Get*)."""
    from aigov.target.strict import service_model

    return frozenset(op for op in service_model().operation_names
                     if not op.startswith(_READS))


def install() -> None:
    """Wrap moto's id generators, clock and write handlers (idempotent; after strict)."""
    from botocore import xform_name
    from moto.organizations import models, utils
    from moto.organizations.responses import OrganizationsResponse

    for kind, (name, _) in ID_KINDS.items():
        if not getattr(getattr(utils, name), "aigov_state", False):
            setattr(utils, name, _drawing(kind, getattr(utils, name)))
    if not getattr(models.utcnow, "aigov_state", False):
        models.utcnow = _drawing("time", models.utcnow)
    for op in sorted(write_operations()):
        method = OrganizationsResponse.__dict__.get(xform_name(op))
        if callable(method) and not getattr(method, "aigov_journal", False):
            setattr(OrganizationsResponse, xform_name(op), _journaled(op, method))


class Journal:
    """Appends writes to the state file; ``count`` is how many this session."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._file = path.open("a", encoding="utf-8")

    def append(self, entry: dict[str, Any]) -> None:
        self._file.write(_line(entry))
        self._file.flush()  # a killed process keeps every acknowledged write
        self.count += 1

    def close(self) -> None:
        self._file.close()


def _line(entry: dict[str, Any]) -> str:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


def start_journal(path: Path) -> Journal:
    global _journal
    _journal = Journal(path)
    return _journal


def stop_journal() -> Journal | None:
    global _journal
    journal, _journal = _journal, None
    if journal is not None:
        journal.close()
    return journal


# -- load ---------------------------------------------------------------------------------

def load(path: Path) -> int:
    """Apply every line of ``path`` to this process's moto backends; returns the count.

    A last line without its newline is a write cut short by a killed process (its
    client never got an answer) and is skipped; any other bad line is refused.
    """
    from aigov.target.strict import install as install_strict

    install_strict()
    install()
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    if lines and lines[-1] and not text.endswith("\n"):
        lines.pop()  # cut short
    count = 0
    for number, line in enumerate(lines, 1):
        if line.strip():
            _apply(line, str(path), number)
            count += 1
    return count


def _apply(line: str, file: str, number: int) -> None:
    from botocore import xform_name
    from moto.core.exceptions import ServiceException
    from moto.organizations.models import organizations_backends
    from moto.utilities.utils import PARTITION_NAMES

    from aigov.target.strict import check_request, service_model

    def bad(why: str) -> TargetError:
        return TargetError(why, file=file, location=f"line {number}", fix=FIX)

    try:
        entry = json.loads(line)
    except ValueError as exc:
        raise bad(f"not a JSON line ({exc})") from None
    if not isinstance(entry, dict):
        raise bad("each line must be a JSON object")
    op, params = entry.get("op"), entry.get("params")
    if op not in write_operations() or not isinstance(params, dict):
        raise bad(f"{op!r} is not an Organizations write with its parameters")
    account, partition = entry.get("account"), entry.get("partition")
    if not (isinstance(account, str) and re.fullmatch(r"\d{12}", account)
            and partition in PARTITION_NAMES):
        raise bad("account must be 12 digits and partition one of AWS's partitions")
    forced = _forced(entry.get("drawn", {}), bad)
    shape = service_model().operation_model(op).input_shape
    members = set(shape.members) if shape is not None else set()
    required = set(shape.required_members) if shape is not None else set()
    if set(params) - members or required - set(params):
        raise bad(f"{op} takes {sorted(members)} (required {sorted(required)}), "
                  f"not {sorted(params)}")
    try:
        check_request(op, params)
        backend = organizations_backends[account][partition]
        kwargs = {"region": str(entry.get("region", "us-east-1")), **params} \
            if op == "CreateOrganization" else params
        _local.forced = forced
        getattr(backend, xform_name(op))(**kwargs)
    except (ServiceException, TypeError, KeyError, ValueError, AttributeError) as exc:
        raise bad(f"{op} cannot be applied again: {exc}") from None
    finally:
        _local.forced = None


def _forced(drawn: Any, bad: Any) -> dict[str, list[Any]]:
    if not isinstance(drawn, dict):
        raise bad("drawn must be an object of lists")
    out: dict[str, list[Any]] = {}
    for kind, values in drawn.items():
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise bad(f"drawn {kind!r} must be a list of strings")
        if kind == "time":
            try:
                out[kind] = [datetime.fromisoformat(v) for v in values]
            except ValueError:
                raise bad("drawn times must be ISO 8601") from None
        elif kind in ID_KINDS and all(re.fullmatch(ID_KINDS[kind][1], v) for v in values):
            out[kind] = list(values)
        else:
            raise bad(f"drawn {kind!r} holds an unknown kind or an id of the wrong form")
    return out


# -- compact ------------------------------------------------------------------------------

def compact(path: Path) -> bool:
    """Rewrite ``path`` as the writes that rebuild the current state, atomically; False
    when it already says exactly that (the same state always gives the same text)."""
    text = "".join(_line(e) for e in snapshot())
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    write_atomic(path, text, fsync=True)
    return True


def snapshot() -> list[dict[str, Any]]:
    """Every organization in this process's moto backends as a list of writes."""
    from moto.organizations.models import organizations_backends

    out: list[dict[str, Any]] = []
    for account, per_partition in sorted(organizations_backends.items()):
        for partition, backend in sorted(per_partition.items()):
            if backend.org is not None:
                out.extend(_organization(backend, account, partition))
    return out


def _tags(tags: dict[str, str]) -> dict[str, Any]:
    return {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]} if tags else {}


def _organization(b: Any, account: str, partition: str) -> list[dict[str, Any]]:
    from moto.organizations.models import FakeRoot

    def e(op: str, params: dict[str, Any], **drawn: list[Any]) -> dict[str, Any]:
        return {"op": op, "account": account, "partition": partition, "params": params,
                "drawn": {k: [v.isoformat() if isinstance(v, datetime) else v for v in vs]
                          for k, vs in drawn.items() if vs}}

    org = b.org
    root = next(o for o in b.ou if isinstance(o, FakeRoot))
    master = next(a for a in b.accounts if a.id == org.master_account_id)
    create = e("CreateOrganization", {"FeatureSet": org.feature_set}, org=[org.id],
               root=[org.root_id], car=[master.create_account_status_id],
               time=[master.create_time])
    out = [{**create, "region": org.region}]
    out += [e("EnablePolicyType", {"RootId": root.id, "PolicyType": t["Type"]})
            for t in root.policy_types]
    if root.tags:
        out.append(e("TagResource", {"ResourceId": root.id, **_tags(root.tags)}))
    for p in b.policies:
        if p.aws_managed:
            if p.tags:
                out.append(e("TagResource", {"ResourceId": p.id, **_tags(p.tags)}))
            continue
        params = {"Name": p.name, "Type": p.type, "Content": p.content, **_tags(p.tags)}
        if p.description is not None:
            params["Description"] = p.description
        out.append(e("CreatePolicy", params, policy=[p.id]))
    ous = [o for o in b.ou if o is not root]  # parents come first: OUs never move
    out += [e("CreateOrganizationalUnit", {"ParentId": o.parent_id, "Name": o.name,
                                           **_tags(o.tags)}, ou=[o.id]) for o in ous]
    for a in b.accounts:
        if a is not master:
            out.append(e("CreateAccount", {"AccountName": a.name, "Email": a.email,
                                           **_tags(a.tags)},
                         car=[a.create_account_status_id], account=[a.id],
                         time=[a.create_time]))
        elif a.tags:
            out.append(e("TagResource", {"ResourceId": a.id, **_tags(a.tags)}))
    for a in b.accounts:
        if a.parent_id != root.id:
            out.append(e("MoveAccount", {"AccountId": a.id, "SourceParentId": root.id,
                                         "DestinationParentId": a.parent_id}))
        if a.status == "SUSPENDED":
            out.append(e("CloseAccount", {"AccountId": a.id}))
    out += [e("EnableAWSServiceAccess", {"ServicePrincipal": s["ServicePrincipal"]})
            for s in b.services]
    out += [e("RegisterDelegatedAdministrator", {"AccountId": adm.account.id,
                                                 "ServicePrincipal": sp})
            for adm in b.admins for sp in adm.services]
    for target in [root, *ous, *b.accounts]:
        out += [e(op, {"PolicyId": pid, "TargetId": target.id})
                for op, pid in _attachment_steps([p.id for p in target.attached_policies])]
    return out


def _attachment_steps(want: list[str]) -> list[tuple[str, str]]:
    """Detach and attach calls that turn what a create attached (``AUTO_ATTACHED``) into
    ``want``, order included (moto lists a target's policies in attachment order)."""
    keep = 0
    while keep < min(len(want), len(AUTO_ATTACHED)) and want[keep] == AUTO_ATTACHED[keep]:
        keep += 1
    return ([("DetachPolicy", pid) for pid in AUTO_ATTACHED[keep:]]
            + [("AttachPolicy", pid) for pid in want[keep:]])
