"""`okmarts seed`: a realistic catalog, the same for the same seed, never over an existing one."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TestDatabase, okmarts


def seeded(tmp_path: Path, name: str, *args: str) -> tuple[TestDatabase, sqlite3.Connection]:
    data_dir = tmp_path / name
    database = TestDatabase("sqlite", f"sqlite:///{data_dir / 'db.sqlite3'}", data_dir)
    okmarts("migrate", env=database.env())
    okmarts("seed", *args, env=database.env())
    return database, sqlite3.connect(data_dir / "db.sqlite3")


def catalog_rows(connection: sqlite3.Connection) -> list[tuple[object, ...]]:
    return connection.execute(
        "SELECT sku, slug, title, price_minor, stock, specs, created_at, points_price "
        "FROM product ORDER BY sku"
    ).fetchall()


def test_same_seed_same_catalog_other_seed_other_catalog(tmp_path: Path) -> None:
    _, first = seeded(tmp_path, "a", "--products", "60", "--seed", "3")
    _, second = seeded(tmp_path, "b", "--products", "60", "--seed", "3")
    _, other = seeded(tmp_path, "c", "--products", "60", "--seed", "4")
    assert catalog_rows(first) == catalog_rows(second)
    assert catalog_rows(first) != catalog_rows(other)
    assert len(catalog_rows(first)) == 60


def test_catalog_looks_like_industrial_parts(tmp_path: Path) -> None:
    _, connection = seeded(tmp_path, "shop", "--products", "300")
    roots, children = connection.execute(
        "SELECT count(*) FILTER (WHERE parent IS NULL), count(parent) FROM category"
    ).fetchone()
    assert roots >= 8 and children > roots
    assert connection.execute("SELECT count(DISTINCT brand) FROM product").fetchone()[0] >= 15
    assert connection.execute("SELECT min(price_minor) > 0 FROM product").fetchone()[0] == 1
    no_images = connection.execute(
        "SELECT count(*) FROM product p WHERE NOT EXISTS "
        "(SELECT 1 FROM product_image i WHERE i.product = p.id)"
    ).fetchone()[0]
    assert no_images == 0
    found = connection.execute(
        "SELECT count(*) FROM product_words WHERE product_words MATCH '\"sensor\"'"
    ).fetchone()[0]
    assert found > 0, "the full-text index follows the seeded products"


def test_seed_sets_up_shipping_coupons_discounts_and_redeeming_products(tmp_path: Path) -> None:
    _, connection = seeded(tmp_path, "checkout", "--products", "300")
    zones = dict(connection.execute("SELECT code, countries FROM shipping_zone").fetchall())
    assert set(zones) == {"china", "asia", "europe", "north-america", "world"}
    assert "CN" in zones["china"] and zones["world"] == "[]"
    methods = connection.execute("SELECT code FROM shipping_method ORDER BY position").fetchall()
    assert methods == [("standard",), ("express",), ("freight",)]
    # Every zone has every method, and one of them takes any weight.
    rates = connection.execute(
        "SELECT zone, count(*), count(*) - count(max_weight_grams) FROM shipping_rate GROUP BY zone"
    ).fetchall()
    assert [(count, unlimited) for _, count, unlimited in rates] == [(3, 1)] * 5
    coupons = connection.execute(
        "SELECT code, kind, value, min_subtotal_minor, usage_limit, per_account_limit, times_used "
        "FROM coupon ORDER BY code"
    ).fetchall()
    assert coupons == [
        ("SAVE20", "fixed", 2_000, 20_000, 1_000, 1, 0),
        ("WELCOME10", "percent", 10, 5_000, None, 1, 0),
    ]
    assert connection.execute(
        "SELECT percent, min_subtotal_minor, active FROM auto_discount"
    ).fetchall() == [(5, 100_000, 1)]
    redeeming = connection.execute(
        "SELECT price_minor, points_price, stock FROM product WHERE points_price IS NOT NULL"
    ).fetchall()
    assert len(redeeming) == 6
    cheapest_in_stock = connection.execute(
        "SELECT max(price_minor) FROM (SELECT price_minor FROM product WHERE stock > 0 "
        "ORDER BY price_minor, sku LIMIT 6)"
    ).fetchone()[0]
    for price, points, stock in redeeming:
        assert stock > 0 and price <= cheapest_in_stock
        assert points >= price and points % 100 == 0


def test_seed_refuses_a_catalog_that_has_products(tmp_path: Path) -> None:
    database, connection = seeded(tmp_path, "full", "--products", "20")
    again = subprocess.run(
        [sys.executable, "-m", "okmarts.cli", "seed", "--products", "20"],
        env=database.env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 1 and "not empty" in again.stderr
    okmarts("seed", "--if-empty", env=database.env())
    assert connection.execute("SELECT count(*) FROM product").fetchone()[0] == 20


@pytest.mark.parametrize("products", ["0", "200001"])
def test_seed_rejects_impossible_sizes(tmp_path: Path, products: str) -> None:
    data_dir = tmp_path / f"size{products}"
    database = TestDatabase("sqlite", f"sqlite:///{data_dir / 'db.sqlite3'}", data_dir)
    okmarts("migrate", env=database.env())
    result = subprocess.run(
        [sys.executable, "-m", "okmarts.cli", "seed", "--products", products],
        env=database.env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
