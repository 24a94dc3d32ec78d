"""The AWS target: the embedded emulator, boto3 clients, endpoint and credential handling.

It sits below ``org`` (which discovers and applies through these clients) and above only
``errors`` and ``paths``: see docs/architecture.md. The emulator is moto with AWS's
Organizations rules on top (``strict.py``, docs/emulator.md).
"""
