"""The emulator's request recording without credentials.

moto's recorder (``moto.moto_api._internal.recorder``) writes every request's headers
and URL to ``outputs/emulator/moto-recording.jsonl`` so a later session can replay them.
Headers carry credentials: ``Authorization`` (the access key id), ``X-Amz-Security-Token``
(a session token passed through to the emulator); a presigned URL carries them in its
query. ``install()`` wraps the recorder so that none of them is written: credential
headers and query parameters are dropped, and ``Authorization`` is replaced by one that
keeps only the credential scope (date, Region, service), which moto reads on replay to
pick the Region, with the emulator's dummy key and no signature.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from aigov.target.emulator import EMULATOR_KEY

DROPPED_HEADERS = frozenset({"authorization", "x-amz-security-token", "x-amz-content-sha256",
                             "x-amz-credential", "x-amz-signature", "cookie",
                             "proxy-authorization", "x-api-key"})
DROPPED_QUERY = frozenset({"x-amz-credential", "x-amz-security-token", "x-amz-signature",
                           "awsaccesskeyid", "signature", "securitytoken"})
_SCOPE = re.compile(r"Credential=[^/,\s]+/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request")


def scrub_headers(headers: dict[str, str]) -> dict[str, str]:
    out = {k: v for k, v in headers.items() if k.lower() not in DROPPED_HEADERS}
    auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    m = _SCOPE.search(auth)
    if m:
        date, region, service = m.groups()
        out["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={EMULATOR_KEY}/{date}/{region}/"
                                f"{service}/aws4_request, SignedHeaders=host, Signature=0")
    return out


def scrub_url(url: str) -> str:
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k.lower() not in DROPPED_QUERY]
    return urlunsplit(parts._replace(query=urlencode(query)))


class _Scrubbed:
    """A request as moto's recorder reads it, minus credentials."""

    def __init__(self, request: Any) -> None:
        self._request = request
        self.headers = scrub_headers(dict(request.headers))
        self.raw_url = scrub_url(request.raw_url)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._request, name)


def install() -> None:
    """Make moto's process-wide recorder write requests without credentials."""
    from moto.moto_api import recorder

    record = type(recorder)._record_request
    if getattr(recorder, "_aigov_scrubbed", False):
        return

    def scrubbed(request: Any, body: bytes | None = None) -> None:
        record(recorder, _Scrubbed(request), body)

    recorder._record_request = scrubbed  # type: ignore[method-assign]
    recorder._aigov_scrubbed = True  # type: ignore[attr-defined]
