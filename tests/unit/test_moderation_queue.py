"""The moderation queue at /admin/moderation/: staff read each pending review and question in
full and approve, reject with a comment rule, or answer it in one form post each; every decision
goes through services.moderation (the audit). Staff only, behind the admin's sign-in and its
CSRF token; never an author's email."""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from typing import Any

from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.admin import PAGE_CONTENT_SECURITY_POLICY
from okmarts.admin.staff import save_staff
from okmarts.app import CONTENT_SECURITY_POLICY
from okmarts.services.moderation import RULES
from okmarts.tables.accounts import Account
from okmarts.tables.messaging import OutboxMessage
from okmarts.tables.reviews import ModerationDecision, Question, Review
from tests.states.accounts import sign_up
from tests.unit.test_admin import sign_in
from tests.unit.test_moderation import a_product, asker, audit

Client = AsyncTestClient[Litestar]

AT = chr(64)  # typed out, an address may reach the file garbled
QUEUE = "/admin/moderation/"


async def staff(client: Client, *, superuser: bool = False) -> str:
    """A staff user signed in through the admin's own login; returns the username."""
    email = f"{'admin' if superuser else 'moderator'}-{uuid.uuid4().hex[:10]}{AT}example.com"
    password = f"staff-password-{uuid.uuid4().hex[:8]}"
    await save_staff(email, password, superuser=superuser)
    await sign_in(client, email, password)
    return email


# The queue lists the oldest items first, a page at a time; other tests leave pending items
# behind. This file's items are dated in 2001, so each is on the page whatever else waits.
LONG_AGO = dt.datetime(2001, 1, 1, tzinfo=dt.UTC)


def long_ago() -> dt.datetime:
    return LONG_AGO + dt.timedelta(seconds=uuid.uuid4().int % 86_400)


async def pending_review(account: Account, product_id: int) -> Review:
    review = Review(
        product=product_id,
        account=account.id,
        rating=4,
        title=f"Solid relay {uuid.uuid4().hex[:8]}",
        body="Switches cleanly; installed in ten minutes.",
        created_at=long_ago(),
    )
    await review.save()
    return review


async def pending_question(account: Account, product_id: int) -> Question:
    question = Question(
        product=product_id,
        account=account.id,
        body=f"Does it fit a DIN rail? {uuid.uuid4().hex[:8]}",
        created_at=long_ago(),
    )
    await question.save()
    return question


def token_in(page: str) -> str:
    """The CSRF token the page's forms carry (the admin's double-submit token)."""
    found = re.search(r'name="csrftoken" value="([^"]+)"', page)
    assert found, "every form of the queue carries the CSRF token"
    return found.group(1)


async def post(client: Client, path: str, **fields: str) -> Response:
    page = await client.get(QUEUE)
    return await client.post(
        f"{QUEUE}{path}", data={"csrftoken": token_in(page.text), **fields}, follow_redirects=False
    )


async def item_status(table: type[Review] | type[Question], item_id: int) -> dict[str, Any]:
    row = (
        await table.select(table.status, table.rejection_reason, table.moderated_by)
        .where(table.id == item_id)
        .first()
    )
    assert row is not None
    return row


def article(page: str, key: str) -> str:
    """One queue item's HTML (between its <li id=…> and the next item or the list's end)."""
    start = page.index(f'id="{key}"')
    end = page.find("<li class=", start + 1)
    return page[start : end if end != -1 else len(page)]


