"""Hand-written: search that finds the same products on SQLite and PostgreSQL, from indexes.

Both databases now cut the same text into the same words — runs of letters and digits, lower
case — and a query matches a product when each of its words starts a word of the product's
title, SKU or search text (brand, category, specifications, description), or when the whole
query is a piece of the SKU ("214-1AG" in "6ES7 214-1AG40-0XB0"):
- SQLite: `product_words`, FTS5 with the unicode61 tokenizer (letters and digits are word
  characters; diacritics kept), and `product_sku`, FTS5 trigram on the SKU alone, both kept in
  step with `product` by triggers. They replace `product_search` (trigram over all the text: it
  matched inside words, unlike PostgreSQL, and was most of the database's size). Prefix indexes
  for 1 to 8 letters make "sensor*" one lookup (0.6 ms at 200,000 products, not 4 ms).
- PostgreSQL: `search_vector` regenerated from the same words (`okmarts_search_words` keeps
  letters and digits, as unicode61 does, and lower-cases; `okmarts_search_vector` makes them
  lexemes as they are), title and SKU weighted A, the rest B, with its GIN index; and a pg_trgm
  GIN index on lower(sku) for SKU pieces.
"""

import unicodedata

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T19:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Search: the same words on SQLite and PostgreSQL; SKU pieces by trigram"

SQLITE = [
    "DROP TRIGGER IF EXISTS product_search_insert",
    "DROP TRIGGER IF EXISTS product_search_delete",
    "DROP TRIGGER IF EXISTS product_search_update",
    "DROP TABLE IF EXISTS product_search",
    """CREATE VIRTUAL TABLE product_words USING fts5(
        title, sku, search_text, content='product', content_rowid='id',
        tokenize='unicode61 remove_diacritics 0', prefix='1 2 3 4 5 6 7 8')""",
    """CREATE VIRTUAL TABLE product_sku USING fts5(
        sku, content='product', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER product_words_insert AFTER INSERT ON product BEGIN
        INSERT INTO product_words(rowid, title, sku, search_text)
        VALUES (new.id, new.title, new.sku, new.search_text);
        INSERT INTO product_sku(rowid, sku) VALUES (new.id, new.sku);
    END""",
    """CREATE TRIGGER product_words_delete AFTER DELETE ON product BEGIN
        INSERT INTO product_words(product_words, rowid, title, sku, search_text)
        VALUES ('delete', old.id, old.title, old.sku, old.search_text);
        INSERT INTO product_sku(product_sku, rowid, sku) VALUES ('delete', old.id, old.sku);
    END""",
    """CREATE TRIGGER product_words_update AFTER UPDATE OF title, sku, search_text ON product
    BEGIN
        INSERT INTO product_words(product_words, rowid, title, sku, search_text)
        VALUES ('delete', old.id, old.title, old.sku, old.search_text);
        INSERT INTO product_words(rowid, title, sku, search_text)
        VALUES (new.id, new.title, new.sku, new.search_text);
        INSERT INTO product_sku(product_sku, rowid, sku) VALUES ('delete', old.id, old.sku);
        INSERT INTO product_sku(rowid, sku) VALUES (new.id, new.sku);
    END""",
    "INSERT INTO product_words(product_words) VALUES ('rebuild')",
    "INSERT INTO product_sku(product_sku) VALUES ('rebuild')",
]


def _numbers_beyond_alnum() -> str:
    """Digits and numbers other than 0-9 (², ½, Ⅳ…): word characters for unicode61 and Python,
    not all of them for PostgreSQL's [:alnum:]; listed so that all three agree."""
    return "".join(
        chr(code)
        for code in range(128, 0x30000)
        if unicodedata.category(chr(code)) in {"Nd", "Nl", "No"}
    )


def postgres_statements() -> list[str]:
    word_characters = "[:alnum:]" + _numbers_beyond_alnum()
    return [
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        "DROP INDEX IF EXISTS product_search_vector",
        "ALTER TABLE product DROP COLUMN IF EXISTS search_vector",
        f"""CREATE OR REPLACE FUNCTION okmarts_search_words(text) RETURNS text
            LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURNS NULL ON NULL INPUT
            AS $$ SELECT lower(regexp_replace($1, '[^{word_characters}]+', ' ', 'g')) $$""",
        # The words become lexemes as they are (to_tsvector's parser would cut them again its
        # own way, dropping "²"), each with a position so that its weight counts in queries.
        'CREATE OR REPLACE FUNCTION okmarts_search_vector(text, "char") RETURNS tsvector'
        " LANGUAGE sql IMMUTABLE PARALLEL SAFE"
        " AS $$ SELECT coalesce(string_agg('''' || word || ''':1' || $2::text, ' '), '')::tsvector"
        " FROM unnest(string_to_array(okmarts_search_words($1), ' ')) AS word"
        " WHERE word <> '' $$",
        """ALTER TABLE product ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
            okmarts_search_vector(title, 'A') || okmarts_search_vector(sku, 'A')
            || okmarts_search_vector(search_text, 'B')
        ) STORED""",
        "CREATE INDEX product_search_vector ON product USING GIN (search_vector)",
        "CREATE INDEX product_sku_trigram ON product USING GIN (lower(sku) gin_trgm_ops)",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="okmarts", description=DESCRIPTION)

    async def create_search() -> None:
        engine = engine_finder()
        postgres = engine.engine_type == "postgres"
        for statement in postgres_statements() if postgres else SQLITE:
            await engine.run_ddl(statement)

    manager.add_raw(create_search)
    return manager
