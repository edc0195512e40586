"""Hand-written: what the catalog's caches need from the database, kept by triggers.

- `catalog_change`: a row for every change a shopper could see — a product's title, price,
  stock level as shown (out of stock, "only N left"), description, pictures, category or brand,
  its reviews and questions as moderated, answered or voted on (the product's id), or any
  category or brand at all (no id: everything). Each worker reads
  the new rows every second and drops the cached pages that show those products, so a staff
  edit in the admin (or anywhere else) shows at once, on every worker and instance, and pages
  can be kept for a minute. Only the last 10,000 rows are kept. New products are not logged
  (a listing shows them when its page expires).
- `category_brand_count`: how many products, and how many in stock, each category has of each
  brand. A listing's count and brand filter read it instead of counting the category's products
  (8 ms for a category of 20,000, growing with the catalog).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T20:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Catalog change log and category/brand counts, kept by triggers"
KEEP_CHANGES = 10_000

# A product's change that shows: the same test in both databases' triggers.
SHOWN = (
    "old.title IS DISTINCT FROM new.title OR old.slug IS DISTINCT FROM new.slug"
    " OR old.sku IS DISTINCT FROM new.sku OR old.price_minor IS DISTINCT FROM new.price_minor"
    " OR old.currency IS DISTINCT FROM new.currency"
    " OR least(old.stock, 11) IS DISTINCT FROM least(new.stock, 11)"
    " OR old.brand IS DISTINCT FROM new.brand OR old.category IS DISTINCT FROM new.category"
    " OR old.description IS DISTINCT FROM new.description"
    " OR old.specs::text IS DISTINCT FROM new.specs::text"
    " OR old.points_price IS DISTINCT FROM new.points_price"
    " OR old.weight_grams IS DISTINCT FROM new.weight_grams"
    " OR old.featured IS DISTINCT FROM new.featured"
)
COUNTED = (
    "old.category IS DISTINCT FROM new.category OR old.brand IS DISTINCT FROM new.brand"
    " OR (old.stock > 0) IS DISTINCT FROM (new.stock > 0)"
)


def _sqlite_log(product: str) -> str:
    return (
        f"INSERT INTO catalog_change (product) VALUES ({product}); "
        "DELETE FROM catalog_change WHERE id <= "
        f"(SELECT max(id) FROM catalog_change) - {KEEP_CHANGES};"
    )


def _sqlite_sql(expression: str) -> str:
    # SQLite spells these its own way.
    return (
        expression.replace(" IS DISTINCT FROM ", " IS NOT ")
        .replace("least(", "min(")
        .replace("::text", "")
    )


_SQLITE_COUNT_ADD = (
    "INSERT INTO category_brand_count (category, brand, products, in_stock) "
    "SELECT new.category, new.brand, 1, new.stock > 0 "
    "WHERE new.category IS NOT NULL AND new.brand IS NOT NULL "
    "ON CONFLICT (category, brand) DO UPDATE SET products = products + 1, "
    "in_stock = in_stock + excluded.in_stock;"
)
_SQLITE_COUNT_REMOVE = (
    "UPDATE category_brand_count SET products = products - 1, "
    "in_stock = in_stock - (old.stock > 0) WHERE category = old.category AND brand = old.brand;"
)

SQLITE = [
    """CREATE TABLE IF NOT EXISTS catalog_change (
        id INTEGER PRIMARY KEY AUTOINCREMENT, product INTEGER,
        changed_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)""",
    f"""CREATE TRIGGER catalog_change_product_update AFTER UPDATE ON product
        WHEN {_sqlite_sql(SHOWN)}
        BEGIN {_sqlite_log("new.id")} END""",
    f"""CREATE TRIGGER catalog_change_product_delete AFTER DELETE ON product
        BEGIN {_sqlite_log("old.id")} END""",
    f"""CREATE TRIGGER catalog_change_image_update AFTER UPDATE ON product_image
        BEGIN {_sqlite_log("new.product")} END""",
    *(
        f"""CREATE TRIGGER catalog_change_{table}_update AFTER UPDATE ON {table}
            BEGIN {_sqlite_log("new.product")} END"""
        for table in ("review", "question")
    ),
    *(
        f"""CREATE TRIGGER catalog_change_{table}_delete AFTER DELETE ON {table}
            BEGIN {_sqlite_log("old.product")} END"""
        for table in ("product_image", "review", "question")
    ),
    *(
        f"""CREATE TRIGGER catalog_change_{table}_{event.lower()} AFTER {event} ON {table}
            BEGIN {_sqlite_log("NULL")} END"""
        for table in ("category", "brand")
        for event in ("INSERT", "UPDATE", "DELETE")
    ),
    """CREATE TABLE IF NOT EXISTS category_brand_count (
        category INTEGER NOT NULL, brand INTEGER NOT NULL,
        products INTEGER NOT NULL DEFAULT 0, in_stock INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (category, brand)) WITHOUT ROWID""",
    f"""CREATE TRIGGER category_brand_count_insert AFTER INSERT ON product
        BEGIN {_SQLITE_COUNT_ADD} END""",
    f"""CREATE TRIGGER category_brand_count_delete AFTER DELETE ON product
        BEGIN {_SQLITE_COUNT_REMOVE} END""",
    f"""CREATE TRIGGER category_brand_count_update AFTER UPDATE OF category, brand, stock
        ON product WHEN {_sqlite_sql(COUNTED)}
        BEGIN {_SQLITE_COUNT_REMOVE} {_SQLITE_COUNT_ADD} END""",
    """INSERT INTO category_brand_count (category, brand, products, in_stock)
        SELECT category, brand, count(*), sum(stock > 0) FROM product
        WHERE category IS NOT NULL AND brand IS NOT NULL GROUP BY category, brand""",
]

POSTGRES = [
    """CREATE TABLE IF NOT EXISTS catalog_change (
        id bigserial PRIMARY KEY, product integer,
        changed_at timestamptz NOT NULL DEFAULT now())""",
    f"""CREATE OR REPLACE FUNCTION okmarts_catalog_changed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE changed integer;
        BEGIN
            IF TG_TABLE_NAME = 'product' THEN
                changed := CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END;
            ELSIF TG_TABLE_NAME IN ('product_image', 'review', 'question') THEN
                changed := CASE WHEN TG_OP = 'DELETE' THEN OLD.product ELSE NEW.product END;
            END IF;
            INSERT INTO catalog_change (product) VALUES (changed);
            DELETE FROM catalog_change
                WHERE id <= currval(pg_get_serial_sequence('catalog_change', 'id'))
                    - {KEEP_CHANGES};
            RETURN NULL;
        END $$""",
    f"""CREATE TRIGGER catalog_change_product_update AFTER UPDATE ON product
        FOR EACH ROW WHEN ({SHOWN}) EXECUTE FUNCTION okmarts_catalog_changed()""",
    """CREATE TRIGGER catalog_change_product_delete AFTER DELETE ON product
        FOR EACH ROW EXECUTE FUNCTION okmarts_catalog_changed()""",
    *(
        f"""CREATE TRIGGER catalog_change_{table} AFTER UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION okmarts_catalog_changed()"""
        for table in ("product_image", "review", "question")
    ),
    """CREATE TRIGGER catalog_change_category AFTER INSERT OR UPDATE OR DELETE ON category
        FOR EACH STATEMENT EXECUTE FUNCTION okmarts_catalog_changed()""",
    """CREATE TRIGGER catalog_change_brand AFTER INSERT OR UPDATE OR DELETE ON brand
        FOR EACH STATEMENT EXECUTE FUNCTION okmarts_catalog_changed()""",
    """CREATE TABLE IF NOT EXISTS category_brand_count (
        category integer NOT NULL, brand integer NOT NULL,
        products integer NOT NULL DEFAULT 0, in_stock integer NOT NULL DEFAULT 0,
        PRIMARY KEY (category, brand))""",
    """CREATE OR REPLACE FUNCTION okmarts_count_products() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                UPDATE category_brand_count SET products = products - 1,
                    in_stock = in_stock - (OLD.stock > 0)::integer
                WHERE category = OLD.category AND brand = OLD.brand;
            END IF;
            -- (A product without a category or brand is in no listing's count.)
            IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.category IS NOT NULL
                    AND NEW.brand IS NOT NULL THEN
                INSERT INTO category_brand_count (category, brand, products, in_stock)
                VALUES (NEW.category, NEW.brand, 1, (NEW.stock > 0)::integer)
                ON CONFLICT (category, brand) DO UPDATE SET
                    products = category_brand_count.products + 1,
                    in_stock = category_brand_count.in_stock + excluded.in_stock;
            END IF;
            RETURN NULL;
        END $$""",
    """CREATE TRIGGER category_brand_count_insert AFTER INSERT OR DELETE ON product
        FOR EACH ROW EXECUTE FUNCTION okmarts_count_products()""",
    f"""CREATE TRIGGER category_brand_count_update AFTER UPDATE ON product
        FOR EACH ROW WHEN ({COUNTED}) EXECUTE FUNCTION okmarts_count_products()""",
    """INSERT INTO category_brand_count (category, brand, products, in_stock)
        SELECT category, brand, count(*), count(*) FILTER (WHERE stock > 0)
        FROM product WHERE category IS NOT NULL AND brand IS NOT NULL
        GROUP BY category, brand""",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="okmarts", description=DESCRIPTION)

    async def create() -> None:
        engine = engine_finder()
        for statement in POSTGRES if engine.engine_type == "postgres" else SQLITE:
            await engine.run_ddl(statement)

    manager.add_raw(create)
    return manager
