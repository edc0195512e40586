"""Product documents: what an upload may be, how a download is served, the demo datasheets."""

from __future__ import annotations

import io
import re
import uuid
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.demo import datasheets
from okmarts.demo.catalog import BASE_TIME
from okmarts.demo.catalog_data import CATALOG
from okmarts.services import documents
from okmarts.tables.catalog import Category, Product
from okmarts.tables.documents import ProductDocument
from tests.conftest import TestDatabase

Client = AsyncTestClient[Litestar]
PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
STEP_BYTES = b"\xef\xbb\xbf\nISO-10303-21;\nHEADER;\nENDSEC;\nEND-ISO-10303-21;\n"


# --- What an upload may be -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "served"),
    [
        ("sheet.pdf", PDF_BYTES, "application/pdf"),
        ("drawing.PNG", PNG_BYTES, "image/png"),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 16, "image/jpeg"),
        ("part.step", STEP_BYTES, "application/octet-stream"),
        ("part.stp", b"ISO-10303-21;\n", "application/octet-stream"),
        ("assembly.zip", b"PK\x03\x04" + b"\x00" * 26, "application/octet-stream"),
    ],
)
def test_real_files_are_accepted_with_a_safe_type(name: str, content: bytes, served: str) -> None:
    checked = documents.check_file(name, io.BytesIO(content), max_bytes=1_000_000)
    assert checked == documents.CheckedFile(size_bytes=len(content), content_type=served)


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("sheet.pdf", b"<html><script>alert(1)</script></html>", "not a real .pdf"),
        ("drawing.png", PDF_BYTES, "not a real .png"),
        ("part.step", b"PK\x03\x04", "not a real .step"),
        ("assembly.zip", b"MZ\x90\x00", "not a real .zip"),
        ("page.html", b"<html></html>", "not accepted"),
        ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not accepted"),
        ("noextension", PDF_BYTES, "not accepted"),
    ],
)
def test_wrong_content_is_refused_with_a_reason(name: str, content: bytes, says: str) -> None:
    with pytest.raises(documents.DocumentRefused, match=says):
        documents.check_file(name, io.BytesIO(content), max_bytes=1_000_000)


def test_oversized_and_empty_files_are_refused() -> None:
    big = PDF_BYTES + b"0" * 2_000_000
    with pytest.raises(documents.DocumentRefused, match=r"too large \(2\.0 MB\): at most 1\.0 MB"):
        documents.check_file("big.pdf", io.BytesIO(big), max_bytes=1_000_000)
    with pytest.raises(documents.DocumentRefused):
        documents.check_file("empty.pdf", io.BytesIO(b""), max_bytes=1_000_000)


def test_each_kind_takes_only_its_files() -> None:
    documents.check_kind("cad", "part.step")
    documents.check_kind("drawing", "front.png")
    for kind, name in [("datasheet", "part.step"), ("cad", "sheet.pdf"), ("manual", "a.zip")]:
        with pytest.raises(documents.DocumentRefused, match="is one of"):
            documents.check_kind(kind, name)
    with pytest.raises(documents.DocumentRefused, match="kind is one of"):
        documents.check_kind("script", "sheet.pdf")


def test_a_stored_key_never_leaves_the_documents_folder(tmp_path: Path) -> None:
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "sheet.pdf").write_bytes(PDF_BYTES)
    (tmp_path / "secret_key").write_text("secret")
    (folder / "link.pdf").symlink_to(tmp_path / "secret_key")
    assert documents.stored_path(folder, "sheet.pdf") == (folder / "sheet.pdf").resolve()
    for key in [
        "../secret_key",
        "..",
        "/etc/passwd",
        "sub/sheet.pdf",
        "link.pdf",
        ".hidden.pdf",
        "missing.pdf",
        "",
    ]:
        assert documents.stored_path(folder, key) is None, key


def test_download_names_follow_rfc_6266() -> None:
    assert documents.content_disposition("sheet.pdf") == 'attachment; filename="sheet.pdf"'
    header = documents.content_disposition('Maßzeichnung "Schütz".pdf')
    assert header.startswith('attachment; filename="')
    fallback = re.search(r'filename="([^"]*)"', header)
    assert fallback and fallback.group(1).isascii() and fallback.group(1).endswith(".pdf")
    assert "filename*=UTF-8''Ma%C3%9Fzeichnung%20%22Sch%C3%BCtz%22.pdf" in header
    assert "/" not in documents.content_disposition("../../etc/passwd").split("filename=")[1]
    assert documents.original_name_of(f"manual-{uuid.uuid4()}.pdf") == "manual.pdf"


