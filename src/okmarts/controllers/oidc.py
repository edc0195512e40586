"""Sign in with another account (OpenID Connect): leave for the provider, come back, sign up,
sign in, link and unlink. The rules are in services/oidc.py; this parses, calls and renders.

Plain redirects and forms: nothing here needs JavaScript.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Controller, MediaType, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
)

from okmarts.controllers.account import security_page
from okmarts.controllers.sign_in import complete_sign_in
from okmarts.i18n import N_, Message, current_locale
from okmarts.services import accounts, oidc, wind_down
from okmarts.services.accounts import FormInvalid
from okmarts.services.oidc import EmailTaken, Flow, Identity, LinkRefused, OidcError
from okmarts.services.rate_limits import RateLimited
from okmarts.settings import OidcProvider
from okmarts.web import (
    Form,
    View,
    clean_form,
    client_device,
    current_account,
    read_signed_cookie,
    redirect_after_post,
    require_account,
    safe_next,
    set_signed_cookie,
    site,
)

log = logging.getLogger("okmarts.oidc")

FLOW_COOKIE = "okmarts_oidc_flow"
PENDING_COOKIE = "okmarts_oidc_pending"

SIGN_UP = View(
    "pages/sign_in/provider_sign_up.html", fragment="partials/sign_in/provider_sign_up_form.html"
)


def _providers(request: HTMXRequest) -> tuple[OidcProvider, ...]:
    return request.app.state.settings.oidc_providers


def _provider(request: HTMXRequest, key: str) -> OidcProvider | None:
    return oidc.find_provider(_providers(request), key)


def _callback(request: HTMXRequest, provider: OidcProvider) -> str:
    return f"{request.app.state.settings.base_url}/sign-in-with/{provider.key}/callback"


def _refused(
    request: HTMXRequest, error: OidcError, provider: OidcProvider | None, status: int = 400
) -> Template:
    """The page for a sign-in that cannot go on (a log line says why, for the operator)."""
    log.warning(
        "Sign-in with %s refused (%s) from %s: %s",
        provider.key if provider else "?",
        error.reason,
        request.client.host if request.client else "?",
        error.detail,
    )
    response = Template(
        template_name="pages/sign_in/provider_error.html",
        context={"reason": error.reason, "provider": provider},
        status_code=status,
    )
    response.delete_cookie(FLOW_COOKIE)
    return response


async def _leave(
    request: HTMXRequest, provider: OidcProvider, purpose: str, next_path: str = ""
) -> Response[Any]:
    account = current_account.get()
    try:
        url, flow = await oidc.begin(
            provider,
            _callback(request, provider),
            purpose=purpose,
            account_id=account.id if account and purpose == "link" else None,
            next_path=next_path,
        )
    except OidcError as error:
        return _refused(request, error, provider)
    response: Response[Any] = Redirect(path=url, status_code=303)
    set_signed_cookie(request, response, FLOW_COOKIE, flow.__dict__, oidc.FLOW_SECONDS)
    return response


def _flow(request: HTMXRequest) -> Flow | None:
    data = read_signed_cookie(request, FLOW_COOKIE, oidc.FLOW_SECONDS)
    if not isinstance(data, dict):
        return None
    try:
        return Flow(**data)
    except TypeError:
        return None


def _pending(request: HTMXRequest) -> Identity | None:
    data = read_signed_cookie(request, PENDING_COOKIE, oidc.PENDING_SECONDS)
    if data is None:
        return None
    try:
        return Identity.from_dict(data)
    except OidcError:
        return None


def _sign_up_context(
    request: HTMXRequest, identity: Identity, form: dict[str, Any], errors: dict[str, Any]
) -> dict[str, Any]:
    provider = _provider(request, identity.provider)
    return {
        "identity": identity,
        "provider": provider,
        "kept": [(oidc.KEPT_CLAIMS[name], value) for name, value in identity.claims.items()],
        "form": form,
        "errors": errors,
        "ask_birth_date": not identity.birthdate,
        "age": accounts.MINOR_AGE,
    }


class OidcController(Controller):
    path = "/sign-in-with"

    @post("/{key:str}", name="oidc_start", media_type=MediaType.HTML)
    async def start(self, request: HTMXRequest, key: FromPath[str], data: Form) -> Any:
        provider = _provider(request, key)
        if provider is None:
            raise NotFoundException()
        data = clean_form(data)
        return await _leave(request, provider, "sign-in", safe_next(data.get("next"), ""))

    @get("/{key:str}/callback", name="oidc_callback", media_type=MediaType.HTML)
    async def callback(self, request: HTMXRequest, key: FromPath[str]) -> Any:
        provider = _provider(request, key)
        if provider is None:
            raise NotFoundException()
        query = request.query_params
        flow = _flow(request)
        try:
            identity = await oidc.complete(
                provider,
                flow,
                _callback(request, provider),
                state=str(query.get("state") or ""),
                code=str(query.get("code") or ""),
                error=str(query.get("error") or ""),
            )
        except OidcError as error:
            return _refused(request, error, provider)
        assert flow is not None  # complete() refuses a missing flow
        if flow.purpose == "link":
            return await self._linked(request, provider, flow, identity)
        try:
            account = await oidc.sign_in(identity)
        except EmailTaken:
            log.warning(
                "Sign-in with %s refused: its email is an unlinked account's (sign in first)",
                provider.key,
            )
            return _refused(request, OidcError("email-taken"), provider, HTTP_409_CONFLICT)
        if account is not None:
            response = await complete_sign_in(
                request, account, client_device(request), flow.next or "/account", provider.key
            )
            response.delete_cookie(FLOW_COOKIE)
            return response
        # A new shopper: the sign-up page shows what is kept before anything is created.
        redirect: Response[Any] = Redirect(path="/sign-in-with/sign-up", status_code=303)
        set_signed_cookie(
            request, redirect, PENDING_COOKIE, identity.to_dict(), oidc.PENDING_SECONDS
        )
        redirect.delete_cookie(FLOW_COOKIE)
        return redirect

    async def _linked(
        self, request: HTMXRequest, provider: OidcProvider, flow: Flow, identity: Identity
    ) -> Any:
        account = current_account.get()
        if account is None or account.id != flow.account_id:
            return _refused(request, OidcError("state", "link by another account"), provider)
        try:
            # The consent was given on the security page's form that started this link.
            await oidc.link(account, identity, consent=True)
        except LinkRefused as refused:
            log.warning("Linking %s refused: %s", provider.key, refused.message.msgid)
            response = Redirect(path="/account/security?notice=link-refused", status_code=303)
        else:
            response = Redirect(path="/account/security?notice=linked", status_code=303)
        response.delete_cookie(FLOW_COOKIE)
        return response

    @get("/sign-up", name="oidc_sign_up", media_type=MediaType.HTML)
    async def sign_up_form(self, request: HTMXRequest) -> Any:
        identity = _pending(request)
        if identity is None:
            return _refused(request, OidcError("state", "no pending sign-up"), None)
        return SIGN_UP.render(request, _sign_up_context(request, identity, {}, {}))

    @post("/sign-up", name="oidc_sign_up_submit", media_type=MediaType.HTML)
    async def sign_up(self, request: HTMXRequest, data: Form) -> Any:
        identity = _pending(request)
        if identity is None:
            return _refused(request, OidcError("state", "no pending sign-up"), None)
        data = clean_form(data)
        form = {
            key: data.get(key, "")
            for key in ("accept_policy", "accept_sign_in", "date_of_birth", "guardian_email")
        }
        context = _sign_up_context(request, identity, form, {})
        device = client_device(request)
        try:
            await wind_down.check_sign_ups_open()
            account = await oidc.register(
                identity,
                oidc.ProviderSignUp(
                    accept_policy=data.get("accept_policy") == "yes",
                    accept_sign_in=data.get("accept_sign_in") == "yes",
                    date_of_birth=data.get("date_of_birth", ""),
                    guardian_email=data.get("guardian_email", ""),
                    locale=current_locale.get(),
                ),
                site(request),
                device,
                limit=accounts.sign_up_limit(request.app.state.settings.sign_up_limit_per_hour),
            )
        except FormInvalid as error:
            context["errors"] = error.errors
            return SIGN_UP.render(request, context, HTTP_422_UNPROCESSABLE_ENTITY)
        except RateLimited as error:
            return SIGN_UP.render(
                request, {**context, "retry_minutes": error.minutes}, HTTP_429_TOO_MANY_REQUESTS
            )
        except EmailTaken:
            return _refused(request, OidcError("email-taken"), None, HTTP_409_CONFLICT)
        response = await complete_sign_in(
            request, account, device, "/account?notice=welcome", identity.provider
        )
        response.delete_cookie(PENDING_COOKIE)
        return response

    # -- From the security page ----------------------------------------------------------------

    @post("/{key:str}/link", name="oidc_link", media_type=MediaType.HTML)
    async def start_link(self, request: HTMXRequest, key: FromPath[str], data: Form) -> Any:
        account = require_account(request)
        provider = _provider(request, key)
        if provider is None:
            raise NotFoundException()
        data = clean_form(data)
        if data.get("consent") != "yes":
            return await security_page(
                request,
                account,
                HTTP_422_UNPROCESSABLE_ENTITY,
                link_errors={
                    provider.key: Message(
                        N_("Please agree to signing in with another account to link it.")
                    )
                },
            )
        return await _leave(request, provider, "link")

    @post("/{key:str}/unlink", name="oidc_unlink", media_type=MediaType.HTML)
    async def unlink(self, request: HTMXRequest, key: FromPath[str]) -> Any:
        account = require_account(request)
        try:
            unlinked = await oidc.unlink(account, key)
        except LinkRefused as refused:
            return await security_page(
                request,
                account,
                HTTP_409_CONFLICT,
                link_errors={key: refused.message},
            )
        if not unlinked:
            # Nothing of this account's by that name (gone already, or never linked here).
            return redirect_after_post(request, "/account/security")
        return redirect_after_post(request, "/account/security?notice=unlinked")
