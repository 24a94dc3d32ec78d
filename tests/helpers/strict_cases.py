"""AWS Organizations rules as boto3 scenarios: a legal set-up, then the call AWS refuses.

Shared by ``test_strict.py`` (the strict emulator gives AWS's error for each) and the
plain-moto comparison (which of them moto alone lets through). Each expected error is
an exception of the operation in botocore's model, with a reason code of the model's
enum where the exception has one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SCP, RCP, TAG = "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY", "TAG_POLICY"
ALLOW = json.dumps({"Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


@dataclass(frozen=True)
class Case:
    name: str
    operation: str            # the refused call, as botocore names it
    code: str
    reason: str | None
    act: Callable[[Any], Any]  # the client -> the set-up and, last, the refused call


def org(c: Any, *types: str, feature_set: str = "ALL") -> str:
    """An organization with ``types`` enabled; returns the root id."""
    c.create_organization(FeatureSet=feature_set)
    root = c.list_roots()["Roots"][0]["Id"]
    for t in types:
        c.enable_policy_type(RootId=root, PolicyType=t)
    return root


def ou(c: Any, parent: str, name: str) -> str:
    return c.create_organizational_unit(ParentId=parent, Name=name)["OrganizationalUnit"]["Id"]


def policy(c: Any, name: str, ptype: str = SCP, content: str = ALLOW) -> str:
    return c.create_policy(Name=name, Type=ptype, Content=content,
                           Description="")["Policy"]["PolicySummary"]["Id"]


def _last_scp(c: Any) -> None:
    target = ou(c, org(c, SCP), "Workloads")
    c.detach_policy(PolicyId="p-FullAWSAccess", TargetId=target)


def _eleventh_scp(c: Any) -> None:
    target = ou(c, org(c, SCP), "Workloads")  # FullAWSAccess is the first
    for i in range(9):
        c.attach_policy(PolicyId=policy(c, f"scp-{i}"), TargetId=target)
    c.attach_policy(PolicyId=policy(c, "scp-eleventh"), TargetId=target)


def _sixth_rcp(c: Any) -> None:
    target = ou(c, org(c, SCP, RCP), "Workloads")  # RCPFullAWSAccess is the first
    deny = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}]})
    for i in range(4):
        c.attach_policy(PolicyId=policy(c, f"rcp-{i}", RCP, deny), TargetId=target)
    c.attach_policy(PolicyId=policy(c, "rcp-sixth", RCP, deny), TargetId=target)


def _padded(size: int) -> str:
    """A valid SCP of exactly ``size`` characters, padded with white space (AWS counts it)."""
    return ALLOW[:-1] + " " * (size - len(ALLOW)) + "}"


def _scp_too_big(c: Any) -> None:
    org(c, SCP)
    c.create_policy(Name="big", Type=SCP, Content=_padded(5121), Description="")


def _update_scp_too_big(c: Any) -> None:
    pid = policy(c, "grows", content=ALLOW) if org(c, SCP) else ""
    c.update_policy(PolicyId=pid, Content=_padded(5121))


def _opt_out_too_big(c: Any) -> None:
    org(c, "AISERVICES_OPT_OUT_POLICY")
    doc = json.dumps({"services": {"default": {"opt_out_policy": {"@@assign": "optOut"}}},
                      "x": "y" * 2500})
    c.create_policy(Name="optout", Type="AISERVICES_OPT_OUT_POLICY", Content=doc,
                    Description="")


def _ou_too_deep(c: Any) -> None:
    parent = org(c)
    for level in range(1, 6):
        parent = ou(c, parent, f"L{level}")
    ou(c, parent, "L6")


def _sibling_name(c: Any) -> None:
    root = org(c)
    ou(c, root, "AI")
    ou(c, root, "AI")


def _not_json(c: Any) -> None:
    org(c, SCP)
    c.create_policy(Name="broken", Type=SCP, Content='{"Statement": [', Description="")


def _no_statement(c: Any) -> None:
    org(c, SCP)
    c.create_policy(Name="empty", Type=SCP, Content='{"Version": "2012-10-17"}',
                    Description="")


def _type_not_enabled(c: Any) -> None:
    target = ou(c, org(c, SCP), "Workloads")
    pid = policy(c, "tags", TAG, json.dumps({"tags": {"team": {"tag_key": {"@@assign": "team"}}}}))
    c.attach_policy(PolicyId=pid, TargetId=target)


def _scp_under_billing(c: Any) -> None:
    org(c, feature_set="CONSOLIDATED_BILLING")
    c.create_policy(Name="scp", Type=SCP, Content=ALLOW, Description="")


def _enable_under_billing(c: Any) -> None:
    org(c, SCP, feature_set="CONSOLIDATED_BILLING")


def _account_name_too_long(c: Any) -> None:
    org(c)
    c.create_account(AccountName="a" * 129, Email="long@example.com")


def _email_pattern(c: Any) -> None:
    org(c)
    c.create_account(AccountName="dev", Email="not-an-email")


def _ou_name_too_long(c: Any) -> None:
    ou(c, org(c), "o" * 129)


def _tag_key_pattern(c: Any) -> None:
    target = ou(c, org(c), "Workloads")
    c.tag_resource(ResourceId=target, Tags=[{"Key": "cost$center", "Value": "x"}])


def _too_many_tags(c: Any) -> None:
    target = ou(c, org(c), "Workloads")
    c.tag_resource(ResourceId=target, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    c.tag_resource(ResourceId=target, Tags=[{"Key": "k50", "Value": "v"}])


def _attached_twice(c: Any) -> None:
    target = ou(c, org(c, SCP), "Workloads")
    pid = policy(c, "allow")
    c.attach_policy(PolicyId=pid, TargetId=target)
    c.attach_policy(PolicyId=pid, TargetId=target)


def _detach_unattached(c: Any) -> None:
    target = ou(c, org(c, SCP), "Workloads")
    c.detach_policy(PolicyId=policy(c, "allow"), TargetId=target)


def _delete_nonempty_ou(c: Any) -> None:
    parent = ou(c, org(c), "AI")
    ou(c, parent, "Development")
    c.delete_organizational_unit(OrganizationalUnitId=parent)


def _move_from_wrong_parent(c: Any) -> None:
    root = org(c)
    a, b = ou(c, root, "A"), ou(c, root, "B")
    account = c.create_account(AccountName="dev", Email="dev@example.com")
    account_id = account["CreateAccountStatus"]["AccountId"]
    c.move_account(AccountId=account_id, SourceParentId=a, DestinationParentId=b)


def _edit_managed(c: Any) -> None:
    org(c, SCP)
    c.update_policy(PolicyId="p-FullAWSAccess", Content=ALLOW)


def _detach_rcp_full_access(c: Any) -> None:
    root = org(c, SCP, RCP)
    c.detach_policy(PolicyId="p-RCPFullAWSAccess", TargetId=root)


def _unknown_type(c: Any) -> None:
    org(c, SCP)
    c.create_policy(Name="x", Type="NOT_A_POLICY", Content="{}", Description="")


CVE, INVALID = "ConstraintViolationException", "InvalidInputException"
CASES = [
    Case("detach a target's last SCP", "DetachPolicy", CVE,
         "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED", _last_scp),
    Case("an eleventh SCP on one target", "AttachPolicy", CVE,
         "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED", _eleventh_scp),
    Case("a sixth RCP on one target", "AttachPolicy", CVE,
         "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED", _sixth_rcp),
    Case("an SCP over 5,120 characters, white space counted", "CreatePolicy", CVE,
         "POLICY_CONTENT_LIMIT_EXCEEDED", _scp_too_big),
    Case("an SCP updated over 5,120 characters", "UpdatePolicy", CVE,
         "POLICY_CONTENT_LIMIT_EXCEEDED", _update_scp_too_big),
    Case("an AI opt-out policy over 2,500 characters", "CreatePolicy", CVE,
         "POLICY_CONTENT_LIMIT_EXCEEDED", _opt_out_too_big),
    Case("an OU six levels under Root", "CreateOrganizationalUnit", CVE,
         "OU_DEPTH_LIMIT_EXCEEDED", _ou_too_deep),
    Case("two sibling OUs with one name", "CreateOrganizationalUnit",
         "DuplicateOrganizationalUnitException", None, _sibling_name),
    Case("a policy document that is not JSON", "CreatePolicy",
         "MalformedPolicyDocumentException", None, _not_json),
    Case("an SCP without a Statement", "CreatePolicy",
         "MalformedPolicyDocumentException", None, _no_statement),
    Case("attach a policy whose type is not enabled", "AttachPolicy",
         "PolicyTypeNotEnabledException", None, _type_not_enabled),
    Case("an SCP under consolidated billing", "CreatePolicy",
         "PolicyTypeNotAvailableForOrganizationException", None, _scp_under_billing),
    Case("enable SCPs under consolidated billing", "EnablePolicyType",
         "PolicyTypeNotAvailableForOrganizationException", None, _enable_under_billing),
    Case("an account name over 128 characters", "CreateAccount", INVALID,
         "MAX_LENGTH_EXCEEDED", _account_name_too_long),
    Case("an email outside botocore's pattern", "CreateAccount", INVALID,
         "INVALID_PATTERN", _email_pattern),
    Case("an OU name over 128 characters", "CreateOrganizationalUnit", INVALID,
         "MAX_LENGTH_EXCEEDED", _ou_name_too_long),
    Case("a tag key outside botocore's pattern", "TagResource", INVALID,
         "INVALID_PATTERN", _tag_key_pattern),
    Case("a 51st tag on one resource", "TagResource", CVE, "MAX_TAG_LIMIT_EXCEEDED",
         _too_many_tags),
    Case("attach the same policy twice", "AttachPolicy",
         "DuplicatePolicyAttachmentException", None, _attached_twice),
    Case("detach a policy that is not attached", "DetachPolicy",
         "PolicyNotAttachedException", None, _detach_unattached),
    Case("delete an OU that has children", "DeleteOrganizationalUnit",
         "OrganizationalUnitNotEmptyException", None, _delete_nonempty_ou),
    Case("move an account from a parent it is not in", "MoveAccount",
         "SourceParentNotFoundException", None, _move_from_wrong_parent),
    Case("edit the AWS-managed FullAWSAccess", "UpdatePolicy", INVALID,
         "IMMUTABLE_POLICY", _edit_managed),
    Case("detach RCPFullAWSAccess", "DetachPolicy", INVALID, "NON_DETACHABLE_POLICY",
         _detach_rcp_full_access),
    Case("a policy type outside botocore's enum", "CreatePolicy", INVALID,
         "INVALID_ENUM_POLICY_TYPE", _unknown_type),
]

# What moto 5.x alone lets through. A moto upgrade that starts refusing one of these
# makes the comparison test fail: then drop it here (and the rule may move to moto).
MOTO_MISSES = {
    "detach a target's last SCP", "an eleventh SCP on one target", "a sixth RCP on one target",
    "an SCP over 5,120 characters, white space counted", "an SCP updated over 5,120 characters",
    "an AI opt-out policy over 2,500 characters", "an OU six levels under Root",
    "two sibling OUs with one name", "a policy document that is not JSON",
    "an SCP without a Statement", "attach a policy whose type is not enabled",
    "an SCP under consolidated billing", "enable SCPs under consolidated billing",
    "an account name over 128 characters", "an email outside botocore's pattern",
    "an OU name over 128 characters", "a tag key outside botocore's pattern",
    "a 51st tag on one resource", "attach the same policy twice",
    "detach a policy that is not attached", "delete an OU that has children",
    "move an account from a parent it is not in", "edit the AWS-managed FullAWSAccess",
    "detach RCPFullAWSAccess",
    "a policy type outside botocore's enum",  # moto: InvalidInputException, no Reason
}
