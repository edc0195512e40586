"""Moderation in the admin: the review and question queues and the audit (forms: see
moderation_forms; the queue page where moderators read and decide each item: see queue).

Every decision goes through services.moderation, which records it (who, what, when) in the same
transaction: the forms call it, and so does the pre_patch hook behind a row's edit form and the
admin's "Bulk Update", so no path changes a status without its audit. Moderators get table
classes without `account` (its readable value is the author's email) and `order_line`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import Column, ForeignKey, Varchar
from piccolo.columns.choices import Choice
from piccolo.table import Table, create_table_class
from piccolo_admin.endpoints import TableConfig
from piccolo_api.crud.endpoints import OrderBy
from piccolo_api.crud.hooks import Hook, HookType
from starlette.requests import Request

from okmarts.admin import queue
from okmarts.admin.orders import _by_name, _field_error
from okmarts.admin.tables import READ_ONLY, ModeratorProduct, _refuse
from okmarts.services import moderation
from okmarts.settings import Settings
from okmarts.tables.reviews import ModerationDecision, Question, Review, ReviewVote

MENU_GROUP = "Moderation"
DECIDE_REVIEWS_FORM = "Decide reviews"
DECIDE_QUESTIONS_FORM = "Decide questions"
ANSWER_QUESTION_FORM = "Answer a question"

# The author's: a PATCH that would change one is refused; an unchanged one (an edit form may
# send fields back) is left out of the update.
GUARDED_REVIEW_COLUMNS = frozenset({"account", "order_line", "product", "rating", "title", "body"})
GUARDED_QUESTION_COLUMNS = frozenset({"account", "product", "body"})
# Written only by the services (who moderated and when, with the audit; the vote counts by the
# vote service): never from the admin. A stale edit form sends old values back, so they are
# dropped rather than refused.
DROPPED_COLUMNS = frozenset(
    {
        "id",
        "moderated_by",
        "moderated_at",
        "answered_by",
        "answered_at",
        "helpful_count",
        "not_helpful_count",
        "helpful_score",
        "created_at",
    }
)
# Changed through the service: status, rejection_reason, and a question's answer. The only
# columns the edit forms offer; the others show read only (admin.ui).
DECIDED_COLUMNS = frozenset({"status", "rejection_reason", "answer"})


def _choices(name: str, options: dict[str, str]) -> type[Enum]:
    """Column choices listed in this order: the admin lists them in the order of their names,
    sorted, so the names are numbered."""
    return Enum(  # type: ignore[return-value]
        name,
        {
            f"c{index:02d}_{value or 'none'}": Choice(value=value, display_name=text)
            for index, (value, text) in enumerate(options.items())
        },
    )


# The choices the admin offers for `status` (a select in the edit form and filters).
Status = _choices("Status", {"pending": "Pending", "approved": "Approved", "rejected": "Rejected"})
# The comment rules as the choices of `rejection_reason`, written as the comment-rules page
# writes them; "(none)" first.
Reason = _choices("Reason", {"": "(none)", **moderation.RULES})


def rules_text() -> str:
    """The comment rules, code by code, as the forms' descriptions show them."""
    return " ".join(f"{code}: {text}" for code, text in moderation.RULES.items())


def _admin_class(table: type[Table], name: str, drop: frozenset[str]) -> type[Table]:
    """`table` as the admin shows it: without `drop`, status and reason as choice lists."""
    members: dict[str, Column] = {}
    for column in table._meta.columns:
        column_name = column._meta.name
        if column._meta.primary_key or column_name in drop:
            continue
        if column_name == "status":
            members[column_name] = Varchar(length=10, default="pending", choices=Status)
        elif column_name == "rejection_reason":
            members[column_name] = Varchar(length=30, default="", choices=Reason)
        elif column_name == "product":
            # The product by its title (ModeratorProduct's readable), in lists and forms.
            members[column_name] = ForeignKey(
                references=ModeratorProduct,
                on_delete=column._foreign_key_meta.on_delete,
                index=column._meta.index,
            )
        else:
            members[column_name] = column.copy()
    return create_table_class(
        name, class_kwargs={"tablename": table._meta.tablename}, class_members=members
    )


# Admins see every column; moderators neither the author (`account`) nor the order line.
MODERATOR_HIDDEN = frozenset({"account", "order_line"})
AdminReview = _admin_class(Review, "AdminReview", frozenset())
AdminQuestion = _admin_class(Question, "AdminQuestion", frozenset())
ModeratorReview = _admin_class(Review, "ModeratorReview", MODERATOR_HIDDEN)
ModeratorQuestion = _admin_class(Question, "ModeratorQuestion", MODERATOR_HIDDEN)


def bind_admin_classes() -> None:
    """Point the admin's table classes at the database their source tables use."""
    for admin_class in (AdminReview, ModeratorReview):
        admin_class._meta.db = Review._meta.db
    for admin_class in (AdminQuestion, ModeratorQuestion):
        admin_class._meta.db = Question._meta.db


def staff_username(request: Request) -> str:
    user: BaseUser = request.user.user
    return user.username


def _refused(field: str, refused: moderation.ModerationRefused, hint: str = "") -> Exception:
    return _field_error(field, f"{refused} {hint}".strip())


PatchHook = Callable[[int, dict[Any, Any], Request], Awaitable[dict[Any, Any]]]


