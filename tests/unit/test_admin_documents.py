"""Staff upload product documents in the admin: the shop checks the file and fills its facts."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.admin import save_staff
from okmarts.app import create_app
from okmarts.services import documents
from okmarts.tables.catalog import Product
from okmarts.tables.documents import ProductDocument
from tests.conftest import TestDatabase
from tests.unit.conftest import settings_for
from tests.unit.test_admin import csrf, sign_in

Client = AsyncTestClient[Litestar]
PDF_BYTES = b"%PDF-1.4\n% a small test file\n" + b"0" * 200 + b"\n%%EOF\n"
TABLE = "/admin/api/tables/product_document/"


async def admin(client: Client) -> None:
    email = f"admin-{uuid.uuid4().hex[:10]}@example.com"
    password = f"staff-password-{uuid.uuid4().hex[:8]}"
    await save_staff(email, password, superuser=True)
    await sign_in(client, email, password)


async def upload(client: Client, name: str, content: bytes) -> Any:
    return await client.post(
        "/admin/api/media/",
        data={"table_name": "product_document", "column_name": "file"},
        files={"file": (name, content, "application/octet-stream")},
        headers=csrf(client),
    )


def stored_files(database: TestDatabase) -> set[str]:
    return {path.name for path in documents.documents_dir(database.data_dir).iterdir()}


@pytest.fixture
async def product() -> AsyncIterator[dict[str, Any]]:
    row = (
        await Product.select(Product.id, Product.slug).order_by(Product.id, ascending=False).first()
    )
    assert row
    yield row
    await ProductDocument.delete().where(ProductDocument.product == row["id"])


async def test_admin_uploads_a_document_the_shop_checks_and_describes(
    client: Client, seeded_database: TestDatabase, product: dict[str, Any]
) -> None:
    await admin(client)
    schema = (await client.get(f"{TABLE}schema/")).json()
    # The admin shows an upload for the file, a choice of kinds, and the filled facts read only.
    assert schema["extra"]["media_columns"] == ["file"]
    assert set(schema["properties"]["kind"]["extra"]["choices"]) == {
        "datasheet",
        "drawing",
        "cad",
        "manual",
        "certificate",
    }
    assert schema["properties"]["size_bytes"]["extra"]["read_only"] is True
    uploaded = await upload(client, "Installation manual.pdf", PDF_BYTES)
    assert uploaded.status_code == 200, uploaded.text
    key = uploaded.json()["file_key"]
    assert key.startswith("Installation manual-") and key in stored_files(seeded_database)

    row = {
        "product": product["id"],
        "category": None,
        "kind": "manual",
        "title": "Installation manual",
        "language": "de",
        "file": key,
        # Typed by hand, ignored: the shop fills them from the stored file.
        "content_type": "text/html",
        "size_bytes": 1,
        "original_name": "",
        "position": 2,
    }
    created = await client.post(TABLE, json=row, headers=csrf(client))
    assert created.status_code == 201, created.text
    saved = await ProductDocument.select().where(ProductDocument.file == key).first()
    assert saved
    assert saved["content_type"] == "application/pdf"
    assert saved["size_bytes"] == len(PDF_BYTES)
    assert saved["original_name"] == "Installation manual.pdf"

    # A shopper downloads it from the product page.
    page = await client.get(f"/products/{product['slug']}")
    link = f"/products/{product['slug']}/documents/{saved['id']}"
    assert f'href="{link}"' in page.text and "Installation manual" in page.text
    download = await client.get(link)
    assert download.status_code == 200 and download.content == PDF_BYTES
    assert download.headers["content-disposition"] == (
        'attachment; filename="Installation manual.pdf"'
    )

    # Editing: the title changes; the kind cannot become one the file is not; the size stays.
    patched = await client.patch(
        f"{TABLE}{saved['id']}/", json={"title": "Manual", "size_bytes": 5}, headers=csrf(client)
    )
    assert patched.status_code == 200, patched.text
    refused = await client.patch(
        f"{TABLE}{saved['id']}/", json={"kind": "cad"}, headers=csrf(client)
    )
    assert refused.status_code == 422 and ".step" in refused.text
    after = await ProductDocument.select().where(ProductDocument.id == saved["id"]).first()
    assert after and after["title"] == "Manual" and after["kind"] == "manual"
    assert after["size_bytes"] == len(PDF_BYTES)

    # A download name typed in any script, without its extension: saved as typed, served with
    # the file's extension (an ASCII fallback, and the real name as RFC 6266's filename*).
    renamed = await client.patch(
        f"{TABLE}{saved['id']}/", json={"original_name": "Handbuch Schütz"}, headers=csrf(client)
    )
    assert renamed.status_code == 200, renamed.text
    download = await client.get(link)
    assert download.headers["content-disposition"] == (
        "attachment; filename=\"Handbuch Schutz.pdf\"; filename*=UTF-8''Handbuch%20Sch%C3%BCtz.pdf"
    )


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"kind": "cad"}, "kind", "A cad is one of: .step, .stp, .zip"),
        ({"category": 1}, "product", "not both"),
        ({"product": None}, "product", "Choose a product"),
        ({"file": "../secret_key"}, "file", "Upload the file first"),
        ({"language": "<script>"}, "language", "language code"),
        ({"title": " "}, "title", "needs a title"),
    ],
)
async def test_a_document_row_that_does_not_add_up_is_refused(
    client: Client, product: dict[str, Any], changes: dict[str, Any], field: str, says: str
) -> None:
    await admin(client)
    key = (await upload(client, "sheet.pdf", PDF_BYTES)).json()["file_key"]
    row = {
        "product": product["id"],
        "category": None,
        "kind": "datasheet",
        "title": "Datasheet",
        "language": "en",
        "file": key,
        "position": 0,
        **changes,
    }
    refused = await client.post(TABLE, json=row, headers=csrf(client))
    assert refused.status_code == 422, refused.text
    detail = refused.json()["detail"][0]
    assert detail["loc"] == ["body", field] and says in detail["msg"]
    assert not await ProductDocument.exists().where(ProductDocument.product == product["id"])


async def test_an_upload_named_in_any_script_is_stored_under_a_plain_name(
    client: Client, seeded_database: TestDatabase
) -> None:
    await admin(client)
    uploaded = await upload(client, "Maßbild Schütz ø20.pdf", PDF_BYTES)
    assert uploaded.status_code == 200, uploaded.text
    key = uploaded.json()["file_key"]
    assert key.startswith("Mabild Schutz 20-") and key.endswith(".pdf")
    (documents.documents_dir(seeded_database.data_dir) / key).unlink()


async def test_uploads_with_wrong_content_or_extension_are_refused(
    client: Client, seeded_database: TestDatabase
) -> None:
    await admin(client)
    before = stored_files(seeded_database)
    for name, content, says in [
        ("datasheet.pdf", b"<html><script>alert(1)</script></html>", "not a real .pdf"),
        ("drawing.png", PDF_BYTES, "not a real .png"),
        ("page.html", b"<html></html>", "This file type isn't allowed."),
        ("image.svg", b"<svg/>", "This file type isn't allowed."),
    ]:
        response = await upload(client, name, content)
        assert response.status_code == 422, name
        assert says in response.json()["detail"], response.text
    assert stored_files(seeded_database) == before


async def test_uploads_over_the_size_limit_are_refused(seeded_database: TestDatabase) -> None:
    # OKMARTS_DOCUMENT_MAX_MB=0.001: one kilobyte.
    settings = dataclasses.replace(settings_for(seeded_database), document_max_mb=0.001)
    async with AsyncTestClient(app=create_app(settings)) as client:
        await admin(client)
        before = stored_files(seeded_database)
        too_big = await upload(client, "big.pdf", PDF_BYTES + b"0" * 1000)
        assert too_big.status_code == 422
        assert "too large (1.2 kB): at most 1.0 kB" in too_big.json()["detail"]
        assert stored_files(seeded_database) == before
        # Far over: refused from its announced length, before the body is read.
        huge = await upload(client, "huge.pdf", PDF_BYTES + b"0" * 200_000)
        assert huge.status_code == 413
        assert huge.json() == {"detail": "The file is too large: at most 0.001 MB."}
        assert stored_files(seeded_database) == before
        fits = await upload(client, "small.pdf", PDF_BYTES)
        assert fits.status_code == 200
        (documents.documents_dir(seeded_database.data_dir) / fits.json()["file_key"]).unlink()
