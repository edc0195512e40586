"""Moderation in the admin: moderators see the review and question queues without personal data,
decide a selection through the forms, the row's edit form or Bulk Update (every path recorded
in the audit), and answer questions (the asker gets an email in their language)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from babel.support import Translations
from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.admin import ANSWER_QUESTION_FORM, DECIDE_QUESTIONS_FORM, DECIDE_REVIEWS_FORM
from okmarts.admin.staff import save_staff
from okmarts.services.moderation import RULES
from okmarts.settings import PROJECT_DIR
from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Product
from okmarts.tables.messaging import OutboxMessage
from okmarts.tables.reviews import ModerationDecision, Question, Review
from tests.unit.test_admin import MODERATOR_TABLES, PERSONAL, csrf, sign_in

Client = AsyncTestClient[Litestar]

AT = chr(64)  # typed out, an address may reach the file garbled
MODERATION = {"review", "question", "moderation_decision"}
REVIEWS_API = "/admin/api/tables/review/"
QUESTIONS_API = "/admin/api/tables/question/"
AUDIT_API = "/admin/api/tables/moderation_decision/"
FORMS = "/admin/api/forms/"
ANSWER_SUBJECT = "Your question about %(product)s has an answer"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def slug_of(form_name: str) -> str:
    return form_name.replace(" ", "-").lower()


async def staff(client: Client, *, superuser: bool) -> str:
    """A signed-in staff user (an admin, or a moderator); returns the username."""
    email = f"{unique('admin' if superuser else 'moderator')}{AT}example.com"
    password = f"staff-password-{uuid.uuid4().hex[:8]}"
    await save_staff(email, password, superuser=superuser)
    await sign_in(client, email, password)
    return email


async def asker(locale: str = "en") -> Account:
    account = Account(
        email=f"{unique('asker')}{AT}example.com",
        password_hash="not-a-hash",
        policy_version="test",
        nickname="Sam",
        locale=locale,
    )
    await account.save()
    return account


async def a_product() -> dict[str, Any]:
    product = await Product.select(Product.id, Product.slug, Product.title).first()
    assert product is not None
    return product


async def pending_review(account: Account, product_id: int, title: str = "") -> Review:
    review = Review(
        product=product_id,
        account=account.id,
        rating=4,
        title=title or unique("Solid relay"),
        body="Switches cleanly; installed in ten minutes.",
    )
    await review.save()
    return review


async def pending_question(account: Account, product_id: int) -> Question:
    question = Question(
        product=product_id, account=account.id, body=f"Does it fit a DIN rail? {unique('q')}"
    )
    await question.save()
    return question


async def status_of(table: type[Review] | type[Question], row_id: int) -> dict[str, Any]:
    row = (
        await table.select(table.status, table.rejection_reason, table.moderated_by)
        .where(table.id == row_id)
        .first()
    )
    assert row is not None
    return row


async def audit(item_type: str, item_id: int) -> list[tuple[str, str, str]]:
    rows = (
        await ModerationDecision.select(
            ModerationDecision.decision, ModerationDecision.reason, ModerationDecision.staff
        )
        .where(
            (ModerationDecision.item_type == item_type) & (ModerationDecision.item_id == item_id)
        )
        .order_by(ModerationDecision.id)
    )
    return [(row["decision"], row["reason"], row["staff"]) for row in rows]


async def submit(client: Client, form: str, **fields: Any) -> Response:
    return await client.post(f"{FORMS}{slug_of(form)}/", json=fields, headers=csrf(client))


def ids_text(*rows: Review | Question) -> str:
    return ", ".join(str(row.id) for row in rows)


async def test_moderator_sees_the_queues_but_no_email(client: Client) -> None:
    await staff(client, superuser=False)
    author = await asker()
    product = await a_product()
    review = await pending_review(author, product["id"])
    question = await pending_question(author, product["id"])

    tables = set((await client.get("/admin/api/tables/")).json())
    assert tables == MODERATOR_TABLES
    grouped = (await client.get("/admin/api/tables/grouped/")).json()["grouped"]
    assert set(grouped) == {"Catalog", "Moderation"}
    assert set(grouped["Moderation"]) == MODERATION
    forms = (await client.get("/admin/api/forms/grouped/")).json()["grouped"]
    assert [form["name"] for form in forms["Moderation"]] == [
        DECIDE_REVIEWS_FORM,
        DECIDE_QUESTIONS_FORM,
        ANSWER_QUESTION_FORM,
    ]
    # The comment rules are in the decision forms' descriptions, and linked from the menu.
    for code, text in RULES.items():
        assert f"{code}: {text}" in forms["Moderation"][0]["description"]
    links = (await client.get("/admin/api/links/")).json()
    assert links["Moderation queue"] == "/admin/moderation/"
    assert links["Pending reviews"] == "#/review?status=pending&__order=created_at"
    assert links["Pending questions"] == "#/question?status=pending&__order=created_at"
    assert links["Comment rules"] == "/comment-rules"

    schema = (await client.get(f"{REVIEWS_API}schema/")).json()
    assert "account" not in schema["properties"] and "order_line" not in schema["properties"]
    assert set(schema["extra"]["visible_filter_names"]) == {
        "status",
        "product",
        "created_at",
        "title",
        "body",
    }
    assert schema["extra"]["order_by"] == [{"column": "created_at", "ascending": False}]
    status_choices = schema["properties"]["status"]["extra"]["choices"].values()
    assert [choice["value"] for choice in status_choices] == ["pending", "approved", "rejected"]

    bodies: list[str] = []
    # The queue as the "Pending reviews" link asks for it: pending, oldest first.
    pending = await client.get(
        REVIEWS_API,
        params={"status": "pending", "__order": "created_at", "__readable": "true"},
    )
    assert pending.status_code == 200
    listed = {row["id"]: row for row in pending.json()["rows"]}
    assert listed[review.id]["product_readable"] and "account" not in listed[review.id]
    assert {row["status"] for row in listed.values()} == {"pending"}
    found = await client.get(REVIEWS_API, params={"title": review.title[-8:].upper()})
    assert [row["id"] for row in found.json()["rows"]] == [review.id]
    questions = await client.get(
        QUESTIONS_API, params={"status": "pending", "__readable": "true", "__page_size": "100"}
    )
    assert question.id in [row["id"] for row in questions.json()["rows"]]
    bodies += [pending.text, found.text, questions.text]
    for url in (f"{REVIEWS_API}{review.id}/", f"{QUESTIONS_API}{question.id}/"):
        single = await client.get(url, params={"__readable": "true"})
        assert single.status_code == 200 and "account" not in single.json()
        bodies.append(single.text)
    for url, params in [
        (REVIEWS_API, {"__visible_fields": "id,account"}),
        (REVIEWS_API, {"__visible_fields": "id,account.email"}),
        (REVIEWS_API, {"account": str(author.id)}),
        (QUESTIONS_API, {"__visible_fields": "id,account.email"}),
        ("/admin/api/tables/account/ids/", {}),
        ("/admin/api/tables/review_vote/", {}),
        ("/admin/api/tables/outbox_message/", {}),
    ]:
        refused = await client.get(url, params=params)
        assert refused.status_code in (400, 404), (url, params, refused.status_code)
        bodies.append(refused.text)
    for table in sorted(PERSONAL):
        bodies.append((await client.get(f"/admin/api/tables/{table}/")).text)
    assert all(author.email not in body for body in bodies)

    # Nor can a moderator change what moderation does not decide: the author's fields are
    # refused, what the services keep is left as it is (the edit form sends it all back).
    url = f"{REVIEWS_API}{review.id}/"
    for field, value in [("account", None), ("order_line", None)]:
        patched = await client.patch(url, json={field: value}, headers=csrf(client))
        assert patched.status_code == 400, (field, patched.text)
    for field, value in [("rating", 1), ("product", product["id"] + 1)]:
        patched = await client.patch(url, json={field: value}, headers=csrf(client))
        assert patched.status_code == 422, (field, patched.text)
        assert patched.json()["detail"][0]["loc"][-1] == field
    kept = {"moderated_by": "someone else", "helpful_count": 99, "helpful_score": 5}
    ignored = await client.patch(url, json=kept, headers=csrf(client))
    assert ignored.status_code == 200, ignored.text
    stored = await Review.select().where(Review.id == review.id).first()
    assert stored is not None
    assert {key: stored[key] for key in ("account", "product", "rating", "status")} == {
        "account": author.id,
        "product": product["id"],
        "rating": 4,
        "status": "pending",
    }
    assert (stored["moderated_by"], stored["helpful_count"], stored["helpful_score"]) == ("", 0, 0)


async def test_decide_reviews_form_approves_a_selection_and_rejects_with_a_reason(
    client: Client,
) -> None:
    username = await staff(client, superuser=False)
    author = await asker()
    product = await a_product()
    reviews = [await pending_review(author, product["id"]) for _ in range(4)]
    first, second, third, spam = reviews

    approved = await submit(
        client,
        DECIDE_REVIEWS_FORM,
        review_ids=f" {first.id},{second.id}  {third.id}, {first.id}",
        decision="approved",
    )
    assert approved.status_code == 200, approved.text
    ids = sorted(row.id for row in (first, second, third))
    assert approved.json() == {
        "custom_form_success": f"Approved 3 reviews: {', '.join(map(str, ids))}."
    }
    for review in (first, second, third):
        assert await status_of(Review, review.id) == {
            "status": "approved",
            "rejection_reason": "",
            "moderated_by": username,
        }
        assert await audit("review", review.id) == [("approved", "", username)]

    rejected = await submit(
        client,
        DECIDE_REVIEWS_FORM,
        review_ids=str(spam.id),
        decision="reject",
        reason="Advertising",
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json() == {
        "custom_form_success": f"Rejected (advertising) 1 review: {spam.id}."
    }
    assert await status_of(Review, spam.id) == {
        "status": "rejected",
        "rejection_reason": "advertising",
        "moderated_by": username,
    }
    assert await audit("review", spam.id) == [("rejected", "advertising", username)]

    # Deciding again what is already so changes nothing and records nothing.
    again = await submit(
        client, DECIDE_REVIEWS_FORM, review_ids=ids_text(first, spam), decision="approved"
    )
    assert again.json() == {
        "custom_form_success": f"Approved 1 review: {spam.id}. "
        f"Already approved, left as they were: {first.id}."
    }
    assert await audit("review", first.id) == [("approved", "", username)]
    assert await audit("review", spam.id) == [
        ("rejected", "advertising", username),
        ("approved", "", username),
    ]


async def test_refused_decisions_change_nothing(client: Client) -> None:
    await staff(client, superuser=False)
    author = await asker()
    product = await a_product()
    review = await pending_review(author, product["id"])
    question = await pending_question(author, product["id"])

    for reason in ("", "rude"):
        refused = await submit(
            client,
            DECIDE_REVIEWS_FORM,
            review_ids=str(review.id),
            decision="rejected",
            reason=reason,
        )
        assert refused.status_code == 422
        assert refused.json() == {
            "custom_form_error": "A rejection names the comment rule it breaks: "
            + ", ".join(RULES)
            + "."
        }
    no_reason = await submit(
        client, DECIDE_QUESTIONS_FORM, question_ids=str(question.id), decision="rejected"
    )
    assert no_reason.status_code == 422 and "names the comment rule" in no_reason.text
    unknown = await submit(
        client, DECIDE_REVIEWS_FORM, review_ids=f"{review.id} 999999999", decision="approved"
    )
    assert unknown.json() == {
        "custom_form_error": "There is no review 999999999. Nothing was changed."
    }
    for bad in [
        {"review_ids": "12a", "decision": "approved"},
        {"review_ids": "1", "decision": "maybe"},
    ]:
        invalid = await submit(client, DECIDE_REVIEWS_FORM, **bad)
        assert invalid.status_code == 422 and "detail" in invalid.json()
    empty_answer = await submit(client, ANSWER_QUESTION_FORM, question_id=question.id, answer=" ")
    assert empty_answer.json() == {"custom_form_error": "Write the answer first."}

    assert await status_of(Review, review.id) == {
        "status": "pending",
        "rejection_reason": "",
        "moderated_by": "",
    }
    assert (await status_of(Question, question.id))["status"] == "pending"
    assert await audit("review", review.id) == []
    assert await audit("question", question.id) == []
    assert not await OutboxMessage.exists().where(OutboxMessage.recipient == author.email)


async def test_answer_form_publishes_and_emails_the_asker_in_their_language(
    client: Client,
) -> None:
    username = await staff(client, superuser=False)
    chinese = await asker("zh_Hans")
    product = await a_product()
    question = await pending_question(chinese, product["id"])

    answered = await submit(
        client,
        ANSWER_QUESTION_FORM,
        question_id=question.id,
        answer="Yes: it clips onto a standard 35 mm DIN rail.",
    )
    assert answered.status_code == 200, answered.text
    assert answered.json() == {
        "custom_form_success": f"Question {question.id} is answered and published. "
        "The asker gets an email."
    }
    row = await Question.select().where(Question.id == question.id).first()
    assert row is not None
    assert (row["status"], row["answer"], row["answered_by"], row["moderated_by"]) == (
        "approved",
        "Yes: it clips onto a standard 35 mm DIN rail.",
        username,
        username,
    )
    assert row["answered_at"] is not None
    assert await audit("question", question.id) == [("answered", "", username)]

    mails = await OutboxMessage.select(
        OutboxMessage.kind, OutboxMessage.locale, OutboxMessage.subject, OutboxMessage.text_body
    ).where(OutboxMessage.recipient == chinese.email)
    assert len(mails) == 1
    mail = mails[0]
    assert (mail["kind"], mail["locale"]) == ("question_answered", "zh_Hans")
    assert "35 mm DIN rail" in mail["text_body"]
    catalog = Translations.load(str(PROJECT_DIR / "locales"), ["zh_Hans"], domain="messages")
    if catalog.gettext(ANSWER_SUBJECT) != ANSWER_SUBJECT:
        assert re.search(r"[\u4e00-\u9fff]", mail["subject"]), mail["subject"]


async def test_status_edits_in_the_admin_go_through_moderation(client: Client) -> None:
    """The row's edit form and Bulk Update send PATCHes: they decide, with the audit."""
    username = await staff(client, superuser=False)
    author = await asker()
    product = await a_product()
    bulk = [await pending_review(author, product["id"]) for _ in range(2)]
    edited = await pending_review(author, product["id"])

    # Bulk Update: the same one-column PATCH, row by row.
    for review in bulk:
        patched = await client.patch(
            f"{REVIEWS_API}{review.id}/", json={"status": "approved"}, headers=csrf(client)
        )
        assert patched.status_code == 200, patched.text
        assert patched.json()["status"] == "approved"
        assert await audit("review", review.id) == [("approved", "", username)]
        assert (await status_of(Review, review.id))["moderated_by"] == username

    # A rejection needs its rule: refused without it, whichever way it comes.
    url = f"{REVIEWS_API}{edited.id}/"
    no_reason = await client.patch(url, json={"status": "rejected"}, headers=csrf(client))
    assert no_reason.status_code == 422
    assert no_reason.json()["detail"][0]["loc"][-1] == "rejection_reason"
    assert "names the comment rule" in no_reason.json()["detail"][0]["msg"]
    reason_only = await client.patch(
        url, json={"rejection_reason": "uncivil"}, headers=csrf(client)
    )
    assert reason_only.status_code == 422
    back_to_pending = await client.patch(
        f"{REVIEWS_API}{bulk[0].id}/", json={"status": "pending"}, headers=csrf(client)
    )
    assert back_to_pending.status_code == 422
    assert (await status_of(Review, bulk[0].id))["status"] == "approved"
    assert await audit("review", edited.id) == []

    # An edit form may send every field back, as text (empty ones as null): a changed status
    # and reason decide, an unchanged field passes; the author's title is not changed here.
    row = (await client.get(url)).json()
    sent = {key: None if value is None else str(value) for key, value in row.items()}
    sent.pop("id")
    sent.update(status="rejected", rejection_reason="uncivil", title="Edited title")
    retitled = await client.patch(url, json=sent, headers=csrf(client))
    assert retitled.status_code == 422
    assert retitled.json()["detail"][0]["loc"][-1] == "title"
    sent["title"] = edited.title
    saved = await client.patch(url, json=sent, headers=csrf(client))
    assert saved.status_code == 200, saved.text
    assert await status_of(Review, edited.id) == {
        "status": "rejected",
        "rejection_reason": "uncivil",
        "moderated_by": username,
    }
    assert (await Review.select(Review.title).where(Review.id == edited.id).first()) == {
        "title": edited.title
    }
    assert await audit("review", edited.id) == [("rejected", "uncivil", username)]
    # Saving the same form again decides nothing new.
    assert (await client.patch(url, json=sent, headers=csrf(client))).status_code == 200
    assert len(await audit("review", edited.id)) == 1

    # Reviews come from the shop: no adding, replacing or deleting them here.
    assert (await client.put(url, json=sent, headers=csrf(client))).status_code == 405
    assert (await client.delete(url, headers=csrf(client))).status_code == 405
    added = await client.post(REVIEWS_API, json={"title": "Forged"}, headers=csrf(client))
    assert added.status_code == 405
    assert await Review.exists().where(Review.id == edited.id)


