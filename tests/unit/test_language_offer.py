"""Which languages shoppers are offered, and how translators see the others.

A catalog dropped into locales/ at 1.7 % must not greet every German browser (nor fail `make
test`): a language is offered from OKMARTS_LANGUAGE_MIN_COMPLETION (80 %) on. A translator sees
theirs before that with OKMARTS_LANGUAGE_PREVIEW=de, or with ?preview_language=de in debug mode,
where catalogs also reload when their files change.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts import i18n
from okmarts.app import create_app
from okmarts.catalog_check import check_and_compile
from okmarts.completion import DEFAULT_MIN_COMPLETION, completion_by_language, offered_languages
from okmarts.i18n import Catalogs, current_locale
from okmarts.services import messaging
from okmarts.settings import PROJECT_DIR, Settings
from tests.conftest import TestDatabase
from tests.unit.conftest import settings_for

GERMAN_START = {"Cart": "Warenkorb", "Search": "Suchen", "Language": "Sprache"}


@pytest.fixture(autouse=True)
def _emails_use_the_shipped_catalogs() -> Iterator[None]:
    # create_app points email rendering (a module global) at its locales dir: put it back.
    yield
    messaging.configure_email_rendering(PROJECT_DIR / "locales")


def german_catalog(locales: Path, share: float, extra: dict[str, str] | None = None) -> Path:
    """locales/de from the source catalog, `share` of it translated (Cart, Search… first)."""
    with open(locales / "messages.pot", "rb") as handle:
        template = read_po(handle)
    catalog = Catalog(locale="de")
    catalog.update(template)
    wanted = math.ceil(share * sum(1 for message in catalog if message.id))
    translated = 0
    for message in catalog:
        if message.id in {**GERMAN_START, **(extra or {})}:
            message.string = {**GERMAN_START, **(extra or {})}[message.id]
            translated += 1
    for message in catalog:
        if translated >= wanted:
            break
        if message.id and not message.string and isinstance(message.id, str):
            message.string = f"[de] {message.id}"
            translated += 1
    folder = locales / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "messages.po", "wb") as handle:
        write_po(handle, catalog)
    report = check_and_compile(folder / "messages.po", msgfmt=False)
    assert not report.errors, report.errors
    return folder / "messages.po"


@pytest.fixture
def locales(tmp_path: Path) -> Path:
    """A copy of the shop's catalogs, plus German at 1.7 %."""
    copy = tmp_path / "locales"
    shutil.copytree(PROJECT_DIR / "locales", copy)
    german_catalog(copy, 0.017)
    return copy


def test_a_barely_started_catalog_is_not_offered(locales: Path) -> None:
    completion = completion_by_language(locales)
    assert 1.0 < completion["de"].percent < 2.5
    assert "de" not in offered_languages(locales)
    assert {"es", "zh_Hans"} <= set(offered_languages(locales))
    catalogs = Catalogs(locales)
    assert "de" not in catalogs.available and "de" in catalogs.present
    assert catalogs.negotiate("de-DE,de;q=0.9,en;q=0.5") == "en"
    assert catalogs.negotiate("de-DE,de;q=0.9,es;q=0.5") == "es"
    assert catalogs.match("de") is None, "nor by the language cookie"


def test_the_threshold_is_a_setting(locales: Path) -> None:
    assert Settings.language_min_completion == DEFAULT_MIN_COMPLETION == 80.0
    assert "de" in Catalogs(locales, min_completion=1.0).available
    german_catalog(locales, 0.85)
    assert "de" in Catalogs(locales).available


def test_a_translator_previews_with_a_setting(locales: Path) -> None:
    catalogs = Catalogs(locales, preview=["de"])
    assert "de" in catalogs.available
    assert catalogs.negotiate("de-DE,de;q=0.9") == "de"
    assert catalogs.match("de") == "de"


def test_a_translator_previews_with_a_query_parameter_in_debug_mode_only(locales: Path) -> None:
    assert Catalogs(locales).preview("de") is None
    debug = Catalogs(locales, debug=True)
    assert debug.preview("de") == "de" and debug.preview("de-AT") == "de"
    assert debug.preview("fr") is None and debug.preview(None) is None
    assert "de" not in debug.available, "previewing offers it to nobody else"


def test_the_settings_come_from_the_environment(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "OKMARTS_DATA_DIR": str(tmp_path),
            "OKMARTS_SECRET_KEY": "x" * 40,
            "OKMARTS_LANGUAGE_MIN_COMPLETION": "50",
            "OKMARTS_LANGUAGE_PREVIEW": "de, fr",
        }
    )
    assert settings.language_min_completion == 50.0
    assert settings.language_preview == ("de", "fr")
    catalogs = Catalogs.from_settings(replace(settings, locales_dir=PROJECT_DIR / "locales"))
    assert (catalogs.min_completion, catalogs.preview_languages) == (50.0, ("de", "fr"))
    defaults = Settings.from_env({"OKMARTS_DATA_DIR": str(tmp_path), "OKMARTS_SECRET_KEY": "x"})
    assert (defaults.language_min_completion, defaults.language_preview) == (80.0, ())


