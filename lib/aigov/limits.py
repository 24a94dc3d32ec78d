"""Size limits on untrusted input, each overridable from the environment.

Their own module, below ``inputs``, so that a reader that needs only a number (the batch
streams of ``aigov.policy.jsonlines``) does not import the YAML reader to get it. Why
each limit is what it is: docs/contracts/input-limits.md.
"""

from __future__ import annotations

import os

from aigov.errors import UsageError

# The spec: 2,000 OUs (AWS's quota) and several thousand accounts fit in well under 1 MB.
MAX_SPEC_BYTES = 2 * 1024 * 1024
# A policy file: AWS Organizations' largest policy quota is 10,240 characters (an SCP,
# minified; Organizations User Guide, "Quotas"). A pretty-printed template with comments
# runs to a few times that; 64 KiB is six times the largest document AWS would accept.
MAX_POLICY_BYTES = 64 * 1024
# Other YAML inputs (policy tests, properties, profiles).
MAX_DATA_BYTES = 2 * 1024 * 1024
# One line of a batch (simulate --batch, prove --batch): a chain of seven levels with
# five policies at each, SCPs and RCPs of 5,120 characters at most (AWS's quotas), is
# under 400 KB, about 800 KB as escaped JSON strings.
MAX_LINE_BYTES = 2 * 1024 * 1024

LIMIT_ENV = {"spec": "AIGOV_MAX_SPEC_BYTES", "policy": "AIGOV_MAX_POLICY_BYTES",
             "data": "AIGOV_MAX_DATA_BYTES", "line": "AIGOV_MAX_LINE_BYTES"}
_DEFAULTS = {"spec": MAX_SPEC_BYTES, "policy": MAX_POLICY_BYTES, "data": MAX_DATA_BYTES,
             "line": MAX_LINE_BYTES}


def size_limit(kind: str) -> int:
    """The byte limit for a ``kind`` of input (``spec``, ``policy``, ``data``, ``line``);
    the environment variable of ``LIMIT_ENV`` overrides it (a positive whole number)."""
    raw = os.environ.get(LIMIT_ENV[kind], "").strip()
    if not raw:
        return _DEFAULTS[kind]
    if not raw.isascii() or not raw.isdigit() or int(raw) <= 0:
        raise UsageError(f"{LIMIT_ENV[kind]}={raw!r} is not a positive whole number of bytes",
                         fix=f"unset it or set e.g. {LIMIT_ENV[kind]}="
                         f"{_DEFAULTS[kind]}")
    return int(raw)
