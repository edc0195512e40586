"""The staff admin's mount, built at its first request rather than in every worker at start.

Piccolo Admin is two FastAPI applications with models for every table (okmarts.admin): importing
and building them costs each worker about 35 MB of its memory, for pages shoppers never ask for.
Here /admin is mounted at once, and what answers there is imported and built the first time a
request reaches it (a moment's wait for the first staff member, once per worker).
"""

from __future__ import annotations

from typing import Any

from litestar import asgi
from litestar.handlers import ASGIRouteHandler
from litestar.types import Receive, Scope, Send

from okmarts.settings import Settings

# okmarts.admin.queue.MOUNT_PATH, not imported from there: that would build nothing lazily.
MOUNT_PATH = "/admin"


def staff_admin_handler(settings: Settings) -> ASGIRouteHandler:
    """`okmarts.admin.staff_admin_handler`, with the admin built on first use."""
    built: list[Any] = []

    @asgi(MOUNT_PATH, is_mount=True, copy_scope=True)
    async def staff_admin(scope: Scope, receive: Receive, send: Send) -> None:
        if not built:
            from okmarts.admin import MOUNT_PATH as admin_path
            from okmarts.admin import build_staff_admin

            assert admin_path == MOUNT_PATH, "the admin moved: update okmarts.lazy_admin"
            built.append(build_staff_admin(settings))
        await built[0](scope, receive, send)

    return staff_admin
