"""The personal center (/account): profile, points, address book, security, sign-in history."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, MediaType, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY, HTTP_429_TOO_MANY_REQUESTS

from okmarts.i18n import current_locale
from okmarts.inputs import parse_int
from okmarts.services import accounts, addresses, oidc, points, profile, recommendations
from okmarts.services.accounts import FormInvalid
from okmarts.services.avatars import MAX_UPLOAD_BYTES
from okmarts.services.rate_limits import RateLimited
from okmarts.tables.accounts import Account, Address, SignIn
from okmarts.web import (
    Form,
    View,
    clean_form,
    redirect_after_post,
    signed_in_account,
    site,
    start_session,
)

MultipartForm = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
SIGN_IN_HISTORY_ROWS = 50

OVERVIEW = View("pages/account/overview.html", fragment="partials/account/lock_notice.html")
PROFILE = View("pages/account/profile.html", fragment="partials/account/profile_form.html")
# The address book: the form (and its errors) is one fragment, the list of addresses another.
ADDRESS_FORM = View("pages/account/addresses.html", fragment="partials/account/address_book.html")
ADDRESS_LIST = View("pages/account/addresses.html", fragment="partials/account/address_list.html")
SECURITY = View("pages/account/security.html", fragment="partials/account/password_form.html")


async def _overview_context(account: Account) -> dict[str, Any]:
    return {
        "account": account,
        "lock": accounts.interaction_lock(account),
        "balance": await points.balance(account.id),
        "profile_complete": profile.is_complete(account),
        "reward": points.PROFILE_COMPLETE_POINTS,
        "minor_age": accounts.MINOR_AGE,
        # Personal, with consent only (services.recommendations.for_you).
        "for_you": await recommendations.for_you(account),
    }


def _profile_context(account: Account, form: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "account": account,
        "form": form,
        "errors": {},
        "genders": profile.GENDERS,
        "reward": points.PROFILE_COMPLETE_POINTS,
        "complete": profile.is_complete(account),
        "max_upload_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
        **extra,
    }


def _address_form(data: dict[str, str]) -> addresses.AddressForm:
    fields = addresses.AddressForm.__dataclass_fields__
    values: dict[str, Any] = {name: data.get(name, "") for name in fields if name != "is_default"}
    return addresses.AddressForm(**values, is_default=data.get("is_default") == "yes")


class AccountController(Controller):
    path = "/account"
    # Every page here is the signed-in shopper's own: visitors are sent to sign in first.
    dependencies = {"account": Provide(signed_in_account)}  # noqa: RUF012 (Litestar reads it)

    @get("/", name="account", media_type=MediaType.HTML)
    async def overview(
        self, request: HTMXRequest, account: NamedDependency[Account], notice: FromQuery[str] = ""
    ) -> Template:
        return OVERVIEW.render(request, {**await _overview_context(account), "notice": notice})

    @post("/verification", name="account_resend_verification", media_type=MediaType.HTML)
    async def resend_verification(
        self, request: HTMXRequest, account: NamedDependency[Account]
    ) -> Any:
        context = {**await _overview_context(account), "notice": ""}
        if account.email_verified_at is not None:
            return redirect_after_post(request, "/account")
        try:
            await accounts.resend_verification(account, site(request))
        except RateLimited as error:
            return OVERVIEW.render(
                request, {**context, "retry_minutes": error.minutes}, HTTP_429_TOO_MANY_REQUESTS
            )
        return OVERVIEW.render(request, {**context, "notice": "verification-sent"})

    @post("/guardian", name="account_guardian", media_type=MediaType.HTML)
    async def request_guardian(
        self, request: HTMXRequest, account: NamedDependency[Account], data: Form
    ) -> Any:
        data = clean_form(data)
        context = {**await _overview_context(account), "notice": "", "errors": {}}
        try:
            await accounts.request_guardian_consent(
                account, data.get("guardian_email", ""), site(request)
            )
        except FormInvalid as error:
            context.update(errors=error.errors, guardian_input=data.get("guardian_email", ""))
            return OVERVIEW.render(request, context, HTTP_422_UNPROCESSABLE_ENTITY)
        except RateLimited as error:
            context["retry_minutes"] = error.minutes
            return OVERVIEW.render(request, context, HTTP_429_TOO_MANY_REQUESTS)
        context.update(await _overview_context(account), notice="guardian-sent")
        return OVERVIEW.render(request, context)

    # -- Profile ------------------------------------------------------------------------------

    @get("/profile", name="account_profile", media_type=MediaType.HTML)
    async def profile_form(
        self, request: HTMXRequest, account: NamedDependency[Account], notice: FromQuery[str] = ""
    ) -> Template:
        form = {
            name: getattr(account, name) or "" for name in profile.ProfileForm.__dataclass_fields__
        }
        return PROFILE.render(request, _profile_context(account, form, notice=notice))

    @post(
        "/profile",
        name="account_profile_submit",
        media_type=MediaType.HTML,
        request_max_body_size=MAX_UPLOAD_BYTES * 2,
    )
    async def save_profile(
        self, request: HTMXRequest, account: NamedDependency[Account], data: MultipartForm
    ) -> Any:
        data = clean_form(data)
        form_values = {
            name: str(data.get(name) or "") for name in profile.ProfileForm.__dataclass_fields__
        }
        upload = data.get("avatar")
        avatar_bytes = await upload.read() if isinstance(upload, UploadFile) else None
        settings = request.app.state.settings
        try:
            saved = await profile.save_profile(
                account,
                profile.ProfileForm(**form_values),
                avatar_upload=avatar_bytes or None,
                data_dir=settings.data_dir,
            )
        except FormInvalid as error:
            return PROFILE.render(
                request,
                _profile_context(account, form_values, errors=error.errors),
                HTTP_422_UNPROCESSABLE_ENTITY,
            )
        notice = "points-awarded" if saved.points_awarded else "profile-saved"
        return redirect_after_post(request, f"/account/profile?notice={notice}")

    @post("/profile/avatar/delete", name="account_avatar_delete", media_type=MediaType.HTML)
    async def delete_avatar(self, request: HTMXRequest, account: NamedDependency[Account]) -> Any:
        await profile.remove_avatar(account, request.app.state.settings.data_dir)
        return redirect_after_post(request, "/account/profile?notice=avatar-removed")

    # -- Points ---------------------------------------------------------------------------------

    @get("/points", name="account_points", media_type=MediaType.HTML)
    async def points_ledger(
        self, request: HTMXRequest, account: NamedDependency[Account]
    ) -> Template:
        return Template(
            template_name="pages/account/points.html",
            context={
                "account": account,
                "balance": await points.balance(account.id),
                "entries": await points.ledger(account.id),
                "reasons": points.REASONS,
            },
        )

    # -- Address book ---------------------------------------------------------------------------

    async def _address_book(
        self,
        request: HTMXRequest,
        account: Account,
        form: dict[str, Any] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        return {
            "account": account,
            "addresses": await addresses.list_addresses(account.id),
            "form": form or {"kind": "shipping"},
            "errors": {},
            "kinds": addresses.KINDS,
            "countries": addresses.countries(current_locale.get()),
            "country_names": dict(addresses.countries(current_locale.get())),
            **extra,
        }

    @get("/addresses", name="account_addresses", media_type=MediaType.HTML)
    async def address_book(
        self, request: HTMXRequest, account: NamedDependency[Account], notice: FromQuery[str] = ""
    ) -> Template:
        return ADDRESS_FORM.render(
            request, await self._address_book(request, account, notice=notice)
        )

    @post("/addresses", name="account_address_add", media_type=MediaType.HTML)
    async def add_address(
        self, request: HTMXRequest, account: NamedDependency[Account], data: Form
    ) -> Any:
        data = clean_form(data)
        try:
            await addresses.save_address(account.id, _address_form(data))
        except FormInvalid as error:
            context = await self._address_book(request, account, dict(data))
            context["errors"] = error.errors
            return ADDRESS_FORM.render(request, context, HTTP_422_UNPROCESSABLE_ENTITY)
        return redirect_after_post(request, "/account/addresses?notice=address-saved")

    # Ids in paths are text, parsed by _own_address: Litestar's `int` takes any size.
    @get("/addresses/{address_id:str}", name="account_address", media_type=MediaType.HTML)
    async def edit_address(
        self, request: HTMXRequest, account: NamedDependency[Account], address_id: FromPath[str]
    ) -> Template:
        address = await _own_address(account, address_id)
        form = {name: getattr(address, name) for name in addresses.AddressForm.__dataclass_fields__}
        return _address_edit_page(address, form)

    @post("/addresses/{address_id:str}", name="account_address_update", media_type=MediaType.HTML)
    async def update_address(
        self,
        request: HTMXRequest,
        account: NamedDependency[Account],
        address_id: FromPath[str],
        data: Form,
    ) -> Any:
        data = clean_form(data)
        address = await _own_address(account, address_id)
        try:
            await addresses.save_address(account.id, _address_form(data), address_id=address.id)
        except FormInvalid as error:
            return _address_edit_page(
                address, dict(data), error.errors, HTTP_422_UNPROCESSABLE_ENTITY
            )
        return redirect_after_post(request, "/account/addresses?notice=address-saved")

    @post(
        "/addresses/{address_id:str}/delete",
        name="account_address_delete",
        media_type=MediaType.HTML,
    )
    async def delete_address(
        self, request: HTMXRequest, account: NamedDependency[Account], address_id: FromPath[str]
    ) -> Any:
        address = await _own_address(account, address_id)
        await addresses.delete_address(account.id, address.id)
        return await self._address_book_answer(request, account, "address-deleted")

    @post(
        "/addresses/{address_id:str}/default",
        name="account_address_default",
        media_type=MediaType.HTML,
    )
    async def default_address(
        self, request: HTMXRequest, account: NamedDependency[Account], address_id: FromPath[str]
    ) -> Any:
        address = await _own_address(account, address_id)
        await addresses.make_default(account.id, address.id)
        return await self._address_book_answer(request, account, "address-default")

    async def _address_book_answer(
        self, request: HTMXRequest, account: Account, notice: str
    ) -> Any:
        if not request.htmx:
            return redirect_after_post(request, f"/account/addresses?notice={notice}")
        return ADDRESS_LIST.render(
            request, await self._address_book(request, account, notice=notice)
        )

    # -- Security -------------------------------------------------------------------------------

    @get("/security", name="account_security", media_type=MediaType.HTML)
    async def security_page(
        self, request: HTMXRequest, account: NamedDependency[Account], notice: FromQuery[str] = ""
    ) -> Template:
        return SECURITY.render(request, await security_context(request, account, notice=notice))

    @post("/password", name="account_password", media_type=MediaType.HTML)
    async def change_password(
        self, request: HTMXRequest, account: NamedDependency[Account], data: Form
    ) -> Any:
        data = clean_form(data)
        try:
            account.session_version = await accounts.change_password(
                account,
                data.get("current_password", ""),
                data.get("new_password", ""),
                data.get("confirm_password", ""),
            )
        except FormInvalid as error:
            return SECURITY.render(
                request,
                await security_context(request, account, errors=error.errors),
                HTTP_422_UNPROCESSABLE_ENTITY,
            )
        # Every other session ended; this browser gets a cookie for the new version.
        response = redirect_after_post(request, "/account/security?notice=password-changed")
        await start_session(request, response, account)
        return response

    @post("/sessions/revoke", name="account_sign_out_everywhere", media_type=MediaType.HTML)
    async def sign_out_everywhere(
        self, request: HTMXRequest, account: NamedDependency[Account]
    ) -> Any:
        account.session_version = await accounts.revoke_sessions(account.id)
        response = redirect_after_post(request, "/account/security?notice=signed-out-elsewhere")
        await start_session(request, response, account)
        return response


async def security_context(request: HTMXRequest, account: Account, **extra: Any) -> dict[str, Any]:
    """Password, linked sign-ins (services.oidc) and the sign-in history."""
    history = (
        await SignIn.select(
            SignIn.created_at,
            SignIn.ip,
            SignIn.browser,
            SignIn.os,
            SignIn.new_device,
            SignIn.method,
        )
        .where(SignIn.account == account.id)
        .order_by(SignIn.created_at, ascending=False)
        .limit(SIGN_IN_HISTORY_ROWS)
    )
    providers = request.app.state.settings.oidc_providers
    linked = {row["provider"]: row for row in await oidc.identities(account.id)}
    return {
        "account": account,
        "history": history,
        "errors": {},
        "has_password": oidc.has_password(account),
        "sign_ins": [
            {"provider": provider, "linked": linked.get(provider.key)} for provider in providers
        ],
        "provider_names": {provider.key: provider.display_name for provider in providers},
        "link_errors": {},
        **extra,
    }


async def security_page(
    request: HTMXRequest, account: Account, status: int, **extra: Any
) -> Template:
    """The security page again, with what went wrong (a link or unlink refused)."""
    return Template(
        template_name=SECURITY.page,
        context=await security_context(request, account, **extra),
        status_code=status,
    )


def _address_edit_page(
    address: Address,
    form: dict[str, Any],
    errors: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Template:
    return Template(
        template_name="pages/account/address_edit.html",
        context={
            "address": address,
            "form": form,
            "errors": errors or {},
            "kinds": addresses.KINDS,
            "countries": addresses.countries(current_locale.get()),
        },
        status_code=status_code,
    )


async def _own_address(account: Account, raw_id: str) -> Address:
    """The address if it is this account's; 404 otherwise (never say that it exists)."""
    address_id = parse_int(raw_id, minimum=1)
    if address_id is None:
        raise NotFoundException()
    try:
        return await addresses.get_address(account.id, address_id)
    except addresses.AddressNotFound as error:
        raise NotFoundException() from error