# --- The demo datasheets ---------------------------------------------------------------------


def pdf_objects_are_where_the_xref_says(data: bytes) -> None:
    """A structural parse: the cross-reference table's offsets each open their object."""
    start = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    assert data[start : start + 4] == b"xref"
    header = re.match(rb"xref\s+0 (\d+)\s+", data[start:])
    assert header
    count = int(header.group(1))
    entries = re.findall(rb"(\d{10}) (\d{5}) ([nf])", data[start + header.end() :])[:count]
    assert len(entries) == count
    for number, (offset, _, used) in enumerate(entries):
        if used == b"n":
            assert re.match(rb"%d 0 obj" % number, data[int(offset) :]), number


def pdf_text(data: bytes) -> str:
    """The text the page shows: the strings of its (Flate-compressed) content streams."""
    shown = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            continue
        for text in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", content):
            shown.append(re.sub(rb"\\(.)", rb"\1", text).decode("cp1252"))
    return " ".join(shown)


def test_every_family_gets_a_valid_one_page_datasheet(tmp_path: Path) -> None:
    written = datasheets.write_datasheets(tmp_path, datasheets.dt.date(2026, 12, 3))
    families = datasheets.families()
    assert len(written) == len(families) == sum(len(top.children) for top in CATALOG)
    for family, _top in families:
        key, size = written[family.slug]
        data = (tmp_path / key).read_bytes()
        assert len(data) == size and data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
        pdf_objects_are_where_the_xref_says(data)
        # One page: one page object, and the page tree counts one.
        assert len(re.findall(rb"/Type /Page\b(?!s)", data)) == 1, family.slug
        assert re.search(rb"/Count 1\s*/Kids \[3 0 R\]", data), family.slug
        text = pdf_text(data)
        assert family.name in text and "Okmarts" in text and "2026-12-03" in text
        # Every specification with the values offered; every maker.
        for kind in family.kinds:
            for spec in kind.specs:
                assert datasheets.pdf_text(spec.key) in text
                assert datasheets.pdf_text(spec.values[0]) in text
            for brand in kind.makers:
                assert datasheets.pdf_text(brand) in text
    assert not list(tmp_path.glob(".*.tmp"))


def test_signs_outside_the_core_fonts_are_spelt_out() -> None:
    assert datasheets.pdf_text("≤ 1.3 kV, 10 Ω, ≥ 5 µm², 1–2 …") == (
        "<= 1.3 kV, 10 Ohm, >= 5 µm², 1–2 …"
    )
    assert datasheets.pdf_text("Weidmüller Δ/Y 😀 ő") == "Weidmüller Delta/Y ? o"
    # Everything the demo catalog writes can be shown.
    for family, top in datasheets.families():
        for text in [family.name, top.name, top.description] + [
            value for kind in family.kinds for _, value in datasheets.spec_rows(kind)
        ]:
            datasheets.pdf_text(text).encode(datasheets.PDF_ENCODING)


# --- Listing and serving ---------------------------------------------------------------------


async def product_in(category_slug: str | None = None, other_than: int | None = None) -> dict:
    query = Product.select(Product.id, Product.slug, Product.category).order_by(Product.id)
    if other_than is not None:
        query = query.where(Product.category != other_than)
    row = await query.first()
    assert row
    return row


@pytest.fixture
async def own_document(app: Litestar, seeded_database: TestDatabase) -> AsyncIterator[dict]:
    """A product's own CAD file, uploaded under a non-ASCII name."""
    product = await product_in()
    folder = documents.documents_dir(seeded_database.data_dir)
    key = f"gehaeuse-{uuid.uuid4()}.step"
    (folder / key).write_bytes(STEP_BYTES)
    row = ProductDocument(
        product=product["id"],
        kind="cad",
        title="Gehäuse 3D",
        language="de",
        file=key,
        content_type="application/octet-stream",
        size_bytes=len(STEP_BYTES),
        original_name="Gehäuse.step",
        position=1,
    )
    await row.save()
    yield {"id": row.id, "product": product, "key": key}
    await ProductDocument.delete().where(ProductDocument.id == row.id)
    (folder / key).unlink(missing_ok=True)


