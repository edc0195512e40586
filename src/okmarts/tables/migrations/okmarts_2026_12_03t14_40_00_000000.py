"""Hand-written: indexes for spec facets and filters (services.facets).

- product_spec_value (category, key, choice, product): a spec filter's products, and a
  category's values grouped by (key, choice) with their products, read from the index alone
  (without `product` in it, every value costs a look-up of its row).
- product_spec_value (category, key, low, high, product): a quantity's bounds or a range that
  covers a value, from the index alone (`high` is compared too).
- product (category, stock): the in-stock products of a category, for facet counts beside the
  "in stock only" filter, from the index alone.
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
    "CREATE INDEX IF NOT EXISTS product_category_stock ON product (category, stock)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="okmarts", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
