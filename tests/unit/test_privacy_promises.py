"""docs/privacy-promises.md names, for each promise of the privacy policy, the tests that prove
it: every test it names must exist (a renamed or deleted test fails here)."""

from __future__ import annotations

import ast
import re

from okmarts.settings import PROJECT_DIR

PROMISES = PROJECT_DIR / "docs" / "privacy-promises.md"
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def _defined_tests(path: str) -> set[str]:
    tree = ast.parse((PROJECT_DIR / path).read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def test_every_listed_test_exists() -> None:
    text = PROMISES.read_text(encoding="utf-8")
    references = REFERENCE.findall(text)
    assert len(references) >= 20, "the promises document names too few tests"
    missing = [
        f"{path}::{name}"
        for path, name in references
        if not (PROJECT_DIR / path).exists() or name not in _defined_tests(path)
    ]
    assert not missing, f"docs/privacy-promises.md names tests that don't exist: {missing}"


def test_every_promise_row_is_proved_or_says_why_not() -> None:
    rows = [
        line for line in PROMISES.read_text(encoding="utf-8").splitlines() if line.startswith("| §")
    ]
    assert rows
    for row in rows:
        assert REFERENCE.search(row) or "not yet" in row.lower(), row
