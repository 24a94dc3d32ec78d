"""An ``Inventory`` as spec data and policy files: what ``aigov import`` writes.

The output must plan zero changes against the organization it came from, so every value
is copied as the plan and drift compare it: OU paths, account names, policy names and
descriptions, attachments, and FullAWSAccess wherever it is missing. What the spec
cannot say (a policy type it does not manage, an account that is not ACTIVE, an OU
deeper than AWS's five levels, a name the spec's rules refuse) becomes a finding
(``codes/import.yaml``) and a comment in the spec, never a silent omission. Validity is
decided by the spec's own models, so import and ``load_spec`` cannot disagree.

No boto3 here: discovery reads, this module only transforms.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from aigov.findings import Finding, finding
from aigov.org.inventory import AccountInfo, Inventory, PolicyInfo
from aigov.policy.types import POLICY_TYPES, PolicyType
from aigov.spec.load import MAX_OU_DEPTH
from aigov.spec.model import ROOT, Account, OrganizationalUnit, PolicyRef

FULL_AWS_ACCESS = "FullAWSAccess"
SCP = PolicyType.SCP.value
# Where each policy type's files go (policies/ uses the same folders).
TYPE_DIRS = {"SERVICE_CONTROL_POLICY": "scp", "RESOURCE_CONTROL_POLICY": "rcp",
             "AISERVICES_OPT_OUT_POLICY": "ai-opt-out", "TAG_POLICY": "tag",
             "BEDROCK_POLICY": "bedrock", "BACKUP_POLICY": "backup"}
# IAM's customary key order (IAM User Guide, "IAM JSON policy element reference"); other
# keys (management policies' operators and service names) follow, sorted.
KEY_ORDER = ("Version", "Id", "Statement", "Sid", "Effect", "Principal", "NotPrincipal",
             "Action", "NotAction", "Resource", "NotResource", "Condition")
# A "{" that jinja2 would read as the start of a tag: "{{", "{%", "{#".
_JINJA_OPEN = re.compile(r"\{(?=[{%#])")


@dataclass(frozen=True)
class Export:
    """The spec as plain data, the policy files (relative path -> text), and what the
    spec could not hold (findings, each also a comment in ``spec_yaml``)."""

    spec: dict[str, Any]
    files: dict[str, str]
    findings: list[Finding] = field(default_factory=list)


# -- file names and contents ------------------------------------------------------------

def safe_stem(name: str) -> str:
    """A file stem from a policy name: ASCII letters, digits, ``-`` and ``_``, lower case.

    >>> safe_stem("Deny S3 / Public ACLs")
    'deny-s3-public-acls'
    >>> safe_stem("Zugriff für Prüfer")
    'zugriff-fur-prufer'
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^a-z0-9_]+", "-", ascii_name.lower()).strip("-_")
    return stem[:80] or "policy"


def policy_files(policies: Iterable[PolicyInfo]) -> dict[str, str]:
    """Policy id -> relative file path, one folder per type.

    Names that collide once made safe (``"Deny S3"`` and ``"deny-s3"``, or two names in
    scripts that have no ASCII letters) all get their policy id appended, so the choice
    does not depend on listing order and stays the same when other policies come and go.
    Comparison ignores case, for case-insensitive file systems.
    """
    groups: dict[tuple[str, str], list[PolicyInfo]] = {}
    for pol in policies:
        folder = TYPE_DIRS.get(pol.type, pol.type.lower())
        groups.setdefault((folder, safe_stem(pol.name)), []).append(pol)
    out: dict[str, str] = {}
    for (folder, stem), members in groups.items():
        for pol in members:
            suffix = f"-{pol.id.lower()}" if len(members) > 1 else ""
            out[pol.id] = f"{folder}/{stem}{suffix}.json"
    return out


