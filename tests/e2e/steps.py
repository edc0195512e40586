"""Steps the browser tests share."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page

from tests.conftest import TestDatabase
from tests.e2e.conftest import execute, query


def mark_page(page: Page, javascript: bool) -> None:
    """Leave a mark in the window: a full page load wipes it, an htmx swap keeps it."""
    if javascript:
        page.evaluate("window.okmartsMark = 'still here'")


def assert_no_page_load(page: Page, javascript: bool) -> None:
    if javascript:
        assert page.evaluate("window.okmartsMark") == "still here", "expected an htmx swap"


def fill_address(page: Page, city: str = "Hamburg", recipient: str = "Mia Wong") -> None:
    """Fill an address form (address book or checkout) with a German address."""
    page.get_by_label("Recipient name").fill(recipient)
    page.get_by_label("Phone").fill("+852 2123 4567")
    page.get_by_label("Country or region").select_option("DE")
    page.get_by_label("City").fill(city)
    page.get_by_label("Street address").fill("Hafenstraße 3")
    page.get_by_label("Zip code").fill("20457")


def deliver_an_order(
    database: TestDatabase, email: str, products: int = 1
) -> list[tuple[int, str, str]]:
    """A delivered order of the newest products in stock, for this account, set up in the
    database as staff would leave it: [(order line id, product slug, product title)]."""
    [(account,)] = query(database, f"SELECT id FROM account WHERE email = '{email}'")
    bought = query(
        database,
        f"SELECT id, slug, title FROM product WHERE stock > 0 ORDER BY id DESC LIMIT {products}",
    )
    number, key = f"OK-E2E-{uuid.uuid4().hex[:6].upper()}", uuid.uuid4().hex
    total = 1000 * products
    execute(
        database,
        "INSERT INTO shop_order (number, account, checkout_key, status, currency, subtotal_minor,"
        " discount_minor, discount_label, coupon_code, points_used, points_value_minor,"
        " shipping_method, shipping_minor, total_minor, points_earned, recipient, phone, email,"
        " country, region, city, line, zip_code, for_company, company, tax_id, billing_address,"
        " carrier, tracking_number, created_at, updated_at) VALUES"
        f" ('{number}', {account}, '{key}', 'delivered', 'USD', {total}, 0, '', '', 0, 0, '', 0,"
        f" {total}, 0, 'R', '+1 555 0100', '{email}', 'US', '', 'X', '1 Y St', '10001', false,"
        " '', '', '', '', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    )
    [(order_id,)] = query(database, f"SELECT id FROM shop_order WHERE number = '{number}'")
    lines = []
    for product_id, slug, title in bought:
        execute(
            database,
            'INSERT INTO order_line ("order", product, sku, title, unit_price_minor, unit_points,'
            f" quantity, line_total_minor, weight_grams) VALUES ({order_id}, {product_id}, 'SKU',"
            f" '{title.replace(chr(39), chr(39) * 2)}', 1000, 0, 1, 1000, 0)",
        )
        [(line_id,)] = query(
            database,
            f'SELECT id FROM order_line WHERE "order" = {order_id} AND product = {product_id}',
        )
        lines.append((int(line_id), slug, title))
    return lines
