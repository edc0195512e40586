"""Quick order: parts lists read from pasted text, CSV and XLSX (services.parts_lists), matched
set-based by compact SKU with close matches and replacements (services.quick_order), and the
/quick-order pages. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
import time
import uuid

import openpyxl
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.services import parts_lists, quick_order
from okmarts.services.parts_lists import Line, PartsListError
from okmarts.tables.catalog import Brand, Category, Product
from tests.states.accounts import csrf, verified_account
from tests.unit.conftest import QueryCounter

Client = AsyncTestClient[Litestar]
NO_FILE = {"file": ("", b"", "application/octet-stream")}


async def parts(skus: list[str], stock: int = 50, status: str = "active") -> list[int]:
    """Products of the test's own with these SKUs (one insert), in a category of the seed."""
    brand = await Brand.select(Brand.id).first()
    category = await Category.select(Category.id).where(Category.parent.is_not_null()).first()
    rows = await Product.insert(
        *(
            Product(
                sku=sku,
                slug=f"test-qo-{uuid.uuid4().hex[:12]}",
                title=f"Quick part {sku}",
                brand=brand["id"],
                category=category["id"],
                price_minor=1000 + index,
                currency="USD",
                stock=stock,
                weight_grams=100,
                status=status,
                created_at=dt.datetime.now(dt.UTC),
            )
            for index, sku in enumerate(skus)
        )
    ).returning(Product.id)
    return [row["id"] for row in rows]


def unique(prefix: str = "") -> str:
    return f"{prefix}Q{uuid.uuid4().hex[:6].upper()}"


# -- Reading pasted lines (no database) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sku", "quantity"),
    [
        ("BI7-M51-AP6X-H1135, 10", "BI7-M51-AP6X-H1135", 10),
        ("10 x 6ES7214-1AG40-0XB0", "6ES7214-1AG40-0XB0", 10),
        ("10x 6ES7214-1AG40-0XB0", "6ES7214-1AG40-0XB0", 10),
        ("6ES7214-1AG40-0XB0 x 3", "6ES7214-1AG40-0XB0", 3),
        ("6ES7 214-1AG40-0XB0\t4", "6ES7 214-1AG40-0XB0", 4),
        ("7;BI7-M51-AP6X-H1135", "BI7-M51-AP6X-H1135", 7),
        ("1;BI7-M51;Proximity sensor;25", "BI7-M51", 25),
        ('"BI7,M51";5', "BI7,M51", 5),
        ("BI7-M51\t5 pcs", "BI7-M51", 5),
        ("BI7-M51\t12.0", "BI7-M51", 12),
        ("BI7-M51", "BI7-M51", 1),
        ("123456, 10", "123456", 10),
        ("10, 123456", "123456", 10),
    ],
)
def test_pasted_lines_read_the_part_and_quantity(text: str, sku: str, quantity: int) -> None:
    line = parts_lists.read_line(1, text)
    assert line is not None and line.error is None
    assert (line.sku, line.quantity) == (sku, quantity)


def test_headers_and_blank_lines_are_skipped_and_numbers_kept() -> None:
    text = "Part number;Qty\n\n  \nA-1;2\nSKU\tQuantity\nB-2, 0\nC-3, 1000\n" + "X" * 80 + ",1"
    lines = parts_lists.parse_text(text)
    assert [(line.number, line.sku) for line in lines][:2] == [(4, "A-1"), (6, "B-2")]
    assert lines[0].error is None and lines[0].quantity == 2
    assert lines[1].error is not None and lines[1].error.params["line"] == 6
    assert lines[2].error is not None and lines[2].error.params["line"] == 7
    assert lines[3].error is not None and "too long" in lines[3].error.msgid


def test_empty_and_oversized_pastes_are_refused() -> None:
    with pytest.raises(PartsListError):
        parts_lists.parse_text("\n \nPart number, Qty\n")
    with pytest.raises(PartsListError) as too_many:
        parts_lists.parse_text("\n".join(f"P-{n}, 1" for n in range(parts_lists.MAX_LINES + 1)))
    assert "at most" in too_many.value.message.msgid


# -- Files -----------------------------------------------------------------------------------------


