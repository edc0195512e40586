"""The shop in the pseudo-locale (okmarts.pseudo_locale): every word of the interface went through
gettext, and no page breaks when translations run 40% longer, at a desktop and a phone width.

Interface text shows as ⟦áççéñţéð⟧; anything with letters outside the markers skipped gettext,
unless the templates mark it as data: translate="no" on names, brands, SKUs, spec values,
prices, dates and the shopper's own entries (the attribute also keeps browser translation off
part numbers), data-content on what people wrote (descriptions, reviews, questions, the policy
text), which a browser may still translate for a reader. The pseudo-locale is built from
locales/messages.pot: a string just added to the code shows as untranslated until `make i18n`.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import Browser, Locator, Page, expect

from okmarts.pseudo_locale import PSEUDO_LOCALE
from okmarts.settings import PROJECT_DIR
from tests.conftest import TestDatabase
from tests.e2e.conftest import execute
from tests.e2e.steps import deliver_an_order
from tests.e2e.test_account_flows import PASSWORD, new_email
from tests.e2e.test_checkout_flows import SUCCESS_CARD
from tests.smtp import SmtpSink, links_in
from tests.unit.test_translations import source_messages

# What the page looks like to the shopper: {untranslated: [...], layout: [...]} (read it there).
INSPECT = (Path(__file__).parent / "pseudo_locale_inspect.js").read_text(encoding="utf-8")


@cache
def not_extracted() -> set[str]:
    """Strings of the code that the template (so the pseudo-locale) does not hold yet."""
    locales = Path(os.environ.get("OKMARTS_LOCALES_DIR") or PROJECT_DIR / "locales")
    with open(locales / "messages.pot", "rb") as handle:
        extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    return source_messages() - extracted


@dataclass(frozen=True)
class Width:
    name: str
    width: int
    height: int


WIDTHS = [Width("desktop", 1280, 900), Width("phone", 375, 740)]


class Walk:
    """One browser window in the pseudo-locale, collecting what each page gets wrong."""

    def __init__(self, page: Page, width: Width) -> None:
        self.page = page
        self.width = width
        # One entry per problem and place (the header's shows on every page), with its pages.
        self.problems: dict[tuple[str, str, str], list[str]] = {}
        self.pages_seen = 0

    def inspect(self, name: str) -> None:
        expect(self.page.locator("html")).to_have_attribute("lang", PSEUDO_LOCALE.replace("_", "-"))
        self.page.wait_for_load_state("load")
        found = self.page.evaluate(INSPECT)
        self.pages_seen += 1
        here = f"{name} ({urlsplit(self.page.url).path})"
        for item in found["untranslated"]:
            key = ("not through gettext", item["text"], item["where"])
            self.problems.setdefault(key, []).append(here)
        for item in found["layout"]:
            key = (item["what"], item["text"], item["where"])
            self.problems.setdefault(key, []).append(here)

    def report(self) -> str:
        lines = [
            f"{len(self.problems)} problems in the pseudo-locale at {self.width.width}px wide."
            " Untranslated text: put it through gettext (a string just added needs `make i18n`),"
            ' or mark data translate="no" (what people wrote: data-content). Layout: fix'
            " static/css/site.css."
        ]
        for (what, text, where), pages in self.problems.items():
            if text in not_extracted():
                what += " (it is in the code, not yet in locales/messages.pot: `make i18n`)"
            shown = ", ".join(pages[:3]) + (f" and {len(pages) - 3} more" if len(pages) > 3 else "")
            lines.append(f"- {what}: {text!r}\n    at {where}\n    on {shown}")
        return "\n".join(lines)

    def visit(self, path: str, name: str) -> None:
        self.page.goto(path)
        self.inspect(name)


@pytest.fixture(params=WIDTHS, ids=[width.name for width in WIDTHS])
def walk(browser: Browser, live_server: str, request: pytest.FixtureRequest) -> Iterator[Walk]:
    width: Width = request.param
    context = browser.new_context(
        base_url=live_server,
        viewport={"width": width.width, "height": width.height},
        locale="en-US",
        extra_http_headers={"Accept-Language": "en-US,en;q=0.9"},
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield Walk(page, width)
    context.close()


def wait_for_cached_page(page: Page, path: str, shown: Locator, seconds: float = 15) -> None:
    """Reload until `shown` appears: a page cached before a change made in the database
    directly (not through the shop) shows it once its copy expires (OKMARTS_PAGE_CACHE_SECONDS)."""
    deadline = time.monotonic() + seconds
    while True:
        page.goto(path)
        if shown.count() or time.monotonic() > deadline:
            return
        page.wait_for_timeout(500)


def test_every_page_is_translated_and_takes_longer_text(
    walk: Walk, mail_server: SmtpSink, seeded_database: TestDatabase
) -> None:
    page = walk.page
    # Chosen like any language, from the chooser in the header.
    page.goto("/")
    page.locator("#language-choice").select_option(PSEUDO_LOCALE)
    page.locator("form.language button").click()
    walk.inspect("home, first visit (cookie banner)")
    page.locator("#cookie-banner button[value=reject_all]").click()
    expect(page.locator("#cookie-banner")).to_have_count(0)

    category = page.locator(".category-grid a.category-name").first.get_attribute("href")
    walk.visit(category or "/products", "category listing")
    product = page.locator(".grid .card a").first.get_attribute("href")
    other = page.locator(".grid .card a").nth(1).get_attribute("href")
    walk.visit(product or "/products", "product")
    page.locator(".summary .add-to-cart button").click()
    expect(page.locator("#cart-count")).to_contain_text("1")
    walk.inspect("product, added to the cart")
    title = page.locator("h1").inner_text()

    search = page.locator("#site-search")
    search.press_sequentially(title[:8], delay=20)
    expect(page.locator("#live-search-results .live-panel")).to_be_visible()
    walk.inspect("live search")
    walk.visit(f"/search?q={quote(title[:8])}", "search results")
    walk.visit("/search?q=qqqzzzxxw", "search without results")
    walk.visit("/search", "search page")
    compared = [(href or "").rsplit("/", 1)[-1] for href in (product, other)]
    walk.visit(f"/compare?p={compared[0]}&p={compared[1]}", "comparison")
    walk.visit("/cart", "cart with an item")
    walk.visit("/login", "sign-in")

    email = new_email("pseudo")
    page.goto("/register")
    page.locator("#f-email").fill(email)
    page.locator("#f-password").fill("short")
    page.locator("#register-form button[type=submit]").click()
    expect(page.locator("#register-form .form-errors")).to_be_visible()
    walk.inspect("sign-up with errors")
    page.locator("#f-password").fill(PASSWORD)
    page.locator("#f-accept_policy").check()
    page.locator("#register-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/account\?notice=welcome$"))
    walk.inspect("personal center, not verified yet")
    walk.visit("/checkout", "checkout, not verified yet")

    # The first mail is the confirmation link (its subject is in the shopper's language).
    [link] = links_in(mail_server.wait_for(email))[:1]
    page.goto(link)
    walk.inspect("email confirmed")

    walk.visit("/checkout", "checkout")
    page.locator("#checkout-form button.place-order").click()
    expect(page.locator("#checkout-form .form-errors")).to_be_visible()
    walk.inspect("checkout with errors")
    page.locator("#f-recipient").fill("Mia Wong")
    page.locator("#f-phone").fill("+852 2123 4567")
    page.locator("#f-city").fill("Hamburg")
    page.locator("#f-line").fill("Hafenstraße 3")
    page.locator("#f-zip_code").fill("20457")
    page.locator("#f-card_holder").fill("Mia Wong")
    page.locator("#f-card_number").fill(SUCCESS_CARD)
    page.locator("#f-card_expiry").fill("12/35")
    page.locator("#f-card_cvc").fill("123")
    page.locator("#checkout-form button.place-order").click()
    expect(page).to_have_url(re.compile(r"/account/orders/[^/?]+\?notice=placed"))
    walk.inspect("order placed")
    order = urlsplit(page.url).path

    # A review and a question, published (moderation set up in the database).
    [(_, slug, _)] = deliver_an_order(seeded_database, email)
    walk.visit("/account/reviews", "my reviews: one to write")
    page.locator("a[href^='/account/reviews/new']").first.click()
    walk.inspect("review form")
    page.locator("form.stack-form button[type=submit]").click()
    expect(page.locator(".form-errors")).to_be_visible()
    walk.inspect("review form with errors")
    headline = f"Solid under vibration {uuid.uuid4().hex[:6]}"
    page.locator("#rating-4").check()
    page.locator("#f-title").fill(headline)
    page.locator("#f-body").fill("Ran three months on a press line without a fault.")
    page.locator("form.stack-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/account/reviews\?notice=review-submitted"))
    walk.inspect("review submitted")
    execute(seeded_database, f"UPDATE review SET status = 'approved' WHERE title = '{headline}'")
    asked = f"Which DIN rail adapters fit? ({headline[-6:]})"
    page.goto(f"/products/{slug}")
    page.locator("#f-question").fill(asked)
    page.locator("#ask-form button[type=submit]").click()
    expect(page.locator("#ask-form .notice")).to_be_visible()
    walk.inspect("question asked")
    execute(
        seeded_database,
        "UPDATE question SET status = 'approved', answer = 'Any 35 mm top-hat rail.',"
        f" answered_by = 'staff', answered_at = CURRENT_TIMESTAMP WHERE body = '{asked}'",
    )
    # Approved behind the shop's back (SQL): its cached product page shows it within the TTL.
    wait_for_cached_page(page, f"/products/{slug}", page.locator(".review", has_text=headline))
    walk.visit(f"/products/{slug}", "product with a review and an answer")
    expect(page.locator(".review", has_text=headline)).to_be_visible()

    for path, name in [
        ("/account", "personal center"),
        ("/account/orders", "my orders"),
        (order, "order"),
        ("/account/reviews", "my reviews and questions"),
        ("/account/profile", "profile"),
        ("/account/points", "points"),
        ("/account/addresses", "address book"),
        ("/account/security", "password and sign-ins"),
        ("/account/privacy", "privacy center"),
        ("/privacy", "privacy policy"),
        ("/cookies", "cookie settings"),
        ("/comment-rules", "comment rules"),
        ("/contact", "contact"),
    ]:
        walk.visit(path, name)
    response = page.goto("/products/no-such-part")
    assert response is not None and response.status == 404
    walk.inspect("404")

    assert walk.pages_seen >= 25
    assert not walk.problems, walk.report()