def _ordered(value: Any) -> Any:
    if isinstance(value, dict):
        known = [k for k in KEY_ORDER if k in value]
        rest = sorted(k for k in value if k not in KEY_ORDER)
        return {k: _ordered(value[k]) for k in [*known, *rest]}
    if isinstance(value, list):
        return [_ordered(v) for v in value]
    return value


def template_text(content: str) -> str:
    """A live policy as a template the renderer turns back into the same document.

    Pretty JSON with IAM's key order. Every ``{`` that jinja2 would take for a tag is
    written as the JSON escape ``\\u007b``: still valid JSON, still the same string once
    parsed, and plain text to jinja2. Outside strings such a ``{`` cannot occur, since
    each object opens on its own line.

    >>> template_text('{"Sid": "{{x}}"}')
    '{\\n  "Sid": "\\\\u007b{x}}"\\n}\\n'
    """
    text = json.dumps(_ordered(json.loads(content)), indent=2, ensure_ascii=False)
    return _JINJA_OPEN.sub(r"\\u007b", text) + "\n"


# -- what the spec can hold -------------------------------------------------------------

def _valid(model: type, **values: Any) -> str | None:
    """None when the spec's own model accepts ``values``, else its first message."""
    try:
        model(**values)
    except ValidationError as err:
        return err.errors()[0]["msg"].removeprefix("Value error, ")
    return None


@dataclass
class _Tree:
    """The OUs and accounts the spec can name, by AWS id -> spec key (an account's key
    is its name, or its id where accounts share the name)."""

    keys: dict[str, str] = field(default_factory=dict)
    ous: list[dict[str, Any]] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    account_names: set[str] = field(default_factory=set)

    def order(self, key: str) -> tuple[int, str]:
        """Root first, then OU paths, then accounts."""
        return (0 if key == ROOT else 2 if key in self.account_names else 1, key)


def _build_tree(inv: Inventory, tags: dict[str, dict[str, str]]) -> _Tree:
    tree = _Tree(keys={inv.root_id or "": ROOT})
    children: dict[str, list] = {}
    for ou in inv.ous.values():
        children.setdefault(ou.parent_id, []).append(ou)

    def walk(parent_id: str, path: str, depth: int, out: list[dict[str, Any]]) -> None:
        for ou in sorted(children.get(parent_id, []), key=lambda o: (o.name, o.id)):
            full = f"{path}/{ou.name}" if path else ou.name
            problem = _valid(OrganizationalUnit, name=ou.name, tags=tags.get(ou.id, {}))
            if problem is None and depth > MAX_OU_DEPTH:
                problem = f"{depth} levels under Root; the spec allows {MAX_OU_DEPTH}"
            if problem is not None:
                _skip_subtree(inv, ou.id, full, problem, children, tree)
                continue
            node: dict[str, Any] = {"name": ou.name}
            if tags.get(ou.id):
                node["tags"] = dict(sorted(tags[ou.id].items()))
            tree.keys[ou.id] = full
            kids: list[dict[str, Any]] = []
            walk(ou.id, full, depth + 1, kids)
            if kids:
                node["children"] = kids
            out.append(node)

    walk(inv.root_id or "", "", 1, tree.ous)
    _place_accounts(inv, tags, tree)
    return tree


def _skip_subtree(inv: Inventory, ou_id: str, path: str, problem: str,
                  children: dict[str, list], tree: _Tree) -> None:
    tree.findings.append(finding("IMPORT_OU_NOT_EXPRESSIBLE", f"OU {path!r} ({ou_id}): "
                                 f"{problem}; it and everything under it are left out",
                                 key=path))
    tree.keys.setdefault(ou_id, "")  # known but not nameable
    for child in children.get(ou_id, []):
        _skip_subtree(inv, child.id, f"{path}/{child.name}", "its parent OU is left out",
                      children, tree)


