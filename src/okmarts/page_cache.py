"""Rendered catalog pages, kept per worker and shared by every shopper, signed in or not.

Catalog pages are the same for everyone who asks for the same URL in the same language, but for
a few personal parts: the CSRF token of each form, the header's cart count (with its
"item"/"items") and the signed-in shopper's name, their own votes on the reviews shown, and the
cookie banner for visitors who have not chosen yet. A page is therefore rendered once with
*holes* where those parts go — never with anyone's data: while it renders, nobody is signed in
(`current_account` is None) and `viewer()` is a stand-in that has nothing personal to give — and
each answer fills the holes with the asking shopper's own values. A signed-in shopper's page
costs their session look-up and the cache hit, like a visitor's. The only variant is whether
someone is signed in at all (the header's links, the question form): two copies, neither
personal.

Each worker keeps a page for `ttl` seconds, renders an expired page once however many requests
wait for it, and other pages that depend on who is asking must not use this.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cachetools import LRUCache, TTLCache
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from litestar import MediaType, Response
from litestar.plugins.htmx import HTMXRequest
from litestar.utils.scope.state import ScopeState
from markupsafe import Markup, escape

from okmarts import recently_viewed
from okmarts.dismissals import dismissed
from okmarts.hooks.consent import cookie_banner_wanted
from okmarts.i18n import current_locale
from okmarts.services import recommendations, reviews
from okmarts.tables.accounts import Account
from okmarts.web import cart_items_word, current_account, current_cart_count

VARY = "Accept-Language, Cookie, HX-Request, HX-Target"
# Holes are marked with a random word of this process, between unit separators: page content
# (a review, a product title) can't know it, so it can't open a hole of its own.
_MARK = secrets.token_hex(6)
_HOLE = re.compile(f"\x1f{_MARK}:([a-z0-9_-]+)\x1f")


def hole(name: str) -> str:
    """Where a personal part goes in a shared page; filled for each answer (`Rendered.fill`)."""
    return f"\x1f{_MARK}:{name}\x1f"


CSRF = hole("csrf")
# The home page's personal block ("buy again", or the offer to turn it on): filled for each
# shopper from their own orders (services.recommendations.for_you), never kept in the page.
FOR_YOU = hole("for-you")
FOR_YOU_TEMPLATE = "partials/recommendations/for_you.html"
CART_COUNT = hole("cart-count")
CART_ITEMS = hole("cart-items")
ACCOUNT_NAME = hole("account-name")
BANNER_START, BANNER_END = hole("banner-start"), hole("banner-end")
# Not a hole: the page's own address (the add-to-cart forms' way back), put into a shared
# product card once the page around it is rendered.
NEXT_PAGE = f"\x1f{_MARK}~next\x1f"
CARD_TEMPLATE = "partials/catalog/product_card.html"
CARD_CACHE_BYTES = 2 * 1024 * 1024
_VOTE = re.compile(r"vote-(\d+)-(helpful|not_helpful)-(choice|pressed)")
# A recommended product's card, between rec-<id>-start and rec-<id>-end: left out for a shopper
# who dismissed that product (services.recommendations), kept for everyone else.
_RECOMMENDED = re.compile(r"rec-(\d+)-start")
_REGION_END = re.compile(r"(rec-\d+|banner)-end")


class _SomeShopper:
    """`viewer()` in a shared page: "someone is signed in", and nothing about who."""

    def __bool__(self) -> bool:
        return True

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"a shared page can't show the shopper's {name}")


SOME_SHOPPER = _SomeShopper()


def account_name(account: Account | None) -> str:
    """The name the header shows a signed-in shopper: nickname, real name, or email."""
    if account is None:
        return ""
    return str(account.nickname or account.real_name or account.email)


def template_globals() -> dict[str, Any]:
    """Jinja globals for pages rendered for one shopper (shared pages get holes instead)."""
    return {
        "viewer_name": lambda: account_name(current_account.get()),
        "product_card": product_card,
        # A page for one shopper leaves dismissed recommendations out as it renders.
        "recommendation_region": lambda product_id, edge: "",
        # Only shared pages have the hole; a page for one shopper includes the block itself.
        "for_you_hole": lambda: "",
    }


@pass_context
def product_card(context: Context, card: Any) -> Markup:
    """A product card with its add-to-cart form. In a shared page it is rendered once per
    product and language and kept: the key is everything the card shows, so a changed price,
    title, picture or stock gives a new card, and old ones drop out as space is needed."""
    environment = context.environment
    template = environment.get_template(CARD_TEMPLATE)
    if not context.get("shared_page"):
        return Markup(template.render({**context.get_all(), "card": card}))
    cards = _card_cache(environment)
    key = (current_locale.get(), *vars(card).values())
    html = cards.get(key)
    if html is None:
        html = cards[key] = Markup(
            template.render(card=card, csrf_token=lambda: CSRF, next_page=NEXT_PAGE)
        )
    return html


def _card_cache(environment: Environment) -> LRUCache[tuple[Any, ...], Markup]:
    cards: LRUCache[tuple[Any, ...], Markup] | None = getattr(environment, "okmarts_cards", None)
    if cards is None:
        cards = LRUCache(maxsize=CARD_CACHE_BYTES, getsizeof=len)
        environment.okmarts_cards = cards  # type: ignore[attr-defined]
    return cards


@dataclass
class Page:
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    status_code: int = 200


@dataclass(frozen=True)
class Rendered:
    """A rendered page cut at its holes: literal, hole name, literal, …, literal."""

    parts: tuple[str, ...]
    status_code: int = 200
    # Reviews whose vote buttons show the asking shopper's own vote.
    voted_reviews: tuple[int, ...] = ()
    # Products recommended in the page, each card a region a dismissal leaves out.
    recommended: tuple[int, ...] = ()

    @classmethod
    def from_html(cls, html: str, status_code: int = 200) -> Rendered:
        parts = tuple(_HOLE.split(html))
        voted = {int(match[1]) for name in parts[1::2] if (match := _VOTE.fullmatch(name))}
        recommended = {
            int(match[1]) for name in parts[1::2] if (match := _RECOMMENDED.fullmatch(name))
        }
        return cls(parts, status_code, tuple(sorted(voted)), tuple(sorted(recommended)))

    @property
    def holes(self) -> tuple[str, ...]:
        return self.parts[1::2]

    def fill(
        self, values: Mapping[str, str], banner: bool, hidden: frozenset[int] = frozenset()
    ) -> str:
        """The page for one shopper: every hole filled from `values` (HTML-safe already), the
        cookie banner left out unless `banner`, and the recommendations of `hidden` products
        (the shopper dismissed them) left out."""
        out: list[str] = []
        skipping = False
        parts = self.parts
        for index in range(0, len(parts) - 1, 2):
            if not skipping:
                out.append(parts[index])
            name = parts[index + 1]
            if name == "banner-start":
                skipping = not banner
            elif _REGION_END.fullmatch(name):
                skipping = False
            elif match := _RECOMMENDED.fullmatch(name):
                skipping = skipping or int(match[1]) in hidden
            elif not skipping:
                out.append(values.get(name, ""))
        if not skipping:
            out.append(parts[-1])
        return "".join(out)


class PageCache:
    def __init__(self, ttl_seconds: float, max_pages: int = 2048) -> None:
        self._pages: TTLCache[tuple[Any, ...], Rendered] | None = (
            TTLCache(maxsize=max_pages, ttl=ttl_seconds) if ttl_seconds > 0 else None
        )
        # When a popular page expires, the requests arriving meanwhile wait for one rendering
        # instead of each running the same queries at once.
        self._rendering: dict[tuple[Any, ...], asyncio.Future[Rendered]] = {}

    async def rendered(
        self, key: tuple[Any, ...], render: Callable[[], Awaitable[Rendered]]
    ) -> Rendered:
        """The kept rendering for key, or a new one: one at a time per key."""
        if self._pages is None:
            return await render()
        rendered = self._pages.get(key)
        if rendered is not None:
            return rendered
        pending = self._rendering.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        pending = asyncio.ensure_future(render())
        self._rendering[key] = pending
        try:
            rendered = await asyncio.shield(pending)
            self._pages[key] = rendered
            return rendered
        finally:
            self._rendering.pop(key, None)

    def forget(self, path: str) -> None:
        """Drop this worker's renderings of one page (every query, language and fragment), so
        that the shopper who just changed it sees the change at once. Other workers' copies
        expire with their TTL."""
        if self._pages is not None:
            for key in [key for key in self._pages if key[0] == path]:
                self._pages.pop(key, None)

    async def respond(
        self, request: HTMXRequest, build: Callable[[], Awaitable[Page]]
    ) -> Response[str]:
        """The page for this URL and language, from the cache or built, rendered and kept,
        with this shopper's own parts filled in."""
        account = current_account.get()
        signed_in = account is not None
        htmx = request.htmx
        key = (
            request.url.path,
            tuple(sorted(request.query_params.multi_items())),
            current_locale.get(),
            (htmx.target, htmx.trigger) if htmx else None,
            signed_in,
        )
        rendered = await self.rendered(key, lambda: _render(request, build, signed_in))
        values = await personal_values(request, rendered, account)
        hidden: frozenset[int] = frozenset()
        if rendered.recommended:
            hidden = frozenset(await dismissed(request, account)) & frozenset(rendered.recommended)
        return Response(
            content=rendered.fill(values, banner=cookie_banner_wanted(), hidden=hidden),
            media_type=MediaType.HTML,
            status_code=rendered.status_code,
            headers={"Vary": VARY},
        )


