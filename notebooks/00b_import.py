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
# # 00b Import: the organization you already have
# Reads the live organization with list and describe calls only and writes it as a spec,
# policy files and a behaviour baseline (`aigov import`). The tables below are for the
# person deciding whether to adopt it with this runbook: what was found, what the spec
# holds, and what it cannot say. Nothing in the organization changes.

# %% tags=["parameters"]
spec: str = "policies/organization.yaml"  # not used here: the import writes its own
target: str = "emulator"  # emulator | aws
endpoint_url: str = ""  # AWS endpoint (the emulator's URL); empty for AWS itself
region: str = "us-east-1"  # AWS region for API calls
import_dir: str = ""  # where to write the import (default: the run record's import/)
run_dir: str = ""  # the run record's folder (set by aigov run)

# %%
from aigov.org.tree import draw_tree
from aigov.runbook.adapters import import_for_run
from aigov.runbook.notebook import start
from aigov.spec import load_spec
import pandas as pd

ctx = start("00b_import", globals())

# %%
report = import_for_run(ctx)
print(report.render())

# %% [markdown]
# ## Live and imported, by kind

# %%
pd.DataFrame(report.rows())

# %% [markdown]
# ## The OU tree as imported

# %%
fig = draw_tree(load_spec(report.out / "organization.yaml"), report.inventory)

# %% [markdown]
# ## Accounts

# %%
pd.DataFrame(report.account_rows())

# %% [markdown]
# ## Policies and where they are attached

# %%
pd.DataFrame(report.policy_rows())

# %% [markdown]
# ## What the spec cannot say
# Also written as comments in the imported `organization.yaml`. An error means a plan
# from this spec would detach a policy: do not apply it before that is resolved.

# %%
pd.DataFrame(report.finding_rows(), columns=["code", "severity", "key", "message"])

# %%
ctx.record(**report.summary())
