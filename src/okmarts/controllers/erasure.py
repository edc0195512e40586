"""Deleting one's account: password, a link by email, a confirmation, a goodbye (policy §4)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, MediaType, get, post
from litestar.background_tasks import BackgroundTask
from litestar.params import FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
)

from okmarts.services import erasure
from okmarts.services.accounts import FormInvalid
from okmarts.services.rate_limits import RateLimited
from okmarts.services.tokens import TokenError, TokenExpired
from okmarts.tables.accounts import Account
from okmarts.web import (
    Form,
    View,
    clean_form,
    current_account,
    current_cart_count,
    end_session,
    require_account,
    site,
)

DELETE = View("pages/account/delete.html", fragment="partials/privacy/delete_form.html")


async def _form_context(account: Account, **extra: Any) -> dict[str, Any]:
    return {
        "account": account,
        "form": {"reviews": erasure.ReviewChoice.KEEP.value},
        "errors": {},
        "retry_minutes": 0,
        "sent": False,
        "open_orders": await erasure.open_orders(account.id),
        "hours": erasure.LINK_HOURS,
        "years": erasure.ORDER_RETENTION_YEARS,
        **extra,
    }


class ErasureController(Controller):
    @get("/account/privacy/delete", name="account_delete", media_type=MediaType.HTML)
    async def delete_form(self, request: HTMXRequest) -> Template:
        account = require_account(request)
        return DELETE.render(request, await _form_context(account))

    @post("/account/privacy/delete", name="account_delete_submit", media_type=MediaType.HTML)
    async def request_deletion(self, request: HTMXRequest, data: Form) -> Template:
        data = clean_form(data)
        account = require_account(request)
        choice = data.get("reviews", "")
        # The password is never sent back into the page.
        context = await _form_context(account, form={"reviews": choice})
        try:
            await erasure.request_deletion(account, data.get("password", ""), choice, site(request))
        except FormInvalid as error:
            context["errors"] = error.errors
            return DELETE.render(request, context, HTTP_422_UNPROCESSABLE_ENTITY)
        except erasure.OpenOrders as error:
            context["open_orders"] = error.numbers
            return DELETE.render(request, context, HTTP_422_UNPROCESSABLE_ENTITY)
        except RateLimited as error:
            context["retry_minutes"] = error.minutes
            return DELETE.render(request, context, HTTP_429_TOO_MANY_REQUESTS)
        return DELETE.render(request, {**context, "sent": True})

    @get("/account/delete/confirm", name="account_delete_confirm", media_type=MediaType.HTML)
    async def confirm_page(self, request: HTMXRequest, token: FromQuery[str] = "") -> Template:
        # A GET never deletes: mail scanners and link previews open links by themselves.
        try:
            link = await erasure.read_deletion_token(token, site(request))
        except TokenError as error:
            return _invalid_link(error)
        return await _confirm_page(token, link)

    @post(
        "/account/delete/confirm", name="account_delete_confirm_submit", media_type=MediaType.HTML
    )
    async def confirm(self, request: HTMXRequest, data: Form) -> Template:
        data = clean_form(data)
        token = data.get("token", "")
        settings = request.app.state.settings
        try:
            erased = await erasure.confirm_deletion(token, site(request), settings)
        except TokenError as error:
            return _invalid_link(error)
        except erasure.OpenOrders as error:
            link = await erasure.read_deletion_token(token, site(request))
            return await _confirm_page(token, link, error.numbers, HTTP_409_CONFLICT)
        signed_in = current_account.get()
        mine = signed_in is None or signed_in.id == erased.account_id
        if mine:
            # This page's header shows a visitor: the account is gone.
            current_account.set(None)
            current_cart_count.set(0)
        response = Template(
            template_name="pages/account/delete_done.html",
            context={"orders_kept": erased.orders_kept, "years": erasure.ORDER_RETENTION_YEARS},
            # After the page is on its way: a slow mail server must not hold the goodbye up.
            background=BackgroundTask(erasure.send_farewell, settings, erased.farewell_id)
            if erased.farewell_id is not None
            else None,
        )
        if mine:
            # Every session of the account ended with it; this browser forgets its cookie too.
            # (A browser signed in to another account, which opened this link, stays so.)
            await end_session(request, response)
        return response


async def _confirm_page(
    token: str, link: erasure.DeletionLink, refused: list[str] | None = None, status: int = 200
) -> Template:
    return Template(
        template_name="pages/account/delete_confirm.html",
        context={
            "token": token,
            "email": link.account.email,
            "keep_reviews": link.choice is erasure.ReviewChoice.KEEP,
            "preview": await erasure.preview(link.account.id),
            "years": erasure.ORDER_RETENTION_YEARS,
            "refused": refused or [],
        },
        status_code=status,
    )


def _invalid_link(error: TokenError) -> Template:
    return Template(
        template_name="pages/sign_in/link_invalid.html",
        context={"expired": isinstance(error, TokenExpired), "purpose": "delete"},
        status_code=HTTP_400_BAD_REQUEST,
    )