async def personal_values(
    request: HTMXRequest, rendered: Rendered, account: Account | None
) -> dict[str, str]:
    """What this shopper's holes hold: their token, cart count, name and votes."""
    token = ScopeState.from_scope(request.scope).csrf_token
    values = {
        "csrf": token if isinstance(token, str) else "",
        "cart-count": str(current_cart_count.get()),
        "cart-items": str(escape(cart_items_word(request.app.state.catalogs))),
        "account-name": str(escape(account_name(account))),
    }
    if "for-you" in rendered.holes:
        values["for-you"] = await for_you_block(request, account, values["csrf"])
    if rendered.voted_reviews:
        mine = {}
        if account is not None:
            mine = await reviews.my_votes(account, rendered.voted_reviews)
        for review_id in rendered.voted_reviews:
            vote = mine.get(review_id)
            for choice, chosen in (("helpful", vote == 1), ("not_helpful", vote == 0)):
                values[f"vote-{review_id}-{choice}-choice"] = "withdraw" if chosen else choice
                values[f"vote-{review_id}-{choice}-pressed"] = "true" if chosen else "false"
    return values


async def for_you_block(request: HTMXRequest, account: Account | None, csrf: str) -> str:
    """The personal block, rendered for this shopper alone (an empty string for a visitor)."""
    block = await recommendations.for_you(account, recently_viewed.read(request, account))
    if block.viewed:
        hidden = await dismissed(request, account)
        block.viewed = [rec for rec in block.viewed if rec.card.id not in hidden]
    if not block.recommendations and not block.offer and not block.viewed:
        return ""
    template = request.app.template_engine.get_template(FOR_YOU_TEMPLATE)
    return str(template.render(for_you=block, request=request, csrf_token=lambda: csrf))