async def test_answering_in_the_questions_edit_form_emails_the_asker(client: Client) -> None:
    username = await staff(client, superuser=False)
    author = await asker()
    product = await a_product()
    question = await pending_question(author, product["id"])
    url = f"{QUESTIONS_API}{question.id}/"

    row = (await client.get(url)).json()
    sent = {key: None if value is None else str(value) for key, value in row.items()}
    sent.pop("id")
    sent["answer"] = "It does, with the included clip."
    saved = await client.patch(url, json=sent, headers=csrf(client))
    assert saved.status_code == 200, saved.text
    stored = await Question.select().where(Question.id == question.id).first()
    assert stored is not None
    assert (stored["status"], stored["answer"], stored["answered_by"]) == (
        "approved",
        "It does, with the included clip.",
        username,
    )
    assert await audit("question", question.id) == [("answered", "", username)]
    mail = (
        await OutboxMessage.select(OutboxMessage.kind, OutboxMessage.locale, OutboxMessage.subject)
        .where(OutboxMessage.recipient == author.email)
        .first()
    )
    assert mail is not None and mail["kind"] == "question_answered" and mail["locale"] == "en"
    assert mail["subject"] == f"Your question about {product['title']} has an answer"

    removed = await client.patch(url, json={"answer": ""}, headers=csrf(client))
    assert removed.status_code == 422
    assert (await Question.select(Question.answer).where(Question.id == question.id).first()) == {
        "answer": "It does, with the included clip."
    }
    forged = await client.patch(url, json={"answered_by": "nobody"}, headers=csrf(client))
    assert forged.status_code == 200
    assert (
        await Question.select(Question.answered_by).where(Question.id == question.id).first()
    ) == {"answered_by": username}
    assert len(await audit("question", question.id)) == 1


