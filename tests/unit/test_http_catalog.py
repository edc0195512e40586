"""Pages through Litestar's test client: what a shopper's browser would receive."""

from __future__ import annotations

import re
from html import escape

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.services import catalog
from okmarts.tables.catalog import Category, Product

Client = AsyncTestClient[Litestar]


async def csrf_token(client: Client, path: str = "/") -> str:
    page = await client.get(path)
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert match, "every page carries the CSRF token in its forms"
    return match.group(1)


async def test_home_lists_categories_and_featured_products(client: Client) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    featured = await (
        Product.select(Product.title)
        .where(Product.featured == True)
        .order_by(Product.created_at, ascending=False)
        .first()
    )
    root = await Category.select(Category.name).where(Category.parent.is_null()).first()
    assert featured and escape(featured["title"]) in response.text
    assert root and escape(root["name"]) in response.text
    assert 'href="/privacy"' in response.text and 'href="/comment-rules"' in response.text


async def test_product_page_shows_specs_price_and_stock(client: Client) -> None:
    product = await Product.select(
        Product.slug, Product.sku, Product.specs, Product.price_minor
    ).first()
    assert product
    response = await client.get(f"/products/{product['slug']}")
    assert response.status_code == 200
    assert product["sku"] in response.text
    dollars = f"{product['price_minor'] // 100:,}"
    assert f"${dollars}.{product['price_minor'] % 100:02d}" in response.text
    assert "Technical specifications" in response.text
    assert re.search(r"(In stock|Out of stock|left in stock)", response.text)


async def test_unknown_pages_get_a_friendly_404(client: Client) -> None:
    for path in ["/products/nope-123", "/categories/nope", "/no/such/page"]:
        response = await client.get(path)
        assert response.status_code == 404
        assert "We can’t find that page" in response.text
        assert 'action="/search"' in response.text


async def test_listing_filters_keep_their_state_in_the_url(client: Client) -> None:
    response = await client.get("/products?in_stock=1&sort=price_desc&min_price=10&max_price=900")
    assert response.status_code == 200
    assert 'name="min_price" value="10"' in response.text
    assert '<option value="price_desc" selected>' in response.text
    next_link = re.search(r'rel="next" href="([^"]+)"', response.text)
    assert next_link and "page=2" in next_link.group(1) and "sort=price_desc" in next_link.group(1)


async def test_bad_price_filter_says_why_and_keeps_the_form(client: Client) -> None:
    response = await client.get("/products?min_price=cheap&max_price=5")
    assert response.status_code == 400
    assert "Enter a price as a number, like 12.50." in response.text
    assert 'name="min_price" value="cheap"' in response.text
    reversed_range = await client.get("/products?min_price=500&max_price=5")
    assert reversed_range.status_code == 400
    assert "The highest price must not be below the lowest." in reversed_range.text


async def test_htmx_gets_only_the_fragment_that_changed(client: Client) -> None:
    headers = {"HX-Request": "true", "HX-Target": "listing-results"}
    response = await client.get("/products?sort=newest", headers=headers)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="listing-results"')
    assert "<html" not in response.text


async def test_live_search_fragment_and_full_results_page(client: Client) -> None:
    product = await Product.select(Product.sku, Product.title).first()
    assert product
    live = await client.get(
        "/search",
        params={"q": product["sku"]},
        headers={"HX-Request": "true", "HX-Target": "live-search-results"},
    )
    assert live.status_code == 200 and "<html" not in live.text
    assert product["title"] in live.text
    # The count, said through the page's one live region (out of band).
    assert re.search(r'<div id="announcer" hx-swap-oob="innerHTML">\d+ results?</div>', live.text)
    page = await client.get("/search", params={"q": product["sku"]})
    assert "<html" in page.text and product["title"] in page.text
    empty = await client.get("/search", params={"q": "qqqzzzxxw"})
    assert "Nothing matches" in empty.text
    blank = await client.get("/search")
    assert "Search the catalog" in blank.text


