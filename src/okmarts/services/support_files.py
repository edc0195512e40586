"""Attachments of customer-service messages (issue 16, H-chat): photos of a damaged part and PDFs.

A photo is decoded, checked (format, pixels) and re-encoded from its pixels alone (JPEG, or PNG
when it has transparency): EXIF (GPS, camera), comments, ICC and text chunks do not survive; it
is turned upright first and made at most `support_photo_max_side` on its longer side. A PDF is
kept as sent after its size and its `%PDF-` magic are checked. Both run in a thread (decoding is
CPU work). Files live under the data directory's support/ folder with random names; the
shopper's file name is only shown. They are deleted with their rows: erasure and retention call
`delete_files` with `paths_of_conversations` taken before the rows go.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import secrets
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from okmarts.db import write_transaction
from okmarts.i18n import N_, Message
from okmarts.settings import Settings
from okmarts.tables.support import ConversationAttachment, ConversationMessage

log = logging.getLogger(__name__)

FOLDER = "support"
MAX_FILES = 4  # per message
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
PDF_MAGIC = b"%PDF-"


class AttachmentRefused(Exception):
    def __init__(self, message: Message) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Prepared:
    """A checked file, ready to store."""

    kind: str  # image | pdf
    content_type: str
    filename: str
    data: bytes


def folder(settings: Settings) -> Path:
    return settings.data_dir / FOLDER


def upload_cap_bytes(settings: Settings) -> int:
    """The most one request's files may weigh (the route refuses bigger bodies outright)."""
    largest = max(settings.support_photo_max_mb, settings.support_pdf_max_mb)
    return int(largest * 1_000_000) * MAX_FILES + 200_000


def safe_filename(name: str, extension: str) -> str:
    """The shopper's file name, for showing and for Content-Disposition: letters, digits, dots,
    dashes; the extension is the one of what is stored."""
    stem = Path(name.replace("\\", "/")).name.rsplit(".", 1)[0]
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-")[:80] or "file"
    return f"{stem}.{extension}"


# What a stored file may be served as; anything else goes as application/octet-stream.
SAFE_TYPES = ("image/jpeg", "image/png", "application/pdf")


def download_headers(filename: str, content_type: str) -> tuple[str, dict[str, str]]:
    """The media type and headers a stored file is served with, to its shopper or to staff:
    always a download, never sniffed or run, never kept by a shared cache (personal data)."""
    stem, _dot, extension = filename.rpartition(".")
    name = safe_filename(stem or "file", extension[:5].lower() or "bin")
    media_type = content_type if content_type in SAFE_TYPES else "application/octet-stream"
    return media_type, {
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-store",
    }


def _photo(raw: bytes, name: str, max_pixels: int, max_side: int) -> Prepared:
    refused = AttachmentRefused(
        Message(N_("%(name)s is not a photo we can read (JPEG, PNG, WebP or GIF)."), {"name": name})
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))
            if image.format not in PHOTO_FORMATS:
                raise refused
            if image.width * image.height > max_pixels:
                raise AttachmentRefused(
                    Message(
                        N_("%(name)s has too many pixels: send a smaller photo."), {"name": name}
                    )
                )
            image.load()
            image = ImageOps.exif_transpose(image) or image
    except AttachmentRefused:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        Warning,
        Image.DecompressionBombError,
    ) as error:
        raise refused from error
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    image = image.convert("RGBA" if has_alpha else "RGB")
    image.thumbnail((max_side, max_side))
    # Only the pixels go out: no EXIF, ICC profile, comment or text chunk.
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    out = io.BytesIO()
    if has_alpha:
        clean.save(out, format="PNG", optimize=True)
        return Prepared("image", "image/png", safe_filename(name, "png"), out.getvalue())
    clean.save(out, format="JPEG", quality=85)
    return Prepared("image", "image/jpeg", safe_filename(name, "jpg"), out.getvalue())


def _prepare_sync(settings: Settings, name: str, raw: bytes, photos_only: bool = False) -> Prepared:
    if raw.startswith(PDF_MAGIC) and not photos_only:
        if len(raw) > settings.support_pdf_max_mb * 1_000_000:
            raise AttachmentRefused(
                Message(
                    N_("%(name)s is too large: a PDF may be up to %(mb)s MB."),
                    {"name": name, "mb": _mb(settings.support_pdf_max_mb)},
                )
            )
        return Prepared("pdf", "application/pdf", safe_filename(name, "pdf"), raw)
    if len(raw) > settings.support_photo_max_mb * 1_000_000:
        raise AttachmentRefused(
            Message(
                N_("%(name)s is too large: a photo may be up to %(mb)s MB."),
                {"name": name, "mb": _mb(settings.support_photo_max_mb)},
            )
        )
    return _photo(raw, name, settings.support_photo_max_pixels, settings.support_photo_max_side)


