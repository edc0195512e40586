"""`make i18n-stats`: how complete each language is, measured against the source catalog.

Counts come from locales/messages.pot (every string of code and templates, as `make i18n`
extracts it) and each locales/<code>/LC_MESSAGES/messages.po, so a catalog that has not been
merged yet shows its missing strings too. The privacy policy is a document of its own: the
last column says whether the current version has a translation beside the English text.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from unicodedata import east_asian_width

from okmarts.completion import (
    DEFAULT_MIN_COMPLETION,
    catalog_completion,
    catalog_languages,
    source_keys,
)
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


def language_stats(locales_dir: Path) -> list[LanguageStats]:
    source = source_keys(locales_dir)
    version = current_policy_version()
    found = []
    for code in catalog_languages(locales_dir):
        completion = catalog_completion(locales_dir / code / "LC_MESSAGES" / "messages.po", source)
        found.append(
            LanguageStats(
                code=code,
                total=completion.total,
                translated=completion.translated,
                fuzzy=completion.fuzzy,
                untranslated=completion.untranslated,
                missing=completion.missing,
                policy_translated=(POLICY_DIR / f"{version}.{code}.txt").exists(),
            )
        )
    return found


def _width(text: str) -> int:
    """Columns a terminal gives the text: Chinese characters take two."""
    return sum(2 if east_asian_width(char) in "WF" else 1 for char in text)


def report(stats: list[LanguageStats], min_completion: float = DEFAULT_MIN_COMPLETION) -> str:
    header = (
        "Language",
        "Code",
        "Translated",
        "Fuzzy",
        "Untranslated",
        "Missing",
        "Offered",
        "Policy",
    )
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
                "yes" if item.percent >= min_completion else "preview only",
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
    lines.append(
        f"Shoppers are offered a language from {min_completion:g}% translated on "
        "(OKMARTS_LANGUAGE_MIN_COMPLETION); below that, OKMARTS_LANGUAGE_PREVIEW=<code> or, "
        "with OKMARTS_DEBUG, ?preview_language=<code> shows it (see TRANSLATING.md)."
    )
    return "\n".join(lines)


def main() -> int:
    locales_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else PROJECT_DIR / "locales"
    threshold = os.environ.get("OKMARTS_LANGUAGE_MIN_COMPLETION")
    print(report(language_stats(locales_dir), float(threshold or DEFAULT_MIN_COMPLETION)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
