"""Unsubscribing from an email's link, without signing in (/unsubscribe/<token>).

A GET shows what the link would change and never changes it (mail scanners fetch links). The
POST turns the type off: from our page's button, or RFC 8058's one-click POST a mail client
sends with the body `List-Unsubscribe=One-Click` and no cookie, so the route is exempt from
CSRF: the signed token is the authorisation (services.unsubscribe). A plain POST answers 303
back to the page, which then says what changed; htmx gets the panel.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, MediaType, get, post
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_429_TOO_MANY_REQUESTS

from okmarts.services import notifications, rate_limits, unsubscribe
from okmarts.services.rate_limits import RateLimited
from okmarts.tables.accounts import Account
from okmarts.web import Form, View, clean_form, redirect_after_post

PAGE = View("pages/unsubscribe/page.html", fragment="partials/unsubscribe/panel.html")
# Mail clients post once; a person clicks a few times. More from one link is not a person.
POSTS_PER_LINK = rate_limits.Limit("unsubscribe", attempts=20, window=dt.timedelta(hours=1))


async def _context(
    token: str, subscription: unsubscribe.Subscription, account: Account, **extra: Any
) -> dict[str, Any]:
    state = await notifications.state_of(account.id)
    assert state is not None  # read_link found the account
    on = {
        code
        for code in unsubscribe.unsubscribable_types()
        if notifications.decide(state, code, notifications.EMAIL).allowed
    }
    kind = notifications.TYPES[subscription.type_code]
    return {
        "token": token,
        "type": kind,
        "subscribed": subscription.type_code in on,
        "marketing": kind.kind == notifications.MARKETING,
        "others": [
            notifications.TYPES[code]
            for code in unsubscribe.unsubscribable_types()
            if code in on and code != subscription.type_code
        ],
        "notice": "",
        **extra,
    }


def _refused(request: HTMXRequest, reason: str) -> Template:
    return PAGE.render(request, {"refused": reason}, HTTP_400_BAD_REQUEST)


class UnsubscribeController(Controller):
    path = "/unsubscribe"

    @get("/{token:str}", name="unsubscribe", media_type=MediaType.HTML)
    async def page(
        self, request: HTMXRequest, token: FromPath[str], done: FromQuery[str] = ""
    ) -> Template:
        secret = request.app.state.settings.secret_key
        try:
            subscription, account = await unsubscribe.read_link(secret, token)
        except unsubscribe.UnsubscribeRefused as refused:
            return _refused(request, refused.reason)
        notice = done if done in ("one", "all") else ""
        return PAGE.render(request, await _context(token, subscription, account, notice=notice))

    @post(
        "/{token:str}",
        name="unsubscribe_submit",
        media_type=MediaType.HTML,
        # The token authorises it; a mail client's one-click POST has no CSRF token to send.
        exclude_from_csrf=True,
    )
    async def submit(self, request: HTMXRequest, token: FromPath[str], data: Form) -> Any:
        data = clean_form(data)
        secret = request.app.state.settings.secret_key
        try:
            subscription, account = await unsubscribe.read_link(secret, token)
        except unsubscribe.UnsubscribeRefused as refused:
            return _refused(request, refused.reason)
        everything = data.get("scope") == "all"
        try:
            await rate_limits.consume((POSTS_PER_LINK, str(account.id)))
        except RateLimited as error:
            context = await _context(token, subscription, account, retry_minutes=error.minutes)
            return PAGE.render(request, context, HTTP_429_TOO_MANY_REQUESTS)
        types = unsubscribe.unsubscribable_types() if everything else [subscription.type_code]
        await unsubscribe.unsubscribe(account.id, types)
        notice = "all" if everything else "one"
        if not request.htmx:
            return redirect_after_post(request, f"/unsubscribe/{token}?done={notice}")
        return PAGE.render(request, await _context(token, subscription, account, notice=notice))