def set_translation(po: Path, msgid: str, msgstr: str) -> None:
    """Edit one entry as a translator's text editor would, and move the file's clock on."""
    text = po.read_text(encoding="utf-8")
    lines = text.splitlines()
    index = lines.index(f'msgid "{msgid}"')
    lines[index + 1] = f'msgstr "{msgstr}"'
    po.write_text("\n".join(lines) + "\n", encoding="utf-8")
    later = po.with_suffix(".mo").stat().st_mtime + 5
    os.utime(po, (later, later))


def test_debug_mode_reloads_an_edited_catalog(
    locales: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(i18n, "RELOAD_SECONDS", 0.0)
    po = locales / "es" / "LC_MESSAGES" / "messages.po"
    catalogs = Catalogs(locales, debug=True)
    token = current_locale.set("es")
    try:
        before = catalogs.gettext("Cart")
        set_translation(po, "Cart", "Mi carrito")
        assert catalogs.gettext("Cart") == "Mi carrito", "the .po is compiled and reloaded"
        set_translation(po, "%(average)s out of 5", "%(media)s de 5")
        with caplog.at_level(logging.WARNING):
            assert catalogs.gettext("Cart") == "Mi carrito", "the last good catalog stays"
        assert any("%(media)s" in record.getMessage() for record in caplog.records)
        assert "messages.po:" in caplog.text, "the problem is named with its line"
    finally:
        current_locale.reset(token)
    assert before != "Mi carrito"
    # Outside debug mode nothing is looked at again.
    steady = Catalogs(locales)
    set_translation(po, "Cart", "Carrito nuevo")
    assert steady.translations("es").gettext("Cart") == "Mi carrito"


# -- over HTTP ------------------------------------------------------------------------------------


def app_for(database: TestDatabase, locales: Path, **changes: object) -> Litestar:
    return create_app(replace(settings_for(database), locales_dir=locales, **changes))


def wired(app: Litestar, **expected: object) -> bool:
    """Whether app.py hands the language settings to Catalogs (Catalogs.from_settings)."""
    catalogs: Catalogs = app.state.catalogs
    return all(getattr(catalogs, name) == value for name, value in expected.items())


async def test_german_browsers_get_english_until_german_is_ready(
    seeded_database: TestDatabase, locales: Path
) -> None:
    app = app_for(seeded_database, locales)
    async with AsyncTestClient(app=app) as client:
        page = await client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"})
        assert page.status_code == 200
        assert '<html lang="en">' in page.text and "Warenkorb" not in page.text
        assert 'value="de"' not in page.text, "not in the language chooser"
        assert 'value="es"' in page.text
        client.cookies.set("okmarts_lang", "de")
        chosen = await client.get("/")
        assert '<html lang="en">' in chosen.text


async def test_the_preview_setting_offers_the_language(
    seeded_database: TestDatabase, locales: Path
) -> None:
    app = app_for(seeded_database, locales, language_preview=("de",))
    if not wired(app, preview_languages=("de",)):
        pytest.skip("app.py does not pass the settings yet: i18n.Catalogs.from_settings")
    async with AsyncTestClient(app=app) as client:
        page = await client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"})
        assert '<html lang="de">' in page.text and "Warenkorb" in page.text
        assert 'value="de"' in page.text


async def test_debug_mode_previews_with_a_query_parameter(
    seeded_database: TestDatabase, locales: Path
) -> None:
    app = app_for(seeded_database, locales, debug=True)
    if not wired(app, debug=True):
        pytest.skip("app.py does not pass the settings yet: i18n.Catalogs.from_settings")
    async with AsyncTestClient(app=app) as client:
        page = await client.get(f"/?{i18n.PREVIEW_PARAMETER}=de")
        assert page.status_code == 200
        assert '<html lang="de">' in page.text and "Warenkorb" in page.text
        assert 'value="de"' not in page.text, "a preview, not an offer"
        plain = await client.get("/", headers={"Accept-Language": "de"})
        assert '<html lang="en">' in plain.text
    production = app_for(seeded_database, locales)
    async with AsyncTestClient(app=production) as client:
        page = await client.get(f"/?{i18n.PREVIEW_PARAMETER}=de")
        assert '<html lang="en">' in page.text, "never outside debug mode"
