"""The privacy policy in the reader's language: a translation is a text file beside the English."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.app import create_app
from okmarts.services.content import POLICY_DIR, current_policy_version, privacy_policy
from okmarts.settings import PROJECT_DIR
from okmarts.translation_stats import language_stats
from tests.conftest import TestDatabase
from tests.unit.conftest import settings_for

Client = AsyncTestClient[Litestar]

TRANSLATED = {
    "zh_Hans": ("zh-CN,zh;q=0.9", "Okmarts 平台基本功能隐私政策"),
    "es": ("es-ES,es;q=0.9", "Política de privacidad de las funciones básicas"),
}
ENGLISH_TITLE = "Okmarts Platform Basic Function Privacy Policy"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translation_keeps_every_paragraph_and_list_item(language: str) -> None:
    english = privacy_policy("en")
    translated = privacy_policy(language)
    assert translated != english
    # Paragraph N of a translation says what paragraph N of the English says: none dropped.
    assert len(translated) == len(english)
    assert [b.kind for b in translated if b.kind == "item"] == [
        b.kind for b in english if b.kind == "item"
    ]
    # Contact details and periods survive translation unchanged.
    text = " ".join(block.text for block in translated)
    for fact in ["privacy@okmarts.com", "+86-028-84166335", "15", "14", "50"]:
        assert fact in text, fact


@pytest.mark.parametrize("language", TRANSLATED)
async def test_privacy_page_is_shown_in_the_readers_language(client: Client, language: str) -> None:
    accept, title = TRANSLATED[language]
    response = await client.get("/privacy", headers={"Accept-Language": accept})
    assert response.status_code == 200
    assert title in response.text
    assert ENGLISH_TITLE not in response.text


async def test_a_language_without_a_translation_reads_the_english(client: Client) -> None:
    response = await client.get("/privacy", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert ENGLISH_TITLE in response.text


def test_stats_count_what_translators_still_have_to_do(tmp_path) -> None:  # type: ignore[no-untyped-def]
    locales = tmp_path / "locales"
    (locales / "de" / "LC_MESSAGES").mkdir(parents=True)
    (locales / "messages.pot").write_text(
        'msgid ""\nmsgstr ""\n\nmsgid "Cart"\nmsgstr ""\n\nmsgid "Search"\nmsgstr ""\n\n'
        'msgid "Orders"\nmsgstr ""\n'
    )
    (locales / "de" / "LC_MESSAGES" / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Language: de\\n"\n\nmsgid "Cart"\nmsgstr "Warenkorb"\n\n'
        '#, fuzzy\nmsgid "Search"\nmsgstr "Suche"\n'
    )
    [german] = language_stats(locales)
    assert (german.code, german.total, german.translated) == ("de", 3, 1)
    assert (german.fuzzy, german.untranslated, german.missing) == (1, 0, 1)
    assert not german.policy_translated


def test_stats_of_the_shipped_languages() -> None:
    stats = {item.code: item for item in language_stats(PROJECT_DIR / "locales")}
    for language in TRANSLATED:
        assert stats[language].percent == 100.0
        assert stats[language].policy_translated
        assert (POLICY_DIR / f"{current_policy_version()}.{language}.txt").exists()
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", current_policy_version())


async def test_a_dropped_in_catalog_is_a_new_language_without_code(
    seeded_database: TestDatabase, tmp_path: Path
) -> None:
    """What TRANSLATING.md promises: copy a .po in, compile (make install does), it's offered."""
    locales = tmp_path / "locales"
    shutil.copytree(PROJECT_DIR / "locales", locales)
    german = locales / "de" / "LC_MESSAGES"
    german.mkdir(parents=True)
    (german / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Language: de\\n"\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Search"\nmsgstr "Suchen"\n',
        encoding="utf-8",
    )
    compile_catalogs = [sys.executable, "-m", "babel.messages.frontend", "compile"]
    subprocess.run([*compile_catalogs, "-d", str(locales), "-D", "messages"], check=True)
    app = create_app(
        replace(settings_for(seeded_database), locales_dir=locales, language_preview=("de",))
    )
    async with AsyncTestClient(app=app) as client:
        english = await client.get("/")
        assert '<option value="de"' in english.text and "Deutsch" in english.text
        german_page = await client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"})
        assert '<html lang="de">' in german_page.text
        assert ">Suchen<" in german_page.text
