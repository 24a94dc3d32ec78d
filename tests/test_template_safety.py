"""Hostile policy templates and policy files: rendered sandboxed, confined to the spec's
folder, every refusal located and exit 2 (docs/safety.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aigov.cli import main
from aigov.errors import PolicySyntaxError
from aigov.policy.render import render_policy
from aigov.spec import load_spec, validate_spec
from aigov.spec.model import PolicyRef, Spec
from helpers.specs import policy, spec_data, write_spec

SCP = "SERVICE_CONTROL_POLICY"
# The classic jinja2 escape: reach os through a global's __globals__ and run a command.
ESCAPE = ('{{ cycler.__init__.__globals__.os.popen("touch %s").read() }}'
          '{"Version": "2012-10-17", "Statement": []}')


def test_a_template_that_runs_a_command_is_refused_and_leaves_no_file(tmp_path: Path,
                                                                      capsys) -> None:
    proof = tmp_path / "pwned"
    evil = tmp_path / "evil.json.j2"
    evil.write_text(ESCAPE % proof)
    code = main(["lint", "--policy", str(evil), "--type", SCP])
    assert not proof.exists()
    assert code == 2
    assert "POLICY_TEMPLATE_ERROR" in capsys.readouterr().out


def test_an_attribute_probe_fails_with_the_template_line(tmp_path: Path) -> None:
    (tmp_path / "p.json.j2").write_text('{"Version": "2012-10-17",\n'
                                        '"Statement": {{ "".__class__.__mro__ }}}')
    spec = Spec(source=tmp_path / "organization.yaml")
    with pytest.raises(PolicySyntaxError) as err:
        render_policy(spec, PolicyRef(name="p", type=SCP, file="p.json.j2"))
    assert err.value.exit_code == 2
    assert err.value.location == "line 2"
    assert "refused" in err.value.message


def test_an_include_through_a_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "elsewhere" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("AKIA-not-for-policies")
    folder = tmp_path / "spec"
    folder.mkdir()
    (folder / "link.j2").symlink_to(secret)
    (folder / "p.json.j2").write_text('{"Version": "2012-10-17", "Statement": [],\n'
                                      '"Sid": "{% include "link.j2" %}"}')
    spec = Spec(source=folder / "organization.yaml")
    with pytest.raises(PolicySyntaxError) as err:
        render_policy(spec, PolicyRef(name="p", type=SCP, file="p.json.j2"))
    assert "outside" in err.value.message and err.value.location == "line 2"


def test_an_include_with_dotdot_is_not_found(tmp_path: Path) -> None:
    (tmp_path / "secret.j2").write_text("x")
    folder = tmp_path / "spec"
    folder.mkdir()
    (folder / "p.json.j2").write_text('{% include "../secret.j2" %}')
    with pytest.raises(PolicySyntaxError) as err:
        render_policy(Spec(source=folder / "organization.yaml"),
                      PolicyRef(name="p", type=SCP, file="p.json.j2"))
    assert "not found" in err.value.message


def _spec_with_file(folder: Path, file: str) -> Path:
    return write_spec(folder, spec_data(policies=[policy("p", file, ["Root"])]))


@pytest.mark.parametrize("how", ["dotdot", "absolute", "symlink"])
def test_a_policy_file_outside_the_spec_folder_is_refused_with_its_line(tmp_path: Path,
                                                                         how: str) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps({"Version": "2012-10-17", "Statement": []}))
    folder = tmp_path / "spec"
    folder.mkdir()
    (folder / "inside.json").symlink_to(outside)
    file = {"dotdot": "../outside.json", "absolute": str(outside), "symlink": "inside.json"}[how]
    spec, found = validate_spec(_spec_with_file(folder, file))
    assert spec is None
    assert [(f.code, f.location.get("line")) for f in found] == [("SPEC_POLICY_FILE_OUTSIDE", 7)]


def test_lint_of_a_spec_naming_a_file_outside_exits_2(tmp_path: Path) -> None:
    (tmp_path / "outside.json").write_text("{}")
    folder = tmp_path / "spec"
    folder.mkdir()
    assert main(["lint", "--spec", str(_spec_with_file(folder, "../outside.json"))]) == 2


def test_shipped_templates_still_render_with_their_includes() -> None:
    spec = load_spec(Path(__file__).resolve().parents[1] / "policies" / "organization.yaml")
    ref = spec.policy("region-allow-list")
    assert ref is not None
    doc = render_policy(spec, ref).document
    assert "iam:*" in doc["Statement"][0]["NotAction"]