def xlsx(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_file(rows: list[list[object]], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode()


async def test_xlsx_and_csv_files_give_rows_and_guessed_columns() -> None:
    rows = [["Pos", "Description", "Mfr. part no.", "Qty"], [1, "Sensor", "BI7-M51", 10]]
    rows.append([2, "PLC", "6ES7 214", 2.0])
    for data, name in (
        (xlsx(rows), "bom.xlsx"),
        (csv_file(rows, ";"), "bom.csv"),
        (csv_file(rows, "\t"), "bom.txt"),
    ):
        table = await parts_lists.read_upload(name, data, 100_000)
        assert table.rows[1] == (2, ["1", "Sensor", "BI7-M51", "10"]), name
        assert parts_lists.guess_columns(table) == (2, 3, True), name
        lines = parts_lists.lines_from_table(table, 2, 3, True)
        assert [(line.number, line.sku, line.quantity) for line in lines] == [
            (2, "BI7-M51", 10),
            (3, "6ES7 214", 2),
        ]
        assert parts_lists.decode_table(parts_lists.encode_table(table)) == table


async def test_a_headerless_file_is_guessed_and_bad_quantities_are_named_by_line() -> None:
    table = await parts_lists.read_upload("bom.csv", b"A-1,3\nB-2,x\n\nC-3,4\n", 100_000)
    assert parts_lists.guess_columns(table) == (0, 1, False)
    lines = parts_lists.lines_from_table(table, 0, 1, False)
    assert [line.number for line in lines] == [1, 2, 4]
    assert lines[1].error is not None and lines[1].error.params["line"] == 2


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("bom.csv", b"", "empty"),
        ("bom.csv", b"x" * 2000, "too large"),
        ("bom.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", ".xls"),
        ("bom.xlsx", b"PK\x03\x04 not really a zip", "Excel workbook"),
        ("bom.xlsx", b"not a zip at all", "Excel workbook"),
        ("bom.csv", b'A-1,3\nB-2,"4\nC-3,5\n', "Line 2"),
        ("bom.csv", b"\x00\x01\x02\xff\xfe\x00\xd8", "not a CSV"),
        ("bom.csv", b"\n\n ,, \n", "no rows"),
    ],
)
async def test_bad_files_are_refused_with_a_clear_message(
    name: str, data: bytes, says: str
) -> None:
    with pytest.raises(PartsListError) as refused:
        await parts_lists.read_upload(name, data, 1000)
    message = refused.value.message
    assert says in message.msgid % {key: value for key, value in message.params.items()}


def test_a_forged_column_step_is_refused() -> None:
    for raw in ("", "[]", "{}", "[[1, [2]]]", "not json", '[["a", ["b"]]]'):
        with pytest.raises(PartsListError):
            parts_lists.decode_table(raw)


# -- Matching --------------------------------------------------------------------------------------


async def test_matching_with_and_without_dashes_spaces_and_case(app: Litestar) -> None:
    base = unique()
    skus = [f"{base}-M51-AP6X-H1135", f"6ES7 {base}-1AG40-0XB0"]
    ids = await parts(skus)
    lines = parts_lists.parse_text(
        f"{skus[0].lower()}, 2\n{skus[0].replace('-', '')};3\n"
        f"10 x 6es7{base}1ag400xb0\n6ES7-{base}-1AG40-0XB0\t4\n"
    )
    matches = await quick_order.match_lines(lines)
    assert [(m.status, m.part.id if m.part else None, m.quantity) for m in matches] == [
        ("matched", ids[0], 2),
        ("matched", ids[0], 3),
        ("matched", ids[1], 10),
        ("matched", ids[1], 4),
    ]


async def test_a_sku_with_a_space_and_a_number_is_read_whole_when_that_matches(
    app: Litestar,
) -> None:
    sku = f"{unique()} 214"
    [product] = await parts([sku])
    [match] = await quick_order.match_lines(parts_lists.parse_text(sku))
    assert match.status == "matched" and match.part.id == product and match.quantity == 1


async def test_typos_get_up_to_three_close_matches(app: Litestar) -> None:
    base = unique()
    skus = [f"{base}-M51-AP6X-H1135", f"{base}-M51-AP6X-H1136", f"{base}-M18-AN6X-H1141"]
    ids = await parts(skus)
    lines = parts_lists.parse_text(
        f"{base}-M51-AP6X-H1153, 2\n"  # swapped digits near the end
        f"{'Z' + base[1:]}-M51-AP6X-H1135, 1\n"  # a typo in the first characters
        "NOTHING-LIKE-IT-987654321\n"
    )
    typo, start, nothing = await quick_order.match_lines(lines)
    assert typo.status == "choose" and 1 <= len(typo.choices) <= 3
    assert {part.id for part in typo.choices} >= {ids[0], ids[1]}
    assert start.status == "choose" and start.choices[0].id == ids[0]
    assert nothing.status == "not-found" and not nothing.choices


