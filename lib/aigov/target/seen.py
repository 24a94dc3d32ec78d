"""The credentials boto3 sessions resolved, handed to the run's redactor.

The redactor cannot know a secret it never saw: with ``AWS_PROFILE`` (or SSO, an assumed
role, a container or instance provider) the secret key and session token are not in the
environment. Two sources cover them:

- the runner resolves botocore's default credential chain itself
  (``resolve_default_chain``);
- inside a kernel of ``aigov run`` (``AIGOV_SEEN_FILE`` set), ``watch()`` wraps
  botocore's credential objects so that every value any session resolves (this
  library's clients and a user's own ``boto3.Session(profile_name=...)`` alike) is
  appended to that private file (mode 0600, outside ``outputs/``); the runner adds them
  to its redactor after each notebook and deletes the file at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

SEEN_FILE_ENV = "AIGOV_SEEN_FILE"
_noted: set[str] = set()


def _values(creds: object) -> list[str]:
    out = []
    for attr in ("access_key", "secret_key", "token"):
        value = getattr(creds, attr, None)
        if isinstance(value, str) and value:
            out.append(value)
    return out


def resolve_default_chain() -> set[str]:
    """What botocore's default credential chain resolves here, or nothing."""
    import botocore.session

    try:
        creds = botocore.session.Session().get_credentials()
        return set(_values(creds.get_frozen_credentials())) if creds else set()
    except Exception:  # noqa: BLE001 - expired SSO, no network: nothing resolved, nothing to mask
        return set()


def note(values: Iterable[str]) -> None:
    """Append newly seen secret values to ``$AIGOV_SEEN_FILE`` (if set)."""
    path = os.environ.get(SEEN_FILE_ENV)
    new = [v for v in values if v not in _noted]
    if not path or not new:
        return
    _noted.update(new)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(new) + "\n")


def watch() -> None:
    """In a kernel of ``aigov run``: note every credential botocore hands out."""
    if not os.environ.get(SEEN_FILE_ENV):
        return
    from botocore import credentials

    for cls in (credentials.Credentials, credentials.RefreshableCredentials,
                credentials.DeferredRefreshableCredentials):
        original = cls.__dict__.get("get_frozen_credentials")
        if original is None or getattr(original, "_aigov_watch", False):
            continue

        def frozen(self, _original=original):
            result = _original(self)
            note(_values(result))
            return result

        frozen._aigov_watch = True  # type: ignore[attr-defined]
        cls.get_frozen_credentials = frozen
    import botocore.session

    get = botocore.session.Session.get_credentials
    if not getattr(get, "_aigov_watch", False):
        def get_credentials(self, *args, _get=get, **kwargs):
            creds = _get(self, *args, **kwargs)
            if creds is not None:
                # a resolution error surfaces at first use, as without aigov
                with contextlib.suppress(Exception):
                    note(_values(creds.get_frozen_credentials()))
            return creds

        get_credentials._aigov_watch = True  # type: ignore[attr-defined]
        botocore.session.Session.get_credentials = get_credentials


def recall(path: Path) -> set[str]:
    """Every value noted in ``path``."""
    out: set[str] = set()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return out
    for line in lines:
        try:
            out.update(v for v in json.loads(line) if isinstance(v, str))
        except ValueError:
            continue
    return out
