"""Privacy requests in the admin (superusers only: they name people and what they asked).

Requests are read only in the table; staff close them with the form "Close a privacy request",
which records who closed it and when (services.privacy.close_request). The consent log is read
only: it is the proof of what each person agreed to and withdrew.
"""

from __future__ import annotations

from piccolo.apps.user.tables import BaseUser
from piccolo_admin.endpoints import FormConfig, TableConfig
from piccolo_api.crud.endpoints import OrderBy
from pydantic import BaseModel, Field, field_validator
from starlette.requests import Request

from okmarts.admin.orders import english
from okmarts.admin.tables import READ_ONLY, _refuse
from okmarts.services import privacy
from okmarts.tables.privacy import ConsentEvent, PrivacyRequest

CLOSE_PRIVACY_REQUEST_FORM = "Close a privacy request"
MENU_GROUP = "Privacy"


def privacy_tables() -> list[TableConfig]:
    return [
        TableConfig(
            PrivacyRequest,
            menu_group=MENU_GROUP,
            visible_columns=[
                PrivacyRequest.id,
                PrivacyRequest.kind,
                PrivacyRequest.status,
                PrivacyRequest.due_at,
                PrivacyRequest.created_at,
                PrivacyRequest.account,
                PrivacyRequest.closed_at,
                PrivacyRequest.closed_by,
            ],
            visible_filters=[
                PrivacyRequest.status,
                PrivacyRequest.kind,
                PrivacyRequest.due_at,
                PrivacyRequest.created_at,
                PrivacyRequest.account,
            ],
            order_by=[OrderBy(PrivacyRequest.due_at)],
            # Closed through the form only: it records who closed the request and when.
            validators=_refuse(*READ_ONLY),
        ),
        TableConfig(
            ConsentEvent,
            menu_group=MENU_GROUP,
            visible_columns=[
                ConsentEvent.id,
                ConsentEvent.account,
                ConsentEvent.consent,
                ConsentEvent.granted,
                ConsentEvent.created_at,
            ],
            visible_filters=[ConsentEvent.account, ConsentEvent.consent, ConsentEvent.granted],
            order_by=[OrderBy(ConsentEvent.created_at, ascending=False)],
            validators=_refuse(*READ_ONLY),
        ),
    ]


def privacy_links() -> dict[str, str]:
    """Sidebar links: open requests by due date, and the overdue ones (a redirect adds "now")."""
    return {
        "Open privacy requests": "#/privacy_request?status=open&status__match=exact&__order=due_at",
        "Overdue privacy requests": "/staff/privacy-requests/overdue",
    }


class PrivacyRequestClosing(BaseModel):
    """The form's fields (the admin draws each as a text input)."""

    request_id: int = Field(gt=0)
    outcome: str = Field(description="completed or rejected")
    note: str = Field(default="", max_length=2000)

    @field_validator("outcome")
    @classmethod
    def _outcome(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in privacy.OUTCOMES:
            raise ValueError(f"Choose one of: {', '.join(privacy.OUTCOMES)}.")
        return value


def close_privacy_request_form() -> FormConfig:
    async def close_privacy_request(request: Request, data: PrivacyRequestClosing) -> str:
        staff: BaseUser = request.user.user
        # The dispatcher sends only superusers to the app holding this form; check again anyway.
        if not staff.superuser:
            raise ValueError("Only admins may close privacy requests.")
        try:
            closed = await privacy.close_request(
                data.request_id, data.outcome, staff=staff.username, note=data.note
            )
        except privacy.PrivacyRefused as refused:
            raise ValueError(english(refused.message)) from None
        return f"Privacy request {closed['id']} ({closed['kind']}) is now {data.outcome}."

    return FormConfig(
        name=CLOSE_PRIVACY_REQUEST_FORM,
        pydantic_model=PrivacyRequestClosing,
        endpoint=close_privacy_request,
        description=(
            "Closes an open privacy request after you have answered it, recording when and by "
            "whom. Outcome: completed or rejected. The note is added to the request's details, "
            "which the person sees in their privacy center: write it to them. Each request is "
            f"due {privacy.RESPONSE_DAYS} days after it was made."
        ),
        form_group=MENU_GROUP,
    )
