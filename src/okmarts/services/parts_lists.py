"""Reading a parts list (a bill of materials) into lines of part number and quantity.

Pasted text is read line by line, as spreadsheets copy it: cells separated by tabs, semicolons
or commas ("BI7-M51-AP6X-H1135, 10", "10;6ES7214-1AG40-0XB0"), or one cell with "10 x SKU",
"SKU x 10", "SKU 10"; the quantity may come before or after; a header row ("Part number,
Qty") and blank lines are skipped; no quantity means 1. Uploaded CSV and XLSX files are read
into rows of cells first (`read_upload`), and the shopper says which column holds the part
number and which the quantity (`guess_columns` proposes them from a header row).

A file that can't be read raises `PartsListError` with a message that says why, naming the line
where there is one; a line that can be read but makes no sense ("abc" as a quantity) becomes a
`Line` carrying its own error, shown in the results beside the others.

XLSX files are read with openpyxl in read-only mode, in a worker thread (`read_upload` is
async): parsing XML is CPU work that must not stall the event loop.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import re
import zipfile
from dataclasses import dataclass

from okmarts.i18n import N_, Message

MAX_LINES = 1000  # lines (or rows) of one parts list
MAX_TEXT_CHARACTERS = 200_000
MAX_CELL_CHARACTERS = 200
MAX_COLUMNS = 30
MAX_SKU_CHARACTERS = 64  # product.sku's length
MAX_QUANTITY = 999  # as the cart takes (services.cart.MAX_QUANTITY)
# An XLSX file is a zip: what its parts may unpack to, against zip bombs.
MAX_UNPACKED_BYTES = 50_000_000
PREVIEW_ROWS = 5

# Words of a header row, compared without case, spaces and punctuation.
SKU_HEADERS = {
    "sku",
    "partnumber",
    "partno",
    "part",
    "pn",
    "mpn",
    "manufacturerpartnumber",
    "mfrpartnumber",
    "mfrpn",
    "mfrpartno",
    "manufacturerpartno",
    "ordernumber",
    "orderno",
    "articlenumber",
    "article",
    "itemnumber",
    "productnumber",
    "product",
    "code",
    "partcode",
    "reference",
    "artikelnummer",
    "bestellnummer",
    "型号",
    "料号",
    "referencia",
}
QUANTITY_HEADERS = {
    "qty",
    "quantity",
    "qnt",
    "amount",
    "count",
    "pcs",
    "pieces",
    "menge",
    "anzahl",
    "数量",
    "cantidad",
    "units",
}

_QUANTITY = re.compile(
    r"^(\d{1,7})(?:[.,]0+)?\s*(?:pcs|pc|pieces|piece|x|st|stk|ea|units|unit)?\.?$", re.IGNORECASE
)
_TIMES_BEFORE = re.compile(r"^(\d{1,7})\s*[x×*]\s*(\S.*)$", re.IGNORECASE)
_TIMES_AFTER = re.compile(r"^(.*\S)\s*[x×*]\s*(\d{1,7})$", re.IGNORECASE)
_NUMBER_BEFORE = re.compile(r"^(\d{1,7})\s+(\S.*)$")
_NUMBER_AFTER = re.compile(r"^(.*\S)\s+(\d{1,7})$")
_HEADER_CHARACTERS = re.compile(r"[\s._#:/()\-]+")


class PartsListError(Exception):
    """A parts list that can't be read at all; the message says why (and where)."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.msgid)
        self.message = message


@dataclass(frozen=True)
class Line:
    """One line of a parts list: the part number and quantity as read."""

    number: int  # the line (or row) number in what was pasted or uploaded, from 1
    sku: str
    quantity: int = 1
    # Another reading of the line: all of it as one part number ("6ES7 214" could be part
    # "6ES7" times 214, or part "6ES7 214"); tried when `sku` matches nothing.
    whole: str = ""
    error: Message | None = None


@dataclass(frozen=True)
class Table:
    """An uploaded file's rows: (row number, cells) of the non-empty rows."""

    rows: list[tuple[int, list[str]]]

    @property
    def width(self) -> int:
        return max((len(cells) for _, cells in self.rows), default=0)

    def preview(self) -> list[tuple[int, list[str]]]:
        width = self.width
        return [(n, cells + [""] * (width - len(cells))) for n, cells in self.rows[:PREVIEW_ROWS]]


def _header_word(cell: str) -> str:
    return _HEADER_CHARACTERS.sub("", cell.casefold())


def _is_header(cells: list[str]) -> bool:
    words = {_header_word(cell) for cell in cells}
    return bool(words & (SKU_HEADERS | QUANTITY_HEADERS)) and not any(
        _QUANTITY.match(cell) for cell in cells
    )


def read_quantity(cell: str) -> int | None:
    """A quantity cell ("10", "10.0", "10 pcs"), or None when it is not one."""
    match = _QUANTITY.match(cell.strip())
    return int(match.group(1)) if match else None