async def test_out_of_stock_and_discontinued_parts_offer_replacements(app: Litestar) -> None:
    gone, old = unique("OUT"), unique("OLD")
    [gone_id] = await parts([gone], stock=0)
    [old_id] = await parts([old], status="discontinued")
    [low_id] = await parts([low := unique("LOW")], stock=3)
    out, discontinued, few = await quick_order.match_lines(
        parts_lists.parse_text(f"{gone}, 5\n{old}, 1\n{low}, 10")
    )
    assert out.status == discontinued.status == "unavailable"
    assert out.part.id == gone_id and discontinued.part.id == old_id
    for match in (out, discontinued):
        assert 1 <= len(match.replacements) <= 3
        assert all(
            part.available and part.id not in (gone_id, old_id) for part in match.replacements
        )
    assert few.status == "matched" and few.part.id == low_id and few.quantity == 3
    assert few.note is not None and few.note.params == {"num": 3}


async def test_500_lines_match_in_a_few_queries_well_under_a_second(
    app: Litestar, queries: QueryCounter
) -> None:
    base = unique()
    skus = [f"{base}-{n:03d}-AB{n % 7}X-H{1000 + n}" for n in range(500)]
    await parts(skus)
    # Written as buyers write them: lower case, without dashes, with spaces, quantity first.
    written = [
        (sku.lower(), sku.replace("-", ""), sku.replace("-", " "), f"3 x {sku}")[n % 4]
        for n, sku in enumerate(skus)
    ]
    text = "\n".join(f"{sku}\t{1 + n % 9}" if n % 4 != 3 else sku for n, sku in enumerate(written))
    lines = parts_lists.parse_text(text)
    assert len(lines) == 500
    queries.reset()
    started = time.perf_counter()
    matches = await quick_order.match_lines(lines)
    elapsed = time.perf_counter() - started
    print(f"\n500 lines matched in {elapsed * 1000:.0f} ms, {len(queries.statements)} queries")
    assert all(match.status == "matched" for match in matches)
    assert len(queries.statements) <= 2
    assert elapsed < 3.0  # generous against a busy machine; the figure printed is what counts
    # With 50 typos, the close matches add a query per 100 of them and one for the candidates.
    typos = [
        Line(n, sku[:-1] + ("Z" if sku[-1] != "Z" else "Y"), 1) for n, sku in enumerate(skus[:50])
    ]
    queries.reset()
    started = time.perf_counter()
    matches = await quick_order.match_lines(lines[50:] + typos)
    elapsed = time.perf_counter() - started
    print(f"450 lines and 50 typos in {elapsed * 1000:.0f} ms, {len(queries.statements)} queries")
    assert len(queries.statements) <= 4 and elapsed < 3.0
    assert sum(match.status == "choose" for match in matches) == 50


# -- The pages --------------------------------------------------------------------------------


async def quick_post(client: Client, data: dict, files: dict | None = None) -> object:
    if not csrf(client):
        await client.get("/quick-order")
    return await client.post(
        "/quick-order", data={"_csrf_token": csrf(client), **data}, files=files or NO_FILE
    )


def form_of(page: str) -> dict[str, str]:
    """The results form as the browser would send it: hidden fields, checked radios, quantities."""
    form: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if not name or not value or 'type="file"' in tag:
            continue
        if 'type="radio"' in tag and "checked" not in tag:
            continue
        form[name.group(1)] = html.unescape(value.group(1))
    return form


async def test_paste_check_and_add_everything_to_the_cart(client: Client) -> None:
    base = unique()
    a, b, gone = f"{base}-A1", f"{base}-B22", f"{base}-OUT"
    ids = await parts([a, b])
    await parts([gone], stock=0)
    page = await quick_post(client, {"text": f"Part;Qty\n{a};2\n{b[:-1]}3;4\n{gone};1\nZZZ-404\n"})
    assert page.status_code == 200
    text = page.text
    assert "Matched" in text and "Did you mean" in text and "is out of stock" in text
    assert "No part with this number" in text
    form = form_of(text)
    form["pick-1"] = str(ids[1])  # the close match chosen
    form["to"] = "cart"
    added = await client.post("/quick-order/add", data=form, follow_redirects=False)
    assert added.status_code == 303 and added.headers["location"] == "/cart?notice=added"
    cart = await client.get("/cart")
    assert a in cart.text and b in cart.text and gone not in cart.text


