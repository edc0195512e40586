"""Customer service, the shoppers' side (issue 16, H-chat).

- /support/new: "Contact us" (a topic picker), "Ask about this part" (?product=<slug>) and "Get
  help with this order" (?order=<number>, the signed-in owner's only: a reason picker). A
  visitor gives an email; staff see nothing until the link mailed to it is confirmed
  (GET /support/verify shows a button, the POST verifies: nothing changes on a GET).
- /account/support: the signed-in shopper's conversations with their status and the response
  promise; /account/support/<number> (another's: 404) and, for a visitor,
  /support/c/<signed token>: the conversation, a reply form and its files.

The conversation page is one URL: the page, or for htmx's poll (`hx-target` support-messages,
`?seen=<the newest message shown>`) the messages fragment, or 204 when nothing is new (two
queries). JavaScript off: a "Refresh" link. Every form carries a one-time `client_key`, so a
double submit stores one message.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from litestar import Controller, MediaType, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from litestar.status_codes import (
    HTTP_204_NO_CONTENT,
    HTTP_400_BAD_REQUEST,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
)

from okmarts.i18n import N_, Message, current_locale
from okmarts.inputs import parse_int
from okmarts.services import rate_limits, support, support_chat, support_files, support_survey
from okmarts.services.accounts import FormInvalid, normalize_email
from okmarts.services.rate_limits import RateLimited
from okmarts.services.tokens import TokenError, TokenExpired
from okmarts.tables.accounts import Account
from okmarts.tables.support import Conversation, ConversationAttachment, ConversationMessage
from okmarts.web import (
    Form,
    SignInRequired,
    View,
    clean_form,
    client_device,
    current_account,
    redirect_after_post,
    signed_in_account,
)

MultipartForm = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
# The most a request with files may weigh: the size settings stay within it.
UPLOAD_CAP = 4 * 10_000_000 + 200_000
MESSAGES_TARGET = "support-messages"
NEW = View("pages/support/new.html")
SENT = View("pages/support/sent.html")
VERIFY = View("pages/support/verify.html")
LIST = View("pages/support/list.html")
CONVERSATION = View(
    "pages/support/conversation.html",
    fragments={MESSAGES_TARGET: "partials/support/messages.html"},
)
BAD_LINK = N_("This link is not valid. Open the link from the email as it is.")
EXPIRED_LINK = N_("This link has expired. Write to us again from the contact page.")
NOTICES = {"sent", "verified", "posted"}


def _client_key() -> str:
    return secrets.token_urlsafe(16)


def _subject(request: HTMXRequest) -> str:
    account = current_account.get()
    return f"account:{account.id}" if account is not None else f"ip:{client_device(request).ip}"


def _uploads(data: dict[str, Any], field: str = "files") -> list[UploadFile]:
    found = data.get(field)
    items = found if isinstance(found, list) else [found]
    return [item for item in items if isinstance(item, UploadFile) and item.filename]


async def prepared_uploads(
    request: HTMXRequest, data: dict[str, Any], *, field: str = "files", photos_only: bool = False
) -> list[support_files.Prepared]:
    """The form's files (`field`), checked and cleaned by services.support_files (also the
    return request's photos: controllers.returns)."""
    settings = request.app.state.settings
    cap = int(max(settings.support_photo_max_mb, settings.support_pdf_max_mb) * 1_000_000) + 1
    files = [(upload.filename or "", await upload.read(cap)) for upload in _uploads(data, field)]
    return await support_files.prepare(settings, files, photos_only=photos_only)


def _text(data: dict[str, Any]) -> dict[str, str]:
    """The form's text fields (files apart), cleaned."""
    return clean_form({k: v for k, v in data.items() if isinstance(v, str)})


def _promise(request: HTMXRequest) -> tuple[str, int]:
    return support_chat.promise_hours(request.app.state.settings.support_response_hours)


def _common(request: HTMXRequest) -> dict[str, Any]:
    return {
        "topics": support.TOPICS,
        "reasons": support.ORDER_REASONS,
        "statuses": support.STATUSES,
        "promise": _promise(request),
        "staff_name": support_chat.STAFF_NAME,
        "subject_max": support.SUBJECT_MAX,
        "body_max": support.BODY_MAX,
        "max_files": support_files.MAX_FILES,
    }


# -- Starting a conversation ---------------------------------------------------------------------