async def test_every_seeded_product_has_a_datasheet(app: Litestar) -> None:
    # The seed's products (other tests add products of their own, in categories of their own).
    rows = await Product.raw(
        "SELECT count(*) AS n FROM product p WHERE p.created_at <= {} AND NOT EXISTS"
        " (SELECT 1 FROM product_document d"
        " WHERE d.kind = 'datasheet' AND (d.product = p.id OR d.category = p.category))",
        BASE_TIME,
    )
    assert rows[0]["n"] == 0
    # One row per family, not per product.
    family_sheets = ProductDocument.count().where(
        (ProductDocument.kind == "datasheet") & ProductDocument.category.is_not_null()
    )
    assert await family_sheets == len(datasheets.families())


async def test_product_page_lists_documents_and_datasheet_downloads(
    client: Client, own_document: dict
) -> None:
    product = own_document["product"]
    page = await client.get(f"/products/{product['slug']}")
    assert page.status_code == 200
    html = page.text
    datasheet = (
        await ProductDocument.select(ProductDocument.id, ProductDocument.title)
        .where(ProductDocument.category == product["category"])
        .first()
    )
    assert datasheet
    assert f'href="/products/{product["slug"]}/documents/{datasheet["id"]}" download' in html
    assert f'Datasheet: <span translate="no">{datasheet["title"]}</span>' in html
    assert 'CAD file: <span translate="no">Gehäuse 3D</span>' in html
    assert f'(STEP, {len(STEP_BYTES)} byte) · <span translate="no">German</span>' in html
    assert re.search(r"\(PDF, \d+ kB\) · <span translate=\"no\">English</span>", html)
    # In the shopper's language: the language's name and the size as Spanish writes them.
    spanish = await client.get(f"/products/{product['slug']}", headers={"Accept-Language": "es"})
    if '<html lang="es"' in spanish.text:
        assert '<span translate="no">Alemán</span>' in spanish.text

    response = await client.get(f"/products/{product['slug']}/documents/{datasheet['id']}")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
    assert response.headers["content-type"] == "application/pdf"
    family = await Category.select(Category.slug).where(Category.id == product["category"]).first()
    assert family
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{family["slug"]}-datasheet.pdf"'
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "max-age=3600" in response.headers["cache-control"]

    cad = await client.get(f"/products/{product['slug']}/documents/{own_document['id']}")
    assert cad.status_code == 200 and cad.content == STEP_BYTES
    assert cad.headers["content-type"] == "application/octet-stream"
    assert cad.headers["content-disposition"] == (
        "attachment; filename=\"Gehause.step\"; filename*=UTF-8''Geh%C3%A4use.step"
    )


async def test_another_products_or_a_missing_document_is_a_404_page(
    client: Client, own_document: dict, seeded_database: TestDatabase
) -> None:
    product = own_document["product"]
    other = await product_in(other_than=product["category"])
    # The CAD file is the first product's own; the other product's family has its own sheet.
    for path in [
        f"/products/{other['slug']}/documents/{own_document['id']}",
        f"/products/{product['slug']}/documents/999999",
        f"/products/{product['slug']}/documents/99999999999999999999",
        f"/products/no-such-product/documents/{own_document['id']}",
        f"/products/{product['slug']}/documents/..%2F..%2Fsecret_key",
    ]:
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "text/html" in response.headers["content-type"], path
    # The row is there but its file is gone (deleted by hand): a 404, not a 500.
    (documents.documents_dir(seeded_database.data_dir) / own_document["key"]).unlink()
    gone = await client.get(f"/products/{product['slug']}/documents/{own_document['id']}")
    assert gone.status_code == 404 and "text/html" in gone.headers["content-type"]


def test_a_demo_catalog_seeded_before_documents_gets_its_datasheets(tmp_path: Path) -> None:
    """`okmarts seed --if-empty` (what `make run` calls) adds the families' datasheets, once."""
    import sqlite3

    from tests.conftest import okmarts

    database = TestDatabase("sqlite", f"sqlite:///{tmp_path / 'old.sqlite3'}", tmp_path)
    okmarts("migrate", env=database.env())
    okmarts("seed", "--products", "30", env=database.env())
    with sqlite3.connect(tmp_path / "old.sqlite3") as connection:
        connection.execute("DELETE FROM product_document")  # as seeded before documents
    added = okmarts("seed", "--if-empty", env=database.env())
    families = len(datasheets.families())
    assert f"Added the datasheets of {families} product families." in added.stdout
    again = okmarts("seed", "--if-empty", env=database.env())
    assert "Added" not in again.stdout
    with sqlite3.connect(tmp_path / "old.sqlite3") as connection:
        count = connection.execute("SELECT count(*) FROM product_document").fetchone()[0]
    assert count == families
    assert len(list((tmp_path / "documents").glob("datasheet-*.pdf"))) == families