async def test_audit_is_readable_by_moderators_and_admins_and_never_written(
    app: Litestar, client: Client
) -> None:
    moderator = await staff(client, superuser=False)
    author = await asker()
    product = await a_product()
    question = await pending_question(author, product["id"])
    decided = await submit(
        client,
        DECIDE_QUESTIONS_FORM,
        question_ids=str(question.id),
        decision="rejected",
        reason="order_issue",
    )
    assert decided.status_code == 200, decided.text
    params = {"item_type": "question", "item_id": str(question.id)}

    seen = (await client.get(AUDIT_API, params=params)).json()["rows"]
    assert [(row["decision"], row["reason"], row["staff"]) for row in seen] == [
        ("rejected", "order_issue", moderator)
    ]
    audit_id = seen[0]["id"]
    for method in ("patch", "put", "delete"):
        kwargs: dict[str, Any] = {"headers": csrf(client)}
        if method != "delete":
            kwargs["json"] = {"staff": "someone else"}
        response = await getattr(client, method)(f"{AUDIT_API}{audit_id}/", **kwargs)
        assert response.status_code == 405, method
    forged = await client.post(AUDIT_API, json={"staff": "x"}, headers=csrf(client))
    assert forged.status_code == 405
    assert await audit("question", question.id) == [("rejected", "order_issue", moderator)]

    async with AsyncTestClient(app=app) as admin_client:
        await staff(admin_client, superuser=True)
        rows = (await admin_client.get(AUDIT_API, params=params)).json()["rows"]
        assert [row["staff"] for row in rows] == [moderator]
        deleted = await admin_client.delete(f"{AUDIT_API}{audit_id}/", headers=csrf(admin_client))
        assert deleted.status_code == 405


