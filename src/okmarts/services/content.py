"""Legal content: the privacy policy, versioned, in the shopper's language when translated."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from okmarts.i18n import fallback_chain
from okmarts.settings import PACKAGE_DIR

POLICY_DIR = PACKAGE_DIR / "content" / "privacy"


def current_policy_version() -> str:
    """The newest published version: publishing one means adding `<version>.en.txt` here."""
    # Asked on every signed-in request: the folder is listed again only when it changes.
    return _newest_version(POLICY_DIR, POLICY_DIR.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _newest_version(policy_dir: Path, _changed: int) -> str:
    return max(path.name.split(".", 1)[0] for path in policy_dir.glob("*.en.txt"))


@dataclass(frozen=True)
class PolicyBlock:
    kind: str  # "title" | "heading" | "paragraph" | "item"
    text: str


def privacy_policy(locale: str, version: str | None = None) -> tuple[PolicyBlock, ...]:
    """The policy as blocks, the current version unless another is asked for."""
    return _policy(POLICY_DIR, locale, version or current_policy_version())


@lru_cache(maxsize=16)
def _policy(policy_dir: Path, locale: str, version: str) -> tuple[PolicyBlock, ...]:
    """The policy as blocks; a translation sits beside the English as <version>.<locale>.txt."""
    for code in [*fallback_chain(locale), "en"]:
        path = policy_dir / f"{version}.{code}.txt"
        if path.exists():
            return tuple(_blocks(path.read_text(encoding="utf-8")))
    raise FileNotFoundError(f"No privacy policy text for version {version}")


def _blocks(text: str) -> list[PolicyBlock]:
    blocks: list[PolicyBlock] = []
    lines = [line.rstrip() for line in text.splitlines()]
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if not blocks:
            blocks.append(PolicyBlock("title", stripped))
        elif stripped.startswith("•"):
            blocks.append(PolicyBlock("item", stripped.lstrip("• ").strip()))
        elif _is_heading(stripped, line, lines, index):
            blocks.append(PolicyBlock("heading", stripped))
        else:
            blocks.append(PolicyBlock("paragraph", stripped))
    return blocks


def _is_heading(stripped: str, line: str, lines: list[str], index: int) -> bool:
    # Section titles are short numbered lines that stand alone ("4. Your Rights", "(1) …").
    standalone = index + 1 < len(lines) and not lines[index + 1].strip()
    numbered = stripped[:1].isdigit() or stripped.startswith("(")
    return (
        numbered
        and len(stripped) < 90
        and not line.startswith("  ")
        and standalone
        and not stripped.endswith(".")
    )
