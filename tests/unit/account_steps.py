"""Steps the account tests share: unique addresses, sign-up through HTTP, links from the outbox."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.tables.accounts import Account
from okmarts.tables.messaging import OutboxMessage

PASSWORD = "amber lathe 47 spindle"
AT = "@"


def new_email(prefix: str = "shopper") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}{AT}example.com"


def csrf(client: AsyncTestClient[Litestar]) -> str:
    return client.cookies.get("okmarts_csrf") or ""


async def post_form(
    client: AsyncTestClient[Litestar], path: str, data: dict[str, Any] | None = None, **kwargs: Any
) -> Any:
    """POST a form as a browser does: a CSRF cookie from a page first, its token in the form."""
    if not csrf(client):
        await client.get("/")
    return await client.post(
        path, data={"_csrf_token": csrf(client), **(data or {})}, follow_redirects=False, **kwargs
    )


async def sign_up(
    client: AsyncTestClient[Litestar], email: str | None = None, **fields: str
) -> Account:
    email = email or new_email()
    response = await post_form(
        client,
        "/register",
        {"email": email, "password": PASSWORD, "accept_policy": "yes", **fields},
    )
    assert response.status_code == 303, response.text
    account = await Account.objects().where(Account.email == email).first()
    assert account is not None
    return account


async def links_mailed_to(recipient: str, kind: str) -> list[str]:
    rows = (
        await OutboxMessage.select(OutboxMessage.text_body)
        .where((OutboxMessage.recipient == recipient) & (OutboxMessage.kind == kind))
        .order_by(OutboxMessage.id)
    )
    return [link for row in rows for link in re.findall(r"https?://\S+", row["text_body"])]


def local(link: str) -> str:
    """The path and query of a link in an email (the test client serves this app only)."""
    return re.sub(r"^https?://[^/]+", "", link)


async def verified_account(client: AsyncTestClient[Litestar], **fields: str) -> Account:
    account = await sign_up(client, **fields)
    [link] = await links_mailed_to(account.email, "verify_email")
    response = await client.get(local(link))
    assert "is confirmed" in response.text
    return await Account.objects().where(Account.id == account.id).first()


def errors_in(page: str) -> list[str]:
    return [
        html.unescape(re.sub(r"\s+", " ", text).strip())
        for text in re.findall(r'class="field-error"[^>]*>(.*?)</p>', page, re.S)
    ]
