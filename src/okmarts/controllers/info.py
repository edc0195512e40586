"""Site pages beside the catalog: policies, contact, language choice, and what is not open yet."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from okmarts.i18n import Catalogs, current_locale
from okmarts.services import moderation
from okmarts.services.content import current_policy_version, privacy_policy
from okmarts.tables.accounts import Account
from okmarts.web import LANGUAGE_COOKIE, Form, clean_form, current_account, safe_next

ONE_YEAR = 365 * 24 * 3600
PRIVACY_CONTACT = {"email": "privacy@okmarts.com", "phone": "+86-028-84166335", "response_days": 15}


class InfoController(Controller):
    @get("/privacy", name="privacy")
    async def privacy(self) -> Template:
        return Template(
            template_name="pages/info/privacy.html",
            context={
                "blocks": privacy_policy(current_locale.get()),
                "version": current_policy_version(),
            },
        )

    @get("/comment-rules", name="comment_rules")
    async def comment_rules(self) -> Template:
        return Template(
            template_name="pages/info/comment_rules.html", context={"rules": moderation.RULES}
        )

    @get("/contact", name="contact")
    async def contact(self) -> Template:
        return Template(
            template_name="pages/info/contact.html", context={"contact": PRIVACY_CONTACT}
        )

    @post("/language", name="language", status_code=HTTP_303_SEE_OTHER)
    async def choose_language(
        self,
        request: HTMXRequest,
        data: Form,
    ) -> Redirect:
        data = clean_form(data)
        catalogs: Catalogs = request.app.state.catalogs
        redirect = Redirect(path=safe_next(data.get("next")), status_code=HTTP_303_SEE_OTHER)
        locale = catalogs.match(data.get("lang") or "")
        account = current_account.get()
        if locale and account is not None and account.locale != locale:
            # Emails follow the language the shopper last chose.
            await Account.update({Account.locale: locale}).where(Account.id == account.id)
        if locale:
            redirect.set_cookie(
                LANGUAGE_COOKIE,
                locale,
                max_age=ONE_YEAR,
                httponly=True,
                samesite="lax",
                secure=request.url.scheme == "https",
            )
        return redirect
