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
# # 00 Preflight
# Checks the target, the caller's identity, the management account, tool versions and
# the spec before anything else runs. Any failed check stops the run here, before a
# single write to the organization.

# %% tags=["parameters"]
spec: str = "policies/organization.yaml"  # the spec, relative to the repository root
target: str = "emulator"  # emulator | aws
endpoint_url: str = ""  # AWS endpoint (the emulator's URL); empty for AWS itself
region: str = "us-east-1"  # AWS region for API calls
read_only: bool = False  # true for scheduled audits: nothing is ever applied
allow_mutations: bool = False  # aws target: only a profile saying true may write
confirm: bool = False  # aws target: the person running confirms the writes
run_dir: str = ""  # the run record's folder (set by aigov run)

# %%
from aigov.runbook.notebook import start
from aigov.runbook.preflight import failures, preflight
from aigov.runbook.run import tool_versions
import pandas as pd

ctx = start("00_preflight", globals())

# %%
checks = pd.DataFrame(preflight(ctx))
checks

# %%
pd.Series(tool_versions(), name="version").to_frame()

# %%
ctx.record(checks={r["check"]: r["status"] for r in checks.to_dict("records")})
if failures(checks.to_dict("records")):
    ctx.fail("preflight failed: " + "; ".join(failures(checks.to_dict("records"))))
