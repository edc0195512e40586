"""The pseudo-locale generator: accented, ~40% longer, marked, placeholders and markup intact,
plural forms filled; and the shop offers it only when the setting is on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.checkers import python_format
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po, write_po
from babel.support import Translations

from okmarts import i18n, pseudo_locale
from okmarts.i18n import Catalogs, current_locale
from okmarts.pseudo_locale import CLOSE, OPEN, PSEUDO_LOCALE, pseudo_translate, write_catalog
from okmarts.settings import PROJECT_DIR, Settings

POT = PROJECT_DIR / "locales" / "messages.pot"
PLACEHOLDERS = re.compile(r"%\([a-z_]+\)[sd]|%[sd%]|\{\{|\}\}|\{[a-z_0-9]*\}|<[^>]+>|&[a-z]+;")


def marked(text: str) -> str:
    assert text.startswith(OPEN) and text.endswith(CLOSE), text
    return text[1:-1]


@pytest.mark.parametrize(
    "msgid",
    [
        "Cart",
        "Search by name, SKU, brand or spec",
        "Okmarts is closing on %(date)s.",
        "Page %(page)s of %(pages)s",
        "Up to %s items, %d left, 50%% off",
        "Hello {name}, your order {0} ships {{soon}}",
        'Read the <a href="/comment-rules" class="x">comment rules</a> &amp; agree&nbsp;now',
    ],
)
def test_placeholders_and_markup_survive_and_prose_is_accented(msgid: str) -> None:
    translated = pseudo_translate(msgid)
    assert PLACEHOLDERS.findall(translated) == PLACEHOLDERS.findall(msgid)
    prose = PLACEHOLDERS.sub("", marked(translated))
    assert not re.search(r"[A-Za-z]", prose), f"letters left unaccented in {translated!r}"
    # What the code does with the translation still works: Python's %-formatting.
    if "%(" in msgid:
        values = dict.fromkeys(re.findall(r"%\(([a-z_]+)\)", msgid), "7")
        assert "7" in translated % values


@pytest.mark.parametrize(
    "msgid",
    [
        "Technical specifications",
        "Okmarts uses the cookies the shop needs to work. With your permission we would also "
        "remember your preferences, count visits (analytics) and measure marketing.",
        "Only %(num)s left in stock",
        "Rhythm",  # no vowels to double: the fill makes up the length
    ],
)
def test_translations_run_about_forty_percent_longer(msgid: str) -> None:
    translated = marked(pseudo_translate(msgid))
    # The words grow; what the code fills in (%(num)s) stays as long as it was.
    growth = (len(translated) - len(msgid)) / len(PLACEHOLDERS.sub("", msgid))
    assert 0.4 <= growth <= 0.55, (msgid, translated, growth)


def test_short_labels_grow_by_a_few_characters_at_least() -> None:
    assert len(marked(pseudo_translate("OK"))) >= 2 + pseudo_locale.MIN_EXTRA
    assert len(marked(pseudo_translate("Go"))) >= 2 + pseudo_locale.MIN_EXTRA


def test_surrounding_space_stays_outside_the_markers() -> None:
    assert pseudo_translate("  Next ").startswith(f"  {OPEN}")
    assert pseudo_translate("  Next ").endswith(f"{CLOSE} ")
    assert pseudo_translate("") == ""


def test_the_catalog_covers_the_template_and_its_plurals(tmp_path: Path) -> None:
    target, count = write_catalog(POT, tmp_path)
    with open(POT, "rb") as handle:
        template = read_po(handle)
    with open(target, "rb") as handle:
        compiled = read_mo(handle)
    assert count == len([message for message in template if message.id]) > 100
    plurals = [message for message in template if isinstance(message.id, tuple)]
    assert plurals, "the template has plural messages"
    for message in template:
        if not message.id:
            continue
        translated = compiled.get(message.id, context=message.context)
        assert translated is not None, message.id
        string = translated.string
        strings = tuple(string) if isinstance(string, (list, tuple)) else (string,)
        assert len(strings) == (2 if isinstance(message.id, tuple) else 1)
        assert all(string.strip().startswith(OPEN) for string in strings), message.id
        if "python-format" in message.flags:
            python_format(compiled, translated)  # raises TranslationError when they differ

    translations = Translations.load(str(tmp_path / "pseudo-locale"), [PSEUDO_LOCALE])
    singular, plural = plurals[0].id
    one = translations.ngettext(singular, plural, 1)
    many = translations.ngettext(singular, plural, 5)
    assert one != many and OPEN in one and OPEN in many


def test_the_catalog_compiles_from_a_small_template(tmp_path: Path) -> None:
    template = Catalog(locale=None)
    template.add("Cart")
    template.add(("%(num)s point", "%(num)s points"), flags=["python-format"])
    pot = tmp_path / "messages.pot"
    with open(pot, "wb") as handle:
        write_po(handle, template)
    write_catalog(pot, tmp_path)
    translations = Translations.load(str(tmp_path / "pseudo-locale"), [PSEUDO_LOCALE])
    assert translations.gettext("Cart") == pseudo_translate("Cart")
    assert translations.ngettext("%(num)s point", "%(num)s points", 3) % {"num": 3} == (
        pseudo_translate("%(num)s points") % {"num": 3}
    )


def test_offered_only_when_enabled_and_generated(tmp_path: Path) -> None:
    locales = PROJECT_DIR / "locales"
    pseudo_dir = pseudo_locale.catalog_dir(tmp_path)
    assert PSEUDO_LOCALE not in Catalogs(locales).available
    assert PSEUDO_LOCALE not in Catalogs(locales, pseudo_dir).available, "not generated yet"
    write_catalog(POT, tmp_path)
    catalogs = Catalogs(locales, pseudo_dir)
    assert catalogs.available[-1] == PSEUDO_LOCALE
    # Chosen by its code only: an English-speaking browser still gets English.
    assert catalogs.match("en-XA") == PSEUDO_LOCALE
    assert catalogs.negotiate("en-US,en;q=0.9") == "en"
    assert Catalogs(locales).match("en_XA") is None

    token = current_locale.set(PSEUDO_LOCALE)
    try:
        assert catalogs.gettext("Search") == pseudo_translate("Search")
        # Babel formats for it as English.
        assert i18n.money(123_456, "USD") == "$1,234.56"
        assert i18n.display_name(PSEUDO_LOCALE) == pseudo_locale.DISPLAY_NAME
    finally:
        current_locale.reset(token)


def test_the_setting_is_off_unless_asked_for(tmp_path: Path) -> None:
    base = {"OKMARTS_DATA_DIR": str(tmp_path), "OKMARTS_SECRET_KEY": "x"}
    assert Settings.from_env(base).pseudo_locale is False
    assert Settings.from_env({**base, "OKMARTS_PSEUDO_LOCALE": "1"}).pseudo_locale is True
