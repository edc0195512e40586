"""The catalog check (`python -m okmarts.catalog_check`, run by `make install` and `make i18n`).

A translator's typo must fail the build loudly, naming file and line, and leave the last good
compiled catalog in place; it must never compile silently.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.support import Translations

from okmarts import catalog_check
from okmarts.settings import PROJECT_DIR

HEADER = {
    "de": "nplurals=2; plural=(n != 1);",
    "es": "nplurals=3; plural=(n == 1 ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2);",
    "zh_Hans": "nplurals=1; plural=0;",
}


def write_catalog(locales: Path, code: str, entries: str, plural_forms: str | None = None) -> Path:
    """A catalog as a translator's editor saves it: header, then entries (as .po text)."""
    folder = locales / code / "LC_MESSAGES"
    folder.mkdir(parents=True, exist_ok=True)
    po = folder / "messages.po"
    po.write_text(
        'msgid ""\n'
        'msgstr ""\n'
        f'"Language: {code}\\n"\n'
        f'"Plural-Forms: {plural_forms or HEADER[code]}\\n"\n'
        '"Content-Type: text/plain; charset=utf-8\\n"\n'
        "\n" + entries,
        encoding="utf-8",
    )
    return po


GOOD_GERMAN = """\
#: src/okmarts/pages/catalog/product.html:24
#, python-format
msgid "Only %(num)s left in stock"
msgstr "Nur noch %(num)s auf Lager"

#, python-format
msgid "%(num)s product"
msgid_plural "%(num)s products"
msgstr[0] "%(num)s Produkt"
msgstr[1] "%(num)s Produkte"

msgid "Cart"
msgstr "Warenkorb"
"""


def check(po: Path, **options: bool) -> tuple[int, str]:
    out = io.StringIO()
    status = catalog_check.run([po], msgfmt=options.get("msgfmt", False), out=out)
    return status, out.getvalue()


def line_of(po: Path, text: str) -> int:
    return po.read_text(encoding="utf-8").splitlines().index(text) + 1


def test_a_good_catalog_compiles(tmp_path: Path) -> None:
    po = write_catalog(tmp_path, "de", GOOD_GERMAN)
    status, output = check(po)
    assert (status, output) == (0, "")
    german = Translations.load(str(tmp_path), ["de"])
    assert german.gettext("Cart") == "Warenkorb"
    assert german.ngettext("%(num)s product", "%(num)s products", 3) % {"num": 3} == "3 Produkte"


def test_a_placeholder_typo_fails_names_the_line_and_keeps_the_last_good_catalog(
    tmp_path: Path,
) -> None:
    po = write_catalog(tmp_path, "de", GOOD_GERMAN)
    assert check(po)[0] == 0
    mo = po.with_suffix(".mo")
    good = mo.read_bytes()
    po.write_text(
        po.read_text().replace('"Nur noch %(num)s auf Lager"', '"Nur noch %(anzahl)s auf Lager"')
    )
    status, output = check(po)
    assert status == 1
    line = line_of(po, 'msgstr "Nur noch %(anzahl)s auf Lager"')
    assert f"messages.po:{line}: error:" in output
    assert "%(anzahl)s is not in the English text" in output
    assert "not compiled" in output
    assert mo.read_bytes() == good, "the last good compiled catalog stays"


def test_unescaped_quotes_do_not_compile_silently(tmp_path: Path) -> None:
    po = write_catalog(
        tmp_path, "de", 'msgid "Say \\"hello\\""\nmsgstr "Sag "Hallo""\n\n' + GOOD_GERMAN
    )
    status, output = check(po)
    assert status == 1
    line = line_of(po, 'msgstr "Sag "Hallo""')
    assert f"messages.po:{line}: error: syntax error" in output
    assert '\\"' in output, "says how to write a quote"
    assert not po.with_suffix(".mo").exists()


@pytest.mark.parametrize(
    ("msgstr", "complaint"),
    [
        ('"Nur noch %(num)d auf Lager"', "different type"),
        ('"Nur noch wenige auf Lager"', "%(num)s is missing"),
        ('"Nur noch %(num)s auf Lager – 100 % sicher"', "write %% for a percent sign"),
        ('"Nur noch %(num)s auf Lager, 10 % Rabatt"', "write %% for a percent sign"),
        ('"Nur noch %(num)s auf Lager (100 %)"', "lone % sign"),
        ('"Nur noch <b>%(num)s</b> auf Lager"', "HTML tags differ"),
    ],
)
def test_placeholders_and_markup_are_checked_against_the_english(
    tmp_path: Path, msgstr: str, complaint: str
) -> None:
    po = write_catalog(tmp_path, "de", GOOD_GERMAN.replace('"Nur noch %(num)s auf Lager"', msgstr))
    status, output = check(po)
    assert status == 1 and complaint in output, output


