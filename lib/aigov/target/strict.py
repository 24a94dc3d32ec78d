"""AWS Organizations rules that moto skips, enforced inside the emulator process.

moto (5.x) accepts what AWS refuses: detaching a target's last SCP, an eleventh SCP on
one target, a policy over its size quota, an OU six levels deep, two sibling OUs with
one name, a document that is not JSON, attaching a type that is not enabled, a name or
email longer than the API allows. An apply order that AWS would stop halfway then passes
every test. This module adds those rules on top of moto's own backend, not a fork:

- ``StrictOrganizationsBackend`` subclasses moto's ``OrganizationsBackend``; its
  ``check_<operation>`` methods hold one rule each and raise moto-style errors carrying
  AWS's exception name and, where the model has one, its ``Reason`` code (botocore's
  ``organizations/2016-11-28/service-2.json``: ``ConstraintViolationExceptionReason``,
  ``InvalidInputExceptionReason``);
- ``install()`` (the emulator calls it before it starts) makes moto build this backend,
  and wraps each API method of moto's ``OrganizationsResponse`` so that a request is
  first checked against botocore's input model (lengths, patterns, enums) and then by
  the backend's ``check_*`` rule. moto's internal calls (it attaches FullAWSAccess to
  each new OU itself) bypass the checks, as AWS's own bookkeeping does.

What the emulator does not enforce is listed in ``docs/emulator.md``. Sources:
Quotas for AWS Organizations
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html)
and the Organizations API reference (https://docs.aws.amazon.com/organizations/latest/APIReference/).
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache, wraps
from typing import Any

from moto.organizations import models as moto_models
from moto.organizations.exceptions import OrganizationsClientError
from moto.organizations.models import FakePolicy, FakeRoot, OrganizationsBackend

SCP, RCP = "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"
# Quotas for AWS Organizations, "Maximum size of a policy document" (characters, white
# space included when sent through the API: "saved exactly as you provided it") and
# "maximum number you can attach to a root, OU, or account" per type (Managing policies:
# policy types table; SCPs 10, RCPs 5). Types the page does not list get 10,000 / 10.
POLICY_QUOTAS: dict[str, tuple[int, int]] = {
    SCP: (5120, 10),
    RCP: (5120, 5),
    "AISERVICES_OPT_OUT_POLICY": (2500, 5),
    "TAG_POLICY": (10000, 10),
    "BACKUP_POLICY": (10000, 10),
    "CHATBOT_POLICY": (10000, 5),
    "DECLARATIVE_POLICY_EC2": (10000, 10),
}
DEFAULT_QUOTA = (10000, 10)
OU_MAX_DEPTH = 5      # "OU maximum nesting in a root: five levels of OUs deep under a root"
MAX_TAGS = 50         # tags per resource (TagResource: MAX_TAG_LIMIT_EXCEEDED)
AUTHORIZATION_TYPES = (SCP, RCP)


class StrictError(OrganizationsClientError):
    """An AWS error by its model name; ``reason`` is serialized as the ``Reason`` member."""

    def __init__(self, code: str, message: str, reason: str | None = None) -> None:
        super().__init__(code, message)
        if reason is not None:
            self.reason = reason


def constraint(reason: str, message: str) -> StrictError:
    return StrictError("ConstraintViolationException", message, reason)


def invalid_input(reason: str, message: str) -> StrictError:
    return StrictError("InvalidInputException", message, reason)


# -- botocore's input model ------------------------------------------------------------

@cache
def service_model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model("organizations")


def _matches(pattern: str, value: str) -> bool:
    r"""Full match of a botocore pattern. Python's ``re`` has no ``\p{..}`` classes: a
    character of Unicode category L, Z or N is read as ``a`` against a pattern whose
    ``\p{L}\p{Z}\p{N}`` are read as ``a`` too (the tag key and value patterns)."""
    if r"\p{" in pattern:
        value = "".join("a" if unicodedata.category(ch)[0] in "LZN" else ch for ch in value)
        pattern = re.sub(r"\\p\{[LZN]\}", "a", pattern)
    return re.fullmatch(pattern, value) is not None


def check_value(shape: Any, value: Any, where: str) -> None:
    """Raise ``InvalidInputException`` where ``value`` breaks ``shape``'s length, pattern
    or enum (botocore checks only minimum lengths on the client)."""
    if shape.type_name == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value:
                check_value(member, value[name], f"{where}.{name}" if where else name)
    elif shape.type_name == "list" and isinstance(value, list):
        for i, item in enumerate(value):
            check_value(shape.member, item, f"{where}[{i}]")
    elif shape.type_name == "string" and isinstance(value, str):
        meta = shape.metadata
        if "max" in meta and len(value) > meta["max"]:
            raise invalid_input("MAX_LENGTH_EXCEEDED", f"{where}: you provided a value "
                                f"longer than the maximum of {meta['max']} characters.")
        if "min" in meta and len(value) < meta["min"]:
            raise invalid_input("MIN_LENGTH_EXCEEDED", f"{where}: you provided a value "
                                f"shorter than the minimum of {meta['min']} characters.")
        if shape.enum and value not in shape.enum:
            reason = "INVALID_ENUM_POLICY_TYPE" if shape.name == "PolicyType" else "INVALID_ENUM"
            raise invalid_input(reason, f"{where}: you specified an invalid value.")
        if "pattern" in meta and not _matches(meta["pattern"], value):
            raise invalid_input("INVALID_PATTERN", f"{where}: you provided a value that "
                                "does not match the required pattern.")


def check_request(operation: str, params: dict[str, Any]) -> None:
    shape = service_model().operation_model(operation).input_shape
    if shape is not None:
        check_value(shape, params, "")


# -- the rules, on moto's backend --------------------------------------------------------

def policy_quota(ptype: str) -> tuple[int, int]:
    """``(max document size, max attached per target)`` for a policy type."""
    return POLICY_QUOTAS.get(ptype, DEFAULT_QUOTA)


def malformed_reason(ptype: str, content: str) -> str | None:
    """Why AWS would refuse ``content`` as a document of ``ptype`` (None when it would not).

    Every type is one JSON object (Troubleshooting Organizations policies: "An SCP must
    consist of one and only one JSON object"); SCPs and RCPs need a ``Statement`` whose
    entries each have an ``Effect`` of Allow or Deny (SCP syntax).
    """
    try:
        doc = json.loads(content)
    except ValueError as exc:
        return f"the document is not JSON ({exc})"
    if not isinstance(doc, dict):
        return "the document must be one JSON object"
    if ptype in AUTHORIZATION_TYPES:
        stmts = doc.get("Statement")
        if stmts is None:
            return "the document has no Statement"
        for stmt in stmts if isinstance(stmts, list) else [stmts]:
            if not isinstance(stmt, dict) or stmt.get("Effect") not in ("Allow", "Deny"):
                return "each statement needs an Effect of Allow or Deny"
    return None


class StrictOrganizationsBackend(OrganizationsBackend):
    """moto's Organizations backend with AWS's rules in front of its API methods."""

    @property
    def _url_module(self) -> Any:
        """moto finds a backend's URLs next to its class; these are moto's own."""
        from moto.organizations import urls

        return urls

    # -- helpers ----------------------------------------------------------------------
    def _root(self) -> FakeRoot | None:
        return next((ou for ou in self.ou if isinstance(ou, FakeRoot)), None)

    def _enabled(self) -> set[str]:
        root = self._root()
        return {t["Type"] for t in root.policy_types} if root else set()

    def _target(self, target_id: str) -> Any:
        found = next((o for o in [*self.ou, *self.accounts] if o.id == target_id), None)
        if found is None:
            raise StrictError("TargetNotFoundException",
                              "You specified a target that doesn't exist.")
        return found

    def _depth(self, ou_id: str) -> int:
        """Levels of OUs from the root down to ``ou_id`` (the root itself is 0)."""
        depth, node = 0, self._target(ou_id)
        while not isinstance(node, FakeRoot):
            depth += 1
            node = self._target(node.parent_id)
        return depth

    def _require_all_features(self) -> None:
        """Policies need all features ("You can use policies when all features are
        enabled in your organization"): consolidated billing has no policy types."""
        if self.org is not None and self.org.feature_set != "ALL":
            raise StrictError("PolicyTypeNotAvailableForOrganizationException",
                              "You can't use the specified policy type with the feature set "
                              "currently enabled for this organization.")

    def _check_document(self, ptype: str, content: str) -> None:
        why = malformed_reason(ptype, content)
        if why:
            raise StrictError("MalformedPolicyDocumentException",
                              f"The provided policy document doesn't meet the requirements "
                              f"of the specified policy type: {why}.")
        limit = policy_quota(ptype)[0]
        if len(content) > limit:
            raise constraint("POLICY_CONTENT_LIMIT_EXCEEDED",
                             f"The policy is {len(content)} characters; {ptype} documents "
                             f"are limited to {limit} (white space counts).")

    # -- OUs ----------------------------------------------------------------------------
    def check_create_organizational_unit(self, ParentId: str, Name: str,  # noqa: N803
                                         **_: Any) -> None:
        """AWS: the parent exists, no sibling has the name, at most five levels of OUs."""
        try:
            self.get_organizational_unit_by_id(ParentId)
        except OrganizationsClientError:
            raise StrictError("ParentNotFoundException",
                              "We can't find a root or OU with the ParentId that you "
                              "specified.") from None
        if any(o.parent_id == ParentId and o.name == Name for o in self.ou):
            raise StrictError("DuplicateOrganizationalUnitException",
                              "An OU with the same name already exists.")
        if self._depth(ParentId) + 1 > OU_MAX_DEPTH:
            raise constraint("OU_DEPTH_LIMIT_EXCEEDED", "You attempted to create an OU "
                             f"tree that is too many levels deep (at most {OU_MAX_DEPTH}).")

    def check_update_organizational_unit(self, OrganizationalUnitId: str,  # noqa: N803
                                         Name: str | None = None, **_: Any) -> None:
        ou = self.get_organizational_unit_by_id(OrganizationalUnitId)
        if Name is not None and any(o.parent_id == ou.parent_id and o.name == Name
                                    and o.id != ou.id for o in self.ou):
            raise StrictError("DuplicateOrganizationalUnitException",
                              "An OU with the same name already exists.")

    def update_organizational_unit(self, **kwargs: Any) -> dict[str, Any]:
        """Renames in place (moto refuses a name used by any OU; AWS only by a sibling)."""
        ou = self.get_organizational_unit_by_id(kwargs["OrganizationalUnitId"])
        ou.name = kwargs.get("Name", ou.name)
        return ou.describe()

    def check_delete_organizational_unit(self, OrganizationalUnitId: str,  # noqa: N803
                                         **_: Any) -> None:
        if any(o.parent_id == OrganizationalUnitId for o in [*self.ou, *self.accounts]):
            raise StrictError("OrganizationalUnitNotEmptyException",
                              "The specified OU is not empty. Move all accounts to another "
                              "root or to other OUs, remove all child OUs, and try again.")

    def delete_organizational_unit(self, **kwargs: Any) -> None:
        """The OU's policy attachments go with it (moto leaves them on the policies)."""
        ou = self.get_organizational_unit_by_id(kwargs["OrganizationalUnitId"])
        for policy in list(ou.attached_policies):
            policy.attachments.remove(ou)
        ou.attached_policies.clear()
        super().delete_organizational_unit(**kwargs)

    # -- accounts ----------------------------------------------------------------------
    def check_move_account(self, AccountId: str, SourceParentId: str,  # noqa: N803
                           DestinationParentId: str, **_: Any) -> None:
        account = self.get_account_by_id(AccountId)
        if not any(o.id == DestinationParentId for o in self.ou):
            raise StrictError("DestinationParentNotFoundException",
                              "We can't find the destination container (a root or OU) "
                              "with the ParentId that you specified.")
        if account.parent_id != SourceParentId:
            raise StrictError("SourceParentNotFoundException",
                              "We can't find a source root or OU with the ParentId that "
                              "you specified.")
        if SourceParentId == DestinationParentId:
            raise StrictError("DuplicateAccountException",
                              "That account is already present in the specified destination.")

    def check_tag_resource(self, ResourceId: str, Tags: list[dict[str, str]],  # noqa: N803
                           **_: Any) -> None:
        keys = [t.get("Key") for t in Tags]
        if len(keys) != len(set(keys)):
            raise invalid_input("DUPLICATE_TAG_KEY", "Tag keys must be unique.")
        resource = self._get_resource_for_tagging(ResourceId)
        if len(set(resource.tags) | set(keys)) > MAX_TAGS:
            raise constraint("MAX_TAG_LIMIT_EXCEEDED", "You have exceeded the maximum "
                             f"number of tags ({MAX_TAGS}) allowed on this resource.")

    # -- policy types ------------------------------------------------------------------
    def check_enable_policy_type(self, PolicyType: str, **_: Any) -> None:  # noqa: N803
        self._require_all_features()

    def enable_policy_type(self, **kwargs: str) -> dict[str, Any]:
        """Enabling SCPs attaches FullAWSAccess to the root, every OU and every account
        (Enabling a policy type); moto attaches it at creation only."""
        out = super().enable_policy_type(**kwargs)
        if kwargs["PolicyType"] == SCP:
            full = next((p for p in self.policies if p.aws_managed and p.type == SCP), None)
            for target in [*self.ou, *self.accounts] if full else []:
                if full not in target.attached_policies:
                    target.attached_policies.append(full)
                    full.attachments.append(target)
        return out

    def disable_policy_type(self, **kwargs: str) -> dict[str, Any]:
        """AWS detaches every policy of the type from every root, OU and account when
        the type is disabled (DisablePolicyType); moto only forgets the type."""
        out = super().disable_policy_type(**kwargs)
        for policy in self.policies:
            if policy.type == kwargs["PolicyType"]:
                for target in list(policy.attachments):
                    target.attached_policies.remove(policy)
                    policy.attachments.remove(target)
        return out

    # -- policies ----------------------------------------------------------------------
    def check_create_policy(self, Type: str, Content: str, **_: Any) -> None:  # noqa: N803
        self._require_all_features()
        self._check_document(Type, Content)

    def create_policy(self, **kwargs: Any) -> dict[str, Any]:
        """moto builds only five types (and raises NotImplementedError for BACKUP_POLICY);
        any type of botocore's ``PolicyType`` enum is built here, with its ARN."""
        ptype = kwargs.get("Type", "")
        if ptype in ("AISERVICES_OPT_OUT_POLICY", RCP, SCP, "TAG_POLICY"):
            return super().create_policy(**kwargs)
        if any(p.name == kwargs["Name"] for p in self.policies):
            return super().create_policy(**kwargs)  # moto's DuplicatePolicyException
        policy = FakePolicy(self.org, **{**kwargs, "Type": SCP})  # type: ignore[arg-type]
        policy.type = ptype
        policy._arn_format = ("arn:{0}:organizations::{1}:policy/{2}/" + ptype.lower()
                              + "/{3}")
        self.policies.append(policy)
        return policy.describe()

    def check_update_policy(self, PolicyId: str, Content: str | None = None,  # noqa: N803
                            **_: Any) -> None:
        policy = self.get_policy_by_id(PolicyId)
        self._check_managed(policy)
        if Content is not None:
            self._check_document(policy.type, Content)

    def check_delete_policy(self, PolicyId: str, **_: Any) -> None:  # noqa: N803
        self._check_managed(self.get_policy_by_id(PolicyId))

    @staticmethod
    def _check_managed(policy: FakePolicy) -> None:
        if policy.aws_managed:
            raise invalid_input("IMMUTABLE_POLICY", "You specified a policy that is managed "
                                "by AWS and can't be modified.")

    # -- attachments -------------------------------------------------------------------
    def check_attach_policy(self, PolicyId: str, TargetId: str, **_: Any) -> None:  # noqa: N803
        """The type is enabled at the root, the pair is new, and the target stays within
        the per-type attachment quota (FullAWSAccess counts toward the SCP quota)."""
        policy = self.get_policy_by_id(PolicyId)
        if policy.type not in self._enabled():
            raise StrictError("PolicyTypeNotEnabledException",
                              "This operation can be performed only for enabled policy "
                              "types.")
        target = self._target(TargetId)
        if policy in target.attached_policies:
            raise StrictError("DuplicatePolicyAttachmentException",
                              "The selected policy is already attached to the specified "
                              "target.")
        limit = policy_quota(policy.type)[1]
        if sum(p.type == policy.type for p in target.attached_policies) >= limit:
            raise constraint("MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
                             f"You attempted to attach more than {limit} {policy.type} "
                             "policies to one root, OU or account.")

    def check_detach_policy(self, PolicyId: str, TargetId: str, **_: Any) -> None:  # noqa: N803
        """A target keeps at least one SCP while SCPs are enabled; RCPFullAWSAccess
        cannot be detached; detaching what is not attached is an error."""
        policy = self.get_policy_by_id(PolicyId)
        target = self._target(TargetId)
        if policy not in target.attached_policies:
            raise StrictError("PolicyNotAttachedException",
                              "The policy isn't attached to the specified target.")
        if policy.aws_managed and policy.type == RCP:
            raise invalid_input("NON_DETACHABLE_POLICY",
                                "You can't detach the RCPFullAWSAccess policy.")
        if (policy.type == SCP and SCP in self._enabled()
                and sum(p.type == SCP for p in target.attached_policies) <= 1):
            raise constraint("MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
                             "You attempted to detach a policy from an entity that would "
                             "leave it without any SCP attached.")


# -- installing it into moto -------------------------------------------------------------

def _strict_method(operation: str, method: Any) -> Any:
    check = "check_" + method.__name__

    @wraps(method)
    def run(self: Any) -> Any:
        params = self.request_params
        check_request(operation, params)
        backend = self.organizations_backend
        rule = getattr(backend, check, None)
        if rule is not None:
            rule(**params)
        return method(self)

    run.aigov_strict = True  # type: ignore[attr-defined]
    return run


def install() -> None:
    """Make this process's moto Organizations strict (idempotent).

    New backends are built as ``StrictOrganizationsBackend`` (existing ones change
    class: the subclass adds no state); every API method of moto's response class checks
    the request first; moto's lists of known policy types take botocore's enum, so
    BEDROCK_POLICY, BACKUP_POLICY and the rest can be enabled, listed and attached.
    """
    from botocore import xform_name
    from moto.organizations.responses import OrganizationsResponse

    backends = moto_models.organizations_backends
    backends.backend = StrictOrganizationsBackend
    for per_account in backends.values():
        per_account.backend = StrictOrganizationsBackend
        for backend in per_account.values():
            backend.__class__ = StrictOrganizationsBackend
    types = service_model().shape_for("PolicyType").enum
    for cls in (FakePolicy, FakeRoot):
        cls.SUPPORTED_POLICY_TYPES[:] = sorted(set(cls.SUPPORTED_POLICY_TYPES) | set(types))
    for operation in service_model().operation_names:
        name = xform_name(operation)
        method = OrganizationsResponse.__dict__.get(name)
        if callable(method) and not getattr(method, "aigov_strict", False):
            setattr(OrganizationsResponse, name, _strict_method(operation, method))
