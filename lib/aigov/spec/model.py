"""Pydantic models of the spec.

Field validators hold the rules of one value (an email, a policy type); the cross-field
rules AWS enforces but moto does not (duplicate OU names under one parent, depth, unknown
targets) live in ``load.py`` so they can report every problem with its line at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from aigov.policy.types import PolicyType, PolicyTypeName
from aigov.spec import aws_rules
from aigov.spec.targets import ROOT, TargetIndex

# The value rules (lengths, patterns) are botocore's Organizations model (aws_rules.py);
# OU paths use "/" as their separator, so an OU name must not hold one.
# Any 12 ASCII digits: a target may be an account id, so no name may look like one.
ACCOUNT_ID_RE = re.compile(r"\A[0-9]{12}\Z")


def _checked(shape: str, value: str, *, printable: bool = False) -> str:
    why = aws_rules.problem(shape, value, printable=printable)
    if why:
        raise ValueError(why)
    return value


def _checked_tags(tags: dict[str, str]) -> dict[str, str]:
    for key, value in tags.items():
        why = aws_rules.tag_problem(key, value)
        if why:
            raise ValueError(why)
    return tags


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OrganizationalUnit(_Frozen):
    name: str
    children: tuple[OrganizationalUnit, ...] = ()
    tags: dict[str, str] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        _checked("OrganizationalUnitName", v, printable=True)
        if "/" in v or v.strip() != v or v == ROOT:
            raise ValueError("an OU name has no '/' (the path separator), no surrounding "
                             "spaces, and is not 'Root'")
        return v

    _tags = field_validator("tags")(classmethod(lambda cls, v: _checked_tags(v)))


class Account(_Frozen):
    name: str
    email: str
    ou: str = ROOT
    id: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        # CreateAccount.AccountName: 1-50 printable ASCII characters.
        _checked("CreateAccountName", v)
        if v == ROOT or ACCOUNT_ID_RE.match(v):
            raise ValueError(f"{v!r} is reserved: a target named so would mean "
                             f"{'the root' if v == ROOT else 'the account with that id'}")
        return v

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        why = aws_rules.problem("Email", v)
        if why or not v.isascii():
            raise ValueError(f"{v!r} is not a valid email address: 6-64 ASCII characters, "
                             "name@domain.tld")
        return v

    @field_validator("id")
    @classmethod
    def _id(cls, v: str | None) -> str | None:
        if v is not None and not ACCOUNT_ID_RE.match(v):
            raise ValueError(f"{v!r} is not an account id (12 ASCII digits)")
        return v

    _tags = field_validator("tags")(classmethod(lambda cls, v: _checked_tags(v)))


class PolicyRef(_Frozen):
    """One policy of the spec: a template file under ``policies/`` and where it attaches."""

    name: str
    type: PolicyTypeName
    file: str
    description: str = ""
    targets: tuple[str, ...] = ()
    parameters: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        _checked("PolicyName", v, printable=True)
        if v.casefold() in {n.casefold() for n in aws_rules.AWS_MANAGED_POLICY_NAMES}:
            raise ValueError(f"{v!r} is the name of an AWS-managed policy; a custom policy "
                             "of that name would be mistaken for it")
        return v

    @field_validator("description")
    @classmethod
    def _description(cls, v: str) -> str:
        return _checked("PolicyDescription", v)


class FullAWSAccess(_Frozen):
    """AWS attaches the managed FullAWSAccess SCP to every root, OU and account when SCPs
    are enabled; the spec only says where it is taken away."""

    detach_from: tuple[str, ...] = ()


class Organization(_Frozen):
    feature_set: Literal["ALL", "CONSOLIDATED_BILLING"] = "ALL"
    enabled_policy_types: tuple[PolicyTypeName, ...] = (PolicyType.SCP.value,)
    management_account_id: str | None = None
    full_aws_access: FullAWSAccess = FullAWSAccess()

    @field_validator("management_account_id")
    @classmethod
    def _management(cls, v: str | None) -> str | None:
        if v is not None and not ACCOUNT_ID_RE.match(v):
            raise ValueError(f"{v!r} is not an account id (12 ASCII digits)")
        return v

    @model_validator(mode="after")
    def _policies_need_all_features(self) -> Organization:
        # EnablePolicyType: "requires that the organization has all features enabled"
        # (PolicyTypeNotAvailableForOrganizationException otherwise).
        if self.feature_set == "CONSOLIDATED_BILLING" and self.enabled_policy_types:
            raise ValueError("feature_set CONSOLIDATED_BILLING cannot enable policy types "
                             f"({', '.join(self.enabled_policy_types)}): AWS requires all "
                             "features for any policy; set feature_set: ALL, or "
                             "enabled_policy_types: [] with no policies")
        return self


class SentinelRef(_Frozen):
    """A request that must stay allowed at every OU and account (``lockout.sentinels``).
    ``${account}`` in ``resource``, ``principal`` or a context value is each checked
    account's id; ``principal`` defaults to the first governance role."""

    action: str = Field(min_length=3, pattern=r"^[A-Za-z0-9-]+:[A-Za-z0-9*?]+$")
    resource: str = "*"
    principal: str | None = None
    context: dict[str, str | list[str]] = Field(default_factory=dict)


