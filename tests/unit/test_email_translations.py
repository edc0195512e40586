"""Every email reads in the recipient's language: no English left in a translated one."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace
from typing import Any

import pytest

from okmarts.services.follows import DigestGroup
from okmarts.services.messaging import EMAILS_DIR, render_email
from okmarts.services.orders import STATUSES
from tests.unit.test_translations import COMPLETE_LANGUAGES

WHEN = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC)
LINK = "https://shop.example.test/l/abc123"
ADDRESS = "buyer" + chr(64) + "example.test"
ORDER = SimpleNamespace(
    number="OK-261126-ABC123",
    currency="USD",
    subtotal_minor=12_000,
    discount_minor=1_000,
    points_used=50,
    shipping_minor=900,
    total_minor=11_850,
    status="awaiting_payment",
    carrier="DHL",
    tracking_number="JD0146",
    po_number="PO-4711",
    recipient="Ada Buyer",
)
QUOTE = SimpleNamespace(
    number="Q-2026-000123",
    currency="USD",
    valid_until=WHEN,
    staff_note="Held for your project.",
)

# One example of every kind of email, with everything its templates show switched on.
SAMPLES: dict[str, dict[str, Any]] = {
    "verify_email": {"email": ADDRESS, "link": LINK, "days": 3},
    "password_reset": {"link": LINK, "minutes": 60},
    "guardian_consent": {"child_email": ADDRESS, "age": 14, "days": 7, "link": LINK},
    "new_device": {
        "when": WHEN,
        "browser": "Firefox 140",
        "os": "Linux",
        "ip": "203.0.113.7",
        "reset_link": LINK,
        "security_link": LINK,
    },
    "order_confirmation": {
        "order": ORDER,
        "lines": [
            SimpleNamespace(quantity=2, title="Relay RX-12", sku="RX-12", line_total_minor=12_000)
        ],
        "status_label": STATUSES["awaiting_payment"],
        "link": LINK,
        "payment_due": WHEN,
    },
    "company_invitation": {
        "company_name": "Acme GmbH",
        "inviter": "Ada Buyer",
        "role": "Buyer",
        "days": 7,
        "link": LINK,
    },
    "order_awaiting_approval": {"order": ORDER, "link": LINK},
    "order_status": {"order": ORDER, "status_label": STATUSES["shipped"], "link": LINK},
    "order_payment_reminder": {
        "order": ORDER,
        "lines": [],
        "status_label": STATUSES["awaiting_payment"],
        "link": LINK,
        "payment_due": WHEN,
    },
    "order_expired": {
        "order": ORDER,
        "lines": [],
        "status_label": STATUSES["cancelled"],
        "link": LINK,
        "contact_link": LINK,
    },
    "support_reply": {
        "number": "S-2026-000042",
        "about": "Relay RX-12",
        "answer": "Yes, up to 10 A.",
        "link": LINK,
    },
    "support_verify": {"about": "Relay RX-12", "link": LINK},
    # Issue 16 (H-survey): the satisfaction survey when a conversation closes.
    "support_survey": {"number": "S-2026-000042", "about": "Relay RX-12", "link": LINK},
    # Issue 16 (H-returns): each step of a return; a complaint's case.
    "return_update": {
        "step": "approved",
        "number": "R-2026-000042",
        "order_number": "OK-2026-ABCD",
        "instructions": "Held for your project.",
        "staff_reason": "",
        "refund": {"minor": 2125, "currency": "USD"},
        "refund_state": "",
        "link": LINK,
    },
    "complaint_update": {
        "step": "opened",
        "case_number": "K-2026-000042",
        "due_at": dt.datetime(2026, 12, 18, tzinfo=dt.UTC),
        "decision": "",
        "decision_reason": "",
        "link": LINK,
    },
    "question_answered": {
        "product_title": "Relay RX-12",
        "question": "Does it switch 230 V?",
        "answer": "Yes, up to 10 A.",
        "link": LINK,
    },
    "part_watch_confirm": {
        "link": LINK,
        "product_title": "Relay RX-12",
        "ask": "Tell me when it's back in stock",
        "days": 3,
    },
    **{
        kind: {
            "product_title": "Relay RX-12",
            "price_minor": 1250,
            "old_price_minor": 1500,
            "currency": "USD",
            "stock": 4,
            "link": LINK,
            "stop_link": LINK,
            "watches_link": LINK,
            "replacement": {"title": "Relay RX-14", "slug": "rx-14", "link": LINK},
        }
        for kind in ("part_back_in_stock", "part_price_drop", "part_discontinued")
    },
    "account_deletion": {"link": LINK, "hours": 24, "keep_reviews": True},
    "account_deleted": {"when": WHEN, "orders_kept": 2, "years": 10, "keep_reviews": True},
    "account_inactive": {
        "last_seen": WHEN.date(),
        "delete_on": WHEN.date(),
        "login_link": LINK,
        "privacy_center_link": LINK,
        "privacy_link": LINK,
    },
    "newsletter": {
        # Written by staff in each language: only the shop's own sentences are checked here.
        "newsletter_subject": "Relay RX-12",
        "paragraphs": ["Relay RX-12"],
    },
    # Issue 21: quotes (services.quotes).
    "quote_answered": {
        "quote": QUOTE,
        "lines": [
            SimpleNamespace(
                quantity=12,
                title="Relay RX-12",
                sku="RX-12",
                unit_price_minor=1_000,
                line_total_minor=12_000,
            )
        ],
        "total_minor": 12_000,
        "link": LINK,
    },
    "quote_declined": {"quote": QUOTE, "lines": [], "total_minor": None, "link": LINK},
    "wind_down": {
        "ends_at": WHEN,
        "privacy_center_link": LINK,
        "privacy_link": LINK,
    },
    "follows_digest": {
        "groups": [
            DigestGroup(
                "category",
                "Relays",
                LINK,
                [{"title": "Relay RX-12", "link": LINK}],
                more=3,
            ),
            DigestGroup("brand", "Okmarts", LINK, [{"title": "Relay RX-12", "link": LINK}]),
        ],
        "total": 5,
        "shown": 2,
        "follows_link": LINK,
        "settings_link": LINK,
    },
    "policy_changed": {"version": "2099-01-01", "policy_link": LINK, "settings_link": LINK},
}
DATA = {
    *("Okmarts", "IBAN", "Ltd", "DHL", "JD0146", "Firefox", "Linux", "RX-12", "Relay", "USD"),
    # What shoppers and staff wrote, shown inside the samples' objects.
    *("Ada Buyer", "Held for your project."),
}


def english_sentences(text: str, context: dict[str, Any]) -> set[str]:
    """The English interface sentences of an email: lines of three words or more, data removed."""
    shoppers_words = [value for value in context.values() if isinstance(value, str) and value]
    found = set()
    for line in text.splitlines():
        prose = line
        for value in [LINK, ADDRESS, *shoppers_words, *DATA]:
            prose = prose.replace(value, " ")
        if len(re.findall(r"[A-Za-z][A-Za-z'’]+", prose)) >= 3:
            found.add(line.strip())
    return found


def test_every_kind_of_email_has_a_sample() -> None:
    kinds = {path.name.removesuffix(".subject.txt") for path in EMAILS_DIR.glob("*.subject.txt")}
    assert kinds == set(SAMPLES)


@pytest.mark.parametrize("kind", sorted(SAMPLES))
@pytest.mark.parametrize("language", COMPLETE_LANGUAGES)
def test_email_is_translated(kind: str, language: str) -> None:
    context = SAMPLES[kind]
    english = render_email(kind, "en", context)
    translated = render_email(kind, language, context)
    if kind != "newsletter":  # its subject is the staff's own, per language
        assert translated.subject != english.subject
    interface = english_sentences(english.text, context)
    assert interface, "the sample shows the email's sentences"
    left_in_english = interface & english_sentences(translated.text, context)
    assert not left_in_english, left_in_english
    html_lines = {line.strip() for line in re.sub(r"<[^>]+>", "\n", translated.html).splitlines()}
    assert not interface & html_lines
    assert f'lang="{language.replace("_", "-")}"' in translated.html
    if language.startswith("zh"):
        # Chinese: any run of English words left is a string that skipped the catalog.
        prose = translated.text.replace(LINK, "").replace(ADDRESS, "")
        for word in [*DATA, *(v for v in context.values() if isinstance(v, str))]:
            prose = prose.replace(word, "")
        assert not re.search(r"[A-Za-z]{3,} [A-Za-z]{3,}", prose), prose