async def test_moderator_reads_each_pending_item_in_full_without_emails(client: Client) -> None:
    await staff(client)
    author = await asker()
    product = await a_product()
    review = await pending_review(author, product["id"])
    question = await pending_question(author, product["id"])

    page = await client.get(QUEUE)
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    item = html.unescape(article(page.text, f"review-{review.id}"))
    assert f"Review {review.id} of" in item
    assert product["title"] in item and f'href="/products/{product["slug"]}"' in item
    assert review.title in item
    assert "Switches cleanly; installed in ten minutes." in item
    assert "Rating: 4 of 5" in item
    assert re.search(r'By Sam, <time datetime="2001-01-0[12]T[^"]+">\d+ days ago</time>', item)
    # One click to approve; a choice of the rules (as the comment rules write them) to reject.
    assert f'action="{QUEUE}reviews/{review.id}/approve/"' in item
    assert f'action="{QUEUE}reviews/{review.id}/reject/"' in item
    options = re.findall(r'<option value="([^"]*)">([^<]*)</option>', item)
    assert options == [("", "(none)"), *RULES.items()]
    asked = html.unescape(article(page.text, f"question-{question.id}"))
    assert question.body in asked and product["title"] in asked and "Asked by Sam, <time" in asked
    assert re.search(rf'<textarea id="question-{question.id}-answer" name="answer"', asked)
    assert f'action="{QUEUE}questions/{question.id}/answer/"' in asked
    assert "Answer and publish" in asked
    # Never the author's email, however the page is built.
    assert author.email not in text and AT not in item + asked

    # Our page keeps the storefront's CSP (no inline style or script), and is never cached.
    assert page.headers["content-security-policy"] == PAGE_CONTENT_SECURITY_POLICY
    assert PAGE_CONTENT_SECURITY_POLICY == CONTENT_SECURITY_POLICY
    assert "<script" not in page.text and "style=" not in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"
    # The admin's menu links to it.
    links = (await client.get("/admin/api/links/")).json()
    assert links["Moderation queue"] == QUEUE


async def test_approve_is_one_post_recorded_in_the_audit(client: Client) -> None:
    username = await staff(client)
    author = await asker()
    product = await a_product()
    review = await pending_review(author, product["id"])
    other = await pending_review(author, product["id"])

    approved = await post(client, f"reviews/{review.id}/approve/")
    assert approved.status_code == 303
    assert approved.headers["location"] == f"{QUEUE}?done=approved&item=review-{review.id}"
    assert await item_status(Review, review.id) == {
        "status": "approved",
        "rejection_reason": "",
        "moderated_by": username,
    }
    assert await audit("review", review.id) == [("approved", "", username)]
    assert (await item_status(Review, other.id))["status"] == "pending"

    back = await client.get(approved.headers["location"])
    assert back.status_code == 200
    assert f"Approved review {review.id} “{review.title}”: it is published." in html.unescape(
        back.text
    )
    assert f'id="review-{review.id}"' not in back.text
    assert f'id="review-{other.id}"' in back.text

    # Clicked again (a second tab, a moderator behind): refused, nothing recorded twice.
    again = await post(client, f"reviews/{review.id}/approve/")
    assert again.status_code == 409
    assert f"already approved by {username}" in again.text
    assert await audit("review", review.id) == [("approved", "", username)]


async def test_reject_names_a_comment_rule(client: Client) -> None:
    username = await staff(client)
    author = await asker()
    product = await a_product()
    review = await pending_review(author, product["id"])
    question = await pending_question(author, product["id"])

    no_rule = await post(client, f"reviews/{review.id}/reject/", reason="")
    assert no_rule.status_code == 422
    item = article(no_rule.text, f"review-{review.id}")
    assert "Choose the comment rule the review breaks." in item
    assert 'aria-invalid="true"' in item
    unknown = await post(client, f"reviews/{review.id}/reject/", reason="rude")
    assert unknown.status_code == 422
    assert (await item_status(Review, review.id))["status"] == "pending"
    assert await audit("review", review.id) == []

    rejected = await post(client, f"reviews/{review.id}/reject/", reason="advertising")
    assert rejected.status_code == 303
    assert await item_status(Review, review.id) == {
        "status": "rejected",
        "rejection_reason": "advertising",
        "moderated_by": username,
    }
    assert await audit("review", review.id) == [("rejected", "advertising", username)]
    notice = await client.get(rejected.headers["location"])
    assert f"Rejected review {review.id}" in html.unescape(notice.text)
    assert RULES["advertising"] in html.unescape(notice.text)

    off_topic = await post(client, f"questions/{question.id}/reject/", reason="off_topic")
    assert off_topic.status_code == 303
    assert await item_status(Question, question.id) == {
        "status": "rejected",
        "rejection_reason": "off_topic",
        "moderated_by": username,
    }
    assert await audit("question", question.id) == [("rejected", "off_topic", username)]


