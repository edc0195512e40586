"""Following categories and brands: the Follow/Unfollow button of listing pages and the
shopper's list (/account/follows). The rules are services/follows.py.

One form posts to /account/follows (action follow or unfollow, with the category or brand): a
plain POST answers 303 back to the page it came from; htmx gets the button, swapped in place
(on a listing or in the list, which shows the same button). The listing pages are shared
(page_cache): their button is a hole filled for each shopper (page_cache.follow_buttons), never
kept in a cached copy.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, MediaType, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from okmarts.i18n import N_
from okmarts.inputs import parse_int
from okmarts.services import accounts, follows, notifications
from okmarts.tables.accounts import Account
from okmarts.web import Form, View, clean_form, redirect_after_post, safe_next, signed_in_account

# The page, and for htmx the button that was pressed (on a listing or in the list), swapped in
# place: the list shows each follow with that same button.
FOLLOWS = View("pages/account/follows.html", fragment="partials/follows/button.html")
NOTICES = {
    "followed": N_("You follow it now: its new products come in your weekly digest."),
    "unfollowed": N_("You no longer follow it."),
}
REFUSED = N_("There is no such category or brand to follow.")


async def _list_context(account: Account, **extra: Any) -> dict[str, Any]:
    state = await notifications.state_of(account.id)
    assert state is not None  # the signed-in account exists
    digest = notifications.decide(state, notifications.FOLLOWS, notifications.EMAIL)
    return {
        "account": account,
        "followed": await follows.follows_of(account.id),
        # Why no digest goes out (turned off, a child, restricted…), shown above the list.
        "digest_reason": None if digest.allowed else digest.reason,
        "reasons": notifications.REASONS,
        "minor_age": accounts.MINOR_AGE,
        "notice": "",
        "error": "",
        "button": None,
        "follow_error": "",
        **extra,
    }


class FollowsController(Controller):
    path = "/account/follows"
    dependencies = {"account": Provide(signed_in_account)}  # noqa: RUF012 (Litestar reads it)

    @get("/", name="account_follows", media_type=MediaType.HTML)
    async def list_follows(
        self, request: HTMXRequest, account: NamedDependency[Account], notice: FromQuery[str] = ""
    ) -> Template:
        context = await _list_context(account, notice=notice if notice in NOTICES else "")
        return FOLLOWS.render(request, context)

    @post("/", name="account_follows_change", media_type=MediaType.HTML)
    async def change(
        self, request: HTMXRequest, account: NamedDependency[Account], data: Form
    ) -> Any:
        data = clean_form(data)
        back = safe_next(data.get("next"), "/account/follows")
        action = data.get("action")
        try:
            if action not in ("follow", "unfollow"):
                raise follows.FollowRefused(action)
            kind = str(data.get("kind") or "")
            target = follows.target(kind, parse_int(data.get("id"), minimum=1))
            if action == "follow":
                await follows.follow(account.id, target)
            else:
                await follows.unfollow(account.id, target)
        except follows.FollowRefused:
            context = await _list_context(account, error=REFUSED, follow_error=REFUSED)
            return FOLLOWS.render(request, context, status_code=HTTP_422_UNPROCESSABLE_ENTITY)
        notice = "followed" if action == "follow" else "unfollowed"
        if not request.htmx:
            if back.split("?")[0].rstrip("/") == "/account/follows":
                back = f"/account/follows?notice={notice}"
            return redirect_after_post(request, back)
        button = {"kind": target.kind, "id": target.id, "following": action == "follow"}
        return FOLLOWS.render(request, {"button": button, "next_page": back, "notice": notice})
