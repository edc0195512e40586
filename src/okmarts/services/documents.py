"""Product documents: what a file of each kind may be, checking an upload, listing and serving.

Files live in `<data dir>/documents/` (never under static/), named by a key the shop chose: the
admin's upload (admin.documents) or the demo seed. A download finds its file from the row's key,
checked again here, never from anything in the request.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import quote

from okmarts.i18n import N_
from okmarts.tables.documents import ProductDocument

DOCUMENTS_FOLDER = "documents"
KIND_LABELS = {
    "datasheet": N_("Datasheet"),
    "drawing": N_("Dimension drawing"),
    "cad": N_("CAD file"),
    "manual": N_("Manual"),
    "certificate": N_("Certificate"),
}
# What each kind of document may be, by extension.
KIND_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "datasheet": ("pdf",),
    "drawing": ("pdf", "png", "jpg", "jpeg"),
    "cad": ("step", "stp", "zip"),
    "manual": ("pdf",),
    "certificate": ("pdf", "png", "jpg", "jpeg"),
}
ALLOWED_EXTENSIONS = tuple(sorted({ext for exts in KIND_EXTENSIONS.values() for ext in exts}))
PDF = "application/pdf"
OCTET_STREAM = "application/octet-stream"
# extension -> (what its first bytes must be, what the shop serves it as). Served types are
# safe: a PDF, a picture, or a download (never HTML, SVG or anything a browser would run).
SIGNATURES: dict[str, tuple[bytes, str]] = {
    "pdf": (b"%PDF-", PDF),
    "png": (b"\x89PNG\r\n\x1a\n", "image/png"),
    "jpg": (b"\xff\xd8\xff", "image/jpeg"),
    "jpeg": (b"\xff\xd8\xff", "image/jpeg"),
    # STEP (ISO 10303-21): a text file opening with its standard's name.
    "step": (b"ISO-10303-21", OCTET_STREAM),
    "stp": (b"ISO-10303-21", OCTET_STREAM),
    # Zipped CAD (a STEP assembly, native files): served as a plain download.
    "zip": (b"PK\x03\x04", OCTET_STREAM),
}
SAFE_TYPES = {PDF, "image/png", "image/jpeg"}
SIGNATURE_BYTES = 64
# A stored file's key: what LocalMediaStorage and the seed write (a name, a dot, an extension).
KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._()-]{0,250}\.[A-Za-z0-9]{1,8}$")


class DocumentRefused(ValueError):
    """An upload the shop will not keep; the text says why (shown to staff in the admin)."""


@dataclass(frozen=True)
class CheckedFile:
    size_bytes: int
    content_type: str


@dataclass(frozen=True)
class DocumentView:
    """A document as the product page lists it."""

    id: int
    kind: str
    title: str
    language: str
    size_bytes: int
    extension: str  # of the stored file, upper case: "PDF", "STEP"

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, KIND_LABELS["datasheet"])


@dataclass(frozen=True)
class DocumentFile:
    """What a download needs: where the file is, its served type and name."""

    path: Path
    content_type: str
    download_name: str
    created_at: dt.datetime


def documents_dir(data_dir: Path) -> Path:
    return data_dir / DOCUMENTS_FOLDER


def extension_of(file_name: str) -> str:
    return file_name.rpartition(".")[2].lower() if "." in file_name else ""


def served_type(extension: str) -> str:
    """The Content-Type a stored file of this extension is served with."""
    content_type = SIGNATURES.get(extension, (b"", OCTET_STREAM))[1]
    return content_type if content_type in SAFE_TYPES else OCTET_STREAM


def check_content(head: bytes, extension: str) -> str:
    """The served type of a file whose first bytes are `head`, or DocumentRefused when they
    are not what its extension says."""
    signature = SIGNATURES.get(extension)
    if signature is None:
        raise DocumentRefused(
            f"Files ending .{extension} are not accepted. Allowed: "
            f"{', '.join('.' + ext for ext in ALLOWED_EXTENSIONS)}."
        )
    if extension in {"step", "stp"}:
        # STEP files may open with a byte-order mark or blank lines.
        head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not head.startswith(signature[0]):
        raise DocumentRefused(
            f"This file is not a real .{extension} file (its content does not match its name). "
            "Upload the original file, not a renamed one."
        )
    return served_type(extension)


def check_file(file_name: str, stream: IO[bytes], max_bytes: int) -> CheckedFile:
    """Check an upload's content and size (blocking: run it in a thread). The stream is left
    at its start."""
    extension = extension_of(file_name)
    stream.seek(0)
    head = stream.read(SIGNATURE_BYTES)
    content_type = check_content(head, extension)
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    if size == 0:
        raise DocumentRefused("The file is empty.")
    if size > max_bytes:
        raise DocumentRefused(
            f"The file is too large ({_size(size)}): at most {_size(max_bytes)} "
            "(OKMARTS_DOCUMENT_MAX_MB)."
        )
    return CheckedFile(size_bytes=size, content_type=content_type)


def _size(size_bytes: int) -> str:
    """A size for staff's messages (English, like the rest of the admin)."""
    if size_bytes >= 1_000_000:
        return f"{size_bytes / 1_000_000:.1f} MB"
    return f"{size_bytes / 1000:.1f} kB"


