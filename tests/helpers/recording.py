"""Read the emulator's state file (``organizations.jsonl``): which writes it served.

While an emulator with a state folder runs, every Organizations write that succeeded is
appended to that file (``aigov.target.state``), reads never are. Lines appended between
two points of one session are the writes served in between; when the emulator stops
after a session that wrote, the file is compacted, so count lines within one session.
What a client *sent* (reads included) is counted on the client: ``aigov.target.calls``.
"""

from __future__ import annotations

import json
from pathlib import Path

from aigov.target.state import STATE_FILE


def line_count(state_dir: Path) -> int:
    path = state_dir / STATE_FILE
    return len(path.read_text().splitlines()) if path.is_file() else 0


def writes(state_dir: Path, start: int = 0, end: int | None = None) -> list[str]:
    """The operations on lines ``start`` to ``end`` (excluded), in order."""
    path = state_dir / STATE_FILE
    lines = path.read_text().splitlines() if path.is_file() else []
    return [json.loads(line)["op"] for line in lines[start:end]]
