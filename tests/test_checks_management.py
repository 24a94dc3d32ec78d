"""Management policy grammar: per-type inheritance operators, tag value wildcards,
enforced_for syntax (AWS Organizations User Guide, "Inheritance operators", "AI services
opt-out policy syntax", "Tag policy syntax"), and Bedrock policies ("Amazon Bedrock
policy syntax and examples")."""

from __future__ import annotations

import json

import pytest

from aigov.policy.checks import assign_grammar, bedrock_grammar
from aigov.policy.checks.document import PolicyDoc, json_lines

# The example of "Amazon Bedrock policy syntax and examples", verbatim.
AWS_EXAMPLE = {"bedrock": {"guardrail_inference": {"us-east-1": {"config_1": {
    "identifier": {"@@assign": "arn:aws:bedrock:us-east-1:123456789012:guardrail/hu1dlsv9wy1d:1"},
    "input_tags": {"@@assign": "honor"}}}}}}


def doc(document: dict, ptype: str) -> PolicyDoc:
    return PolicyDoc(document=document, type=ptype, file="p.json",
                     lines=json_lines(json.dumps(document, indent=2)))


def codes(found) -> list[str]:
    return sorted(f.code for f in found)


def test_append_in_an_opt_out_policy_is_an_error_with_its_line():
    """AI opt-out settings hold one value: @@assign only."""
    d = {"services": {"default": {"opt_out_policy": {"@@append": "optOut"}}}}
    found = list(assign_grammar.check_opt_out_grammar(doc(d, "AISERVICES_OPT_OUT_POLICY")))
    assert "MGMT_OPERATOR_NOT_ALLOWED" in codes(found)
    f = next(f for f in found if f.code == "MGMT_OPERATOR_NOT_ALLOWED")
    assert f.severity == "error" and f.location["line"] == 5


def tag(**elements) -> dict:
    return {"tags": {"owner": {"tag_key": {"@@assign": "Owner"}, **elements}}}


@pytest.mark.parametrize(("document", "code"), [
    (tag(tag_value={"@@assign": ["*@*.example.com"]}), "TAG_VALUE_WILDCARD"),
    (tag(enforced_for={"@@assign": ["*:*"]}), "TAG_ENFORCED_FOR"),
    (tag(enforced_for={"@@assign": ["ec2"]}), "TAG_ENFORCED_FOR"),
    ({"tags": {"owner": {"tag_key": {"@@remove": "Owner"}}}}, "MGMT_OPERATOR_NOT_ALLOWED"),
])
def test_tag_value_and_enforced_for_mistakes_are_errors(document, code):
    assert code in codes(assign_grammar.check_tag_grammar(doc(document, "TAG_POLICY")))


def test_tag_policy_with_one_wildcard_and_service_resource_types_passes():
    d = tag(tag_value={"@@assign": ["*@example.com", "team-a"]},
            enforced_for={"@@assign": ["bedrock:*", "sagemaker:training-job",
                                       "ec2:ALL_SUPPORTED"]})
    assert codes(assign_grammar.check_tag_grammar(doc(d, "TAG_POLICY"))) == []


def test_awss_bedrock_example_passes():
    assert codes(bedrock_grammar.check_bedrock_grammar(doc(AWS_EXAMPLE, "BEDROCK_POLICY"))) == []


def config(**kw) -> dict:
    return {"bedrock": {"guardrail_inference": {"us-east-1": {"config_1": kw}}}}


GOOD = "arn:aws:bedrock:us-east-1:123456789012:guardrail/hu1dlsv9wy1d:1"


@pytest.mark.parametrize(("document", "code"), [
    (config(identifier={"@@assign": GOOD.replace(":1", ":DRAFT")}), "BEDROCK_IDENTIFIER"),
    (config(identifier={"@@assign": "hu1dlsv9wy1d"}), "BEDROCK_IDENTIFIER"),
    (config(input_tags={"@@assign": "honor"}), "BEDROCK_IDENTIFIER"),
    (config(identifier={"@@assign": GOOD.replace("us-east-1", "us-west-2")}),
     "BEDROCK_GUARDRAIL_REGION"),
    (config(identifier={"@@assign": GOOD}, input_tags={"@@assign": "Honor"}),
     "BEDROCK_INPUT_TAGS"),
    (config(identifier={"@@append": GOOD}), "MGMT_OPERATOR_NOT_ALLOWED"),
    (config(identifier={"@@assign": GOOD}, guardrail={"@@assign": "x"}), "BEDROCK_SYNTAX"),
    ({"bedrock": {"guardrail_inference": {"us-east-9": {"config_1": {
        "identifier": {"@@assign": GOOD.replace("us-east-1", "us-east-9")}}}}}},
     "BEDROCK_REGION"),
    ({"guardrails": {}}, "BEDROCK_SYNTAX"),
])
def test_bedrock_policy_mistakes_are_errors(document, code):
    found = list(bedrock_grammar.check_bedrock_grammar(doc(document, "BEDROCK_POLICY")))
    assert code in codes(found)
    assert all(f.severity == "error" for f in found)


def test_guardrail_of_another_account_than_the_management_account_is_an_error():
    from aigov.policy.render import RenderedPolicy
    from aigov.spec.model import Organization, Spec

    spec = Spec(organization=Organization(management_account_id="111122223333"))
    rendered = {"g": RenderedPolicy("g", "BEDROCK_POLICY", "g.json", AWS_EXAMPLE, "")}
    found = list(bedrock_grammar.check_guardrail_owner(spec, rendered, "org.yaml"))
    assert codes(found) == ["BEDROCK_GUARDRAIL_ACCOUNT"]
    own = Spec(organization=Organization(management_account_id="123456789012"))
    assert list(bedrock_grammar.check_guardrail_owner(own, rendered, "org.yaml")) == []
