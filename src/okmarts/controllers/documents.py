"""Product documents: a download, as an attachment of a safe type (never shown as a page)."""

from __future__ import annotations

from litestar import Controller, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXRequest
from litestar.response import File

from okmarts.inputs import MAX_INT
from okmarts.services import documents

# Documents change rarely (staff replace a file): kept an hour, then asked again with the ETag.
DOCUMENT_CACHE_CONTROL = "public, max-age=3600"


class DocumentsController(Controller):
    @get("/products/{slug:str}/documents/{document_id:int}", name="product_document")
    async def download(
        self, request: HTMXRequest, slug: FromPath[str], document_id: FromPath[int]
    ) -> File:
        if not 1 <= document_id <= MAX_INT:
            raise NotFoundException()
        folder = documents.documents_dir(request.app.state.settings.data_dir)
        # The file is the row's stored key, checked to lie in the folder: nothing from the
        # request becomes a path. Another product's document, or a file gone: 404.
        found = await documents.for_download(slug, document_id, folder)
        if found is None:
            raise NotFoundException()
        # X-Content-Type-Options: nosniff comes with every response (the app's security headers).
        return File(
            found.path,
            media_type=found.content_type,
            content_disposition_type="attachment",
            headers={
                "content-disposition": documents.content_disposition(found.download_name),
                "cache-control": DOCUMENT_CACHE_CONTROL,
            },
        )
