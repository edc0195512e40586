"""Reviews, votes and questions: the rules, the pages, and votes under real concurrency."""

from __future__ import annotations

import asyncio
import datetime as dt
from html.parser import HTMLParser

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.services import accounts, moderation, questions, reviews
from okmarts.services.reviews import wilson_lower_bound
from okmarts.tables.accounts import Account
from okmarts.tables.messaging import OutboxMessage
from okmarts.tables.reviews import ModerationDecision, Question, Review, ReviewVote
from tests.states.accounts import (
    PASSWORD,
    errors_in,
    new_email,
    post_form,
    verified_account,
    verified_shopper,
)
from tests.states.catalog import new_product
from tests.states.orders import bought
from tests.states.reviews import approved_review

Client = AsyncTestClient[Litestar]
SITE = accounts.Site(secret="test-secret-key-not-for-production", base_url="http://shop.test")


# -- Rules ------------------------------------------------------------


def test_helpfulness_ranks_by_confidence_not_by_raw_share() -> None:
    assert wilson_lower_bound(0, 0) == 0
    # 40 of 50 helpful is surer than 2 of 2, and 100 of 200 than 1 of 2.
    assert wilson_lower_bound(40, 50) > wilson_lower_bound(2, 2)
    assert wilson_lower_bound(100, 200) > wilson_lower_bound(1, 2)
    # More helpful votes never lower the score; more unhelpful ones never raise it.
    for helpful in range(30):
        for total in range(helpful + 1, 31):
            assert wilson_lower_bound(helpful + 1, total + 1) >= wilson_lower_bound(helpful, total)
            assert (
                wilson_lower_bound(helpful, total + 1) <= wilson_lower_bound(helpful, total) + 1e-12
            )


async def test_only_buyers_of_delivered_orders_review_once(app: Litestar) -> None:
    product = await new_product(5)
    buyer, stranger = await verified_shopper(), await verified_shopper()
    shipped = await bought(buyer, product, status="shipped")
    with pytest.raises(reviews.ReviewError, match="delivered"):
        await reviews.submit_review(buyer, shipped, "5", "Great", "Works as described, thanks.")
    delivered = await bought(buyer, product)
    assert [line["id"] for line in await reviews.reviewable_lines(buyer.id)] == [delivered]
    with pytest.raises(reviews.ReviewError, match="bought"):
        await reviews.submit_review(stranger, delivered, "5", "Great", "Works as described.")
    review = await reviews.submit_review(
        buyer, delivered, "5", "Great", "Works as described, thanks."
    )
    assert review.status == "pending"
    with pytest.raises(reviews.ReviewError, match="already"):
        await reviews.submit_review(buyer, delivered, "4", "Again", "A second opinion here.")
    assert await reviews.reviewable_lines(buyer.id) == []
    for rating, title, body in [
        ("0", "T", "Long enough body"),
        ("6", "T", "Long enough body"),
        ("x", "T", "Long enough body"),
        ("3", "", "Long enough body"),
        ("3", "T", "short"),
        ("3", "T" * 121, "Long enough body"),
        ("3", "T", "x" * 5001),
    ]:
        other = await bought(buyer, product)
        with pytest.raises(accounts.FormInvalid):
            await reviews.submit_review(buyer, other, rating, title, body)


async def test_votes_are_one_per_person_changeable_withdrawable_never_own(app: Litestar) -> None:
    product = await new_product(5)
    review = await approved_review(product)
    author = await Account.objects().where(Account.id == review.account).first()
    voter = await verified_shopper()
    result = await reviews.vote(voter, review.id, "helpful")
    assert (result.helpful_count, result.not_helpful_count) == (1, 0)
    result = await reviews.vote(voter, review.id, "not_helpful")
    assert (result.helpful_count, result.not_helpful_count) == (0, 1)
    result = await reviews.vote(voter, review.id, "withdraw")
    assert (result.helpful_count, result.not_helpful_count) == (0, 0)
    with pytest.raises(reviews.ReviewError, match="own"):
        await reviews.vote(author, review.id, "helpful")
    pending = await reviews.submit_review(
        voter, await bought(voter, product), "3", "Hmm", "Not sure yet about this one."
    )
    with pytest.raises(reviews.ReviewError):
        await reviews.vote(author, pending.id, "helpful")
    with pytest.raises(reviews.ReviewError):
        await reviews.vote(voter, 999_999_999, "helpful")
    with pytest.raises(reviews.ReviewError):
        await reviews.vote(voter, review.id, "love it")