def _cells(text: str) -> list[str]:
    """A pasted line's cells: split at tabs, else semicolons, else commas (quotes respected)."""
    for delimiter in "\t;,":
        if delimiter in text:
            try:
                row = next(csv.reader([text], delimiter=delimiter))
            except (csv.Error, StopIteration):
                row = text.split(delimiter)
            return [cell.strip() for cell in row if cell.strip()]
    return [text.strip()] if text.strip() else []


def _line(number: int, sku: str, quantity: int | None, whole: str = "") -> Line:
    sku = sku.strip().strip("\"'").strip()
    if len(sku) > MAX_SKU_CHARACTERS:
        return Line(
            number,
            sku[:MAX_SKU_CHARACTERS],
            error=Message(
                N_("Line %(line)s: this is too long for a part number."), {"line": number}
            ),
        )
    if quantity is None or not 1 <= quantity <= MAX_QUANTITY:
        return Line(
            number,
            sku,
            error=Message(
                N_("Line %(line)s: enter a quantity from %(min)s to %(max)s."),
                {"line": number, "min": 1, "max": MAX_QUANTITY},
            ),
        )
    return Line(number, sku, quantity, whole=whole)


def read_line(number: int, text: str) -> Line | None:
    """One pasted line as a Line; None for a blank or header line."""
    cells = _cells(text[: MAX_CELL_CHARACTERS * 4])
    if not cells:
        return None
    if len(cells) == 1:
        return _one_cell(number, cells[0])
    if _is_header(cells):
        return None
    counted = [index for index, cell in enumerate(cells) if read_quantity(cell) is not None]
    if not counted:
        return _line(number, cells[0], 1)
    # Several numbers ("1;6ES7…;10": a position, then the quantity): the last short one.
    short = [index for index in counted if len(cells[index]) <= 4] or counted
    at = short[-1]
    others = [index for index in range(len(cells)) if index != at]
    named = [index for index in others if index not in counted] or others
    return _line(number, cells[named[0]], read_quantity(cells[at]))


def _one_cell(number: int, cell: str) -> Line | None:
    if _header_word(cell) in SKU_HEADERS | QUANTITY_HEADERS:
        return None
    for pattern, quantity_first in ((_TIMES_BEFORE, True), (_TIMES_AFTER, False)):
        if match := pattern.match(cell):
            quantity, sku = match.groups() if quantity_first else match.groups()[::-1]
            return _line(number, sku, int(quantity), whole=cell)
    for pattern, quantity_first in ((_NUMBER_BEFORE, True), (_NUMBER_AFTER, False)):
        if match := pattern.match(cell):
            quantity, sku = match.groups() if quantity_first else match.groups()[::-1]
            return _line(number, sku, int(quantity), whole=cell)
    return _line(number, cell, 1)


def _too_many(count: int) -> PartsListError:
    return PartsListError(
        Message(
            N_("A parts list may have at most %(max)s lines; this one has more."),
            {"max": MAX_LINES, "num": count},
        )
    )


def parse_text(text: str) -> list[Line]:
    """The lines of a pasted parts list (blank and header lines left out)."""
    if len(text) > MAX_TEXT_CHARACTERS:
        raise PartsListError(
            Message(
                N_("The pasted text is too long: at most %(max)s characters."),
                {"max": MAX_TEXT_CHARACTERS},
            )
        )
    lines: list[Line] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = read_line(number, raw)
        if line is not None:
            lines.append(line)
            if len(lines) > MAX_LINES:
                raise _too_many(len(lines))
    if not lines:
        raise PartsListError(Message(N_("Paste at least one part number, one per line.")))
    return lines


# -- Files -----------------------------------------------------------------------------------------


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()[:MAX_CELL_CHARACTERS]


def _trimmed(cells: list[str]) -> list[str]:
    while cells and not cells[-1]:
        cells.pop()
    return cells[:MAX_COLUMNS]


def _unreadable_xlsx() -> PartsListError:
    return PartsListError(
        Message(
            N_("This file can't be read as an Excel workbook (.xlsx): save it again, or as CSV.")
        )
    )


