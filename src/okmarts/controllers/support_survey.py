"""The satisfaction survey's page, /support/survey/<signed token> (issue 16; the rules are
services/support_survey.py).

The link comes from the email sent when a conversation closes (and from the closed
conversation's page): it works without signing in, as a visitor's conversation link does. The
GET shows the question and changes nothing (mail scanners fetch links). The POST records the
answer once: a plain POST answers 303 back to the page, which then thanks; htmx gets the panel
with the thanks in place. A bad rating or an over-long comment: 422 with the form refilled.

CSRF: kept. Unlike the unsubscribe link (RFC 8058's one-click POST comes from a mail client
with no cookie, so that route is exempt), this form is only ever posted from its own page, whose
GET sets the CSRF cookie and puts the token in the form, as the visitor's conversation page
does. The signed token says which conversation; the CSRF token that the post came from the page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, MediaType, get, post
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
)

from okmarts.i18n import N_, Message
from okmarts.services import rate_limits, support, support_survey
from okmarts.services.accounts import FormInvalid
from okmarts.services.rate_limits import RateLimited
from okmarts.services.tokens import TokenError, TokenExpired
from okmarts.web import Form, View, clean_form, client_device, redirect_after_post

PAGE = View("pages/support/survey.html", fragment="partials/support/survey.html")
BAD_LINK = N_("This survey link is not valid. Open the link from the email as it is.")
EXPIRED_LINK = N_("This survey link has expired. Thank you all the same.")
# One answer is kept; a person fixing a refused form tries a few times. More is not a person.
POSTS_PER_LINK = rate_limits.Limit("support-survey", attempts=10, window=dt.timedelta(hours=1))
POSTS_PER_DEVICE = rate_limits.Limit("support-survey-ip", attempts=30, window=dt.timedelta(hours=1))


def _problem(error: Exception) -> Message:
    if isinstance(error, TokenExpired):
        return Message(EXPIRED_LINK)
    if isinstance(error, support.SupportRefused):
        return error.message
    return Message(BAD_LINK)


def _context(path: str, survey: support_survey.Survey | None, **extra: Any) -> dict[str, Any]:
    return {
        "path": path,
        "survey": survey,
        "problem": None,
        "ratings": support_survey.RATINGS,
        "comment_max": support_survey.COMMENT_MAX,
        "form": {"rating": "", "comment": ""},
        "errors": {},
        "retry_minutes": 0,
        "notice": "",
        **extra,
    }


class SupportSurveyController(Controller):
    path = "/support/survey"

    @get("/{token:str}", name="support_survey", media_type=MediaType.HTML)
    async def page(
        self, request: HTMXRequest, token: FromPath[str], notice: FromQuery[str] = ""
    ) -> Template:
        path = f"/support/survey/{token[:1000]}"
        try:
            survey = await support_survey.read_survey(request.app.state.settings, token)
        except (TokenError, support.SupportRefused) as error:
            return PAGE.render(request, _context(path, None, problem=_problem(error)), 400)
        notice = notice if notice == "thanks" else ""
        return PAGE.render(request, _context(path, survey, notice=notice))

    @post("/{token:str}", name="support_survey_answer", media_type=MediaType.HTML)
    async def submit(self, request: HTMXRequest, token: FromPath[str], data: Form) -> Any:
        settings = request.app.state.settings
        path = f"/support/survey/{token[:1000]}"
        fields = clean_form(data)
        form = {
            "rating": str(fields.get("rating") or "")[:10],
            "comment": str(fields.get("comment") or "")[: support_survey.COMMENT_MAX * 2],
        }
        try:
            survey = await support_survey.read_survey(settings, token)
        except (TokenError, support.SupportRefused) as error:
            context = _context(path, None, problem=_problem(error))
            return PAGE.render(request, context, HTTP_400_BAD_REQUEST)
        if survey.answered:
            return self._thanked(request, path, survey, notice="")
        try:
            support_survey.checked_answer(form["rating"], form["comment"])
        except FormInvalid as invalid:
            context = _context(path, survey, form=form, errors=invalid.errors)
            return PAGE.render(request, context, HTTP_422_UNPROCESSABLE_ENTITY)
        try:
            await rate_limits.consume(
                (POSTS_PER_LINK, str(survey.conversation_id)),
                (POSTS_PER_DEVICE, client_device(request).ip),
            )
        except RateLimited as limited:
            context = _context(path, survey, form=form, retry_minutes=limited.minutes)
            return PAGE.render(request, context, HTTP_429_TOO_MANY_REQUESTS)
        try:
            stored = await support_survey.answer(
                settings, token, rating=form["rating"], comment=form["comment"]
            )
        except (TokenError, support.SupportRefused) as error:
            context = _context(path, None, problem=_problem(error))
            return PAGE.render(request, context, HTTP_400_BAD_REQUEST)
        answered = support_survey.Survey(
            survey.conversation_id, survey.number, survey.subject, answered=True
        )
        # A double submit: the second finds the first answer and says it was answered.
        return self._thanked(request, path, answered, notice="thanks" if stored else "")

    @staticmethod
    def _thanked(
        request: HTMXRequest, path: str, survey: support_survey.Survey, *, notice: str
    ) -> Any:
        if not request.htmx:
            return redirect_after_post(request, f"{path}?notice={notice}" if notice else path)
        return PAGE.render(request, _context(path, survey, notice=notice))
