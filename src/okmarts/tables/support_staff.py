"""The staff side of customer service (issue 16): who may work the service inbox, the replies
agents save for reuse, and the shoppers' answers to the one-question survey sent when a
conversation closes."""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from okmarts.tables.support import Conversation


class StaffRole(Table, tablename="staff_role"):
    """A role a staff user (piccolo_user.id) holds beside Piccolo's superuser flag:
    `moderator` (reviews and questions) or `service` (the service inbox, returns, complaints).
    Unique per (user_id, role). A non-superuser staff user with no row is a moderator: staff
    made before roles existed were all moderators."""

    user_id = Integer(index=True)
    role = Varchar(length=20)
    created_at = Timestamptz(default=TimestamptzNow())


class SavedReply(Table, tablename="saved_reply"):
    """A reply agents reuse ("Return instructions", "Where is my order"): written by staff, no
    shopper's data. `locale` empty: for any language."""

    title = Varchar(length=100)
    body = Text()
    locale = Varchar(length=10, default="")
    created_by = Varchar(length=100, default="")  # a staff username
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class SurveyAnswer(Table, tablename="survey_answer"):
    """The shopper's answer to "How satisfied are you?" for one closed conversation (unique per
    conversation). Personal while linked: erasing the conversation unlinks it (set null) and the
    comment is blanked, so statistics keep an anonymous rating."""

    conversation = ForeignKey(
        references=Conversation, on_delete=OnDelete.set_null, null=True, unique=True
    )
    rating = Integer()  # 1–5
    comment = Text(default="")  # personal (the shopper's words)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
