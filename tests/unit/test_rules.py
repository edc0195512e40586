"""Small rules that need no database."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar.exceptions import NotFoundException

from okmarts.controllers.catalog import LinkBuilder, page_number, parse_price
from okmarts.db import KeptConnectionSQLiteEngine, engine_from_url
from okmarts.i18n import Catalogs, current_locale, money
from okmarts.settings import PROJECT_DIR, load_or_create_secret
from okmarts.web import safe_next


def test_prices_parse_to_exact_cents() -> None:
    assert parse_price("12.50") == (1250, None)
    assert parse_price("0.1") == (10, None)
    assert parse_price("7,25") == (725, None)
    assert parse_price("") == (None, None)
    for bad in ["abc", "-1", "NaN", "Infinity", "1e30", "12.345", "1_000", "²", "٣"]:
        value, error = parse_price(bad)
        assert value is None and error


def test_links_keep_filters_and_reset_the_page() -> None:
    links = LinkBuilder("/products", [("brand", "abb"), ("brand", "omron"), ("page", "3")])
    assert links.with_(page=4) == "/products?brand=abb&brand=omron&page=4"
    assert links.with_(sort="newest") == "/products?brand=abb&brand=omron&sort=newest"
    assert links.with_(page=1) == "/products?brand=abb&brand=omron"


def test_redirects_stay_on_site() -> None:
    assert safe_next("/products?page=2") == "/products?page=2"
    for bad in [None, "", "https://x.example", "//x.example", "x", "/\\x.example", "/a\nb"]:
        assert safe_next(bad) == "/"


def test_page_numbers_are_whole_numbers_in_range() -> None:
    assert page_number(None) == 1
    assert page_number("3") == 3
    for bad in ["-2", "0", "x", "²", "999999999"]:
        with pytest.raises(NotFoundException):
            page_number(bad)


@pytest.mark.filterwarnings("ignore:.*Unable to fetch server version")
def test_database_urls() -> None:
    engine = engine_from_url("sqlite:////tmp/okmarts-url-test/db.sqlite3")
    assert (
        isinstance(engine, KeptConnectionSQLiteEngine)
        and engine.path == "/tmp/okmarts-url-test/db.sqlite3"
    )
    postgres = engine_from_url("postgresql://shop:s%40cret@db.internal:6543/okmarts")
    assert postgres.config["user"] == "shop" and postgres.config["password"] == "s@cret"
    assert postgres.config["port"] == 6543 and postgres.config["database"] == "okmarts"


def test_secret_key_is_generated_once(tmp_path: Path) -> None:
    first = load_or_create_secret(tmp_path)
    assert len(first) >= 40
    assert load_or_create_secret(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_languages_negotiate_from_the_browser() -> None:
    catalogs = Catalogs(PROJECT_DIR / "locales")
    assert catalogs.negotiate("zh-CN,zh;q=0.9") == "zh_Hans"
    assert catalogs.negotiate("fr-FR,zh;q=0.5") == "zh_Hans"
    assert catalogs.negotiate("zh-TW") == "en"  # Traditional Chinese is not Simplified
    assert catalogs.negotiate("de, en;q=0.1") == "en"
    assert catalogs.negotiate(None) == "en"


def test_money_is_formatted_for_the_locale_without_floats() -> None:
    token = current_locale.set("en")
    try:
        assert money(123456789, "USD") == "$1,234,567.89"
        assert money(1, "USD") == "$0.01"
        assert money(1500, "JPY") == "¥1,500"
        current_locale.set("zh_Hans")
        assert money(123456, "USD") == "US$1,234.56"
    finally:
        current_locale.reset(token)
