"""Product documents in the admin (Catalog, admins only): staff upload the file, the shop checks it.

The upload goes through Piccolo Admin's media endpoint to DocumentStorage, which refuses a file
over OKMARTS_DOCUMENT_MAX_MB, of an extension no kind allows, or whose first bytes are not what
its extension says (a renamed .html is not a PDF). Saving the row (hooks below) checks that its
kind allows the file, and fills the size, the content type and the download name from the stored
file: staff never type them.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import IO, Any

import anyio
from piccolo.apps.user.tables import BaseUser
from piccolo.columns import Column
from piccolo_admin.endpoints import TableConfig
from piccolo_api.crud.endpoints import OrderBy
from piccolo_api.crud.hooks import Hook, HookType
from piccolo_api.media.local import LocalMediaStorage
from starlette.exceptions import HTTPException

from okmarts.admin.tables import CATALOG_MENU_GROUP, _refuse
from okmarts.services import documents
from okmarts.settings import Settings
from okmarts.tables.documents import DOCUMENT_KINDS, ProductDocument

LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")
# Filled from the stored file by the hooks: shown, never edited.
FILLED_COLUMNS = frozenset({"size_bytes", "content_type", "created_at"})


class DocumentStorage(LocalMediaStorage):
    """LocalMediaStorage that also checks the size and the content of what it stores."""

    def __init__(self, folder: Path, max_bytes: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        super().__init__(
            column=ProductDocument.file,
            media_path=str(folder),
            allowed_extensions=documents.ALLOWED_EXTENSIONS,
            file_permissions=0o640,
        )
        self.max_bytes = max_bytes

    async def store_file(
        self, file_name: str, file: IO[bytes], user: BaseUser | None = None
    ) -> str:
        # A ValueError becomes the admin's 422 with this text beside the upload. A name with
        # letters Piccolo refuses ("Maßbild.pdf") is stored spelt in ASCII: staff may type the
        # download's real name in "Original name".
        name = documents.ascii_name(Path(file_name).name)
        self.validate_file_name(name)
        await anyio.to_thread.run_sync(documents.check_file, name, file, self.max_bytes)
        return await super().store_file(file_name=name, file=file, user=user)


def _field_error(field: str, text: str) -> HTTPException:
    """A 422 in pydantic's error shape: the admin's edit form shows it beside the field."""
    return HTTPException(
        status_code=422, detail=[{"loc": ["body", field], "msg": text, "type": "value_error"}]
    )


def _key(value: Any) -> Any:
    return value.id if hasattr(value, "id") else value


async def _checked(folder: Path, row: dict[str, Any]) -> dict[str, Any]:
    """The filled columns for a document as it will be saved; 422 for a bad one."""
    product, category = _key(row.get("product")), _key(row.get("category"))
    if (product is None) == (category is None):
        raise _field_error(
            "product",
            "Choose a product, or a category for a document every product of it shares (not both).",
        )
    if not (row.get("title") or "").strip():
        raise _field_error("title", "A document needs a title: shoppers see it in the list.")
    language = (row.get("language") or "").strip()
    if language and not LANGUAGE_CODE.match(language):
        raise _field_error("language", 'A language code like "en", "de" or "zh-Hans", or empty.')
    key = row.get("file") or ""
    path = documents.stored_path(folder, key)
    if path is None:
        raise _field_error("file", "Upload the file first (it is not in the documents folder).")
    try:
        documents.check_kind(row.get("kind") or "", key)
    except documents.DocumentRefused as refused:
        raise _field_error("kind", str(refused)) from None

    def inspect() -> tuple[int, str]:
        with path.open("rb") as handle:
            content_type = documents.check_content(
                handle.read(documents.SIGNATURE_BYTES), documents.extension_of(key)
            )
        return path.stat().st_size, content_type

    try:
        size, content_type = await anyio.to_thread.run_sync(inspect)
    except documents.DocumentRefused as refused:
        raise _field_error("file", str(refused)) from None
    return {
        "language": language,
        "size_bytes": size,
        "content_type": content_type,
        "original_name": (row.get("original_name") or "").strip()
        or documents.original_name_of(key),
    }


def document_hooks(folder: Path) -> list[Hook]:
    async def before_save(row: ProductDocument) -> ProductDocument:
        values = {
            column._meta.name: getattr(row, column._meta.name) for column in row._meta.columns
        }
        for name, value in (await _checked(folder, values)).items():
            setattr(row, name, value)
        row.created_at = dt.datetime.now(dt.UTC)
        return row

    async def before_patch(row_id: int, values: dict[Any, Any]) -> dict[Any, Any]:
        asked = {
            key._meta.name if isinstance(key, Column) else str(key): value
            for key, value in values.items()
        }
        asked = {name: value for name, value in asked.items() if name not in FILLED_COLUMNS}
        stored = await ProductDocument.select().where(ProductDocument.id == row_id).first() or {}
        if "file" in asked and asked["file"] != stored.get("file") and "original_name" not in asked:
            asked["original_name"] = ""  # a new file: its own name, unless staff typed one
        filled = await _checked(folder, {**stored, **asked})
        return {
            ProductDocument._meta.get_column_by_name(name): value
            for name, value in {**asked, **filled}.items()
        }

    return [Hook(HookType.pre_save, before_save), Hook(HookType.pre_patch, before_patch)]


def document_read_only_columns() -> dict[str, frozenset[str]]:
    return {ProductDocument._meta.tablename: FILLED_COLUMNS}


def document_tables(settings: Settings) -> list[TableConfig]:
    """Product documents, in the catalog's menu group (admins only)."""
    folder = documents.documents_dir(settings.data_dir)
    return [
        TableConfig(
            ProductDocument,
            menu_group=CATALOG_MENU_GROUP,
            visible_columns=[
                ProductDocument.title,
                ProductDocument.product,
                ProductDocument.category,
                ProductDocument.kind,
                ProductDocument.language,
                ProductDocument.original_name,
                ProductDocument.size_bytes,
                ProductDocument.position,
            ],
            visible_filters=[
                ProductDocument.product,
                ProductDocument.category,
                ProductDocument.kind,
                ProductDocument.title,
            ],
            link_column=ProductDocument.title,
            order_by=[OrderBy(ProductDocument.id, ascending=False)],
            media_storage=[DocumentStorage(folder, settings.document_max_bytes)],
            # PUT would replace the whole row: the edit form patches, the new-row form posts.
            validators=_refuse("put_single"),
            hooks=document_hooks(folder),
        )
    ]


__all__ = ["DOCUMENT_KINDS", "DocumentStorage", "document_read_only_columns", "document_tables"]
