"""Following a category in the browser, with JavaScript on (the button swaps in place) and off
(plain forms, post/redirect/get): follow it from its page, find it under "Following", unfollow."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.conftest import TestDatabase
from tests.e2e.conftest import query
from tests.e2e.steps import assert_no_page_load, mark_page
from tests.e2e.test_notification_flows import signed_up_and_verified
from tests.smtp import SmtpSink


def test_follow_a_category_see_it_listed_and_unfollow(
    page: Page, javascript: bool, mail_server: SmtpSink, seeded_database: TestDatabase
) -> None:
    [(slug, name)] = query(
        seeded_database,
        "SELECT slug, name FROM category WHERE parent IS NOT NULL ORDER BY id LIMIT 1",
    )
    page.goto(f"/categories/{slug}")
    expect(page.get_by_role("link", name="Sign in to follow this category")).to_be_visible()

    signed_up_and_verified(page, mail_server, "follows")
    page.goto(f"/categories/{slug}")
    mark_page(page, javascript)
    page.get_by_role("button", name="Follow this category").click()
    expect(page.get_by_role("button", name="Unfollow this category")).to_be_visible()
    expect(page.get_by_text("You follow this category.")).to_be_visible()
    assert_no_page_load(page, javascript)
    expect(page).to_have_url(re.compile(rf"/categories/{slug}$"))

    page.get_by_role("link", name="What you follow").click()
    expect(page.get_by_role("heading", name="Categories and brands you follow")).to_be_visible()
    expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    mark_page(page, javascript)
    page.get_by_role("button", name="Unfollow this category").click()
    if javascript:
        # Swapped in place: following again is one click away.
        expect(page.get_by_role("button", name="Follow this category")).to_be_visible()
        assert_no_page_load(page, javascript)
        page.reload()
    else:
        expect(page.get_by_text("You no longer follow it.")).to_be_visible()
    expect(page.get_by_role("link", name=name, exact=True)).to_have_count(0)
    expect(page.get_by_text("You follow no category or brand yet.")).to_be_visible()
