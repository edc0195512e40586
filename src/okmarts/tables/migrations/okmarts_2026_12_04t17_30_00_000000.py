"""Returns (issue 16): a refund recorded "to be paid" (bank transfer) is marked paid by staff,
with the transfer's reference and day (services.returns.mark_refund_paid)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Date, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-04T17:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Returns: a bank refund marked paid (reference, day, staff)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="okmarts", description=DESCRIPTION)

    manager.add_column(
        table_class_name="ReturnRequest",
        tablename="return_request",
        column_name="refund_paid_by",
        db_column_name="refund_paid_by",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 100,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="ReturnRequest",
        tablename="return_request",
        column_name="refund_paid_on",
        db_column_name="refund_paid_on",
        column_class_name="Date",
        column_class=Date,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="ReturnRequest",
        tablename="return_request",
        column_name="refund_reference",
        db_column_name="refund_reference",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 100,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
