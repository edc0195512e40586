"""The demo catalog's datasheets: one real one-page PDF per product family, made with fpdf2.

A family is a subcategory of the demo catalog (Compact PLCs, Contactors…): its datasheet names
its makers and lists every specification with each value the family offers, so it is true of
every product in it. `okmarts seed` writes the files once into the documents folder and adds
one `product_document` row per family, linked to its category, not one per product (see
seed_catalog for why).

fpdf2's core fonts (Helvetica) cover Windows-1252 only, and the repository ships no TTF font
(a clean machine may have none): text outside it is spelt out (≤ → <=, Ω → Ohm, Δ → Delta)
by `pdf_text`, never dropped silently into "?".
"""

from __future__ import annotations

import datetime as dt
import os
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import anyio

if TYPE_CHECKING:
    from fpdf import FPDF

from okmarts.demo.catalog_data import CATALOG, Kind, Subcategory, TopCategory

SHOP_NAME = "Okmarts"
PDF_ENCODING = "windows-1252"
# Spelt out: what Windows-1252 lacks and the catalog (or a staff member's spec) may hold.
SPELT_OUT = {
    "≤": "<=",
    "≥": ">=",
    "≈": "~",
    "≠": "!=",
    "Ω": "Ohm",
    "Δ": "Delta",
    "Ø": "Ø",
    "⌀": "Ø",
    "φ": "phi",
    "π": "pi",
    "α": "alpha",
    "β": "beta",
    "λ": "lambda",
    "η": "eta",
    "√": "sqrt",
    "∞": "inf",
    "→": "->",
    "←": "<-",
    "−": "-",
    "‑": "-",
    "\u202f": " ",
    "\u00a0": " ",
    "✓": "yes",
}
# Largest font first; a family whose table does not fit one page gets the next size.
FONT_SIZES = (9.0, 8.0, 7.0, 6.0, 5.0)


def pdf_text(text: str) -> str:
    """Text the core fonts can show: Windows-1252 as is, known signs spelt out, accents
    decomposed (ő → o), anything else as "?" (never an exception)."""
    out = []
    for char in text:
        try:
            char.encode(PDF_ENCODING)
        except UnicodeEncodeError:
            if char in SPELT_OUT:
                char = SPELT_OUT[char]
            else:
                base = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
                char = base or "?"
        out.append(char)
    return "".join(out)


def family_of(kind: Kind, family: Subcategory) -> str:
    """A kind's name without its placeholders: "Compact PLC, {di} DI…" → "Compact PLC"."""
    head = kind.title.split("{", 1)[0].strip(" ,")
    return head or family.name


def spec_rows(kind: Kind) -> list[tuple[str, str]]:
    """Each specification of the kind with every value the family offers, in catalog order."""
    rows: list[tuple[str, str]] = []
    if kind.ladder is not None:
        for index, (key, _name) in enumerate(kind.ladder.columns):
            if key is not None:
                values = dict.fromkeys(row[index] for row in kind.ladder.rows)
                rows.append((key, ", ".join(values)))
    for spec in kind.specs:
        rows.append((spec.key, ", ".join(dict.fromkeys(spec.values))))
    return rows


def file_name(family: Subcategory) -> str:
    """The stored file's key in the documents folder (services.documents.KEY_PATTERN)."""
    return f"datasheet-{family.slug}.pdf"


def download_name(family: Subcategory) -> str:
    return f"{family.slug}-datasheet.pdf"


def title(family: Subcategory) -> str:
    return f"{family.name} family datasheet"


def _brands(family: Subcategory) -> list[str]:
    return list(dict.fromkeys(brand for kind in family.kinds for brand in kind.makers))