def _moderation_hook(kind: str, settings: Settings) -> PatchHook:
    """A pre_patch hook taking decisions and answers through the moderation service."""
    table = Review if kind == "review" else Question
    guarded = GUARDED_REVIEW_COLUMNS if kind == "review" else GUARDED_QUESTION_COLUMNS
    form = DECIDE_REVIEWS_FORM if kind == "review" else DECIDE_QUESTIONS_FORM
    decide = moderation.decide_reviews if kind == "review" else moderation.decide_questions

    async def moderate(row_id: int, values: dict[Any, Any], request: Request) -> dict[Any, Any]:
        fields = _by_name(values)
        stored = await table.select().where(table.id == row_id).first()
        if stored is None:
            return values
        changed = sorted(
            name for name in guarded if name in fields and fields[name] != stored[name]
        )
        if changed:
            raise _field_error(
                changed[0],
                f"Not editable here ({', '.join(changed)}): the author, the product, the rating "
                "and the text are the author's. Decide, give the reason, or answer.",
            )
        staff = staff_username(request)
        status = fields.get("status", stored["status"])
        reason = fields.get("rejection_reason", stored["rejection_reason"]) or ""
        answer = fields.get("answer", stored.get("answer", ""))
        if kind == "question" and answer != stored["answer"]:
            if not (answer or "").strip():
                raise _field_error(
                    "answer", "An answer can be replaced, not removed: reject the question."
                )
            if status not in (stored["status"], "approved"):
                raise _field_error(
                    "status", "Answering publishes the question: answer or reject it, not both."
                )
            try:
                await moderation.answer_question(row_id, answer, staff=staff, settings=settings)
            except moderation.ModerationRefused as refused:
                raise _refused("answer", refused) from None
        elif status != stored["status"]:
            try:
                await decide([row_id], status, reason=reason, staff=staff)
            except moderation.ModerationRefused as refused:
                if status != "rejected":
                    raise _refused("status", refused) from None
                raise _refused(
                    "rejection_reason",
                    refused,
                    f'Choose it as the rejection reason, or use the form "{form}".',
                ) from None
        elif reason != stored["rejection_reason"]:
            raise _field_error(
                "rejection_reason",
                "A reason is given with a rejection: set the status to rejected with it, "
                f'or use the form "{form}".',
            )
        kept = {
            key: value
            for key, value in values.items()
            if key._meta.name not in guarded | DROPPED_COLUMNS | DECIDED_COLUMNS
        }
        if not kept:
            # An UPDATE needs a column: the primary key, set to itself, changes nothing.
            key = next(iter(values))._meta.table._meta.primary_key if values else None
            return {key: row_id} if key is not None else values
        return kept

    return moderate


def moderation_tables(settings: Settings, *, moderator: bool) -> list[TableConfig]:
    """The review and question queues and the audit; admins also get the votes (read only)."""
    review = ModeratorReview if moderator else AdminReview
    question = ModeratorQuestion if moderator else AdminQuestion
    # Reviews and questions come from the shop: not added here; moderators reject, not delete.
    refused = ("post_single", "put_single")
    if moderator:
        refused += ("delete_single", "delete_all")
    validators = _refuse(*refused)

    def col(table: type[Table], *names: str) -> list[Column]:
        return [table._meta.get_column_by_name(name) for name in names]

    configs = [
        TableConfig(
            review,
            menu_group=MENU_GROUP,
            visible_columns=col(
                review,
                "id",
                "title",
                "product",
                "rating",
                "body",
                "status",
                "rejection_reason",
                "moderated_by",
                "moderated_at",
                "created_at",
            ),
            visible_filters=col(review, "status", "product", "created_at", "title", "body"),
            link_column=col(review, "title")[0],
            order_by=[OrderBy(col(review, "created_at")[0], ascending=False)],
            validators=validators,
            hooks=[Hook(HookType.pre_patch, _moderation_hook("review", settings))],
        ),
        TableConfig(
            question,
            menu_group=MENU_GROUP,
            visible_columns=col(
                question,
                "id",
                "body",
                "product",
                "status",
                "answer",
                "answered_by",
                "moderated_by",
                "created_at",
            ),
            visible_filters=col(question, "status", "product", "created_at", "body", "answer"),
            link_column=col(question, "body")[0],
            order_by=[OrderBy(col(question, "created_at")[0], ascending=False)],
            validators=validators,
            hooks=[Hook(HookType.pre_patch, _moderation_hook("question", settings))],
        ),
        # The audit: written only by the moderation service.
        TableConfig(
            ModerationDecision,
            menu_group=MENU_GROUP,
            visible_filters=[
                ModerationDecision.item_type,
                ModerationDecision.item_id,
                ModerationDecision.decision,
                ModerationDecision.staff,
                ModerationDecision.created_at,
            ],
            order_by=[OrderBy(ModerationDecision.created_at, ascending=False)],
            validators=_refuse(*READ_ONLY),
        ),
    ]
    if not moderator:
        # Votes name their voter, and the counts are kept by the vote service: read only.
        configs.append(
            TableConfig(
                ReviewVote,
                menu_group=MENU_GROUP,
                order_by=[OrderBy(ReviewVote.created_at, ascending=False)],
                validators=_refuse(*READ_ONLY),
            )
        )
    return configs


def moderation_read_only_columns() -> dict[str, frozenset[str]]:
    """What the review and question edit forms show read only: all but what moderation decides
    (the hook refuses or drops those columns whatever is sent)."""
    return {
        table._meta.tablename: frozenset(
            column._meta.name
            for column in table._meta.columns
            if column._meta.name not in DECIDED_COLUMNS
        )
        for table in (Review, Question)
    }


def moderation_links() -> dict[str, str]:
    """Sidebar links: our queue page (read and decide each item), the pending lists (oldest
    first) and the public comment rules."""
    return {
        queue.LINK_NAME: queue.URL,
        "Pending reviews": "#/review?status=pending&__order=created_at",
        "Pending questions": "#/question?status=pending&__order=created_at",
        "Comment rules": "/comment-rules",
    }
