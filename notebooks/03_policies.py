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
# # 03 Policies
# Renders every policy document of the spec (SCPs, RCPs, the AI-services opt-out and the
# tag policy), shows each with where it attaches, lints them (`aigov lint` runs the same
# checks) and compares each size with its AWS quota. A lint error stops the run here,
# before anything is simulated or deployed. Nothing here talks to AWS.

# %% tags=["parameters"]
spec: str = "policies/organization.yaml"  # the spec, relative to the repository root
run_dir: str = ""  # the run record's folder (set by aigov run)

# %%
from aigov.policy.lint_report import lint_report
from aigov.runbook.notebook import start

ctx = start("03_policies", globals())

# %% [markdown]
# ## The policies and where they attach
# Size is the minified document aigov sends, counted as AWS counts it.

# %%
report = lint_report(ctx.bundle)
report.policies()

# %% [markdown]
# ## The rendered documents

# %%
print(report.documents_text())

# %% [markdown]
# ## Lint findings
# Errors stop the run; warnings and suggestions are for a person to read. The seed's
# allow-list (`ai-model-dev-policy`) is reported as a warning: beside FullAWSAccess it
# restricts nothing.

# %%
report.findings_frame()

# %% [markdown]
# ## Size against quota

# %%
report.size_figure()

# %%
ctx.record(**report.counts())

# %%
if report.errors:
    ctx.fail(f"{len(report.errors)} lint error(s); see the findings above", report.errors)
