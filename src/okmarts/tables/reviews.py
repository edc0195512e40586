"""Reviews of purchased products, helpful/not-helpful votes, product questions, and the audit
of every moderation decision. Personal fields are marked `# personal`."""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Product
from okmarts.tables.checkout import OrderLine


class Review(Table, tablename="review"):
    product = ForeignKey(references=Product, on_delete=OnDelete.cascade, index=True)
    # Erasing the account keeps an anonymous review ("former customer") if its author chose so.
    account = ForeignKey(references=Account, on_delete=OnDelete.set_null, null=True, index=True)
    # One review per purchased line: the unique key makes "once" hold under double submits.
    order_line = ForeignKey(
        references=OrderLine, on_delete=OnDelete.set_null, null=True, unique=True
    )
    rating = Integer()
    title = Varchar(length=120)  # personal (may say anything)
    body = Text()  # personal (may say anything)
    status = Varchar(length=10, default="pending", index=True)  # pending | approved | rejected
    rejection_reason = Varchar(length=30, default="")  # a comment-rule code
    moderated_by = Varchar(length=120, default="")
    moderated_at = Timestamptz(null=True, default=None)
    helpful_count = Integer(default=0)
    not_helpful_count = Integer(default=0)
    # Lower bound of the Wilson interval of the helpful share, in millionths: the sort key.
    helpful_score = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())


class ReviewVote(Table, tablename="review_vote"):
    review = ForeignKey(references=Review, on_delete=OnDelete.cascade, index=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    helpful = Integer()  # 1: helpful, 0: not helpful
    created_at = Timestamptz(default=TimestamptzNow())


class Question(Table, tablename="question"):
    product = ForeignKey(references=Product, on_delete=OnDelete.cascade, index=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.set_null, null=True, index=True)
    body = Text()  # personal (may say anything)
    # pending -> approved (published once answered) | rejected
    status = Varchar(length=10, default="pending", index=True)
    rejection_reason = Varchar(length=30, default="")
    answer = Text(default="")
    answered_by = Varchar(length=120, default="")
    answered_at = Timestamptz(null=True, default=None)
    moderated_by = Varchar(length=120, default="")
    moderated_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class ModerationDecision(Table, tablename="moderation_decision"):
    """Who decided what about which review or question, and when: the moderation audit."""

    item_type = Varchar(length=10)  # review | question
    item_id = Integer(index=True)
    decision = Varchar(length=10)  # approved | rejected | answered
    reason = Varchar(length=30, default="")
    staff = Varchar(length=120)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
