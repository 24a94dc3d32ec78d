# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     notebook_metadata_filter: kernelspec,jupytext
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 06 Audit
# Compares the live organization with the spec (`aigov drift` runs the same check) and
# shows what applies where: the SCPs and RCPs at each level of every account's path, and
# the OUs and accounts that no guardrail covers. Read calls only; any drift error stops
# the run with exit 1, so a scheduled audit alerts.

# %% tags=["parameters"]
spec: str = "policies/organization.yaml"  # the spec, relative to the repository root
target: str = "emulator"  # emulator | aws
endpoint_url: str = ""  # AWS endpoint (the emulator's URL); empty for AWS itself
region: str = "us-east-1"  # AWS region for API calls
read_only: bool = False  # this notebook never writes; kept for the audit profile
run_dir: str = ""  # the run record's folder (set by aigov run)

# %%
from aigov.org.audit import audit_report
from aigov.runbook.notebook import start

ctx = start("06_audit", globals())

# %% [markdown]
# ## Drift
# Each difference between the live organization and the spec. Policy contents are
# compared semantically: reordered keys or values are not drift.

# %%
report = audit_report(ctx.bundle, ctx.session())
report.drift_frame()

# %% [markdown]
# ## Effective SCPs and RCPs of every account
# One row per level of each account's path, Root first; the policies attached there.
# An action is allowed only if every level allows it and no level denies it.

# %%
report.effective_frame()

# %% [markdown]
# ## AI settings each account ends up with
# The effective AI services opt-out of each service and the Bedrock guardrail enforced
# in each Region, merged from the live policies on the account's path by AWS's
# inheritance operators (`aigov effective` shows the spec's). On AWS itself the drift
# table above also compares them with AWS's own DescribeEffectivePolicy.

# %%
report.ai_settings_frame()

# %% [markdown]
# ## OUs and accounts no guardrail covers
# Only FullAWSAccess (SCPs) or RCPFullAWSAccess (RCPs) on their whole path.

# %%
report.uncovered_frame()

# %% [markdown]
# ## Summary

# %%
ctx.record(**report.summary())
report.summary_frame()

# %%
if report.errors:
    ctx.fail(f"{len(report.errors)} drift finding(s): the organization differs from the "
             "spec; see the drift table", report.errors)
