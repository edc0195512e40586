"""The privacy center: the data download (every area, only the account's own), the restrict and
object switches, separate consents, requests due in 15 days, and staff closing them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import uuid
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from litestar import Litestar
from litestar.testing import AsyncTestClient
from piccolo.columns import ForeignKey

from okmarts.piccolo_conf import APP_REGISTRY
from okmarts.services import privacy, privacy_export
from okmarts.settings import PACKAGE_DIR
from okmarts.tables.accounts import Account, Address, Attempt, PointsEntry, SignIn
from okmarts.tables.checkout import CartLine, Order, OrderEvent, OrderLine, Payment
from okmarts.tables.messaging import OutboxMessage
from okmarts.tables.privacy import ConsentEvent, PolicyAcceptance, PrivacyRequest
from okmarts.tables.reviews import Question, Review, ReviewVote
from tests.states.accounts import new_email, post_form, sign_up, verified_account
from tests.states.catalog import new_product
from tests.unit.test_admin_orders import staff

Client = AsyncTestClient[Litestar]
AT = chr(64)
HTMX = {"HX-Request": "true"}
CLOSE_FORM_URL = "/admin/api/forms/close-a-privacy-request/"
AREAS = [
    "README.md",
    "profile.json",
    "addresses.json",
    "addresses.csv",
    "orders.json",
    "orders.csv",
    "order_lines.csv",
    "payments.csv",
    "cart.json",
    "reviews.json",
    "votes.json",
    "questions.json",
    "points.json",
    "points.csv",
    "sign_ins.json",
    "sign_ins.csv",
    "rate_limit_attempts.json",
    "emails_sent.json",
    "emails_sent.csv",
    "consents.json",
    "policy_acceptances.json",
    "privacy_requests.json",
    "privacy_requests.csv",
]


def tag() -> str:
    return uuid.uuid4().hex[:8].upper()


async def fresh(account_id: int) -> Account:
    account = await Account.objects().where(Account.id == account_id).first()
    assert account is not None
    return account


async def rich_records(account: Account, marker: str) -> dict[str, Any]:
    """Records of every area for the account, each carrying `marker` where it can."""
    now = dt.datetime.now(dt.UTC)
    await Account.update(
        {
            Account.real_name: f"Real {marker}",
            Account.nickname: f"nick{marker}"[:40],
            Account.company: f"Company {marker}",
            Account.date_of_birth: dt.date(1985, 5, 17),
        }
    ).where(Account.id == account.id)
    await Address(
        account=account.id,
        recipient=f"Recipient {marker}",
        phone="+49 711 000000",
        country="DE",
        city=f"City{marker}",
        line=f"{marker} Street 1",
        zip_code="70173",
    ).save()
    product = await new_product(10)
    order = Order(
        number=f"OK-P{marker}",
        account=account.id,
        checkout_key=uuid.uuid4().hex,
        status="delivered",
        subtotal_minor=2_000,
        total_minor=2_000,
        recipient=f"Recipient {marker}",
        phone="+49 711 000000",
        email=account.email,
        country="DE",
        city=f"City{marker}",
        line=f"{marker} Street 1",
        zip_code="70173",
    )
    await order.save()
    line = OrderLine(
        order=order.id,
        product=product["id"],
        sku=f"SKU-{marker}",
        title=product["title"],
        unit_price_minor=2_000,
        quantity=1,
        line_total_minor=2_000,
    )
    await line.save()
    await Payment(
        order=order.id,
        method="card",
        status="captured",
        amount_minor=2_000,
        payer_name=f"Payer {marker}",
        payer_email=account.email,
        card_brand="visa",
        card_last4="4242",
        transaction_id=f"TX-{marker}",
    ).save()
    await OrderEvent(order=order.id, status="paid", actor="staff-person", note="ok").save()
    review = Review(
        product=product["id"],
        account=account.id,
        order_line=line.id,
        rating=5,
        title=f"Review title {marker}",
        body=f"Review body {marker} works well.",
        status="approved",
        moderated_by="moderator-person",
    )
    await review.save()
    await Question(
        product=product["id"], account=account.id, body=f"Question {marker}?", status="pending"
    ).save()
    await PointsEntry(account=account.id, amount=50, balance_after=50, reason="test").save()
    await SignIn(account=account.id, ip="198.51.100.7", device_hash=f"hash{marker}").save()
    await OutboxMessage(
        account=account.id,
        kind="order_status",
        recipient=account.email,
        subject=f"Subject {marker}",
        text_body=f"Text {marker}",
        html_body="<p>html</p>",
        message_id=f"<{uuid.uuid4().hex}{AT}okmarts>",
        sent_at=now,
    ).save()
    await CartLine(account=account.id, product=product["id"], quantity=2).save()
    await Attempt(key=f"sign-in-account:{account.email}", created_at=now).save()
    return {"product": product, "review": review.id, "order": order.number}


def unzip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


async def test_download_holds_every_area_of_the_account_and_only_its_own(client: Client) -> None:
    other_client_marker, mine = tag(), tag()
    # Another shopper's records, some touching mine (a vote on my review, mine on theirs).
    other = await sign_up(client)
    theirs = await rich_records(other, other_client_marker)
    client.cookies.clear()
    account = await verified_account(client)
    records = await rich_records(account, mine)
    await ReviewVote(review=theirs["review"], account=account.id, helpful=1).save()
    await ReviewVote(review=records["review"], account=other.id, helpful=0).save()
    given = await post_form(
        client, "/account/privacy/consents", {"consent": "marketing_email", "granted": "yes"}
    )
    assert given.status_code == 303

    response = await client.get("/account/privacy/export")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    today = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
    assert response.headers["content-disposition"] == (
        f'attachment; filename="okmarts-data-{today}.zip"'
    )
    assert "no-store" in response.headers["cache-control"]
    files = unzip(response.content)
    assert set(AREAS) <= set(files), set(AREAS) - set(files)
    text = {name: body.decode() for name, body in files.items() if not name.startswith("avatar/")}
    everything = "\n".join(text.values())

    profile = json.loads(text["profile.json"])
    assert profile["email"] == account.email and profile["real_name"] == f"Real {mine}"
    assert profile["date_of_birth"] == "1985-05-17"
    assert "password_hash" not in profile and "$argon2" not in everything
    assert [row["city"] for row in json.loads(text["addresses.json"])] == [f"City{mine}"]
    [address] = list(csv.DictReader(io.StringIO(text["addresses.csv"])))
    assert address["city"] == f"City{mine}" and address["is_default"] == "false"

    [order] = json.loads(text["orders.json"])
    assert order["number"] == records["order"] and "checkout_key" not in order
    assert [line["sku"] for line in order["lines"]] == [f"SKU-{mine}"]
    assert order["payments"][0]["card_last4"] == "4242"
    assert order["payments"][0]["transaction_id"] == f"TX-{mine}"
    assert [event["actor"] for event in order["history"]] == ["staff"]
    assert "staff-person" not in everything and "moderator-person" not in everything
    [order_row] = list(csv.DictReader(io.StringIO(text["orders.csv"])))
    assert order_row["number"] == records["order"]
    [line_row] = list(csv.DictReader(io.StringIO(text["order_lines.csv"])))
    assert line_row["order_number"] == records["order"] and line_row["sku"] == f"SKU-{mine}"
    [payment_row] = list(csv.DictReader(io.StringIO(text["payments.csv"])))
    assert payment_row["payer_name"] == f"Payer {mine}"

    [review] = json.loads(text["reviews.json"])
    assert review["title"] == f"Review title {mine}" and "moderated_by" not in review
    [vote] = json.loads(text["votes.json"])
    assert vote["review"] == theirs["review"] and vote["helpful"] == 1
    [question] = json.loads(text["questions.json"])
    assert question["body"] == f"Question {mine}?"
    assert json.loads(text["cart.json"])[0]["quantity"] == 2
    assert [row["amount"] for row in json.loads(text["points.json"])] == [50]
    signs = json.loads(text["sign_ins.json"])
    assert f"hash{mine}" in {row["device_hash"] for row in signs}
    assert len(signs) >= 2  # the sign-up's own sign-in too
    attempts = json.loads(text["rate_limit_attempts.json"])
    assert [row["key"] for row in attempts] == [f"sign-in-account:{account.email}"]
    emails = json.loads(text["emails_sent.json"])
    assert {"verify_email", "order_status"} <= {row["kind"] for row in emails}
    assert "html_body" not in emails[0]
    mailed = list(csv.DictReader(io.StringIO(text["emails_sent.csv"])))
    assert f"Text {mine}" in {row["text_body"] for row in mailed}
    consents = json.loads(text["consents.json"])
    assert consents["current"]["marketing_email"] is True
    assert [(e["consent"], e["granted"]) for e in consents["events"]] == [("marketing_email", True)]
    assert json.loads(text["policy_acceptances.json"])[0]["version"] == account.policy_version
    requests = json.loads(text["privacy_requests.json"])
    assert [row["kind"] for row in requests] == ["export"]
    assert "closed_by" not in requests[0]

    # Nothing of the other shopper: their email, address, order, review text, payment, votes.
    for foreign in (other.email, other_client_marker, theirs["order"]):
        assert foreign not in everything, foreign
    # Every field of every file is explained in the README.
    readme = text["README.md"]
    for name in AREAS[1:]:
        assert name in readme, name
    for name in ("cookie", "password"):
        assert name in readme.lower()
    for name, body in text.items():
        if name.endswith(".json"):
            data = json.loads(body)
            rows = data if isinstance(data, list) else [data]
            for row in rows:
                for key in row:
                    assert re.search(rf"- `{key}`: \S", readme), (name, key)

    # The download is a request of its own: completed, due 15 days after it was made.
    [export] = await PrivacyRequest.select().where(PrivacyRequest.account == account.id)
    assert (export["kind"], export["status"]) == ("export", "completed")
    assert export["due_at"] - export["created_at"] == dt.timedelta(days=15)
    assert export["closed_at"] is not None and export["closed_by"] == privacy.SELF_SERVICE


async def test_the_download_includes_the_profile_picture(client: Client, app: Litestar) -> None:
    account = await verified_account(client)
    folder: Path = app.state.settings.data_dir / "avatars"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{uuid.uuid4().hex}.jpg"
    (folder / name).write_bytes(b"\xff\xd8picture")
    await Account.update({Account.avatar: name}).where(Account.id == account.id)
    files = unzip((await client.get("/account/privacy/export")).content)
    assert files[f"avatar/{name}"] == b"\xff\xd8picture"
    assert f"avatar/{name}" in files["README.md"].decode()


def _personal_columns() -> dict[str, set[str]]:
    """Columns marked `# personal` in tables/*.py, by table class name."""
    found: dict[str, set[str]] = {}
    current = ""
    for path in sorted((PACKAGE_DIR / "tables").glob("*.py")):
        for line in path.read_text().splitlines():
            if match := re.match(r"class (\w+)\(Table", line):
                current = match.group(1)
            elif match := re.match(r"\s+(\w+) = \w+\(.*#\s*personal", line):
                found.setdefault(current, set()).add(match.group(1))
    return found


def test_every_personal_column_and_every_account_table_reaches_the_download() -> None:
    registry = {table.__name__: name for table, name in privacy_export.EXPORT_REGISTRY.items()}
    documented = {item.name: set(item.fields) for item in privacy_export.EXPORT_FILES}
    personal = _personal_columns()
    assert {"Account", "Address", "Order", "Payment", "Review"} <= set(personal)
    for table_name, columns in personal.items():
        assert table_name in registry, f"{table_name} has personal columns but no export file"
        for column in columns:
            holders = {registry[table_name]}
            if table_name in {"Order"}:
                holders.add("orders.csv")
            if table_name in {"Payment"}:
                holders.add("payments.csv")
            assert any(column in documented[file] for file in holders), (table_name, column)
    # Every table pointing at an account (or at an order) is exported.
    tables = [
        table for config in APP_REGISTRY.app_configs.values() for table in config.table_classes
    ]
    for table in tables:
        targets = {
            column._foreign_key_meta.resolved_references
            for column in table._meta.columns
            if isinstance(column, ForeignKey)
        }
        if Account in targets or Order in targets:
            missing = f"{table.__name__} is missing from the export"
            assert table in privacy_export.EXPORT_REGISTRY, missing


async def test_switches_change_the_account_are_logged_and_shown(client: Client) -> None:
    account = await verified_account(client)
    page = await client.get("/account/privacy")
    assert page.status_code == 200
    for text in (
        "Download my data",
        "Correct my data",
        "/account/privacy/delete",
        'href="/privacy"',
    ):
        assert text in page.text
    assert "Processing is not restricted." in page.text

    saved = await post_form(client, "/account/privacy/switches", {"restrict_processing": "yes"})
    assert saved.status_code == 303
    assert saved.headers["location"] == "/account/privacy?notice=switches-saved#privacy-switches"
    stored = await fresh(account.id)
    assert stored.restrict_processing and not stored.object_to_marketing
    assert not privacy.analytics_allowed(stored) and privacy.analytics_allowed(None)
    page = await client.get(saved.headers["location"])
    assert "Your privacy choices are saved." in page.text
    assert "Processing is restricted." in page.text
    assert re.search(r'id="f-restrict_processing"[^>]*checked', page.text)

    # With htmx: the section comes back in place, the request list out of band.
    swapped = await post_form(
        client,
        "/account/privacy/switches",
        {"restrict_processing": "yes", "object_to_marketing": "yes"},
        headers=HTMX,
    )
    assert swapped.status_code == 200
    assert swapped.text.lstrip().startswith(("<section", '<section id="privacy-switches"'))
    assert 'hx-swap-oob="outerHTML"' in swapped.text and "<html" not in swapped.text
    assert "You object to direct marketing." in swapped.text
    # Saving the same again changes and logs nothing more.
    await post_form(
        client,
        "/account/privacy/switches",
        {"restrict_processing": "yes", "object_to_marketing": "yes"},
    )
    await post_form(client, "/account/privacy/switches", {"object_to_marketing": "yes"})
    stored = await fresh(account.id)
    assert not stored.restrict_processing and stored.object_to_marketing
    logged = (
        await PrivacyRequest.select(
            PrivacyRequest.kind,
            PrivacyRequest.status,
            PrivacyRequest.details,
            PrivacyRequest.created_at,
            PrivacyRequest.due_at,
        )
        .where(PrivacyRequest.account == account.id)
        .order_by(PrivacyRequest.id)
    )
    assert [(r["kind"], r["status"], r["details"]) for r in logged] == [
        ("restrict", "completed", "on"),
        ("object", "completed", "on"),
        ("restrict", "completed", "off"),
    ]
    assert all(r["due_at"] - r["created_at"] == dt.timedelta(days=15) for r in logged)
    events = (
        await ConsentEvent.select(ConsentEvent.consent, ConsentEvent.granted)
        .where(ConsentEvent.account == account.id)
        .order_by(ConsentEvent.id)
    )
    assert [(e["consent"], e["granted"]) for e in events] == [
        ("restrict_processing", True),
        ("object_to_marketing", True),
        ("restrict_processing", False),
    ]
    page = await client.get("/account/privacy")
    assert page.text.count("Restriction of processing") == 2
    assert "Turned off" in page.text and "Objection to direct marketing" in page.text


async def test_consents_are_given_and_withdrawn_where_given_and_logged(client: Client) -> None:
    account = await verified_account(client)
    assert not privacy.marketing_allowed(account)
    for consent in ("marketing_email", "personalised_recommendations"):
        given = await post_form(
            client, "/account/privacy/consents", {"consent": consent, "granted": "yes"}
        )
        assert given.headers["location"] == "/account/privacy?notice=consent-given#privacy-consents"
    stored = await fresh(account.id)
    assert stored.marketing_email_consent and stored.personalisation_consent
    assert privacy.marketing_allowed(stored) and privacy.personalisation_allowed(stored)

    withdrawn = await post_form(
        client,
        "/account/privacy/consents",
        {"consent": "marketing_email", "granted": "no"},
        headers=HTMX,
    )
    assert withdrawn.status_code == 200 and 'id="privacy-consents"' in withdrawn.text
    assert "Your consent is withdrawn" in withdrawn.text
    assert re.search(r'id="privacy-requests"[^>]*hx-swap-oob="outerHTML"', withdrawn.text)
    stored = await fresh(account.id)
    assert not stored.marketing_email_consent and not privacy.marketing_allowed(stored)
    events = (
        await ConsentEvent.select(ConsentEvent.consent, ConsentEvent.granted)
        .where(ConsentEvent.account == account.id)
        .order_by(ConsentEvent.id)
    )
    assert [(e["consent"], e["granted"]) for e in events] == [
        ("marketing_email", True),
        ("personalised_recommendations", True),
        ("marketing_email", False),
    ]
    [withdrawal] = await PrivacyRequest.select().where(PrivacyRequest.account == account.id)
    assert (withdrawal["kind"], withdrawal["status"], withdrawal["details"]) == (
        "withdraw",
        "completed",
        "marketing_email",
    )

    # Objecting to marketing or restricting overrides the consent still given.
    await post_form(client, "/account/privacy/switches", {"object_to_marketing": "yes"})
    assert not privacy.personalisation_allowed(await fresh(account.id))
    await post_form(client, "/account/privacy/switches", {"restrict_processing": "yes"})
    assert not privacy.personalisation_allowed(await fresh(account.id))

    # Third-party sign-in (none configured here): not given, and not given from this page —
    # linking an account gives it (tests/unit/test_oidc.py).
    page = await client.get("/account/privacy")
    assert "This shop offers no sign-in with another account" in page.text
    refused = await post_form(
        client, "/account/privacy/consents", {"consent": "third_party_sign_in", "granted": "yes"}
    )
    assert refused.status_code == 422 and "given by linking another account" in refused.text
    assert (
        await post_form(client, "/account/privacy/consents", {"consent": "x"})
    ).status_code == 422


async def test_children_cannot_consent_to_marketing_or_personalisation(client: Client) -> None:
    account = await verified_account(client)
    await Account.update({Account.is_minor: True, Account.personalisation_consent: True}).where(
        Account.id == account.id
    )
    stored = await fresh(account.id)
    assert not privacy.personalisation_allowed(stored)
    refused = await post_form(
        client, "/account/privacy/consents", {"consent": "marketing_email", "granted": "yes"}
    )
    assert refused.status_code == 422 and "never used for marketing" in refused.text
    assert not (await fresh(account.id)).marketing_email_consent
    # Withdrawing stays possible.
    withdrawn = await post_form(
        client,
        "/account/privacy/consents",
        {"consent": "personalised_recommendations", "granted": "no"},
    )
    assert withdrawn.status_code == 303
    assert not (await fresh(account.id)).personalisation_consent
    # A date of birth under 14 counts even before the flag is set.
    young = Account(
        email=new_email(),
        password_hash="x",
        policy_version="test",
        marketing_email_consent=True,
        date_of_birth=dt.datetime.now(dt.UTC).date() - dt.timedelta(days=365 * 10),
    )
    assert privacy.is_child(young) and not privacy.marketing_allowed(young)


async def test_requests_are_due_in_15_days_and_seen_only_by_their_owner(client: Client) -> None:
    account = await verified_account(client)
    short = await post_form(client, "/account/privacy/requests", {"details": "typo"})
    assert short.status_code == 422 and "characters or more" in short.text
    assert 'aria-invalid="true"' in short.text
    details = f"My email has a typo: it should be lena{AT}example.com."
    sent = await post_form(
        client, "/account/privacy/requests", {"kind": "correct", "details": details}
    )
    assert sent.headers["location"] == "/account/privacy?notice=request-sent#privacy-correct"
    [row] = await PrivacyRequest.select().where(PrivacyRequest.account == account.id)
    assert (row["kind"], row["status"], row["details"]) == ("correct", "open", details)
    assert row["due_at"] - row["created_at"] == dt.timedelta(days=15)
    page = await client.get("/account/privacy")
    assert "Correction of my data" in page.text and "Open" in page.text
    assert details.replace("'", "&#39;") in page.text

    swapped = await post_form(
        client,
        "/account/privacy/requests",
        {"kind": "correct", "details": "My company name is Fischer GmbH."},
        headers=HTMX,
    )
    assert swapped.status_code == 200 and 'id="privacy-correct"' in swapped.text
    assert "Fischer GmbH" in swapped.text  # in the out-of-band request list

    # Staff answer only so many at once.
    for number in range(privacy.MAX_OPEN_REQUESTS - 2):
        await post_form(client, "/account/privacy/requests", {"details": f"Correction {number}."})
    refused = await post_form(client, "/account/privacy/requests", {"details": "One more please."})
    assert refused.status_code == 422 and "waiting for an answer" in refused.text
    unknown = await post_form(
        client, "/account/privacy/requests", {"kind": "delete", "details": "Delete everything!"}
    )
    assert unknown.status_code == 422

    client.cookies.clear()
    await verified_account(client)
    page = await client.get("/account/privacy")
    assert "Fischer GmbH" not in page.text and details not in page.text
    assert "No requests yet." in page.text


async def test_the_privacy_center_needs_a_signed_in_shopper(client: Client) -> None:
    for path in ("/account/privacy", "/account/privacy/export"):
        response = await client.get(path, follow_redirects=False)
        assert response.status_code in (302, 303) and "/login" in response.headers["location"]
    response = await post_form(client, "/account/privacy/switches", {"restrict_processing": "yes"})
    assert response.status_code in (302, 303) and "/login" in response.headers["location"]


async def test_staff_see_overdue_requests_and_close_them(client: Client) -> None:
    account = await verified_account(client)
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=20)
    overdue = await privacy.open_request(account, "correct", "Please fix my nickname.", now=old)
    recent = await privacy.open_request(account, "correct", "And my company name, thanks.")

    username = await staff(client, superuser=True)
    listing = await client.get(
        "/admin/api/tables/privacy_request/",
        params={"account": account.id, "__order": "due_at"},
    )
    assert [row["id"] for row in listing.json()["rows"]] == [overdue.id, recent.id]
    # The sidebar's "Overdue privacy requests" link redirects to the admin with "now" filled in.
    links = (await client.get("/admin/api/links/")).json()
    assert links["Overdue privacy requests"] == "/staff/privacy-requests/overdue"
    assert "Open privacy requests" in links
    redirect = await client.get("/staff/privacy-requests/overdue", follow_redirects=False)
    assert redirect.status_code == 303
    target = redirect.headers["location"]
    assert target.startswith("/admin/#/privacy_request?")
    params = dict(parse_qsl(target.split("?", 1)[1]))
    filtered = await client.get("/admin/api/tables/privacy_request/", params=params)
    ids = [row["id"] for row in filtered.json()["rows"]]
    assert overdue.id in ids and recent.id not in ids

    closed = await client.post(
        CLOSE_FORM_URL,
        json={"request_id": overdue.id, "outcome": "completed", "note": "Nickname corrected."},
        headers={"X-CSRFToken": client.cookies.get("csrftoken") or ""},
    )
    assert closed.status_code == 200, closed.text
    assert "is now completed" in closed.json()["custom_form_success"]
    row = await PrivacyRequest.select().where(PrivacyRequest.id == overdue.id).first()
    assert row["status"] == "completed" and row["closed_by"] == username
    assert row["closed_at"] is not None and "Nickname corrected." in row["details"]
    again = await client.post(
        CLOSE_FORM_URL,
        json={"request_id": overdue.id, "outcome": "rejected"},
        headers={"X-CSRFToken": client.cookies.get("csrftoken") or ""},
    )
    assert "already completed" in again.text
    bad = await client.post(
        CLOSE_FORM_URL,
        json={"request_id": recent.id, "outcome": "maybe"},
        headers={"X-CSRFToken": client.cookies.get("csrftoken") or ""},
    )
    assert bad.status_code == 422
    # The table is read only: requests close through the form.
    patched = await client.patch(
        f"/admin/api/tables/privacy_request/{recent.id}/",
        json={"status": "completed"},
        headers={"X-CSRFToken": client.cookies.get("csrftoken") or ""},
    )
    assert patched.status_code == 405
    # The shopper sees the outcome.
    page = await client.get("/account/privacy")
    assert "Completed" in page.text and "Nickname corrected." in page.text


async def test_moderators_see_no_privacy_requests(client: Client) -> None:
    await staff(client, superuser=False)
    tables = set((await client.get("/admin/api/tables/")).json())
    assert "privacy_request" not in tables and "consent_event" not in tables
    assert (await client.get("/admin/api/tables/privacy_request/")).status_code != 200
    forms = (await client.get("/admin/api/forms/")).json()
    assert "Close a privacy request" not in {form["name"] for form in forms}


async def test_policy_acceptances_come_from_sign_up(client: Client) -> None:
    account = await sign_up(client)
    rows = await PolicyAcceptance.select().where(PolicyAcceptance.account == account.id)
    files = unzip((await client.get("/account/privacy/export")).content)
    accepted = json.loads(files["policy_acceptances.json"])
    assert [row["version"] for row in accepted] == [row["version"] for row in rows]
