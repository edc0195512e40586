""" "Often bought together" at scale: 200,000 products and 1,000,000 order lines (250,000 orders
of 1 to 7 lines, popular products chosen more often), on SQLite, with the statements of
services.recommendations and the indexes of its migration.

    PYTHONPATH=src python bench/product_pairs.py [scratch-file]

Prints the time to count every order's pairs as it is placed, and to read a product's partners.
"""

from __future__ import annotations

import os
import random
import sqlite3
import sys
import time

from okmarts.services.recommendations import MIN_SUPPORT, pairs_insert

PRODUCTS = 200_000
ORDER_LINES = 1_000_000
SCHEMA = """
CREATE TABLE order_line (id INTEGER PRIMARY KEY, "order" INTEGER, product INTEGER);
CREATE INDEX order_line_order ON order_line ("order");
CREATE TABLE product_pair (
    id INTEGER PRIMARY KEY, product INTEGER, other INTEGER, orders INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX product_pair_other ON product_pair (other);
CREATE UNIQUE INDEX product_pair_key ON product_pair (product, other);
CREATE INDEX product_pair_rank ON product_pair (product, orders);
"""
PARTNERS = (
    "SELECT other, orders FROM product_pair WHERE product = ? AND orders >= ?"
    " ORDER BY orders DESC, other LIMIT 8"
)


def main(path: str) -> None:
    if os.path.exists(path):
        os.remove(path)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(SCHEMA)
    rng = random.Random(1)

    def pick() -> int:  # skewed: some products are in many orders
        return int(PRODUCTS * rng.random() ** 3) + 1

    lines, orders, rows = 0, 0, []
    while lines < ORDER_LINES:
        orders += 1
        products = {pick() for _ in range(rng.randint(1, 7))}
        rows.extend((orders, product) for product in products)
        lines += len(products)
    db.executemany('INSERT INTO order_line ("order", product) VALUES (?, ?)', rows)
    db.commit()

    started = time.perf_counter()
    for order in range(1, orders + 1):
        db.execute(pairs_insert(order, 1))
    db.commit()
    took = time.perf_counter() - started
    [(pairs,)] = db.execute("SELECT count(*) FROM product_pair").fetchall()
    print(f"{orders:,} orders, {lines:,} lines: {pairs:,} pair rows")
    print(f"counting the pairs as each order is placed: {took / orders * 1000:.3f} ms per order")
    plan = db.execute("EXPLAIN QUERY PLAN " + PARTNERS, (1, MIN_SUPPORT)).fetchall()
    print("plan:", "; ".join(str(step[-1]) for step in plan))
    for label, ids in (
        ("a popular product", list(range(1, 1001))),
        ("any product", [rng.randint(1, PRODUCTS) for _ in range(1000)]),
    ):
        started = time.perf_counter()
        for product in ids:
            db.execute(PARTNERS, (product, MIN_SUPPORT)).fetchall()
        each = (time.perf_counter() - started) / len(ids) * 1000
        print(f"partners of {label}: {each:.3f} ms")
    db.close()
    os.remove(path)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/okmarts-product-pairs.sqlite3")
