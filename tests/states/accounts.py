"""Account states: unique addresses, sign-up through HTTP, links from the outbox, a verified
shopper made directly by the service, a write transaction for set-up."""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.db import write_transaction
from okmarts.services import accounts
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


SITE = accounts.Site(secret="test-secret-key-not-for-production", base_url="http://shop.test")


async def verified_shopper(verified: bool = True) -> Account:
    account = await accounts.register(
        accounts.SignUp(email=new_email("shopper"), password=PASSWORD, accept_policy=True),
        SITE,
        accounts.Device(ip="192.0.2.9", user_agent="", device_id="d"),
        limit=accounts.sign_up_limit(1_000_000),
    )
    if verified:
        account.email_verified_at = dt.datetime.now(dt.UTC)
        await Account.update({Account.email_verified_at: account.email_verified_at}).where(
            Account.id == account.id
        )
    return account


class accounts_write:
    """A write transaction for test set-up."""

    async def __aenter__(self) -> None:
        self._transaction = write_transaction(Account._meta.db)
        await self._transaction.__aenter__()

    async def __aexit__(self, *args: Any) -> None:
        await self._transaction.__aexit__(*args)
