"""Static files under content-hashed URLs: cached for a year, and a new file gets a new URL.

`static_url("css/site.css")` gives `/static/css/site.<hash>.css`; the hash is the file's content,
so a browser keeps it until it changes and never holds an old stylesheet after a deploy.
Plain names (`/static/img/favicon.svg`) are served too, with a short cache.

The demo catalog's product drawings (`drawings/…svg`, okmarts.demo.drawings) are served here
as if they were files: made from their name, with the drawings' version as their hash.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from cachetools import LRUCache
from litestar import HttpMethod, Request, route
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import File, Response

from okmarts.demo import drawings

HASH_LENGTH = 12
HASHED_NAME = re.compile(
    rf"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{{{HASH_LENGTH}}})(?P<suffix>\.[^./]+)$"
)
DRAWINGS = "drawings/"
IMMUTABLE = CacheControlHeader(max_age=31_536_000, public=True, immutable=True)
# Unhashed and outdated URLs: old pages in caches still get a stylesheet, refreshed within the hour.
SHORT = CacheControlHeader(max_age=3_600, public=True)


class StaticFiles:
    """The files under one folder, each with the hash of its content (rehashed when it changes).

    `watch=False` (production): a URL is worked out once per process and kept — a page names
    dozens of files, and checking each on disk for every page cost about 190 system calls per
    listing. With `watch` (OKMARTS_DEBUG, and by default) every call looks at the file again.
    """

    def __init__(self, directory: Path, *, watch: bool = True) -> None:
        self.directory = directory.resolve()
        self.watch = watch
        self._hashes: dict[str, tuple[int, int, str]] = {}
        # Product pictures are static files too: as many names as products, so kept by use.
        self._urls: LRUCache[str, str] = LRUCache(maxsize=4096)

    def file(self, relative: str) -> Path | None:
        path = (self.directory / relative).resolve()
        if not path.is_relative_to(self.directory) or not path.is_file():
            return None
        return path

    def content_hash(self, relative: str) -> str | None:
        if relative.startswith(DRAWINGS):
            return drawings.VERSION_HASH if drawings.is_drawing(relative) else None
        path = self.file(relative)
        if path is None:
            return None
        stat = path.stat()
        known = self._hashes.get(relative)
        if known and known[:2] == (stat.st_mtime_ns, stat.st_size):
            return known[2]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:HASH_LENGTH]
        self._hashes[relative] = (stat.st_mtime_ns, stat.st_size, digest)
        return digest

    def url(self, relative: str) -> str:
        """The URL of a file under static/, with its content hash in the name."""
        if not self.watch:
            known = self._urls.get(relative)
            if known is None:
                known = self._urls[relative] = self._url(relative)
            return known
        return self._url(relative)

    def _url(self, relative: str) -> str:
        relative = relative.lstrip("/")
        digest = self.content_hash(relative)
        if digest is None:
            return f"/static/{relative}"
        stem, dot, suffix = relative.rpartition(".")
        if not dot or "/" in suffix:
            return f"/static/{relative}.{digest}"
        return f"/static/{stem}.{digest}.{suffix}"

    def drawing(self, requested: str) -> tuple[str, CacheControlHeader] | None:
        """A product drawing's SVG for a requested name, and how long browsers may keep it."""
        requested = requested.lstrip("/")
        if not requested.startswith(DRAWINGS):
            return None
        match = HASHED_NAME.match(requested)
        if match is not None:
            svg = drawings.render(match["stem"] + match["suffix"])
            if svg is not None:
                return svg, IMMUTABLE if match["hash"] == drawings.VERSION_HASH else SHORT
        svg = drawings.render(requested)
        return (svg, SHORT) if svg is not None else None

    def resolve(self, requested: str) -> tuple[Path, CacheControlHeader] | None:
        """The file a requested name means, and how long browsers may keep it."""
        requested = requested.lstrip("/")
        plain = self.file(requested)
        if plain is not None:
            return plain, SHORT
        match = HASHED_NAME.match(requested)
        if match is None:
            return None
        relative = match["stem"] + match["suffix"]
        path = self.file(relative)
        if path is None:
            return None
        current = self.content_hash(relative) == match["hash"]
        return path, IMMUTABLE if current else SHORT


def static_files_handler(static: StaticFiles):  # type: ignore[no-untyped-def]
    # HEAD too: link checkers and caches ask for the headers alone.
    @route(
        "/static/{file_path:path}",
        http_method=[HttpMethod.GET, HttpMethod.HEAD],
        include_in_schema=False,
        name="static",
        sync_to_thread=False,
    )
    def serve_static(request: Request[Any, Any, Any], file_path: FromPath[str]) -> File:
        drawn = static.drawing(file_path)
        if drawn is not None:
            svg, cache = drawn
            return Response(  # type: ignore[return-value]  # (HEAD needs File or None here)
                content=b"" if request.method == HttpMethod.HEAD else svg.encode(),
                media_type="image/svg+xml",
                headers={cache.HEADER_NAME: cache.to_header()},
            )
        found = static.resolve(file_path)
        if found is None:
            raise NotFoundException()
        path, cache = found
        return File(
            path=path,
            # The media type is guessed from the name: without it CSS and JS go out as
            # application/octet-stream, and browsers (nosniff) refuse to apply or run them.
            filename=path.name,
            content_disposition_type="inline",
            headers={cache.HEADER_NAME: cache.to_header()},
        )

    return serve_static