async def _render(
    request: HTMXRequest, build: Callable[[], Awaitable[Page]], signed_in: bool
) -> Rendered:
    """The shared page: built and rendered as nobody in particular, with holes for the rest."""
    token = current_account.set(None)  # nothing personal can reach the queries or templates
    try:
        page = await build()
        template = request.app.template_engine.get_template(page.template)
        html = template.render(
            **page.context,
            request=request,
            shared_page=True,
            viewer=lambda: SOME_SHOPPER if signed_in else None,
            viewer_name=lambda: ACCOUNT_NAME,
            csrf_token=lambda: CSRF,
            cart_count=lambda: CART_COUNT,
            cart_items_word=lambda: CART_ITEMS,
            vote_state=lambda review_id, choice, part: hole(f"vote-{review_id}-{choice}-{part}"),
            recommendation_region=lambda product_id, edge: Markup(
                hole(f"rec-{int(product_id)}-{edge}")
            ),
            # Every copy holds the banner: fill() leaves it out for those who chose.
            cookie_banner_wanted=lambda: True,
            cookie_banner_marks=(BANNER_START, BANNER_END),
            for_you_hole=lambda: Markup(FOR_YOU),
        )
    finally:
        current_account.reset(token)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    html = html.replace(NEXT_PAGE, str(escape(here)))
    return Rendered.from_html(html, page.status_code)
