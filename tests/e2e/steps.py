"""Steps the browser tests share."""

from __future__ import annotations

from playwright.sync_api import Page


def mark_page(page: Page, javascript: bool) -> None:
    """Leave a mark in the window: a full page load wipes it, an htmx swap keeps it."""
    if javascript:
        page.evaluate("window.okmartsMark = 'still here'")


def assert_no_page_load(page: Page, javascript: bool) -> None:
    if javascript:
        assert page.evaluate("window.okmartsMark") == "still here", "expected an htmx swap"
