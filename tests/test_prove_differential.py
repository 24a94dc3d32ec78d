"""Differential test: the solver's verdicts against exhaustive evaluation.

Random SCP/RCP chains (seeded) over a small vocabulary, and properties whose every field
is finite (named actions, literal resources and principal, every context key the
policies use pinned to `{in: [...]}` or `{absent: true}`), so the requests a property
speaks about can be listed and each decided by the evaluator. The prover must say
proven exactly when every listed request gets the decision the property expects, and its
counterexample must be one of them with the decision the property rules out.
"""

from __future__ import annotations

import itertools
import json
import random

import pytest

from aigov.policy.batch import BatchSimulator
from aigov.policy.prove.batch import BatchProver

ACTIONS = ["s3:GetObject", "s3:PutObject", "ec2:RunInstances", "iam:CreateRole"]
RESOURCES = ["arn:aws:s3:::b/k", "arn:aws:s3:::b/x:y", "arn:aws:ec2:us-east-1:1:instance/i"]
PRINCIPALS = ["arn:aws:iam::111122223333:role/Dev", "arn:aws:iam::111122223333:role/bg",
              "arn:aws:iam::111122223333:role/aws-service-role/x"]
RESOURCE_PATTERNS = ["*", "arn:aws:s3:::b/*", "arn:aws:s3:::*", "arn:aws:*:*:*:instance/*",
                     "arn:aws:s3:::b/k", "arn:aws:s3:::b/?:y", "arn:*:s3:::b/k*"]
# key -> (values a property may pin, whether several values may come together)
KEYS = {"aws:RequestedRegion": (["us-east-1", "eu-west-1", "US-EAST-1"], False),
        "aws:TagKeys": (["a", "b"], True),
        "aws:SecureTransport": (["true", "false", "x"], False),
        "s3:max-keys": (["5", "10", "x"], False),
        "aws:ResourceOrgID": (["o-1", "o-2"], False),
        "aws:PrincipalOrgID": (["o-1", "o-2"], False)}
CONDITIONS = [
    ("StringEquals", "aws:RequestedRegion", ["us-east-1"]),
    ("StringNotEquals", "aws:RequestedRegion", ["us-east-1", "eu-west-1"]),
    ("StringNotEqualsIfExists", "aws:RequestedRegion", ["us-east-1"]),
    ("StringEqualsIgnoreCase", "aws:RequestedRegion", ["us-east-1"]),
    ("StringLike", "aws:RequestedRegion", ["us-*"]),
    ("StringNotLike", "aws:RequestedRegion", ["*-1"]),
    ("ForAnyValue:StringEquals", "aws:TagKeys", ["a"]),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["a"]),
    ("ForAnyValue:StringNotLike", "aws:TagKeys", ["b"]),
    ("ForAllValues:StringNotEquals", "aws:TagKeys", ["a", "b"]),
    ("StringLike", "aws:TagKeys", ["?"]),
    ("Null", "aws:TagKeys", ["true"]),
    ("Null", "aws:RequestedRegion", ["false"]),
    ("Bool", "aws:SecureTransport", ["false"]),
    ("BoolIfExists", "aws:SecureTransport", ["true"]),
    ("NumericLessThan", "s3:max-keys", ["10"]),
    ("NumericNotEquals", "s3:max-keys", ["5"]),
    ("ArnNotLike", "aws:PrincipalArn", ["arn:aws:iam::*:role/bg"]),
    ("ArnLike", "aws:PrincipalArn", ["arn:aws:iam::*:role/*"]),
    ("StringEquals", "aws:PrincipalAccount", ["111122223333"]),
    ("StringNotEqualsIfExists", "aws:PrincipalOrgID", ["${aws:ResourceOrgID}"]),
    ("StringEquals", "aws:PrincipalOrgID", ["${aws:ResourceOrgID}"]),
]


def _statement(rng: random.Random, effect: str, rcp: bool) -> dict:
    acts = rng.sample(ACTIONS[:2] if rcp else ACTIONS, rng.randint(1, 2))
    if not rcp and rng.random() < 0.15:
        acts = ["*"]
    stmt: dict = {"Effect": effect}
    stmt["NotAction" if rng.random() < 0.2 and not rcp else "Action"] = acts
    res = rng.sample(RESOURCE_PATTERNS, rng.randint(1, 2))
    stmt["NotResource" if rng.random() < 0.2 else "Resource"] = res
    if rcp:
        stmt["Principal"] = "*"
    if rng.random() < 0.7:
        cond: dict = {}
        for op, key, vals in rng.sample(CONDITIONS, rng.randint(1, 2)):
            cond.setdefault(op, {})[key] = vals
        stmt["Condition"] = cond
    return stmt