async def test_counts_equal_the_votes_under_concurrent_voting(app: Litestar) -> None:
    product = await new_product(5)
    review = await approved_review(product)
    voters = [await verified_shopper() for _ in range(24)]
    # Everyone votes at once, some twice (a double click), some change their mind.
    choices = ["helpful" if i % 3 else "not_helpful" for i in range(len(voters))]
    await asyncio.gather(
        *(
            reviews.vote(voter, review.id, choice)
            for voter, choice in zip(voters, choices, strict=True)
        ),
        *(reviews.vote(voter, review.id, "helpful") for voter in voters[:6]),
    )
    stored = await Review.objects().where(Review.id == review.id).first()
    helpful = await ReviewVote.count().where(
        (ReviewVote.review == review.id) & (ReviewVote.helpful == 1)
    )
    unhelpful = await ReviewVote.count().where(
        (ReviewVote.review == review.id) & (ReviewVote.helpful == 0)
    )
    assert helpful + unhelpful == len(voters)
    assert (stored.helpful_count, stored.not_helpful_count) == (helpful, unhelpful)
    assert stored.helpful_score == round(
        1_000_000 * wilson_lower_bound(helpful, helpful + unhelpful)
    )


# -- Pages ------------------------------------------------------------


async def test_product_page_shows_summary_sorted_reviews_and_answers(app: Litestar) -> None:
    product = await new_product(5)
    ratings = [5, 4, 4, 2, 1, 5, 3]
    made = [await approved_review(product, rating) for rating in ratings]
    voter = await verified_shopper()
    await reviews.vote(voter, made[3].id, "helpful")  # the 2-star review is the most helpful
    asker = await verified_shopper()
    question = Question(product=product["id"], account=asker.id, body="Is it rated for 230 V AC?")
    await question.save()
    await moderation.answer_question(
        question.id,
        "Yes, coil variants for 230 V AC exist.",
        staff="mod",
        settings=app.state.settings,
    )
    async with AsyncTestClient(app=app) as client:
        page = await client.get(f"/products/{product['slug']}")
        assert "3.4 out of 5" in page.text and "7 reviews" in page.text
        # "Most helpful" first: the only review with a helpful vote leads.
        positions = [page.text.find(f'id="review-{review.id}"') for review in made[:5]]
        assert positions[3] == min(p for p in positions if p >= 0)
        assert "Yes, coil variants for 230 V AC exist." in page.text
    # (Read with raw SQL: a real moment and the asker's nickname, on both databases.)
    [shown] = await questions.answered(product["id"])
    assert shown["id"] == question.id and shown["nickname"] == asker.nickname
    assert isinstance(shown["answered_at"], dt.datetime)
    assert (await reviews.rating_summary(product["id"])).histogram == {5: 2, 4: 2, 3: 1, 2: 1, 1: 1}
    async with AsyncTestClient(app=app) as client:
        lowest = await client.get(f"/products/{product['slug']}?sort=lowest")
        one_star, four_stars = (lowest.text.find(f'id="review-{made[i].id}"') for i in (4, 1))
        assert 0 <= one_star < four_stars
        second = await client.get(f"/products/{product['slug']}?sort=newest&rpage=2")
        assert f'id="review-{made[1].id}"' in second.text  # 5 per page, newest first
        assert f'id="review-{made[6].id}"' not in second.text
    mail = (
        await OutboxMessage.objects()
        .where(
            (OutboxMessage.recipient == asker.email) & (OutboxMessage.kind == "question_answered")
        )
        .first()
    )
    assert (
        mail is not None and f"/products/{product['slug']}#question-{question.id}" in mail.text_body
    )
    audit = await ModerationDecision.select(ModerationDecision.decision).where(
        (ModerationDecision.item_type == "question") & (ModerationDecision.item_id == question.id)
    )
    assert [row["decision"] for row in audit] == ["answered"]


