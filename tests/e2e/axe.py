"""axe-core in the browser: scan what the page shows now, fail on serious or critical problems.

axe-core comes from npm (package.json, installed by `make install`). The shop's CSP forbids inline
scripts, so the library is not added as a <script> tag: Playwright evaluates its source through
the DevTools protocol, which the page's CSP does not govern.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE_SOURCE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# What fails a page. Moderate and minor findings are worth a look, but are not blockers.
FAILING_IMPACTS = {"serious", "critical"}


@cache
def axe_source() -> str:
    if not AXE_SOURCE.exists():
        raise RuntimeError(f"{AXE_SOURCE} is missing: run `make install` (npm ci) first")
    return AXE_SOURCE.read_text()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Every violation axe finds in the page as it is now (all rules, every impact)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return list(result["violations"])


def describe(violations: list[dict[str, Any]]) -> str:
    """Rule, help, and each offending node's selector and HTML: enough to find and fix it."""
    lines = []
    for violation in violations:
        rule, impact = violation["id"], violation["impact"]
        lines.append(f"[{impact}] {rule}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"]:
            lines.append(f"    at {' '.join(map(str, node['target']))}")
            lines.append(f"       {node['html'][:300]}")
            summary = (node.get("failureSummary") or "").replace("\n", " / ")
            if summary:
                lines.append(f"       {summary[:400]}")
    return "\n".join(lines)


def assert_accessible(page: Page, what: str) -> None:
    """No serious or critical axe violation on the page as it is now."""
    serious = [v for v in axe_violations(page) if v.get("impact") in FAILING_IMPACTS]
    assert not serious, f"{what} ({page.url}) has accessibility problems:\n{describe(serious)}"
