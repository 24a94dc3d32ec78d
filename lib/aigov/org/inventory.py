"""The live state: an ``Inventory`` of the organization as discovery found it.

Keyed like the spec (OU paths, account handles, policy names) so that plan and drift are
plain dictionary comparisons; the AWS ids ride along for apply and for Pulumi imports.
Account names may repeat in AWS: ``accounts_by_id`` holds every account, and
``bind(spec)`` keys ``accounts`` the way the spec means them (by the spec's handle: the
name, or the id of an account whose name the spec repeats; the live account by ``id``
where the spec gives one), refusing an ambiguous name (docs/contracts/accounts.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from aigov.errors import SpecError
from aigov.spec.model import ROOT, Spec


@dataclass(frozen=True)
class OUInfo:
    id: str
    name: str
    parent_id: str
    path: str
    tags: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class AccountInfo:
    id: str
    name: str
    email: str
    parent_id: str
    status: str = "ACTIVE"
    tags: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class PolicyInfo:
    id: str
    name: str
    type: str
    description: str
    content: str
    aws_managed: bool
    targets: frozenset[str] = frozenset()  # target ids (root, OU or account)


@dataclass(frozen=True)
class Inventory:
    """What exists. ``organization_id`` is None when the caller has no organization."""

    organization_id: str | None = None
    feature_set: str | None = None
    management_account_id: str | None = None
    root_id: str | None = None
    enabled_policy_types: frozenset[str] = frozenset()
    ous: dict[str, OUInfo] = field(default_factory=dict)            # by path
    accounts: dict[str, AccountInfo] = field(default_factory=dict)  # by name
    policies: dict[tuple[str, str], PolicyInfo] = field(default_factory=dict)  # (type, name)
    caller_account_id: str | None = None
    # Accounts whose name an account already seen holds (AWS lets names repeat).
    shadowed_accounts: tuple[AccountInfo, ...] = ()
    # Things AWS allows (or a lost response made) that the spec cannot name apart:
    # "OU path" or "account name/email" -> the ids sharing it (drift reports them).
    duplicate_ous: dict[str, tuple[str, ...]] = field(default_factory=dict)
    duplicate_accounts: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def exists(self) -> bool:
        return self.organization_id is not None

    @property
    def accounts_by_id(self) -> dict[str, AccountInfo]:
        """Every live account by its id: AWS lets account names repeat, never ids."""
        return {a.id: a for a in (*self.accounts.values(), *self.shadowed_accounts)}

    def bind(self, spec: Spec, strict: bool = True) -> Inventory:
        """This inventory with ``accounts`` keyed as the spec means them.

        A spec account with ``id`` is the live account with that id, whatever its name
        (and no other). One without ``id`` is the only live account of that name; two or
        more are refused with ``SpecError`` (exit 2) naming the ids, since moving or
        attaching to the wrong one would change an account the spec never meant. Live
        accounts the spec does not name keep their names (first seen); the rest are
        ``shadowed_accounts``. ``strict=False`` (drift, which reports duplicates as
        findings) leaves an ambiguous name as discovery found it instead of refusing.
        """
        by_id = self.accounts_by_id
        bound: dict[str, AccountInfo] = {}
        for acct in spec.accounts:
            if acct.id and acct.id in by_id:
                bound[spec.index.handle(acct)] = by_id[acct.id]
        used = {a.id for a in bound.values()}
        for i, acct in enumerate(spec.accounts):
            if acct.id:
                continue
            same = [a for a in by_id.values() if a.name == acct.name and a.id not in used]
            if len(same) > 1 and strict:
                ids = [a.id for a in same]
                raise SpecError(f"account {acct.name!r} is named without an id and the "
                                f"organization has {len(same)} accounts with that name: "
                                f"{', '.join(ids)}", file=str(spec.source or ""),
                                location=f"accounts[{i}]",
                                fix=f"pin the one the spec means: add `id: {ids[0]}` (or "
                                f"`id: {ids[1]}`) to accounts[{i}]")
            if same:
                bound[acct.name] = same[0]
                used.add(same[0].id)
        for a in by_id.values():
            if a.id not in used and a.name not in bound:
                bound[a.name] = a
                used.add(a.id)
        return replace(self, accounts=bound,
                       shadowed_accounts=tuple(a for a in by_id.values() if a.id not in used))

    def target_id(self, key: str) -> str | None:
        """AWS id of a canonical target key (``Root``, OU path, ``account:HANDLE``)."""
        if key == ROOT:
            return self.root_id
        if key.startswith("account:"):
            acct = self.accounts.get(key[len("account:"):])
            return acct.id if acct else None
        ou = self.ous.get(key)
        return ou.id if ou else None

    def key_of(self, target_id: str) -> str | None:
        """Canonical key of an AWS target id; None for an id discovery did not see."""
        if target_id == self.root_id:
            return ROOT
        for path, ou in self.ous.items():
            if ou.id == target_id:
                return path
        for name, acct in self.accounts.items():
            if acct.id == target_id:
                return f"account:{name}"
        return None

    def path_of_parent(self, parent_id: str) -> str:
        """``Root`` or the OU path of a parent id."""
        key = self.key_of(parent_id)
        return key if key else parent_id

    def attachments(self) -> set[tuple[str, str, str]]:
        """``(policy type, policy name, target key)`` for every attachment."""
        out = set()
        for (ptype, name), pol in self.policies.items():
            for tid in pol.targets:
                out.add((ptype, name, self.key_of(tid) or tid))
        return out
