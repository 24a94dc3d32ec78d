"""Seconds per property of ``aigov prove``. Prints figures, asserts nothing.

(a) The shipped properties (``policies/properties/*.yaml``) on the starter spec; goal:
    each decided in under 2 s on one core (the first one also pays for loading the IAM
    catalogue, printed apart).
(b) A synthetic organization: 1,000 accounts in 100 OUs (10 business units of 9 teams),
    5 SCPs at every level (FullAWSAccess and four more: the shipped Root guardrails, a
    Region allow-list and the Bedrock model list per business unit, service denies per
    team, and four of twenty small denies per account, so nearly every account has its
    own policy path), the data perimeter RCP at Root; properties over Root. Goal: each
    decided in under 30 s on one core.

    .venv/bin/python tests/benchmarks/bench_prove.py [--skip-synthetic]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared helpers

from aigov.paths import default_spec  # noqa: E402
from aigov.policy.prove.actions import catalogue  # noqa: E402
from aigov.policy.prove.org import load_all_properties, prove_property  # noqa: E402
from aigov.policy.prove.properties import parse_property  # noqa: E402
from aigov.policy.render import RenderedPolicy, minify, render_spec  # noqa: E402
from aigov.policy.simulate import OrgModel  # noqa: E402
from aigov.spec import load_spec  # noqa: E402
from aigov.spec.model import PolicyRef, Spec  # noqa: E402
from helpers.specs import accounts_over, business_units  # noqa: E402

REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2",
           "us-east-2", "sa-east-1"]
SERVICES = ["ec2", "rds", "dynamodb", "lambda", "glue", "sqs", "sns", "ecs", "eks", "athena"]
BREAK_GLASS = "arn:aws:iam::*:role/aigov-break-glass"


def starter() -> None:
    t0 = time.perf_counter()
    catalogue()
    print(f"(a) starter spec; IAM catalogue loaded in {time.perf_counter() - t0:.2f} s")
    model = OrgModel(load_spec(default_spec()))
    for prop in load_all_properties(model.spec):
        r = prove_property(model, prop)
        print(f"    {r.seconds:6.2f} s  {r.result:8s} {prop.name}")


def _deny(sid: str, actions: list[str], cond: dict | None = None) -> dict:
    stmt: dict = {"Sid": sid, "Effect": "Deny", "Action": actions, "Resource": "*",
                  "Condition": {"ArnNotLike": {"aws:PrincipalArn": BREAK_GLASS}}}
    if cond:
        stmt["Condition"].update(cond)
    return {"Version": "2012-10-17", "Statement": [stmt]}


def synthetic(seed: int = 5) -> Spec:
    rng = random.Random(seed)
    shipped = load_spec(default_spec())
    real = render_spec(shipped)
    rendered: dict[str, RenderedPolicy] = {}
    refs: list[PolicyRef] = []

    def add(name: str, doc: dict, targets: list[str], ptype: str = "SERVICE_CONTROL_POLICY"
            ) -> None:
        if name not in rendered:
            rendered[name] = RenderedPolicy(name, ptype, "synthetic", doc, minify(doc))
        refs.append(PolicyRef(name=name, type=ptype, file="synthetic", targets=tuple(targets)))

    for n in ("deny-leave-organization", "protect-security-services", "protect-governance-roles"):
        add(n, real[n].document, ["Root"])
    add("data-perimeter", real["data-perimeter"].document, ["Root"], "RESOURCE_CONTROL_POLICY")
    add("bedrock-approved-models", real["bedrock-approved-models"].document,
        [f"BU{i:02d}" for i in range(10)])
    ous, teams = business_units(10, 9)
    for i in range(10):
        allowed = REGIONS[: 3 + i % 4]
        add(f"regions-{i}", {"Version": "2012-10-17", "Statement": [{
            "Effect": "Deny", "NotAction": ["iam:*", "organizations:*", "sts:*"],
            "Resource": "*", "Condition": {
                "StringNotEquals": {"aws:RequestedRegion": allowed},
                "ArnNotLike": {"aws:PrincipalArn": BREAK_GLASS}}}]}, [f"BU{i:02d}"])
        for k in range(2):
            add(f"bu-{i}-{k}", _deny("BU", [f"{SERVICES[(i + k) % 10]}:Delete*"]),
                [f"BU{i:02d}"])
    for t, team in enumerate(teams):
        for k in range(4):
            svc = SERVICES[(t + k) % 10]
            add(f"team-{svc}-{k}", _deny("Team", [f"{svc}:Create*"], {
                "StringNotLike": {"aws:PrincipalArn": f"arn:aws:iam::*:role/{svc}-*"}}), [team])
    pool = [_deny(f"Acct{k}", [f"{SERVICES[k % 10]}:{verb}*"],
                  {"StringNotEquals": {"aws:ResourceTag/owner": f"team-{k}"}})
            for k, verb in zip(range(20), ["Put", "Update", "Modify", "Tag"] * 5, strict=True)]
    accounts = accounts_over(teams, 1000, with_ids=True)
    for acct in accounts:
        for k in sorted(rng.sample(range(20), 4)):
            add(f"acct-pool-{k}", pool[k], [acct.name])
    spec = Spec(organization=shipped.organization, organizational_units=ous,
                accounts=tuple(accounts), policies=tuple(refs), parameters=shipped.parameters,
                source=default_spec())
    return spec, rendered


SYNTHETIC_PROPERTIES = [
    {"name": "break-glass role never denied what undoing a guardrail takes",
     "expect": "never-denied", "principal": "arn:aws:iam::${account}:role/aigov-break-glass",
     "action": ["iam:*Role*", "iam:*Policy*", "sts:*", "organizations:Describe*",
                "cloudtrail:*", "config:*"]},
    {"name": "the root user cannot leave", "expect": "always-denied",
     "principal": "arn:aws:iam::${account}:root", "action": "organizations:LeaveOrganization"},
    {"name": "EC2 outside every allowed Region always denied", "expect": "always-denied",
     "principal": "arn:aws:iam::${account}:role/ai-workload", "action": "ec2:RunInstances",
     "context": {"aws:RequestedRegion": {"not_in": REGIONS}}},
    {"name": "unapproved Bedrock model always denied", "expect": "always-denied",
     "principal": "arn:aws:iam::${account}:role/ai-workload", "action": "bedrock:InvokeModel",
     "resource": "arn:aws:bedrock:*::foundation-model/deepseek.r1-v1:0"},
    {"name": "outside principals' S3 reads always denied (RCP)", "expect": "always-denied",
     "principal": "arn:aws:iam::*:*", "action": ["s3:GetObject", "kms:Decrypt"],
     "context": {"aws:ResourceOrgID": "o-aigov00001", "aws:PrincipalIsAWSService": "false",
                 "aws:PrincipalOrgID": {"not_in": ["o-aigov00001"]}}},
    {"name": "a workload role is never denied ec2:RunInstances in us-east-1",
     "expect": "never-denied", "principal": "arn:aws:iam::${account}:role/ai-workload",
     "action": "ec2:RunInstances",
     "context": {"aws:RequestedRegion": "us-east-1"}},
]


def synthetic_run() -> None:
    t0 = time.perf_counter()
    spec, rendered = synthetic()
    model = OrgModel(spec, rendered=rendered)
    print(f"(b) synthetic: {len(spec.accounts)} accounts, {len(spec.ou_paths())} OUs, "
          f"{len(rendered)} distinct policies (built in {time.perf_counter() - t0:.1f} s)")
    for raw in SYNTHETIC_PROPERTIES:
        base = parse_property({k: v for k, v in raw.items() if k != "name"}, batch=False)
        prop = type(base)(base.expect, base.principal, base.actions, base.resources,
                          base.context, base.names, name=raw["name"], targets=("Root",))
        t = time.perf_counter()
        r = prove_property(model, prop)
        groups = len(r.outcomes)
        refuted = sum(o.result == "refuted" for o in r.outcomes)
        print(f"    {time.perf_counter() - t:6.2f} s  {r.result:8s} {raw['name']} "
              f"({groups} proof groups, {refuted} refuted)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--skip-synthetic", action="store_true")
    a = ap.parse_args()
    starter()
    if not a.skip_synthetic:
        synthetic_run()


if __name__ == "__main__":
    main()
