"""Mask credentials before anything reaches a run record.

Run records are handed to auditors and kept for years; a secret in one is a leak. The
secrets are: the values of the credential environment variables (secret keys, session
tokens, the Pulumi passphrase), the credentials every boto3 session of the run resolved
(profile, SSO cache, assumed role, container or instance provider: see
``aigov/target/seen.py``), every value of ``AIGOV_REDACT`` (comma-separated) and of the
profile's ``redact:`` list, plus AWS access key ids by their shape.

``Redactor.text`` masks each secret in every spelling a record can carry it
(runbook/encodings.py: escaped, percent-encoded, base64 at every alignment, hex, any
case, wrapped over lines or split by ANSI colour codes) with ``***REDACTED***``.
``scrub_tree`` passes every file of a folder through it, never following a link; a file
that is not text (compressed, UTF-16, binary other than an image) cannot be checked, so
it is refused: removed and named, and the run that wrote it fails (fail closed).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from aigov.runbook.encodings import View, forms, mask_spans, needle
from aigov.runbook.files import Refused, walk
from aigov.target.emulator import EMULATOR_KEY

__all__ = ["MASK", "Redactor", "forms", "redact_tree", "scrub_tree", "stamp"]

MASK = "***REDACTED***"
# Access key ids: AKIA (long-term) and ASIA (temporary), 16 more upper-case alnum chars.
ACCESS_KEY_RE = re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{16}\b")
# A secret access key is 40 base64-ish characters; only masked after a telling name.
SECRET_ASSIGN_RE = re.compile(
    r"(?i)(aws_secret_access_key|aws_session_token|secret_access_key|session_token|"
    r"pulumi_config_passphrase|passphrase|password)(\W{1,4})([A-Za-z0-9/+=._-]{8,})")
SECRET_ENV = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
              "AWS_ACCESS_KEY_ID", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
              "AWS_BEARER_TOKEN_BEDROCK", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_ACCESS_TOKEN")
# Values too short or too common to mask without mangling ordinary text.
_MIN_SECRET_LEN = 6
_HARMLESS = {EMULATOR_KEY, "test", "dummy"}
# A prefix this long of a secret, cut off by "..." in a display, is masked too.
_MIN_TRUNCATED = 6
# Binary files a run may legitimately draw (matplotlib's savefig); everything else that
# is not text is refused.
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")
# Control characters text may hold (tab, line breaks, form feed, backspace, ESC);
# any other, NUL above all (UTF-16 text decodes as "UTF-8" with NULs), means binary.
_CONTROL = re.compile(r"[\x00-\x07\x0e-\x1a\x1c-\x1f]")


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


@dataclass
class Redactor:
    secrets: set[str] = field(default_factory=set)

    @classmethod
    def from_environment(cls, extra: Iterable[str] = (), resolve: bool = False) -> Redactor:
        """The environment's secrets; with ``resolve``, also the credentials botocore's
        default chain resolves here (``AWS_PROFILE``, SSO, container, instance)."""
        values = {os.environ.get(name, "") for name in SECRET_ENV}
        values.update(v.strip() for v in os.environ.get("AIGOV_REDACT", "").split(","))
        values.update(extra)
        values.update(_passphrase_files())
        if resolve:
            from aigov.target.seen import resolve_default_chain

            values.update(resolve_default_chain())
        r = cls()
        r.add(values)
        return r

    def add(self, values: Iterable[str]) -> None:
        """Add secrets (e.g. credentials a kernel resolved) to mask from now on."""
        new = {v for v in values if isinstance(v, str) and len(v) >= _MIN_SECRET_LEN
               and v not in _HARMLESS} - self.secrets
        if new:
            self.secrets |= new
            for cached in ("_needles", "_tag_needles", "_exact", "_byte_forms",
                           "_truncated_re"):
                self.__dict__.pop(cached, None)

    def _collect(self, tags: bool) -> list[str]:
        found = {needle(f, tags) for s in self.secrets for f in forms(s)}
        return sorted((n for n in found if len(n) >= _MIN_SECRET_LEN), key=len, reverse=True)

    @cached_property
    def _needles(self) -> list[str]:
        return self._collect(tags=False)

    @cached_property
    def _tag_needles(self) -> list[str]:
        return self._collect(tags=True)

    @cached_property
    def _exact(self) -> list[str]:
        found = {f for s in self.secrets for f in forms(s)}
        return sorted((f for f in found if len(f) >= _MIN_SECRET_LEN), key=len, reverse=True)

    @cached_property
    def _byte_forms(self) -> list[bytes]:
        found = {f.encode("utf-8") for s in self.secrets for f in forms(s, depth=1)}
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
        if self.secrets:
            for form in self._exact:  # a secret with "<" in it would not survive the view
                s = s.replace(form, MASK)
            tags = "<" in s  # HTML: nbconvert splits coloured text with <span>s
            needles = self._tag_needles if tags else self._needles
            s = mask_spans(s, View(s, tags=tags).spans(needles), MASK)
        if self._truncated_re is not None:
            s = self._truncated_re.sub(MASK, s)
        s = ACCESS_KEY_RE.sub(MASK, s)
        return SECRET_ASSIGN_RE.sub(lambda m: m.group(1) + m.group(2) + MASK, s)

    def data(self, b: bytes) -> bytes:
        """``text`` for an image: each known form, byte for byte."""
        for secret in self._byte_forms:
            b = b.replace(secret, MASK.encode())
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


def as_text(data: bytes) -> str | None:
    """``data`` as text, or None when it is not UTF-8 text (compressed, UTF-16, binary)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if _CONTROL.search(text) else text


@dataclass
class TreeReport:
    changed: list[Path] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)


def stamp(data: bytes, redactor: Redactor) -> tuple[str, int]:
    """What a pass remembers of a file it redacted: the digest of its redacted bytes and
    how many secrets it was redacted against (secrets are only ever added)."""
    return hashlib.blake2b(data, digest_size=20).hexdigest(), len(redactor.secrets)


def redact_tree(root: Path, redactor: Redactor,
                done: dict[str, tuple] | None = None) -> TreeReport:
    """Redact every regular file under ``root`` in place, never following a link.

    Links, special files and files that are neither text nor an image are reported as
    refused and left alone; ``scrub_tree`` removes them. ``done`` (kept by the caller
    between passes) skips a file whose bytes are exactly what a pass with the same
    secrets wrote (redacting it again would change nothing): the content is compared,
    never a size or a timestamp a writer could set back.
    """
    report = TreeReport()
    files, report.refused = walk(root, skip_seals=False)
    for rel in files:
        path = root / rel
        before = path.read_bytes()
        if done is not None and done.get(rel) == stamp(before, redactor):
            continue
        text = as_text(before)
        if text is not None:
            after = redactor.text(text).encode("utf-8")
        elif before.startswith(IMAGE_MAGIC):
            after = redactor.data(before)
        else:
            report.refused.append(Refused(rel, "not text (compressed, UTF-16 or binary): "
                                          "it cannot be checked for secrets"))
            continue
        if after != before:
            path.write_bytes(after)
            report.changed.append(path)
        if done is not None:
            done[rel] = stamp(after, redactor)
    return report


def scrub_tree(root: Path, redactor: Redactor,
               done: dict[str, tuple] | None = None) -> list[Refused]:
    """``redact_tree``, then remove every refused entry (the link, never its target)."""
    refused = redact_tree(root, redactor, done).refused
    for r in refused:
        path = root / r.file
        if path.is_dir() and not path.is_symlink():
            continue  # never the case: walk refuses files and links only
        path.unlink(missing_ok=True)
    return refused
