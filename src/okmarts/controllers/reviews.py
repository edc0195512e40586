"""Reviews, helpful votes and product questions from the shopper's side."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from litestar import Controller, MediaType, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from okmarts.i18n import N_, Message
from okmarts.inputs import parse_int
from okmarts.services import accounts, moderation, questions, reviews
from okmarts.services.accounts import FormInvalid
from okmarts.services.rate_limits import RateLimited
from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Product
from okmarts.tables.reviews import Review
from okmarts.web import (
    Form,
    View,
    clean_form,
    current_account,
    redirect_after_post,
    require_account,
    safe_next,
    signed_in_account,
)

# A vote answers htmx with the review's vote buttons and counts (a part of the product page).
VOTES = View("pages/catalog/product.html", fragment="partials/reviews/votes.html")
# Asking: the form again (refused, or thanking); without JS a page of its own when refused.
ASK = View("pages/reviews/ask.html", fragment="partials/questions/ask_form.html")

# The id of the thank-you after a question (the #fragment of the redirect without JavaScript).
QUESTION_ASKED_ANCHOR = "question-asked"


def _voted_path(next_path: str, review_id: int, *, withdrawn: bool) -> str:
    """The page the vote was cast on, saying which review's vote was recorded (or withdrawn),
    scrolled to that review's buttons."""
    parts = urlsplit(next_path)
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key not in ("voted", "withdrawn")
    ]
    query.append(("withdrawn" if withdrawn else "voted", str(review_id)))
    return urlunsplit(("", "", parts.path, urlencode(query), f"votes-{review_id}"))


LOCKED = {
    "verify-email": Message(N_("Confirm your email address first: we sent you a link.")),
    "guardian": Message(N_("Your parent or guardian has to agree to your account first.")),
}


def _lock_message(account: Account) -> Message | None:
    lock = accounts.interaction_lock(account)
    return LOCKED.get(lock or "")


class ReviewsController(Controller):
    # The id is text in the path, parsed here: Litestar's `int` takes any size ("9" * 30).
    @post("/reviews/{review_id:str}/votes", name="review_vote", media_type=MediaType.HTML)
    async def vote(self, request: HTMXRequest, review_id: FromPath[str], data: Form) -> Any:
        voted_id = parse_int(review_id, minimum=1)
        if voted_id is None:
            raise NotFoundException()
        data = clean_form(data)
        next_path = safe_next(data.get("next"), "/")
        account = current_account.get()
        if account is None:
            # Sign in, then back to the same review.
            return redirect_after_post(request, f"/login?{urlencode({'next': next_path})}")
        error = _lock_message(account)
        status = 200
        result = None
        if error is None:
            try:
                result = await reviews.vote(account, voted_id, data.get("choice", ""))
            except reviews.ReviewError as refused:
                error, status = refused.message, refused.status_code
            else:
                # The product page's counts changed: the voter sees them at once.
                product = (
                    await Product.select(Product.slug)
                    .where(Product.id == result.product_id)
                    .first()
                )
                if product is not None:
                    request.app.state.page_cache.forget(f"/products/{product['slug']}")
        else:
            status = 403
        if not request.htmx:
            if error is not None:
                return Template(
                    template_name="pages/reviews/refused.html",
                    context={"error": error, "back": next_path},
                    status_code=status,
                )
            # Plain forms: back to the same review's buttons on the page, with a confirmation
            # beside them (the URL's #fragment scrolls there, as the pressed button was).
            withdrawn = result is not None and result.my_vote is None
            return redirect_after_post(
                request, _voted_path(next_path, voted_id, withdrawn=withdrawn)
            )
        row = (
            await Review.select(Review.id, Review.helpful_count, Review.not_helpful_count)
            .where(Review.id == voted_id)
            .first()
        )
        if row is None:
            raise NotFoundException()
        return VOTES.render(
            request,
            {
                "review": row,
                "my_vote": result.my_vote if result else None,
                "next_path": next_path,
                "vote_error": error,
                "voted": True,  # announce the new counts (the page's blocks never do)
            },
            status if error else 200,
        )

    @post("/products/{slug:str}/questions", name="product_question", media_type=MediaType.HTML)
    async def ask(self, request: HTMXRequest, slug: FromPath[str], data: Form) -> Any:
        data = clean_form(data)
        account = require_account(request)
        product = (
            await Product.select(Product.id, Product.slug, Product.title)
            .where(Product.slug == slug)
            .first()
        )
        if product is None:
            raise NotFoundException()
        context: dict[str, Any] = {
            "product": product,
            "question_form": {"question": data.get("question", "")},
            "errors": {},
            "asked": False,
            "lock_reason": _lock_message(account),
            "retry_minutes": 0,
        }
        if context["lock_reason"] is None:
            try:
                await questions.ask(account, product["id"], data.get("question", ""))
            except FormInvalid as error:
                context["errors"] = error.errors
            except RateLimited as error:
                context["retry_minutes"] = error.minutes
            else:
                if not request.htmx:
                    # Back to the page, at the confirmation: the URL's #fragment scrolls to it in
                    # every browser (lynx and w3m too, which ignore autofocus), and it takes the
                    # focus (it is focusable) where the form was.
                    return redirect_after_post(
                        request, f"/products/{slug}?asked=1#{QUESTION_ASKED_ANCHOR}"
                    )
                context.update(asked=True, question_form={})
                return ASK.render(request, context)
        # Refused: the form again with the text kept and the reason (a whole page without JS).
        return ASK.render(request, context, HTTP_422_UNPROCESSABLE_ENTITY)