async def _new_context(
    request: HTMXRequest, form: dict[str, str], account: Account | None
) -> dict[str, Any]:
    product = order = None
    if form.get("product"):
        product = await support_chat.product_for(form["product"])
        if product is None:
            raise NotFoundException()
    if form.get("order"):
        if account is None:
            raise SignInRequired()
        order = await support_chat.order_for(account.id, form["order"])
        if order is None:
            raise NotFoundException()
    return {
        **_common(request),
        "form": form,
        "errors": {},
        "retry_minutes": 0,
        "signed_in": account is not None,
        "product": product,
        "order": order,
        "pickable": support_chat.PICKABLE_TOPICS,
    }


def _new_form(raw: dict[str, str]) -> dict[str, str]:
    form = {
        "product": str(raw.get("product") or "")[:200],
        "order": str(raw.get("order") or "")[:20],
        "topic": str(raw.get("topic") or "")[:20],
        "reason": str(raw.get("reason") or "")[:20],
        "subject": str(raw.get("subject") or "")[: support.SUBJECT_MAX * 2],
        "body": str(raw.get("body") or "")[: support.BODY_MAX * 2],
        "email": str(raw.get("email") or "")[:300],
        "client_key": str(raw.get("client_key") or "")[: support.CLIENT_KEY_MAX],
    }
    if form["order"]:
        form["topic"] = "order"
    elif form["product"]:
        form["topic"] = "product"
    elif form["topic"] not in support_chat.PICKABLE_TOPICS:
        form["topic"] = "general"
    if form["topic"] == "order" and form["reason"] not in support.ORDER_REASONS:
        form["reason"] = ""
    if not form["client_key"]:
        form["client_key"] = _client_key()
    return form


async def _start(request: HTMXRequest, data: dict[str, Any]) -> Any:
    account = current_account.get()
    form = _new_form(_text(data))
    context = await _new_context(request, form, account)
    errors: dict[str, Message] = {}
    email = account.email if account is not None else ""
    if account is None:
        try:
            email = normalize_email(form["email"])
        except ValueError as error:
            errors["email"] = Message(str(error.args[0]))
    if form["order"] and not form["reason"]:
        errors["reason"] = Message(N_("Choose what the problem is."))
    prepared: list[support_files.Prepared] = []
    if account is not None:  # a visitor attaches once their email is confirmed
        try:
            prepared = await prepared_uploads(request, data)
        except support_files.AttachmentRefused as refused:
            errors["files"] = refused.message
    if errors:
        return NEW.render(request, {**context, "errors": errors}, HTTP_422_UNPROCESSABLE_ENTITY)
    counted = [(support_chat.NEW_PER_SUBJECT, _subject(request))]
    if account is None:
        counted.append((support_chat.NEW_PER_EMAIL, email))
    try:
        await rate_limits.consume(*counted)
    except RateLimited as limited:
        return NEW.render(
            request, {**context, "retry_minutes": limited.minutes}, HTTP_429_TOO_MANY_REQUESTS
        )
    settings = request.app.state.settings
    try:
        conversation = await support.open_conversation(
            settings,
            account=account,
            email=email,
            locale=current_locale.get(),
            body=form["body"],
            subject=form["subject"],
            topic=form["topic"],
            reason=form["reason"],
            product_id=context["product"]["id"] if context["product"] else None,
            order_id=context["order"]["id"] if context["order"] else None,
            client_key=form["client_key"],
        )
    except FormInvalid as invalid:
        return NEW.render(
            request, {**context, "errors": invalid.errors}, HTTP_422_UNPROCESSABLE_ENTITY
        )
    except support.SupportRefused as refused:
        return NEW.render(
            request, {**context, "errors": {"order": refused.message}}, HTTP_409_CONFLICT
        )
    if prepared:
        await _attach_to_first(settings, conversation.id, prepared)
    if account is None:
        return redirect_after_post(request, "/support/sent")
    return redirect_after_post(request, f"/account/support/{conversation.number}?notice=sent")


async def _attach_to_first(settings: Any, conversation_id: int, prepared: list) -> None:
    first = (
        await ConversationMessage.select(ConversationMessage.id)
        .where(ConversationMessage.conversation == conversation_id)
        .order_by(ConversationMessage.id)
        .first()
    )
    if first is None:
        return
    # The same form submitted twice: its files are there already.
    if await ConversationAttachment.exists().where(ConversationAttachment.message == first["id"]):
        return
    await support_files.attach(settings, first["id"], prepared)


# -- A conversation ------------------------------------------------------------------------------


