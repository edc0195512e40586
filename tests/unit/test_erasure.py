"""Deleting an account: password, emailed link, confirmation; then nothing personal is left.

The main test builds a rich account (profile, avatar, address book, a private and a company
order with payments, a review, a vote, a question, points, sign-ins, emails, consents, a privacy
request), deletes it through HTTP, dumps every table of the database and scans every value for
the person's email, names, phones, streets, zip code, city, company and tax number: the only
hits allowed are the columns services.erasure documents as kept for law.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from litestar import Litestar
from litestar.testing import AsyncTestClient
from piccolo.columns import ForeignKey
from PIL import Image
from stdnum.iso7064 import mod_11_10

from okmarts.app import create_app
from okmarts.db import is_postgres
from okmarts.piccolo_conf import APP_REGISTRY
from okmarts.services import erasure, moderation, reviews
from okmarts.services.avatars import avatars_dir
from okmarts.services.messaging import MAX_ATTEMPTS, enqueue_email
from okmarts.settings import PROJECT_DIR, Settings
from okmarts.tables.accounts import Account, Address, Attempt, PointsEntry, SignIn
from okmarts.tables.checkout import CartLine, Order, OrderEvent, Payment
from okmarts.tables.messaging import OutboxMessage
from okmarts.tables.privacy import ConsentEvent, PolicyAcceptance, PrivacyRequest
from okmarts.tables.reviews import Question, Review, ReviewVote
from tests.conftest import TestDatabase
from tests.smtp import SmtpSink, text_of
from tests.states.accounts import (
    PASSWORD,
    errors_in,
    links_mailed_to,
    local,
    post_form,
    sign_up,
    verified_account,
)
from tests.states.catalog import new_product
from tests.states.orders import bought, deliver, place_order
from tests.states.reviews import approved_review
from tests.unit.conftest import settings_for

Client = AsyncTestClient[Litestar]
AT = chr(64)
# Letters that never occur in hex: a needle can't turn up by chance in a hash or a key.
NOT_HEX = "ghjkmnpqrstvwxyz"
TABLES_DIR = PROJECT_DIR / "src" / "okmarts" / "tables"
DOC = PROJECT_DIR / "docs" / "personal-data.md"


# -- Helpers ---------------------------------------------------------------------------------------


@pytest.fixture
async def mailing_app(
    seeded_database: TestDatabase, smtp_server: SmtpSink
) -> AsyncIterator[tuple[Litestar, Settings]]:
    """The app sending its mail to a real SMTP server (the farewell is sent at once)."""
    settings = dataclasses.replace(settings_for(seeded_database), smtp_url=smtp_server.url)
    yield create_app(settings), settings


@dataclasses.dataclass(frozen=True)
class Person:
    email: str
    real_name: str
    nickname: str
    company: str
    tax_id: str
    street: str
    other_street: str
    city: str
    zip_code: str
    phone: str
    other_phone: str
    po_number: str

    @classmethod
    def new(cls) -> Person:
        tag = "".join(secrets.choice(NOT_HEX) for _ in range(8))
        digits = secrets.choice("123456789") + "".join(
            secrets.choice("0123456789") for _ in range(7)
        )
        return cls(
            email=f"ilse.{tag}{AT}example.com",
            real_name=f"Ilse {tag.capitalize()}",
            nickname=f"ilse_{tag}",
            company=f"{tag.capitalize()} Hydraulik GmbH",
            # A valid German VAT number (the checkout checks its checksum: services.tax).
            tax_id=f"DE{digits}{mod_11_10.calc_check_digit(digits)}",
            street=f"{tag.capitalize()}strasse 17",
            other_street=f"{tag.capitalize()}gasse 4",
            city=f"Vell{tag}",
            zip_code=f"QZ{digits[:5]}",
            phone=f"+49 30 {digits}",
            other_phone=f"+49 89 {digits[::-1]}",
            po_number=f"PO-{tag}-{digits[:4]}",
        )

    def needles(self) -> dict[str, str]:
        return dataclasses.asdict(self)


def jpeg() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (300, 300), (200, 40, 40)).save(output, format="JPEG")
    return output.getvalue()


async def dump_database() -> list[tuple[str, str, Any, Any]]:
    """Every value of every table: (table, column, row id, value). FTS shadow tables skipped."""
    engine = Account._meta.db
    if is_postgres(engine):
        rows = await Account.raw("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        names = [row["tablename"] for row in rows]
    else:
        rows = await Account.raw("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
        virtual = [
            row["name"]
            for row in rows
            if (row["sql"] or "").upper().startswith("CREATE VIRTUAL TABLE")
        ]
        names = [
            row["name"]
            for row in rows
            if not row["name"].startswith("sqlite_")
            and not any(row["name"] == v or row["name"].startswith(f"{v}_") for v in virtual)
        ]
    assert "account" in names and "shop_order" in names and "outbox_message" in names
    values = []
    for name in names:
        for row in await Account.raw(f'SELECT * FROM "{name}"'):
            for column, value in row.items():
                values.append((name, column, row.get("id"), value))
    return values


def scan(dump: list[tuple[str, str, Any, Any]], needles: dict[str, str]) -> set[tuple[str, str]]:
    """(table, column) of every value containing a needle (case-insensitive)."""
    wanted = {name: value.lower() for name, value in needles.items()}
    hits: set[tuple[str, str]] = set()
    for table, column, _row_id, value in dump:
        if value is None:
            continue
        text = (
            value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        ).lower()
        if any(needle in text for needle in wanted.values()):
            hits.add((table, column))
    return hits


async def request_link(client: Client, email: str, reviews_choice: str = "keep") -> str:
    """Ask for the deletion with the password; the link from the email."""
    response = await post_form(
        client, "/account/privacy/delete", {"password": PASSWORD, "reviews": reviews_choice}
    )
    assert response.status_code == 200, response.text
    assert "Check your mailbox" in response.text
    links = await links_mailed_to(email, "account_deletion")
    assert links
    return links[-1]


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


async def confirm(client: Client, link: str) -> Any:
    page = await client.get(local(link))
    assert page.status_code == 200, page.text
    assert "Delete my account for good" in page.text
    return await post_form(client, "/account/delete/confirm", {"token": token_of(link)})


# -- The whole story -------------------------------------------------------------------------------


async def build_rich_account(client: Client, settings: Settings, person: Person) -> Account:
    """Everything a long-time shopper leaves behind, through HTTP where a shopper would."""
    account = await sign_up(client, person.email)
    [link] = await links_mailed_to(person.email, "verify_email")
    assert "is confirmed" in (await client.get(local(link))).text
    # A password reset asked for (a rate-limit row keyed by the address), a failed and a
    # second sign-in.
    await post_form(client, "/logout")
    assert (await post_form(client, "/password-reset", {"email": person.email})).status_code == 200
    wrong = await post_form(client, "/login", {"email": person.email, "password": "not it at all"})
    assert wrong.status_code == 422
    await post_form(client, "/login", {"email": person.email, "password": PASSWORD})
    assert await Attempt.exists().where(Attempt.key == f"reset-account:{person.email}")

    response = await client.post(
        "/account/profile",
        data={
            "_csrf_token": client.cookies["okmarts_csrf"],
            "real_name": person.real_name,
            "nickname": person.nickname,
            "gender": "female",
            "date_of_birth": "1984-02-29",
            "company": person.company,
            "address": f"{person.street}, {person.zip_code} {person.city}",
            "zip_code": person.zip_code,
        },
        files={"avatar": ("me.jpg", jpeg(), "image/jpeg")},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/account/profile?notice=points-awarded"
    shipping = {
        "kind": "shipping",
        "recipient": person.real_name,
        "phone": person.phone,
        "country": "DE",
        "region": "Berlin",
        "city": person.city,
        "line": person.street,
        "zip_code": person.zip_code,
    }
    await post_form(client, "/account/addresses", shipping)
    billing = {
        **shipping,
        "kind": "billing",
        "phone": person.other_phone,
        "line": person.other_street,
        "company": person.company,
        "tax_id": person.tax_id,
    }
    await post_form(client, "/account/addresses", billing)
    assert await Address.count().where(Address.account == account.id) == 2

    # A private order by card and a company order by bank transfer, both delivered.
    product = await new_product(20)
    private = await place_order(
        client,
        product,
        {
            "recipient": person.real_name,
            "phone": person.phone,
            "email": person.email,
            "country": "DE",
            "region": "Berlin",
            "city": person.city,
            "line": person.street,
            "zip_code": person.zip_code,
            "payment_method": "card",
            "card_holder": person.real_name,
            "card_number": "4242 4242 4242 4242",
            "card_expiry": "12/35",
            "card_cvc": "123",
            "action": "place",
        },
    )
    company = await place_order(
        client,
        product,
        {
            "recipient": person.real_name,
            "phone": person.other_phone,
            "email": person.email,
            "country": "DE",
            "region": "Berlin",
            "city": person.city,
            "line": person.other_street,
            "zip_code": person.zip_code,
            "for_company": "yes",
            "company": person.company,
            "tax_id": person.tax_id,
            "billing_address": f"{person.company}, {person.street}, {person.zip_code} "
            f"{person.city}",
            "po_number": person.po_number,
            "payment_method": "bank_transfer",
            "action": "place",
        },
    )
    await deliver(private.id, settings, "TRK1", note=f"Called {person.real_name} first")
    await deliver(company.id, settings, "TRK2")
    assert await Payment.count().where(Payment.order.is_in([private.id, company.id])) == 2

    # A review (approved), a vote on someone else's review, a question.
    line = await bought(account, product)
    own = await reviews.submit_review(
        account, line, "4", "Solid relay", "Switches cleanly at 24 V, easy to mount."
    )
    await moderation.decide_reviews([own.id], "approved", staff="mod")
    other = await approved_review(product)
    await reviews.vote(account, other.id, "helpful")
    await Question(
        product=product["id"], account=account.id, body="Is it rated for 230 V AC?"
    ).save()
    # What the privacy center and others write (their own tests cover how).
    now = dt.datetime.now(dt.UTC)
    await ConsentEvent.insert(
        ConsentEvent(account=account.id, consent="marketing_email", granted=True, created_at=now),
        ConsentEvent(account=account.id, consent="marketing_email", granted=False, created_at=now),
    )
    await PolicyAcceptance(account=account.id, version="2023-07-04", accepted_at=now).save()
    await PrivacyRequest(
        account=account.id,
        kind="correct",
        details=f"Please write my name as {person.real_name}, phone {person.phone}",
        created_at=now,
        due_at=now + dt.timedelta(days=15),
    ).save()
    await CartLine(account=account.id, product=product["id"], quantity=1).save()
    # Mail not sent yet, and a sent one whose error quotes the address.
    await enqueue_email(
        kind="new_device",
        recipient=person.email,
        locale="en",
        account_id=account.id,
        context={
            "when": now,
            "ip": "192.0.2.7",
            "browser": person.nickname,
            "os": "?",
            "security_link": "x",
            "reset_link": "y",
        },
    )
    await OutboxMessage.update(
        {OutboxMessage.last_error: f"550 <{person.email}>: mailbox full"}
    ).where(OutboxMessage.kind == "verify_email", OutboxMessage.recipient == person.email)
    return await Account.objects().where(Account.id == account.id).first()


async def test_deleting_a_rich_account_leaves_only_what_law_keeps(
    mailing_app: tuple[Litestar, Settings], smtp_server: SmtpSink
) -> None:
    app, settings = mailing_app
    person = Person.new()
    async with AsyncTestClient(app=app) as client:
        account = await build_rich_account(client, settings, person)
        avatar = avatars_dir(settings.data_dir) / account.avatar
        assert avatar.exists()
        kept_for_law = (
            Order.number,
            Order.created_at,
            Order.status,
            Order.total_minor,
            Order.country,
            Order.region,
            Order.for_company,
        )
        books = await Order.select(*kept_for_law).where(Order.account == account.id)
        order_numbers = [row["number"] for row in books]
        assert len(order_numbers) == 3  # by card, by bank transfer, and the reviewed one
        # Before: the needles are everywhere (the scan works).
        before = scan(await dump_database(), person.needles())
        assert {("account", "email"), ("address", "line"), ("shop_order", "phone")} <= before
        assert {("payment", "payer_name"), ("outbox_message", "recipient")} <= before
        assert {("privacy_request", "details"), ("order_event", "note")} <= before

        page = await client.get("/account/privacy/delete")
        assert page.status_code == 200 and 'name="password"' in page.text
        link = await request_link(client, person.email, "keep")
        confirmed = await confirm(client, link)
        assert confirmed.status_code == 200, confirmed.text
        assert "Your account is deleted" in confirmed.text
        assert "okmarts_session" not in client.cookies
        # The page is a visitor's now.
        assert "Sign in" in confirmed.text

        # The last email went out, and the outbox forgot where.
        message = await smtp_server.wait_for_async(person.email, "was deleted")
        assert "We keep 3 orders for 10 years" in text_of(message)
        farewell = (
            await OutboxMessage.objects()
            .where(OutboxMessage.kind == erasure.FAREWELL_KIND)
            .order_by(OutboxMessage.id, ascending=False)
            .first()
        )
        assert farewell.sent_at is not None and farewell.recipient == ""
        assert farewell.text_body == "" and farewell.account is None

        hits = scan(await dump_database(), person.needles())
        assert hits == {
            ("shop_order", "company"),
            ("shop_order", "tax_id"),
            ("shop_order", "billing_address"),
            ("shop_order", "po_number"),
        }
        # Issue 16 (H-returns): complaints are kept for legal claims too (this account made
        # none; tests/unit/test_returns_privacy.py erases an account that did).
        assert erasure.retained_columns() == hits | {
            ("complaint", "email"),
            ("complaint", "summary"),
            ("complaint", "decision"),
            ("complaint", "decision_reason"),
        }
        # …and only on the company order.
        kept = await Order.objects().where(Order.company == person.company)
        assert len(kept) == 1 and kept[0].for_company and kept[0].account is None

        assert not await Account.exists().where(Account.id == account.id)
        assert not avatar.exists()
        for table in (Address, SignIn, PointsEntry, CartLine, ReviewVote, ConsentEvent):
            assert not await table.exists().where(table.account == account.id)
        for table in (Order, Review, Question, OutboxMessage, PrivacyRequest, PolicyAcceptance):
            assert not await table.exists().where(table.account == account.id)
        # Orders keep what an invoice and the books need.
        after = await Order.select(*kept_for_law).where(Order.number.is_in(order_numbers))
        assert sorted(after, key=str) == sorted(books, key=str)
        for order in await Order.objects().where(Order.number.is_in(order_numbers)):
            assert order.recipient == order.phone == order.email == order.line == ""
            assert order.tracking_number == ""
        events = await OrderEvent.select(OrderEvent.note).where(OrderEvent.order == kept[0].id)
        assert erasure.ERASED_NOTE in [row["note"] for row in events]
        # The vote on someone else's review is gone, and so is its count.
        for review in await Review.objects().where(Review.title == "Solid relay"):
            votes = await ReviewVote.count().where(ReviewVote.review == review.id)
            assert review.helpful_count + review.not_helpful_count == votes
        # Mail never sent stays unsent.
        unsent = await OutboxMessage.objects().where(
            OutboxMessage.kind == "new_device", OutboxMessage.last_error == erasure.GIVEN_UP_NOTE
        )
        assert unsent and all(m.attempts >= MAX_ATTEMPTS and m.sent_at is None for m in unsent)
        # The request is on record, as proof that it was honoured.
        assert await PrivacyRequest.exists().where(
            (PrivacyRequest.kind == "delete")
            & (PrivacyRequest.status == "completed")
            & (PrivacyRequest.closed_by == erasure.SELF_SERVICE)
        )

        # The link was used: it works no more. Nor does the password.
        again = await client.get(local(link))
        assert again.status_code == 400 and "This link does not work" in again.text
        refused = await post_form(client, "/login", {"email": person.email, "password": PASSWORD})
        assert refused.status_code == 422


# -- Refusals --------------------------------------------------------------------------------------


async def test_a_wrong_password_is_refused_and_nothing_is_mailed(client: Client) -> None:
    account = await verified_account(client)
    page = await client.get("/account/privacy/delete")
    assert "Keep them, shown as written by a former customer" in page.text
    response = await post_form(
        client, "/account/privacy/delete", {"password": "not my password", "reviews": "keep"}
    )
    assert response.status_code == 422
    assert "Your password is not correct." in errors_in(response.text)
    assert 'value="not my password"' not in response.text
    response = await post_form(
        client, "/account/privacy/delete", {"password": PASSWORD, "reviews": "maybe"}
    )
    assert response.status_code == 422
    assert "Choose what should happen to your reviews." in errors_in(response.text)
    assert not await links_mailed_to(account.email, "account_deletion")
    # htmx: the fragment, answered 422 so that it swaps in place.
    response = await post_form(
        client,
        "/account/privacy/delete",
        {"password": "nope nope nope", "reviews": "keep"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<div id="account-delete"')
    assert await Account.exists().where(Account.id == account.id)


async def test_signed_out_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = await client.get("/account/privacy/delete", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_a_link_older_than_a_password_change_is_refused(client: Client) -> None:
    account = await verified_account(client)
    link = await request_link(client, account.email)
    new = "fresh walnut harbour 19"
    changed = await post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": new, "confirm_password": new},
    )
    assert changed.status_code == 303
    page = await client.get(local(link))
    assert page.status_code == 400 and "This link does not work" in page.text
    response = await post_form(client, "/account/delete/confirm", {"token": token_of(link)})
    assert response.status_code == 400
    assert await Account.exists().where(Account.id == account.id)


async def test_tampered_links_are_refused_and_a_get_never_deletes(client: Client) -> None:
    account = await verified_account(client)
    link = await request_link(client, account.email)
    path = "/account/delete/confirm"
    for bad in [local(link)[:-4] + "AAAA", path, f"{path}?token=x"]:
        response = await client.get(bad)
        assert response.status_code == 400, bad
    response = await post_form(client, path, {"token": "nonsense"})
    assert response.status_code == 400
    # A genuine link, a day and an hour old.
    payload = URLSafeTimedSerializer(
        "test-secret-key-not-for-production", salt=f"okmarts.{erasure.TOKEN_PURPOSE}"
    ).loads(token_of(link))

    class DayOld(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 25 * 3600

    old = URLSafeTimedSerializer(
        "test-secret-key-not-for-production",
        salt=f"okmarts.{erasure.TOKEN_PURPOSE}",
        signer=DayOld,
    ).dumps(payload)
    expired = await client.get(f"{path}?token={old}")
    assert expired.status_code == 400 and "The link has expired." in expired.text
    response = await post_form(client, path, {"token": old})
    assert response.status_code == 400
    # Opening the link (a mail scanner does) shows the page and deletes nothing.
    for _ in range(2):
        assert (await client.get(local(link))).status_code == 200
    assert await Account.exists().where(Account.id == account.id)


async def test_orders_on_their_way_hold_the_deletion_back(app: Litestar, client: Client) -> None:
    account = await verified_account(client)
    link = await request_link(client, account.email)
    await bought(account, await new_product(5), status="shipped")
    number = (await Order.select(Order.number).where(Order.account == account.id).first())["number"]
    page = await client.get(local(link))
    assert number in page.text and "Delete my account for good" not in page.text
    response = await post_form(client, "/account/delete/confirm", {"token": token_of(link)})
    assert response.status_code == 409 and number in response.text
    response = await post_form(
        client, "/account/privacy/delete", {"password": PASSWORD, "reviews": "keep"}
    )
    assert response.status_code == 422 and number in response.text
    assert await Account.exists().where(Account.id == account.id)
    # Once delivered, the same link works.
    await Order.update({Order.status: "delivered"}).where(Order.account == account.id)
    assert (await confirm(client, link)).status_code == 200
    assert not await Account.exists().where(Account.id == account.id)


# -- Reviews: kept anonymous, or deleted -----------------------------------------------------------


async def _reviewer_with_a_vote(
    client: Client,
) -> tuple[Account, dict, Review, Review, Question]:
    account = await verified_account(client)
    product = await new_product(5)
    line = await bought(account, product)
    own = await reviews.submit_review(
        account, line, "5", "Great coil", "Pulled in at 18 V every single time."
    )
    await moderation.decide_reviews([own.id], "approved", staff="mod")
    await Account.update({Account.nickname: "coil_fan_42"}).where(Account.id == account.id)
    other = await approved_review(product)
    await reviews.vote(account, other.id, "not_helpful")
    question = Question(product=product["id"], account=account.id, body="Fits DIN rails?")
    await question.save()
    return account, product, own, other, question


async def test_kept_reviews_show_a_former_customer(app: Litestar, client: Client) -> None:
    account, product, own, other, question = await _reviewer_with_a_vote(client)
    page = await client.get(f"/products/{product['slug']}")
    assert "coil_fan_42" in page.text
    link = await request_link(client, account.email, "keep")
    assert (await confirm(client, link)).status_code == 200
    kept = await Review.objects().where(Review.id == own.id).first()
    assert kept is not None and kept.account is None and kept.order_line is None
    kept_question = await Question.objects().where(Question.id == question.id).first()
    assert kept_question is not None and kept_question.account is None
    page = await client.get(f"/products/{product['slug']}")
    assert "Great coil" in page.text and "Former customer" in page.text
    assert "coil_fan_42" not in page.text
    counted = await Review.objects().where(Review.id == other.id).first()
    assert counted.not_helpful_count == 0 and counted.helpful_score >= 0


async def test_deleted_reviews_and_questions_are_gone(app: Litestar, client: Client) -> None:
    account, product, own, other, question = await _reviewer_with_a_vote(client)
    # Someone else found the review helpful: that vote goes with the review.
    voter = await approved_review(product)
    voter_account = await Account.objects().where(Account.id == voter.account).first()
    await reviews.vote(voter_account, own.id, "helpful")
    link = await request_link(client, account.email, "delete")
    assert (await confirm(client, link)).status_code == 200
    assert not await Review.exists().where(Review.id == own.id)
    assert not await ReviewVote.exists().where(ReviewVote.review == own.id)
    assert not await Question.exists().where(Question.id == question.id)
    assert await Review.exists().where(Review.id == other.id)
    page = await client.get(f"/products/{product['slug']}")
    assert "Great coil" not in page.text


# -- For retention and the wind-down ---------------------------------------------------------------


async def test_erase_account_by_id_for_retention(app: Litestar) -> None:
    async with AsyncTestClient(app=app) as client:
        account = await sign_up(client)
    settings = app.state.settings
    erased = await erasure.erase_account(account.id, settings=settings, reason="retention: test")
    assert erased is not None and erased.farewell_id is None
    assert not await Account.exists().where(Account.id == account.id)
    # The verification mail's copy is erased; no farewell, no request record.
    rows = await OutboxMessage.objects().where(OutboxMessage.recipient == account.email)
    assert rows == []
    assert await erasure.erase_account(account.id, settings=settings, reason="again") is None


async def test_a_new_account_never_inherits_a_deleted_accounts_sessions(app: Litestar) -> None:
    async with AsyncTestClient(app=app) as old, AsyncTestClient(app=app) as other:
        account = await verified_account(old)
        stale = old.cookies["okmarts_session"]
        # Another browser of the same person, still signed in.
        await post_form(other, "/login", {"email": account.email, "password": PASSWORD})
        stale_elsewhere = other.cookies["okmarts_session"]
        link = await request_link(old, account.email)
        assert (await confirm(old, link)).status_code == 200
        async with AsyncTestClient(app=app) as newcomer:
            fresh = await sign_up(newcomer)
        for cookie in (stale, stale_elsewhere):
            async with AsyncTestClient(app=app) as browser:
                browser.cookies["okmarts_session"] = cookie
                response = await browser.get("/account", follow_redirects=False)
                # Even where SQLite gave the newcomer the deleted account's id.
                assert response.status_code == 303, (fresh.id, account.id)


# -- The registry reaches every personal field -----------------------------------------------------


def _marked_personal() -> set[tuple[str, str]]:
    """(table, column) of every column marked `# personal` in okmarts.tables."""
    found: set[tuple[str, str]] = set()
    for path in TABLES_DIR.glob("*.py"):
        table = None
        for line in path.read_text().splitlines():
            declared = re.match(r'class \w+\(Table, tablename="(\w+)"\)', line)
            if declared:
                table = declared.group(1)
            column = re.match(r"\s+(\w+) = \w+\(.*#\s*personal", line)
            if column and table:
                found.add((table, column.group(1)))
    return found


def _covered() -> set[tuple[str, str]]:
    return {(rule.name, column) for rule in erasure.REGISTRY for column in rule.columns} | {
        (rule.name, "*") for rule in erasure.REGISTRY if rule.action is erasure.Action.DELETE
    }


def test_every_field_marked_personal_is_in_the_registry() -> None:
    marked = _marked_personal()
    assert ("account", "email") in marked and ("shop_order", "billing_address") in marked
    covered = _covered()
    missing = sorted(
        (table, column)
        for table, column in marked
        if (table, column) not in covered and (table, "*") not in covered
    )
    assert not missing, f"add these to services.erasure.REGISTRY: {missing}"


def test_every_link_to_an_account_is_in_the_registry() -> None:
    tables = [
        table for config in APP_REGISTRY.app_configs.values() for table in config.table_classes
    ]
    links = {
        (table._meta.tablename, column._meta.name)
        for table in tables
        for column in table._meta.columns
        if isinstance(column, ForeignKey)
        and column._foreign_key_meta.resolved_references is Account
    }
    assert ("shop_order", "account") in links
    covered = _covered()
    missing = sorted(
        (table, column)
        for table, column in links
        if (table, column) not in covered and (table, "*") not in covered
    )
    assert not missing, f"say in services.erasure.REGISTRY what happens to: {missing}"


def test_the_document_names_every_rule() -> None:
    text = DOC.read_text()
    for rule in erasure.REGISTRY:
        for column in rule.columns or ("",):
            name = f"{rule.name}.{column}" if column else rule.name
            assert f"`{name}`" in text, f"docs/personal-data.md does not mention `{name}`"
    assert f"{erasure.ORDER_RETENTION_YEARS} years" in text
