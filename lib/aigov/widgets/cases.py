"""Policy-test cases recorded from the playground, appended to a ``policies/tests`` file.

What a team agreed on in an onboarding session becomes a test that guards it: the case is
appended as text (comments and earlier cases kept as written), then the file is read
back with the policy-tests loader, so a file that would not load is never left behind.
A request the file already holds is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from aigov.errors import SpecError, UsageError
from aigov.policy.simulate import load_cases


def append_case(path: Path, case: dict[str, Any]) -> None:
    """Append one case to ``path`` as text, then read the file back with the policy-tests
    loader, so a file that would not load is never left behind."""
    before = path.read_text(encoding="utf-8") if path.is_file() else None
    if before is not None and before.strip():
        same = _same_request(case)
        for old in load_cases(path):
            if same(old):
                raise UsageError(f"{path.name} already has this request as case "
                                 f"{old.name!r}", file=str(path),
                                 fix="change the request, or keep the existing case")
    item = yaml.safe_dump([case], sort_keys=False, default_flow_style=None, width=1000)
    if before is None or not before.strip():
        text = "# Cases recorded in onboarding sessions (aigov lab, the policy playground).\n" \
               "cases:\n"
        indent = "  "
    else:
        indent = _items_indent(path, before)
        text = before if before.endswith("\n") else before + "\n"
    text += "".join(indent + line + "\n" for line in item.splitlines())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    try:
        load_cases(path)
    except SpecError:
        if before is None:
            path.unlink()
        else:
            path.write_text(before, encoding="utf-8")
        raise


def _same_request(case: dict[str, Any]) -> Any:
    """A predicate: does a loaded ``Case`` ask the same request as ``case``?"""
    def norm(ctx: Mapping[str, Any]) -> dict[str, Any]:
        return {k.lower(): sorted(v) if isinstance(v, list | tuple) else v
                for k, v in ctx.items()}
    want = (case["target"], case["action"].lower(), case["resource"], norm(case["context"]),
            case.get("principal"))

    def same(old: Any) -> bool:
        return (old.target, old.action.lower(), old.resource, norm(old.context),
                old.principal) == want
    return same


def _items_indent(path: Path, text: str) -> str:
    """The indentation of the ``cases:`` items, which must be the file's last key."""
    node = yaml.compose(text)
    value = None
    if isinstance(node, yaml.MappingNode) and node.value:
        key, value = node.value[-1]
        if key.value != "cases":
            value = None
    if not isinstance(value, yaml.SequenceNode) or value.flow_style:
        raise SpecError("cannot append: the file's last key is not a block list `cases:`",
                        file=str(path), fix="move `cases:` to the end, or choose another file")
    return " " * (value.value[0].start_mark.column - 2 if value.value else 2)
