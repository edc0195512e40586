"""Slow links: the product page stays small, compressed, cacheable, with htmx its only script."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from litestar import Litestar
from litestar.testing import AsyncTestClient
from piccolo.query.functions.aggregate import Count

from okmarts.settings import PROJECT_DIR
from okmarts.static_files import StaticFiles
from okmarts.tables.catalog import Product, ProductImage
from okmarts.tables.reviews import Review

Client = AsyncTestClient[Litestar]

# The budget the issue set: HTML + CSS + JS of a product page, as sent over the wire.
PRODUCT_PAGE_BUDGET = 60 * 1024
YEAR = 31_536_000


class Assets(HTMLParser):
    """The stylesheets, scripts and images a page makes the browser fetch."""

    def __init__(self) -> None:
        super().__init__()
        self.stylesheets: list[str] = []
        self.scripts: list[str] = []
        self.inline_scripts = 0
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "link" and attributes.get("rel") == "stylesheet":
            self.stylesheets.append(attributes["href"] or "")
        elif tag == "script":
            if attributes.get("src"):
                self.scripts.append(attributes["src"] or "")
            else:
                self.inline_scripts += 1
        elif tag == "img":
            self.images.append(attributes)


async def busiest_product_slug() -> str:
    """The product whose page is heaviest: the most reviews, then the most specs. One with
    pictures: other tests make products of their own, some without."""
    pictured = ProductImage.select(ProductImage.product)
    reviewed = await (
        Review.select(Review.product.slug, Count(Review.id, alias="reviews"))
        .where(Review.status == "approved", Review.product.is_in(pictured))
        .group_by(Review.product.slug)
        .order_by(Count(Review.id), ascending=False)
        .first()
    )
    if reviewed:
        return reviewed["product.slug"]
    product = await Product.select(Product.slug).where(Product.id.is_in(pictured)).first()
    assert product
    return product["slug"]


async def fetch(client: Client, url: str) -> tuple[int, dict[str, str], bytes]:
    response = await client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200, url
    # Bytes as sent (compressed), not as decoded for the test.
    return response.num_bytes_downloaded, dict(response.headers), response.content


async def test_product_page_fits_the_budget_compressed(client: Client) -> None:
    slug = await busiest_product_slug()
    sent, headers, body = await fetch(client, f"/products/{slug}")
    assert headers.get("content-encoding") == "gzip", "HTML is compressed"
    assets = Assets()
    assets.feed(body.decode())
    total = sent
    weights = {"html": sent}
    for url in [*assets.stylesheets, *assets.scripts]:
        size, asset_headers, _ = await fetch(client, url)
        assert asset_headers.get("content-encoding") == "gzip", f"{url} is compressed"
        weights[url] = size
        total += size
    assert total < PRODUCT_PAGE_BUDGET, f"{total} bytes compressed: {weights}"


async def test_the_only_javascript_is_htmx(client: Client) -> None:
    for path in ["/", f"/products/{await busiest_product_slug()}", "/cart", "/search?q=relay"]:
        _, _, body = await fetch(client, path)
        assets = Assets()
        assets.feed(body.decode())
        assert assets.inline_scripts == 0, path
        assert len(assets.scripts) == 1, (path, assets.scripts)
        assert assets.scripts[0].startswith("/static/vendor/htmx.min."), assets.scripts


async def test_images_are_sized_and_lazy_below_the_fold(client: Client) -> None:
    slug = await busiest_product_slug()
    for path in ["/", f"/products/{slug}", "/search?q=sensor"]:
        _, _, body = await fetch(client, path)
        assets = Assets()
        assets.feed(body.decode())
        assert assets.images, path
        for image in assets.images:
            assert image.get("width") and image.get("height"), (path, image)
        eager = [image for image in assets.images if image.get("loading") != "lazy"]
        if path.startswith("/products/"):
            # The product's lead photo is what the shopper came to see (the largest paint):
            # it loads at once; every other image waits until it scrolls near.
            assert len(eager) == 1 and eager[0] is assets.images[0], eager
        else:
            assert not eager, (path, eager)


async def test_static_files_have_content_hashed_urls_cached_for_a_year(client: Client) -> None:
    _, _, body = await fetch(client, "/")
    assets = Assets()
    assets.feed(body.decode())
    static = StaticFiles(PROJECT_DIR / "static")
    for url in [*assets.stylesheets, *assets.scripts, *(i["src"] or "" for i in assets.images)]:
        plain = url.removeprefix("/static/")
        stem, _, suffix = plain.rpartition(".")
        digest = stem.rpartition(".")[2]
        assert digest == static.content_hash(stem.rpartition(".")[0] + "." + suffix), url
        _, headers, _ = await fetch(client, url)
        cache = headers["cache-control"]
        assert "immutable" in cache and f"max-age={YEAR}" in cache, (url, cache)
        # With nosniff, a browser applies or runs a file only under its own media type.
        expected = {"css": "text/css", "js": "javascript", "svg": "image/svg+xml"}[suffix]
        assert expected in headers["content-type"], (url, headers["content-type"])
        head = await client.head(url)
        assert head.status_code == 200 and head.headers["cache-control"] == cache, url


async def test_outdated_and_plain_static_urls_are_cached_briefly(client: Client) -> None:
    for url in ["/static/css/site.css", "/static/css/site.000000000000.css"]:
        response = await client.get(url)
        assert response.status_code == 200 and "--" in response.text, url
        assert "immutable" not in response.headers["cache-control"], url
        assert "max-age=3600" in response.headers["cache-control"], url


async def test_static_urls_never_leave_the_static_folder(client: Client) -> None:
    for url in [
        "/static/../pyproject.toml",
        "/static/%2e%2e/pyproject.toml",
        "/static/css/nothing.css",
        "/static/css/nothing.0123456789ab.css",
    ]:
        response = await client.get(url)
        assert response.status_code == 404, url
        assert "[project]" not in response.text


def test_a_changed_file_gets_a_new_url(tmp_path: Path) -> None:
    (tmp_path / "css").mkdir()
    sheet = tmp_path / "css" / "site.css"
    sheet.write_text("body { color: black }")
    static = StaticFiles(tmp_path)
    first = static.url("css/site.css")
    assert first.startswith("/static/css/site.") and first.endswith(".css")
    assert static.url("css/site.css") == first
    sheet.write_text("body { color: navy }")
    second = static.url("css/site.css")
    assert second != first
    found = static.resolve(second.removeprefix("/static/"))
    assert found and found[0] == sheet.resolve() and found[1].immutable
    stale = static.resolve(first.removeprefix("/static/"))
    assert stale and not stale[1].immutable
    assert static.url("css/missing.css") == "/static/css/missing.css"