async def test_too_much_for_the_stock_is_refused_with_the_results_kept(client: Client) -> None:
    sku = unique()
    [product] = await parts([sku], stock=2)
    page = await quick_post(client, {"text": f"{sku}, 2"})
    form = form_of(page.text) | {"qty-0": "5", "to": "cart"}
    refused = await client.post("/quick-order/add", data=form)
    assert refused.status_code == 422
    assert "not enough in stock" in html.unescape(refused.text)
    assert 'value="5"' in refused.text and sku in refused.text
    nothing = await client.post("/quick-order/add", data=form | {"qty-0": "0"})
    assert nothing.status_code == 422 and "Choose at least one part" in nothing.text
    bad = await client.post("/quick-order/add", data=form | {"qty-0": "lots"})
    assert bad.status_code == 422 and "Line 1: enter a quantity" in bad.text
    assert product


async def test_upload_choose_columns_then_save_on_a_new_list(client: Client) -> None:
    await verified_account(client)
    base = unique()
    skus = [f"{base}-X1", f"{base}-X2"]
    ids = await parts(skus)
    data = xlsx([["Item", "Part number", "Qty"], [1, skus[0], 3], [2, skus[1], 4]])
    step = await quick_post(client, {}, {"file": ("bom.xlsx", data, "application/octet-stream")})
    assert step.status_code == 200 and "Choose the columns" in step.text
    assert '<option value="1" selected>' in step.text  # the part-number column guessed
    table = html.unescape(re.search(r'name="table" value="([^"]*)"', step.text).group(1))
    same = await quick_post(client, {"table": table, "sku_column": "1", "quantity_column": "1"})
    assert same.status_code == 422 and "two different columns" in same.text
    page = await quick_post(
        client, {"table": table, "sku_column": "1", "quantity_column": "2", "header": "on"}
    )
    assert page.status_code == 200 and page.text.count("Matched") == 2
    form = form_of(page.text) | {"to": "list", "list_id": "", "new_list_name": "Line 4 retrofit"}
    saved = await client.post("/quick-order/add", data=form, follow_redirects=False)
    assert saved.status_code == 303
    shown = await client.get(saved.headers["location"])
    assert "Line 4 retrofit" in shown.text
    for product_id, quantity in zip(ids, (3, 4), strict=True):
        assert (
            f'id="list-qty-{product_id}" type="number" name="quantity" value="{quantity}"'
            in shown.text
        )


async def test_bad_uploads_are_4xx_with_the_message_never_500(client: Client) -> None:
    for name, data in (
        ("a.xlsx", b"PK\x03\x04broken"),
        ("a.xls", b"\xd0\xcf\x11\xe0"),
        ("a.csv", b""),
    ):
        page = await quick_post(client, {}, {"file": (name, data, "application/octet-stream")})
        assert page.status_code == 422, name
        assert "field-error" in page.text
    forged = await quick_post(client, {"table": "[[1, 2"})
    assert forged.status_code == 422 and "Upload the file again" in forged.text
    visitor_list = await client.post(
        "/quick-order/add",
        data={"_csrf_token": csrf(client), "n": "1", "pick-0": "1", "qty-0": "1", "to": "list"},
    )
    assert visitor_list.status_code == 422 and "Sign in to save" in visitor_list.text


async def test_posts_need_the_csrf_token_and_matching_is_rate_limited(client: Client) -> None:
    await client.get("/quick-order")
    refused = await client.post("/quick-order", data={"text": "A-1"}, files=NO_FILE)
    assert refused.status_code == 403
    refused = await client.post("/quick-order/add", data={"n": "0"})
    assert refused.status_code == 403
    await verified_account(client)
    for _ in range(quick_order.MATCHES.attempts):
        assert (await quick_post(client, {"text": "NOPE-1"})).status_code == 200
    limited = await quick_post(client, {"text": "NOPE-1"})
    assert limited.status_code == 429 and "Too many attempts" in limited.text
