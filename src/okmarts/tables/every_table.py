"""Every table the app binds to its database, found without Piccolo's app registry.

`piccolo.conf.apps` (the registry, for migrations and the admin) imports black, the code
formatter, for writing migrations: about 19 MB in every worker that serves pages. The server
binds its tables from this list instead; the registry (okmarts.piccolo_conf) reads the same
modules, and a test checks that both find the same tables.
"""

from __future__ import annotations

import importlib
import inspect
from functools import cache

from piccolo.table import Table

# okmarts.tables.piccolo_app finds its tables in these modules.
OKMARTS_TABLE_MODULES = [
    "okmarts.tables.catalog",
    "okmarts.tables.accounts",
    "okmarts.tables.messaging",
    "okmarts.tables.checkout",
    "okmarts.tables.reviews",
    "okmarts.tables.privacy",
    "okmarts.tables.recommendations",
    "okmarts.tables.documents",
    "okmarts.tables.notifications",
    "okmarts.tables.watches",
    "okmarts.tables.newsletters",
    "okmarts.tables.lists",
    "okmarts.tables.price_breaks",
    "okmarts.tables.quotes",
    "okmarts.tables.companies",
    "okmarts.tables.invoices",
    "okmarts.tables.support",
    "okmarts.tables.returns",  # issue 16: returns, refunds, complaints (H-returns)
    "okmarts.tables.support_staff",  # issue 16: staff roles, saved replies, survey answers
]
# Staff users of Piccolo Admin and their sessions (okmarts.piccolo_conf's other apps).
STAFF_TABLE_MODULES = ["piccolo.apps.user.tables", "piccolo_api.session_auth.tables"]


@cache
def every_table() -> tuple[type[Table], ...]:
    """The Table classes defined (not imported) in those modules."""
    found: list[type[Table]] = []
    for name in [*OKMARTS_TABLE_MODULES, *STAFF_TABLE_MODULES]:
        module = importlib.import_module(name)
        found += [
            value
            for value in vars(module).values()
            if inspect.isclass(value)
            and issubclass(value, Table)
            and value is not Table
            and value.__module__ == module.__name__
        ]
    return tuple(found)
