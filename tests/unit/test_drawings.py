"""The demo catalog's product drawings: varied by family and variant like a real catalog's,
the same for the same seed, valid SVG served as cacheable static files, shown with alt text."""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from html.parser import HTMLParser

from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.demo import drawings
from okmarts.demo.catalog import _plan_products
from okmarts.tables.catalog import Category, Product, ProductImage

Client = AsyncTestClient[Litestar]
SVG = "{http://www.w3.org/2000/svg}svg"
LABEL = re.compile(r"<text[^>]*>[^<]*</text>")


def planned(count: int = 3000, seed: int = 1) -> list[tuple[str, str, tuple[str, ...]]]:
    """(subcategory slug, title, picture names) of a planned catalog."""
    return [
        (item.row[5], item.row[2], item.image_paths)
        for item in _plan_products(random.Random(seed), count)
    ]


def test_each_family_has_varied_drawings_not_one_placeholder() -> None:
    by_family: dict[str, set[str]] = defaultdict(set)
    lead_bytes: dict[str, set[str]] = defaultdict(set)
    for family, _, names in planned():
        svg = drawings.render(names[0])
        assert svg is not None, names[0]
        lead_bytes[family].add(svg)
        # The drawing itself, without its printed part number and rating.
        by_family[family].add(LABEL.sub("", svg))
    assert len(by_family) >= 40
    for family, shapes in by_family.items():
        # Within a family (relays, cables, sensors…) the variants are drawn differently.
        assert len(shapes) >= 2, f"every {family} drawing looks the same"
        assert len(lead_bytes[family]) >= 10, family
    # Families look different from each other, too.
    assert len({drawings.parse(names[0]).shape for _, _, names in planned(600)}) >= 15


def test_variants_show_what_differs() -> None:
    """More I/O points, poles or cores: more terminals drawn; a cable's colour is its sheath's."""
    shown: dict[tuple[str, int], set[str]] = defaultdict(set)
    for family, _, names in planned(4000):
        drawing = drawings.parse(names[0])
        assert drawing is not None
        shown[(family, drawing.count)].add(drawing.shape)
    counts = defaultdict(set)
    for family, count in shown:
        counts[family].add(count)
    for family in (
        "compact-plcs",
        "miniature-circuit-breakers",
        "interface-relays",
        "control-cables",
    ):
        assert len(counts[family]) >= 3, (family, counts[family])
    ethernet = [
        drawings.parse(names[0])
        for family, _, names in planned(4000)
        if family == "industrial-ethernet-cables"
    ]
    assert len({drawing.colour for drawing in ethernet}) == 3  # green, teal, black


def test_drawings_are_the_same_for_a_seed_and_name_the_part() -> None:
    first, again, other = planned(300, 5), planned(300, 5), planned(300, 6)
    assert first == again and first != other
    for _, title, names in first[:50]:
        assert len(set(names)) == len(names), "front, side and rating plate differ"
        drawing = drawings.parse(names[0])
        assert drawing is not None and drawing.part
        # The printed rating is part of the title (after the kind's words).
        assert drawing.rating and drawing.rating.split(",")[0] in title


def test_every_drawing_is_valid_svg() -> None:
    for _, _, names in planned(2000):
        for name in names:
            svg = drawings.render(name)
            assert svg is not None
            root = ET.fromstring(svg)
            assert root.tag == SVG and root.get("viewBox") == "0 0 640 480", name
            assert len(svg) < 12_000, (name, len(svg))


def test_bad_drawing_names_are_refused() -> None:
    for name in [
        "drawings/nothing.1.1.1.1.0.QUJD.svg",
        "drawings/module.99.1.1.1.0.QUJD.svg",
        "drawings/module.1.1.1.1.3.QUJD.svg",
        "drawings/module.1.1.1.1.0.!!.svg",
        "drawings/module.1.1.1.1.0." + "QUJD" * 40 + ".svg",
        "drawings/module.1.1.1.1.0.AA.svg",  # not text
    ]:
        assert drawings.render(name) is None, name
    # Markup in a label is text in the drawing, never markup.
    name = drawings.drawing_name("module", 4, 2, 1, 0, 0, drawings.encode_label("<b>&", "x"))
    assert "&lt;b&gt;&amp;" in (drawings.render(name) or "")


class Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs))


def images_of(html: str) -> list[dict[str, str | None]]:
    parser = Images()
    parser.feed(html)
    return parser.images


async def test_a_category_page_shows_different_drawings_served_as_static_svg(
    client: Client,
) -> None:
    category = await (
        Category.select(Category.id, Category.slug)
        .where(Category.parent.is_not_null())
        .order_by(Category.id)
        .first()
    )
    assert category
    page = await client.get(f"/categories/{category['slug']}")
    sources = [image["src"] or "" for image in images_of(page.text) if image.get("src")]
    drawn = [src for src in sources if src.startswith("/static/drawings/")]
    assert len(drawn) >= 3, sources
    bodies = set()
    for src in drawn:
        assert src.endswith(f".{drawings.VERSION_HASH}.svg"), src
        response = await client.get(src, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("image/svg+xml")
        assert "immutable" in response.headers["cache-control"]
        ET.fromstring(response.text)
        bodies.add(response.content)
        head = await client.head(src)
        assert (
            head.status_code == 200
            and head.headers["cache-control"] == (response.headers["cache-control"])
        )
    assert len(bodies) == len(drawn), "each product of the category has its own drawing"
    # An old version's hash still answers, briefly cached; a name that is no drawing is a 404.
    old = drawn[0].replace(drawings.VERSION_HASH, "0" * 12)
    stale = await client.get(old)
    assert stale.status_code == 200 and "immutable" not in stale.headers["cache-control"]
    for bad in ["/static/drawings/module.1.1.1.1.9.QUJD.svg", "/static/drawings/../x.svg"]:
        assert (await client.get(bad)).status_code == 404, bad


async def test_the_product_page_gallery_has_alt_text_and_distinct_views(client: Client) -> None:
    product = await (
        Product.select(Product.id, Product.slug, Product.title)
        .where(
            Product.id.is_in(
                ProductImage.select(ProductImage.product).where(ProductImage.position == 2)
            )
        )
        .first()
    )
    assert product
    page = await client.get(f"/products/{product['slug']}")
    gallery = [image for image in images_of(page.text) if "/drawings/" in (image["src"] or "")]
    assert len(gallery) >= 3
    assert gallery[0]["alt"] == f"Picture of {product['title']}"
    assert len({image["src"] for image in gallery[:3]}) == 3
