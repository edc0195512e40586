"""The whole shopper journey, clicked through like a shopper would: search, product, cart, sign-up
with the mailed link, checkout, delivery, review, a vote, a question, the cookie banner and the
data download. Once with JavaScript on (htmx swaps, checked to be swaps) and once off (plain
forms); both runs must leave the account in the one state written down in EXPECTED_STATE.

Staff play their part in between (ship and deliver the order, approve the review) through the
services the admin calls (tests/e2e/staff.py). Before the journey, the test sets up the world it
walks into: a part listed for this run alone (same price, weight and stock every run, so every
total is the same) and another shopper's approved review of it.
"""

from __future__ import annotations

import json
import re
import uuid
import zipfile
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Page, expect

from okmarts.services import consent
from okmarts.services.payments import TEST_CARDS
from tests.conftest import TestDatabase
from tests.e2e.conftest import execute, query
from tests.e2e.staff import CARRIER, STAFF_NAME, TRACKING_NUMBER, approve_review, deliver_order
from tests.e2e.steps import assert_no_page_load, mark_page
from tests.e2e.test_account_flows import PASSWORD, follow_mailed_link, new_email
from tests.smtp import SmtpSink

AT = chr(64)  # typed out, an address may reach the file garbled

# The part each run buys: listed afresh per run, always with these numbers.
PRICE_MINOR = 12_345
WEIGHT_GRAMS = 1_500
STOCK = 20
QUANTITY = 2
# Express courier to Germany (Europe zone): 35.00 + 9.00 per started kg, 2 × 1.5 kg = 3 kg.
EXPRESS_TO_GERMANY_MINOR = 3_500 + 900 * 3
NET_MINOR = PRICE_MINOR * QUANTITY + EXPRESS_TO_GERMANY_MINOR  # 308.90: no discount applies
# German VAT (services.tax): 19 % of goods and shipping, 58.691 rounded half-up to 58.69.
TAX_MINOR = 5_869
TOTAL_MINOR = NET_MINOR + TAX_MINOR  # 367.59

ADDRESS = {
    "Recipient name": "Mia Wong",
    "Phone": "+49 40 1234567",
    "City": "Hamburg",
    "Street address": "Hafenstraße 3",
    "Zip code": "20457",
}
REVIEW_TITLE = "Switches cleanly at 24 V"
REVIEW_BODY = "Wired into two conveyor stops; it has tripped reliably for weeks."
OTHER_REVIEW_TITLE = "Clear markings, solid contacts"
QUESTION = "Does it come with a DIN rail clip?"


@dataclass(frozen=True)
class Part:
    id: int
    sku: str
    slug: str
    title: str


def quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# -- The world the journey walks into ------------------------------------------------------------


def a_part_listed_for_this_run(database: TestDatabase) -> Part:
    """A part as staff list it in the admin: nobody but this run buys it, so its stock and
    reviews are this run's alone, while its price, weight and stock are the same every run."""
    tag = uuid.uuid4().hex[:6].upper()
    sku, title = f"JRN-{tag}", f"Safety relay SR-24 {tag}"
    slug = f"safety-relay-sr-24-{tag.lower()}"
    [(brand_id, category_id)] = query(
        database, "SELECT brand, category FROM product ORDER BY id LIMIT 1"
    )
    [(product_id,)] = execute(
        database,
        "INSERT INTO product (sku, slug, title, description, brand, category, price_minor,"
        " currency, stock, points_price, weight_grams, specs, search_text, featured, created_at)"
        f" VALUES ({quoted(sku)}, {quoted(slug)}, {quoted(title)}, 'Dual-channel safety relay.',"
        f" {brand_id}, {category_id}, {PRICE_MINOR}, 'USD', {STOCK}, NULL, {WEIGHT_GRAMS}, '[]',"
        " '', false, CURRENT_TIMESTAMP) RETURNING id",
    )
    return Part(product_id, sku, slug, title)


