"""``aigov simulate --batch``: the JSON Lines contract of docs/contracts/batch-simulation.md, line for line."""

from __future__ import annotations

import gc
import io
import json
from pathlib import Path

import pytest

from aigov.cli import main
from aigov.policy.batch import run_batch
from aigov.policy.memo import SecondSight

FULL = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}
DENY_S3 = {"Version": "2012-10-17",
           "Statement": [{"Sid": "NoS3", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}
GET = {"action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"}


def answer(*lines: object) -> tuple[list[dict], int]:
    src = io.StringIO("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    out = io.StringIO()
    code = run_batch(src, out)
    return [json.loads(ln) for ln in out.getvalue().splitlines()], code


def test_one_result_per_line_in_order_with_id_decision_reason() -> None:
    got, code = answer({"id": "a", "scps": [[FULL], [FULL]], "request": GET},
                       {"id": "b", "scps": [[FULL], [FULL, DENY_S3]], "request": GET})
    assert code == 0
    assert [set(r) for r in got] == [{"id", "decision", "reason"}] * 2
    assert [(r["id"], r["decision"]) for r in got] == [("a", "allow"), ("b", "deny")]
    assert got[1]["reason"] == "explicit deny by SCP scps[1][1] statement 0 (NoS3) at scps[1]"


def test_empty_scp_level_denies_and_no_levels_means_no_scps() -> None:
    """Contract: an SCP level [] has no Allow, so it denies; "scps": [] means no SCPs."""
    got, _ = answer({"id": 1, "scps": [[FULL], []], "request": GET},
                    {"id": 2, "scps": [], "request": GET})
    assert got[0]["decision"] == "deny" and "scps[1]" in got[0]["reason"]
    assert got[1]["decision"] == "allow"


def test_rcp_levels_list_only_custom_rcps() -> None:
    """Contract: RCPFullAWSAccess is always attached, so an RCP level [] allows."""
    deny = {"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Principal": "*",
                                                   "Action": "s3:*", "Resource": "*"}}
    got, _ = answer({"id": 1, "scps": [[FULL]], "rcps": [[]], "request": GET},
                    {"id": 2, "scps": [[FULL]], "rcps": [[], [deny]], "request": GET})
    assert [r["decision"] for r in got] == ["allow", "deny"]
    assert "RCP rcps[1][0]" in got[1]["reason"]


def test_a_chain_seen_before_decides_as_it_did_when_new() -> None:
    """A line's new chain is decided without the decision cache (``decide_once``); the
    same chain on a second line is compiled again, kept, and decided through the cache,
    and from the third on comes from the cache. All say the same, reason included, for
    an explicit deny, a missing Allow, an allow and an RCP deny."""
    tagged = {"Version": "2012-10-17", "Statement": [
        {"Sid": "A", "Effect": "Allow", "Action": ["s3:Get*", "ec2:*"], "Resource": "*"},
        {"Sid": "D", "Effect": "Deny", "NotAction": "iam:*", "Resource": "arn:aws:s3:::b/*",
         "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}}]}
    deny_rcp = {"Version": "2012-10-17", "Statement": {
        "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
        "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/ops-*"}}}}
    lines = [{"id": i, "scps": scps, "request": {**GET, "context": ctx}, **rcps}
             for i, (scps, rcps, ctx) in enumerate([
                 ([[FULL], [tagged]], {}, {"aws:RequestedRegion": "us-east-1"}),
                 ([[FULL], [tagged]], {}, {"aws:RequestedRegion": "eu-west-1"}),
                 ([[FULL], [DENY_S3]], {}, {}),
                 ([[FULL, tagged], []], {}, {}),
                 ([[FULL]], {"rcps": [[deny_rcp]]}, {}),
             ])]
    got, code = answer(*lines, *lines, *lines)
    assert code == 0
    n = len(lines)
    assert got[:n] == got[n:2 * n] == got[2 * n:]
    first = got[:n]
    assert [r["decision"] for r in first] == ["deny", "allow", "deny", "deny", "deny"]


def test_a_cache_keeps_only_what_comes_twice_and_stays_bounded() -> None:
    cache: SecondSight[str, int] = SecondSight(limit=2)
    assert cache.offer("a", 1) is False and cache.get("a") is None and len(cache) == 0
    assert cache.offer("a", 1) is True and cache.get("a") == 1
    for k in "bcde":
        cache.offer(k, 0)
        cache.offer(k, 0)
        assert len(cache) <= 2
    assert cache.get("e") == 0


def test_policies_may_be_json_strings() -> None:
    got, _ = answer({"id": 1, "scps": [[json.dumps(FULL), json.dumps(DENY_S3)]], "request": GET})
    assert got[0]["decision"] == "deny"


def test_multivalued_context_and_principal_fill() -> None:
    tags = {"Version": "2012-10-17", "Statement": {
        "Effect": "Deny", "Action": "*", "Resource": "*",
        "Condition": {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["a", "b"]}}}}
    mine = {"Version": "2012-10-17", "Statement": {
        "Effect": "Deny", "Action": "*", "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:PrincipalAccount": "444455556666"}}}}
    got, _ = answer(
        {"id": 1, "scps": [[FULL, tags]], "request": {**GET, "context": {"aws:TagKeys": ["a", "b"]}}},
        {"id": 2, "scps": [[FULL, tags]], "request": {**GET, "context": {"aws:TagKeys": ["a", "z"]}}},
        {"id": 3, "scps": [[FULL, mine]],
         "request": {**GET, "principal": "arn:aws:iam::444455556666:role/X"}},
        {"id": 4, "scps": [[FULL, mine]], "request": GET})
    assert [r["decision"] for r in got] == ["allow", "deny", "allow", "deny"]


