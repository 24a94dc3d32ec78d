"""Read ``organization.yaml`` into a ``Spec``, or report every problem with its line.

moto accepts duplicate OU names, deep trees and unknown emails; AWS does not. Every rule
AWS would enforce at apply time is checked here, before any call, so a bad spec exits 2
with nothing changed in the organization.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from aigov.errors import InputError, SpecError
from aigov.findings import Finding, finding
from aigov.inputs import compose_yaml, read_text, yaml_error
from aigov.paths import default_spec, resolve
from aigov.spec import aws_rules
from aigov.spec.model import ROOT, Spec
from aigov.spec.targets import AmbiguousTarget

# AWS Organizations quotas: "OU maximum nesting in a root: five levels deep".
# https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
MAX_OU_DEPTH = 5

Loc = tuple[Any, ...]


# libyaml's safe loader when PyYAML was built with it (about ten times faster), for
# re-reading a spec that already passed the strict loader (lint's line lookups). The
# first read goes through ``aigov.inputs``, whose composer bounds depth and aliases.
SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_with_lines(text: str, file: str) -> tuple[Any, dict[Loc, int]]:
    """Strict YAML (``aigov.inputs``) and the line of every mapping key and list item."""
    lines: dict[Loc, int] = {}
    node = compose_yaml(text, file)
    if node is None:
        return None, lines

    def walk(n: yaml.Node, loc: Loc) -> None:
        lines.setdefault(loc, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                key = k.value
                lines[(*loc, key)] = k.start_mark.line + 1
                walk(v, (*loc, key))
        elif isinstance(n, yaml.SequenceNode):
            for i, v in enumerate(n.value):
                lines[(*loc, i)] = v.start_mark.line + 1
                walk(v, (*loc, i))

    walk(node, ())
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node), lines
    finally:
        loader.dispose()


# InputError.kind -> the spec's finding code.
INPUT_CODES = {"too_large": "SPEC_TOO_LARGE", "not_utf8": "SPEC_NOT_UTF8",
               "duplicate_key": "SPEC_DUPLICATE_KEY", "complex_key": "SPEC_COMPLEX_KEY",
               "aliases": "SPEC_ALIAS_EXPANSION", "too_deep": "SPEC_TOO_DEEP",
               "syntax": "SPEC_YAML_SYNTAX"}


def input_finding(exc: InputError) -> Finding:
    """A refused input file as a spec finding (its own fix, line and column)."""
    return finding(INPUT_CODES.get(exc.kind, "SPEC_UNREADABLE"), exc.message,
                   file=exc.file or "", fix=exc.fix, line=exc.line, column=exc.column)


def _line(lines: dict[Loc, int], loc: Loc) -> int | None:
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


def _key(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _pydantic_findings(err: ValidationError, file: str, lines: dict[Loc, int],
                       data: Any) -> Iterator[Finding]:
    for e in err.errors():
        # pydantic puts the failing union/literal tag in loc; keep only real keys.
        loc = tuple(p for p in e["loc"] if isinstance(p, int) or not str(p).startswith("function-"))
        kind = e["type"]
        if kind == "extra_forbidden":
            code, msg = "SPEC_UNKNOWN_KEY", f"unknown key {loc[-1]!r} at {_key(loc[:-1]) or 'top level'}"
        elif kind == "missing":
            code, msg = "SPEC_MISSING_KEY", f"missing required key {_key(loc)!r}"
        elif kind == "literal_error" and loc and loc[-1] == "type" or (
                len(loc) >= 2 and loc[-2] == "enabled_policy_types"):
            code, msg = "SPEC_UNKNOWN_POLICY_TYPE", f"{_key(loc)}: {e['msg']}"
        elif kind == "value_error" and loc and loc[-1] == "email":
            code, msg = "SPEC_INVALID_EMAIL", f"{_key(loc)}: {e['msg'].removeprefix('Value error, ')}"
        elif kind == "value_error":
            code, msg = "SPEC_INVALID_VALUE", f"{_key(loc)}: {e['msg'].removeprefix('Value error, ')}"
        else:
            code, msg = "SPEC_WRONG_TYPE", f"{_key(loc)}: {e['msg']} (got {e.get('input')!r})"
        yield finding(code, msg, file=file, line=_line(lines, loc), key=_key(loc) or None)


def _cross_findings(spec: Spec, file: str, lines: dict[Loc, int]) -> Iterator[Finding]:
    """The rules that span several keys: names, depth, references, files."""

    def ou_checks(ous: Any, loc: Loc, depth: int, path: str) -> Iterator[Finding]:
        seen: dict[str, int] = {}
        for i, ou in enumerate(ous):
            here = (*loc, i)
            full = f"{path}/{ou.name}" if path else ou.name
            if ou.name in seen:
                yield finding("SPEC_DUPLICATE_OU", f"OU {ou.name!r} appears twice under "
                              f"{path or ROOT} (AWS requires unique OU names per parent)",
                              file=file, line=_line(lines, (*here, "name")),
                              key=_key((*here, "name")))
            seen[ou.name] = i
            if depth > MAX_OU_DEPTH:
                yield finding("SPEC_OU_TOO_DEEP", f"OU {full!r} is {depth} levels under Root; "
                              f"AWS allows at most {MAX_OU_DEPTH}", file=file,
                              line=_line(lines, here), key=_key(here))
            yield from ou_checks(ou.children, (*here, "children"), depth + 1, full)

    yield from ou_checks(spec.organizational_units, ("organizational_units",), 1, "")
    count = len(spec.ou_paths())
    if count > aws_rules.MAX_OUS:
        yield finding("SPEC_TOO_MANY_OUS", f"the spec has {count:,} OUs; AWS allows "
                      f"{aws_rules.MAX_OUS:,} in an organization", file=file,
                      line=_line(lines, ("organizational_units",)), key="organizational_units")
    yield from _section_findings(spec, file, lines)

    ou_paths = set(spec.ou_paths())
    # AWS lets account names repeat (CreateAccount's AccountName has no uniqueness
    # rule) but not emails or ids: a repeated name is allowed when every account holding
    # it has an id, which is then how targets name it (docs/contracts/accounts.md).
    names: dict[str, int] = {}
    emails: dict[str, int] = {}
    ids: dict[str, int] = {}
    holders: dict[str, list[Any]] = {}
    for acct in spec.accounts:
        holders.setdefault(acct.name, []).append(acct)
    pinned = {n for n, accts in holders.items() if len(accts) > 1 and all(a.id for a in accts)}
    for i, acct in enumerate(spec.accounts):
        loc = ("accounts", i)
        ou = acct.ou.strip("/").removeprefix(ROOT).strip("/")
        if ou and ou not in ou_paths:
            yield finding("SPEC_UNKNOWN_OU", f"account {acct.name!r} is placed in unknown OU "
                          f"{acct.ou!r}; known OUs: {', '.join(sorted(ou_paths)) or 'none'}",
                          file=file, line=_line(lines, (*loc, "ou")), key=_key((*loc, "ou")))
        if acct.name in ou_paths:
            yield finding("SPEC_AMBIGUOUS_NAME", f"account name {acct.name!r} is also an OU "
                          "path, so a target naming it is ambiguous", file=file,
                          line=_line(lines, (*loc, "name")), key=_key((*loc, "name")))
        name = None if acct.name in pinned else acct.name
        for value, seen, what in ((name, names, "name"), (acct.email.lower(), emails, "email"),
                                  (acct.id, ids, "id")):
            if value is None:
                continue
            if value in seen:
                fix = ("give every account that shares the name its `id` (AWS lets names "
                       "repeat; the id tells them apart)") if what == "name" else None
                yield finding("SPEC_DUPLICATE_ACCOUNT", f"account {what} {value!r} is used by "
                              f"accounts[{seen[value]}] and accounts[{i}]", file=file,
                              line=_line(lines, (*loc, what)), key=_key((*loc, what)), fix=fix)
            seen.setdefault(value, i)

    pnames: dict[str, int] = {}
    for i, pol in enumerate(spec.policies):
        loc = ("policies", i)
        if pol.name in pnames:
            yield finding("SPEC_DUPLICATE_POLICY", f"policy name {pol.name!r} is used twice",
                          file=file, line=_line(lines, (*loc, "name")), key=_key((*loc, "name")))
        pnames.setdefault(pol.name, i)
        if pol.type not in spec.organization.enabled_policy_types:
            yield finding("SPEC_POLICY_TYPE_DISABLED", f"policy {pol.name!r} is a {pol.type} but "
                          "organization.enabled_policy_types does not enable it", file=file,
                          line=_line(lines, (*loc, "type")), key=_key((*loc, "type")))
        root = (spec.source.parent if spec.source else Path.cwd()).resolve()
        if not spec.policy_path(pol).is_relative_to(root):
            yield finding("SPEC_POLICY_FILE_OUTSIDE", f"policy {pol.name!r}: file {pol.file!r} "
                          f"resolves to {spec.policy_path(pol)}, outside the spec's folder "
                          f"{root}", file=file, line=_line(lines, (*loc, "file")),
                          key=_key((*loc, "file")))
        elif not spec.policy_path(pol).is_file():
            yield finding("SPEC_POLICY_FILE_MISSING", f"policy {pol.name!r}: file {pol.file!r} "
                          f"does not exist (looked at {spec.policy_path(pol)})", file=file,
                          line=_line(lines, (*loc, "file")), key=_key((*loc, "file")))
        for j, target in enumerate(pol.targets):
            yield from _target_findings(spec, target, f"policy {pol.name!r} targets",
                                        file, lines, (*loc, "targets", j))
    for j, target in enumerate(spec.organization.full_aws_access.detach_from):
        loc = ("organization", "full_aws_access", "detach_from", j)
        yield from _target_findings(spec, target, "full_aws_access.detach_from names",
                                    file, lines, loc)


def _target_findings(spec: Spec, target: str, what: str, file: str,
                     lines: dict[Loc, int], loc: Loc) -> Iterator[Finding]:
    """An unknown target, or one naming an account by a name several accounts share."""
    try:
        spec.normalize_target(target)
    except AmbiguousTarget as exc:
        yield finding("SPEC_AMBIGUOUS_TARGET", f"{what} {target!r}, the name of "
                      f"{len(exc.ids)} accounts ({', '.join(exc.ids)})", file=file,
                      line=_line(lines, loc), key=_key(loc),
                      fix=f"use the account id: one of {', '.join(exc.ids)}")
    except KeyError:
        yield finding("SPEC_UNKNOWN_TARGET", f"{what} {target!r}, which is neither Root, an "
                      "OU path nor an account of the spec", file=file,
                      line=_line(lines, loc), key=_key(loc))


def _section_findings(spec: Spec, file: str, lines: dict[Loc, int]) -> Iterator[Finding]:
    """Unknown keys under ``quotas:`` and ``lint:``, with a did-you-mean (a typo there
    would otherwise change nothing, without a word)."""
    from aigov.policy.quota_table import known_quota_keys

    known = {"quotas": known_quota_keys(), "lint": {"severity": set(), "ignore": set()}}
    for section, allowed in known.items():
        value = getattr(spec, section)
        for key, sub in value.items():
            loc: Loc = (section, key)
            if key not in allowed:
                yield _unknown(section, key, allowed, file, _line(lines, loc))
            elif isinstance(sub, dict) and allowed[key]:
                for field in sub:
                    if field not in allowed[key]:
                        yield _unknown(f"{section}.{key}", field, allowed[key], file,
                                       _line(lines, (*loc, field)))


def _unknown(where: str, key: Any, allowed: Any, file: str, line: int | None) -> Finding:
    close = difflib.get_close_matches(str(key), [str(a) for a in allowed], n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return finding("SPEC_UNKNOWN_KEY", f"unknown key {key!r} at {where}", file=file,
                   line=line, key=f"{where}.{key}",
                   fix=f"{hint}known keys: {', '.join(sorted(map(str, allowed)))}")


def validate_spec(path: str | Path | None = None) -> tuple[Spec | None, list[Finding]]:
    """Load and check a spec; return ``(spec or None, findings)``. Never raises for bad input."""
    p = resolve(path) if path else default_spec()
    file = str(p)
    try:
        text = read_text(p, "spec")
        data, lines = _load_with_lines(text, file)
    except OSError as exc:
        return None, [finding("SPEC_UNREADABLE", f"cannot read the spec: {exc.strerror}",
                              file=file)]
    except yaml.YAMLError as exc:
        return None, [input_finding(yaml_error(exc, file))]
    except InputError as exc:
        return None, [input_finding(exc)]
    if not isinstance(data, dict):
        return None, [finding("SPEC_WRONG_TYPE", "the spec must be a YAML mapping with keys "
                              "organization, organizational_units, accounts, policies",
                              file=file, line=1)]
    try:
        spec = Spec.model_validate({**data, "source": p})
    except ValidationError as err:
        return None, list(_pydantic_findings(err, file, lines, data))
    found = list(_cross_findings(spec, file, lines))
    return (None if found else spec), found


def load_spec(path: str | Path | None = None) -> Spec:
    """Return the valid ``Spec`` at ``path`` or raise ``SpecError`` listing every problem."""
    spec, found = validate_spec(path)
    if spec is None:
        raise SpecError("invalid spec, nothing was changed:\n"
                        + "\n".join("  " + f.render() for f in found), findings=found)
    return spec