def _mb(value: float) -> str:
    return f"{value:g}"


async def prepare(
    settings: Settings, files: list[tuple[str, bytes]], *, photos_only: bool = False
) -> list[Prepared]:
    """Check and clean the uploaded (name, bytes): AttachmentRefused names the first bad one.
    `photos_only` (a return request's photos): a PDF is refused like any file that is no
    photo."""
    files = [(name, raw) for name, raw in files if raw]
    if len(files) > MAX_FILES:
        too_many = (
            N_("Add at most %(num)s photos.")
            if photos_only
            else N_("Attach at most %(num)s files to a message.")
        )
        raise AttachmentRefused(Message(too_many, {"num": MAX_FILES}))
    prepared = []
    for name, raw in files:
        shown = safe_filename(name or "file", "x").rsplit(".", 1)[0]
        prepared.append(await asyncio.to_thread(_prepare_sync, settings, shown, raw, photos_only))
    return prepared


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "xb") as handle:
        handle.write(data)


async def attach(settings: Settings, message_id: int, prepared: list[Prepared]) -> list[str]:
    """Store the files and their rows for a message (its rows in one transaction; a file whose
    row could not be written is deleted again). Returns the stored files' paths: a caller
    whose own, outer transaction then fails deletes them (`delete_files_of_gone_rows`)."""
    if not prepared:
        return []
    written: list[Path] = []
    rows = []
    try:
        for item in prepared:
            extension = item.filename.rsplit(".", 1)[-1]
            relative = f"{secrets.token_hex(16)}.{extension}"
            path = folder(settings) / relative
            await asyncio.to_thread(_write, path, item.data)
            written.append(path)
            rows.append(
                ConversationAttachment(
                    message=message_id,
                    kind=item.kind,
                    path=relative,
                    filename=item.filename,
                    content_type=item.content_type,
                    size_bytes=len(item.data),
                )
            )
        async with write_transaction(ConversationAttachment._meta.db):
            await ConversationAttachment.insert(*rows)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return [row.path for row in rows]


def file_path(settings: Settings, relative: str) -> Path | None:
    """The stored file of a row's `path`, never outside the support folder."""
    base = folder(settings).resolve()
    path = (base / relative).resolve()
    if path.parent != base:
        return None
    return path


async def read_file(settings: Settings, relative: str) -> bytes | None:
    path = file_path(settings, relative)
    if path is None:
        return None
    try:
        return await asyncio.to_thread(path.read_bytes)
    except OSError:
        return None


async def paths_of_conversations(condition: Any) -> list[str]:
    """The files of the conversations `condition` (a where on Conversation's columns through
    ConversationMessage.conversation) selects: take them before deleting the rows."""
    from okmarts.tables.support import Conversation

    owned = Conversation.select(Conversation.id).where(condition)
    messages = ConversationMessage.select(ConversationMessage.id).where(
        ConversationMessage.conversation.is_in(owned)
    )
    rows = await ConversationAttachment.select(ConversationAttachment.path).where(
        ConversationAttachment.message.is_in(messages)
    )
    return [row["path"] for row in rows]


async def delete_files_of_gone_rows(settings: Settings, paths: list[str]) -> int:
    """After erasure or retention committed: delete those of `paths` whose rows are gone (a
    rule that keeps a conversation, e.g. for a complaint, keeps its files)."""
    if not paths:
        return 0
    kept: set[str] = set()
    for start in range(0, len(paths), 500):
        rows = await ConversationAttachment.select(ConversationAttachment.path).where(
            ConversationAttachment.path.is_in(paths[start : start + 500])
        )
        kept.update(row["path"] for row in rows)
    gone = [path for path in paths if path not in kept]
    return await asyncio.to_thread(delete_files, settings, gone)


def delete_files(settings: Settings, paths: list[str]) -> int:
    """Delete stored files (after their rows are gone, committed); missing ones are fine."""
    deleted = 0
    for relative in paths:
        path = file_path(settings, relative)
        if path is None:
            continue
        try:
            path.unlink()
            deleted += 1
        except FileNotFoundError:
            continue
        except OSError:
            log.exception("Could not delete the support attachment %s", relative)
    return deleted
