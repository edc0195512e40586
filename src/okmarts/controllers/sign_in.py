"""Signing up, in and out; email verification, password reset and a guardian's consent."""

from __future__ import annotations

from typing import Any

from litestar import Controller, MediaType, Response, get, post
from litestar.params import FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
)

from okmarts.i18n import current_locale
from okmarts.services import accounts, wind_down
from okmarts.services.accounts import FormInvalid, InvalidCredentials
from okmarts.services.content import current_policy_version, privacy_policy
from okmarts.services.rate_limits import RateLimited
from okmarts.services.tokens import TokenError, TokenExpired
from okmarts.tables.accounts import Account
from okmarts.web import (
    Form,
    View,
    clean_form,
    client_device,
    current_account,
    end_session,
    merge_visitor_cart,
    redirect_after_post,
    require_account,
    safe_next,
    site,
    start_session,
)

REGISTER = View("pages/sign_in/register.html", fragment="partials/sign_in/register_form.html")
LOGIN = View("pages/sign_in/login.html", fragment="partials/sign_in/login_form.html")
PASSWORD_RESET = View(
    "pages/sign_in/password_reset.html", fragment="partials/sign_in/password_reset_form.html"
)
PASSWORD_RESET_CONFIRM = View(
    "pages/sign_in/password_reset_confirm.html",
    fragment="partials/sign_in/password_reset_confirm_form.html",
)


def _rate_limited(
    request: HTMXRequest, view: View, context: dict[str, Any], error: RateLimited
) -> Template:
    return view.render(
        request, {**context, "retry_minutes": error.minutes}, HTTP_429_TOO_MANY_REQUESTS
    )


