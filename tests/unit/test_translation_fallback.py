"""A translator's typo never costs a page: the English text is shown instead, and logged once.

The catalogs here are compiled with Babel's write_mo directly, as Poedit's "compile on save" or
an old build would: bypassing okmarts.catalog_check, which refuses them.
"""

from __future__ import annotations

import gettext
import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from jinja2 import Environment, select_autoescape
from litestar.testing import AsyncTestClient

from okmarts import i18n
from okmarts.app import create_app
from okmarts.i18n import Catalogs, Message, current_locale, format_or_source
from okmarts.services import messaging
from okmarts.settings import PROJECT_DIR
from tests.conftest import TestDatabase
from tests.unit.conftest import settings_for

# (msgid, msgstr): a good entry, and the typos translators made.
GERMAN = [
    ("Cart", "Warenkorb"),
    (("%(num)s product", "%(num)s products"), ("%(anzahl)s Produkt", "%(anzahl)s Produkte")),
    ("Only %(num)s left in stock", "Nur noch %(anzahl)s auf Lager"),
    ("Free", "100 % gratis"),
    ("Search: %(query)s", "Suche: <b>%(query)s</b>"),
]


@pytest.fixture(autouse=True)
def _emails_use_the_shipped_catalogs() -> Iterator[None]:
    # create_app points email rendering (a module global) at its locales dir: put it back.
    yield
    messaging.configure_email_rendering(PROJECT_DIR / "locales")


def compile_unchecked(locales: Path, code: str = "de", entries=GERMAN) -> Path:  # type: ignore[no-untyped-def]
    """Write locales/<code>/LC_MESSAGES/messages.po and .mo without checking anything."""
    folder = locales / code / "LC_MESSAGES"
    folder.mkdir(parents=True, exist_ok=True)
    catalog = Catalog(locale=code)
    for msgid, msgstr in entries:
        catalog.add(msgid, msgstr, flags=["python-format"])
    (folder / "messages.po").write_text(
        "".join(f'msgid "{m if isinstance(m, str) else m[0]}"\nmsgstr "x"\n\n' for m, _ in entries)
    )
    with open(folder / "messages.mo", "wb") as handle:
        write_mo(handle, catalog)
    return folder / "messages.mo"


@pytest.fixture
def german(tmp_path: Path):  # type: ignore[no-untyped-def]
    compile_unchecked(tmp_path)
    token = current_locale.set("de")
    yield Catalogs(tmp_path)
    current_locale.reset(token)


def test_broken_translations_are_dropped_when_loaded(german: Catalogs) -> None:
    assert german.gettext("Cart") == "Warenkorb", "good translations stay"
    assert german.gettext("Only %(num)s left in stock") == "Only %(num)s left in stock"
    assert german.ngettext("%(num)s product", "%(num)s products", 3) == "%(num)s products"
    assert german.gettext("Free") == "Free", "a lone % would fail every template's formatting"
    assert german.gettext("Search: %(query)s") == "Search: %(query)s", "markup the English lacks"


def test_each_dropped_translation_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    compile_unchecked(tmp_path)
    catalogs = Catalogs(tmp_path)
    with caplog.at_level(logging.WARNING, logger="okmarts.i18n"):
        for _ in range(3):
            catalogs.translations("de").gettext("Only %(num)s left in stock")
    logged = [r.getMessage() for r in caplog.records if "Only %(num)s left" in r.getMessage()]
    assert len(logged) == 1 and "%(anzahl)s" in logged[0]


def test_jinja_newstyle_gettext_shows_the_english(german: Catalogs) -> None:
    # As app.py installs the callables today, and as Catalogs.install_gettext does.
    plain = Environment(extensions=["jinja2.ext.i18n"], autoescape=select_autoescape(["html"]))
    plain.install_gettext_callables(german.gettext, german.ngettext, newstyle=True)  # type: ignore[attr-defined]
    safe = Environment(extensions=["jinja2.ext.i18n"], autoescape=select_autoescape(["html"]))
    german.install_gettext(safe)
    source = (
        '{{ _("Cart") }} | {{ _("Only %(num)s left in stock", num=3) }} | '
        '{{ ngettext("%(num)s product", "%(num)s products", 2) }} | {{ _("Free") }}'
    )
    expected = "Warenkorb | Only 3 left in stock | 2 products | Free"
    assert plain.from_string(source).render() == expected
    assert safe.from_string(source).render() == expected


def test_formatting_falls_back_even_past_the_load_check(
    german: Catalogs, caplog: pytest.LogCaptureFixture
) -> None:
    # A catalog loaded some other way (no check at all): formatting itself falls back.
    with open(german.locales_dir / "de" / "LC_MESSAGES" / "messages.mo", "rb") as handle:
        german._translations["de"] = gettext.GNUTranslations(handle)
    env = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    german.install_gettext(env)
    with caplog.at_level(logging.WARNING, logger="okmarts.i18n"):
        rendered = env.from_string(
            '{{ _("Only %(num)s left in stock", num=3) }} | '
            '{{ ngettext("%(num)s product", "%(num)s products", 2) }} | {{ pgettext("x", "Cart") }}'
        ).render()
    assert rendered == "Only 3 left in stock | 2 products | Cart"
    assert german.message(Message("Only %(num)s left in stock", {"num": 4})) == (
        "Only 4 left in stock"
    )
    assert format_or_source("%(anzahl)s übrig", "%(num)s left", {"num": 2}) == "2 left"
    assert any("cannot be formatted" in record.getMessage() for record in caplog.records)


def test_a_corrupt_compiled_catalog_means_english(tmp_path: Path) -> None:
    mo = compile_unchecked(tmp_path)
    mo.write_bytes(mo.read_bytes()[:40])
    assert isinstance(i18n.load_translations(tmp_path, ["de"]), gettext.NullTranslations)
    assert Catalogs(tmp_path).translations("de").gettext("Cart") == "Cart"


async def test_a_placeholder_typo_does_not_break_the_product_pages(
    seeded_database: TestDatabase, tmp_path: Path
) -> None:
    compile_unchecked(tmp_path)
    app = create_app(replace(settings_for(seeded_database), locales_dir=tmp_path))
    async with AsyncTestClient(app=app) as client:
        listing = await client.get("/products", headers={"Accept-Language": "de-DE,de;q=0.9"})
        assert listing.status_code == 200
        assert 'lang="de"' in listing.text and "Warenkorb" in listing.text, "German is in use"
        assert " products" in listing.text and "Produkte" not in listing.text
        search = await client.get("/search?q=relay", headers={"Accept-Language": "de"})
        assert search.status_code == 200
        assert "Search: relay" in search.text
