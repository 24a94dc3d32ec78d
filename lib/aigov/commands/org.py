"""``aigov drift``: the findings of ``org.drift.check_drift``, rendered."""

from __future__ import annotations

import sys

from aigov.findings import exit_code, to_json


def drift_command(spec: str | None, endpoint_url: str | None, as_json: bool) -> int:
    """``aigov drift [--json]``: print each difference; exit 1 on drift, 0 when clean."""
    from aigov.org.drift import check_drift

    found = check_drift(spec, endpoint_url)
    if as_json:
        print(to_json(found))
    else:
        for f in found:
            print(f.render())
        print(f"{len(found)} drift finding(s)" if found else
              "no drift: the organization matches the spec", file=sys.stderr)
    return exit_code(found)
