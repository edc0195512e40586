"""Hand-written: indexes for spec facets and filters (services.facets).

- product_spec_value (category, key, choice, product): a spec filter's products, and a
  category's values grouped by (key, choice) with their products, read from the index alone
  (without `product` in it, every value costs a look-up of its row).
- product_spec_value (category, key, low, high, product): a quantity's bounds or a range that
  covers a value, from the index alone (`high` is compared too).
(Not an index on product (category, stock): SQLite then prefers it for an in-stock listing
and sorts every in-stock product of the category instead of walking the order's index.)
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T14:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Spec facets: covering indexes"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS product_spec_value_facet "
    "ON product_spec_value (category, key, choice, product)",
    "CREATE INDEX IF NOT EXISTS product_spec_value_bounds "
    "ON product_spec_value (category, key, low, high, product)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="okmarts", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
