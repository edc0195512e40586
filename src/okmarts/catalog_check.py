"""`python -m okmarts.catalog_check`: check every catalog against the English, compile good ones.

`make install` and `make i18n` run it instead of a bare `pybabel compile`, which reports "1 errors
encountered", exits 0 and writes the broken catalog anyway. For each
locales/<code>/LC_MESSAGES/messages.po this

- reads the file line by line as GNU gettext does: an unescaped quote, an unterminated string, an
  unknown keyword or escape is an error (Babel's reader silently accepts them);
- runs Babel's checkers (python_format, num_plurals) on every translated entry, and our own: the
  same %(name)s and {name} placeholders as the English text, no stray `%` (templates format
  every string, so "50 % off" would fail where "50 %% off" works), the same HTML tags, one
  msgstr[n] per plural form;
- compares the header's Plural-Forms with CLDR's rules for the language (Babel's data);
- runs `msgfmt --check` too when GNU gettext is installed (optional: nothing requires it);

then prints each problem as `locales/de/LC_MESSAGES/messages.po:123: error: …` and writes
messages.mo only for catalogs without errors (atomically), so the shop keeps the last good
compiled catalog of a broken one. The exit status is 1 when any catalog has an error.
Problems in fuzzy entries are warnings: the shop does not use those entries.

    python -m okmarts.catalog_check [LOCALES_DIR | PO_FILE …] [--no-compile] [--no-msgfmt]
"""

from __future__ import annotations

import argparse
import gettext
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from okmarts.settings import PROJECT_DIR
from okmarts.translation_rules import translation_problems

DOMAIN = "messages"

# One line of a .po file, as GNU gettext's lexer reads it.
STRING = r'"(?:[^"\\]|\\.)*"'
KEYWORD_LINE = re.compile(
    r"^(?P<keyword>msgctxt|msgid_plural|msgid|msgstr\[\d+\]|msgstr)\s*(?P<rest>.*)$"
)
STRING_LINE = re.compile(rf"^{STRING}$")
# Babel's reader understands only these escapes; others would reach shoppers as written.
ESCAPE = re.compile(r"\\(.)")
KNOWN_ESCAPES = set('\\"ntr')


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a catalog, where it is."""

    path: Path
    line: int
    message: str
    error: bool = True

    def __str__(self) -> str:
        kind = "error" if self.error else "warning"
        return f"{_shown(self.path)}:{self.line}: {kind}: {self.message}"


@dataclass
class Report:
    """What checking one catalog found, and whether it was compiled."""

    path: Path
    problems: list[Problem] = field(default_factory=list)
    compiled: bool = False

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.error]


def _shown(path: Path) -> str:
    """The path as a translator would type it: relative to where they are, when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------------------------- syntax


def syntax_problems(path: Path, data: bytes) -> tuple[list[Problem], dict[int, int]]:
    """Errors a lenient reader would swallow: quotes, escapes, keywords, duplicate entries.

    Also returns where each entry's translation starts (msgid line → first msgstr line), to
    point at the line a translator edits.
    """
    msgstr_lines: dict[int, int] = {}
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return [Problem(path, line, "not UTF-8: save the file as UTF-8")], msgstr_lines
    problems: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    context: list[str] | None = None
    msgid: list[str] | None = None
    msgid_line = 0
    current: list[str] | None = None

    def finish_msgid() -> None:
        nonlocal msgid, context
        if msgid is None:
            return
        key = ("".join(context or []), "".join(msgid))
        if key in seen:
            problems.append(
                Problem(path, msgid_line, f"duplicate entry (the first is on line {seen[key]})")
            )
        else:
            seen[key] = msgid_line
        msgid = context = None

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            # Comments, including obsolete (#~) and previous (#|) entries: not compiled.
            continue
        keyword = KEYWORD_LINE.match(line)
        if keyword:
            name, rest = keyword.group("keyword"), keyword.group("rest").strip()
            if name == "msgctxt":
                finish_msgid()
                context = current = []
            elif name == "msgid":
                finish_msgid()
                msgid, msgid_line = [], number
                current = msgid
            else:
                if name.startswith("msgstr") and msgid is not None:
                    msgstr_lines.setdefault(msgid_line, number)
                current = None
        elif line.startswith('"'):
            rest = line
        else:
            problems.append(
                Problem(
                    path,
                    number,
                    f"unknown keyword {line.split()[0]!r}: a line holds msgid, msgstr, msgctxt, "
                    'msgid_plural, msgstr[n] or a continued "string"',
                )
            )
            continue
        if not STRING_LINE.match(rest):
            if rest.startswith('"') and rest.endswith('"') and len(rest) > 1:
                hint = 'a quote inside the text must be written \\" (backslash, quote)'
            elif rest.startswith('"'):
                hint = "the string does not end on this line with a closing quote"
            else:
                hint = 'the text must be in double quotes: msgstr "…"'
            problems.append(Problem(path, number, f"syntax error: {hint}"))
            continue
        for escape in ESCAPE.finditer(rest[1:-1]):
            if escape.group(1) not in KNOWN_ESCAPES:
                problems.append(
                    Problem(
                        path,
                        number,
                        f'unknown escape \\{escape.group(1)}: use \\n, \\t, \\" or \\\\ '
                        "(a backslash itself is written \\\\)",
                    )
                )
        if current is not None:
            current.append(rest[1:-1])
    finish_msgid()
    return problems, msgstr_lines