async def test_answer_publishes_and_emails_the_asker(client: Client) -> None:
    username = await staff(client)
    author = await asker()
    product = await a_product()
    question = await pending_question(author, product["id"])

    empty = await post(client, f"questions/{question.id}/answer/", answer="   ")
    assert empty.status_code == 422
    assert "Write the answer first." in article(empty.text, f"question-{question.id}")
    control = await post(client, f"questions/{question.id}/answer/", answer="Yes\x00 it fits")
    assert control.status_code == 422
    assert "control character" in article(control.text, f"question-{question.id}")
    assert (await item_status(Question, question.id))["status"] == "pending"

    answer = "Yes: it clips onto a standard\n35 mm DIN rail."
    answered = await post(client, f"questions/{question.id}/answer/", answer=answer)
    assert answered.status_code == 303, answered.text
    row = await Question.select().where(Question.id == question.id).first()
    assert row is not None
    assert (row["status"], row["answer"], row["answered_by"]) == ("approved", answer, username)
    assert await audit("question", question.id) == [("answered", "", username)]
    mails = await OutboxMessage.select(OutboxMessage.kind).where(
        OutboxMessage.recipient == author.email
    )
    assert [mail["kind"] for mail in mails] == ["question_answered"]
    notice = await client.get(answered.headers["location"])
    assert (
        f"Answered question {question.id}: the answer is published and the asker gets an email."
        in notice.text
    )

    # A question has no "approve" of its own (answering publishes it); a review no answer.
    review = await pending_review(author, product["id"])
    for path in (f"questions/{question.id}/approve/", f"reviews/{review.id}/answer/"):
        assert (await post(client, path, answer="x")).status_code == 404


async def test_admins_use_the_queue_too(client: Client) -> None:
    username = await staff(client, superuser=True)
    author = await asker()
    product = await a_product()
    review = await pending_review(author, product["id"])
    page = await client.get(QUEUE)
    assert page.status_code == 200 and f'id="review-{review.id}"' in page.text
    assert author.email not in page.text
    assert (await post(client, f"reviews/{review.id}/approve/")).status_code == 303
    assert await audit("review", review.id) == [("approved", "", username)]


async def test_visitors_and_shoppers_are_refused(app: Litestar, client: Client) -> None:
    author = await asker()
    product = await a_product()
    review = await pending_review(author, product["id"])
    url = f"{QUEUE}reviews/{review.id}/approve/"

    # Anonymous: sent to the staff sign-in; a post changes nothing.
    anonymous = await client.get(QUEUE, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/admin/"
    token = anonymous.cookies.get("csrftoken") or "token"
    posted = await client.post(url, data={"csrftoken": token}, follow_redirects=False)
    assert posted.status_code == 403
    assert review.title not in posted.text

    # A shopper signed in on the storefront is no staff member.
    async with AsyncTestClient(app=app) as shopper:
        await sign_up(shopper)
        assert shopper.cookies.get("okmarts_session")
        page = await shopper.get(QUEUE, follow_redirects=False)
        assert page.status_code == 303 and review.title not in page.text
        shopper.cookies.set("csrftoken", "shopper-token")
        forged = await shopper.post(
            url, data={"csrftoken": "shopper-token"}, follow_redirects=False
        )
        assert forged.status_code == 403

    assert (await item_status(Review, review.id))["status"] == "pending"
    assert not await ModerationDecision.exists().where(ModerationDecision.item_id == review.id)


async def test_posts_need_the_csrf_token_of_the_session(client: Client) -> None:
    await staff(client)
    author = await asker()
    product = await a_product()
    review = await pending_review(author, product["id"])
    url = f"{QUEUE}reviews/{review.id}/approve/"
    token = token_in((await client.get(QUEUE)).text)
    assert token == client.cookies.get("csrftoken")

    for fields in ({"reason": "spam"}, {"csrftoken": ""}, {"csrftoken": "forged-token"}):
        refused = await client.post(url, data=fields, follow_redirects=False)
        assert refused.status_code == 403, fields
        assert "Reload the moderation queue" in refused.text
    # The right token, from another site: refused too.
    elsewhere = await client.post(
        url,
        data={"csrftoken": token},
        headers={"origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert elsewhere.status_code == 403
    # Not a form post, or reading the action with GET: refused.
    as_json = await client.post(url, json={"csrftoken": token}, follow_redirects=False)
    assert as_json.status_code == 415
    assert (await client.get(url)).status_code == 405

    assert (await item_status(Review, review.id))["status"] == "pending"
    assert await audit("review", review.id) == []
    accepted = await client.post(url, data={"csrftoken": token}, follow_redirects=False)
    assert accepted.status_code == 303
