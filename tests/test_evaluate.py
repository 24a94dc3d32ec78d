"""SCP and RCP evaluation across the hierarchy (AWS Organizations User Guide, "SCP
evaluation", "RCP evaluation", "Tasks and entities not restricted by SCPs")."""

from __future__ import annotations

from aigov.policy.evaluate import Evaluator, chain, make_request
from aigov.policy.parse import parse_policy
from aigov.policy.render import FULL_AWS_ACCESS, RCP_FULL_AWS_ACCESS
from aigov.policy.types import RCP

FULL = parse_policy(FULL_AWS_ACCESS, name="FullAWSAccess")
RCP_FULL = parse_policy(RCP_FULL_AWS_ACCESS, name="RCPFullAWSAccess", policy_type=RCP)


def pol(name: str, *statements: dict, policy_type: str = "SERVICE_CONTROL_POLICY"):
    return parse_policy({"Version": "2012-10-17", "Statement": list(statements)}, name=name,
                        policy_type=policy_type)


DENY_LEAVE = pol("deny-leave", {"Sid": "NoLeave", "Effect": "Deny",
                                "Action": "organizations:LeaveOrganization", "Resource": "*"})
ALLOW_S3 = pol("allow-s3", {"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
LEAVE = make_request("organizations:LeaveOrganization")
GET = make_request("s3:GetObject", "arn:aws:s3:::b/k")
RUN = make_request("ec2:RunInstances")


def decide(req, *levels, rcps=None, **kw):
    scps = chain("SCP", [(f"L{i}", ps) for i, ps in enumerate(levels)])
    r = chain("RCP", [(f"R{i}", [RCP_FULL, *ps]) for i, ps in enumerate(rcps)]) if rcps else None
    return Evaluator().decide(req, scps, r, **kw)


def test_every_level_with_full_aws_access_allows() -> None:
    d = decide(GET, [FULL], [FULL], [FULL])
    assert d.decision == "allow" and d.basis == "allow"
    assert [h.level for h in d.allows] == ["L0", "L1", "L2"]


def test_deny_at_any_level_wins() -> None:
    """SCP evaluation: an explicit Deny in any SCP at any level overrides any Allow."""
    for where in range(3):
        levels = [[FULL] for _ in range(3)]
        levels[where] = [FULL, DENY_LEAVE]
        d = decide(LEAVE, *levels)
        assert (d.decision, d.basis) == ("deny", "explicit-deny")
        assert (d.deny.level, d.deny.policy, d.deny.statement, d.deny.sid) == (
            f"L{where}", "deny-leave", 0, "NoLeave")


def test_a_level_without_a_matching_allow_denies() -> None:
    """SCP evaluation: every level from Root to the account must allow the action; an
    allow-list on one level without FullAWSAccess denies the rest there."""
    d = decide(RUN, [FULL], [ALLOW_S3], [FULL])
    assert (d.decision, d.basis) == ("deny", "implicit-deny")
    assert d.missing == ("SCP", "L1", ("allow-s3",), 1)
    assert decide(GET, [FULL], [ALLOW_S3], [FULL]).decision == "allow"


def test_detached_full_aws_access_is_just_a_missing_allow() -> None:
    """FullAWSAccess is an ordinary policy: a level with nothing attached denies."""
    d = decide(GET, [FULL], [])
    assert d.basis == "implicit-deny" and "no SCP attached" in d.reason


def test_allow_list_beside_full_aws_access_restricts_nothing() -> None:
    """A level allows when any of its policies allows: an allow-list next to
    FullAWSAccess changes no decision."""
    assert decide(RUN, [FULL], [FULL, ALLOW_S3]).decision == "allow"


def test_no_scp_levels_means_nothing_restricts() -> None:
    assert Evaluator().decide(RUN, chain("SCP", [])).decision == "allow"


def test_deny_with_unmet_condition_does_not_apply() -> None:
    region = pol("region", {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*",
                            "Condition": {"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}})
    inside = make_request("ec2:RunInstances", context={"aws:RequestedRegion": "us-east-1"})
    outside = make_request("ec2:RunInstances", context={"aws:RequestedRegion": "eu-west-3"})
    iam = make_request("iam:CreateRole", context={"aws:RequestedRegion": "eu-west-3"})
    assert decide(inside, [FULL, region]).decision == "allow"
    assert decide(outside, [FULL, region]).decision == "deny"
    assert decide(iam, [FULL, region]).decision == "allow"


def test_rcp_deny_restricts_the_resource_account() -> None:
    """RCP evaluation: RCPFullAWSAccess is always attached, so only an RCP Deny
    restricts; it is evaluated like an SCP."""
    perimeter = pol("perimeter", {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                                  "Resource": "*", "Condition": {"StringNotEqualsIfExists": {
                                      "aws:PrincipalOrgID": "o-abc"}}}, policy_type=RCP)
    outsider = make_request("s3:GetObject", "arn:aws:s3:::b/k",
                            {"aws:PrincipalOrgID": "o-other"})
    insider = make_request("s3:GetObject", "arn:aws:s3:::b/k", {"aws:PrincipalOrgID": "o-abc"})
    d = decide(outsider, [FULL], rcps=[[], [perimeter]])
    assert (d.decision, d.deny.kind, d.deny.level) == ("deny", "RCP", "R1")
    assert decide(insider, [FULL], rcps=[[], [perimeter]]).decision == "allow"
    assert decide(outsider, [FULL], rcps=[[]]).decision == "allow"


def test_rcps_apply_only_to_services_that_support_them() -> None:
    """RCPs apply to S3, STS, KMS, SQS, Secrets Manager and a few more; not to EC2."""
    deny_all = pol("deny-all", {"Effect": "Deny", "Principal": "*", "Action": "*",
                                "Resource": "*"}, policy_type=RCP)
    assert decide(RUN, [FULL], rcps=[[deny_all]]).decision == "allow"
    assert decide(GET, [FULL], rcps=[[deny_all]]).decision == "deny"


def test_management_account_is_exempt_not_allowed() -> None:
    """SCPs and RCPs do not affect the management account: the decision says so."""
    req = make_request("organizations:LeaveOrganization",
                       principal="arn:aws:iam::999999999999:role/Admin")
    d = decide(req, [FULL, DENY_LEAVE], management_account="999999999999")
    assert (d.decision, d.basis) == ("allow", "exempt")
    assert "management account" in d.reason
    member = decide(LEAVE, [FULL, DENY_LEAVE], management_account="999999999999")
    assert member.decision == "deny"


def test_service_linked_roles_are_not_restricted_by_scps() -> None:
    """Tasks and entities not restricted by SCPs: "Actions performed by service-linked
    roles"."""
    slr = make_request("organizations:LeaveOrganization",
                       principal="arn:aws:iam::111122223333:role/aws-service-role/"
                       "sagemaker.amazonaws.com/AWSServiceRoleForAmazonSageMaker")
    d = decide(slr, [FULL, DENY_LEAVE])
    assert d.basis == "exempt" and "service-linked" in d.reason


def test_principal_fills_principal_arn_and_account_when_absent() -> None:
    req = make_request("s3:GetObject", principal="arn:aws:iam::444455556666:role/X")
    assert req.context["aws:principalarn"] == ("arn:aws:iam::444455556666:role/X",)
    assert req.context["aws:principalaccount"] == ("444455556666",)
    given = make_request("s3:GetObject", context={"aws:PrincipalArn": "arn:aws:iam::1:role/Y"})
    assert given.context["aws:principalarn"] == ("arn:aws:iam::1:role/Y",)


def test_same_policy_path_costs_one_evaluation() -> None:
    """Decisions are cached per (effective policy set, request)."""
    ev = Evaluator()
    a = chain("SCP", [("Root", [FULL, DENY_LEAVE]), ("OU", [FULL])])
    b = chain("SCP", [("Root", [FULL, DENY_LEAVE]), ("OU", [FULL])])
    first = ev.decide(LEAVE, a)
    again = ev.decide(LEAVE, b)
    assert first is again and ev.evaluations == 1


def test_shared_decision_names_the_asking_chains_levels() -> None:
    """Two accounts on one policy path share the cached decision, but each explanation
    names its own account level."""
    ev = Evaluator()
    allow_list = chain("SCP", [("Root", [FULL]), ("account:a", [ALLOW_S3])])
    other = chain("SCP", [("Root", [FULL]), ("account:b", [ALLOW_S3])])
    assert ev.decide(RUN, allow_list).missing[1] == "account:a"
    d = ev.decide(RUN, other)
    assert ev.evaluations == 1
    assert d.missing[1] == "account:b" and "account:b" in d.reason
    assert [h.level for h in ev.decide(GET, other).allows] == ["Root", "account:b"]


def test_explanation_is_text_and_data() -> None:
    d = decide(GET, [FULL], [FULL, ALLOW_S3])
    assert d.explain().startswith("ALLOW: ")
    data = d.to_dict()
    assert data["decision"] == "allow"
    assert [a["level"] for a in data["allows"]] == ["L0", "L1"]
    deny = decide(LEAVE, [FULL, DENY_LEAVE]).to_dict()
    assert deny["deny"] == {"type": "SCP", "level": "L0", "policy": "deny-leave",
                            "statement": 0, "sid": "NoLeave"}