class SignInController(Controller):
    # -- Sign-up ---------------------------------------------------------------------------

    @get("/register", name="register", media_type=MediaType.HTML)
    async def register_form(self, request: HTMXRequest, next: FromQuery[str | None] = None) -> Any:
        return _entry_page(request, REGISTER, next)

    @post("/register", name="register_submit", media_type=MediaType.HTML)
    async def register(self, request: HTMXRequest, data: Form) -> Any:
        data = clean_form(data)
        next_path = safe_next(data.get("next"), "")
        # The password is never sent back into the page.
        form = {key: value for key, value in data.items() if "password" not in key}
        context: dict[str, Any] = {"form": form, "errors": {}, "next": next_path}
        sign_up = accounts.SignUp(
            email=data.get("email", ""),
            password=data.get("password", ""),
            accept_policy=data.get("accept_policy") == "yes",
            date_of_birth=data.get("date_of_birth", ""),
            guardian_email=data.get("guardian_email", ""),
            locale=current_locale.get(),
        )
        device = client_device(request)
        try:
            await wind_down.check_sign_ups_open()  # 422 with the reason, like any refusal
            account = await accounts.register(
                sign_up,
                site(request),
                device,
                limit=accounts.sign_up_limit(request.app.state.settings.sign_up_limit_per_hour),
            )
        except FormInvalid as error:
            context["errors"] = error.errors
            return REGISTER.render(request, context, HTTP_422_UNPROCESSABLE_ENTITY)
        except RateLimited as error:
            return _rate_limited(request, REGISTER, context, error)
        return await complete_sign_in(
            request, account, device, next_path or "/account?notice=welcome"
        )

    # -- Sign-in and out --------------------------------------------------------------------

    @get("/login", name="login", media_type=MediaType.HTML)
    async def login_form(self, request: HTMXRequest, next: FromQuery[str | None] = None) -> Any:
        return _entry_page(request, LOGIN, next)

    @post("/login", name="login_submit", media_type=MediaType.HTML)
    async def login(self, request: HTMXRequest, data: Form) -> Any:
        data = clean_form(data)
        next_path = safe_next(data.get("next"), "")
        context: dict[str, Any] = {
            "form": {"email": data.get("email", "")},
            "errors": {},
            "next": next_path,
        }
        device = client_device(request)
        try:
            account = await accounts.authenticate(
                data.get("email", ""), data.get("password", ""), device
            )
        except InvalidCredentials:
            context["credentials_wrong"] = True
            return LOGIN.render(request, context, HTTP_422_UNPROCESSABLE_ENTITY)
        except RateLimited as error:
            return _rate_limited(request, LOGIN, context, error)
        return await complete_sign_in(request, account, device, next_path or "/account")

    @post("/logout", name="logout", media_type=MediaType.HTML)
    async def logout(self, request: HTMXRequest) -> Response[Any]:
        response = redirect_after_post(request, "/")
        await end_session(request, response)
        return response

    # -- Email verification -----------------------------------------------------------------

    @get("/verify-email", name="verify_email", media_type=MediaType.HTML)
    async def verify_email(self, request: HTMXRequest, token: FromQuery[str] = "") -> Template:
        try:
            account = await accounts.verify_email(token, site(request))
        except TokenError as error:
            return _invalid_link(error, "verify")
        signed_in = current_account.get()
        return Template(
            template_name="pages/sign_in/verified.html",
            context={"email": account.email, "signed_in": signed_in is not None},
        )

    # -- Password reset ----------------------------------------------------------------------

    @get("/password-reset", name="password_reset", media_type=MediaType.HTML)
    async def password_reset_form(self, request: HTMXRequest) -> Template:
        return PASSWORD_RESET.render(request, {"form": {}, "errors": {}, "sent": False})

    @post("/password-reset", name="password_reset_submit", media_type=MediaType.HTML)
    async def password_reset(self, request: HTMXRequest, data: Form) -> Template:
        data = clean_form(data)
        context: dict[str, Any] = {"form": {"email": data.get("email", "")}, "errors": {}}
        try:
            await accounts.request_password_reset(
                data.get("email", ""), site(request), client_device(request)
            )
        except FormInvalid as error:
            context["errors"] = error.errors
            return PASSWORD_RESET.render(request, context, HTTP_422_UNPROCESSABLE_ENTITY)
        except RateLimited as error:
            return _rate_limited(request, PASSWORD_RESET, context, error)
        return PASSWORD_RESET.render(request, {**context, "sent": True})

    @get("/password-reset/confirm", name="password_reset_confirm", media_type=MediaType.HTML)
    async def password_reset_confirm_form(
        self, request: HTMXRequest, token: FromQuery[str] = ""
    ) -> Template:
        try:
            await accounts.account_for_reset(token, site(request))
        except TokenError as error:
            return _invalid_link(error, "reset")
        return PASSWORD_RESET_CONFIRM.render(request, {"token": token, "errors": {}})

    @post(
        "/password-reset/confirm", name="password_reset_confirm_submit", media_type=MediaType.HTML
    )
    async def password_reset_confirm(self, request: HTMXRequest, data: Form) -> Any:
        data = clean_form(data)
        token = data.get("token", "")
        try:
            account = await accounts.reset_password(
                token,
                data.get("new_password", ""),
                data.get("confirm_password", ""),
                site(request),
            )
        except TokenError as error:
            return _invalid_link(error, "reset")
        except FormInvalid as error:
            return PASSWORD_RESET_CONFIRM.render(
                request, {"token": token, "errors": error.errors}, HTTP_422_UNPROCESSABLE_ENTITY
            )
        return await complete_sign_in(
            request, account, client_device(request), "/account?notice=password-reset"
        )

    # -- A new privacy-policy version ---------------------------------------------------------

    @get("/policy/accept", name="policy_accept", media_type=MediaType.HTML)
    async def policy_form(self, request: HTMXRequest, next: FromQuery[str | None] = None) -> Any:
        account = require_account(request)
        if not accounts.needs_policy_acceptance(account):
            return redirect_after_post(request, safe_next(next, "/account"))
        return Template(
            template_name="pages/sign_in/policy_accept.html",
            context={
                "blocks": privacy_policy(current_locale.get()),
                "version": current_policy_version(),
                "accepted_version": account.policy_version,
                "next": safe_next(next, "/account"),
            },
        )

    @post("/policy/accept", name="policy_accept_submit", media_type=MediaType.HTML)
    async def accept_policy(self, request: HTMXRequest, data: Form) -> Any:
        data = clean_form(data)
        account = require_account(request)
        await accounts.accept_current_policy(account)
        return redirect_after_post(request, safe_next(data.get("next"), "/account"))

    # -- A guardian's consent (policy §8) -------------------------------------------------------

    @get("/guardian", name="guardian", media_type=MediaType.HTML)
    async def guardian_form(self, request: HTMXRequest, token: FromQuery[str] = "") -> Template:
        try:
            account = await accounts.account_for_guardian(token, site(request))
        except TokenError as error:
            return _invalid_link(error, "guardian")
        return _guardian_page(token, account, confirmed=account.guardian_confirmed_at is not None)

    @post("/guardian", name="guardian_submit", media_type=MediaType.HTML)
    async def guardian_confirm(self, request: HTMXRequest, data: Form) -> Template:
        data = clean_form(data)
        token = data.get("token", "")
        try:
            account = await accounts.confirm_guardian(token, site(request))
        except TokenError as error:
            return _invalid_link(error, "guardian")
        return _guardian_page(token, account, confirmed=True, just_confirmed=True)


def _guardian_page(token: str, account: Account, **state: bool) -> Template:
    """The guardian's page: the consent form, or that it is given (`confirmed`)."""
    return Template(
        template_name="pages/sign_in/guardian.html",
        context={"token": token, "child_email": account.email, "age": accounts.MINOR_AGE, **state},
    )


def _entry_page(request: HTMXRequest, view: View, next_path: str | None) -> Any:
    """Sign-in or sign-up; a visitor who is signed in already goes on to where they wanted."""
    if current_account.get() is not None:
        return redirect_after_post(request, safe_next(next_path, "/account"))
    return view.render(request, {"form": {}, "errors": {}, "next": safe_next(next_path, "")})


async def complete_sign_in(
    request: HTMXRequest,
    account: Account,
    device: accounts.Device,
    target: str,
    method: str = "password",
) -> Response[Any]:
    """Record the sign-in (alerting on a new device) and give this browser its session.
    `method`: "password", or the provider's key for a sign-in with another account."""
    await accounts.record_sign_in(account, device, site(request), method=method)
    response = redirect_after_post(request, target)
    await start_session(request, response, account)
    await merge_visitor_cart(request, response, account)
    return response


def _invalid_link(error: TokenError, purpose: str) -> Template:
    return Template(
        template_name="pages/sign_in/link_invalid.html",
        context={"expired": isinstance(error, TokenExpired), "purpose": purpose},
        status_code=HTTP_400_BAD_REQUEST,
    )
