"""Carry out a ``Plan`` against the live organization, one change at a time.

Each change is applied and then the next one looks up ids from what it learned so far,
so a failure (a throttle past the retries, a lost endpoint) leaves the organization in a
state that ``plan`` sees as "partly done" and a re-run finishes. The one exception is a
run of account creates: CreateAccount is asynchronous (AWS creates the account in the
background; DescribeCreateAccountStatus tells when it is done) and AWS lets several be
in progress at once, so up to ``ACCOUNT_CREATES_IN_FLIGHT`` are submitted and polled
together (``create_accounts``). An interrupted run's in-flight requests are found again
instead of creating duplicates.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from aigov.errors import ApplyError
from aigov.org import adopt
from aigov.org.discover import discover
from aigov.org.inventory import Inventory
from aigov.org.plan import Change, Plan
from aigov.spec.model import ROOT
from aigov.target.clients import OrgClients
from aigov.target.throttle import Throttled

Progress = Callable[[int, int, Change], None]
ACCOUNT_POLL_SECONDS = 600.0
# AWS limits how many CreateAccount requests may be in progress at once
# (ConstraintViolationException reason ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED: "You attempted
# to exceed the number of accounts that can be in progress at a time", botocore's
# organizations service model; Quotas for AWS Organizations,
# https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html).
# The figure was not confirmed here (the quotas page could not be read past its first
# rows): five at a time is assumed, and should AWS answer that reason, the request waits
# and is sent again, so a lower limit slows an apply down but does not fail it.
ACCOUNT_CREATES_IN_FLIGHT = 5
RATE_LIMITED = "ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED"
# Root r-xxxx, OU ou-xxxx-xxxxxxxx, account 12 digits (Organizations API reference, TargetId).
TARGET_ID_RE = re.compile(r"\A(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|[0-9]{12})\Z")


def policy_key(ptype: str, name: str) -> str:
    return f"policy:{ptype}:{name}"


@dataclass
class ApplyResult:
    applied: list[Change] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.applied)


class _Ids:
    """Target keys -> AWS ids, seeded from discovery and updated as changes land."""

    def __init__(self, inv: Inventory) -> None:
        self.ids: dict[str, str] = {}
        self.refresh(inv)

    _accounts: dict | None = None

    def accounts(self, c: OrgClients) -> dict:
        """``adopt.account_index`` asked once per apply, at the first account create
        (before each create, it cost two paginated lists per account: 1,000 accounts
        meant ~50,000 calls). Each account this apply creates has its own name and
        email, so the index stays true for the rest of the apply."""
        if self._accounts is None:
            self._accounts = adopt.account_index(c)
        return self._accounts

    def refresh(self, inv: Inventory) -> None:
        if inv.root_id:
            self.ids[ROOT] = inv.root_id
        self.ids.update({p: o.id for p, o in inv.ous.items()})
        for n, a in inv.accounts.items():  # the caller's bound ids win (names may repeat)
            self.ids.setdefault(f"account:{n}", a.id)
        for a in inv.accounts_by_id.values():  # the handle of an account whose name repeats
            self.ids.setdefault(f"account:{a.id}", a.id)
        self.ids.update({policy_key(t, n): p.id for (t, n), p in inv.policies.items()})

    def __getitem__(self, key: str) -> str:
        try:
            return self.ids[key]
        except KeyError:
            if TARGET_ID_RE.match(key):  # a live target the spec has no name for
                return key
            raise ApplyError(f"{key} does not exist in the organization yet",
                             fix="re-run the apply: the plan is recomputed from the live "
                             "state") from None


def apply_plan(c: OrgClients, plan: Plan, progress: Progress | None = None,
               inventory: Inventory | None = None) -> ApplyResult:
    """Apply ``plan`` in order; raise ``ApplyError`` naming the change that failed.

    ``inventory``: the live state the caller just discovered (ids are taken from it
    instead of discovering the organization again)."""
    result = ApplyResult()
    ids = None
    if any(ch.kind != "organization" for ch in plan.changes):
        ids = _Ids(inventory if inventory is not None else discover(c, tags=()))
    stale, i, n = False, 0, len(plan.changes)
    while i < n:
        change = plan.changes[i]
        try:
            if stale and change.kind != "policy_type":
                # Enabling SCPs attaches FullAWSAccess: learn its id once, after the last
                # of a run of policy types, not after each (nor at all if none follows).
                ids, stale = _Ids(discover(c, tags=())), False
            creates = _account_creates(plan.changes, i)
            if creates > 1:
                assert ids is not None
                create_accounts(c, list(enumerate(plan.changes[i:i + creates], i)), ids,
                                result.applied, progress, n)
                i += creates
                continue
            if progress:
                progress(i, n, change)
            _apply_one(c, change, ids)
            if change.kind == "organization":  # creating the organization gives the root
                ids = _Ids(discover(c, tags=()))
            stale = stale or change.kind == "policy_type"
        except Throttled as exc:
            raise Throttled(exc.refused, exc.seconds,
                            [ch.describe() for ch in result.applied]) from None
        except (ClientError, BotoCoreError) as exc:
            raise _failed(change, exc, result.applied) from exc
        result.applied.append(change)
        i += 1
    return result


def _failed(change: Change, exc: Exception, applied: list[Change]) -> ApplyError:
    return ApplyError(f"{change.describe()} failed: {exc}",
                      fix=f"fix the cause and re-run; the changes before it ({len(applied)}) "
                      "are in place")


def _account_creates(changes: Sequence[Change], start: int) -> int:
    """How many account creates follow one another from ``start``."""
    end = start
    while end < len(changes) and (changes[end].kind, changes[end].action) == (
            "account", "create"):
        end += 1
    return end - start


def create_accounts(c: OrgClients, batch: list[tuple[int, Change]], ids: _Ids,
                    applied: list[Change], progress: Progress | None, total: int) -> None:
    """Create, place and tag the accounts of ``batch`` with up to
    ``ACCOUNT_CREATES_IN_FLIGHT`` requests in progress at once, each polled with
    DescribeCreateAccountStatus until it ends. Finished changes are appended to
    ``applied`` in plan order; after the first failure no new request is sent, those in
    flight are seen to their end, and the failure is raised (a re-run finds any request
    still in progress by name and resumes it: ``adopt.account_index``)."""
    index = ids.accounts(c)
    c.organizations, c.organizations_once  # noqa: B018 - made here: botocore sessions are not thread-safe
    todo, running = list(batch), dict[Future, tuple[int, Change]]()
    done: dict[int, Change] = {}
    failure: tuple[Change, BaseException] | None = None
    with ThreadPoolExecutor(ACCOUNT_CREATES_IN_FLIGHT, thread_name_prefix="aigov-account") as pool:
        while running or (todo and failure is None):
            while todo and failure is None and len(running) < ACCOUNT_CREATES_IN_FLIGHT:
                i, ch = todo.pop(0)
                if progress:
                    progress(i, total, ch)  # from this thread: a notebook shows it in order
                running[pool.submit(_create_and_place, c, ch, ids, index)] = (i, ch)
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                i, ch = running.pop(future)
                exc = future.exception()
                if exc is None:
                    done[i] = ch
                elif failure is None:
                    failure = (ch, exc)
    applied.extend(done[i] for i in sorted(done))
    if failure is not None:
        ch, exc = failure
        if isinstance(exc, (ClientError, BotoCoreError)):
            raise _failed(ch, exc, applied) from exc
        raise exc


def _create_and_place(c: OrgClients, ch: Change, ids: _Ids, index: dict) -> None:
    account_id = _create_account(c, ch.detail.get("name", ch.key), ch.detail["email"], index)
    ids.ids[f"account:{ch.key}"] = account_id
    if ch.detail["ou"] != ROOT:
        _move(c, account_id, ids[ROOT], ids[ch.detail["ou"]])
    _tag(c, account_id, ch.detail.get("tags"))


def _apply_one(c: OrgClients, ch: Change, ids: _Ids | None) -> None:
    org = c.organizations
    once = c.organizations_once
    if ch.kind == "organization" and ch.action == "create":
        adopt.create_once("create the organization", lambda: once.create_organization(
            FeatureSet=ch.detail.get("feature_set", "ALL")), lambda: adopt.find_organization(c))
        return
    assert ids is not None
    if ch.kind == "policy_type" and ch.action == "enable":
        _done_if(("PolicyTypeAlreadyEnabledException",), lambda: org.enable_policy_type(
            RootId=ids[ROOT], PolicyType=ch.key))
    elif ch.kind == "ou" and ch.action == "create":
        name, parent = ch.key.rpartition("/")[2], ids[ch.detail["parent"]]
        ids.ids[ch.key] = adopt.create_once(
            f"create OU {ch.key}",
            lambda: once.create_organizational_unit(ParentId=parent, Name=name)[
                "OrganizationalUnit"]["Id"],
            lambda: adopt.find_ou(c, parent, name))
        _tag(c, ids.ids[ch.key], ch.detail.get("tags"))
    elif ch.kind == "account" and ch.action == "create":
        _create_and_place(c, ch, ids, ids.accounts(c))
    elif ch.kind in ("ou", "account") and ch.action in ("tag", "untag"):
        rid = ids[ch.key if ch.kind == "ou" else f"account:{ch.key}"]
        if ch.action == "tag":
            _tag(c, rid, ch.detail["tags"])
        else:
            org.untag_resource(ResourceId=rid, TagKeys=list(ch.detail["keys"]))
    elif ch.kind == "account" and ch.action == "move":
        _move(c, ch.detail.get("id") or ids[f"account:{ch.key}"], ids[ch.detail["from"]], ids[ch.detail["to"]])
    elif ch.kind in ("policy", "attachment"):
        _apply_policy_change(c, ch, ids)
    else:
        raise ApplyError(f"the direct engine cannot {ch.describe()}")


def _done_if(codes: tuple[str, ...], call: Callable[[], Any]) -> None:
    """Run an idempotent write; an answer in ``codes`` means it is already in place (a
    re-sent call whose first response was lost gets exactly that answer)."""
    try:
        call()
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in codes:
            raise


def _move(c: OrgClients, account_id: str, source: str, destination: str) -> None:
    """MoveAccount; if it fails, the account may already be where it should be (a lost
    response, re-sent): ListParents decides."""
    try:
        c.organizations.move_account(AccountId=account_id, SourceParentId=source,
                                     DestinationParentId=destination)
    except ClientError:
        parents = c.organizations.list_parents(ChildId=account_id)["Parents"]
        if [p["Id"] for p in parents] != [destination]:
            raise


def _tag(c: OrgClients, resource_id: str, tags: dict[str, str] | None) -> None:
    """TagResource (replaces the value of a key that exists; a re-run is harmless). A
    created OU or account is tagged by a call of its own, so a failure between the two
    leaves a tag difference the next plan finds, never a duplicate."""
    if tags:
        c.organizations.tag_resource(ResourceId=resource_id, Tags=[
            {"Key": k, "Value": v} for k, v in sorted(tags.items())])


def _create_account(c: OrgClients, name: str, email: str, before: dict,
                    timeout: float = ACCOUNT_POLL_SECONDS) -> str:
    """Create an account (or adopt it, or resume an in-flight request for it) and wait.

    ``before``: ListAccounts (by email) and ListCreateAccountStatus (by name) as asked
    once at this apply's first create (``_Ids.accounts``): whether an earlier run, perhaps
    one whose answer was lost, already made or is making it. Within this apply, a create
    whose answer is lost is looked for again (``adopt.find_account``) before re-sending."""
    org = c.organizations
    deadline, delay = time.monotonic() + timeout, 0.5
    status = adopt.find_in(before, name, email)
    while status is None:
        try:
            status = adopt.create_once(
                f"create account {name}",
                lambda: c.organizations_once.create_account(Email=email, AccountName=name)[
                    "CreateAccountStatus"],
                lambda: adopt.find_account(c, name, email))
        except ClientError as exc:  # too many in progress (another apply, the console)
            if exc.response.get("Reason") != RATE_LIMITED or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 10.0)
    delay = 0.5
    while status["State"] == "IN_PROGRESS":
        if time.monotonic() > deadline:
            raise ApplyError(f"account {name!r} was still being created after {timeout:.0f}s "
                             f"(request {status['Id']})",
                             fix="wait a few minutes and re-run; the request is resumed")
        time.sleep(delay)
        delay = min(delay * 2, 10.0)
        status = org.describe_create_account_status(
            CreateAccountRequestId=status["Id"])["CreateAccountStatus"]
    if status["State"] != "SUCCEEDED":
        raise ApplyError(f"creating account {name!r} failed: {status.get('FailureReason')}",
                         fix="EMAIL_ALREADY_EXISTS: use another email; ACCOUNT_LIMIT_EXCEEDED:"
                         " ask AWS support for a higher quota")
    return status["AccountId"]


# -- policies and attachments ----------------------------------------------------------
# AWS Organizations throttles policy writes (about 2 per second per account) and answers
# ConcurrentModificationException when two writes touch one policy or target at once.
# Writes here are strictly one at a time; on AWS they are also paced, and both errors are
# retried with backoff on top of botocore's own retries. Each write is idempotent: an
# "already attached", "not attached" or "not found" answer means the change is in place.
POLICY_WRITE_INTERVAL = 0.5
RETRIED = {"ConcurrentModificationException", "TooManyRequestsException"}
ALREADY_DONE = {"attach": {"DuplicatePolicyAttachmentException"},
                "detach": {"PolicyNotAttachedException"},
                "delete": {"PolicyNotFoundException"},
                "create": set(), "update": set()}


class _Pacer:
    """At most one policy write per ``interval`` seconds (none on the emulator)."""

    last = 0.0

    @classmethod
    def wait(cls, interval: float) -> None:
        delay = cls.last + interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        cls.last = time.monotonic()


def _write(c: OrgClients, ch: Change, call: Callable[[], dict], attempts: int = 6) -> dict:
    delay = 1.0
    for attempt in range(attempts):
        _Pacer.wait(0.0 if c.is_emulator else POLICY_WRITE_INTERVAL)
        try:
            return call()
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if code in ALREADY_DONE.get(ch.action, set()):
                return {}
            if code not in RETRIED or attempt == attempts - 1:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 16.0)
    return {}


def _apply_policy_change(c: OrgClients, ch: Change, ids: _Ids) -> None:
    org = c.organizations
    d = ch.detail
    if ch.kind == "policy" and ch.action == "create":
        adopted: list[str] = []

        def find() -> str | None:
            found = adopt.find_policy(c, d["type"], ch.key)
            adopted.extend([found] if found else [])
            return found
        pid = adopt.create_once(f"create policy {ch.key}", lambda: _write(
            c, ch, lambda: c.organizations_once.create_policy(
                Name=ch.key, Type=d["type"], Content=d["content"],
                Description=d.get("description", "")))["Policy"]["PolicySummary"]["Id"], find)
        ids.ids[policy_key(d["type"], ch.key)] = pid
        if adopted:  # made by a call whose answer was lost, or by someone else: make it ours
            _write(c, ch, lambda: org.update_policy(PolicyId=pid, Content=d["content"],
                                                    Description=d.get("description", "")))
    elif ch.kind == "policy" and ch.action == "update":
        fields = {"Content": d["content"], "Description": d.get("description", "")}
        _write(c, ch, lambda: org.update_policy(PolicyId=ids[policy_key(d["type"], ch.key)],
                                                **fields))
    elif ch.kind == "policy" and ch.action == "delete":
        _write(c, ch, lambda: org.delete_policy(PolicyId=ids[policy_key(d["type"], ch.key)]))
    elif ch.kind == "attachment" and ch.action in ("attach", "detach"):
        call = org.attach_policy if ch.action == "attach" else org.detach_policy
        pid, tid = ids[policy_key(d["type"], d["policy"])], ids[d["target"]]
        _write(c, ch, lambda: call(PolicyId=pid, TargetId=tid))
    else:
        raise ApplyError(f"the direct engine cannot {ch.describe()}")
