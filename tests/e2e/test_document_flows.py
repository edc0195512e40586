"""A shopper finds a product's documents and downloads its datasheet: JavaScript on and off;
staff upload a document in the admin."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import TestDatabase
from tests.e2e.conftest import query
from tests.e2e.test_admin import create_staff, sign_in
from tests.unit.test_documents import pdf_text

MANUAL = b"%PDF-1.4\n% an installation manual\n%%EOF\n"


def test_download_a_products_datasheet(
    page: Page, javascript: bool, seeded_database: TestDatabase
) -> None:
    rows = query(
        seeded_database,
        "SELECT p.slug, c.slug, c.name FROM product p JOIN category c ON c.id = p.category"
        " ORDER BY p.id LIMIT 1",
    )
    slug, family_slug, family_name = rows[0]
    page.goto(f"/products/{slug}")

    section = page.locator("section.documents")
    expect(section.get_by_role("heading", name="Documents")).to_be_visible()
    link = section.get_by_role("link", name=re.compile(rf"^Datasheet: {re.escape(family_name)}"))
    expect(link).to_be_visible()
    expect(section.locator(".document-meta").first).to_have_text(
        re.compile(r"^\(PDF, \d+ kB\) · English$")
    )

    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == f"{family_slug}-datasheet.pdf"
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert family_name in pdf_text(data)
    # The page stays where it was: a download, not a page shown in its place.
    expect(page).to_have_url(re.compile(rf"/products/{slug}$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()


@pytest.fixture
def staff_page(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server, locale="en-US", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_admin_uploads_a_document_shoppers_then_download(
    staff_page: Page, seeded_database: TestDatabase
) -> None:
    """Staff add a product's manual in the admin (a JavaScript app: JavaScript on only); a
    renamed file is refused with the reason; the shopper finds the manual on the product page."""
    email, password = create_staff(seeded_database, "admin")
    sign_in(staff_page, email, password)
    staff_page.goto("/admin/#/product_document/add/")
    upload = staff_page.locator("input[type=file]")
    upload.set_input_files(
        files=[{"name": "evil.pdf", "mimeType": "application/pdf", "buffer": b"<html><script>"}]
    )
    expect(staff_page.get_by_text("This file is not a real .pdf file")).to_be_visible()
    upload.set_input_files(
        files=[{"name": "Manual.pdf", "mimeType": "application/pdf", "buffer": MANUAL}]
    )
    expect(staff_page.locator("input[name=file]")).to_have_value(re.compile(r"^Manual-.+\.pdf$"))
    staff_page.locator(".key_search input[type=text]").first.click()
    # The first product the picker offers (its id; the list follows the products table's order)
    staff_page.locator(".results_list a", has_text=re.compile(r"^\d+$")).first.click()
    staff_page.locator("select[name=kind]").select_option("manual")
    staff_page.locator("input[name=title]").fill("Installation manual")
    staff_page.locator("input[name=language]").fill("de")
    staff_page.get_by_role("button", name="Create").click()
    expect(staff_page.get_by_text("Successfully added row")).to_be_visible()

    rows = query(
        seeded_database,
        "SELECT d.id, d.size_bytes, d.content_type, p.slug FROM product_document d"
        " JOIN product p ON p.id = d.product WHERE d.title = 'Installation manual'",
    )
    assert len(rows) == 1
    document_id, size, content_type, slug = rows[0]
    assert (size, content_type) == (len(MANUAL), "application/pdf")
    try:
        staff_page.goto(f"/products/{slug}")
        link = staff_page.get_by_role("link", name="Manual: Installation manual")
        expect(link).to_be_visible()
        with staff_page.expect_download() as download_info:
            link.click()
        assert download_info.value.suggested_filename == "Manual.pdf"
        assert Path(download_info.value.path()).read_bytes() == MANUAL
    finally:
        query(seeded_database, f"DELETE FROM product_document WHERE id = {int(document_id)}")