async def test_chinese_from_the_browser_and_from_the_chooser(client: Client) -> None:
    chinese = await client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert '<html lang="zh-Hans">' in chinese.text
    assert "搜索" in chinese.text
    token = await csrf_token(client)
    chosen = await client.post(
        "/language",
        data={"lang": "zh_Hans", "next": "/products", "_csrf_token": token},
        follow_redirects=False,
    )
    assert chosen.status_code == 303 and chosen.headers["location"] == "/products"
    assert "okmarts_lang=zh_Hans" in chosen.headers["set-cookie"]
    assert "HttpOnly" in chosen.headers["set-cookie"]
    listing = await client.get("/products", headers={"Accept-Language": "en"})
    assert '<html lang="zh-Hans">' in listing.text
    assert "US$" in listing.text


async def test_language_form_never_redirects_off_site(client: Client) -> None:
    token = await csrf_token(client)
    for target in [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
    ]:
        response = await client.post(
            "/language",
            data={"lang": "en", "next": target, "_csrf_token": token},
            follow_redirects=False,
        )
        assert response.status_code == 303 and response.headers["location"] == "/"


async def test_unsafe_requests_need_the_csrf_token(client: Client) -> None:
    await client.get("/")
    response = await client.post(
        "/language", data={"lang": "zh_Hans", "next": "/"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert "This form has expired" in response.text
    assert (
        "set-cookie" not in response.headers or "okmarts_lang" not in response.headers["set-cookie"]
    )


async def test_security_headers_on_every_page(client: Client) -> None:
    for path in ["/", "/products", "/no-such-page"]:
        response = await client.get(path)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    html = (await client.get("/")).text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "no inline script"


async def test_policy_pages_render(client: Client) -> None:
    privacy = await client.get("/privacy")
    assert "Okmarts Platform Basic Function Privacy Policy" in privacy.text
    assert "<h2>4. Your Rights</h2>" in privacy.text
    contact = await client.get("/contact")
    assert "privacy" + chr(64) + "okmarts.com" in contact.text and "15 days" in contact.text
    for path in ["/cookies", "/comment-rules", "/cart", "/login"]:
        assert (await client.get(path)).status_code == 200


async def test_healthz_is_plain_and_static_files_are_cached(client: Client) -> None:
    health = await client.get("/healthz")
    assert health.text == "ok"
    css = await client.get("/static/css/site.css")
    assert css.status_code == 200 and "max-age" in css.headers["cache-control"]
    htmx = await client.get("/static/vendor/htmx.min.js")
    assert htmx.status_code == 200 and "htmx" in htmx.text


async def test_an_unexpected_error_gets_the_friendly_500_page(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(limit: int = 8) -> list[object]:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(catalog, "featured_products", broken)
    response = await client.get("/", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 500
    assert '<html lang="zh-Hans">' in response.text
    assert "database on fire" not in response.text and "Traceback" not in response.text


async def test_malformed_queries_never_break_a_page(client: Client) -> None:
    category = await Category.select(Category.slug).first()
    assert category
    hostile = [
        "page=-1", "page=abc", "page=99999999999999999999", "page=500", "sort=drop", "sort=",
        "min_price=1e999", "min_price=NaN", "max_price=-5", "min_price=%00", "in_stock=yes",
        "brand=%3Cscript%3E", "brand=" + "x" * 5000, "q=" + "a" * 10000, "q=%00%01", "q=%22%22%22",
        "q=NEAR(a%20b)%20OR%20*", "q=%E4%BA%A7%E5%93%81", "q=ab", "q=%20%20%20",
    ]
    for base in ["/products", f"/categories/{category['slug']}", "/search"]:
        for params in hostile:
            response = await client.get(f"{base}?{params}")
            assert response.status_code < 500, (base, params, response.status_code)
            assert "<html" in response.text
            assert "<script>" not in response.text  # echoed input stays escaped