async def test_admin_sees_moderation_with_authors_and_votes(client: Client) -> None:
    username = await staff(client, superuser=True)
    author = await asker()
    product = await a_product()
    review = await pending_review(author, product["id"])

    grouped = (await client.get("/admin/api/tables/grouped/")).json()["grouped"]
    assert set(grouped["Moderation"]) == MODERATION | {"review_vote"}
    assert {"Catalog", "Shoppers", "Orders"} <= set(grouped)
    forms = (await client.get("/admin/api/forms/grouped/")).json()["grouped"]
    assert [form["slug"] for form in forms["Orders"]] == ["change-order-status"]
    assert len(forms["Moderation"]) == 3
    row = (await client.get(f"{REVIEWS_API}{review.id}/", params={"__readable": "true"})).json()
    assert row["account_readable"] == author.email

    # Admins decide through the same service: recorded too; the author stays the author.
    patched = await client.patch(
        f"{REVIEWS_API}{review.id}/",
        json={"status": "approved", "account": author.id},
        headers=csrf(client),
    )
    assert patched.status_code == 200, patched.text
    assert await audit("review", review.id) == [("approved", "", username)]
    moved = await client.patch(
        f"{REVIEWS_API}{review.id}/", json={"account": None}, headers=csrf(client)
    )
    assert moved.status_code == 422
    assert (await Review.select(Review.account).where(Review.id == review.id).first()) == {
        "account": author.id
    }
