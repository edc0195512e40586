"""Product documents: datasheets, drawings, CAD files, manuals, certificates. No personal data.

A document belongs to one product, or to every product of a category (a product family: the
demo catalog's generated datasheets, a certificate covering a whole series). The product page
lists both kinds in one query (services.documents.for_product).
"""

from __future__ import annotations

from enum import Enum

from piccolo.columns import (
    ForeignKey,
    Integer,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.readable import Readable
from piccolo.table import Table

from okmarts.tables.catalog import Category, Product


class DocumentKind(str, Enum):
    """The admin's choice of kind; services.documents holds what a file of each kind may be."""

    datasheet = "datasheet"
    drawing = "drawing"
    cad = "cad"
    manual = "manual"
    certificate = "certificate"


DOCUMENT_KINDS = tuple(kind.value for kind in DocumentKind)


class ProductDocument(Table, tablename="product_document"):
    # One of the two is set (admin.documents refuses both or neither).
    product = ForeignKey(
        references=Product,
        on_delete=OnDelete.cascade,
        null=True,
        index=True,
        help_text="The product this document is for; or leave empty and choose a category.",
    )
    # Every product of this category: one row for a family, not one per product.
    category = ForeignKey(
        references=Category,
        on_delete=OnDelete.cascade,
        null=True,
        index=True,
        help_text="Every product of this category lists the document (a family's datasheet).",
    )
    kind = Varchar(
        length=20,
        default=DocumentKind.datasheet,
        choices=DocumentKind,
        help_text="Datasheet or manual: PDF. Drawing or certificate: PDF, PNG or JPEG. "
        "CAD: STEP or ZIP.",
    )
    title = Varchar(length=200)
    # A language code ("en", "de", "zh-Hans"), or "" for any language (a drawing).
    language = Varchar(
        length=16, default="", help_text='A language code ("en", "de"), or empty for any.'
    )
    # The stored file's key: a file name in the documents folder under the data dir, written by
    # the admin's upload (admin.documents.DocumentStorage) or the demo seed, never typed.
    file = Varchar(
        length=255,
        help_text="Checked on upload: its size (OKMARTS_DOCUMENT_MAX_MB) and that its content "
        "is what its name says.",
    )
    # Filled by the shop from the stored file (admin.documents), never typed by staff.
    content_type = Varchar(length=100, default="application/octet-stream")
    size_bytes = Integer(default=0)
    original_name = Varchar(
        length=255,
        default="",
        help_text="The name the download is saved under; empty: the uploaded file's name.",
    )
    position = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())

    @classmethod
    def get_readable(cls) -> Readable:
        return Readable(template="%s", columns=[cls.title])
