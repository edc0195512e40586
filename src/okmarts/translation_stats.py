"""`make i18n-stats`: how complete each language is, measured against the source catalog.

Counts come from locales/messages.pot (every string of code and templates, as `make i18n`
extracts it) and each locales/<code>/LC_MESSAGES/messages.po, so a catalog that has not been
merged yet shows its missing strings too. The privacy policy is a document of its own: the
last column says whether the current version has a translation beside the English text.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from unicodedata import east_asian_width

from babel.messages.pofile import read_po

from okmarts.i18n import SOURCE_LOCALE, display_name
from okmarts.services.content import POLICY_DIR, current_policy_version
from okmarts.settings import PROJECT_DIR


@dataclass(frozen=True)
class LanguageStats:
    code: str
    total: int
    translated: int
    fuzzy: int
    untranslated: int
    missing: int
    policy_translated: bool

    @property
    def percent(self) -> float:
        return 100.0 * self.translated / self.total if self.total else 100.0


def _msgid(message) -> str:  # type: ignore[no-untyped-def]
    return message.id if isinstance(message.id, str) else message.id[0]


def _is_translated(message) -> bool:  # type: ignore[no-untyped-def]
    if isinstance(message.string, (tuple, list)):
        return all(message.string)
    return bool(message.string)


def language_stats(locales_dir: Path) -> list[LanguageStats]:
    with open(locales_dir / "messages.pot", "rb") as handle:
        source = {_msgid(message) for message in read_po(handle) if message.id}
    version = current_policy_version()
    found = []
    for po_path in sorted(locales_dir.glob("*/LC_MESSAGES/messages.po")):
        code = po_path.parent.parent.name
        with open(po_path, "rb") as handle:
            catalog = {_msgid(m): m for m in read_po(handle, locale=code) if m.id}
        present = [catalog[msgid] for msgid in source if msgid in catalog]
        fuzzy = sum(1 for m in present if m.fuzzy)
        translated = sum(1 for m in present if _is_translated(m) and not m.fuzzy)
        found.append(
            LanguageStats(
                code=code,
                total=len(source),
                translated=translated,
                fuzzy=fuzzy,
                untranslated=len(present) - translated - fuzzy,
                missing=len(source) - len(present),
                policy_translated=(POLICY_DIR / f"{version}.{code}.txt").exists(),
            )
        )
    return found


def _width(text: str) -> int:
    """Columns a terminal gives the text: Chinese characters take two."""
    return sum(2 if east_asian_width(char) in "WF" else 1 for char in text)


def report(stats: list[LanguageStats]) -> str:
    header = ("Language", "Code", "Translated", "Fuzzy", "Untranslated", "Missing", "Policy")
    rows = [header]
    for item in stats:
        rows.append(
            (
                display_name(item.code),
                item.code,
                f"{item.translated}/{item.total} ({item.percent:.1f}%)",
                str(item.fuzzy),
                str(item.untranslated),
                str(item.missing),
                "translated" if item.policy_translated else "English only",
            )
        )
    widths = [max(_width(row[column]) for row in rows) for column in range(len(header))]
    lines = [
        "  ".join(
            cell + " " * (size - _width(cell)) for cell, size in zip(row, widths, strict=True)
        ).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    lines.append("")
    lines.append(
        f"Source language: {display_name(SOURCE_LOCALE)} ({SOURCE_LOCALE}). "
        "Missing strings appear in a catalog after `make i18n`; "
        "fuzzy ones are guesses to check, and are not shown until checked."
    )
    return "\n".join(lines)


def main() -> int:
    locales_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else PROJECT_DIR / "locales"
    print(report(language_stats(locales_dir)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
