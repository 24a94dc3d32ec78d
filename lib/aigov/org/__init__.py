"""The live organization: discovery (-> Inventory), plan (-> Changes), apply, drift.

Only ``discover.py`` and ``apply.py`` touch boto3, through the clients of ``aigov.target``
(docs/style.md, rule 1).
"""