class MyReviewsController(Controller):
    path = "/account/reviews"
    dependencies = {"account": Provide(signed_in_account)}  # noqa: RUF012 (Litestar reads it)

    async def _page(self, account: Account, **extra: Any) -> dict[str, Any]:
        return {
            "account": account,
            "reviewable": await reviews.reviewable_lines(account.id),
            "my_reviews": await reviews.my_reviews(account.id),
            "my_questions": await questions.my_questions(account.id),
            "rules": moderation.RULES,
            "lock_reason": _lock_message(account),
            **extra,
        }

    @get("/", name="account_reviews", media_type=MediaType.HTML)
    async def overview(
        self, request: HTMXRequest, account: NamedDependency[Account], notice: FromQuery[str] = ""
    ) -> Template:
        return Template(
            template_name="pages/account/reviews.html",
            context=await self._page(account, notice=notice),
        )

    @get("/new", name="account_review_new", media_type=MediaType.HTML)
    async def new(
        self, request: HTMXRequest, account: NamedDependency[Account], line: FromQuery[str] = ""
    ) -> Template:
        line_id = parse_int(line, minimum=1)
        reviewable = {row["id"]: row for row in await reviews.reviewable_lines(account.id)}
        if line_id not in reviewable:
            raise NotFoundException()
        return Template(
            template_name="pages/account/review_form.html",
            context={
                "line": reviewable[line_id],
                "form": {},
                "errors": {},
                "lock_reason": _lock_message(account),
            },
        )

    @post("/", name="account_review_submit", media_type=MediaType.HTML)
    async def submit(
        self, request: HTMXRequest, account: NamedDependency[Account], data: Form
    ) -> Any:
        data = clean_form(data)
        line_id = parse_int(data.get("line"), minimum=1)
        reviewable = {row["id"]: row for row in await reviews.reviewable_lines(account.id)}
        lock = _lock_message(account)
        errors: dict[str, Message] = {}
        if line_id in reviewable and lock is None:
            try:
                await reviews.submit_review(
                    account,
                    line_id,
                    data.get("rating", ""),
                    data.get("title", ""),
                    data.get("body", ""),
                )
            except FormInvalid as error:
                errors = error.errors
            except reviews.ReviewError as refused:
                errors = {"line": refused.message}
            else:
                return redirect_after_post(
                    request, "/account/reviews?notice=review-submitted#review-submitted"
                )
        elif line_id not in reviewable:
            raise NotFoundException()
        return Template(
            template_name="pages/account/review_form.html",
            context={
                "line": reviewable[line_id],
                "form": data,
                "errors": errors,
                "lock_reason": lock,
            },
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        )
