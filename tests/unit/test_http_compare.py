"""The comparison page through Litestar's test client, on SQLite and PostgreSQL: what a shopper's
browser receives for /compare?p=…&p=…"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from html import escape
from urllib.parse import urlencode

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.tables.catalog import Brand, Category, Product, ProductImage

Client = AsyncTestClient[Litestar]

# Real spec names of the demo catalog (translated msgids); the values differ as a shopper would
# type them: case, spaces and dashes don't make a difference, "PNP" against "NPN" does.
SPECS = {
    "cmp-sensor-a": [
        ["Supply voltage", "10–30 V DC"],
        ["Protection rating", "IP67"],
        ["Operating temperature", "-25…70 °C"],
    ],
    "cmp-sensor-b": [
        ["Protection rating", "IP65"],
        ["Supply voltage", "10-30 V dc"],
        ["Operating temperature", "-25…70 °C"],
        ["Mounting", "M18 thread"],
    ],
    "cmp-sensor-c": [
        ["Supply voltage", "10 - 30 V DC"],
        ["Protection rating", "ip67"],
        ["Operating temperature", "-25…70 °C"],
    ],
}


@dataclass(frozen=True)
class Part:
    id: int
    slug: str
    sku: str
    title: str


@pytest.fixture
async def parts(client: Client) -> AsyncIterator[list[Part]]:
    """Three products of our own (and gone afterwards), sharing a brand and a category."""
    brand = await Brand.select(Brand.id).first()
    category = await Category.select(Category.id).where(Category.parent.is_not_null()).first()
    assert brand and category
    made = []
    for number, (slug, specs) in enumerate(SPECS.items()):
        product = Product(
            sku=f"CMP-{number}X",
            slug=slug,
            title=f"Compare sensor {'ABC'[number]}",
            brand=brand["id"],
            category=category["id"],
            price_minor=1999 if number < 2 else 2500,
            stock=40,
            specs=specs,
        )
        await product.save()
        made.append(Part(product.id, slug, product.sku, product.title))
    await ProductImage(product=made[0].id, path="img/products/cable.svg", alt="").save()
    yield made
    await Product.delete().where(Product.id.is_in([part.id for part in made]))


def compare_url(*slugs: str, **extra: str) -> str:
    return "/compare?" + urlencode([("p", slug) for slug in slugs] + list(extra.items()))


def row(html: str, label: str) -> str:
    """The table row whose header starts with this label."""
    match = re.search(
        rf'<tr class="([^"]*)">\s*<th scope="row">{re.escape(label)}.*?</tr>', html, re.S
    )
    assert match, f"no row {label!r}"
    return match.group(0)


async def test_specs_are_aligned_by_name_and_differences_marked(
    client: Client, parts: list[Part]
) -> None:
    response = await client.get(compare_url(*(part.slug for part in parts)))
    assert response.status_code == 200
    html = response.text
    for part in parts:
        assert f'href="/products/{part.slug}"' in html and escape(part.title) in html
    # One row per spec name, shared names first (the first product's order), then the rest.
    names = re.findall(r'<tr class="spec[^"]*">\s*<th scope="row">([^<]+)', html)
    assert [name.strip() for name in names] == [
        "Supply voltage",
        "Protection rating",
        "Operating temperature",
        "Mounting",
    ]
    # "10–30 V DC", "10-30 V dc", "10 - 30 V DC" read the same; IP67 against IP65 does not.
    assert 'class="spec"' in row(html, "Supply voltage")
    assert "Differs" not in row(html, "Supply voltage")
    protection = row(html, "Protection rating")
    assert 'class="spec differs"' in protection and "Differs" in protection
    mounting = row(html, "Mounting")
    assert "differs" in mounting and mounting.count("Not listed") == 2
    # The facts: the same brand and category, prices differ, SKUs always.
    assert "Differs" not in row(html, "Brand") and "Differs" not in row(html, "Category")
    assert "Differs" in row(html, "Price") and "$19.99" in row(html, "Price")
    assert "Differs" in row(html, "SKU")
    assert "Comparing 3 parts. 4 rows differ." in html


async def test_only_differences_and_remove_are_plain_links(
    client: Client, parts: list[Part]
) -> None:
    slugs = [part.slug for part in parts]
    full = (await client.get(compare_url(*slugs))).text
    toggle = compare_url(*slugs, diff="1")
    assert f'href="{escape(toggle)}"' in full and "Show only differences" in full
    only = (await client.get(toggle)).text
    assert "Show all rows" in only and f'href="{escape(compare_url(*slugs))}"' in only
    assert "Protection rating" in only and "Mounting" in only
    assert "Supply voltage" not in only and "Operating temperature" not in only
    # Remove: the same URL without that part (the switch's state kept).
    without = compare_url(slugs[0], slugs[2], diff="1")
    assert f'href="{escape(without)}"' in only
    assert 'name="diff" value="1"' in only  # the add form keeps it too
    last = (await client.get(compare_url(slugs[0]))).text
    assert 'href="/compare"' in last and "Show only differences" not in last


async def test_unknown_repeated_and_extra_parts_are_left_out_with_a_notice(
    client: Client, parts: list[Part]
) -> None:
    others = [row["slug"] for row in await Product.select(Product.slug).limit(3)]
    slugs = [parts[0].slug, "no-such-part", parts[0].slug, parts[1].slug, parts[2].slug, *others]
    response = await client.get(compare_url(*slugs))
    assert response.status_code == 200
    html = response.text
    assert "This part was not found and is left out: no-such-part" in html
    assert "A part chosen more than once is shown once." in html
    shown = re.findall(
        r'<th scope="col" class="compare-product">.*?href="/products/([^"]+)"', html, re.S
    )
    assert shown == [parts[0].slug, parts[1].slug, parts[2].slug, others[0]]
    assert "the first 4 are shown, 2 more are left out." in html
    # Full: no add form, a word on why.
    assert 'name="add"' not in html and "Remove one to add another." in html
    # Nothing at all, or nonsense: a page that says what to do, never an error.
    for url in ["/compare", "/compare?p=", "/compare?p=%00%01", "/compare?p=" + "x" * 3000]:
        empty = await client.get(url)
        assert empty.status_code == 200, url
        assert "No parts chosen yet." in empty.text


async def test_add_a_part_by_sku_or_address_keeps_the_selection(
    client: Client, parts: list[Part]
) -> None:
    first, second, third = parts
    added = await client.get(
        compare_url(first.slug, add=second.sku.lower()), follow_redirects=False
    )
    assert added.status_code == 303
    assert added.headers["location"] == compare_url(first.slug, second.slug)
    pasted = await client.get(
        compare_url(
            first.slug, second.slug, diff="1", add=f"https://x.example/products/{third.slug}"
        ),
        follow_redirects=False,
    )
    assert pasted.headers["location"] == compare_url(first.slug, second.slug, third.slug, diff="1")
    # The form on the page carries the selection as hidden fields.
    page = (await client.get(compare_url(first.slug, second.slug))).text
    assert f'<input type="hidden" name="p" value="{first.slug}">' in page
    assert f'<input type="hidden" name="p" value="{second.slug}">' in page
    # Unknown: 400, the message, the field refilled, the comparison still there.
    unknown = await client.get(compare_url(first.slug, add="NOPE-<b>"))
    assert unknown.status_code == 400
    assert "No part has the SKU or address “NOPE-&lt;b&gt;”." in unknown.text
    assert 'value="NOPE-&lt;b&gt;"' in unknown.text and 'aria-invalid="true"' in unknown.text
    assert f'href="/products/{first.slug}"' in unknown.text
    blank = await client.get(compare_url(first.slug, add="  "))
    assert blank.status_code == 400 and "Enter the SKU of the part to add." in blank.text


async def test_htmx_gets_the_comparison_block_alone(client: Client, parts: list[Part]) -> None:
    headers = {"HX-Request": "true", "HX-Target": "compare-results"}
    response = await client.get(compare_url(parts[0].slug, parts[1].slug), headers=headers)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="compare-results"')
    assert "<html" not in response.text
    assert "HX-Request" in response.headers["vary"]  # never shown for the page by Back
    assert 'id="compare-status" class="results-count" tabindex="-1" autofocus' in response.text


async def test_add_to_cart_from_the_table(client: Client, parts: list[Part]) -> None:
    url = compare_url(parts[0].slug, parts[1].slug)
    page = (await client.get(url)).text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert token and f'name="product_id" value="{parts[1].id}"' in page
    added = await client.post(
        "/cart/lines",
        data={"_csrf_token": token.group(1), "product_id": str(parts[1].id), "next": url},
        follow_redirects=False,
    )
    assert added.status_code == 303
    cart = await client.get(added.headers["location"])
    assert parts[1].title in cart.text


async def test_listing_and_product_page_lead_to_the_comparison(client: Client) -> None:
    listing = (await client.get("/products")).text
    assert '<form id="compare-form" class="compare-form" action="/compare" method="get">' in listing
    boxes = re.findall(
        r'<input type="checkbox" name="p" value="([^"]+)" form="compare-form">', listing
    )
    assert len(boxes) == 24 and "Compare selected" in listing
    search = (await client.get("/search?q=sensor")).text
    assert 'form="compare-form"' in search and 'id="compare-form"' in search
    product = await Product.select(Product.slug).first()
    assert product
    page = (await client.get(f"/products/{product['slug']}")).text
    assert f'href="/compare?p={product["slug"]}"' in page
    # Other shelves (the home page's) have no boxes: no form for them to belong to.
    assert 'form="compare-form"' not in (await client.get("/")).text


async def test_spec_names_in_the_shoppers_language(client: Client, parts: list[Part]) -> None:
    headers = {"Accept-Language": "zh-CN,zh;q=0.9"}
    chinese = await client.get(compare_url(parts[0].slug, parts[1].slug), headers=headers)
    assert chinese.status_code == 200
    assert "电源电压" in chinese.text and "防护等级" in chinese.text
    assert escape(parts[0].title) in chinese.text  # titles and values are data, untranslated
