"""Organizations built by hand in the emulator with boto3 (not from a spec), for import.

Each builder returns the ids it created by a readable name, so tests can look things up
without asserting on moto's random ids.
"""

from __future__ import annotations

import json
from typing import Any

ALL_TYPES = ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY", "AISERVICES_OPT_OUT_POLICY",
             "TAG_POLICY")
FULL_AWS_ACCESS_ID = "p-FullAWSAccess"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


DENY_S3_PUBLIC = doc({"Sid": "DenyPublic", "Effect": "Deny",
                      "Action": ["s3:PutBucketPublicAccessBlock", "s3:PutBucketAcl"],
                      "Resource": "*"})
# Braces in a value look like jinja2 tags to the renderer; import must keep them literal.
DENY_UNTAGGED = doc({"Effect": "Deny", "Action": "ec2:RunInstances", "Resource": "*",
                     "Condition": {"StringNotEquals": {"aws:RequestTag/team": "{{team}}{%x%}"}}})
DENY_REGIONS = doc({"Effect": "Deny", "NotAction": ["iam:*", "sts:*", "organizations:*"],
                    "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1"]}}})
ALLOW_LIST = doc({"Effect": "Allow", "Action": ["s3:*", "ec2:*", "iam:*", "sts:*",
                                                 "bedrock:*", "organizations:Describe*"],
                  "Resource": "*"})
DENY_BEDROCK = doc({"Effect": "Deny", "Action": "bedrock:InvokeModel",
                    "Resource": "arn:aws:bedrock:*::foundation-model/deepseek.*"})
RCP_TLS = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})
OPT_OUT = json.dumps({"services": {"default": {"opt_out_policy": {"@@assign": "optOut"}}}})
TAGS = json.dumps({"tags": {"team": {"tag_key": {"@@assign": "team"}}}})


def _new_org(org: Any, types: tuple[str, ...]) -> str:
    """Create the organization with ``types`` enabled at its root; return the root id."""
    org.create_organization(FeatureSet="ALL")
    root = _root(org)
    for t in types:
        org.enable_policy_type(RootId=root, PolicyType=t)
    return root


def _root(org: Any) -> str:
    return org.list_roots()["Roots"][0]["Id"]


