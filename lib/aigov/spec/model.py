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

from pydantic import BaseModel, ConfigDict, Field, field_validator

from aigov.policy.types import PolicyType, PolicyTypeName
from aigov.spec.targets import ROOT, TargetIndex

# AWS Organizations API reference, CreateAccount.Email: 6-64 characters, a valid address.
EMAIL_RE = re.compile(r"^[^\s@]+@[^\s@]+\.[A-Za-z]{2,}$")
# CreateOrganizationalUnit.Name: 1-128 characters (\s\S pattern; we reject "/", our path
# separator, which AWS allows but would make paths ambiguous).
OU_NAME_RE = re.compile(r"^[^/]{1,128}$")
ACCOUNT_ID_RE = re.compile(r"^\d{12}$")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OrganizationalUnit(_Frozen):
    name: str
    children: tuple[OrganizationalUnit, ...] = ()
    tags: dict[str, str] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not OU_NAME_RE.match(v) or v.strip() != v or v == ROOT:
            raise ValueError("an OU name is 1-128 characters, without '/', surrounding "
                             "spaces, and not 'Root'")
        return v


class Account(_Frozen):
    name: str = Field(min_length=1, max_length=50)
    email: str
    ou: str = ROOT
    id: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        if not (6 <= len(v) <= 64) or not EMAIL_RE.match(v):
            raise ValueError(f"{v!r} is not a valid email address (6-64 characters, "
                             "name@domain.tld)")
        return v

    @field_validator("id")
    @classmethod
    def _id(cls, v: str | None) -> str | None:
        if v is not None and not ACCOUNT_ID_RE.match(v):
            raise ValueError("an account id is 12 digits")
        return v


class PolicyRef(_Frozen):
    """One policy of the spec: a template file under ``policies/`` and where it attaches."""

    name: str = Field(min_length=1, max_length=128)
    type: PolicyTypeName
    file: str
    description: str = ""
    targets: tuple[str, ...] = ()
    parameters: dict[str, Any] = Field(default_factory=dict)


class FullAWSAccess(_Frozen):
    """AWS attaches the managed FullAWSAccess SCP to every root, OU and account when SCPs
    are enabled; the spec only says where it is taken away."""

    detach_from: tuple[str, ...] = ()


class Organization(_Frozen):
    feature_set: Literal["ALL", "CONSOLIDATED_BILLING"] = "ALL"
    enabled_policy_types: tuple[PolicyTypeName, ...] = (PolicyType.SCP.value,)
    management_account_id: str | None = None
    full_aws_access: FullAWSAccess = FullAWSAccess()


class Spec(_Frozen):
    organization: Organization = Organization()
    organizational_units: tuple[OrganizationalUnit, ...] = ()
    accounts: tuple[Account, ...] = ()
    policies: tuple[PolicyRef, ...] = ()
    parameters: dict[str, Any] = Field(default_factory=dict)
    quotas: dict[str, Any] = Field(default_factory=dict)
    lint: dict[str, Any] = Field(default_factory=dict)
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

    def policy(self, name: str) -> PolicyRef | None:
        return next((p for p in self.policies if p.name == name), None)

    def normalize_target(self, ref: str) -> str:
        """Return the canonical key of a target: ``Root``, an OU path, or ``account:NAME``.

        Accepts ``Root``, ``Root/AI/...``, an OU path, an account name or 12-digit id.
        Raises ``KeyError`` for an unknown target.
        """
        return self.index.key(ref)

    def levels(self, target: str) -> list[str]:
        """Return the chain of levels from Root down to ``target`` (canonical keys).

        ``levels("ai-dev")`` -> ``["Root", "AI", "AI/Development", "account:ai-dev"]``.
        """
        return self.index.path(self.index.key(target))

    def targets(self) -> list[str]:
        """Every level of the organization: Root, each OU path, each ``account:NAME``."""
        return list(self.index.keys)

    def policies_at(self, target: str) -> list[PolicyRef]:
        """Policies of the spec attached directly at ``target`` (canonical key)."""
        return self.index.attached(target)

    def full_aws_access_at(self, target: str) -> bool:
        return self.index.full_aws_access_at(target)

    def policy_path(self, policy: PolicyRef) -> Path:
        base = self.source.parent if self.source else Path.cwd()
        return (base / policy.file).resolve()
