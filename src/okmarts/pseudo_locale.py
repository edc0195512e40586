"""The pseudo-locale: English from locales/messages.pot, accented, ~40% longer, in ⟦markers⟧.

A developer's language, never a shopper's: it shows at a glance (and to the browser test in
tests/e2e/test_pseudo_locale.py) which text skipped gettext, and which layouts break when a
translation runs longer than the English. `okmarts pseudo-locale` writes the compiled catalog
under the data directory (var/ by default: generated, never committed); the shop offers it only
when OKMARTS_PSEUDO_LOCALE is on. Babel formats dates, numbers and money for it as English.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

# A private-use region (BCP 47 reserves XA–XZ): no real shopper's browser asks for it.
PSEUDO_LOCALE = "en_XA"
# What Babel formats dates, numbers, money and country names with (it has no CLDR data for XA).
FORMAT_LOCALE = "en"
DISPLAY_NAME = "English (pseudo-locale)"
# The compiled catalog, inside catalog_dir() as Babel's Translations.load looks for it.
COMPILED = Path(PSEUDO_LOCALE, "LC_MESSAGES", "messages.mo")

OPEN, CLOSE = "⟦", "⟧"
GROWTH = 0.4  # German and Russian run 30–40% longer than English; the layout must take it
MIN_EXTRA = 3  # short labels grow the most in real languages ("OK" → "Einverstanden")
FILL = "·"

# Look-alikes that keep the text readable while showing, letter by letter, it was translated.
ACCENTED = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "áƀçðéƒĝĥíĵķļɱñóþǫŕšţûṽŵẋýžÅƁÇÐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ",
)
VOWELS = frozenset("aeiouyAEIOUY")

# What a translation must carry over untouched: the code fills in or parses these.
PROTECTED = re.compile(
    r"""
      %%                                                    # a literal percent sign
    | %(?:\([^()]+\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa]   # %(name)s, %s
    | \{\{ | \}\}                                           # escaped braces
    | \{[^{}\s]*\}                                          # {name}, {0}, {name:>8}
    | <[^<>]+>                                              # HTML tags, attributes and all
    | &(?:[A-Za-z][A-Za-z0-9]*|\#[0-9]+|\#[xX][0-9A-Fa-f]+);  # entities
    | https?://[^\s<>"]+                                    # links written out
    """,
    re.VERBOSE,
)


def pseudo_translate(text: str) -> str:
    """The pseudo translation of one msgid: accented, ~40% longer, wrapped in ⟦markers⟧."""
    if not text.strip():
        return text
    core = text.strip()
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    pieces: list[tuple[bool, str]] = []  # (is prose, text)
    position = 0
    for match in PROTECTED.finditer(core):
        if match.start() > position:
            pieces.append((True, core[position : match.start()]))
        pieces.append((False, match.group()))
        position = match.end()
    if position < len(core):
        pieces.append((True, core[position:]))

    prose_length = sum(len(piece) for is_prose, piece in pieces if is_prose)
    extra = max(MIN_EXTRA, math.ceil(prose_length * GROWTH)) if prose_length else 0
    vowels = sum(char in VOWELS for is_prose, piece in pieces if is_prose for char in piece)
    # Doubled vowels, spread evenly over the words (translations grow word by word, not only at
    # the end); what the vowels can't give comes as a fill at the end.
    doubled = min(extra, vowels)
    out: list[str] = []
    seen = 0
    for is_prose, piece in pieces:
        if not is_prose:
            out.append(piece)
            continue
        for char in piece:
            accented = char.translate(ACCENTED)
            out.append(accented)
            if char in VOWELS:
                if (seen + 1) * doubled // vowels > seen * doubled // vowels:
                    out.append(accented)
                seen += 1
    out.append(FILL * (extra - doubled))
    return f"{lead}{OPEN}{''.join(out)}{CLOSE}{trail}"


def pseudo_catalog(template: Catalog) -> Catalog:
    """Every message of the template, pseudo-translated (plural forms as English has them)."""
    catalog = Catalog(locale=FORMAT_LOCALE, project="Okmarts", charset="utf-8", fuzzy=False)
    for message in template:
        if not message.id:
            continue
        if isinstance(message.id, (list, tuple)):
            string: str | tuple[str, ...] = tuple(
                pseudo_translate(message.id[min(form, len(message.id) - 1)])
                for form in range(catalog.num_plurals)
            )
        else:
            string = pseudo_translate(message.id)
        catalog.add(message.id, string, context=message.context, flags=message.flags - {"fuzzy"})
    return catalog


def catalog_dir(data_dir: Path) -> Path:
    """Where the compiled catalog lives: <data dir>/pseudo-locale/en_XA/LC_MESSAGES/."""
    return data_dir / "pseudo-locale"


def write_catalog(pot_file: Path, data_dir: Path) -> tuple[Path, int]:
    """Compile the pseudo-locale from the template into the data directory; (file, messages)."""
    with open(pot_file, "rb") as handle:
        template = read_po(handle)
    catalog = pseudo_catalog(template)
    target = catalog_dir(data_dir) / COMPILED
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed: a server starting meanwhile reads the old file or the new one.
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    with open(partial, "wb") as handle:
        write_mo(handle, catalog)
    partial.replace(target)
    return target, len(catalog)
