"""Translators' catalogs: every language offered to shoppers is complete, every catalog is sound.

A language is offered from OKMARTS_LANGUAGE_MIN_COMPLETION (80 %) on (okmarts.completion); one in
progress below that may sit in locales/ without failing these tests, but its placeholders and
plural forms are checked all the same (so is everything else, by `make install`).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from babel.support import Translations

from okmarts.completion import catalog_languages, offered_languages
from okmarts.settings import PROJECT_DIR, Settings

LOCALES = PROJECT_DIR / "locales"
# Every language offered is complete: adding one is adding its catalog, no code and no list here.
COMPLETE_LANGUAGES = offered_languages(LOCALES, Settings.language_min_completion)
# Every catalog, offered or still in progress.
ALL_LANGUAGES = catalog_languages(LOCALES)
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "N_": None,
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
}


def source_messages() -> set[tuple[str | None, str]]:
    """(msgctxt, msgid) of every string of code and templates."""
    with open(PROJECT_DIR / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: set[tuple[str | None, str]] = set()
    for _, _, message, _, context in extract_from_dir(
        str(PROJECT_DIR), method_map, options_map, keywords=KEYWORDS
    ):
        found.add((context, message if isinstance(message, str) else message[0]))
    return found


def catalog(language: str):  # type: ignore[no-untyped-def]
    with open(LOCALES / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=language)


def test_the_shipped_languages() -> None:
    assert {"zh_Hans", "es"} <= set(COMPLETE_LANGUAGES)


def test_sources_have_strings() -> None:
    messages = {msgid for _, msgid in source_messages()}
    assert "Search" in messages and "Technical specifications" in messages
    assert len(messages) > 100


@pytest.mark.parametrize("language", COMPLETE_LANGUAGES)
def test_every_string_is_in_the_catalog_and_translated(language: str) -> None:
    po = catalog(language)
    missing = sorted(
        msgid if context is None else f"{context}|{msgid}"
        for context, msgid in source_messages()
        if po.get(msgid, context=context) is None
    )
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


@pytest.mark.parametrize("language", ALL_LANGUAGES)
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


@pytest.mark.parametrize("language", ALL_LANGUAGES)
def test_plural_forms_follow_the_language(language: str) -> None:
    po = catalog(language)
    # CLDR's plural categories for the language: Chinese has one form, Spanish three.
    forms = len(Locale.parse(language).plural_form.tags | {"other"})
    assert po.num_plurals == forms, po.plural_forms
    for message in po:
        if message.id and isinstance(message.id, tuple) and any(message.string):
            assert len(message.string) == forms and all(message.string), message.id


def test_spanish_plurals_choose_the_right_form() -> None:
    spanish = Translations.load(str(LOCALES), ["es"], domain="messages")
    one = spanish.ngettext("%(num)s review", "%(num)s reviews", 1) % {"num": 1}
    two = spanish.ngettext("%(num)s review", "%(num)s reviews", 2) % {"num": 2}
    assert (one, two) == ("1 reseña", "2 reseñas")


def test_a_language_in_progress_is_not_offered_nor_required_complete(tmp_path: Path) -> None:
    locales = tmp_path / "locales"
    (locales / "de" / "LC_MESSAGES").mkdir(parents=True)
    (locales / "messages.pot").write_text(
        "".join(f'msgid "String {n}"\nmsgstr ""\n\n' for n in range(59))
    )
    # 1 of 59 strings: 1.7 %, as the German catalog that greeted every German browser.
    (locales / "de" / "LC_MESSAGES" / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Language: de\\n"\n\nmsgid "String 0"\nmsgstr "Zeichenkette 0"\n'
    )
    assert catalog_languages(locales) == ["de"]
    assert offered_languages(locales) == []
    assert offered_languages(locales, preview=["de"]) == ["de"]
    assert set(COMPLETE_LANGUAGES) <= set(ALL_LANGUAGES)


# -- Context for translators ----------------------------------------------------------------------


def makefile_extract_command() -> list[str]:
    makefile = (PROJECT_DIR / "Makefile").read_text()
    [line] = [line for line in makefile.splitlines() if "pybabel extract" in line]
    return shlex.split(line.replace("$(BIN)/", ""))


def test_translator_comments_reach_the_catalogs(tmp_path: Path) -> None:
    """`make i18n` keeps `# TRANSLATORS:` and `{# TRANSLATORS: #}` comments for translators."""
    command = makefile_extract_command()
    assert "-c" in command, "pybabel extract needs -c TRANSLATORS: to keep the comments"
    tag = command[command.index("-c") + 1]
    pages = tmp_path / "src" / "okmarts" / "pages"
    pages.mkdir(parents=True)
    (pages / "coupon.html").write_text(
        "{# TRANSLATORS: button that applies the coupon code typed beside it #}\n"
        '<button>{{ _("Apply") }}</button>\n'
        '<button>{{ pgettext("product filters", "Apply") }}</button>\n'
    )
    (tmp_path / "src" / "okmarts" / "statuses.py").write_text(
        "# TRANSLATORS: status of a privacy request, not a verb\nOPEN = N_('Open')\n"
    )
    with open(PROJECT_DIR / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = {
        (context, message): comments
        for _, _, message, comments, context in extract_from_dir(
            str(tmp_path), method_map, options_map, keywords=KEYWORDS, comment_tags=(tag,)
        )
    }
    assert found[(None, "Apply")] == ["button that applies the coupon code typed beside it"]
    assert ("product filters", "Apply") in found, "msgctxt from pgettext"
    assert found[(None, "Open")] == ["TRANSLATORS: status of a privacy request, not a verb"]


# -- What TRANSLATING.md promises -----------------------------------------------------------------

GUIDE = (PROJECT_DIR / "TRANSLATING.md").read_text()


def test_the_guide_gives_the_plural_header_the_checks_require() -> None:
    count, expression = get_plural(Locale.parse("es"))
    header = f"nplurals={count}; plural={expression};"
    assert header in GUIDE
    assert catalog("es").plural_forms == header, "the Spanish catalog has it too"
    assert "nplurals=2; plural=(n != 1);" in GUIDE, "and names the one Poedit and Weblate write"


def test_the_guide_says_how_to_check_and_see_a_change() -> None:
    for needed in [
        "python -m okmarts.catalog_check",
        "OKMARTS_LANGUAGE_PREVIEW",
        "preview_language",
    ]:
        assert needed in GUIDE, needed
    for setting in re.findall(r"`(OKMARTS_[A-Z_]+)`", GUIDE):
        assert setting.lower().removeprefix("okmarts_") in Settings.__dataclass_fields__ or (
            setting in {"OKMARTS_DEBUG", "OKMARTS_PSEUDO_LOCALE", "OKMARTS_LOCALES_DIR"}
        ), setting


def test_the_guides_weblate_settings_match_the_repository() -> None:
    mask = re.search(r"\| File mask \| `([^`]+)` \|", GUIDE)
    template = re.search(r"\| Template for new translations \| `([^`]+)` \|", GUIDE)
    assert mask and template
    assert sorted(PROJECT_DIR.glob(mask.group(1))) == sorted(
        LOCALES.glob("*/LC_MESSAGES/messages.po")
    )
    assert (PROJECT_DIR / template.group(1)).exists()