def _place_accounts(inv: Inventory, tags: dict[str, dict[str, str]], tree: _Tree) -> None:
    """Every account the spec can hold, each with its id. AWS lets account names repeat
    (CreateAccount's AccountName has no uniqueness rule), so accounts sharing a name are
    all written, and targets name them by id (docs/contracts/accounts.md)."""
    ou_paths = {k for k in tree.keys.values() if k and k != ROOT}
    every = sorted(inv.accounts_by_id.values(),
                   key=lambda a: (tree.order(tree.keys.get(a.parent_id) or ""), a.name, a.id))
    placed: list[tuple[AccountInfo, str]] = []
    for acct in every:
        where = tree.keys.get(acct.parent_id)
        problem = _account_problem(acct, where, ou_paths, tags)
        if problem is not None:
            tree.findings.append(finding(problem[0], f"account {acct.name!r} ({acct.id}): "
                                         f"{problem[1]}", key=f"account:{acct.id}"))
            tree.keys.setdefault(acct.id, "")
            continue
        placed.append((acct, where or ROOT))
    counts = Counter(a.name for a, _ in placed)
    for acct, where in placed:
        key = acct.id if counts[acct.name] > 1 else acct.name  # the spec's handle
        tree.keys[acct.id] = key
        tree.account_names.add(key)
        entry: dict[str, Any] = {"name": acct.name, "id": acct.id, "email": acct.email,
                                 "ou": where}
        if tags.get(acct.id):
            entry["tags"] = dict(sorted(tags[acct.id].items()))
        tree.accounts.append(entry)


def _account_problem(acct: AccountInfo, where: str | None, ou_paths: set[str],
                     tags: dict[str, dict[str, str]]) -> tuple[str, str] | None:
    if acct.status != "ACTIVE":
        return ("IMPORT_ACCOUNT_NOT_ACTIVE", f"status {acct.status}; the spec describes "
                "active accounts only (a listed account that later disappears would be "
                "created again)")
    if not where:
        return ("IMPORT_ACCOUNT_NOT_EXPRESSIBLE", "its OU is left out")
    if acct.name in ou_paths:
        return ("IMPORT_ACCOUNT_NOT_EXPRESSIBLE", "its name is also an OU path, so a "
                "target naming it would be ambiguous")
    problem = _valid(Account, name=acct.name, email=acct.email, id=acct.id,
                     tags=tags.get(acct.id, {}))
    return ("IMPORT_ACCOUNT_NOT_EXPRESSIBLE", problem) if problem else None


# -- policies ---------------------------------------------------------------------------

def _policies(inv: Inventory, tree: _Tree, tags: dict[str, dict[str, str]]
              ) -> tuple[list[dict[str, Any]], dict[str, str], list[Finding]]:
    found: list[Finding] = []
    custom = sorted((p for p in inv.policies.values() if not p.aws_managed),
                    key=lambda p: (_type_rank(p.type), p.name, p.id))
    keep: list[PolicyInfo] = []
    names: dict[str, PolicyInfo] = {}
    for pol in custom:
        label = f"{pol.type} {pol.name!r} ({pol.id})"
        if pol.type not in POLICY_TYPES:
            found.append(finding("IMPORT_POLICY_TYPE_UNSUPPORTED", f"{label}: the spec does "
                                 f"not manage {pol.type} yet; attached to "
                                 f"{_describe_targets(inv, pol.targets)}", key=pol.name))
            continue
        if pol.name in names:
            found.append(finding("IMPORT_POLICY_NOT_EXPRESSIBLE", f"{label}: the "
                                 f"{names[pol.name].type} {pol.name!r} has the same name, "
                                 "and the spec names policies uniquely", key=pol.name))
            continue
        problem = _valid(PolicyRef, name=pol.name, type=pol.type, file="x",
                         description=pol.description)
        if problem is None:
            problem = _json_problem(pol.content)
        if problem is not None:
            found.append(finding("IMPORT_POLICY_NOT_EXPRESSIBLE", f"{label}: {problem}",
                                 key=pol.name))
            continue
        names[pol.name] = pol
        keep.append(pol)
    paths = policy_files(keep)
    files: dict[str, str] = {}
    entries: list[dict[str, Any]] = []
    for pol in keep:
        files[paths[pol.id]] = template_text(pol.content)
        entry: dict[str, Any] = {"name": pol.name, "type": pol.type, "file": paths[pol.id]}
        if pol.description:
            entry["description"] = pol.description
        entry["targets"] = _targets(inv, tree, pol, found)
        entries.append(entry)
        if tags.get(pol.id):
            found.append(finding("IMPORT_TAGS_NOT_EXPRESSIBLE", f"policy {pol.name!r} "
                                 f"({pol.id}) has tags {tags[pol.id]}; the spec has no "
                                 "place for policy tags", key=pol.name))
    return entries, files, found


