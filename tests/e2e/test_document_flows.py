"""A shopper finds a product's documents and downloads its datasheet: JavaScript on and off."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.conftest import TestDatabase
from tests.e2e.conftest import query
from tests.unit.test_documents import pdf_text


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
