"""The satisfaction survey and the service statistics (issue 16, H-survey): closing a
conversation emails the survey in the shopper's language; the link's GET changes nothing; one
answer per conversation, also when posted at once; bad input refilled with a message; bad links
refused; erasure and retention leave only an anonymous rating; the statistics page's numbers on
a known data set, for the service staff only."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import re
import time
import uuid

import pytest
from itsdangerous import TimestampSigner
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.admin import service_links
from okmarts.admin.staff import save_staff
from okmarts.services import erasure, privacy_export, retention, support, support_stats
from okmarts.services import support_survey as survey
from okmarts.services.accounts import FormInvalid
from okmarts.services.tokens import TokenError, TokenExpired
from okmarts.tables.accounts import Account
from okmarts.tables.messaging import OutboxMessage
from okmarts.tables.returns import Complaint
from okmarts.tables.support import Conversation
from okmarts.tables.support_staff import SurveyAnswer
from tests.states.accounts import (
    csrf,
    errors_in,
    links_mailed_to,
    local,
    new_email,
    post_form,
    verified_account,
    verified_shopper,
)
from tests.unit.test_admin import sign_in
from tests.unit.test_staff_roles import signed_in

Client = AsyncTestClient[Litestar]
STATISTICS = "/admin/service/statistics/"


async def _closed(
    app: Litestar, account: Account | None = None, *, email: str = "", locale: str = "en"
) -> Conversation:
    """A conversation staff answered and closed (a visitor's, confirmed, without `account`)."""
    settings = app.state.settings
    opened = await support.open_conversation(
        settings,
        account=account,
        email=account.email if account is not None else email or new_email("visitor"),
        locale=locale,
        subject="Sensor range",
        body="Does the BI7 sense aluminium?",
    )
    if account is None:
        await support.verify(settings, support.verification_token(settings, opened))
    await support.post_message(settings, opened.id, author="staff", body="Yes, at 40 %.")
    assert await support.set_status(settings, opened.id, "closed", by="ana")
    return await Conversation.objects().where(Conversation.id == opened.id).first()


async def _survey_link(conversation: Conversation) -> str:
    [link] = await links_mailed_to(conversation.email, survey.SURVEY_KIND)
    return local(link)


def _token(path: str) -> str:
    return path.rsplit("/", 1)[1]


async def _answers(conversation_id: int) -> list[dict]:
    return await SurveyAnswer.select().where(SurveyAnswer.conversation == conversation_id)


# -- The email, the page and the answer -----------------------------------------------------------


async def test_closing_emails_the_survey_in_the_shoppers_language_once(app: Litestar) -> None:
    settings = app.state.settings
    shopper = await verified_shopper()
    closed = await _closed(app, shopper, locale="es")
    [mail] = await OutboxMessage.select(
        OutboxMessage.text_body, OutboxMessage.locale, OutboxMessage.notification_type
    ).where((OutboxMessage.kind == survey.SURVEY_KIND) & (OutboxMessage.recipient == shopper.email))
    assert mail["locale"] == "es" and mail["notification_type"] == "service_replies"
    assert closed.number in mail["text_body"] and "(Sensor range)" in mail["text_body"]
    path = await _survey_link(closed)
    assert path.startswith("/support/survey/")
    await survey.answer(settings, _token(path), rating="4")
    # Reopened by the shopper and closed again: answered already, no second survey.
    await support.post_message(settings, closed.id, author="shopper", body="One more thing")
    assert await support.set_status(settings, closed.id, "closed", by="ana")
    assert len(await links_mailed_to(shopper.email, survey.SURVEY_KIND)) == 1


async def test_the_closed_page_links_the_survey_until_answered_and_get_changes_nothing(
    app: Litestar, client: Client
) -> None:
    account = await verified_account(client)
    closed = await _closed(app, account)
    path = await _survey_link(closed)
    page = await client.get(f"/account/support/{closed.number}")
    assert page.status_code == 200 and f'href="{path}"' in page.text

    for _ in range(2):  # a mail scanner and the shopper: nothing stored
        shown = await client.get(path)
        assert shown.status_code == 200
        assert "How satisfied are you with our help?" in shown.text
        assert len(re.findall(r'type="radio" name="rating"', shown.text)) == 5
        assert "Very satisfied" in shown.text and closed.number in shown.text
    assert await _answers(closed.id) == []

    # Without the CSRF token: refused, nothing stored.
    forged = await client.post(path, data={"rating": "5"}, follow_redirects=False)
    assert forged.status_code == 403 and await _answers(closed.id) == []

    sent = await post_form(client, path, {"rating": "5", "comment": "  Quick and kind.  "})
    assert sent.status_code == 303 and sent.headers["location"] == f"{path}?notice=thanks"
    thanked = await client.get(sent.headers["location"])
    assert "Thank you for your answer" in thanked.text and 'name="rating"' not in thanked.text
    [stored] = await _answers(closed.id)
    assert stored["rating"] == 5 and stored["comment"] == "Quick and kind."

    again = await post_form(client, path, {"rating": "1", "comment": "Changed my mind"})
    assert again.status_code == 303 and again.headers["location"] == path
    assert "already answered this survey" in (await client.get(path)).text
    assert [row["rating"] for row in await _answers(closed.id)] == [5]
    # Answered: the conversation page no longer offers the survey.
    page = await client.get(f"/account/support/{closed.number}")
    assert "/support/survey/" not in page.text


async def test_a_visitor_answers_with_htmx_and_the_thanks_swaps_in(
    app: Litestar, client: Client
) -> None:
    closed = await _closed(app)
    path = await _survey_link(closed)
    visitor_page = support.conversation_path(closed, app.state.settings)
    assert f'href="{path}"' in (await client.get(visitor_page)).text
    await client.get(path)
    answered = await client.post(
        path,
        data={"_csrf_token": csrf(client), "rating": "3"},
        headers={"HX-Request": "true", "HX-Target": "support-survey"},
    )
    assert answered.status_code == 200
    assert "<html" not in answered.text and 'id="support-survey"' in answered.text
    assert "Thank you for your answer" in answered.text
    assert [row["rating"] for row in await _answers(closed.id)] == [3]


async def test_bad_answers_are_refused_with_the_form_refilled(
    app: Litestar, client: Client
) -> None:
    closed = await _closed(app)
    path = await _survey_link(closed)
    await client.get(path)
    for rating in ("", "0", "6", "five", "3.5", "٣"):
        refused = await post_form(client, path, {"rating": rating, "comment": "So-so <b>help</b>"})
        assert refused.status_code == 422, rating
        assert errors_in(refused.text) == ["Choose how satisfied you are, from 1 to 5."]
        assert "So-so &lt;b&gt;help&lt;/b&gt;</textarea>" in refused.text
    too_long = await post_form(client, path, {"rating": "4", "comment": "x" * 2001})
    assert too_long.status_code == 422
    assert errors_in(too_long.text) == ["Use at most 2000 characters here."]
    assert 'value="4" checked' in too_long.text  # the rating chosen stays chosen
    assert await _answers(closed.id) == []
    with pytest.raises(FormInvalid):
        survey.checked_answer(None, ["a list"])


async def test_forged_expired_and_erased_links_are_4xx(
    app: Litestar, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = app.state.settings
    closed = await _closed(app)
    path = await _survey_link(closed)
    forged = path[:-3] + ("abc" if not path.endswith("abc") else "xyz")
    for bad in (forged, "/support/survey/nonsense", path.replace("/survey/", "/survey/x")):
        shown = await client.get(bad)
        assert shown.status_code == 400 and "survey link is not valid" in shown.text
        posted = await post_form(client, bad, {"rating": "5"})
        assert posted.status_code == 400
    # Another purpose's token (the visitor's conversation link) is no survey link.
    visitor = support.visitor_token(settings, closed)
    assert (await client.get(f"/support/survey/{visitor}")).status_code == 400

    month_ago = int(time.time()) - survey.SURVEY_MAX_AGE - 60
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: month_ago)
    old = survey.survey_token(settings, closed)
    monkeypatch.undo()
    with pytest.raises(TokenExpired):
        await survey.read_survey(settings, old)
    expired = await client.get(f"/support/survey/{old}")
    assert expired.status_code == 400 and "has expired" in expired.text
    assert (await post_form(client, f"/support/survey/{old}", {"rating": "5"})).status_code == 400

    await Conversation.delete().where(Conversation.id == closed.id)
    gone = await client.get(path)
    assert gone.status_code == 400 and "no longer valid" in gone.text
    with pytest.raises((TokenError, support.SupportRefused)):
        await survey.answer(settings, _token(path), rating="5")


async def test_answers_posted_at_once_are_stored_once(app: Litestar) -> None:
    settings = app.state.settings
    closed = await _closed(app)
    token = _token(await _survey_link(closed))
    results = await asyncio.gather(
        *(survey.answer(settings, token, rating=str(1 + n % 5), comment=f"n{n}") for n in range(6))
    )
    assert sorted(results) == [False] * 5 + [True]
    assert len(await _answers(closed.id)) == 1


async def test_double_submit_over_http_stores_once(app: Litestar, client: Client) -> None:
    closed = await _closed(app)
    path = await _survey_link(closed)
    await client.get(path)
    answers = await asyncio.gather(
        *(post_form(client, path, {"rating": "2", "comment": "Slow"}) for _ in range(4))
    )
    assert all(answer.status_code == 303 for answer in answers)
    assert sum(answer.headers["location"].endswith("?notice=thanks") for answer in answers) == 1
    assert len(await _answers(closed.id)) == 1


# -- Privacy: download, erasure, retention --------------------------------------------------------


async def test_the_answer_is_downloaded_and_erasure_leaves_an_anonymous_rating(
    app: Litestar,
) -> None:
    settings = app.state.settings
    shopper = await verified_shopper()
    closed = await _closed(app, shopper)
    await survey.answer(
        settings, _token(await _survey_link(closed)), rating="2", comment="Ana was rude"
    )
    data = await privacy_export.collect_export(shopper.id)
    [conversation] = data["customer_service.json"]
    assert conversation["survey"]["rating"] == 2
    assert conversation["survey"]["comment"] == "Ana was rude"

    [answer] = await _answers(closed.id)
    await erasure.erase_account(shopper.id, settings=settings, reason="test")
    assert await Conversation.count().where(Conversation.id == closed.id) == 0
    [kept] = await SurveyAnswer.select().where(SurveyAnswer.id == answer["id"])
    assert kept["rating"] == 2 and kept["comment"] == "" and kept["conversation"] is None


async def test_retention_blanks_comments_with_their_conversation(app: Litestar) -> None:
    settings = app.state.settings
    closed = await _closed(app)
    await survey.answer(settings, _token(await _survey_link(closed)), rating="5", comment="Bob!")
    [answer] = await _answers(closed.id)
    # Closed longer ago than the period (the run keeps today's clock: other tests' rows stay).
    closed_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=settings.retention_support_days + 1)
    await Conversation.update({Conversation.closed_at: closed_at}).where(
        Conversation.id == closed.id
    )
    counted = await retention.run(settings, dry_run=True)
    assert counted["survey_comments"] >= 1
    assert (await _answers(closed.id))[0]["comment"] == "Bob!"  # a dry run changes nothing
    await retention.run(settings)
    assert await Conversation.count().where(Conversation.id == closed.id) == 0
    [kept] = await SurveyAnswer.select().where(SurveyAnswer.id == answer["id"])
    assert kept == {**kept, "rating": 5, "comment": "", "conversation": None}
    assert (await retention.run(settings, dry_run=True))["survey_comments"] == 0


