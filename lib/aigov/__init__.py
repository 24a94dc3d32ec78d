"""aigov: a governance runbook for AI workloads on AWS Organizations.

Nothing here runs at import time: importing the package must stay cheap, because the
notebooks, the CLI and the tests all import it (docs/style.md, rule 6).
"""

__version__ = "0.1.0"