async def test_vote_forms_with_and_without_javascript(app: Litestar) -> None:
    product = await new_product(5)
    review = await approved_review(product)
    async with AsyncTestClient(app=app) as client:
        anonymous = await post_form(
            client,
            f"/reviews/{review.id}/votes",
            {"choice": "helpful", "next": f"/products/{product['slug']}#review-{review.id}"},
        )
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/login?next=%2Fproducts%2F")
        await verified_account(client)
        plain = await post_form(
            client,
            f"/reviews/{review.id}/votes",
            {"choice": "helpful", "next": f"/products/{product['slug']}#review-{review.id}"},
        )
        # Back at the review's buttons, which say the vote was counted.
        assert plain.headers["location"] == (
            f"/products/{product['slug']}?voted={review.id}#votes-{review.id}"
        )
        page = await client.get(plain.headers["location"])
        assert 'aria-pressed="true">Helpful (1)' in page.text
        assert '<p class="notice ok" role="status">Thank you for your vote.</p>' in page.text
        withdrawn = await post_form(
            client,
            f"/reviews/{review.id}/votes",
            {"choice": "withdraw", "next": plain.headers["location"]},
        )
        assert withdrawn.headers["location"] == (
            f"/products/{product['slug']}?withdrawn={review.id}#votes-{review.id}"
        )
        page = await client.get(withdrawn.headers["location"])
        assert "Your vote is withdrawn." in page.text and "Thank you for your vote" not in page.text
        await post_form(client, f"/reviews/{review.id}/votes", {"choice": "helpful"})
        swapped = await post_form(
            client,
            f"/reviews/{review.id}/votes",
            {"choice": "not_helpful"},
            headers={"HX-Request": "true", "HX-Target": f"votes-{review.id}"},
        )
        assert swapped.text.lstrip().startswith(f'<div class="votes" id="votes-{review.id}"')
        assert (
            "Helpful (0)" in swapped.text and 'aria-pressed="true">Not helpful (1)' in swapped.text
        )
        for bad in ["", "yes", "x" * 5000]:
            response = await post_form(client, f"/reviews/{review.id}/votes", {"choice": bad})
            assert response.status_code == 400
        missing = await post_form(client, "/reviews/999999999/votes", {"choice": "helpful"})
        assert missing.status_code == 404


async def test_write_a_review_from_the_personal_center(app: Litestar) -> None:
    product = await new_product(5)
    async with AsyncTestClient(app=app) as client:
        account = await verified_account(client)
        line = await bought(account, product)
        page = await client.get("/account/reviews")
        assert f"/account/reviews/new?line={line}" in page.text
        bad = await post_form(
            client, "/account/reviews", {"line": str(line), "rating": "6", "title": "", "body": "x"}
        )
        assert bad.status_code == 422
        assert "Choose a rating from 1 to 5 stars." in errors_in(bad.text)
        done = await post_form(
            client,
            "/account/reviews",
            {
                "line": str(line),
                "rating": "4",
                "title": "Good value",
                "body": "Mounted in minutes on DIN rail.",
            },
        )
        assert done.headers["location"] == (
            "/account/reviews?notice=review-submitted#review-submitted"
        )
        page = await client.get(done.headers["location"])
        assert "Pending moderation" in page.text and "Good value" in page.text
        review = await Review.objects().where(Review.order_line == line).first()
        await moderation.decide_reviews(
            [review.id], "rejected", reason="personal_data", staff="mod"
        )
        page = await client.get("/account/reviews")
        assert "Not published" in page.text and "No personal data" in page.text
        other = await verified_shopper()
        foreign = await bought(other, product)
        assert (await client.get(f"/account/reviews/new?line={foreign}")).status_code == 404
        refused = await post_form(
            client,
            "/account/reviews",
            {"line": str(foreign), "rating": "5", "title": "Hi", "body": "Not mine at all."},
        )
        assert refused.status_code == 404