async def _conversation_page(
    request: HTMXRequest,
    conversation: Conversation,
    path: str,
    *,
    seen: str = "",
    notice: str = "",
    form: dict[str, str] | None = None,
    errors: dict[str, Message] | None = None,
    retry_minutes: int = 0,
    status_code: int = 200,
) -> Any:
    # htmx's poll says which message it shows last: nothing newer, nothing to send (the View
    # answers the poll itself with the messages fragment, its hx-target).
    seen_id = parse_int(seen, minimum=0)
    if (
        request.htmx
        and seen_id is not None
        and await support_chat.last_visible_id(conversation.id) == seen_id
    ):
        return Response(content=b"", status_code=HTTP_204_NO_CONTENT)
    found = await support_chat.thread(conversation)
    settings = request.app.state.settings
    context = {
        # Closed and not answered yet: the satisfaction survey's link (issue 16, H-survey).
        "survey_path": await support_survey.pending_path(settings, conversation),
        **_common(request),
        "conversation": conversation,
        "thread": found,
        "path": path,
        "notice": notice if notice in NOTICES else "",
        "form": form or {"body": "", "client_key": _client_key()},
        "errors": errors or {},
        "retry_minutes": retry_minutes,
    }
    return CONVERSATION.render(request, context, status_code)


async def _reply(
    request: HTMXRequest, conversation: Conversation, path: str, data: dict[str, Any]
) -> Any:
    text = _text(data)
    form = {
        "body": str(text.get("body") or "")[: support.BODY_MAX * 2],
        "client_key": str(text.get("client_key") or "")[: support.CLIENT_KEY_MAX] or _client_key(),
    }

    async def again(errors: dict[str, Message], status: int, minutes: int = 0) -> Any:
        return await _conversation_page(
            request,
            conversation,
            path,
            form=form,
            errors=errors,
            retry_minutes=minutes,
            status_code=status,
        )

    try:
        prepared = await prepared_uploads(request, data)
    except support_files.AttachmentRefused as refused:
        return await again({"files": refused.message}, HTTP_422_UNPROCESSABLE_ENTITY)
    try:
        await rate_limits.consume((support_chat.MESSAGES_PER_SUBJECT, _subject(request)))
    except RateLimited as limited:
        return await again({}, HTTP_429_TOO_MANY_REQUESTS, limited.minutes)
    settings = request.app.state.settings
    try:
        posted = await support.post_message(
            settings,
            conversation.id,
            author="shopper",
            body=form["body"],
            client_key=form["client_key"],
        )
    except FormInvalid as invalid:
        return await again(invalid.errors, HTTP_422_UNPROCESSABLE_ENTITY)
    except support.SupportRefused as refused:
        return await again({"body": refused.message}, HTTP_409_CONFLICT)
    if posted.created and prepared:
        await support_files.attach(settings, posted.message_id, prepared)
    return redirect_after_post(request, f"{path}?notice=posted#message-{posted.message_id}")


async def _download(request: HTMXRequest, conversation: Conversation, raw_id: str) -> Any:
    attachment_id = parse_int(raw_id, minimum=1)
    if attachment_id is None:
        raise NotFoundException()
    found = await support_chat.attachment_of(conversation.id, attachment_id)
    if found is None:
        raise NotFoundException()
    content = await support_files.read_file(request.app.state.settings, found["path"])
    if content is None:
        raise NotFoundException()
    media_type, headers = support_files.download_headers(
        str(found["filename"]), found["content_type"]
    )
    return Response(content=content, media_type=media_type, headers=headers)


async def _own(account: Account, number: str) -> Conversation:
    conversation = await support_chat.own_conversation(account.id, number)
    if conversation is None:
        raise NotFoundException()
    return conversation


async def _visitors(request: HTMXRequest, token: str) -> Conversation:
    try:
        return await support.by_visitor_token(request.app.state.settings, token[:1000])
    except (TokenError, support.SupportRefused) as bad:
        raise NotFoundException() from bad


# -- Routes --------------------------------------------------------------------------------------


