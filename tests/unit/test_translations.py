"""Translators' catalogs are complete: every string of code and templates, translated."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel import Locale
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.support import Translations

from okmarts.settings import PROJECT_DIR

LOCALES = PROJECT_DIR / "locales"
# Every language shipped is complete: adding one is adding its catalog, no code and no list here.
COMPLETE_LANGUAGES = sorted(
    path.parent.parent.name
    for path in LOCALES.glob("*/LC_MESSAGES/messages.po")
    if not path.parent.parent.name.startswith("_")
)


def source_messages() -> set[str]:
    with open(PROJECT_DIR / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: set[str] = set()
    for _, _, message, _, _ in extract_from_dir(
        str(PROJECT_DIR),
        method_map,
        options_map,
        keywords={"_": None, "gettext": None, "ngettext": (1, 2), "N_": None},
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def catalog(language: str):  # type: ignore[no-untyped-def]
    with open(LOCALES / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=language)


def test_the_shipped_languages() -> None:
    assert {"zh_Hans", "es"} <= set(COMPLETE_LANGUAGES)


def test_sources_have_strings() -> None:
    messages = source_messages()
    assert "Search" in messages and "Technical specifications" in messages
    assert len(messages) > 100


@pytest.mark.parametrize("language", COMPLETE_LANGUAGES)
def test_every_string_is_in_the_catalog_and_translated(language: str) -> None:
    po = catalog(language)
    missing = sorted(m for m in source_messages() if m not in po)
    assert not missing, f"run `make i18n`: missing from {language}: {missing[:20]}"
    untranslated = sorted(
        str(message.id)
        for message in po
        if message.id
        and (not message.string or (isinstance(message.string, tuple) and not all(message.string)))
    )
    assert not untranslated, f"untranslated in {language}: {untranslated[:20]}"
    fuzzy = sorted(str(message.id) for message in po if message.id and message.fuzzy)
    assert not fuzzy, f"fuzzy (unchecked) in {language}: {fuzzy[:20]}"


@pytest.mark.parametrize("language", COMPLETE_LANGUAGES)
def test_placeholders_survive_translation(language: str) -> None:
    po = catalog(language)
    errors = [
        (str(message.id), problems)
        for message in po
        if message.id
        for problems in [message.check(po)]
        if problems
    ]
    assert not errors, errors[:10]


def test_every_language_has_a_compiled_catalog() -> None:
    for po_file in LOCALES.glob("*/LC_MESSAGES/messages.po"):
        assert po_file.with_suffix(".mo").exists(), f"{po_file} is not compiled: run `make install`"
        assert Path(po_file.with_suffix(".mo")).stat().st_mtime >= po_file.stat().st_mtime - 1


@pytest.mark.parametrize("language", COMPLETE_LANGUAGES)
def test_plural_forms_follow_the_language(language: str) -> None:
    po = catalog(language)
    # CLDR's plural categories for the language: Chinese has one form, Spanish three.
    forms = len(Locale.parse(language).plural_form.tags | {"other"})
    assert po.num_plurals == forms, po.plural_forms
    for message in po:
        if message.id and isinstance(message.id, tuple):
            assert len(message.string) == forms and all(message.string), message.id


def test_spanish_plurals_choose_the_right_form() -> None:
    spanish = Translations.load(str(LOCALES), ["es"], domain="messages")
    one = spanish.ngettext("%(num)s review", "%(num)s reviews", 1) % {"num": 1}
    two = spanish.ngettext("%(num)s review", "%(num)s reviews", 2) % {"num": 2}
    assert (one, two) == ("1 reseña", "2 reseñas")
