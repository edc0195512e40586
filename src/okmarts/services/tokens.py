"""Signed, expiring tokens for links in emails (itsdangerous): one purpose, one salt each."""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class TokenError(Exception):
    """The token was tampered with, is for another purpose, or is malformed."""


class TokenExpired(TokenError):
    """The token was genuine but is older than its purpose allows."""


def make_token(secret: str, purpose: str, payload: dict[str, Any]) -> str:
    return URLSafeTimedSerializer(secret, salt=f"okmarts.{purpose}").dumps(payload)


def read_token(secret: str, purpose: str, token: str, max_age_seconds: int) -> dict[str, Any]:
    """The payload of a genuine, unexpired token made for `purpose`; TokenError otherwise."""
    serializer = URLSafeTimedSerializer(secret, salt=f"okmarts.{purpose}")
    try:
        payload = serializer.loads(token, max_age=max_age_seconds)
    except SignatureExpired as error:
        raise TokenExpired(purpose) from error
    except (BadSignature, UnicodeError, ValueError) as error:
        raise TokenError(purpose) from error
    if not isinstance(payload, dict):
        raise TokenError(purpose)
    return payload
