"""One list of RCP-supported services serves the evaluator and the linter.

AWS Organizations User Guide, "Resource control policies": an RCP applies only to the
services in AWS's list of services that support RCPs; for any other service the RCP has
no effect (and naming such a service in an RCP is a lint finding).
"""

from __future__ import annotations

from aigov.policy.batch import BatchSimulator
from aigov.policy.checks import grammar
from aigov.policy.evaluate import Evaluator, chain, make_request
from aigov.policy.lint import parse_document
from aigov.policy.parse import parse_policy
from aigov.policy.services import rcp_supported_services

DENY_ALL = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Principal": "*", "Action": ["logs:*", "ec2:*"], "Resource": "*"}]}


def _decide(action: str) -> str:
    """The evaluator itself (the batch refuses this RCP: see the next test)."""
    rcp = parse_policy(DENY_ALL, name="deny-all", policy_type="RESOURCE_CONTROL_POLICY")
    return Evaluator().decide(make_request(action), None,
                              chain("RCP", [("Root", [rcp])])).decision


def test_rcp_applies_to_a_supported_service_and_not_to_others():
    assert "logs" in rcp_supported_services() and "ec2" not in rcp_supported_services()
    assert _decide("logs:PutLogEvents") == "deny"
    assert _decide("ec2:RunInstances") == "allow"


def test_batch_refuses_an_rcp_naming_an_unsupported_service_as_lint_does():
    """The simulator and lint agree on what is malformed (docs/contracts/batch-simulation.md)."""
    import json

    line = json.dumps({"id": "x", "scps": [], "rcps": [[DENY_ALL]],
                       "request": {"action": "logs:PutLogEvents", "resource": "*"}})
    out = BatchSimulator().answer(line)
    assert "RCP_UNSUPPORTED_SERVICE" in out["error"]


def test_lint_flags_exactly_the_services_the_evaluator_ignores():
    import json

    doc, problems = parse_document(json.dumps(DENY_ALL), "RESOURCE_CONTROL_POLICY",
                                   file="rcp.json")
    assert doc is not None and problems == []
    unsupported = [f for f in grammar.check_rcp_grammar(doc) if f.code == "RCP_UNSUPPORTED_SERVICE"]
    assert len(unsupported) == 1 and "ec2" in unsupported[0].message