def _read_xlsx(data: bytes) -> Table:
    """The first sheet's rows (runs in a worker thread)."""
    import openpyxl  # only quick orders need it: not loaded by every worker at start

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(item.file_size for item in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise PartsListError(Message(N_("This workbook unpacks to too much data.")))
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except PartsListError:
        raise
    except Exception as error:  # a broken file raises anything from zip, XML or openpyxl
        raise _unreadable_xlsx() from error
    rows: list[tuple[int, list[str]]] = []
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = _trimmed([_cell_text(value) for value in values[:MAX_COLUMNS]])
            if any(cells):
                rows.append((number, cells))
                if len(rows) > MAX_LINES:
                    raise _too_many(len(rows))
    except PartsListError:
        raise
    except Exception as error:
        raise _unreadable_xlsx() from error
    finally:
        workbook.close()
    return Table(rows)


def _decode(data: bytes) -> str:
    if b"\x00" in data:  # UTF-16 or a binary file
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise PartsListError(Message(N_("This file is not a CSV or XLSX file."))) from error
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _read_csv(data: bytes) -> Table:
    text = _decode(data)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max("\t;,", key=first.count) if any(mark in first for mark in "\t;,") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[tuple[int, list[str]]] = []
    started = 1  # the line the current row starts on (a quoted cell may span lines)
    try:
        for values in reader:
            cells = _trimmed([value.strip()[:MAX_CELL_CHARACTERS] for value in values])
            if any(cells):
                rows.append((started, cells))
                if len(rows) > MAX_LINES:
                    raise _too_many(len(rows))
            started = reader.line_num + 1
    except csv.Error as error:
        raise PartsListError(
            Message(
                N_("Line %(line)s of the file can't be read as CSV: is a quotation mark open?"),
                {"line": started},
            )
        ) from error
    return Table(rows)


async def read_upload(filename: str, data: bytes, max_bytes: int) -> Table:
    """The rows of an uploaded CSV or XLSX file; PartsListError when it can't be read."""
    if not data:
        raise PartsListError(Message(N_("The file is empty.")))
    if len(data) > max_bytes:
        raise PartsListError(
            Message(N_("The file is too large: at most %(size)s kB."), {"size": max_bytes // 1000})
        )
    name = filename.lower()
    if data.startswith(b"\xd0\xcf\x11\xe0") or name.endswith(".xls"):
        raise PartsListError(
            Message(N_("Old Excel files (.xls) can't be read: save it as .xlsx or CSV."))
        )
    if data.startswith(b"PK\x03\x04") or name.endswith((".xlsx", ".xlsm")):
        table = await asyncio.to_thread(_read_xlsx, data)
    else:
        table = _read_csv(data)
    if not table.rows:
        raise PartsListError(Message(N_("The file has no rows with text.")))
    return table


def guess_columns(table: Table) -> tuple[int, int | None, bool]:
    """(part-number column, quantity column or None, whether the first row is a header)."""
    first = table.rows[0][1] if table.rows else []
    words = [_header_word(cell) for cell in first]
    sku = next((index for index, word in enumerate(words) if word in SKU_HEADERS), None)
    if sku is None:  # "Supplier part no.", "Vendor SKU"
        sku = next((n for n, word in enumerate(words) if "sku" in word or "partn" in word), None)
    quantity = next((index for index, word in enumerate(words) if word in QUANTITY_HEADERS), None)
    header = sku is not None or quantity is not None or _is_header(first)
    body = [cells for _, cells in table.rows[1 if header else 0 :][:20]]
    width = table.width
    numbers = [
        sum(1 for cells in body if index < len(cells) and read_quantity(cells[index]) is not None)
        for index in range(width)
    ]
    texts = [
        sum(1 for cells in body if index < len(cells) and cells[index] and numbers[index] == 0)
        for index in range(width)
    ]
    if sku is None:
        sku = max(range(width), key=lambda index: (texts[index], -index)) if width else 0
    if quantity is None:
        counted = [index for index in range(width) if index != sku and numbers[index]]
        quantity = max(counted, key=lambda index: (numbers[index], index)) if counted else None
    return sku, quantity, header


def lines_from_table(
    table: Table, sku_column: int, quantity_column: int | None, skip_header: bool
) -> list[Line]:
    """The table's rows as lines, reading the chosen columns (no quantity column: 1 each)."""
    lines: list[Line] = []
    for position, (number, cells) in enumerate(table.rows):
        if skip_header and position == 0:
            continue
        sku = cells[sku_column] if sku_column < len(cells) else ""
        if not sku:
            continue
        if quantity_column is None:
            quantity: int | None = 1
        else:
            raw = cells[quantity_column] if quantity_column < len(cells) else ""
            quantity = read_quantity(raw) if raw else 1
        lines.append(_line(number, sku, quantity))
    if not lines:
        raise PartsListError(Message(N_("No part numbers in the column you chose.")))
    return lines


def encode_table(table: Table) -> str:
    """The table as text for the column step's form (the file is not kept on the server)."""
    return json.dumps([[number, cells] for number, cells in table.rows], ensure_ascii=False)


def decode_table(raw: str) -> Table:
    """The table the column step's form sent back (checked: it came through the browser)."""
    try:
        data = json.loads(raw) if len(raw) <= MAX_TEXT_CHARACTERS * 4 else None
    except ValueError:
        data = None
    rows: list[tuple[int, list[str]]] = []
    if isinstance(data, list) and 0 < len(data) <= MAX_LINES:
        for entry in data:
            if (
                isinstance(entry, list)
                and len(entry) == 2
                and isinstance(entry[0], int)
                and isinstance(entry[1], list)
                and all(isinstance(cell, str) for cell in entry[1])
            ):
                cells = [cell[:MAX_CELL_CHARACTERS] for cell in entry[1][:MAX_COLUMNS]]
                rows.append((max(1, min(entry[0], 10**7)), cells))
    if not rows:
        raise PartsListError(Message(N_("Upload the file again: its rows did not come back.")))
    return Table(rows)
