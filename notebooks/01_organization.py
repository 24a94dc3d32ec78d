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
# # 01 Organization
# Creates the organization if there is none, or adopts the one that exists, and enables
# the policy types the spec uses (direct engine). A second run plans nothing.

# %% tags=["parameters"]
spec: str = "policies/organization.yaml"  # the spec, relative to the repository root
target: str = "emulator"  # emulator | aws
endpoint_url: str = ""  # AWS endpoint (the emulator's URL); empty for AWS itself
region: str = "us-east-1"  # AWS region for API calls
read_only: bool = False  # show the plan only
approve: bool = True  # false: show the plan only
allow_mutations: bool = False  # aws target: only a profile saying true may write
confirm: bool = False  # aws target: the person running confirms the writes
run_dir: str = ""  # the run record's folder (set by aigov run)

# %%
from aigov.org.discover import tag_scope
from aigov.org.shared import discover_shared
from aigov.runbook.notebook import start
from aigov.runbook.steps import apply_scope, scoped_plan

ctx = start("01_organization", globals())

# %% [markdown]
# ## Plan

# %%
plan = scoped_plan(ctx, "organization")
print(plan.render())
plan.table()

# %% [markdown]
# ## Apply

# %%
step = apply_scope(ctx, plan)
step.summary()

# %%
inv = discover_shared(ctx.session(), with_policies=False, tags=tag_scope(ctx.spec))
ctx.record(**step.summary(), organization_id=inv.organization_id,
           feature_set=inv.feature_set, management_account_id=inv.management_account_id,
           enabled_policy_types=sorted(inv.enabled_policy_types))