def _policy(rng: random.Random, rcp: bool) -> dict:
    effects = ["Deny"] * rng.randint(1, 2) + ([] if rcp else ["Allow"] * rng.randint(0, 2))
    return {"Version": "2012-10-17",
            "Statement": [_statement(rng, e, rcp) for e in effects]}


ALLOW_ALL = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def _case(rng: random.Random) -> tuple[dict, list[dict]]:
    scps = []
    for _ in range(rng.randint(1, 3)):
        level = [_policy(rng, False) for _ in range(rng.randint(0, 2))]
        if rng.random() < 0.8:
            level.insert(0, ALLOW_ALL)
        scps.append(level)
    line: dict = {"scps": scps}
    if rng.random() < 0.4:
        line["rcps"] = [[_policy(rng, True)] for _ in range(rng.randint(1, 2))]
    context: dict = {}
    for key, (vals, _) in KEYS.items():
        if rng.random() < 0.25:
            context[key] = {"absent": True}
        else:
            context[key] = {"in": rng.sample(vals, rng.randint(1, len(vals)))}
    prop = {"expect": rng.choice(["never-denied", "always-denied"]),
            "principal": rng.choice(PRINCIPALS),
            "action": rng.sample(ACTIONS, rng.randint(1, 3)),
            "resource": rng.sample(RESOURCES, rng.randint(1, 2)), "context": context}
    line["property"] = prop
    return line, _requests(prop)


def _choices(key: str, constraint: dict) -> list:
    if constraint.get("absent"):
        return [None]
    vals = constraint["in"]
    if not KEYS[key][1]:
        return vals
    return [list(c) for n in range(1, len(vals) + 1) for c in itertools.combinations(vals, n)]


def _requests(prop: dict) -> list[dict]:
    keys = list(prop["context"])
    out = []
    for action, resource in itertools.product(prop["action"], prop["resource"]):
        for combo in itertools.product(*[_choices(k, prop["context"][k]) for k in keys]):
            ctx = {k: v for k, v in zip(keys, combo, strict=True) if v is not None}
            out.append({"action": action, "resource": resource, "context": ctx,
                        "principal": prop["principal"]})
    return out


@pytest.mark.parametrize("seed", [0, *(pytest.param(s, marks=pytest.mark.slow) for s in range(1, 6))])
def test_solver_verdicts_match_exhaustive_evaluation(seed: int) -> None:
    rng = random.Random(seed)
    prover, sim = BatchProver(timeout_ms=20_000), BatchSimulator()
    verdicts = []
    for n in range(25):
        line, requests = _case(rng)
        line["id"] = f"{seed}-{n}"
        ruled_out = "deny" if line["property"]["expect"] == "never-denied" else "allow"
        base = {k: line[k] for k in ("scps", "rcps") if k in line}

        def decide(req: dict, base: dict = base) -> str:
            return sim.answer(json.dumps({**base, "id": "x", "request": req}))["decision"]
        broken = [r for r in requests if decide(r) == ruled_out]
        got = prover.answer(json.dumps(line))
        assert "error" not in got, got
        assert got["result"] != "unknown", got
        verdicts.append(got["result"])
        assert got["result"] == ("refuted" if broken else "proven"), (line, broken[:1], got)
        if broken:
            cx = got["counterexample"]
            assert decide(cx) == ruled_out
            ctx = {k.lower(): v for k, v in (cx.get("context") or {}).items()}
            listed = [{**r, "context": {k.lower(): v for k, v in r["context"].items()}}
                      for r in requests]
            assert any(r["action"] == cx["action"] and r["resource"] == cx["resource"]
                       and all(_same(r["context"].get(k), ctx.get(k)) for k in
                               set(r["context"]) | set(ctx)) for r in listed), cx
    assert "proven" in verdicts and "refuted" in verdicts  # both sides exercised


def _norm(v: object) -> frozenset | None:
    return None if v is None else frozenset([v] if isinstance(v, str) else v)  # type: ignore[arg-type]


def _same(a: object, b: object) -> bool:
    return _norm(a) == _norm(b)