def another_shoppers_approved_review(database: TestDatabase, part: Part) -> None:
    """Someone bought the part earlier, reviewed it, and a moderator approved the review."""
    email = f"earlier-buyer-{uuid.uuid4().hex[:10]}{AT}example.com"
    [(account_id,)] = execute(
        database,
        "INSERT INTO account (email, password_hash, locale, policy_version, policy_accepted_at,"
        f" created_at, nickname) VALUES ({quoted(email)}, 'not-a-hash', 'en', 'test',"
        " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'Jonas') RETURNING id",
    )
    execute(
        database,
        "INSERT INTO review (product, account, rating, title, body, status, created_at) VALUES"
        f" ({part.id}, {account_id}, 5, {quoted(OTHER_REVIEW_TITLE)},"
        " 'The terminals take 2.5 mm² ferrules without a fight.', 'approved', CURRENT_TIMESTAMP)",
    )


# -- The shopper's steps -------------------------------------------------------------------------


def search_for_the_part(page: Page, javascript: bool, part: Part) -> None:
    """The header's search box: live results under it with JS, the results page without."""
    page.goto("/")
    search = page.get_by_role("searchbox", name="Search parts")
    mark_page(page, javascript)
    search.fill(part.sku)
    if javascript:
        live = page.locator("#live-search-results .live-panel")
        expect(live.get_by_role("link", name=part.title)).to_be_visible()
        expect(live).to_contain_text("$123.45")
        assert_no_page_load(page, javascript)
        live.get_by_role("link", name=part.title).click()
    else:
        search.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_contain_text(part.sku)
        results = page.locator("#listing-results")
        expect(results.get_by_role("status")).to_have_text("1 result")
        results.get_by_role("link", name=part.title).click()
    expect(page).to_have_url(re.compile(rf"/products/{part.slug}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(part.title)
    expect(page.locator(".summary .price")).to_have_text("$123.45")


def add_to_the_cart_and_change_the_quantity(page: Page, javascript: bool, part: Part) -> None:
    mark_page(page, javascript)
    page.get_by_role("button", name="Add to cart", exact=True).click()
    if javascript:
        expect(page.locator(f"#cart-feedback-{part.id}")).to_contain_text("Added to your cart.")
        expect(page.locator("#cart-count")).to_contain_text("1")
        assert_no_page_load(page, javascript)
        page.get_by_role("link", name="View cart").click()
    else:
        expect(page.get_by_role("main").get_by_text("Added to your cart.")).to_be_visible()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()

    line = page.locator(f"#cart-line-{part.id}")
    expect(line.get_by_role("link", name=part.title)).to_be_visible()
    mark_page(page, javascript)
    page.get_by_label(f"Quantity of {part.title}").fill(str(QUANTITY))
    line.get_by_role("button", name="Update").click()
    expect(page.get_by_role("main").get_by_text("Quantity changed.")).to_be_visible()
    expect(page.locator(f"#cart-line-{part.id}")).to_contain_text("$246.90")
    expect(page.locator("#cart-count")).to_contain_text(str(QUANTITY))
    assert_no_page_load(page, javascript)


def sign_up_on_the_way_to_checkout(page: Page, email: str) -> None:
    """Checkout asks a visitor to sign in; a new shopper creates an account from there."""
    page.get_by_role("link", name="Proceed to checkout").click()
    expect(page.get_by_text("Please sign in to continue.")).to_be_visible()
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("I have read and accept the privacy policy.").check()
    page.get_by_role("button", name="Create account").click()
    # Back at the checkout, which waits for the confirmed address; the cart came along.
    expect(page).to_have_url(re.compile(r"/checkout$"))
    expect(page.get_by_role("heading", name="You can't buy yet")).to_be_visible()
    expect(page.locator("#cart-count")).to_contain_text(str(QUANTITY))


def confirm_the_email_address(page: Page, mail_server: SmtpSink, email: str) -> None:
    follow_mailed_link(page, mail_server, email, "Confirm your email address")
    expect(page.get_by_role("heading", name="Email address confirmed")).to_be_visible()


def check_out(page: Page, javascript: bool, mail_server: SmtpSink, email: str) -> str:
    """Address, express shipping, the test card; returns the order number on the confirmation."""
    page.locator(".site-header .cart-link").click()
    page.get_by_role("link", name="Proceed to checkout").click()
    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    for label, value in ADDRESS.items():
        page.get_by_label(label).fill(value)
    page.get_by_label("Save this address in my address book").check()

    # The country and the shipping method re-price the order: in place with JS, or on request.
    mark_page(page, javascript)
    page.get_by_label("Country or region").select_option("DE")
    if not javascript:
        page.get_by_role("button", name="Update totals").click()
    express = page.get_by_label("Express courier")
    expect(page.locator("label[for=ship-express]")).to_contain_text("$62.00")
    express.check()
    if not javascript:
        page.get_by_role("button", name="Update totals").click()
    expect(page.locator("#order-totals")).to_contain_text("Express courier")
    expect(page.locator("#order-total")).to_have_text("$367.59")
    assert_no_page_load(page, javascript)
    expect(page.get_by_label("Street address")).to_have_value(ADDRESS["Street address"])

    page.get_by_label("Name on the card").fill(ADDRESS["Recipient name"])
    page.get_by_label("Card number").fill(TEST_CARDS.success)
    page.get_by_label("Expiry (MM/YY)").fill("12/35")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name="Place order").click()

    expect(page.get_by_text("Thank you for your order!")).to_be_visible()
    found = re.search(r"OK-\d{6}-[A-Z0-9]{6}", page.get_by_role("heading", level=1).inner_text())
    assert found is not None
    expect(page.locator("#order-status")).to_have_text("Paid")
    expect(page.get_by_text("Visa •••• 4242")).to_be_visible()
    expect(page.locator("#cart-count")).to_contain_text("0")
    mail_server.wait_for(email, subject_contains=found.group(0))
    return found.group(0)


def review_the_delivered_part(page: Page, part: Part, number: str) -> None:
    page.get_by_role("link", name="My orders").click()
    page.get_by_role("link", name=number).click()
    expect(page.locator("#order-status")).to_have_text("Delivered")
    expect(page.get_by_text(f"{CARRIER} {TRACKING_NUMBER}")).to_be_visible()
    expect(page.locator("dl.totals")).to_contain_text(
        re.compile(rf"Points earned\s*{NET_MINOR // 100}")
    )
    page.get_by_role("link", name="Review the products of this order").click()
    page.get_by_role("link", name=f"Review {part.title}").click()
    page.get_by_label("4 stars").check()
    page.get_by_label("Title").fill(REVIEW_TITLE)
    page.get_by_label("Your review").fill(REVIEW_BODY)
    page.get_by_role("button", name="Submit review").click()
    expect(page.get_by_text("Your review is waiting for moderation")).to_be_visible()
    expect(page.get_by_role("cell", name="Pending moderation")).to_be_visible()


def vote_for_another_shoppers_review(page: Page, javascript: bool, part: Part) -> None:
    """Once approved, the shopper's review is published beside the earlier buyer's one."""
    page.reload()
    expect(page.get_by_role("cell", name="Published")).to_be_visible()
    page.locator("#my-reviews").get_by_role("link", name=part.title).click()
    reviews = page.locator("#reviews")
    expect(reviews.locator(".review", has_text=REVIEW_TITLE)).to_be_visible()
    other = reviews.locator(".review", has_text=OTHER_REVIEW_TITLE)
    mark_page(page, javascript)
    other.get_by_role("button", name="Helpful (0)", exact=True).click()
    expect(other.get_by_role("button", name="Helpful (1)", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    assert_no_page_load(page, javascript)


def ask_a_question(page: Page, javascript: bool) -> None:
    mark_page(page, javascript)
    page.get_by_label("Your question").fill(QUESTION)
    page.get_by_role("button", name="Ask").click()
    expect(page.get_by_role("main").get_by_text("Thank you! Your question will")).to_be_visible()
    assert_no_page_load(page, javascript)


def reject_optional_cookies(page: Page, javascript: bool) -> None:
    """The banner has waited on every page so far; the shopper answers it now."""
    banner = page.get_by_role("region", name="Your cookie choices")
    expect(banner).to_be_visible()
    mark_page(page, javascript)
    banner.get_by_role("button", name="Reject all").click()
    expect(banner).to_have_count(0)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_no_page_load(page, javascript)


def give_a_consent_and_download_my_data(page: Page, javascript: bool) -> dict[str, Any]:
    """In the privacy center: agree to personalised recommendations, then take the ZIP."""
    page.get_by_role("link", name="My account").click()
    page.get_by_role("navigation", name="Personal center").get_by_role(
        "link", name="Privacy"
    ).click()
    expect(page.get_by_role("heading", name="Your rights")).to_be_visible()
    recommendations = page.locator("#consent-personalised_recommendations")
    mark_page(page, javascript)
    recommendations.get_by_role("button", name="Give consent").click()
    expect(page.get_by_role("main").get_by_text("your consent is recorded")).to_be_visible()
    expect(page.locator("#consent-personalised_recommendations")).to_contain_text("Given")
    assert_no_page_load(page, javascript)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download my data (ZIP)").click()
    with zipfile.ZipFile(download_info.value.path()) as archive:
        return {
            name: json.loads(archive.read(name)) if name.endswith(".json") else archive.read(name)
            for name in archive.namelist()
        }


def assert_the_download_holds_the_journey(files: dict[str, Any], part: Part) -> None:
    [order] = files["orders.json"]
    assert order["status"] == "delivered"
    assert [(line["title"], line["quantity"]) for line in order["lines"]] == [
        (part.title, QUANTITY)
    ]
    assert [(pay["card_brand"], pay["card_last4"]) for pay in order["payments"]] == [
        ("Visa", "4242")
    ]
    assert [(r["title"], r["status"]) for r in files["reviews.json"]] == [
        (REVIEW_TITLE, "approved")
    ]
    assert [(v["product_title"], v["helpful"]) for v in files["votes.json"]] == [(part.title, 1)]
    assert [(q["product_title"], q["body"]) for q in files["questions.json"]] == [
        (part.title, QUESTION)
    ]
    consents = files["consents.json"]
    assert consents["current"]["personalised_recommendations"] is True
    assert [(e["consent"], e["granted"]) for e in consents["events"]] == [
        ("personalised_recommendations", True)
    ]
    # Cookie choices are tied to the browser, not the account: the README says they are left out.
    assert "Cookie choices" in files["README.md"].decode()


# -- The state the journey leaves ---------------------------------------------------------------

EXPECTED_STATE: dict[str, Any] = {
    "account": {
        "email_verified": True,
        "locale": "en",
        "is_minor": False,
        "restrict_processing": False,
        "object_to_marketing": False,
        "marketing_email_consent": False,
        "personalisation_consent": True,
    },
    "orders": [
        {
            "status": "delivered",
            "currency": "USD",
            "subtotal_minor": PRICE_MINOR * QUANTITY,
            "discount_minor": 0,
            "coupon_code": "",
            "points_used": 0,
            "shipping_method": "Express courier",
            "shipping_minor": EXPRESS_TO_GERMANY_MINOR,
            "total_minor": TOTAL_MINOR,
            "points_earned": NET_MINOR // 100,  # tax earns no points
            "recipient": "Mia Wong",
            "phone": "+49 40 1234567",
            "country": "DE",
            "city": "Hamburg",
            "line": "Hafenstraße 3",
            "zip_code": "20457",
            "for_company": False,
            "carrier": CARRIER,
            "tracking_number": TRACKING_NUMBER,
            "lines": [
                {
                    "the_part": True,
                    "unit_price_minor": PRICE_MINOR,
                    "quantity": QUANTITY,
                    "line_total_minor": PRICE_MINOR * QUANTITY,
                    "weight_grams": WEIGHT_GRAMS,
                }
            ],
            "payments": [
                {
                    "method": "card",
                    "status": "captured",
                    "amount_minor": TOTAL_MINOR,
                    "currency": "USD",
                    "payer_name": "Mia Wong",
                    "card_brand": "Visa",
                    "card_last4": "4242",
                }
            ],
            "history": [
                ("awaiting_payment", "customer"),
                ("paid", "system"),
                ("shipped", STAFF_NAME),
                ("delivered", STAFF_NAME),
            ],
        }
    ],
    "part_stock_left": STOCK - QUANTITY,
    "points": [(NET_MINOR // 100, NET_MINOR // 100, "order_earned")],
    "cart": [],
    "addresses": [
        {
            "kind": "shipping",
            "recipient": "Mia Wong",
            "phone": "+49 40 1234567",
            "country": "DE",
            "region": "",
            "city": "Hamburg",
            "line": "Hafenstraße 3",
            "zip_code": "20457",
            "is_default": True,
        }
    ],
    "reviews": [
        {
            "the_part": True,
            "rating": 4,
            "title": REVIEW_TITLE,
            "body": REVIEW_BODY,
            "status": "approved",
            "moderated_by": STAFF_NAME,
            "helpful_count": 0,
            "not_helpful_count": 0,
        }
    ],
    "votes": [{"review_title": OTHER_REVIEW_TITLE, "helpful": 1}],
    "other_review_counts": (1, 0),
    "questions": [{"the_part": True, "body": QUESTION, "status": "pending"}],
    "cookie_choices": [("necessary", "banner")],
    "consent_events": [("personalised_recommendations", True)],
    "privacy_requests": [("export", "completed")],
    "emails": ["verify_email", "order_confirmation", "order_status", "order_status"],
    "sign_ins": 1,
    "policy_acceptances": 1,
}


def _named(*names: str) -> dict[str, str]:
    return {name: name for name in names}


def _select(
    database: TestDatabase, columns: dict[str, str], rest: str, flags: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """Rows as {name: value} for columns given as {name: SQL expression}. The flags are
    booleans, which SQLite answers as 0/1 and PostgreSQL as booleans: the same either way."""
    rows = [
        dict(zip(columns, row, strict=True))
        for row in query(database, f"SELECT {', '.join(columns.values())} {rest}")
    ]
    return [{name: bool(row[name]) if name in flags else row[name] for name in row} for row in rows]


def journey_state(database: TestDatabase, email: str, consent_id: str, part: Part) -> dict:
    """What the journey left in the database, without ids, emails, times, numbers or tokens."""
    switches = (
        "is_minor",
        "restrict_processing",
        "object_to_marketing",
        "marketing_email_consent",
        "personalisation_consent",
    )
    [account] = _select(
        database,
        {"id": "id", "email_verified": "email_verified_at IS NOT NULL", "locale": "locale"}
        | _named(*switches),
        f"FROM account WHERE email = {quoted(email)}",
        flags=("email_verified", *switches),
    )
    account_id = account.pop("id")
    mine = f"WHERE account = {account_id} ORDER BY id"
    the_part = {"the_part": f"product = {part.id}"}

    orders = _select(
        database,
        _named(
            "id",
            "status",
            "currency",
            "subtotal_minor",
            "discount_minor",
            "coupon_code",
            "points_used",
            "shipping_method",
            "shipping_minor",
            "total_minor",
            "points_earned",
            "recipient",
            "phone",
            "country",
            "city",
            "line",
            "zip_code",
            "for_company",
            "carrier",
            "tracking_number",
        ),
        f"FROM shop_order {mine}",
        flags=("for_company",),
    )
    for order in orders:
        its = f'WHERE "order" = {order.pop("id")} ORDER BY id'
        order["lines"] = _select(
            database,
            the_part | _named("unit_price_minor", "quantity", "line_total_minor", "weight_grams"),
            f"FROM order_line {its}",
            flags=("the_part",),
        )
        order["payments"] = _select(
            database,
            _named(
                "method",
                "status",
                "amount_minor",
                "currency",
                "payer_name",
                "card_brand",
                "card_last4",
            ),
            f"FROM payment {its}",
        )
        order["history"] = query(database, f"SELECT status, actor FROM order_event {its}")

    [(stock_left,)] = query(database, f"SELECT stock FROM product WHERE id = {part.id}")
    [other_review_counts] = query(
        database,
        "SELECT helpful_count, not_helpful_count FROM review"
        f" WHERE product = {part.id} AND title = {quoted(OTHER_REVIEW_TITLE)}",
    )
    return {
        "account": account,
        "orders": orders,
        "part_stock_left": stock_left,
        "points": query(database, f"SELECT amount, balance_after, reason FROM points_entry {mine}"),
        "cart": query(database, f"SELECT product, quantity FROM cart_line {mine}"),
        "addresses": _select(
            database,
            _named(
                "kind",
                "recipient",
                "phone",
                "country",
                "region",
                "city",
                "line",
                "zip_code",
                "is_default",
            ),
            f"FROM address {mine}",
            flags=("is_default",),
        ),
        "reviews": _select(
            database,
            the_part
            | _named(
                "rating",
                "title",
                "body",
                "status",
                "moderated_by",
                "helpful_count",
                "not_helpful_count",
            ),
            f"FROM review {mine}",
            flags=("the_part",),
        ),
        "votes": _select(
            database,
            {"review_title": "review.title", "helpful": "review_vote.helpful"},
            "FROM review_vote JOIN review ON review.id = review_vote.review"
            f" WHERE review_vote.account = {account_id} ORDER BY review_vote.id",
        ),
        "other_review_counts": tuple(other_review_counts),
        "questions": _select(
            database,
            the_part | _named("body", "status"),
            f"FROM question {mine}",
            flags=("the_part",),
        ),
        "cookie_choices": query(
            database,
            "SELECT categories, source FROM cookie_consent"
            f" WHERE consent_id = {quoted(consent_id)} ORDER BY id",
        ),
        "consent_events": [
            (row["consent"], row["granted"])
            for row in _select(
                database,
                _named("consent", "granted"),
                f"FROM consent_event {mine}",
                flags=("granted",),
            )
        ],
        "privacy_requests": query(database, f"SELECT kind, status FROM privacy_request {mine}"),
        "emails": [kind for (kind,) in query(database, f"SELECT kind FROM outbox_message {mine}")],
        "sign_ins": len(query(database, f"SELECT id FROM sign_in {mine}")),
        "policy_acceptances": len(query(database, f"SELECT id FROM policy_acceptance {mine}")),
    }


def my_review_id(database: TestDatabase, email: str) -> int:
    [(review_id,)] = query(
        database,
        "SELECT review.id FROM review JOIN account ON account.id = review.account"
        f" WHERE account.email = {quoted(email)}",
    )
    return int(review_id)


def browser_consent_id(page: Page, database: TestDatabase) -> str:
    """The anonymous id in the browser's signed consent cookie: how the choice's log is found."""
    raw = next(c["value"] for c in page.context.cookies() if c["name"] == consent.CONSENT_COOKIE)
    chosen = consent.decode_consent(database.env()["OKMARTS_SECRET_KEY"], raw)
    assert chosen is not None
    return chosen.consent_id


# -- The journey ---------------------------------------------------------------------------------


def test_the_whole_journey_leaves_the_same_state_with_javascript_on_and_off(
    page: Page,
    javascript: bool,
    mail_server: SmtpSink,
    seeded_database: TestDatabase,
    live_server: str,
) -> None:
    part = a_part_listed_for_this_run(seeded_database)
    another_shoppers_approved_review(seeded_database, part)
    email = new_email("journey")

    search_for_the_part(page, javascript, part)
    add_to_the_cart_and_change_the_quantity(page, javascript, part)
    sign_up_on_the_way_to_checkout(page, email)
    confirm_the_email_address(page, mail_server, email)
    number = check_out(page, javascript, mail_server, email)

    deliver_order(seeded_database, live_server, number)
    review_the_delivered_part(page, part, number)
    approve_review(seeded_database, my_review_id(seeded_database, email))
    vote_for_another_shoppers_review(page, javascript, part)
    ask_a_question(page, javascript)
    reject_optional_cookies(page, javascript)
    download = give_a_consent_and_download_my_data(page, javascript)

    assert_the_download_holds_the_journey(download, part)
    state = journey_state(seeded_database, email, browser_consent_id(page, seeded_database), part)
    assert state == EXPECTED_STATE