def check_kind(kind: str, file_name: str) -> None:
    """A document's kind must allow its file's extension (a CAD file is not a datasheet)."""
    if kind not in KIND_EXTENSIONS:
        raise DocumentRefused(f"The kind is one of: {', '.join(KIND_EXTENSIONS)}.")
    extension = extension_of(file_name)
    if extension not in KIND_EXTENSIONS[kind]:
        allowed = ", ".join("." + ext for ext in KIND_EXTENSIONS[kind])
        raise DocumentRefused(f"A {kind} is one of: {allowed} (this file is .{extension}).")


def stored_path(folder: Path, key: str) -> Path | None:
    """The file a stored key names, inside `folder`, if it is there; None for a key that is not
    a plain file name (whatever wrote it) or a file that is missing."""
    if not key or not KEY_PATTERN.match(key) or ".." in key:
        return None
    path = folder / key
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if resolved.parent != folder.resolve() or not resolved.is_file():
        return None
    return resolved


def original_name_of(key: str) -> str:
    """The name staff uploaded, from LocalMediaStorage's key (`name-<uuid4>.ext`)."""
    return re.sub(
        r"-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(\.[^.]+)$", r"\1", key
    )


def ascii_name(name: str) -> str:
    """A file name of letters, digits, spaces and ._()- only: the plain `filename=` of
    Content-Disposition, and what an upload is stored as (Piccolo's allowed characters)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    plain = re.sub(r"[^A-Za-z0-9 ._()-]+", "_", plain)
    return re.sub(r"\.{2,}", ".", plain).strip(" ._") or "document"


def content_disposition(name: str) -> str:
    """`attachment` with an ASCII fallback name and the real one as RFC 6266's filename*."""
    name = name.replace("/", "_").replace("\\", "_").strip() or "document"
    fallback = ascii_name(name)
    if fallback == name:
        return f'attachment; filename="{fallback}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


_SELECT = (
    "SELECT d.id, d.kind, d.title, d.language, d.size_bytes, d.original_name, d.file, "
    "d.content_type, d.created_at FROM product_document d "
)


async def for_product(product_id: int, category_id: int | None) -> list[DocumentView]:
    """The product's own documents and its category's, in one query: by position, then a
    product's own before its family's."""
    rows = await ProductDocument.raw(
        _SELECT + "WHERE d.product = {} OR d.category = {} "
        "ORDER BY d.position, CASE WHEN d.product IS NULL THEN 1 ELSE 0 END, d.id",
        product_id,
        category_id if category_id is not None else 0,
    )
    return [
        DocumentView(
            id=row["id"],
            kind=row["kind"],
            title=row["title"],
            language=row["language"],
            size_bytes=row["size_bytes"],
            extension=extension_of(row["file"]).upper(),
        )
        for row in rows
    ]


async def for_download(slug: str, document_id: int, folder: Path) -> DocumentFile | None:
    """A document of the product `slug` (its own or its category's) whose file is there; None
    for another product's document, a missing row or a missing file."""
    rows = await ProductDocument.raw(
        _SELECT + "JOIN product p ON p.slug = {} "
        "WHERE d.id = {} AND (d.product = p.id OR d.category = p.category)",
        slug,
        document_id,
    )
    if not rows:
        return None
    row = rows[0]
    path = stored_path(folder, row["file"])
    if path is None:
        return None
    name = row["original_name"] or original_name_of(row["file"])
    if extension_of(name) != extension_of(row["file"]):
        name = f"{name}.{extension_of(row['file'])}"  # a typed name keeps the file's type
    return DocumentFile(
        path=path,
        # Served by what the file is, whatever the row says: a safe type or a download.
        content_type=served_type(extension_of(row["file"])),
        download_name=name,
        created_at=row["created_at"],
    )