async def test_ask_a_question_signed_in_and_verified_only(app: Litestar) -> None:
    product = await new_product(5)
    async with AsyncTestClient(app=app) as client:
        anonymous = await client.get(f"/products/{product['slug']}")
        assert "Sign in to ask a question" in anonymous.text
        response = await post_form(
            client, f"/products/{product['slug']}/questions", {"question": "Does it fit?"}
        )
        assert response.headers["location"].startswith("/login")
        await post_form(
            client,
            "/register",
            {"email": new_email(), "password": PASSWORD, "accept_policy": "yes"},
        )
        locked = await post_form(
            client,
            f"/products/{product['slug']}/questions",
            {"question": "What is the coil voltage?"},
        )
        assert locked.status_code == 422 and "Confirm your email address first" in locked.text
        assert not await Question.exists().where(Question.product == product["id"])
    async with AsyncTestClient(app=app) as client:
        await verified_account(client)
        short = await post_form(
            client, f"/products/{product['slug']}/questions", {"question": "Why?"}
        )
        assert short.status_code == 422 and "Write at least 10 characters." in short.text
        asked = await post_form(
            client,
            f"/products/{product['slug']}/questions",
            {"question": "What is the coil voltage?"},
        )
        # Back at the thank-you, wherever the page scrolls it (text browsers follow the #).
        assert asked.headers["location"] == (f"/products/{product['slug']}?asked=1#question-asked")
        thanked = await client.get(asked.headers["location"])
        assert '<p id="question-asked" class="notice ok" role="status"' in thanked.text
        htmx = await post_form(
            client,
            f"/products/{product['slug']}/questions",
            {"question": "Is a socket included?"},
            headers={"HX-Request": "true", "HX-Target": "ask-form"},
        )
        assert htmx.text.lstrip().startswith('<form id="ask-form"') and "Thank you" in htmx.text
        stored = (
            await Question.select(Question.body, Question.status)
            .where(Question.product == product["id"])
            .order_by(Question.id)
        )
        assert stored == [
            {"body": "What is the coil voltage?", "status": "pending"},
            {"body": "Is a socket included?", "status": "pending"},
        ]
        page = await client.get(f"/products/{product['slug']}")
        assert "What is the coil voltage?" not in page.text  # not before it is answered


async def test_asking_is_rate_limited(client: Client) -> None:
    product = await new_product(5)
    await verified_account(client)
    path = f"/products/{product['slug']}/questions"
    for number in range(10):
        response = await post_form(client, path, {"question": f"Question number {number} here?"})
        assert response.status_code == 303
    flooded = await post_form(client, path, {"question": "One question too many?"})
    assert flooded.status_code == 422 and "Too many attempts" in flooded.text
    assert "One question too many?" in flooded.text  # the text is kept
    assert await Question.count().where(Question.product == product["id"]) == 10


class TextBrowserForm(HTMLParser):
    """What a text browser (lynx, w3m) sends from a form the shopper leaves as it is: every
    field's value, and in a radio group with nothing checked the first radio (HTML 2.0's rule,
    which they follow)."""

    def __init__(self, form_action: str) -> None:
        super().__init__()
        self.action, self.inside = form_action, False
        self.fields: dict[str, str] = {}
        self.radios: dict[str, list[tuple[str, bool]]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.inside = attributes.get("action") == self.action
        elif tag == "input" and self.inside and attributes.get("name"):
            if attributes.get("type") == "radio":
                group = self.radios.setdefault(attributes["name"], [])
                group.append((attributes.get("value", ""), "checked" in attributes))
            else:
                self.fields[attributes["name"]] = attributes.get("value", "")

    def submission(self, typed: dict[str, str]) -> dict[str, str]:
        sent = {**self.fields, **typed}
        for name, group in self.radios.items():
            checked = [value for value, on in group if on]
            sent[name] = checked[0] if checked else group[0][0]
        return sent


async def test_a_text_browser_never_sends_a_rating_the_shopper_did_not_choose(
    app: Litestar,
) -> None:
    product = await new_product(5)
    async with AsyncTestClient(app=app) as client:
        account = await verified_account(client)
        line = await bought(account, product)
        page = await client.get(f"/account/reviews/new?line={line}")
        form = TextBrowserForm("/account/reviews")
        form.feed(page.text)
        assert [value for value, _ in form.radios["rating"]] == ["", "5", "4", "3", "2", "1"]
        assert not any(on for _, on in form.radios["rating"]), "no rating chosen beforehand"
        sent = form.submission({"title": "Solid part", "body": "Works as described, no issues."})
        response = await client.post("/account/reviews", data=sent, follow_redirects=False)
        assert response.status_code == 422
        assert "Choose a rating from 1 to 5 stars." in errors_in(response.text)
        assert not await Review.exists().where(Review.order_line == line)
        # Graphical browsers don't show that first choice (text browsers apply no CSS).
        assert 'class="field checkbox text-browsers-only"' in page.text
