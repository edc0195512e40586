"""How complete each language's catalog is, against the source strings (locales/messages.pot).

One definition for the shop (a language is offered from OKMARTS_LANGUAGE_MIN_COMPLETION on),
`make i18n-stats` (okmarts.translation_stats) and the tests (tests/unit/test_translations.py
requires every offered language to be complete). A string counts as translated when every form
of it is and it is not fuzzy: the shop shows neither untranslated nor fuzzy entries.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

log = logging.getLogger(__name__)

SOURCE_LOCALE = "en"
DOMAIN = "messages"
# A language is offered (chooser, browsers' Accept-Language, the language cookie) once this share
# of the source strings is translated; OKMARTS_LANGUAGE_MIN_COMPLETION overrides it.
DEFAULT_MIN_COMPLETION = 80.0

MessageKey = tuple[str | None, str]  # (msgctxt, msgid): what makes an entry one entry


@dataclass(frozen=True)
class Completion:
    """How much of the source one catalog translates (fuzzy entries don't count: not shown)."""

    total: int
    translated: int
    fuzzy: int
    present: int

    @property
    def untranslated(self) -> int:
        return self.present - self.translated - self.fuzzy

    @property
    def missing(self) -> int:
        return self.total - self.present

    @property
    def percent(self) -> float:
        return 100.0 * self.translated / self.total if self.total else 100.0


def _key(message: Any) -> MessageKey:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return (message.context, msgid)


def _translated(message: Any) -> bool:
    if isinstance(message.string, (tuple, list)):
        return all(message.string)
    return bool(message.string)


@lru_cache(maxsize=64)
def _po_entries(path: Path, mtime_ns: int, size: int) -> dict[MessageKey, tuple[bool, bool]]:
    """(translated, fuzzy) of each entry of a .po file, read once per version of the file."""
    try:
        with open(path, "rb") as handle:
            catalog = read_po(handle)
    except Exception as error:  # an unreadable catalog is just not complete
        log.warning("cannot read %s: %s", path, error)
        return {}
    return {_key(m): (_translated(m), m.fuzzy) for m in catalog if m.id}


def po_entries(path: Path) -> dict[MessageKey, tuple[bool, bool]]:
    stat = path.stat()
    return _po_entries(path, stat.st_mtime_ns, stat.st_size)


def source_keys(locales_dir: Path) -> frozenset[MessageKey] | None:
    """Every source string (locales/messages.pot, as `make i18n` extracts it), if there."""
    pot = locales_dir / "messages.pot"
    return frozenset(po_entries(pot)) if pot.exists() else None


def catalog_completion(po_path: Path, source: frozenset[MessageKey] | None) -> Completion:
    """A catalog's completion against the source strings (without a .pot: its own entries)."""
    entries = po_entries(po_path)
    wanted = source if source is not None else frozenset(entries)
    present = [entries[key] for key in wanted if key in entries]
    return Completion(
        total=len(wanted),
        translated=sum(1 for translated, fuzzy in present if translated and not fuzzy),
        fuzzy=sum(1 for _, fuzzy in present if fuzzy),
        present=len(present),
    )


def catalog_languages(locales_dir: Path) -> list[str]:
    """Every language with a catalog under locales_dir (folders starting with _ are ignored)."""
    return sorted(
        path.parent.parent.name
        for path in locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")
        if not path.parent.parent.name.startswith("_") and path.parent.parent.name != SOURCE_LOCALE
    )


def completion_by_language(locales_dir: Path) -> dict[str, Completion]:
    source = source_keys(locales_dir)
    return {
        code: catalog_completion(locales_dir / code / "LC_MESSAGES" / f"{DOMAIN}.po", source)
        for code in catalog_languages(locales_dir)
    }


def offered_languages(
    locales_dir: Path,
    min_completion: float = DEFAULT_MIN_COMPLETION,
    preview: Iterable[str] = (),
) -> list[str]:
    """The catalogs shoppers are offered: complete enough, or listed for preview."""
    previewed = {code.replace("-", "_") for code in preview}
    return [
        code
        for code, completion in completion_by_language(locales_dir).items()
        if completion.percent >= min_completion or code in previewed
    ]