# ---------------------------------------------------------------------------------- entries


def _is_translated(message: Message) -> bool:
    if isinstance(message.string, (list, tuple)):
        return any(message.string)
    return bool(message.string)


def entry_problems(
    path: Path, catalog: Catalog, message: Message, msgstr_lines: dict[int, int] | None = None
) -> list[Problem]:
    """Babel's checkers and ours, on one translated entry (reported on its msgstr line)."""
    line = (msgstr_lines or {}).get(message.lineno or 0, message.lineno or 0)
    error = not message.fuzzy
    note = " (fuzzy: not used until checked)" if message.fuzzy else ""
    found: list[Problem] = []
    for checker_error in message.check(catalog):
        found.append(Problem(path, line, f"{checker_error}{note}", error))
    msgids = list(message.id) if isinstance(message.id, (list, tuple)) else [message.id]
    msgstrs = (
        list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]
    )
    if isinstance(message.id, (list, tuple)) and any(msgstrs) and not all(msgstrs):
        empty = [f"msgstr[{index}]" for index, text in enumerate(msgstrs) if not text]
        text = f"{', '.join(empty)} empty: translate every plural form{note}"
        found.append(Problem(path, line, text, error))
    for text, is_error in translation_problems(
        msgids, msgstrs, brace_format="python-brace-format" in message.flags
    ):
        found.append(Problem(path, line, f"{text}{note}", is_error and error))
    # Each message once (Babel's num_plurals and ours can both see a missing form).
    unique: dict[tuple[int, str], Problem] = {}
    for problem in found:
        unique.setdefault((problem.line, problem.message), problem)
    return list(unique.values())


# ---------------------------------------------------------------------------------- header


def _header_line(text: str, name: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith(f'"{name}:'):
            return number
    return 1


def _formula(expression: str):  # type: ignore[no-untyped-def]
    return gettext.c2py(expression)


def header_problems(path: Path, text: str, catalog: Catalog, code: str) -> list[Problem]:
    """The Plural-Forms header against CLDR's rules for the language (as Babel gives them)."""
    problems: list[Problem] = []
    line = _header_line(text, "Plural-Forms")
    try:
        locale = Locale.parse(code)
    except (ValueError, UnknownLocaleError):
        return [Problem(path, 1, f"{code!r} is not a language code Babel knows (folder name)")]
    declared = catalog.mime_headers and dict(catalog.mime_headers).get("Language")
    if declared and declared.replace("-", "_") != code:
        problems.append(
            Problem(
                path,
                _header_line(text, "Language"),
                f"the header says Language: {declared}, the folder says {code}",
                error=False,
            )
        )
    header = dict(catalog.mime_headers).get("Plural-Forms", "")
    match = re.search(r"nplurals\s*=\s*(\d+)\s*;\s*plural\s*=\s*(.+?)\s*;?\s*$", header)
    expected_count, expected_expression = get_plural(locale)
    expected_header = f"nplurals={expected_count}; plural={expected_expression};"
    forms = sorted(locale.plural_form.tags | {"other"})
    if not match:
        problems.append(
            Problem(
                path, line, f"no valid Plural-Forms header: use `Plural-Forms: {expected_header}`"
            )
        )
        return problems
    count = int(match.group(1))
    try:
        chooser = _formula(match.group(2))
    except (ValueError, SyntaxError) as error:
        problems.append(Problem(path, line, f"the plural formula does not parse: {error}"))
        return problems
    if count != expected_count:
        problems.append(
            Problem(
                path,
                line,
                f"Plural-Forms says nplurals={count}, but CLDR gives {locale.english_name} "
                f"{expected_count} ({', '.join(forms)}): use `Plural-Forms: {expected_header}` "
                "and one msgstr[n] per form",
            )
        )
        return problems
    reference = _formula(expected_expression)
    for n in [*range(1001), 1_000_000, 2_000_000, 1_000_001]:
        chosen = chooser(n)
        if not 0 <= chosen < count:
            problems.append(
                Problem(
                    path,
                    line,
                    f"the plural formula gives form {chosen} for n={n}, beyond nplurals={count}",
                )
            )
            break
        if chosen != reference(n):
            problems.append(
                Problem(
                    path,
                    line,
                    f"the plural formula picks form {chosen} for n={n}, CLDR's picks "
                    f"{reference(n)}: use `Plural-Forms: {expected_header}`",
                )
            )
            break
    return problems


# ---------------------------------------------------------------------------------- msgfmt


MSGFMT_LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?:\d+:)?\s*(?P<message>.*)$")


