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
# # Onboarding: where your accounts live and what your people may do
# A guided session for a new AI team with the platform team. It reads the spec
# (`policies/organization.yaml`) and needs no AWS; with an emulator or AWS endpoint set
# (`aigov lab` starts one) it also shows the live organization beside the spec. Nothing
# here changes the organization.
#
# In JupyterLab run every cell (Run > Run All Cells; running it again is fine): each
# section shows its interactive view. Run headless (papermill), each shows its tables,
# which are the record.

# %% tags=["parameters"]
spec: str = "policies/organization.yaml"  # the spec, relative to the repository root
endpoint_url: str = ""  # AWS endpoint (the emulator's URL); empty: $AWS_ENDPOINT_URL or the spec alone
region: str = "us-east-1"  # AWS region for API calls and the playground's first request

# %%
from aigov.runbook.notebook import start
from aigov.widgets import LiveOrgView, OUTreeBrowser, PolicyEditor, PolicyPlayground

ctx = start("onboarding", globals())

# %% [markdown]
# ## 1. Where your accounts live
# Every OU and account, and the policies attached directly at each. Pick a node in the
# browser below to see its path from Root and everything that applies to it on the way.

# %%
browser = OUTreeBrowser(ctx.bundle, select="ai-dev")
browser

# %% [markdown]
# ## 2. Policy playground: will this request be allowed?
# Pick the account or OU your people work in, an action (type to complete it from the
# IAM catalogue), a resource ARN, a region and any context keys. The decision and the
# statement that decided follow every change. "Add as test case" records the request
# and its decision in `policies/tests/onboarding.yaml`, so `aigov test-policies` keeps it.

# %%
playground = PolicyPlayground(ctx.bundle, region=ctx.params.region)
playground

# %% [markdown]
# ## 3. Policy editor with live lint
# Edit a policy as a draft: lint findings and its size against the quota update as you
# type, and the playground above decides with the draft. Nothing is saved or deployed.

# %%
editor = PolicyEditor(ctx.spec, playground=playground, policy="bedrock-approved-models")
editor

# %% [markdown]
# ## 4. The live organization beside the spec
# With an endpoint: each node's live id and the policies attached in the spec and live.

# %%
live = LiveOrgView.for_context(ctx)
live
