"""Read moto's request recording (``moto-recording.jsonl``): which AWS actions were called.

Used to prove a command or a run made read calls only. The action is the
``X-Amz-Target`` header's last part (JSON protocols: Organizations) or the ``Action``
form field (query protocols: STS).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import parse_qs

from aigov.target.emulator import RECORDING

READ_PREFIXES = ("Describe", "List", "Get")


def line_count(state_dir: Path) -> int:
    path = state_dir / RECORDING
    return len(path.read_text().splitlines()) if path.is_file() else 0


def actions(state_dir: Path, start: int = 0, end: int | None = None) -> list[str]:
    """The AWS actions recorded on lines ``start`` to ``end`` (excluded), in order."""
    out = []
    for line in (state_dir / RECORDING).read_text().splitlines()[start:end]:
        entry = json.loads(line)
        if "/moto-api/" in entry.get("url", ""):
            continue
        headers = {k.lower(): v for k, v in entry.get("headers", {}).items()}
        target = headers.get("x-amz-target")
        if target:
            out.append(target.rpartition(".")[2])
            continue
        body = entry.get("body") or ""
        if entry.get("body_encoded"):
            body = base64.b64decode(body).decode("utf-8", "replace")
        out.append(parse_qs(body).get("Action", ["<unknown>"])[0])
    return out


def writes(state_dir: Path, start: int = 0, end: int | None = None) -> list[str]:
    """Recorded actions that are not reads (Describe*, List*, Get*)."""
    return [a for a in actions(state_dir, start, end) if not a.startswith(READ_PREFIXES)]
