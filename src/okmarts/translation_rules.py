"""What a translation must keep of its English text, so that the page it lands on still works.

The rules behind `python -m okmarts.catalog_check` (which refuses a catalog breaking them) and
okmarts.i18n (which, at run time, shows the English text instead of a compiled translation
breaking them): the same %(name)s placeholders, of compatible types; no stray % (the templates
format every string, so "50 % off" fails where "50 %% off" works); the same {name} fields where
the English has any; the same HTML tags.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

# A printf directive as Python's % operator reads it, or a lone % that it would refuse.
PERCENT = re.compile(
    r"%(?:\((?P<name>[^()]*)\))?(?P<flags>[#0\- +]*)(?:\*|\d+)?(?:\.(?:\*|\d+))?"
    r"(?P<type>[diouxXeEfFgGcrsa%])|%"
)
# str.format fields: {name}, {0}, {name!r:>8}; {{ and }} are literal braces.
BRACE = re.compile(r"\{\{|\}\}|\{([^{}\s]*)\}")
TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)\b[^<>]*>")
# Format types Python's % accepts for the same value (Babel's checker uses the same groups).
COMPATIBLE = ({"d", "i", "u"}, {"x", "X"}, {"f", "F", "g", "G"}, {"e", "E"})


def _percent_directives(text: str) -> list[tuple[str | None, str, str]]:
    """(name, type, raw) of each % directive; type "" is a lone % that % would refuse."""
    found = []
    for match in PERCENT.finditer(text):
        raw = match.group()
        if raw == "%":
            found.append((None, "", raw))
        else:
            found.append((match.group("name"), match.group("type"), raw))
    return found


def _compatible(first: str, second: str) -> bool:
    return first == second or any(first in group and second in group for group in COMPATIBLE)


def _brace_fields(text: str) -> Counter[str]:
    return Counter(match.group(1) for match in BRACE.finditer(text) if match.group(1) is not None)


def _tags(text: str) -> Counter[str]:
    return Counter(f"<{slash}{name.lower()}>" for slash, name in TAG.findall(text))


def _plain(names: Iterable[str]) -> str:
    return ", ".join(sorted(names))


def translation_problems(
    msgids: Sequence[str], msgstrs: Sequence[str], *, brace_format: bool = False
) -> list[tuple[str, bool]]:
    """What is wrong with translations of an entry: (message, is_error) pairs.

    msgids: the msgid (and msgid_plural); msgstrs: the translations (one per plural form).
    Used by the checker and, at run time, by okmarts.i18n to skip a broken translation.
    """
    plural = len(msgids) > 1
    problems: list[tuple[str, bool]] = []
    source_directives = [d for text in msgids for d in _percent_directives(text)]
    source_named = {name: kind for name, kind, _ in source_directives if name is not None}
    source_positional = [kind for name, kind, _ in _percent_directives(msgids[-1]) if name is None]
    source_lone = any(kind == "" for _, kind, _ in source_directives)
    source_fields = sum((_brace_fields(text) for text in msgids), Counter())
    use_braces = brace_format or bool(source_fields)
    source_tags = _tags(msgids[-1])
    for index, text in enumerate(msgstrs):
        if not text:
            continue
        where = f"msgstr[{index}]" if plural else "msgstr"
        directives = _percent_directives(text)
        if any(kind == "" for _, kind, _ in directives) and not source_lone:
            problems.append(
                (
                    f"{where}: a lone % sign: write %% for a percent sign (the shop formats "
                    "every string with its values)",
                    True,
                )
            )
        named = {}
        for name, kind, raw in directives:
            if name is None or kind == "":
                continue
            named[name] = kind
            if name not in source_named:
                problems.append(
                    (
                        f"{where}: placeholder {raw} is not in the English text "
                        f"(it has: {_plain(f'%({n})s' for n in source_named) or 'none'})",
                        True,
                    )
                )
            elif not _compatible(kind, source_named[name]):
                problems.append(
                    (
                        f"{where}: placeholder {raw} has a different type than in the English "
                        f"text (%({name}){source_named[name]})",
                        True,
                    )
                )
        missing = set(source_named) - set(named)
        if missing:
            shown = _plain(f"%({name})s" for name in missing)
            if plural:
                # A form used for one number only ("one") may spell the number out.
                problems.append((f"{where}: placeholder {shown} is missing", False))
            else:
                problems.append((f"{where}: placeholder {shown} is missing", True))
        positional = [
            kind for name, kind, _ in directives if name is None and kind not in ("", "%")
        ]
        source_kinds = [kind for kind in source_positional if kind != "%"]
        if positional and not source_kinds:
            raw = next(raw for name, kind, raw in directives if name is None and kind != "%")
            problems.append(
                (
                    f"{where}: {raw!r} reads as a placeholder the English text doesn't have: "
                    "write %% for a percent sign",
                    True,
                )
            )
        elif (source_kinds or positional) and (
            len(positional) != len(source_kinds)
            or not all(_compatible(a, b) for a, b in zip(positional, source_kinds, strict=False))
        ):
            problems.append(
                (f"{where}: the %s / %d placeholders differ from the English text's", True)
            )
        if use_braces:
            fields = _brace_fields(text)
            if set(fields) != set(source_fields):
                problems.append(
                    (
                        f"{where}: the {{…}} placeholders differ from the English text "
                        f"(English: {_plain('{' + f + '}' for f in source_fields) or 'none'}; "
                        f"here: {_plain('{' + f + '}' for f in fields) or 'none'})",
                        True,
                    )
                )
        tags = _tags(text)
        if tags != source_tags:
            extra = _plain((tags - source_tags).elements())
            lost = _plain((source_tags - tags).elements())
            detail = "; ".join(
                part
                for part in (f"missing {lost}" if lost else "", f"added {extra}" if extra else "")
                if part
            )
            problems.append(
                (f"{where}: the HTML tags differ from the English text ({detail})", True)
            )
    return problems