def _render(family: Subcategory, top: TopCategory, generated: dt.date, size: float) -> FPDF:
    from fpdf import FPDF  # see the note in services/invoices.py

    pdf = FPDF(format="A4")
    pdf.core_fonts_encoding = PDF_ENCODING
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_title(pdf_text(title(family)))
    pdf.set_author(SHOP_NAME)
    pdf.set_creator(SHOP_NAME)
    pdf.set_creation_date(dt.datetime.combine(generated, dt.time(), tzinfo=dt.UTC))
    pdf.add_page()
    width = pdf.epw
    pdf.set_font("Helvetica", "B", 9)
    pdf.set_text_color(90, 90, 90)
    pdf.cell(
        width,
        5,
        pdf_text(f"{SHOP_NAME} · {top.name} · {family.name}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(width, 9, pdf_text(family.name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(width, 5, pdf_text("Product family datasheet"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", size + 1)
    pdf.cell(pdf.get_string_width("Brands: ") + 1, 5, "Brands: ")
    pdf.set_font("Helvetica", "", size + 1)
    pdf.multi_cell(0, 5, pdf_text(", ".join(_brands(family))), new_x="LMARGIN", new_y="NEXT")
    if top.description:
        pdf.ln(1)
        pdf.multi_cell(width, 4.5, pdf_text(top.description), new_x="LMARGIN", new_y="NEXT")
    for kind in family.kinds:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", size + 3)
        pdf.multi_cell(width, 6, pdf_text(family_of(kind, family)), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", size)
        _table(pdf, spec_rows(kind), size)
    pdf.ln(3)
    pdf.set_font("Helvetica", "", size)
    pdf.multi_cell(
        width,
        4.5,
        pdf_text(
            f"Dimension drawing: ref. DWG-{family.slug.upper()} (shown on each product's page). "
            "Values are the range the family is made in: each product's page gives its own."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    # The footer sits in the bottom margin: no page break for it.
    pdf.set_auto_page_break(auto=False)
    pdf.set_y(-14)
    pdf.set_font("Helvetica", "", 8)
    pdf.set_text_color(90, 90, 90)
    pdf.cell(width, 5, pdf_text(f"{SHOP_NAME} · generated {generated.isoformat()}"), align="C")
    return pdf


def _table(pdf: FPDF, rows: Iterable[tuple[str, str]], size: float) -> None:
    from fpdf.fonts import FontFace

    heading = FontFace(emphasis="BOLD", fill_color=(230, 236, 241))
    with pdf.table(
        col_widths=(32, 68),
        headings_style=heading,
        line_height=size * 0.55,
        text_align=("LEFT", "LEFT"),
    ) as table:
        header = table.row()
        header.cell("Specification")
        header.cell("Values offered")
        for key, values in rows:
            row = table.row()
            row.cell(pdf_text(key))
            row.cell(pdf_text(values))


def family_pdf(family: Subcategory, top: TopCategory, generated: dt.date) -> bytes:
    """The family's datasheet: one page, the largest font size that fits (blocking: fpdf2)."""
    for size in FONT_SIZES:
        pdf = _render(family, top, generated, size)
        if pdf.pages_count == 1:
            break
    return bytes(pdf.output())


def families() -> list[tuple[Subcategory, TopCategory]]:
    return [(family, top) for top in CATALOG for family in top.children]


def write_datasheets(folder: Path, generated: dt.date) -> dict[str, tuple[str, int]]:
    """Write every family's datasheet into `folder` (blocking: run it in a thread); returns
    {family slug: (file key, size in bytes)}. Each file is replaced whole (a temporary file,
    then a rename): a shop serving the old one never sends half of the new."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for family, top in families():
        data = family_pdf(family, top, generated)
        key = file_name(family)
        temporary = folder / f".{key}.{os.getpid()}.tmp"
        temporary.write_bytes(data)
        os.replace(temporary, folder / key)
        written[family.slug] = (key, len(data))
    return written


async def add_missing_datasheets(folder: Path) -> int:
    """A demo catalog seeded before documents existed gets its families' datasheets, once
    (`okmarts seed --if-empty`, which `make run` calls): none is added where any datasheet of a
    category is already there. Returns how many were added."""
    from okmarts.services.documents import PDF
    from okmarts.tables.catalog import Category
    from okmarts.tables.documents import ProductDocument

    if await ProductDocument.exists().where(
        (ProductDocument.kind == "datasheet") & ProductDocument.category.is_not_null()
    ):
        return 0
    rows = await Category.select(Category.id, Category.slug)
    category_ids = {row["slug"]: row["id"] for row in rows}
    wanted = [(family, top) for family, top in families() if family.slug in category_ids]
    if not wanted:
        return 0
    today = dt.datetime.now(dt.UTC).date()
    sheets = await anyio.to_thread.run_sync(write_datasheets, folder, today)
    await ProductDocument.insert(
        *(
            ProductDocument(
                category=category_ids[family.slug],
                kind="datasheet",
                title=title(family),
                language="en",
                file=sheets[family.slug][0],
                content_type=PDF,
                size_bytes=sheets[family.slug][1],
                original_name=download_name(family),
            )
            for family, _top in wanted
        )
    )
    return len(wanted)
