"""The one target resolver: a spec's targets indexed once, read by every layer.

A target is named ``Root``, ``Root/AI/...``, an OU path (``AI/Development``), an account
name, ``account:NAME`` or a 12-digit account id; its canonical key is ``Root``, the OU
path, or ``account:HANDLE``. An account's handle is its name, or its id when several
accounts of the spec share the name (AWS lets names repeat; docs/contracts/accounts.md):
a name held by several accounts names none of them, and a target giving it is
``AmbiguousTarget``. The index is built once per ``Spec`` (``Spec.index``, cached on the
immutable spec), so lint, simulation, plan and drift resolve in constant time instead of
walking the tree per call.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aigov.spec.model import Account, PolicyRef, Spec

ROOT = "Root"


class AmbiguousTarget(KeyError):
    """A target names an account by a name several accounts of the spec share."""

    def __init__(self, name: str, ids: list[str]) -> None:
        super().__init__(name)
        self.name, self.ids = name, ids

    def __str__(self) -> str:
        return (f"{self.name!r} is the name of {len(self.ids)} accounts "
                f"({', '.join(self.ids)}); use the account id")


class TargetIndex:
    """Canonical keys, paths from Root, attachments and FullAWSAccess placement."""

    __slots__ = ("_accounts", "_ambiguous", "_attached", "_detached", "_ou_order",
                 "_ou_paths", "_paths", "_shared", "keys")

    def __init__(self, spec: Spec) -> None:
        ou_paths = [p for p, _ in spec.walk_ous()]
        self._ou_order = ou_paths
        self._ou_paths = set(ou_paths)
        counts = Counter(a.name for a in spec.accounts)
        # Names several accounts share, each pinned by an id (load.py refuses one without).
        self._shared = {n for n, k in counts.items() if k > 1}
        self._ambiguous: dict[str, list[str]] = {}
        self._accounts: dict[str, Account] = {}
        for a in reversed(spec.accounts):  # the first account with a handle or id wins
            self._accounts[self.handle(a)] = a
            if a.id:
                self._accounts[a.id] = a
        for a in spec.accounts:
            if self.handle(a) != a.name:
                self._ambiguous.setdefault(a.name, []).append(a.id or "")
        #: Every level of the organization: Root, each OU path, each ``account:HANDLE``.
        self.keys = [ROOT, *ou_paths, *(f"account:{self.handle(a)}" for a in spec.accounts)]
        self._paths: dict[str, list[str]] = {}
        self._attached: dict[str, list[PolicyRef]] = {}
        for p in spec.policies:
            for key in dict.fromkeys(self._key_or_none(t) for t in p.targets):
                if key is not None:
                    self._attached.setdefault(key, []).append(p)
        detach = spec.organization.full_aws_access.detach_from
        self._detached = {k for k in (self._key_or_none(t) for t in detach) if k}

    def _key_or_none(self, ref: str) -> str | None:
        try:
            return self.key(ref)
        except KeyError:
            return None

    def key(self, ref: str) -> str:
        """The canonical key of ``ref``; ``KeyError`` for an unknown target."""
        ref = ref.strip().strip("/")
        if ref == ROOT:
            return ROOT
        ref = ref.removeprefix(ROOT + "/")
        if ref.startswith("account:"):
            ref = ref.removeprefix("account:")
        elif ref in self._ou_paths:
            return ref
        acct = self._accounts.get(ref)
        if acct is None:
            if ref in self._ambiguous:
                raise AmbiguousTarget(ref, self._ambiguous[ref])
            raise KeyError(ref)
        return f"account:{self.handle(acct)}"

    def handle(self, acct: Account) -> str:
        """The account's name, or its id when accounts of the spec share the name."""
        return acct.id if acct.name in self._shared and acct.id else acct.name

    def label(self, key: str) -> str:
        """How a person reads a canonical key: ``ai-dev``, ``Sandbox (111122223333)``
        for an account whose name repeats, an OU path, ``Root``."""
        if not key.startswith("account:"):
            return key
        acct = self._accounts.get(key.removeprefix("account:"))
        if acct is None:
            return key.removeprefix("account:")
        return acct.name if self.handle(acct) == acct.name else f"{acct.name} ({acct.id})"

    def ou_paths(self) -> list[str]:
        """Every OU path, parents before children."""
        return list(self._ou_order)

    def account(self, ref: str) -> Account | None:
        """The account ``ref`` names (a handle, a name no other account holds, or an id);
        None for an unknown or ambiguous one."""
        return self._accounts.get(ref)

    def path(self, key: str) -> list[str]:
        """Canonical keys from Root down to ``key`` (itself canonical):
        ``path("account:ai-dev")`` -> ``["Root", "AI", "AI/Development", "account:ai-dev"]``."""
        got = self._paths.get(key)
        if got is None:
            if key == ROOT:
                got = [ROOT]
            elif key.startswith("account:"):
                acct = self._accounts[key.removeprefix("account:")]
                got = [*self.path(self.key(acct.ou) if acct.ou else ROOT), key]
            else:
                parts = key.split("/")
                got = [ROOT] + ["/".join(parts[: i + 1]) for i in range(len(parts))]
            self._paths[key] = got
        return list(got)

    def attached(self, key: str) -> list[PolicyRef]:
        """The spec's policies attached directly at ``key``, in spec order."""
        return list(self._attached.get(key, ()))

    def full_aws_access_at(self, key: str) -> bool:
        """AWS attaches FullAWSAccess to every root, OU and account when SCPs are enabled
        (Organizations User Guide, "SCP inheritance"); the spec says where it is taken
        away (``organization.full_aws_access.detach_from``)."""
        return key not in self._detached
