"""The privacy center (/account/privacy): download, correct, restrict, object, consents, requests.

Deleting the account lives in its own controller (/account/privacy/delete); this page links to
it. Staff answer requests in the admin; `StaffPrivacyLinks` gives the admin's sidebar a link to
the overdue ones, which needs today's date in its filter (a static link can't carry it).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, MediaType, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_422_UNPROCESSABLE_ENTITY

from okmarts import recently_viewed
from okmarts.services import accounts, notification_settings, privacy, privacy_export
from okmarts.services.accounts import FormInvalid, now_utc
from okmarts.tables.accounts import Account
from okmarts.web import Form, View, clean_form, redirect_after_post, signed_in_account

PAGE = "pages/account/privacy.html"
# Each form of the privacy center answers htmx with its own part of the page.
SWITCHES = View(PAGE, fragment="partials/privacy/center_switches.html")
CONSENTS = View(PAGE, fragment="partials/privacy/center_consents.html")
CORRECT = View(PAGE, fragment="partials/privacy/center_correct.html")


async def _center(account: Account, **extra: Any) -> dict[str, Any]:
    return {
        "account": account,
        "consents": privacy.consent_states(account),
        "consent_labels": {
            **{code: kind.label for code, kind in privacy.CONSENTS.items()},
            # A marketing subscription turned off on the notification settings page.
            **notification_settings.consent_labels(),
        },
        "requests": await privacy.list_requests(account.id),
        "kinds": privacy.KINDS,
        "statuses": privacy.STATUSES,
        "child": privacy.is_child(account),
        "minor_age": accounts.MINOR_AGE,
        "response_days": privacy.RESPONSE_DAYS,
        "details_max": privacy.DETAILS_MAX_LENGTH,
        "now": now_utc(),
        "form": {},
        "errors": {},
        "notice": "",
        "refusal": None,
        # htmx answers carry the request list too, swapped out of band (it changed).
        "oob": False,
        **extra,
    }


def _checked(data: dict[str, Any], name: str) -> bool:
    return data.get(name) in ("yes", "on", "true", "1")


class PrivacyController(Controller):
    path = "/account/privacy"
    dependencies = {"account": Provide(signed_in_account)}  # noqa: RUF012 (Litestar reads it)

    @get("/", name="account_privacy", media_type=MediaType.HTML)
    async def center(
        self, request: HTMXRequest, account: NamedDependency[Account], notice: FromQuery[str] = ""
    ) -> Template:
        return Template(template_name=PAGE, context=await _center(account, notice=notice))

    @get("/export", name="account_privacy_export")
    async def export(
        self, request: HTMXRequest, account: NamedDependency[Account]
    ) -> Response[bytes]:
        catalogs = request.app.state.catalogs
        archive = await privacy_export.export_zip(
            account.id, data_dir=request.app.state.settings.data_dir, gettext=catalogs.gettext
        )
        filename = privacy_export.export_filename()
        return Response(
            content=archive,
            media_type="application/zip",
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                # Personal data: never kept by a shared cache or the browser's cache.
                "Cache-Control": "no-store",
            },
        )

    @post("/switches", name="account_privacy_switches", media_type=MediaType.HTML)
    async def switches(
        self, request: HTMXRequest, account: NamedDependency[Account], data: Form
    ) -> Any:
        data = clean_form(data)
        await privacy.set_switches(
            account, _checked(data, "restrict_processing"), _checked(data, "object_to_marketing")
        )
        response: Any
        if not request.htmx:
            response = redirect_after_post(
                request, "/account/privacy?notice=switches-saved#privacy-switches"
            )
        else:
            context = await _center(account, notice="switches-saved", oob=True)
            response = SWITCHES.render(request, context)
        if not privacy.personalisation_allowed(account):
            recently_viewed.forget(response)
        return response

    @post("/consents", name="account_privacy_consents", media_type=MediaType.HTML)
    async def consents(
        self, request: HTMXRequest, account: NamedDependency[Account], data: Form
    ) -> Any:
        data = clean_form(data)
        granted = _checked(data, "granted")
        try:
            await privacy.set_consent(account, data.get("consent", ""), granted)
        except privacy.PrivacyRefused as refused:
            context = await _center(account, refusal=refused.message)
            return CONSENTS.render(request, context, HTTP_422_UNPROCESSABLE_ENTITY)
        notice = "consent-given" if granted else "consent-withdrawn"
        response: Any
        if not request.htmx:
            response = redirect_after_post(
                request, f"/account/privacy?notice={notice}#privacy-consents"
            )
        else:
            context = await _center(account, notice=notice, oob=True)
            response = CONSENTS.render(request, context)
        if not privacy.personalisation_allowed(account):
            # What this browser kept to personalise (recently viewed) goes too.
            recently_viewed.forget(response)
        return response

    @post("/requests", name="account_privacy_request", media_type=MediaType.HTML)
    async def open_request(
        self, request: HTMXRequest, account: NamedDependency[Account], data: Form
    ) -> Any:
        data = clean_form(data)
        form = {"kind": data.get("kind", "correct"), "details": data.get("details", "")}
        try:
            await privacy.open_request(account, form["kind"], form["details"])
        except FormInvalid as error:
            context = await _center(account, form=form, errors=error.errors)
            return CORRECT.render(request, context, HTTP_422_UNPROCESSABLE_ENTITY)
        if not request.htmx:
            return redirect_after_post(
                request, "/account/privacy?notice=request-sent#privacy-correct"
            )
        context = await _center(account, notice="request-sent", oob=True)
        return CORRECT.render(request, context)


class StaffPrivacyLinks(Controller):
    """Links for the admin's sidebar that need the current time in their filter."""

    path = "/staff/privacy-requests"

    @get("/overdue", name="staff_overdue_privacy_requests", include_in_schema=False)
    async def overdue(self) -> Redirect:
        # Reveals nothing: the admin behind the link checks who is asking.
        query = urlencode(
            {
                "status": "open",
                "status__match": "exact",
                "due_at__operator": "lt",
                "due_at": now_utc().replace(microsecond=0).isoformat(),
                "__order": "due_at",
            }
        )
        return Redirect(path=f"/admin/#/privacy_request?{query}", status_code=HTTP_303_SEE_OTHER)