def test_markup_in_the_english_must_stay(tmp_path: Path) -> None:
    po = write_catalog(
        tmp_path,
        "de",
        '#, python-format\nmsgid "Read the <a href=\\"%(url)s\\">rules</a>."\n'
        'msgstr "Lies die Regeln: %(url)s."\n',
    )
    status, output = check(po)
    assert status == 1 and "missing </a>, <a>" in output, output


def test_every_plural_form_is_translated(tmp_path: Path) -> None:
    po = write_catalog(
        tmp_path, "de", GOOD_GERMAN.replace('msgstr[1] "%(num)s Produkte"', 'msgstr[1] ""')
    )
    status, output = check(po)
    assert status == 1 and "msgstr[1] empty" in output, output


def test_the_plural_header_must_be_cldrs(tmp_path: Path) -> None:
    # Poedit's built-in table (and Weblate's default) write the classic two-form Spanish header.
    po = write_catalog(
        tmp_path,
        "es",
        '#, python-format\nmsgid "%(num)s review"\nmsgid_plural "%(num)s reviews"\n'
        'msgstr[0] "%(num)s reseña"\nmsgstr[1] "%(num)s reseñas"\n',
        plural_forms="nplurals=2; plural=(n != 1);",
    )
    status, output = check(po)
    assert status == 1
    line = line_of(po, '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"')
    assert f"messages.po:{line}: error:" in output
    assert "CLDR gives Spanish 3 (many, one, other)" in output
    assert HEADER["es"] in output, "says which header to use"


def test_a_formula_that_picks_the_wrong_form_is_refused(tmp_path: Path) -> None:
    po = write_catalog(tmp_path, "de", GOOD_GERMAN, plural_forms="nplurals=2; plural=(n > 1);")
    status, output = check(po)
    assert status == 1 and "for n=0" in output, output


def test_problems_in_fuzzy_entries_are_warnings(tmp_path: Path) -> None:
    po = write_catalog(
        tmp_path,
        "de",
        GOOD_GERMAN.replace(
            '#, python-format\nmsgid "Only', '#, fuzzy, python-format\nmsgid "Only'
        ).replace("%(num)s auf Lager", "%(anzahl)s auf Lager"),
    )
    status, output = check(po)
    assert status == 0 and "warning:" in output and "fuzzy" in output
    german = Translations.load(str(tmp_path), ["de"])
    assert german.gettext("Only %(num)s left in stock") == "Only %(num)s left in stock"


def test_the_command_exits_non_zero_for_make(tmp_path: Path) -> None:
    write_catalog(tmp_path, "de", GOOD_GERMAN.replace("%(num)s Produkte", "%(anzahl)s Produkte"))
    result = subprocess.run(
        [sys.executable, "-m", "okmarts.catalog_check", str(tmp_path), "--no-msgfmt"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "de/LC_MESSAGES/messages.po:" in result.stderr


def test_make_install_runs_the_check() -> None:
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    dry_run = subprocess.run(
        [make, "-n", "-o", ".venv/.installed", "-o", "static/vendor/htmx.min.js", "install"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    assert "-m okmarts.catalog_check" in dry_run
    assert "pybabel compile" not in dry_run and "|| true" not in dry_run


def test_the_shipped_catalogs_pass() -> None:
    for po in catalog_check.catalog_paths(PROJECT_DIR / "locales"):
        _, problems = catalog_check.check_catalog(po, msgfmt=True)
        assert not [problem for problem in problems if problem.error], problems


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext is not installed")
def test_msgfmt_is_a_second_opinion(tmp_path: Path) -> None:
    po = write_catalog(tmp_path, "de", GOOD_GERMAN)
    assert catalog_check.msgfmt_problems(po) == []
    # A catalog Babel reads happily but gettext's own compiler refuses.
    po.write_text(po.read_text() + '\nmsgid "Cart"\nmsgstr "Einkaufswagen"\n')
    status, output = check(po, msgfmt=True)
    assert status == 1 and "duplicate" in output