class SupportController(Controller):
    """Contact us, a visitor's email confirmation and a visitor's conversation."""

    path = "/support"

    @get("/new", name="support_new", media_type=MediaType.HTML)
    async def new(
        self,
        request: HTMXRequest,
        product: FromQuery[str] = "",
        order: FromQuery[str] = "",
        topic: FromQuery[str] = "",
    ) -> Template:
        form = _new_form({"product": product, "order": order, "topic": topic})
        return NEW.render(request, await _new_context(request, form, current_account.get()))

    @post(
        "/new",
        name="support_start",
        media_type=MediaType.HTML,
        request_max_body_size=UPLOAD_CAP,
    )
    async def start(self, request: HTMXRequest, data: MultipartForm) -> Any:
        return await _start(request, data)

    @get("/sent", name="support_sent", media_type=MediaType.HTML)
    async def sent(self, request: HTMXRequest) -> Template:
        return SENT.render(request, _common(request))

    @get("/verify", name="support_verify", media_type=MediaType.HTML)
    async def verify_page(self, request: HTMXRequest, token: FromQuery[str] = "") -> Template:
        problem = None
        try:
            support.read_verification(request.app.state.settings, token[:1000])
        except TokenError as error:
            problem = Message(EXPIRED_LINK if isinstance(error, TokenExpired) else BAD_LINK)
        return VERIFY.render(
            request,
            {"token": token[:1000], "problem": problem},
            HTTP_400_BAD_REQUEST if problem else 200,
        )

    @post("/verify", name="support_verify_submit", media_type=MediaType.HTML)
    async def verify(self, request: HTMXRequest, data: Form) -> Any:
        token = str(clean_form(data).get("token") or "")[:1000]
        settings = request.app.state.settings
        try:
            conversation = await support.verify(settings, token)
        except (TokenError, support.SupportRefused) as error:
            problem = Message(EXPIRED_LINK if isinstance(error, TokenExpired) else BAD_LINK)
            return VERIFY.render(request, {"token": "", "problem": problem}, HTTP_400_BAD_REQUEST)
        path = support.conversation_path(conversation, settings)
        return redirect_after_post(request, f"{path}?notice=verified")

    @get("/c/{token:str}", name="support_visitor", media_type=MediaType.HTML)
    async def visitor_page(
        self,
        request: HTMXRequest,
        token: FromPath[str],
        seen: FromQuery[str] = "",
        notice: FromQuery[str] = "",
    ) -> Any:
        conversation = await _visitors(request, token)
        return await _conversation_page(
            request, conversation, f"/support/c/{token}", seen=seen, notice=notice
        )

    @post(
        "/c/{token:str}",
        name="support_visitor_reply",
        media_type=MediaType.HTML,
        request_max_body_size=UPLOAD_CAP,
    )
    async def visitor_reply(
        self, request: HTMXRequest, token: FromPath[str], data: MultipartForm
    ) -> Any:
        conversation = await _visitors(request, token)
        return await _reply(request, conversation, f"/support/c/{token}", data)

    @get("/c/{token:str}/files/{file_id:str}", name="support_visitor_file")
    async def visitor_file(
        self, request: HTMXRequest, token: FromPath[str], file_id: FromPath[str]
    ) -> Any:
        return await _download(request, await _visitors(request, token), file_id)


class AccountSupportController(Controller):
    """The signed-in shopper's conversations: every URL is the account's own (404 otherwise)."""

    path = "/account/support"
    dependencies = {"account": Provide(signed_in_account)}  # noqa: RUF012 (Litestar reads it)

    @get("/", name="account_support", media_type=MediaType.HTML)
    async def list_conversations(
        self, request: HTMXRequest, account: NamedDependency[Account]
    ) -> Template:
        context = {
            **_common(request),
            "account": account,
            "conversations": await support_chat.conversations_of(account.id),
        }
        return LIST.render(request, context)

    @get("/{number:str}", name="account_support_conversation", media_type=MediaType.HTML)
    async def show(
        self,
        request: HTMXRequest,
        account: NamedDependency[Account],
        number: FromPath[str],
        seen: FromQuery[str] = "",
        notice: FromQuery[str] = "",
    ) -> Any:
        conversation = await _own(account, number)
        return await _conversation_page(
            request,
            conversation,
            f"/account/support/{conversation.number}",
            seen=seen,
            notice=notice,
        )

    @post(
        "/{number:str}",
        name="account_support_reply",
        media_type=MediaType.HTML,
        request_max_body_size=UPLOAD_CAP,
    )
    async def reply(
        self,
        request: HTMXRequest,
        account: NamedDependency[Account],
        number: FromPath[str],
        data: MultipartForm,
    ) -> Any:
        conversation = await _own(account, number)
        return await _reply(request, conversation, f"/account/support/{conversation.number}", data)

    @get("/{number:str}/files/{file_id:str}", name="account_support_file")
    async def file(
        self,
        request: HTMXRequest,
        account: NamedDependency[Account],
        number: FromPath[str],
        file_id: FromPath[str],
    ) -> Any:
        return await _download(request, await _own(account, number), file_id)