# -- Statistics -----------------------------------------------------------------------------------

NOW = dt.datetime(2041, 3, 15, 12, 0, tzinfo=dt.UTC)  # far from every other test's rows


def _ago(days: float = 0, hours: float = 0) -> dt.datetime:
    return NOW - dt.timedelta(days=days, hours=hours)


async def _case(
    status: str,
    created: dt.datetime,
    *,
    answered_after: dt.timedelta | None = None,
    closed_after: dt.timedelta | None = None,
    verified_after: dt.timedelta | None = dt.timedelta(0),
) -> int:
    verified = created + verified_after if verified_after is not None else None
    rows = await Conversation.insert(
        Conversation(
            number=f"T-{uuid.uuid4().hex[:12]}",
            email=new_email("stats"),
            status=status,
            created_at=created,
            updated_at=created,
            verified_at=verified,
            waiting_since=created if status == "waiting_for_staff" else None,
            first_answered_at=(verified or created) + answered_after if answered_after else None,
            closed_at=created + closed_after if closed_after else None,
        )
    ).returning(Conversation.id)
    return int(rows[0]["id"])


async def test_statistics_on_a_known_data_set(app: Litestar) -> None:
    hour, day = dt.timedelta(hours=1), dt.timedelta(days=1)
    before = await support_stats.statistics(30, response_hours=24, now=NOW)
    first = await _case("closed", _ago(10), answered_after=1 * hour, closed_after=2 * day)
    await _case("closed", _ago(9), answered_after=3 * hour, closed_after=4 * day)
    # A visitor's: counted from the confirmed email (2 h), not from writing (7 h).
    await _case("closed", _ago(8), verified_after=5 * hour, answered_after=2 * hour)
    await _case("waiting_for_staff", _ago(2))  # unanswered, 1–3 days, overdue
    await _case("waiting_for_staff", _ago(hours=2))  # unanswered, < 1 day, not overdue
    await _case("waiting_for_shopper", _ago(5), answered_after=10 * hour)  # 3–7 days
    await _case("waiting_for_shopper", _ago(40), answered_after=hour)  # before the period
    await _case("unverified", _ago(1), verified_after=None)  # staff never saw it
    # The third closed case was closed outside this data set's resolution (no closed_at).
    await Conversation.update({Conversation.closed_at: None}).where(
        Conversation.created_at == _ago(8)
    )
    for rating, comment in ((5, "Great help"), (4, ""), (4, ""), (1, "Too slow")):
        await SurveyAnswer.insert(
            SurveyAnswer(
                conversation=first if rating == 5 else None,
                rating=rating,
                comment=comment,
                created_at=_ago(3),
            )
        )
    await SurveyAnswer.insert(SurveyAnswer(rating=2, comment="old", created_at=_ago(60)))
    for number, status, due in (("open", "open", _ago(1)), ("done", "decided", _ago(-10))):
        await Complaint.insert(
            Complaint(
                case_number=f"K-{number}-{uuid.uuid4().hex[:8]}",
                status=status,
                created_at=_ago(6),
                due_at=due,
            )
        )

    stats = await support_stats.statistics(30, response_hours=24, now=NOW)
    assert stats.opened == 6 and stats.unanswered == 2
    # First answers 1, 2, 3 and 10 hours: median 2.5 h, 90th percentile 10 h.
    assert stats.first_answer.count == 4
    assert stats.first_answer.median == dt.timedelta(hours=2.5)
    assert stats.first_answer.p90 == dt.timedelta(hours=10)
    # Resolved in 2 and 4 days: median 3 days, 90th percentile 4 days.
    assert stats.resolution.count == 2
    assert stats.resolution.median == 3 * day and stats.resolution.p90 == 4 * day
    grown = [
        after - was
        for (_, after), (_, was) in zip(stats.open_by_age, before.open_by_age, strict=True)
    ]
    assert grown == [1, 1, 1, 1]
    assert stats.overdue - before.overdue == 1
    assert stats.complaints_by_status == {"open": 1, "decided": 1}
    assert stats.complaints_overdue - before.complaints_overdue == 1
    assert stats.satisfaction.count == 4 and stats.satisfaction.average == 3.5
    assert stats.satisfaction.distribution == {1: 1, 2: 0, 3: 0, 4: 2, 5: 1}
    assert stats.satisfaction.comments == ["Too slow", "Great help"]
    week = await support_stats.statistics(7, response_hours=24, now=NOW)
    assert week.opened == 3 and week.satisfaction.count == 4
    assert support_stats.percentile([], 0.9) is None
    assert support_stats.period_days("365") == 30 and support_stats.period_days("7") == 7


