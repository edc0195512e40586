"""Short strings reach translators with context: a note (`# TRANSLATORS:` in Python, `{#
TRANSLATORS: … #}` in templates) or a msgctxt (pgettext), as `make i18n` extracts them.

A translator asked: "Apply" serves both coupons and filters; "Change" is a bare verb. One word
alone doesn't say whether it is a button, a column header or a status, nor which noun an
adjective agrees with. Babel keeps a Python comment only on the line right above the string (a
comment at the end of a line goes to the next line's string), and a template comment only for the
first string after it: these tests catch a note that went astray.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from okmarts.settings import PROJECT_DIR

# Short words translators can't place without context: each needs a note or a msgctxt, wherever
# it is used. (Add a word here when a translator asks about it.)
AMBIGUOUS = [
    # Buttons and links
    "Apply", "Change", "Remove", "Update", "Estimate", "Edit", "Delete", "Back", "Cancel", "Ask",
    "Customize",
    # Statuses and states: adjectives that agree with a noun the translator can't see
    "Open", "Completed", "Rejected", "Paid", "Shipped", "Delivered", "Cancelled", "Refunded",
    "Published", "Answered", "Given", "Default", "Free", "overdue",
    # Labels and column headers
    "Type", "Request", "Made", "Due", "Placed", "Tracking", "Delivery", "Card", "Listed",
    "Points", "Balance", "Review", "Rating", "Title", "From", "To", "Q:", "A:", "Sort:",
    "Helpful", "Diverse",
    # Product specification labels
    "Connection", "Contacts", "Function", "Size", "Standard", "Thread",
]  # fmt: skip
# One word of up to 8 characters used in more than one file needs a note too (the same word may
# mean something else in each place), unless it is plain and means the same everywhere: these,
# checked one by one. A new word used in several files needs a note, or a place here if it is
# just as plain.
SAME_EVERYWHERE = {
    "Browser", "Brand", "Cart", "City", "Consents", "Date", "Discount", "Nickname", "Password",
    "Payment", "Phone", "Privacy", "Product", "Profile", "Quantity", "Subtotal", "Total",
}  # fmt: skip
ONE_WORD = re.compile(r"[^\W\d_]+:?")


def extract_pot(project: Path, where: Path) -> Catalog:
    """The POT `make i18n` writes (its own `pybabel extract` line), written under where."""
    makefile = (project / "Makefile").read_text()
    [line] = [line for line in makefile.splitlines() if "pybabel extract" in line]
    command = shlex.split(line.strip().replace("$(BIN)/", ""))
    assert command[:2] == ["pybabel", "extract"] and "-c" in command, command
    output = where / "messages.pot"
    command[command.index("-o") + 1] = str(output)
    command[:1] = [sys.executable, "-m", "babel.messages.frontend"]
    subprocess.run(command, cwd=project, check=True, capture_output=True, text=True)
    with open(output, "rb") as handle:
        return read_po(handle)


def has_context(message: Message) -> bool:
    notes = [note.removeprefix("TRANSLATORS:").strip() for note in message.auto_comments]
    return bool(message.context) or any(notes)


def where(message: Message) -> str:
    return " ".join(f"{path}:{line}" for path, line in message.locations)


def missing_context(pot: Catalog) -> list[str]:
    """Short ambiguous strings of the POT that reach translators with no note and no msgctxt."""
    missing = []
    for message in pot:
        if not message.id or not isinstance(message.id, str) or has_context(message):
            continue
        files = {path for path, _ in message.locations}
        if message.id in AMBIGUOUS:
            missing.append(f"{message.id!r} ({where(message)})")
        elif (
            ONE_WORD.fullmatch(message.id)
            and len(message.id) <= 8
            and len(files) > 1
            and message.id not in SAME_EVERYWHERE
        ):
            missing.append(f"{message.id!r}, used in {len(files)} files ({where(message)})")
    return missing


@pytest.fixture(scope="module")
def pot(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return extract_pot(PROJECT_DIR, tmp_path_factory.mktemp("pot"))


def test_short_ambiguous_strings_have_a_note_or_a_context(pot: Catalog) -> None:
    missing = missing_context(pot)
    assert not missing, (
        "give translators a note right above the line (`# TRANSLATORS: …` in Python, "
        "`{# TRANSLATORS: … #}` in a template) or a context (pgettext) for: " + "; ".join(missing)
    )


def test_the_listed_words_are_still_in_the_shop(pot: Catalog) -> None:
    """A word no longer used leaves the list (so the list keeps checking something)."""
    present = {message.id for message in pot if message.id}
    assert not [word for word in AMBIGUOUS if word not in present]


def test_apply_is_two_strings_one_for_coupons_one_for_filters(pot: Catalog) -> None:
    contexts = {message.context for message in pot if message.id == "Apply"}
    assert contexts == {"coupon", "product filters"}
