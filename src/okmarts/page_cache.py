"""Rendered catalog pages, kept per worker and shared by every shopper, signed in or not.

Catalog pages are the same for everyone who asks for the same URL in the same language, but for
a few personal parts: the CSRF token of each form, the header's cart count (with its
"item"/"items"), the signed-in shopper's name and count of unread messages, their own votes on
the reviews shown, and the cookie banner for visitors who have not chosen yet. A page is
therefore rendered once with *holes* where those parts go — never with anyone's data: while it
renders, nobody is signed in (`current_account` is None) and `viewer()` is a stand-in that has
nothing personal to give — and each answer fills the holes with the asking shopper's own values.
A signed-in shopper's page costs their session look-up and the cache hit, like a visitor's. The
only variant is whether someone is signed in at all (the header's links, the question form): two
copies, neither personal.

Each worker keeps a page for `ttl` seconds, renders an expired page once however many requests
wait for it, and other pages that depend on who is asking must not use this.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
import zlib
from collections.abc import Awaitable, Callable, Iterator, Mapping
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
from okmarts.services import follows, recommendations, reviews, watches
from okmarts.services.catalog import (
    CategoryTree,
    ProductCard,
    ProductDetail,
    ProductPage,
    SearchResults,
    forget_category_tree,
)
from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Product
from okmarts.web import (
    cart_items_word,
    current_account,
    current_cart_count,
    current_unread_count,
)

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
# The header's count of unread messages (services.message_center), signed-in copies only.
UNREAD_COUNT = hole("unread-count")
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
# The Follow/Unfollow button of a category or brand listing (services/follows): whether this
# shopper follows it is theirs, so the shared page holds a hole, filled for each answer.
_FOLLOW = re.compile(r"follow-(category|brand)-(\d+)")
FOLLOW_TEMPLATE = "partials/follows/button.html"
_REGION_END = re.compile(r"(rec-\d+|banner)-end")
# A product page's alerts block (services.watches), signed-in copies only: each shopper's own.
_WATCH = re.compile(r"watch-(\d+)")
WATCH_TEMPLATE = "partials/watches/buttons.html"


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
        "category_grid": category_grid,
        "search_facet_block": search_facet_block,
        # A page for one shopper leaves dismissed recommendations out as it renders.
        "recommendation_region": lambda product_id, edge: "",
        # Only shared pages have the hole; a page for one shopper includes the block itself.
        "for_you_hole": lambda: "",
        "watch_block": lambda product_id: "",
        # Only shared pages (the listings) show it: a hole, or the visitor's "Sign in" link.
        "follow_button": lambda kind, target_id: "",
    }


@pass_context
def product_card(context: Context, card: Any, compare: bool = False) -> Markup:
    """A product card with its add-to-cart form (and, in lists of results, a "Compare" box tied
    to the page's compare form). In a shared page it is rendered once per product and language
    and kept: the key is everything the card shows, so a changed price, title, picture or stock
    gives a new card, and old ones drop out as space is needed."""
    environment = context.environment
    template = environment.get_template(CARD_TEMPLATE)
    if not context.get("shared_page"):
        return Markup(template.render({**context.get_all(), "card": card, "compare": compare}))
    cards = _card_cache(environment)
    key = (current_locale.get(), compare, *vars(card).values())
    html = cards.get(key)
    if html is None:
        html = cards[key] = Markup(
            template.render(
                card=card, compare=compare, csrf_token=lambda: CSRF, next_page=NEXT_PAGE
            )
        )
    return html


CATEGORY_GRID_TEMPLATE = "partials/catalog/category_grid.html"


@pass_context
def category_grid(context: Context, tree: CategoryTree) -> Markup:
    """The home page's grid of categories: made from the tree alone, so rendered once per tree
    and language and kept on the tree (rendered every time in debug mode, as templates and
    catalogs may change)."""
    environment = context.environment
    key = (CATEGORY_GRID_TEMPLATE, current_locale.get())
    html = None if environment.auto_reload else tree.fragments.get(key)
    if html is None:
        html = Markup(environment.get_template(CATEGORY_GRID_TEMPLATE).render(tree=tree))
        tree.fragments[key] = html
    return Markup(html)


SEARCH_FACETS_TEMPLATE = "partials/catalog/search_facet_block.html"


@pass_context
def search_facet_block(context: Context, offer: Any) -> Markup:
    """Search's categories and spec facets (services.search_facets): made from the offer and
    the query's parameters alone, which the offer is kept by, so rendered once per offer and
    language and kept with it (every time in debug mode, as templates may change)."""
    environment = context.environment
    locale = current_locale.get()
    html = None if environment.auto_reload else offer.fragments.get(locale)
    if html is None:
        html = Markup(
            environment.get_template(SEARCH_FACETS_TEMPLATE).render(
                offer=offer, facets=offer.facets, errors=offer.errors, form=context.get("form")
            )
        )
        offer.fragments[locale] = html
    return Markup(html)


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


# What a kept page holds beside its compressed text (Rendered.size).
HOLE_BYTES = 300
PAGE_BYTES = 1024
# Holes whose value always has this many bytes (Litestar's CSRF token: 64 hex digits and their
# 64-digit HMAC). Around them a page's compressed text can refer back across the hole; around
# the others (a count, a name) it starts afresh (see Rendered.from_html).
FIXED_WIDTH = {"csrf": 128}
_ZLIB_HEADER = b"\x78\x9c"
_LAST_BLOCK = b"\x01\x00\x00\xff\xff"  # a final, empty stored block
_ADLER_BASE = 65521


def _adler32_combine(first: int, second: int, second_length: int) -> int:
    """Adler-32 of two pieces of data from theirs (zlib's adler32_combine)."""
    rem = second_length % _ADLER_BASE
    sum1 = first & 0xFFFF
    sum2 = (rem * sum1) % _ADLER_BASE
    sum1 += (second & 0xFFFF) + _ADLER_BASE - 1
    sum2 += ((first >> 16) & 0xFFFF) + ((second >> 16) & 0xFFFF) + _ADLER_BASE - rem
    sum1 %= _ADLER_BASE
    sum2 %= _ADLER_BASE
    return sum1 | (sum2 << 16)


def _stored(data: bytes) -> bytes:
    """Data as deflate stored blocks (the stream is byte-aligned wherever a hole is)."""
    blocks = []
    for start in range(0, len(data), 0xFFFF):
        chunk = data[start : start + 0xFFFF]
        size = len(chunk)
        blocks.append(b"\x00" + size.to_bytes(2, "little") + (size ^ 0xFFFF).to_bytes(2, "little"))
        blocks.append(chunk)
    return b"".join(blocks)


def _shown(holes: tuple[str, ...], banner: bool, hidden: frozenset[int]) -> Iterator[int | str]:
    """What one answer shows of a page cut at its holes, in order: the index of each piece of
    text kept (an int) and the name of each hole to fill (a str); the cookie banner is left out
    unless `banner`, and so are the recommendations of `hidden` products."""
    skipping = False
    for index in range(len(holes) + 1):
        if not skipping:
            yield index
        if index == len(holes):
            return
        name = holes[index]
        if name == "banner-start":
            skipping = not banner
        elif _REGION_END.fullmatch(name):
            skipping = False
        elif match := _RECOMMENDED.fullmatch(name):
            skipping = skipping or int(match[1]) in hidden
        elif not skipping:
            yield name


def _voted_and_recommended(holes: tuple[str, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The reviews whose vote buttons a page leaves open, and the products it recommends."""
    voted = {int(match[1]) for name in holes if (match := _VOTE.fullmatch(name))}
    recommended = {int(match[1]) for name in holes if (match := _RECOMMENDED.fullmatch(name))}
    return tuple(sorted(voted)), tuple(sorted(recommended))


@dataclass(frozen=True)
class Rendered:
    """A rendered page, kept compressed and cut at its holes.

    Each piece of text between holes is compressed as one deflate stream goes on: flushed to a
    byte boundary at every hole, so that a hole's value can go in between as a stored block.
    Where the value's length is fixed (FIXED_WIDTH) the compressor is given that many NUL bytes
    in its place and their output dropped: what follows may refer back across the hole, and
    does so correctly whatever the value, as no page text holds a NUL; elsewhere it starts
    afresh (Z_FULL_FLUSH), so the cookie banner can be left out and values of any length fit.
    A page is kept in about a seventh of its size, and a browser that accepts `deflate` gets
    its own page as these bytes with its values between them: no compression per answer.
    """

    segments: tuple[bytes, ...]  # the compressed text between holes
    checks: tuple[tuple[int, int], ...]  # each piece's Adler-32 and length in bytes
    holes: tuple[str, ...]
    status_code: int = 200
    # Reviews whose vote buttons show the asking shopper's own vote.
    voted_reviews: tuple[int, ...] = ()
    # The products it shows: a change to one of them drops the page (PageCache.follow_catalog).
    products: frozenset[int] = frozenset()
    # False when the page holds a NUL: then no hole has a fixed width.
    fixed: bool = True
    # Products recommended in the page, each card a region a dismissal leaves out.
    recommended: tuple[int, ...] = ()

    @classmethod
    def from_html(
        cls, html: str, status_code: int = 200, products: frozenset[int] = frozenset()
    ) -> Rendered:
        pieces = _HOLE.split(html)
        texts, holes = pieces[0::2], tuple(pieces[1::2])
        fixed = "\x00" not in html
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        segments, checks = [], []
        for index, text in enumerate(texts):
            data = text.encode()
            hole_name = holes[index] if index < len(holes) else ""
            width = FIXED_WIDTH.get(hole_name, 0) if fixed else 0
            flush = zlib.Z_SYNC_FLUSH if width or not hole_name else zlib.Z_FULL_FLUSH
            segments.append(compressor.compress(data) + compressor.flush(flush))
            checks.append((zlib.adler32(data), len(data)))
            if width:
                compressor.compress(b"\x00" * width)
                compressor.flush(zlib.Z_SYNC_FLUSH)  # dropped: it only keeps distances right
        voted, recommended = _voted_and_recommended(holes)
        return cls(
            tuple(segments), tuple(checks), holes, status_code, voted, products, fixed, recommended
        )

    @property
    def size(self) -> int:
        """Bytes it keeps in memory, a little over rather than under: what the page cache's
        budget counts. Beside the compressed text, each hole costs ~300 bytes of Python objects
        (its segment's bytes object, its check's tuple and numbers, its name, their slots) and a
        page ~1 KB (measured with sys.getsizeof over 300 pages: counting 64 bytes a hole, 2,000
        kept product pages counted 11.7 MB and held 18.4 MB, issue 15)."""
        return sum(map(len, self.segments)) + HOLE_BYTES * len(self.holes) + PAGE_BYTES

    def deflate(
        self, values: Mapping[str, str], banner: bool, hidden: frozenset[int] = frozenset()
    ) -> bytes | None:
        """The page for one shopper as a zlib stream (Content-Encoding: deflate): every hole
        filled from `values` (HTML-safe already), the cookie banner left out unless `banner`,
        and the recommendations of `hidden` products (the shopper dismissed them) left out.
        None if a value has not its fixed width (a forged CSRF cookie): use `fill`."""
        out = [_ZLIB_HEADER]
        adler = 1
        segments, checks = self.segments, self.checks
        for part in _shown(self.holes, banner, hidden):
            if isinstance(part, int):
                out.append(segments[part])
                check, length = checks[part]
                adler = _adler32_combine(adler, check, length)
                continue
            value = values.get(part, "").encode()
            if self.fixed and len(value) != FIXED_WIDTH.get(part, len(value)):
                return None
            if value:
                out.append(_stored(value))
                adler = zlib.adler32(value, adler)
        out.append(_LAST_BLOCK)
        out.append(adler.to_bytes(4, "big"))
        return b"".join(out)

    def fill(
        self, values: Mapping[str, str], banner: bool, hidden: frozenset[int] = frozenset()
    ) -> str:
        """The page for one shopper as text (for clients that don't take `deflate`)."""
        body = self.deflate(values, banner, hidden)
        if body is not None:
            return zlib.decompress(body).decode()
        # A value of another width: put NULs of the right width in its place, then the value.
        stand_ins = {name: "\x00" * width for name, width in FIXED_WIDTH.items()}
        text = zlib.decompress(
            self.deflate({**values, **stand_ins}, banner, hidden) or b""
        ).decode()
        for name, stand_in in stand_ins.items():
            text = text.replace(stand_in, values.get(name, ""))
        return text

    @property
    def parts(self) -> tuple[str, ...]:
        """Text, hole name, text, …, text (as rendered; for tests and for looking inside)."""
        stand_ins = {name: "\x00" * width for name, width in FIXED_WIDTH.items()}
        data = zlib.decompress(self.deflate(stand_ins, banner=True) or b"")
        parts: list[str] = []
        position = 0
        for index, (_, length) in enumerate(self.checks):
            parts.append(data[position : position + length].decode())
            position += length
            if index < len(self.holes):
                parts.append(self.holes[index])
                if self.fixed and self.holes[index] in FIXED_WIDTH:
                    position += FIXED_WIDTH[self.holes[index]]
        return tuple(parts)


# A page compressed for one answer alone: zlib's fast level. A 50 KB listing compresses in
# 0.08 ms instead of 0.23 ms at level 6 (a tenth of its whole first render), into 7.4 KB
# instead of 6.6 KB. Kept pages, compressed once and sent many times, keep level 6.
UNKEPT_LEVEL = 3


@dataclass(frozen=True)
class Unkept:
    """A page rendered for one answer alone (the page cache is off): its text cut at its holes,
    filled as a kept page's are, then compressed in one go. (Cutting it into a Rendered page,
    made to be kept and filled many times, costs three times a whole page's compression.)"""

    texts: tuple[str, ...]
    holes: tuple[str, ...]
    status_code: int = 200
    voted_reviews: tuple[int, ...] = ()
    recommended: tuple[int, ...] = ()

    @classmethod
    def from_html(cls, html: str, status_code: int = 200) -> Unkept:
        pieces = _HOLE.split(html)
        holes = tuple(pieces[1::2])
        voted, recommended = _voted_and_recommended(holes)
        return cls(tuple(pieces[0::2]), holes, status_code, voted, recommended)

    def fill(
        self, values: Mapping[str, str], banner: bool, hidden: frozenset[int] = frozenset()
    ) -> str:
        """The page for this shopper as text (what Rendered.fill gives for the same page)."""
        texts = self.texts
        return "".join(
            texts[part] if isinstance(part, int) else values.get(part, "")
            for part in _shown(self.holes, banner, hidden)
        )

    def deflate(
        self, values: Mapping[str, str], banner: bool, hidden: frozenset[int] = frozenset()
    ) -> bytes:
        """The same as a zlib stream (Content-Encoding: deflate), at UNKEPT_LEVEL."""
        return zlib.compress(self.fill(values, banner, hidden).encode(), UNKEPT_LEVEL)


# How often a worker reads the catalog's new changes (catalog_change, written by triggers).
FOLLOW_SECONDS = 1.0
CHANGE_LOOKBACK = 100


# What a worker's kept pages may weigh, compressed (Rendered.size); the least recently used
# expire first when a new one needs room. A listing keeps in ~18 KB, a product page in ~9 KB.
DEFAULT_MAX_BYTES = 16 * 1024 * 1024


class PageCache:
    def __init__(self, ttl_seconds: float, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self._pages: TTLCache[tuple[Any, ...], Rendered] | None = (
            TTLCache(maxsize=max_bytes, ttl=ttl_seconds, getsizeof=_size)
            if ttl_seconds > 0
            else None
        )
        # When a popular page expires, the requests arriving meanwhile wait for one rendering
        # instead of each running the same queries at once.
        self._rendering: dict[tuple[Any, ...], asyncio.Future[Rendered]] = {}
        # The catalog changes seen so far, and when they were last read. On PostgreSQL a change
        # can commit after one with a higher id: the last CHANGE_LOOKBACK ids are read again.
        self._last_change: int | None = None
        self._seen_changes: set[int] = set()
        self._followed_at = 0.0
        self._drops = 0  # pages dropped so far: a rendering begun before a drop isn't kept

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
        drops = self._drops
        pending = asyncio.ensure_future(render())
        self._rendering[key] = pending
        try:
            rendered = await asyncio.shield(pending)
            # (Not kept if pages were dropped meanwhile: it may show what just changed. Nor if
            # it alone is more than the budget.)
            if drops == self._drops and rendered.size <= self._pages.maxsize:
                self._pages[key] = rendered
            return rendered
        finally:
            self._rendering.pop(key, None)

    async def follow_catalog(self) -> None:
        """Drop the pages that show a product changed since the last look (every page, when a
        category or brand changed), at most once a second: staff edits show at once, on every
        worker and instance, however long pages are kept."""
        now = time.monotonic()
        if self._pages is None or now - self._followed_at < FOLLOW_SECONDS:
            return
        self._followed_at = now
        if self._last_change is None:
            rows = await Product.raw("SELECT max(id) AS last FROM catalog_change")
            self._last_change = last = rows[0]["last"] or 0
            self._seen_changes = set(range(last - CHANGE_LOOKBACK + 1, last + 1))
            return
        rows = await Product.raw(
            "SELECT id, product FROM catalog_change WHERE id > {} ORDER BY id LIMIT 1000",
            self._last_change - CHANGE_LOOKBACK,
        )
        new = [row for row in rows if row["id"] not in self._seen_changes]
        if not new:
            return
        self._last_change = max(self._last_change, rows[-1]["id"])
        self._seen_changes = {
            row["id"] for row in rows if row["id"] > self._last_change - CHANGE_LOOKBACK
        }
        changed = {row["product"] for row in new}
        self._drops += 1
        if None in changed or len(rows) == 1000:
            self._pages.clear()
            forget_category_tree()
            return
        for key in [key for key, page in self._pages.items() if page.products & changed]:
            self._pages.pop(key, None)

    def forget(self, path: str) -> None:
        """Drop this worker's renderings of one page (every query, language and fragment), so
        that the shopper who just changed it sees the change at once. Other workers' copies
        expire with their TTL."""
        if self._pages is not None:
            self._drops += 1
            for key in [key for key in self._pages if key[0] == path]:
                self._pages.pop(key, None)

    def clear(self) -> None:
        """Drop every page this worker keeps (the site-wide notice changed)."""
        if self._pages is not None:
            self._drops += 1
            self._pages.clear()

    async def respond(
        self, request: HTMXRequest, build: Callable[[], Awaitable[Page]]
    ) -> Response[str]:
        """The page for this URL and language, from the cache or built, rendered and kept,
        with this shopper's own parts filled in."""
        await self.follow_catalog()
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
        rendered: Rendered | Unkept
        if self._pages is None:
            html, status_code, _ = await _render_html(request, build, signed_in)
            rendered = Unkept.from_html(html, status_code)
        else:
            rendered = await self.rendered(key, lambda: _render(request, build, signed_in))
        values = await personal_values(request, rendered, account)
        banner = cookie_banner_wanted()
        hidden: frozenset[int] = frozenset()
        if rendered.recommended:
            hidden = frozenset(await dismissed(request, account)) & frozenset(rendered.recommended)
        if _accepts_deflate(request.headers.get("accept-encoding", "")):
            body = rendered.deflate(values, banner, hidden)
            if body is not None:
                # Compressed already: Litestar's compression leaves "cached" answers alone.
                ScopeState.from_scope(request.scope).is_cached = True
                return Response(
                    content=body,
                    media_type=MediaType.HTML,
                    status_code=rendered.status_code,
                    headers={"Vary": f"{VARY}, Accept-Encoding", "Content-Encoding": "deflate"},
                )
        return Response(
            content=rendered.fill(values, banner, hidden),
            media_type=MediaType.HTML,
            status_code=rendered.status_code,
            headers={"Vary": VARY},
        )


def _size(rendered: Rendered) -> int:
    return rendered.size


def _accepts_deflate(accept_encoding: str) -> bool:
    """Does the Accept-Encoding header take `deflate` (and not at q=0)?"""
    for item in accept_encoding.lower().split(","):
        coding, _, parameters = item.partition(";")
        if coding.strip() == "deflate":
            quality = parameters.strip().removeprefix("q=").strip()
            return quality not in {"0", "0.0", "0.00", "0.000"}
    return False


async def personal_values(
    request: HTMXRequest, rendered: Rendered | Unkept, account: Account | None
) -> dict[str, str]:
    """What this shopper's holes hold: their token, cart count, name and votes."""
    token = ScopeState.from_scope(request.scope).csrf_token
    values = {
        "csrf": token if isinstance(token, str) else "",
        "cart-count": str(current_cart_count.get()),
        "cart-items": str(escape(cart_items_word(request.app.state.catalogs))),
        "account-name": str(escape(account_name(account))),
        "unread-count": str(current_unread_count.get()),
    }
    if any(name.startswith("follow-") for name in rendered.holes):
        values.update(await follow_buttons(request, rendered, account, values["csrf"]))
    if "for-you" in rendered.holes:
        values["for-you"] = await for_you_block(request, account, values["csrf"])
    for name in rendered.holes:
        if match := _WATCH.fullmatch(name):
            values[name] = await watch_block(request, account, int(match[1]), values["csrf"])
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


def _follow_hole(kind: str, target_id: int) -> Markup:
    """In a shared page: where a signed-in shopper's Follow/Unfollow button goes."""
    if kind not in ("category", "brand"):
        return Markup("")
    return Markup(hole(f"follow-{kind}-{int(target_id)}"))


async def follow_buttons(
    request: HTMXRequest, rendered: Rendered | Unkept, account: Account | None, csrf: str
) -> dict[str, str]:
    """This shopper's Follow/Unfollow buttons for the holes of a shared page (one query)."""
    wanted = [
        (name, follows.Target(match[1], int(match[2])))
        for name in rendered.holes
        if (match := _FOLLOW.fullmatch(name))
    ]
    if not wanted:
        return {}
    mine = set() if account is None else await follows.following(account.id, [t for _, t in wanted])
    template = request.app.template_engine.get_template(FOLLOW_TEMPLATE)
    # Back to this page after a plain POST (a listing's fragment has the page's own URL).
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return {
        name: str(
            template.render(
                button={"kind": target.kind, "id": target.id, "following": target in mine},
                next_page=here,
                notice="",
                request=request,
                csrf_token=lambda: csrf,
            )
        )
        for name, target in wanted
    }


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


async def watch_block(
    request: HTMXRequest, account: Account | None, product_id: int, csrf: str
) -> str:
    """A signed-in shopper's alerts for a product, rendered for them alone ("" for a visitor,
    whose copy of the page holds the form every visitor gets)."""
    if account is None:
        return ""
    context = await watches.block_context(account.id, product_id)
    if context is None:
        return ""
    template = request.app.template_engine.get_template(WATCH_TEMPLATE)
    return str(template.render(**context, request=request, csrf_token=lambda: csrf))


async def _render(
    request: HTMXRequest, build: Callable[[], Awaitable[Page]], signed_in: bool
) -> Rendered:
    """The shared page, to keep."""
    return Rendered.from_html(*await _render_html(request, build, signed_in))


async def _render_html(
    request: HTMXRequest, build: Callable[[], Awaitable[Page]], signed_in: bool
) -> tuple[str, int, frozenset[int]]:
    """The shared page: built and rendered as nobody in particular, with holes for the rest
    (its HTML, status and the products it shows)."""
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
            unread_count=lambda: UNREAD_COUNT,
            cart_items_word=lambda: CART_ITEMS,
            vote_state=lambda review_id, choice, part: hole(f"vote-{review_id}-{choice}-{part}"),
            recommendation_region=lambda product_id, edge: Markup(
                hole(f"rec-{int(product_id)}-{edge}")
            ),
            # Every copy holds the banner: fill() leaves it out for those who chose.
            cookie_banner_wanted=lambda: True,
            cookie_banner_marks=(BANNER_START, BANNER_END),
            for_you_hole=lambda: Markup(FOR_YOU),
            watch_block=lambda product_id: Markup(hole(f"watch-{int(product_id)}")),
            follow_button=_follow_hole,
        )
    finally:
        current_account.reset(token)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    html = html.replace(NEXT_PAGE, str(escape(here)))
    return html, page.status_code, _shown_products(page.context)


def _shown_products(context: Mapping[str, Any]) -> frozenset[int]:
    """The products a page's context holds: the product of its page, its cards, its results."""
    shown: set[int] = set()
    for value in context.values():
        if isinstance(value, ProductDetail):
            shown.add(value.id)
        elif isinstance(value, ProductPage | SearchResults):
            shown.update(card.id for card in value.items)
        elif isinstance(value, list):
            shown.update(item.id for item in value if isinstance(item, ProductCard))
    return frozenset(shown)
