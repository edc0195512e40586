"""Visit statistics in the admin (superusers only): the form "Visit statistics" summarises page
views, sessions and unique visitors per day and the most viewed paths (or gives them as CSV);
the pseudonymous page views and the cookie-choice log are there to read, never to edit.

Only visitors who accepted analytics are counted (services.consent), so these are lower bounds.
"""

from __future__ import annotations

import csv
import io

from piccolo_admin.endpoints import FileResponse, FormConfig, TableConfig
from piccolo_api.crud.endpoints import OrderBy
from pydantic import BaseModel, Field
from starlette.requests import Request

from okmarts.admin.tables import READ_ONLY, _refuse
from okmarts.services import consent
from okmarts.services.consent import VisitSummary
from okmarts.tables.privacy import CookieConsent, PageView

STATISTICS_FORM = "Visit statistics"
MENU_GROUP = "Visit statistics"


def statistics_tables() -> list[TableConfig]:
    """Page views and cookie choices, read only (they are evidence: nobody edits them)."""
    return [
        TableConfig(
            PageView,
            menu_group=MENU_GROUP,
            visible_columns=[
                PageView.created_at,
                PageView.path,
                PageView.visitor,
                PageView.session,
                PageView.ip_prefix,
            ],
            visible_filters=[PageView.path, PageView.created_at, PageView.visitor],
            order_by=[OrderBy(PageView.created_at, ascending=False)],
            validators=_refuse(*READ_ONLY),
        ),
        TableConfig(
            CookieConsent,
            menu_group=MENU_GROUP,
            visible_columns=[
                CookieConsent.created_at,
                CookieConsent.consent_id,
                CookieConsent.categories,
                CookieConsent.cookie_policy_version,
                CookieConsent.source,
                CookieConsent.ip_prefix,
            ],
            visible_filters=[
                CookieConsent.consent_id,
                CookieConsent.cookie_policy_version,
                CookieConsent.source,
                CookieConsent.created_at,
            ],
            order_by=[OrderBy(CookieConsent.created_at, ascending=False)],
            validators=_refuse(*READ_ONLY),
        ),
    ]


class StatisticsQuery(BaseModel):
    """The form's fields (the admin draws each as an input)."""

    days: int = Field(default=30, ge=1, le=400, description="How many days, up to today (UTC).")
    top_paths: int = Field(default=10, ge=1, le=50, description="How many of the top paths.")
    download_csv: bool = Field(default=False, description="A CSV file with every day instead.")


def summary_text(summary: VisitSummary) -> str:
    """The summary as one message (the admin shows a form's answer as a notice)."""
    busiest = max(summary.days, key=lambda day: day.page_views, default=None)
    parts = [
        f"{summary.first_day.isoformat()} to {summary.last_day.isoformat()} (UTC): "
        f"{summary.page_views} page views, {summary.sessions} sessions, "
        f"{summary.visitors} unique visitors."
    ]
    if busiest is not None and busiest.page_views:
        parts.append(
            f"Busiest day {busiest.day.isoformat()}: {busiest.page_views} page views, "
            f"{busiest.sessions} sessions, {busiest.visitors} visitors."
        )
    if summary.top_paths:
        top = ", ".join(f"{path} ({views})" for path, views in summary.top_paths)
        parts.append(f"Top paths: {top}.")
    parts.append("Only visitors who accepted analytics cookies are counted.")
    return " ".join(parts)


def summary_csv(summary: VisitSummary) -> str:
    """Every day of the period, then the totals and the top paths."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["day", "page_views", "sessions", "unique_visitors"])
    for day in summary.days:
        writer.writerow([day.day.isoformat(), day.page_views, day.sessions, day.visitors])
    writer.writerow(["total", summary.page_views, summary.sessions, summary.visitors])
    writer.writerow([])
    writer.writerow(["path", "page_views"])
    writer.writerows(summary.top_paths)
    return out.getvalue()


async def show_statistics(request: Request, data: StatisticsQuery) -> str | FileResponse:
    # The dispatcher sends only superusers to the app holding this form; check again anyway.
    if not request.user.user.superuser:
        raise ValueError("Only admins may see the visit statistics.")
    summary = await consent.visit_summary(days=data.days, top=data.top_paths)
    if data.download_csv:
        return FileResponse(
            contents=io.StringIO(summary_csv(summary)),
            file_name=f"visit-statistics-{summary.last_day.isoformat()}.csv",
            media_type="text/csv",
        )
    return summary_text(summary)


def statistics_form() -> FormConfig:
    return FormConfig(
        name=STATISTICS_FORM,
        pydantic_model=StatisticsQuery,
        endpoint=show_statistics,
        description=(
            "Page views, sessions and unique visitors of the last days (30 unless you say), "
            "the busiest day and the most viewed paths; tick download_csv for every day as a "
            "CSV file. Only visitors who accepted analytics cookies are counted; a session ends "
            "after 30 minutes without a page view."
        ),
        form_group=MENU_GROUP,
    )
