"""Hand-written: the unique and composite indexes of carts, orders and coupons."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T12:43:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Cart line per product, orders by account and time, coupon uses per account"

INDEXES = [
    # One line per product in an account's cart: adding again raises the quantity.
    "CREATE UNIQUE INDEX IF NOT EXISTS cart_line_account_product ON cart_line (account, product)",
    # "My Orders", newest first.
    "CREATE INDEX IF NOT EXISTS shop_order_account_created ON shop_order (account, created_at)",
    'CREATE INDEX IF NOT EXISTS order_event_order_created ON order_event ("order", created_at)',
    # Per-account coupon limits.
    "CREATE INDEX IF NOT EXISTS coupon_use_coupon_account ON coupon_use (coupon, account)",
    "CREATE INDEX IF NOT EXISTS shipping_rate_method_zone ON shipping_rate (method, zone)",
    # Redeeming products.
    "CREATE INDEX IF NOT EXISTS product_points_price ON product (points_price)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="okmarts", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        for statement in INDEXES:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