async def test_the_statistics_page_is_for_service_staff_and_names_nobody(
    app: Litestar, client: Client
) -> None:
    settings = app.state.settings
    shopper = await verified_shopper()
    closed = await _closed(app, shopper)
    await survey.answer(
        settings, _token(await _survey_link(closed)), rating="5", comment="Lovely service"
    )
    signed_out = await client.get(STATISTICS, follow_redirects=False)
    assert signed_out.status_code == 303

    await signed_in(client, ["moderator"])
    refused = await client.get(STATISTICS)
    assert refused.status_code == 403 and "service staff only" in refused.text

    await signed_in(client, ["service"])  # a service agent
    page = await client.get(STATISTICS, params={"days": "7"})
    assert page.status_code == 200
    assert "content-security-policy" in page.headers
    text = html.unescape(page.text)
    assert '<option value="7" selected>' in page.text
    assert "Lovely service" in text and re.search(r'id="stat-average">\d\.\d<', page.text)
    for personal in (shopper.email, closed.number, closed.subject):
        assert personal not in text
    assert "Service statistics" in (await client.get("/admin/service/returns/")).text
    assert service_links()["Service statistics"] == STATISTICS
    boss = new_email("boss")
    await save_staff(boss, "boss-password-123456", superuser=True)
    await sign_in(client, boss, "boss-password-123456")
    assert (await client.get(STATISTICS)).status_code == 200
    assert (await client.post(STATISTICS, data={})).status_code in (403, 405)
