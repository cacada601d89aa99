"""API keys for the write routes: `Authorization: Bearer <key>`, with a key from `RAG_API_KEYS`.

No key configured: writes are refused (403), so a default install is read-only. Keys are compared in
constant time (`hmac.compare_digest`), against every configured key, so timing says nothing about them.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import Forbidden, Unauthorized

# auto_error=False: a missing or malformed header is answered here, in the API's error envelope.
bearer = HTTPBearer(auto_error=False, description="An API key from RAG_API_KEYS; needed by the write routes only.")


def key_matches(candidate: str, keys: list[str]) -> bool:
    """Whether `candidate` is one of `keys`, in time independent of where they differ."""
    found = False
    for key in keys:
        found |= hmac.compare_digest(candidate.encode("utf-8"), key.encode("utf-8"))
    return found


def require_write_key(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> None:
    keys = request.app.state.service.settings.write_keys()
    if not keys:
        raise Forbidden(
            "writes are disabled: this service is read-only. Start it with RAG_API_KEYS=<key>[,<key>...] and send "
            "Authorization: Bearer <key>"
        )
    if credentials is None or not credentials.credentials.strip():
        raise Unauthorized("this route needs an API key: send Authorization: Bearer <key>")
    if not key_matches(credentials.credentials.strip(), keys):
        raise Forbidden("the API key is not valid")


WriteAccess = Annotated[None, Depends(require_write_key)]
