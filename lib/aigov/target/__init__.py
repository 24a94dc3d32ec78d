"""The AWS target: the embedded emulator, boto3 clients, endpoint and credential handling,
where the clients really go (endpoints), what they may do (read-only unless a write is
permitted), and the one rule that says whether a run may write (docs/safety.md).

It sits below ``org`` (which discovers and applies through these clients) and above only
``errors`` and ``paths``: see docs/architecture.md. The emulator is moto with AWS's
Organizations rules on top (``strict.py``, docs/emulator.md).
"""
