"""``aigov drift`` and ``aigov import``: the library's results, rendered."""

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


def import_command(endpoint_url: str | None, out: str | None, force: bool,
                   as_json: bool) -> int:
    """``aigov import``: write the import, print its report; exit 1 when an attachment
    could not be expressed (docs/import.md)."""
    import json

    from aigov.org.importer import import_organization
    from aigov.target.clients import clients

    report = import_organization(clients(endpoint_url), out, force=force)
    print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) if as_json
          else report.render())
    return report.exit_code
