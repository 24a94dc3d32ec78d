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
# # 05 Deploy
# Deploys the spec's policies and attachments (and, under Pulumi, the whole spec): the
# plan or Pulumi's preview, then the gate's verdict (lint, policy tests against the
# planned state, no level left without an Allow, the aws target's permission), then the
# apply. The engine is `direct`, `pulumi`, or `auto` (Pulumi where its CLI is installed);
# the record says which one ran. A refused gate stops the run with nothing changed.

# %% tags=["parameters"]
spec: str = "policies/organization.yaml"  # the spec, relative to the repository root
target: str = "emulator"  # emulator | aws
endpoint_url: str = ""  # AWS endpoint (the emulator's URL); empty for AWS itself
region: str = "us-east-1"  # AWS region for API calls
engine: str = "auto"  # direct | pulumi | auto (pulumi where its CLI is on PATH)
read_only: bool = False  # show the plan and the verdict only
approve: bool = True  # false: show the plan and the verdict only
allow_delete: bool = False  # delete policies the spec no longer names
allow_mutations: bool = False  # aws target: only a profile saying true may write
confirm: bool = False  # aws target: the person running confirms the writes
run_dir: str = ""  # the run record's folder (set by aigov run)

# %%
from aigov.deploy.flow import apply_deploy, gate_deploy, plan_deploy
from aigov.runbook.adapters import request_from_context
from aigov.runbook.notebook import start

ctx = start("05_deploy", globals())
req = request_from_context(ctx)

# %% [markdown]
# ## Plan (or Pulumi's preview)

# %%
planned = plan_deploy(req, ctx.params.engine)
print(planned.render())
planned.table()

# %% [markdown]
# ## The gate

# %%
verdict = gate_deploy(req, planned)
print(verdict.render())
verdict.table()

# %%
ctx.record(**planned.summary(), **verdict.summary())
if not verdict.ok:
    ctx.fail("the gate refused the apply: " + "; ".join(verdict.reasons), verdict.findings)

# %% [markdown]
# ## Apply

# %%
outcome = apply_deploy(req, planned, verdict)
print(outcome.render())

# %%
ctx.record(**outcome.summary())
