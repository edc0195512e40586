"""Avatars: an uploaded picture checked, re-encoded, squared and stripped of metadata (Pillow)."""

from __future__ import annotations

import io
import secrets
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from okmarts.i18n import N_

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# Refuse decompression bombs before decoding them. A JPEG is decoded at 1/2 to 1/8 scale
# (Image.draft), so a phone camera's 48-megapixel photo stays cheap; other formats decode whole.
MAX_PIXELS = 16_000_000
MAX_JPEG_PIXELS = 64_000_000
AVATAR_SIZE = 256
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


class AvatarInvalid(ValueError):
    """The upload is not a picture we can use; the message says why (an N_ msgid)."""


def process_avatar(data: bytes) -> bytes:
    """A 256×256 JPEG made from the upload: no EXIF, GPS or other metadata survives.

    CPU-bound (up to about a second for the largest pictures): call it in a thread."""
    if not data:
        raise AvatarInvalid(N_("Choose a picture file to upload."))
    if len(data) > MAX_UPLOAD_BYTES:
        raise AvatarInvalid(N_("The picture is larger than 5 MB. Choose a smaller one."))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise AvatarInvalid(N_("Upload a JPEG, PNG, WebP or GIF picture."))
            cap = MAX_JPEG_PIXELS if probe.format == "JPEG" else MAX_PIXELS
            if probe.width * probe.height > cap:
                raise AvatarInvalid(N_("The picture has too many pixels. Choose a smaller one."))
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.seek(0)
            # Decode no more pixels than the avatar needs (twice its size, for a clean resize).
            image.draft("RGB", (AVATAR_SIZE * 2, AVATAR_SIZE * 2))
            image = ImageOps.exif_transpose(image)
            if image.mode in {"RGBA", "LA", "P"}:
                image = image.convert("RGBA")
                background = Image.new("RGB", image.size, (255, 255, 255))
                background.paste(image, mask=image.getchannel("A"))
                image = background
            else:
                image = image.convert("RGB")
            squared = ImageOps.fit(image, (AVATAR_SIZE, AVATAR_SIZE), Image.Resampling.LANCZOS)
    except AvatarInvalid:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
    ) as error:
        raise AvatarInvalid(
            N_("This file is not a picture we can read. Upload a JPEG, PNG, WebP or GIF.")
        ) from error
    output = io.BytesIO()
    # A fresh image saved without `exif=`/`icc_profile=`: nothing of the original's metadata.
    squared.save(output, format="JPEG", quality=85, optimize=True, progressive=True)
    return output.getvalue()


def avatars_dir(data_dir: Path) -> Path:
    return data_dir / "avatars"


def store_avatar(data_dir: Path, jpeg: bytes) -> str:
    """Write the processed picture under a random name (old names are never reused)."""
    folder = avatars_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_urlsafe(12)}.jpg"
    (folder / name).write_bytes(jpeg)
    return name


def delete_avatar(data_dir: Path, name: str) -> None:
    if name and "/" not in name and not name.startswith("."):
        (avatars_dir(data_dir) / name).unlink(missing_ok=True)
