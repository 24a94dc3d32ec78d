"""What notebook 03 shows: the policy table with size against quota, the findings table,
the counts recorded, the size chart."""

from __future__ import annotations

from pathlib import Path

from aigov.policy.lint_report import lint_report
from aigov.spec import load_spec

FIX = Path(__file__).parent / "fixtures" / "lint"
REPO = Path(__file__).resolve().parents[1]


def test_shipped_spec_report_counts_policies_and_the_seed_warning():
    report = lint_report(load_spec(REPO / "policies" / "organization.yaml"))
    counts = report.counts()
    assert counts["policies"] == counts["rendered"] == len(report.spec.policies)
    assert (counts["lint_errors"], counts["lint_warnings"]) == (0, 1)
    assert report.errors == []


def test_policy_table_gives_size_quota_and_share_per_policy():
    report = lint_report(load_spec(FIX / "quota_override" / "organization.yaml"))
    row = report.policies().set_index("policy").loc["deny-s3"]
    assert row["quota"] == 100
    assert row["characters"] == len(report.docs["deny-s3"].text)
    assert row["% of quota"] > 100
    assert row["findings"] == 1


def test_findings_table_lists_errors_first_with_their_location():
    report = lint_report(load_spec(FIX / "planted" / "organization.yaml"))
    df = report.findings_frame()
    assert list(df["severity"]) == sorted(df["severity"], key=["error", "warning", "suggestion"].index)
    row = df[df["code"] == "SCP_PRINCIPAL"].iloc[0]
    assert (row["file"], row["statement"], row["element"], row["line"]) == \
        ("scp/typos.json", 1, "Principal", 14)
    assert report.counts()["lint_errors"] == len(report.errors) > 0


def test_documents_text_names_each_policy_with_its_targets():
    report = lint_report(load_spec(FIX / "planted" / "organization.yaml"))
    text = report.documents_text()
    assert "## quarantine  [SERVICE_CONTROL_POLICY]  -> Quarantine" in text


def test_size_figure_has_one_bar_per_policy():
    report = lint_report(load_spec(FIX / "planted" / "organization.yaml"))
    fig = report.size_figure()
    assert len(fig.axes[0].patches) == len(report.spec.policies)
