"""Quota checks: size as AWS counts the minified text, and policies per target."""

from __future__ import annotations

from aigov.policy.checks.document import PolicyDoc
from aigov.policy.checks.quotas import check_policy_size, load_quotas


def sized(ptype: str, size: int) -> PolicyDoc:
    return PolicyDoc(document={}, type=ptype, name="p", text="x" * size)


def test_default_quotas_carry_source_date_and_the_may_2026_scp_raise():
    q = load_quotas()
    assert q["source"].startswith("https://docs.aws.amazon.com/organizations/")
    assert q["checked"]
    assert q["SERVICE_CONTROL_POLICY"] == {**q["SERVICE_CONTROL_POLICY"], "max_size": 10240,
                                           "max_attached_per_target": 10}
    assert (q["RESOURCE_CONTROL_POLICY"]["max_size"], q["AISERVICES_OPT_OUT_POLICY"]["max_size"],
            q["TAG_POLICY"]["max_size"]) == (5120, 2500, 10000)


def test_spec_override_replaces_one_value_and_keeps_the_rest():
    q = load_quotas({"SERVICE_CONTROL_POLICY": {"max_size": 5120}})
    assert q["SERVICE_CONTROL_POLICY"]["max_size"] == 5120
    assert q["SERVICE_CONTROL_POLICY"]["max_attached_per_target"] == 10


def test_policy_within_its_size_quota_passes():
    assert list(check_policy_size(sized("SERVICE_CONTROL_POLICY", 3000), load_quotas())) == []


def test_opt_out_policy_over_2500_characters_is_an_error():
    (f,) = check_policy_size(sized("AISERVICES_OPT_OUT_POLICY", 2501), load_quotas())
    assert f.code == "QUOTA_POLICY_SIZE"


def test_exactly_at_quota_is_allowed_but_near_it_is_a_suggestion():
    (f,) = check_policy_size(sized("RESOURCE_CONTROL_POLICY", 5120), load_quotas())
    assert f.code == "QUOTA_POLICY_SIZE_NEAR"


def test_size_counts_characters_not_bytes():
    (f,) = check_policy_size(PolicyDoc(document={}, type="AISERVICES_OPT_OUT_POLICY",
                                       text="é" * 2400), load_quotas())
    assert f.code == "QUOTA_POLICY_SIZE_NEAR"


def test_spec_quota_that_is_not_a_mapping_of_numbers_is_a_spec_error():
    import pytest

    from aigov.errors import SpecError

    with pytest.raises(SpecError) as err:
        load_quotas({"SERVICE_CONTROL_POLICY": 5120})
    assert err.value.location == "quotas.SERVICE_CONTROL_POLICY"
    with pytest.raises(SpecError):
        load_quotas({"TAG_POLICY": {"max_size": "big"}})
    with pytest.raises(SpecError):
        load_quotas({"near_limit_ratio": 3})
