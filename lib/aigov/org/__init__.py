"""The live organization: discovery (-> Inventory), plan (-> Changes), apply, drift.

Only ``client.py``, ``discover.py`` and ``apply.py`` touch boto3 (STYLE.md, rule 1).
"""
