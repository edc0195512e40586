"""Rendered catalog pages, kept for a few seconds per worker.

Catalog pages are the same for every anonymous shopper who asks for the same URL in the same
language, and rendering them (queries + templates) costs far more than serving them. Each
worker keeps the rendered HTML for `ttl` seconds, so a staff edit shows within that time; the
per-visitor CSRF token and cart count (with its "item"/"items") are put into the cached HTML on
the way out, and the cookie banner (always rendered, between markers) is cut out for visitors
who have chosen. Signed-in shoppers get pages rendered for them (the header shows their
account); other pages that depend on who is asking must not use this.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from cachetools import TTLCache
from litestar import MediaType, Response
from litestar.plugins.htmx import HTMXRequest
from litestar.utils.scope.state import ScopeState

from okmarts.controllers.consent import cookie_banner_wanted, strip_cookie_banner
from okmarts.i18n import current_locale
from okmarts.web import cart_items_word, current_account, current_cart_count

CSRF_PLACEHOLDER = "okmarts-csrf-placeholder-7f3a"
CART_COUNT_PLACEHOLDER = "okmarts-cart-count-placeholder-7f3a"
CART_ITEMS_PLACEHOLDER = "okmarts-cart-items-placeholder-7f3a"
VARY = "Accept-Language, Cookie, HX-Request, HX-Target"


@dataclass
class Page:
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    status_code: int = 200


@dataclass
class Rendered:
    html: str
    status_code: int


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

    async def respond(
        self, request: HTMXRequest, build: Callable[[], Awaitable[Page]]
    ) -> Response[str]:
        """The page for this URL and language: from the cache, or built, rendered and kept."""
        key = (
            request.url.path,
            tuple(sorted(request.query_params.multi_items())),
            current_locale.get(),
            request.htmx.target if request.htmx else None,
        )
        if current_account.get() is not None:
            # The header names the signed-in shopper: their pages are rendered for them alone.
            rendered = await _render(request, build)
        else:
            rendered = await self.rendered(key, lambda: _render(request, build))
        token = ScopeState.from_scope(request.scope).csrf_token
        html = (
            rendered.html.replace(CSRF_PLACEHOLDER, token if isinstance(token, str) else "")
            .replace(CART_COUNT_PLACEHOLDER, str(current_cart_count.get()))
            .replace(CART_ITEMS_PLACEHOLDER, cart_items_word(request.app.state.catalogs))
        )
        if not cookie_banner_wanted():
            html = strip_cookie_banner(html)
        return Response(
            content=html,
            media_type=MediaType.HTML,
            status_code=rendered.status_code,
            headers={"Vary": VARY, "Cache-Control": "private, max-age=0"},
        )


async def _render(request: HTMXRequest, build: Callable[[], Awaitable[Page]]) -> Rendered:
    page = await build()
    template = request.app.template_engine.get_template(page.template)
    html = template.render(
        **page.context,
        request=request,
        csrf_token=lambda: CSRF_PLACEHOLDER,
        cart_count=lambda: CART_COUNT_PLACEHOLDER,
        cart_items_word=lambda: CART_ITEMS_PLACEHOLDER,
        # Every cached copy holds the banner: respond() removes it for those who chose.
        cookie_banner_wanted=lambda: True,
    )
    return Rendered(html=html, status_code=page.status_code)
