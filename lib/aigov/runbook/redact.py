"""Mask credentials before anything reaches a run record.

Run records are handed to auditors and kept for years; a secret in one is a leak. Every
text written under a run folder goes through ``Redactor.text``: AWS access key ids, the
values of credential environment variables (secret keys, session tokens, the Pulumi
passphrase) and anything listed in ``AIGOV_REDACT`` (comma-separated values) or the
profile's ``redact:`` list are replaced by ``***REDACTED***``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

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
_HARMLESS = {"testing", "test", "dummy"}


@dataclass
class Redactor:
    secrets: set[str] = field(default_factory=set)

    @classmethod
    def from_environment(cls, extra: Iterable[str] = ()) -> Redactor:
        values = {os.environ.get(name, "") for name in SECRET_ENV}
        values.update(v.strip() for v in os.environ.get("AIGOV_REDACT", "").split(","))
        values.update(extra)
        return cls({v for v in values if len(v) >= _MIN_SECRET_LEN and v not in _HARMLESS})

    def text(self, s: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            s = s.replace(secret, MASK)
        s = ACCESS_KEY_RE.sub(MASK, s)
        return SECRET_ASSIGN_RE.sub(lambda m: m.group(1) + m.group(2) + MASK, s)

    def value(self, v: object) -> object:
        """Redact strings inside JSON-like values (dicts, lists)."""
        if isinstance(v, str):
            return self.text(v)
        if isinstance(v, dict):
            return {k: self.value(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [self.value(x) for x in v]
        return v
