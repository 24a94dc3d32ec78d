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
# # 04 Simulate
# Simulates the rendered SCPs and RCPs against the spec's OU tree before anything is
# deployed: runs every case of `policies/tests/*.yaml`, proves every property of
# `policies/properties/*.yaml` over all requests (`aigov prove`), shows the access matrix
# (OUs and accounts × scenarios) and explains every deny. A failed expectation or a
# property not as expected stops the run, so nothing reaches `05_deploy`. Nothing here
# writes to the organization.

# %% tags=["parameters"]
spec: str = "policies/organization.yaml"  # the spec, relative to the repository root
target: str = "emulator"  # emulator | aws (used only to find the management account)
endpoint_url: str = ""  # AWS endpoint (the emulator's URL); empty for AWS itself
region: str = "us-east-1"  # AWS region for API calls
run_dir: str = ""  # the run record's folder (set by aigov run)

# %%
from aigov.policy.matrix import access_matrix, deny_explanations, ineffective_allow_lists, matrix_view
from aigov.policy.prove.org import run_proofs
from aigov.policy.simulate import run_policy_tests
from aigov.runbook.adapters import model_for_run
from aigov.runbook.notebook import start

ctx = start("04_simulate", globals())

# %% [markdown]
# ## The organization as the simulator sees it
# Every rendered policy compiled once; the management account (from the spec or the
# target) is exempt from SCPs and RCPs, and the matrix says so instead of "allow".

# %%
model = model_for_run(ctx)
print(f"{len(model.policies)} SCPs/RCPs compiled; management account: "
      f"{model.management_account or 'unknown (not in the spec, not discovered)'}")

# %% [markdown]
# ## Policy tests

# %%
report = run_policy_tests(model=model)
print(report.render(verbose=False))

# %%
report.to_frame()

# %% [markdown]
# ## Properties, proven over every request
# Each property of `policies/properties/*.yaml` is proven for every request it speaks
# about, or refuted with a counterexample the simulator confirms and explains, or
# unknown with the reason (docs/contracts/properties.md).

# %%
proofs = run_proofs(model=model)
print(proofs.render())

# %% [markdown]
# ## Access matrix
# Scenarios (the policy tests' requests) × OUs and accounts: green allow, red deny, grey
# exempt. A large organization's matrix is shown as counts per level, and written whole
# to `access_matrix.csv` in the run folder.

# %%
matrix = access_matrix(model)
matrix_view(matrix, ctx.spec, ctx.params.run_dir)

# %% [markdown]
# ## Why each deny
# The level, policy and statement that denied, or the level with no matching Allow.

# %%
deny_explanations(model)

# %% [markdown]
# ## Allow-lists that restrict nothing
# An SCP with only Allow statements, attached beside FullAWSAccess, changes no decision.

# %%
ineffective_allow_lists(model)

# %%
ctx.record(policy_tests_passed=report.passed, policy_tests_failed=report.failed,
           matrix_targets=len(matrix.index), matrix_scenarios=len(matrix.columns),
           matrix_denies=int((matrix == "deny").sum().sum()),
           **{f"properties_{k}": v for k, v in proofs.counts().items()},
           properties_not_as_expected=sum(not r.passed for r in proofs.results))
if not report.ok:
    ctx.fail(f"{report.failed} policy test(s) failed: "
             + "; ".join(r.case.name for r in report.failures()), report.findings())
if not proofs.ok:
    ctx.fail("properties not as expected: " + "; ".join(
        f"{r.prop.name} ({r.result})" for r in proofs.results if not r.passed),
        proofs.findings())
