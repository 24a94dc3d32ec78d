"""Template rendering: strict parameters, JSON values, deterministic minified output."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigov.errors import PolicySyntaxError
from aigov.policy.render import render_policy, render_spec
from aigov.spec import load_spec
from aigov.spec.model import PolicyRef, Spec

FIX = Path(__file__).parent / "fixtures" / "lint"
REPO = Path(__file__).resolve().parents[1]


def test_every_shipped_policy_renders_to_minified_sorted_json():
    spec = load_spec(REPO / "policies" / "organization.yaml")
    rendered = render_spec(spec)
    assert list(rendered) == [p.name for p in spec.policies]
    for r in rendered.values():
        assert "\n" not in r.text and ", " not in r.text.replace('", "', "")
        assert r.size == len(r.text)


def test_rendering_twice_gives_the_same_bytes():
    spec = load_spec(REPO / "policies" / "organization.yaml")
    assert {n: r.text for n, r in render_spec(spec).items()} == \
        {n: r.text for n, r in render_spec(load_spec(REPO / "policies" / "organization.yaml")).items()}


def test_spec_parameters_render_as_json_and_policy_parameters_win():
    spec = load_spec(REPO / "policies" / "organization.yaml")
    ref = spec.policy("region-allow-list")
    assert ref is not None
    own = ref.model_copy(update={"parameters": {"allowed_regions": ["eu-central-1"]}})
    doc = render_policy(spec, own).document
    assert doc["Statement"][0]["Condition"]["StringNotEquals"]["aws:RequestedRegion"] == ["eu-central-1"]


def test_undefined_parameter_names_the_file_and_line():
    spec = Spec(source=FIX / "organization.yaml")
    ref = PolicyRef(name="x", type="SERVICE_CONTROL_POLICY", file="undefined_parameter.json.j2")
    with pytest.raises(PolicySyntaxError) as err:
        render_policy(spec, ref)
    assert err.value.file.endswith("undefined_parameter.json.j2")
    assert err.value.location == "line 5"
    assert "no_such_parameter" in err.value.message
