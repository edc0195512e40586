"""Hand-written: full-text search and composite indexes (auto migrations make neither).

SQLite: an FTS5 index (trigram tokenizer: matches inside SKUs and words, any script) kept in
step with `product` by triggers. PostgreSQL: a generated, weighted tsvector column with a GIN
index. Both rank title and SKU above brand and specifications.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T11:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Product full-text search and listing indexes"

COMPOSITE_INDEXES = [
    "CREATE INDEX IF NOT EXISTS product_category_price ON product (category, price_minor)",
    "CREATE INDEX IF NOT EXISTS product_category_created ON product (category, created_at)",
    "CREATE INDEX IF NOT EXISTS product_brand_price ON product (brand, price_minor)",
    # Brand facets of a category; the default "relevance" order, overall and per category.
    "CREATE INDEX IF NOT EXISTS product_category_brand ON product (category, brand)",
    "CREATE INDEX IF NOT EXISTS product_featured_created ON product (featured, created_at)",
    "CREATE INDEX IF NOT EXISTS product_category_featured_created"
    " ON product (category, featured, created_at)",
]

SQLITE_SEARCH = [
    """CREATE VIRTUAL TABLE product_search USING fts5(
        title, sku, search_text, content='product', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER product_search_insert AFTER INSERT ON product BEGIN
        INSERT INTO product_search(rowid, title, sku, search_text)
        VALUES (new.id, new.title, new.sku, new.search_text);
    END""",
    """CREATE TRIGGER product_search_delete AFTER DELETE ON product BEGIN
        INSERT INTO product_search(product_search, rowid, title, sku, search_text)
        VALUES ('delete', old.id, old.title, old.sku, old.search_text);
    END""",
    """CREATE TRIGGER product_search_update AFTER UPDATE OF title, sku, search_text ON product
    BEGIN
        INSERT INTO product_search(product_search, rowid, title, sku, search_text)
        VALUES ('delete', old.id, old.title, old.sku, old.search_text);
        INSERT INTO product_search(rowid, title, sku, search_text)
        VALUES (new.id, new.title, new.sku, new.search_text);
    END""",
    "INSERT INTO product_search(product_search) VALUES ('rebuild')",
]

POSTGRES_SEARCH = [
    """ALTER TABLE product ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('simple', coalesce(sku, '')), 'A') ||
        setweight(to_tsvector('simple', coalesce(search_text, '')), 'B')
    ) STORED""",
    "CREATE INDEX product_search_vector ON product USING GIN (search_vector)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="okmarts", description=DESCRIPTION)

    async def create_search() -> None:
        engine = engine_finder()
        statements = POSTGRES_SEARCH if engine.engine_type == "postgres" else SQLITE_SEARCH
        for statement in [*COMPOSITE_INDEXES, *statements]:
            await engine.run_ddl(statement)

    manager.add_raw(create_search)
    return manager
