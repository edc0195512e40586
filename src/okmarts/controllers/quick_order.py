"""Quick order (/quick-order): paste or upload a parts list, check what each line matched, then
put the chosen parts in the cart, or on a saved list, in one step.

Three steps, each a plain form (htmx swaps #quick-order in place, the same partial):
1. paste lines or upload a CSV/XLSX file (POST /quick-order, rate limited: matching is work);
2. for a file, choose its part-number and quantity columns (the rows come back in the form:
   nothing is kept on the server);
3. the results, one form: every line with its status, choices and quantity; the buttons add all
   chosen lines to the cart (POST /quick-order/add, `to=cart`) or to a list (`to=list`).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, MediaType, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY, HTTP_429_TOO_MANY_REQUESTS

from okmarts.i18n import N_, Message
from okmarts.inputs import parse_int
from okmarts.services import parts_lists, quick_order, rate_limits, saved_lists
from okmarts.services.cart import CartError
from okmarts.services.parts_lists import Line, PartsListError
from okmarts.services.rate_limits import RateLimited
from okmarts.settings import QUICK_ORDER_UPLOAD_CAP_KB
from okmarts.web import (
    Form,
    View,
    add_many_to_cart,
    clean_form,
    client_device,
    current_account,
    redirect_after_post,
    store_cart,
)

MultipartForm = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
QUICK_ORDER = View("pages/quick_order/quick_order.html", fragment="partials/quick_order/body.html")


def _subject(request: HTMXRequest) -> str:
    account = current_account.get()
    return f"account:{account.id}" if account is not None else f"ip:{client_device(request).ip}"


async def _context(request: HTMXRequest, step: str, **extra: Any) -> dict[str, Any]:
    account = current_account.get()
    lists = await saved_lists.lists_of(account.id) if account is not None else []
    return {
        "step": step,
        "signed_in": account is not None,
        "lists": lists,
        "error": None,
        "retry_minutes": 0,
        "text": "",
        "picked": {},
        "quantities": {},
        "list_name": "",
        "max_kb": request.app.state.settings.quick_order_max_kb,
        **extra,
    }


async def _results(request: HTMXRequest, lines: list[Line], **extra: Any) -> dict[str, Any]:
    matches = await quick_order.match_lines(lines)
    return await _context(
        request, "result", matches=matches, counts=quick_order.summary(matches), **extra
    )


def _lines_from_form(data: dict[str, Any]) -> list[Line]:
    """The lines of the results form (its hidden fields), to show it again after a refusal."""
    count = parse_int(data.get("n"), maximum=parts_lists.MAX_LINES) or 0
    lines = []
    for index in range(count):
        number = parse_int(data.get(f"num-{index}"), minimum=1, maximum=10**7) or index + 1
        sku = str(data.get(f"sku-{index}") or "")[: parts_lists.MAX_SKU_CHARACTERS]
        quantity = parse_int(data.get(f"qty0-{index}"), maximum=parts_lists.MAX_QUANTITY)
        lines.append(parts_lists._line(number, sku, quantity))
    return lines


class QuickOrderController(Controller):
    path = "/quick-order"

    @get("/", name="quick_order", media_type=MediaType.HTML)
    async def form(self, request: HTMXRequest) -> Template:
        return QUICK_ORDER.render(request, await _context(request, "paste"))

    @post(
        "/",
        name="quick_order_match",
        media_type=MediaType.HTML,
        request_max_body_size=QUICK_ORDER_UPLOAD_CAP_KB * 1000 + 200_000,
    )
    async def match(self, request: HTMXRequest, data: MultipartForm) -> Template:
        data = clean_form(data)
        text = str(data.get("text") or "") if not isinstance(data.get("text"), list) else ""
        try:
            await rate_limits.consume((quick_order.MATCHES, _subject(request)))
        except RateLimited as limited:
            context = await _context(request, "paste", text=text, retry_minutes=limited.minutes)
            # htmx swaps 400 and 422 answers only (base.html): the message must land there too.
            status = HTTP_422_UNPROCESSABLE_ENTITY if request.htmx else HTTP_429_TOO_MANY_REQUESTS
            return QUICK_ORDER.render(request, context, status)
        upload = data.get("file")
        try:
            if "table" in data:  # step 2 answered: the columns chosen
                return await self._columns_chosen(request, data)
            if isinstance(upload, UploadFile) and upload.filename:
                return await self._uploaded(request, upload)
            return QUICK_ORDER.render(
                request, await _results(request, parts_lists.parse_text(text))
            )
        except PartsListError as problem:
            context = await _context(request, "paste", text=text, error=problem.message)
            return QUICK_ORDER.render(request, context, HTTP_422_UNPROCESSABLE_ENTITY)

    async def _uploaded(self, request: HTMXRequest, upload: UploadFile) -> Template:
        max_bytes = request.app.state.settings.quick_order_max_kb * 1000
        raw = await upload.read(max_bytes + 1)
        table = await parts_lists.read_upload(upload.filename or "", raw, max_bytes)
        sku_column, quantity_column, header = parts_lists.guess_columns(table)
        context = await _context(
            request,
            "columns",
            table=table,
            encoded=parts_lists.encode_table(table),
            filename=upload.filename,
            sku_column=sku_column,
            quantity_column=quantity_column,
            header=header,
        )
        return QUICK_ORDER.render(request, context)

    async def _columns_chosen(self, request: HTMXRequest, data: dict[str, Any]) -> Template:
        table = parts_lists.decode_table(str(data.get("table") or ""))
        width = table.width
        sku_column = parse_int(data.get("sku_column"), maximum=max(width - 1, 0))
        raw_quantity = str(data.get("quantity_column") or "")
        quantity_column = parse_int(raw_quantity, maximum=max(width - 1, 0))
        header = data.get("header") in ("on", "yes", "1")
        if sku_column is None or (raw_quantity not in ("", "none") and quantity_column is None):
            error = Message(N_("Choose the column with the part numbers."))
        elif quantity_column == sku_column:
            error = Message(N_("Choose two different columns for part numbers and quantities."))
        else:
            lines = parts_lists.lines_from_table(table, sku_column, quantity_column, header)
            return QUICK_ORDER.render(request, await _results(request, lines))
        context = await _context(
            request,
            "columns",
            table=table,
            encoded=parts_lists.encode_table(table),
            filename=str(data.get("filename") or ""),
            sku_column=sku_column or 0,
            quantity_column=quantity_column,
            header=header,
            error=error,
        )
        return QUICK_ORDER.render(request, context, HTTP_422_UNPROCESSABLE_ENTITY)

    @post("/add", name="quick_order_add", media_type=MediaType.HTML)
    async def add(self, request: HTMXRequest, data: Form) -> Any:
        data = clean_form(data)
        count = parse_int(data.get("n"), maximum=parts_lists.MAX_LINES) or 0
        picked: dict[int, str] = {}
        quantities: dict[int, str] = {}
        chosen: dict[int, int] = {}
        error: Message | None = None
        for index in range(count):
            pick = data.get(f"pick-{index}")
            picked[index] = pick if isinstance(pick, str) else ""
            raw = data.get(f"qty-{index}")
            quantities[index] = raw if isinstance(raw, str) else ""
            product_id = parse_int(picked[index], minimum=1)
            if product_id is None:
                continue
            quantity = parse_int(quantities[index], maximum=parts_lists.MAX_QUANTITY)
            if quantity is None:
                error = error or Message(
                    N_("Line %(line)s: enter a quantity from %(min)s to %(max)s."),
                    {"line": data.get(f"num-{index}") or index + 1, "min": 0, "max": 999},
                )
            elif quantity:
                chosen[product_id] = chosen.get(product_id, 0) + quantity
        if error is None and not chosen:
            error = Message(N_("Choose at least one part with a quantity."))
        to_list = data.get("to") == "list"
        if error is None and to_list:
            list_id, error = await _to_list(data, chosen)
            if error is None:
                return redirect_after_post(request, f"/account/lists/{list_id}?notice=added")
        elif error is None:
            titles = await quick_order.titles(list(chosen))
            additions = [(pid, qty, titles.get(pid, "")) for pid, qty in chosen.items()]
            try:
                items = await add_many_to_cart(request, additions)
            except CartError as problem:
                error = problem.message
            else:
                response = redirect_after_post(request, "/cart?notice=added")
                store_cart(request, response, items)
                return response
        context = await _results(
            request,
            _lines_from_form(data),
            error=error,
            picked=picked,
            quantities=quantities,
            list_name=str(data.get("new_list_name") or ""),
        )
        return QUICK_ORDER.render(request, context, HTTP_422_UNPROCESSABLE_ENTITY)


async def _to_list(data: dict[str, Any], chosen: dict[int, int]) -> tuple[int, Message | None]:
    """Put the chosen parts on the shopper's list (or a new one): its id, or why not."""
    account = current_account.get()
    if account is None:
        return 0, Message(N_("Sign in to save parts on a list."))
    list_id = parse_int(data.get("list_id"), minimum=1)
    try:
        saved = await saved_lists.add_items(
            account.id, list_id, str(data.get("new_list_name") or ""), list(chosen.items())
        )
    except saved_lists.ListError as problem:
        return 0, problem.message
    except saved_lists.ListNotFound:
        return 0, Message(N_("Choose one of your lists, or name a new one."))
    return saved, None