def _ou(org: Any, parent: str, name: str, tags: dict[str, str] | None = None) -> str:
    kwargs: dict[str, Any] = {"ParentId": parent, "Name": name}
    if tags:
        kwargs["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    return org.create_organizational_unit(**kwargs)["OrganizationalUnit"]["Id"]


def _account(org: Any, name: str, parent: str, root: str,
             tags: dict[str, str] | None = None, email: str | None = None) -> str:
    kwargs: dict[str, Any] = {"AccountName": name,
                              "Email": email or f"{name.replace(' ', '')}@example.com"}
    if tags:
        kwargs["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    status = org.create_account(**kwargs)["CreateAccountStatus"]
    acct = status["AccountId"]
    if parent != root:
        org.move_account(AccountId=acct, SourceParentId=root, DestinationParentId=parent)
    return acct


def _policy(org: Any, name: str, ptype: str, content: str, targets: list[str],
            description: str = "") -> str:
    pid = org.create_policy(Name=name, Type=ptype, Content=content,
                            Description=description)["Policy"]["PolicySummary"]["Id"]
    for t in targets:
        org.attach_policy(PolicyId=pid, TargetId=t)
    return pid


def build_odd_org(org: Any, types: tuple[str, ...] = ALL_TYPES) -> dict[str, str]:
    """Odd names, duplicate account names, FullAWSAccess detached where an allow-list
    replaces it, policies on accounts, one policy of every supported type."""
    root = _new_org(org, types)
    ids = {"root": root}
    ids["ds"] = _ou(org, root, "Data Science", tags={"owner": "ds-team"})
    ids["team"] = _ou(org, ids["ds"], "Team A (ml)")
    ids["uni"] = _ou(org, root, "Forschung – 研究")
    ids["prod"] = _ou(org, root, "Prod")
    ids["deep"] = _ou(org, ids["prod"], "Apps")
    ids["acct_ds"] = _account(org, "ds one", ids["team"], root, tags={"cost-center": "42"})
    ids["acct_shared1"] = _account(org, "shared", ids["ds"], root, email="shared1@example.com")
    ids["acct_shared2"] = _account(org, "shared", ids["uni"], root, email="shared2@example.com")
    ids["acct_root"] = _account(org, "sandbox", root, root)
    ids["acct_prod"] = _account(org, "prod-app", ids["deep"], root)
    scp = "SERVICE_CONTROL_POLICY"
    ids["p_s3a"] = _policy(org, "Deny S3 Public", scp, DENY_S3_PUBLIC, [root],
                           "no public buckets")
    ids["p_s3b"] = _policy(org, "deny-s3-public", scp, DENY_S3_PUBLIC,
                           [ids["acct_ds"], ids["acct_shared2"]])  # one "shared", directly
    ids["p_jinja"] = _policy(org, "require team tag", scp, DENY_UNTAGGED, [ids["ds"]])
    ids["p_uni1"] = _policy(org, "研究ポリシー", scp, DENY_BEDROCK, [ids["uni"]])
    ids["p_uni2"] = _policy(org, "策略", scp, DENY_REGIONS, [ids["prod"], ids["acct_root"]])
    ids["p_allow"] = _policy(org, "allow list", scp, ALLOW_LIST,
                             [ids["prod"], ids["acct_prod"]], "replaces FullAWSAccess")
    for target in (ids["prod"], ids["acct_prod"]):
        org.detach_policy(PolicyId=FULL_AWS_ACCESS_ID, TargetId=target)
    if "RESOURCE_CONTROL_POLICY" in types:
        ids["p_rcp"] = _policy(org, "tls only", "RESOURCE_CONTROL_POLICY", RCP_TLS,
                               [root], "S3 over TLS")
    if "AISERVICES_OPT_OUT_POLICY" in types:
        ids["p_opt"] = _policy(org, "opt out", "AISERVICES_OPT_OUT_POLICY", OPT_OUT, [root])
    if "TAG_POLICY" in types:
        ids["p_tag"] = _policy(org, "team tag", "TAG_POLICY", TAGS, [ids["ds"], ids["acct_ds"]])
    return ids


def build_large_org(org: Any, ous: int, accounts: int, policies: int) -> None:
    """A flat-ish organization: OUs in two levels, accounts spread over them, SCPs
    spread over OUs and accounts."""
    root = _new_org(org, ("SERVICE_CONTROL_POLICY",))
    tops = max(1, ous // 10)
    ou_ids = [_ou(org, root, f"top-{i:03d}") for i in range(tops)]
    ou_ids += [_ou(org, ou_ids[i % tops], f"ou-{i:03d}") for i in range(ous - tops)]
    acct_ids = [_account(org, f"acct-{i:04d}", ou_ids[i % len(ou_ids)], root)
                for i in range(accounts)]
    for i in range(policies):
        target = ou_ids[i % len(ou_ids)] if i % 2 else acct_ids[i % len(acct_ids)]
        _policy(org, f"policy-{i:03d}", "SERVICE_CONTROL_POLICY", doc(
            {"Effect": "Deny", "Action": f"s3:Delete{i}*", "Resource": "*"}), [target])


def build_clean_org(org: Any) -> dict[str, str]:
    """An organization a platform team might already run, whose policies lint without
    errors: odd names, a policy on an account, FullAWSAccess replaced on one OU, two
    accounts of one name in two OUs with a policy on one of them."""
    root = _new_org(org, ALL_TYPES)
    ids = {"root": root}
    ids["ws"] = _ou(org, root, "Work loads", tags={"owner": "platform"})
    ids["ml"] = _ou(org, ids["ws"], "Maschinelles Lernen – 機械学習")
    ids["locked"] = _ou(org, root, "Locked down")
    ids["a1"] = _account(org, "ml dev", ids["ml"], root, tags={"env": "dev"})
    ids["a2"] = _account(org, "ml-prod", ids["ml"], root)
    ids["a3"] = _account(org, "kiosk", ids["locked"], root)
    # AWS lets account names repeat (emails never): two "analytics" accounts in two OUs.
    ids["dup1"] = _account(org, "analytics", ids["ws"], root, email="analytics1@example.com")
    ids["dup2"] = _account(org, "analytics", ids["locked"], root,
                           email="analytics2@example.com", tags={"env": "locked"})
    scp = "SERVICE_CONTROL_POLICY"
    ids["p1"] = _policy(org, "Deny leaving", scp, doc(
        {"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}),
        [root], "member accounts stay")
    ids["p2"] = _policy(org, "deny_leaving", scp, doc(
        {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}),
        [ids["a2"], ids["dup2"]])  # one of the two "analytics" accounts, directly
    ids["p3"] = _policy(org, "kiosk allow-list", scp, doc(
        {"Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "sts:*", "iam:*",
                                       "organizations:Describe*", "organizations:List*",
                                       "support:*"],  # keeps the lockout sentinels allowed
         "Resource": "*"}), [ids["locked"]])
    org.detach_policy(PolicyId=FULL_AWS_ACCESS_ID, TargetId=ids["locked"])
    ids["p4"] = _policy(org, "opt out", "AISERVICES_OPT_OUT_POLICY", OPT_OUT, [root])
    ids["p5"] = _policy(org, "team tag", "TAG_POLICY", TAGS, [ids["ws"]])
    return ids
