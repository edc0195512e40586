"""Saved lists: a shopper's named lists (projects) of parts and quantities (services.saved_lists).

Personal: each list belongs to its account (deleted with it, in its data download). A list may be
shared read-only through a random `share_token`; the shared page shows parts and quantities,
never who owns the list. A list may also be shared with the owner's company (`company`): its
members read it, only the owner changes it; the owner leaving the company unshares it.
"""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Product
from okmarts.tables.companies import Company


class SavedList(Table, tablename="saved_list"):
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=100)  # personal (a project's name may say who it is for)
    # A random unguessable token while the list is shared (None: not shared); revoked by clearing.
    share_token = Varchar(length=64, null=True, default=None, unique=True)
    # Shared with the owner's company (its members read it), or None; cut with the company.
    company = ForeignKey(
        references=Company, on_delete=OnDelete.set_null, null=True, default=None, index=True
    )
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class SavedListItem(Table, tablename="saved_list_item"):
    """A part on a list, once per list (unique index: migration), with its quantity."""

    saved_list = ForeignKey(references=SavedList, on_delete=OnDelete.cascade, index=True)
    product = ForeignKey(references=Product, on_delete=OnDelete.cascade, index=True)
    quantity = Integer(default=1)
    note = Varchar(length=200, default="")  # personal
    added_at = Timestamptz(default=TimestamptzNow())