def test_service_linked_role_is_not_restricted_by_scps() -> None:
    slr = "arn:aws:iam::111122223333:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX"
    got, _ = answer({"id": 1, "scps": [[FULL, DENY_S3]], "request": {**GET, "principal": slr}})
    assert got[0]["decision"] == "allow" and "service-linked" in got[0]["reason"]


@pytest.mark.parametrize(("line", "error"), [
    ("{oops", "line 2: not JSON"),
    ("[1, 2]", "line 2: a line is a JSON object"),
    ({"id": "x", "scps": [[FULL]]}, "line 2: missing request"),
    ({"id": "x", "scp": [[FULL]], "request": GET}, "line 2: unknown key(s) scp"),
    ({"id": "x", "scps": [FULL], "request": GET}, "line 2: scps is a list of levels"),
    ({"id": "x", "scps": [[{"Statement": []}]], "request": GET},
     "line 2: policy 'scps[0][0]', Statement: the policy has no Statement"),
    ({"id": "x", "scps": [[FULL], [{"Version": "2012-10-17", "Statement": {
        "Effect": "Deny", "Action": "s3:*"}}]], "request": GET},
     "line 2: policy 'scps[1][0]', statement 0, Resource"),
    ({"id": "x", "scps": [[3]], "request": GET}, "line 2: scps[0][0]: a policy is a JSON object"),
    ({"id": "x", "scps": [], "request": {"action": "GetObject"}}, "line 2: request.action"),
    ({"id": "x", "scps": [], "request": {**GET, "context": {"n": 3}}}, "request.context['n']"),
    ({"id": "x", "scps": [], "request": {**GET, "method": "GET"}}, "unknown key(s) method"),
    ("", "line 2: empty line"),
])
def test_malformed_line_gets_an_error_line_and_the_rest_are_answered(line: object,
                                                                    error: str) -> None:
    got, code = answer({"id": "ok1", "scps": [[FULL]], "request": GET}, line,
                       {"id": "ok2", "scps": [[FULL]], "request": GET})
    assert code == 2
    assert len(got) == 3
    assert got[0]["decision"] == got[2]["decision"] == "allow"
    assert set(got[1]) == {"id", "error"} and error in got[1]["error"]
    if isinstance(line, dict):
        assert got[1]["id"] == "x"


def test_a_batch_makes_no_garbage_cycles_and_gives_the_collector_back() -> None:
    """The batch turns the cyclic collector off (it cost a fifth of the CPU time on new
    policies) on the ground that answering lines, good and malformed, makes no cycles:
    reference counting frees all of it. If a change made cycles, this fails first."""
    good = {"id": "ok", "scps": [[FULL], [FULL, DENY_S3]], "request": GET}
    bad = [{"id": "x", "scps": [[{"Statement": []}]], "request": GET}, "{oops", "[1]",
           {"id": "y", "scps": [[FULL]], "request": {"action": "GetObject"}},
           {"id": "z", "scps": [[3]], "request": GET}]
    src = io.StringIO("".join((x if isinstance(x, str) else json.dumps(x)) + "\n"
                              for x in ([good] * 5 + bad) * 3))
    out = io.StringIO()
    gc.collect()
    assert gc.isenabled()
    before = sum(g["collected"] for g in gc.get_stats())
    code = run_batch(src, out)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.collect()  # with what the collector found since the batch began (it runs again
    # on the first allocations after it is enabled)
    assert sum(g["collected"] for g in gc.get_stats()) == before
    assert code == 2 and out.getvalue().count("\n") == 30


def test_cli_reads_a_file_and_stdin(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "cases.jsonl"
    f.write_text(json.dumps({"id": "c1", "scps": [[FULL]], "request": GET}) + "\n")
    assert main(["simulate", "--batch", str(f)]) == 0
    assert json.loads(capsys.readouterr().out)["decision"] == "allow"
    monkeypatch.setattr("sys.stdin", io.StringIO("nope\n"))
    assert main(["simulate", "--batch", "-"]) == 2
    assert "error" in json.loads(capsys.readouterr().out)


def test_cli_missing_file_is_usage_error(tmp_path: Path) -> None:
    assert main(["simulate", "--batch", str(tmp_path / "missing.jsonl")]) == 2


def test_batch_starts_without_templates_spec_models_or_the_yaml_reader(tmp_path: Path) -> None:
    """One case pays for its process start: ``simulate --batch`` on well-formed policies
    imports neither jinja2, pydantic, the YAML reader nor the lint catalogue."""
    import subprocess
    import sys

    f = tmp_path / "one.jsonl"
    f.write_text(json.dumps({"id": 1, "scps": [[FULL, DENY_S3]], "rcps": [[]],
                             "request": GET}) + "\n")
    probe = ("import sys\nfrom aigov.cli import main\n"
             f"rc = main(['simulate', '--batch', {str(f)!r}])\n"
             "heavy = {'jinja2', 'pydantic', 'yaml', 'aigov.inputs', "
             "'aigov.policy.checks.catalogue'} & set(sys.modules)\n"
             "print(sorted(heavy), file=sys.stderr)\nsys.exit(rc)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["decision"] == "deny"
    assert done.stderr.strip().splitlines()[-1] == "[]"