class Lockout(_Frozen):
    sentinels: tuple[SentinelRef, ...] = ()


class Spec(_Frozen):
    organization: Organization = Organization()
    organizational_units: tuple[OrganizationalUnit, ...] = ()
    accounts: tuple[Account, ...] = ()
    policies: tuple[PolicyRef, ...] = ()
    parameters: dict[str, Any] = Field(default_factory=dict)
    quotas: dict[str, Any] = Field(default_factory=dict)
    lint: dict[str, Any] = Field(default_factory=dict)
    lockout: Lockout = Lockout()
    # Where the spec was read from; policy files resolve against its folder.
    source: Path | None = Field(default=None, exclude=True)

    # -- the OU tree -------------------------------------------------------------
    def walk_ous(self) -> Iterator[tuple[str, OrganizationalUnit]]:
        """Yield ``(path, ou)`` parents before children, e.g. ``("AI/Development", ou)``."""
        stack = [(ou.name, ou) for ou in reversed(self.organizational_units)]
        while stack:
            path, ou = stack.pop()
            yield path, ou
            stack.extend((f"{path}/{c.name}", c) for c in reversed(ou.children))

    def ou_paths(self) -> list[str]:
        return self.index.ou_paths()

    @cached_property
    def index(self) -> TargetIndex:
        """The spec's targets indexed once (``spec/targets.py``); cached on the frozen
        spec, so every layer resolves through one index."""
        return TargetIndex(self)

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> Spec:
        """A copy whose index is rebuilt on first use (the update may change targets)."""
        copied = super().model_copy(update=update, deep=deep)
        copied.__dict__.pop("index", None)
        return copied

    def account(self, ref: str) -> Account | None:
        return self.index.account(ref)

    def account_key(self, acct: Account) -> str:
        """``account:HANDLE``: the name, or the id when accounts of the spec share the
        name (AWS lets account names repeat; docs/contracts/accounts.md)."""
        return f"account:{self.index.handle(acct)}"

    def label(self, key: str) -> str:
        """A canonical key as a person reads it (``Sandbox (111122223333)``)."""
        return self.index.label(key)

    def policy(self, name: str) -> PolicyRef | None:
        return next((p for p in self.policies if p.name == name), None)

    def normalize_target(self, ref: str) -> str:
        """Return the canonical key of a target: ``Root``, an OU path, or
        ``account:HANDLE`` (the name, or the id of an account whose name repeats).

        Accepts ``Root``, ``Root/AI/...``, an OU path, an account name or 12-digit id.
        Raises ``KeyError`` for an unknown target, ``AmbiguousTarget`` (a ``KeyError``)
        for a name several accounts share.
        """
        return self.index.key(ref)

    def levels(self, target: str) -> list[str]:
        """Return the chain of levels from Root down to ``target`` (canonical keys).

        ``levels("ai-dev")`` -> ``["Root", "AI", "AI/Development", "account:ai-dev"]``.
        """
        return self.index.path(self.index.key(target))

    def targets(self) -> list[str]:
        """Every level of the organization: Root, each OU path, each ``account:HANDLE``."""
        return list(self.index.keys)

    def policies_at(self, target: str) -> list[PolicyRef]:
        """Policies of the spec attached directly at ``target`` (canonical key)."""
        return self.index.attached(target)

    def full_aws_access_at(self, target: str) -> bool:
        return self.index.full_aws_access_at(target)

    def policy_path(self, policy: PolicyRef) -> Path:
        base = self.source.parent if self.source else Path.cwd()
        return (base / policy.file).resolve()
