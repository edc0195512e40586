"""Cookie consent over HTTP: the banner's form and the settings page at /cookies, which keep the
visitor's signed choice and log it. (Reading the choice on every request: hooks.consent.)"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, MediaType, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException
from litestar.params import Body, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK, HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST

from okmarts import dismissals, recently_viewed
from okmarts.hooks.consent import (
    BANNER_CLOSED_TEMPLATE,
    BANNER_TEMPLATE,
    SETTINGS_PATH,
    _secret,
    current_consent,
    read_consent,
)
from okmarts.services import consent
from okmarts.services.consent import Consent, ConsentChoiceError
from okmarts.web import safe_next

# -- The banner's and the settings page's form --------------------------------------------------

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _field(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if isinstance(value, list):  # a field sent twice: not from our forms
        raise HTTPException(status_code=HTTP_400_BAD_REQUEST, detail=f"{name} sent twice")
    return value.strip() if isinstance(value, str) else ""


def _set_consent_cookie(request: HTMXRequest, response: Response[Any], chosen: Consent) -> None:
    response.set_cookie(
        consent.CONSENT_COOKIE,
        consent.encode_consent(_secret(request), chosen),
        max_age=consent.CONSENT_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    if consent.ANALYTICS not in chosen.categories:
        response.delete_cookie(consent.VISIT_COOKIE)
    if consent.PREFERENCES not in chosen.categories:
        # What the browser kept under "preferences" goes with the choice.
        response.delete_cookie(recently_viewed.COOKIE)
        response.delete_cookie(dismissals.COOKIE)


def _settings_context(request: HTMXRequest, next_path: str, saved: bool) -> dict[str, Any]:
    visitor = current_consent.get()
    if not visitor.evaluated:
        visitor = read_consent(request)
    chosen = visitor.consent
    return {
        "categories": consent.CATEGORIES,
        "chosen": chosen,
        "enabled": {code for code in consent.OPTIONAL if visitor.allows(code)},
        "gpc_refused": consent.GPC_REFUSED if visitor.gpc else frozenset(),
        "gpc": visitor.gpc,
        "next_path": next_path,
        "saved": saved,
        "policy_version": consent.COOKIE_POLICY_VERSION,
    }


class ConsentController(Controller):
    @get(SETTINGS_PATH, name="cookies", media_type=MediaType.HTML)
    async def settings_page(
        self, request: HTMXRequest, next: FromQuery[str] = "", saved: FromQuery[str] = ""
    ) -> Template:
        """The cookie settings: one switch per category and what each does."""
        next_path = safe_next(next, SETTINGS_PATH)
        return Template(
            template_name="pages/info/cookies.html",
            context=_settings_context(request, next_path, saved == "1"),
        )

    @post(SETTINGS_PATH, name="cookie_choice", status_code=HTTP_303_SEE_OTHER)
    async def choose(self, request: HTMXRequest, data: Form) -> Response[Any]:
        """Keep the visitor's choice (signed cookie), log it, and take the banner away."""
        htmx = bool(request.htmx)
        next_path = safe_next(_field(data, "next"))
        try:
            categories = consent.chosen_categories(
                _field(data, "choice"),
                [code for code in consent.OPTIONAL if _field(data, code)],
            )
        except ConsentChoiceError:
            if htmx:
                # htmx swaps a 400 into the banner: the banner again, saying what went wrong.
                return Template(
                    template_name=BANNER_TEMPLATE,
                    context={"banner_next": next_path, "banner_error": True},
                    status_code=HTTP_400_BAD_REQUEST,
                )
            raise HTTPException(
                status_code=HTTP_400_BAD_REQUEST, detail="Unknown cookie choice"
            ) from None
        visitor = current_consent.get()
        source = "settings" if _field(data, "source") == "settings" else "banner"
        if visitor.gpc and categories & consent.GPC_REFUSED:
            # Global Privacy Control refuses analytics and marketing, whatever is clicked.
            categories = consent.effective_categories(categories, gpc=True)
            source = "gpc"
        chosen = Consent(
            consent_id=visitor.known_id or consent.new_consent_id(), categories=categories
        )
        await consent.record_choice(chosen, source, request.client.host if request.client else None)
        if htmx:
            # Nothing but out-of-band parts: the banner (hx-swap="outerHTML" on it) is swapped
            # away, and the focus moves to the skip link rather than being lost to <body>.
            response: Response[Any] = Template(
                template_name=BANNER_CLOSED_TEMPLATE, status_code=HTTP_200_OK
            )
        else:
            if next_path == SETTINGS_PATH:
                next_path = f"{SETTINGS_PATH}?saved=1"
            response = Redirect(path=next_path, status_code=HTTP_303_SEE_OTHER)
        _set_consent_cookie(request, response, chosen)
        return response
