"""A quote as a one-document PDF (fpdf2), in the buyer's language: the shop, the buyer, the
quote's number and dates, its lines with the quoted prices, the total and until when it holds.

Every text is formatted first, in the request (the reader's language, money and dates as their
locale writes them: `sheet_of`); laying it out is CPU work and runs in a thread (`quote_pdf`).

Fonts: fpdf2's core fonts cover Windows-1252 only (English, Spanish…). A TrueType font that
covers Chinese is used when the machine has one (FONT_CANDIDATES, or OKMARTS_PDF_FONT naming a
.ttf); without one, a Chinese reader's PDF is written with English labels and the values spelt
out as demo.datasheets.pdf_text does, never with missing glyphs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import anyio

from okmarts import i18n
from okmarts.demo.datasheets import pdf_text
from okmarts.i18n import N_
from okmarts.services import addresses
from okmarts.services.quotes import STATUSES, QuoteDetail
from okmarts.tables.accounts import Account

SELLER = ("Okmarts Ltd.", "sales@okmarts.com")
# TrueType fonts covering Chinese, Latin and more, where distributions put them.
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)

TITLE = N_("Quote %(number)s")
LABELS = {
    # TRANSLATORS: label in a quote's PDF: the shop that makes the offer
    "seller": N_("From"),
    # TRANSLATORS: label in a quote's PDF: the buyer the offer is made to
    "buyer": N_("For"),
    "status": N_("Status"),
    "requested": N_("Asked for on"),
    "valid_until": N_("Prices hold until"),
    "delivery": N_("Delivery to"),
    "product": N_("Product"),
    "quantity": N_("Quantity"),
    "unit_price": N_("Unit price"),
    "line_total": N_("Line total"),
    "total": N_("Total (before shipping and tax)"),
    "note": N_("Our note:"),
    "not_priced": N_("Not priced yet"),
    "footer": N_("Shipping and tax are added at checkout. Order online: %(link)s"),
}


@dataclass(frozen=True)
class QuoteSheet:
    """Every text of the PDF, formatted and translated."""

    number: str
    title: str
    facts: list[tuple[str, str]]
    headers: tuple[str, str, str, str]
    lines: list[tuple[str, str, str, str]]
    total: tuple[str, str] | None
    note: tuple[str, str] | None
    footer: str


def font_path() -> Path | None:
    named = os.environ.get("OKMARTS_PDF_FONT")
    for candidate in ([named] if named else []) + list(FONT_CANDIDATES):
        if Path(candidate).is_file():
            return Path(candidate)
    return None


def sheet_of(
    detail: QuoteDetail,
    account: Account,
    gettext: Callable[[str], str],
    link: str,
) -> QuoteSheet:
    """The quote's texts in the reader's language (call it in the request)."""
    _ = gettext
    quote = detail.quote
    currency = quote.currency
    names = dict(addresses.countries(i18n.current_locale.get()))
    buyer = ", ".join(part for part in (account.real_name, account.company, account.email) if part)
    facts = [
        (_(LABELS["seller"]), ", ".join(SELLER)),
        (_(LABELS["buyer"]), buyer),
        (_(LABELS["status"]), _(STATUSES[detail.status])),
        (_(LABELS["requested"]), i18n.date(quote.created_at)),
        (_(LABELS["delivery"]), names.get(quote.delivery_country, quote.delivery_country)),
    ]
    if quote.valid_until is not None and detail.priced:
        facts.append((_(LABELS["valid_until"]), i18n.datetime(quote.valid_until)))
    lines = []
    for line in detail.lines:
        priced = line["unit_price_minor"] is not None
        lines.append(
            (
                f"{line['title']} ({line['sku']})",
                i18n.number(line["quantity"]),
                i18n.money(line["unit_price_minor"], currency)
                if priced
                else _(LABELS["not_priced"]),
                i18n.money(line["line_total_minor"], currency) if priced else "",
            )
        )
    total = detail.total_minor
    return QuoteSheet(
        number=quote.number,
        title=_(TITLE) % {"number": quote.number},
        facts=facts,
        headers=(
            _(LABELS["product"]),
            _(LABELS["quantity"]),
            _(LABELS["unit_price"]),
            _(LABELS["line_total"]),
        ),
        lines=lines,
        total=(_(LABELS["total"]), i18n.money(total, currency)) if total is not None else None,
        note=(_(LABELS["note"]), quote.staff_note) if quote.staff_note else None,
        footer=_(LABELS["footer"]) % {"link": link},
    )


def _needs_wide_font(sheet: QuoteSheet) -> bool:
    texts = [sheet.title, sheet.footer, *sheet.headers]
    texts += [text for pair in sheet.facts for text in pair]
    texts += [text for line in sheet.lines for text in line]
    # What the core fonts can't show even spelt out comes out as "?".
    return any(pdf_text(text).count("?") > text.count("?") for text in texts)


def render(sheet: QuoteSheet, font: Path | None) -> bytes:
    """The PDF's bytes (CPU work: call it in a thread)."""
    from fpdf import FPDF  # see the note in services/invoices.py

    pdf = FPDF(format="A4")
    pdf.set_title(sheet.number)
    pdf.set_creator("Okmarts")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    if font is not None:
        pdf.add_font("body", "", str(font))
        family, clean = "body", str
    else:
        family, clean = "Helvetica", pdf_text
    pdf.set_font(family, size=16)
    pdf.cell(0, 10, clean(sheet.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=10)
    for label, value in sheet.facts:
        pdf.multi_cell(0, 6, clean(f"{label}: {value}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    with pdf.table(
        col_widths=(90, 25, 35, 35),
        text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT"),
        first_row_as_headings=True,
    ) as table:
        row = table.row()
        for header in sheet.headers:
            row.cell(clean(header))
        for line in sheet.lines:
            row = table.row()
            for text in line:
                row.cell(clean(text))
        if sheet.total is not None:
            row = table.row()
            row.cell(clean(sheet.total[0]), colspan=3)
            row.cell(clean(sheet.total[1]))
    pdf.ln(4)
    if sheet.note is not None:
        pdf.multi_cell(
            0, 6, clean(f"{sheet.note[0]} {sheet.note[1]}"), new_x="LMARGIN", new_y="NEXT"
        )
        pdf.ln(2)
    pdf.set_font(family, size=8)
    pdf.multi_cell(0, 5, clean(sheet.footer), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


async def quote_pdf(
    detail: QuoteDetail, account: Account, gettext: Callable[[str], str], link: str
) -> bytes:
    """The quote's PDF in the reader's language (laid out in a thread)."""
    sheet = sheet_of(detail, account, gettext, link)
    font = font_path()
    if font is None and _needs_wide_font(sheet):
        # No font on this machine covers the reader's script: English labels, values spelt out.
        sheet = sheet_of(detail, account, str, link)
    return await anyio.to_thread.run_sync(render, sheet, font)


def filename_of(number: str) -> str:
    return f"okmarts-quote-{number}.pdf"
