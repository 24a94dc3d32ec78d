"""The runbook's parameters: one typed model shared by every notebook and the runner.

papermill only warns about unknown parameter names and coerces ``-p`` values (``1.10``
becomes ``1.1``), so the first cell after ``parameters`` hands them to ``RunParams``,
which rejects unknown names and wrong types with exit code 2 and the fix.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from aigov.errors import UsageError


class RunParams(BaseModel):
    """Every parameter a runbook notebook may take. Each notebook declares the subset it
    uses in its ``parameters`` cell; the runner passes the profile's values to all."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    spec: str = "policies/organization.yaml"
    target: Literal["emulator", "aws"] = "emulator"
    endpoint_url: str = ""
    region: str = "us-east-1"
    profile: str = "emulator"
    run_dir: str = ""
    engine: Literal["auto", "direct", "pulumi"] = "auto"
    allow_mutations: bool = False
    confirm: bool = False
    allow_delete: bool = False
    read_only: bool = False
    approve: bool = True
    import_dir: str = ""  # 00b_import: where the import is written (default: the run's)


# Names a Jupyter kernel defines by itself, and papermill's own injected ones.
_KERNEL_NAMES = {"In", "Out", "get_ipython", "exit", "quit", "open"}


# What papermill can inject: YAML/JSON literals. A notebook's own objects (``ctx``, a
# widget) are never parameters, so a second Run All in the same kernel still starts.
_LITERALS = (str, bool, int, float, list, dict, type(None))


def params_from_namespace(namespace: dict[str, Any]) -> RunParams:
    """Validate the parameters found in a notebook's globals.

    A parameter is a public global holding a literal (what a ``parameters`` cell assigns
    and papermill injects); one that ``RunParams`` does not know (a typo injected by
    ``papermill -p``) is rejected as unknown. Objects the notebook made itself (``ctx``,
    the widgets) are not parameters: re-running every cell in the same kernel works.
    """
    values = {k: v for k, v in namespace.items()
              if not k.startswith("_") and k not in _KERNEL_NAMES
              and type(v) in _LITERALS}
    return validate_params(values)


def validate_params(values: dict[str, Any]) -> RunParams:
    """Return ``RunParams`` or raise ``UsageError`` naming each bad parameter and the fix."""
    try:
        return RunParams.model_validate(values)
    except ValidationError as err:
        lines = []
        for e in err.errors():
            name = ".".join(str(p) for p in e["loc"])
            if e["type"] == "extra_forbidden":
                known = ", ".join(RunParams.model_fields)
                lines.append(f"unknown parameter {name!r} (known: {known})")
            else:
                lines.append(f"parameter {name!r}: {e['msg']} (got {e.get('input')!r})")
        raise UsageError("; ".join(lines), fix="correct the -p KEY=VALUE or profile value; "
                         "use papermill -r (raw) for strings that look like numbers") from None


def coerce_cli_value(raw: str) -> Any:
    """Turn a ``-p KEY=VALUE`` string into YAML's value (``true`` -> True) without
    papermill's float coercion of version-like strings: ``1.10`` stays ``"1.10"``."""
    import yaml

    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        return raw
    if isinstance(value, float | int) and not isinstance(value, bool) and str(value) != raw:
        return raw
    return value