def _type_rank(ptype: str) -> int:
    return POLICY_TYPES.index(ptype) if ptype in POLICY_TYPES else len(POLICY_TYPES)


def _json_problem(content: str) -> str | None:
    try:
        json.loads(content)
    except ValueError as exc:
        return f"its content is not JSON ({exc})"
    return None


def _targets(inv: Inventory, tree: _Tree, pol: PolicyInfo, found: list[Finding]) -> list[str]:
    """The spec keys a policy is attached to; an attachment to a target the spec cannot
    name is an error finding: the plan would detach it."""
    keys: list[str] = []
    for tid in sorted(pol.targets):
        key = tree.keys.get(tid)
        if key:
            keys.append(key)
        else:
            found.append(finding("IMPORT_ATTACHMENT_NOT_EXPRESSIBLE", f"{pol.type} "
                                 f"{pol.name!r} is attached to {tid}, which the spec cannot "
                                 "name; `aigov plan` with this spec would detach it",
                                 key=pol.name))
    return sorted(keys, key=tree.order)


def _describe_targets(inv: Inventory, targets: Iterable[str]) -> str:
    keys = sorted(inv.key_of(t) or t for t in targets)
    return ", ".join(keys) if keys else "nothing"


def _detach_from(inv: Inventory, tree: _Tree) -> list[str]:
    """Every level the spec names where FullAWSAccess is not attached."""
    full = inv.policies.get((SCP, FULL_AWS_ACCESS))
    if SCP not in inv.enabled_policy_types or full is None:
        return []
    return sorted((key for tid, key in tree.keys.items() if key and tid not in full.targets),
                  key=tree.order)


# -- the whole export -------------------------------------------------------------------

def export_inventory(inv: Inventory, tags: dict[str, dict[str, str]] | None = None) -> Export:
    """The spec data, policy files and findings for a discovered organization.

    ``tags``: resource id -> tags (``discover_tags``); OUs and accounts keep theirs.
    """
    tags = tags or {}
    tree = _build_tree(inv, tags)
    found = list(tree.findings)
    enabled = [t for t in POLICY_TYPES if t in inv.enabled_policy_types]
    for ptype in sorted(inv.enabled_policy_types - set(POLICY_TYPES)):
        found.append(finding("IMPORT_POLICY_TYPE_UNSUPPORTED", f"policy type {ptype} is "
                             "enabled; the spec does not manage it yet", key=ptype))
    if tags.get(inv.root_id or ""):
        found.append(finding("IMPORT_TAGS_NOT_EXPRESSIBLE", f"the root has tags "
                             f"{tags[inv.root_id or '']}; the spec has no place for them",
                             key=ROOT))
    policies, files, policy_found = _policies(inv, tree, tags)
    found.extend(policy_found)
    organization: dict[str, Any] = {"feature_set": inv.feature_set or "ALL",
                                    "enabled_policy_types": enabled,
                                    "management_account_id": inv.management_account_id}
    detach = _detach_from(inv, tree)
    if detach:
        organization["full_aws_access"] = {"detach_from": detach}
    spec = {"organization": organization, "organizational_units": tree.ous,
            "accounts": tree.accounts, "policies": policies}
    return Export(spec, files, found)
