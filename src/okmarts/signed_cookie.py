"""A short list kept in the browser's own signed cookie (dismissals, recently viewed): read back
only if its signature holds, written HttpOnly, SameSite=Lax, Secure over HTTPS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from litestar import Request, Response


@dataclass(frozen=True)
class SignedListCookie:
    name: str
    salt: str
    max_age: int

    def _serializer(self, request: Request) -> URLSafeSerializer:
        return URLSafeSerializer(request.app.state.settings.secret_key, salt=self.salt)

    def read(self, request: Request) -> list[Any]:
        """The list in the cookie; empty when absent, forged or not a list."""
        raw = request.cookies.get(self.name)
        if not raw:
            return []
        try:
            data = self._serializer(request).loads(raw)
        except (BadSignature, ValueError, UnicodeError):
            return []
        return data if isinstance(data, list) else []

    def signed(self, request: Request, values: list[Any]) -> str:
        return self._serializer(request).dumps(values)

    def set(self, request: Request, response: Response[Any], value: str) -> None:
        response.set_cookie(
            self.name,
            value,
            max_age=self.max_age,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
