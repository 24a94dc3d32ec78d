"""Parameters come from the parameters cell only, so a notebook can be run twice."""

from __future__ import annotations

import pytest

from aigov.errors import UsageError
from aigov.runbook.notebook import start
from aigov.runbook.params import params_from_namespace


def test_second_run_all_ignores_the_notebooks_own_objects() -> None:
    namespace = {"spec": "policies/organization.yaml", "region": "eu-west-1"}
    ctx = start("onboarding", namespace)
    namespace.update(ctx=ctx, browser=object(), playground=object(), editor=object())
    again = start("onboarding", namespace)
    assert again.params.region == "eu-west-1"


def test_unknown_injected_literal_is_still_refused() -> None:
    with pytest.raises(UsageError, match="unknown parameter 'regoin'"):
        params_from_namespace({"regoin": "eu-west-1"})
