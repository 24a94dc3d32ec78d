"""Mask credentials before anything reaches a run record.

Run records are handed to auditors and kept for years; a secret in one is a leak. Every
text written under a run folder goes through ``Redactor.text``: AWS access key ids, the
values of credential environment variables (secret keys, session tokens, the Pulumi
passphrase) and anything listed in ``AIGOV_REDACT`` (comma-separated values) or the
profile's ``redact:`` list are replaced by ``***REDACTED***``.

A secret rarely reaches a file as typed: papermill writes a parameter into the injected
cell as a Python string literal, the notebook file stores that cell as JSON, the HTML
copy escapes ``&`` and quotes. ``Redactor.text`` therefore masks each secret in every
form those layers (and two of them stacked) give it. ``redact_tree`` passes every file
of a run folder through it before the manifest is sealed, so a file a notebook wrote by
itself, or one an interrupted run left half-written, is covered too.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from aigov.runbook.files import Refused, walk
from aigov.target.emulator import EMULATOR_KEY

MASK = "***REDACTED***"
# Access key ids: AKIA (long-term) and ASIA (temporary), 16 more upper-case alnum chars.
ACCESS_KEY_RE = re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{16}\b")
# A secret access key is 40 base64-ish characters; only masked after a telling name.
SECRET_ASSIGN_RE = re.compile(
    r"(?i)(aws_secret_access_key|aws_session_token|secret_access_key|session_token|"
    r"pulumi_config_passphrase|passphrase|password)(\W{1,4})([A-Za-z0-9/+=._-]{8,})")
SECRET_ENV = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
              "AWS_ACCESS_KEY_ID", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_ACCESS_TOKEN")
# Values too short or too common to mask without mangling ordinary text.
_MIN_SECRET_LEN = 6
_HARMLESS = {EMULATOR_KEY, "test", "dummy"}
# A prefix this long of a secret, cut off by "..." in a display, is masked too.
_MIN_TRUNCATED = 6


def _passphrase_files() -> set[str]:
    """Pulumi passphrases kept in files: ``PULUMI_CONFIG_PASSPHRASE_FILE`` and the one
    aigov generates under ``outputs/pulumi/`` (deploy/pulumi_driver.py)."""
    from aigov.paths import outputs_dir

    paths = [outputs_dir() / "pulumi" / "passphrase"]
    if os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE"):
        paths.append(Path(os.environ["PULUMI_CONFIG_PASSPHRASE_FILE"]))
    out = set()
    for path in paths:
        try:
            out.add(path.read_text(encoding="utf-8").strip())
        except OSError:
            continue
    return out


def _escapes() -> tuple[Callable[[str], str], ...]:
    return (lambda v: json.dumps(v)[1:-1],                        # JSON, ASCII only
            lambda v: json.dumps(v, ensure_ascii=False)[1:-1],    # JSON as nbformat writes
            lambda v: v.encode("unicode_escape").decode("ascii").replace('"', '\\"'),
            # ^ papermill's parameter literal (Translator.translate_escaped_str)
            lambda v: repr(v)[1:-1],                              # Python repr
            lambda v: html.escape(v, quote=True),                 # HTML text
            lambda v: html.escape(v, quote=False))


def forms(secret: str, depth: int = 2) -> set[str]:
    """``secret`` as it may appear after up to ``depth`` layers of escaping.

    >>> sorted(forms('a"b', 1))
    ['a"b', 'a&quot;b', 'a\\\\"b']
    """
    out, layer = {secret}, {secret}
    for _ in range(depth):
        layer = {esc(v) for v in layer for esc in _escapes()} - out
        out |= layer
    return out


@dataclass
class Redactor:
    secrets: set[str] = field(default_factory=set)

    @classmethod
    def from_environment(cls, extra: Iterable[str] = ()) -> Redactor:
        values = {os.environ.get(name, "") for name in SECRET_ENV}
        values.update(v.strip() for v in os.environ.get("AIGOV_REDACT", "").split(","))
        values.update(extra)
        values.update(_passphrase_files())
        return cls({v for v in values if len(v) >= _MIN_SECRET_LEN and v not in _HARMLESS})

    @cached_property
    def _all_forms(self) -> list[str]:
        found = {f for secret in self.secrets for f in forms(secret)}
        return sorted((f for f in found if len(f) >= _MIN_SECRET_LEN), key=len, reverse=True)

    @cached_property
    def _truncated_re(self) -> re.Pattern[str] | None:
        """A secret cut short by a display (pandas shows 50 characters, then ``...``):
        its first ``_MIN_TRUNCATED`` or more characters followed by an ellipsis."""
        alts = []
        for secret in sorted(self.secrets, key=len, reverse=True):
            if len(secret) <= _MIN_TRUNCATED:
                continue
            tail = "".join(f"(?:{re.escape(c)}" for c in secret[_MIN_TRUNCATED:-1])
            alts.append(re.escape(secret[:_MIN_TRUNCATED]) + tail
                        + ")?" * (len(secret) - _MIN_TRUNCATED - 1))
        if not alts:
            return None
        return re.compile("(?:" + "|".join(alts) + r")(?=\.\.\.|…)")

    def text(self, s: str) -> str:
        for secret in self._all_forms:
            s = s.replace(secret, MASK)
        if self._truncated_re is not None:
            s = self._truncated_re.sub(MASK, s)
        s = ACCESS_KEY_RE.sub(MASK, s)
        return SECRET_ASSIGN_RE.sub(lambda m: m.group(1) + m.group(2) + MASK, s)

    def data(self, b: bytes) -> bytes:
        """``text`` for bytes that are not UTF-8 text: each known form, byte for byte."""
        for secret in self._all_forms:
            b = b.replace(secret.encode("utf-8"), MASK.encode())
        return ACCESS_KEY_RE.sub(MASK, b.decode("latin-1")).encode("latin-1")

    def value(self, v: object) -> object:
        """Redact strings inside JSON-like values (dicts, lists)."""
        if isinstance(v, str):
            return self.text(v)
        if isinstance(v, dict):
            return {k: self.value(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [self.value(x) for x in v]
        return v


@dataclass
class TreeReport:
    changed: list[Path] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)


def redact_tree(root: Path, redactor: Redactor) -> TreeReport:
    """Redact every regular file under ``root`` in place, never following a link.

    Links and special files are reported as refused and left alone (runbook/files.py).
    A file that is not UTF-8 text has the UTF-8 bytes of each secret's forms masked.
    """
    report = TreeReport()
    files, report.refused = walk(root, skip_seals=False)
    for rel in files:
        path = root / rel
        before = path.read_bytes()
        try:
            after = redactor.text(before.decode("utf-8")).encode("utf-8")
        except UnicodeDecodeError:
            after = redactor.data(before)
        if after != before:
            path.write_bytes(after)
            report.changed.append(path)
    return report