def msgfmt_problems(path: Path) -> list[Problem] | None:
    """`msgfmt --check` errors (GNU gettext), or None when msgfmt is not installed."""
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        return None
    result = subprocess.run(
        [msgfmt, "--check", "-o", os.devnull, str(path)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "LC_ALL": "C"},
    )
    if result.returncode == 0:
        return []  # its warnings (an unset Last-Translator…) are not our business
    problems = []
    for line in result.stderr.splitlines():
        match = MSGFMT_LINE.match(line)
        if not match or "warning:" in line:
            continue
        line_number = int(match.group("line"))
        problems.append(Problem(path, line_number, f"msgfmt: {match.group('message')}"))
    if not problems:
        problems.append(Problem(path, 1, f"msgfmt --check failed: {result.stderr.strip()[:300]}"))
    return problems


# ---------------------------------------------------------------------------------- catalogs


def language_of(po_path: Path) -> str | None:
    """locales/<code>/LC_MESSAGES/messages.po → <code> (None elsewhere: the header says)."""
    return po_path.parent.parent.name if po_path.parent.name == "LC_MESSAGES" else None


def check_catalog(po_path: Path, *, msgfmt: bool = True) -> tuple[Catalog | None, list[Problem]]:
    """Every problem of one .po file, and the catalog Babel read (None when unreadable)."""
    data = po_path.read_bytes()
    problems, msgstr_lines = syntax_problems(po_path, data)
    code = language_of(po_path)
    try:
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=code, domain=DOMAIN, abort_invalid=True)
    except Exception as error:  # any reader error is the translator's to fix
        line = getattr(error, "lineno", 1) or 1
        problems.append(Problem(po_path, line, f"cannot be read: {error}"))
        return None, problems
    if code is None:
        code = str(catalog.locale) if catalog.locale else None
    if code is None:
        problems.append(Problem(po_path, 1, "no Language: header, and not under locales/<code>/"))
        return catalog, problems
    if not problems:
        problems.extend(header_problems(po_path, data.decode("utf-8"), catalog, code))
        for message in catalog:
            if message.id and _is_translated(message):
                problems.extend(entry_problems(po_path, catalog, message, msgstr_lines))
    if msgfmt and not any(problem.error for problem in problems):
        # A second opinion on what ours found nothing wrong with (its own wording of the same
        # errors would only repeat them).
        problems.extend(msgfmt_problems(po_path) or [])
    problems.sort(key=lambda problem: (problem.line, not problem.error))
    return catalog, problems


def write_compiled(catalog: Catalog, mo_path: Path) -> None:
    """Write messages.mo atomically: a running shop never reads half a file."""
    for message in list(catalog):
        # A plural entry with an empty form is untranslated, not "translated as nothing".
        if message.id and isinstance(message.string, (list, tuple)) and not all(message.string):
            catalog.delete(message.id, context=message.context)
    handle, temporary = tempfile.mkstemp(dir=mo_path.parent, prefix=".messages-", suffix=".mo")
    try:
        with os.fdopen(handle, "wb") as output:
            write_mo(output, catalog, use_fuzzy=False)
        os.replace(temporary, mo_path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def check_and_compile(po_path: Path, *, compile: bool = True, msgfmt: bool = True) -> Report:
    """Check one catalog; compile it beside itself when it has no error."""
    catalog, problems = check_catalog(po_path, msgfmt=msgfmt)
    report = Report(po_path, problems)
    if compile and catalog is not None and not report.errors:
        write_compiled(catalog, po_path.with_suffix(".mo"))
        report.compiled = True
    return report


def catalog_paths(locales_dir: Path) -> list[Path]:
    return sorted(
        path
        for path in locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")
        if not path.parent.parent.name.startswith("_")
    )


def run(
    targets: Iterable[Path],
    *,
    compile: bool = True,
    msgfmt: bool = True,
    out=None,  # type: ignore[no-untyped-def]
) -> int:
    """Check (and compile) each target catalog; print the problems; 1 when any has an error."""
    out = out or sys.stderr
    paths: list[Path] = []
    for target in targets:
        paths.extend(catalog_paths(target) if target.is_dir() else [target])
    failed = 0
    for path in paths:
        report = check_and_compile(path, compile=compile, msgfmt=msgfmt)
        for problem in report.problems:
            print(problem, file=out)
        if report.errors:
            failed += 1
            kept = path.with_suffix(".mo")
            print(
                f"{_shown(path)}: {len(report.errors)} error(s): not compiled"
                + (f"; the shop keeps the last good {_shown(kept)}" if kept.exists() else ""),
                file=out,
            )
    if failed:
        print(f"{failed} of {len(paths)} catalog(s) have errors (see TRANSLATING.md).", file=out)
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m okmarts.catalog_check",
        description="Check the translation catalogs against the English; compile the good ones.",
    )
    parser.add_argument(
        "targets",
        nargs="*",
        type=Path,
        help="locales directories or .po files (default: the project's locales/)",
    )
    parser.add_argument("--no-compile", action="store_true", help="check only, write no .mo")
    parser.add_argument("--no-msgfmt", action="store_true", help="skip GNU msgfmt --check")
    args = parser.parse_args(argv)
    targets = args.targets or [PROJECT_DIR / "locales"]
    return run(targets, compile=not args.no_compile, msgfmt=not args.no_msgfmt)


if __name__ == "__main__":
    raise SystemExit(main())
