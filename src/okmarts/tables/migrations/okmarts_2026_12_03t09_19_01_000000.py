"""Hand-written: the composite indexes of the recommendation tables, on SQLite and PostgreSQL.

- product_pair: unique (product, other), so a placed order adds to its pairs with one
  INSERT … ON CONFLICT; and (product, orders) so a product's most frequent partners are read
  from the index alone, at any catalog size.
- recommendation_dismissal: unique (account, product): dismissing twice keeps one row.
- bundle_part: unique (bundle, product): a part is listed once per kit, with its quantity.

Then the pair counts of the orders placed before this migration, once (the shop keeps them
from here on as orders are placed, cancelled and refunded: services.recommendations).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T09:19:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "Recommendations: composite indexes, and the pairs of the orders placed so far"

STATEMENTS = [
    "CREATE UNIQUE INDEX product_pair_key ON product_pair (product, other)",
    "CREATE INDEX product_pair_rank ON product_pair (product, orders)",
    "CREATE UNIQUE INDEX recommendation_dismissal_key"
    " ON recommendation_dismissal (account, product)",
    "CREATE UNIQUE INDEX bundle_part_key ON bundle_part (bundle, product)",
    # Orders already placed, but for those cancelled or refunded (their pairs no longer count).
    "INSERT INTO product_pair (product, other, orders)"
    ' SELECT a.product, b.product, COUNT(DISTINCT a."order") FROM order_line a'
    ' JOIN order_line b ON b."order" = a."order" AND b.product <> a.product'
    ' JOIN shop_order o ON o.id = a."order"'
    " WHERE a.product IS NOT NULL AND b.product IS NOT NULL"
    " AND o.status NOT IN ('cancelled', 'refunded')"
    " GROUP BY a.product, b.product",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="okmarts", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
