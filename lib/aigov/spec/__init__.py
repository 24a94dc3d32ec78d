"""The desired state: ``policies/organization.yaml`` as a typed, immutable ``Spec``."""

from aigov.spec.load import load_spec, validate_spec
from aigov.spec.model import Account, OrganizationalUnit, PolicyRef, Spec

__all__ = ["Account", "OrganizationalUnit", "PolicyRef", "Spec", "load_spec", "validate_spec"]
