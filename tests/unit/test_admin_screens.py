"""What Piccolo Admin's screens show staff (okmarts.admin.ui): readable lists, choice lists and a
text area in the forms, read-only columns and no "Add Row" where staff can't change things, the
login asking for an email with labelled boxes, and the order status as a choice list."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.admin import ui
from okmarts.services import orders
from okmarts.services.moderation import RULES
from okmarts.tables.reviews import Review
from tests.unit.test_admin import csrf
from tests.unit.test_admin_orders import bank_transfer_order, change
from tests.unit.test_moderation import a_product, asker, pending_question, pending_review
from tests.unit.test_moderation_queue import staff

Client = AsyncTestClient[Litestar]

REVIEWS_API = "/admin/api/tables/review/"
QUESTIONS_API = "/admin/api/tables/question/"
FORMS = "/admin/api/forms/"
REVIEW_DECIDED = {"status", "rejection_reason"}
QUESTION_DECIDED = {"status", "rejection_reason", "answer"}


def choices(prop: dict[str, Any]) -> list[tuple[str, str]]:
    """A field's choice list as the admin draws it: (value, what it reads), in order."""
    return [(c["value"], c["display_name"]) for c in prop["extra"]["choices"].values()]


async def schema(client: Client, table: str) -> dict[str, Any]:
    response = await client.get(f"/admin/api/tables/{table}/schema/")
    assert response.status_code == 200, response.text
    return response.json()


def read_only(table_schema: dict[str, Any]) -> set[str]:
    return {name for name, prop in table_schema["properties"].items() if prop["extra"]["read_only"]}


async def test_queues_show_ids_text_and_the_product_by_title(client: Client) -> None:
    await staff(client)
    author = await asker()
    product = await a_product()
    review = await pending_review(author, product["id"])
    question = await pending_question(author, product["id"])

    reviews = await schema(client, "review")
    assert reviews["extra"]["visible_column_names"][:2] == ["id", "title"]
    assert {"product", "rating", "body", "status"} <= set(reviews["extra"]["visible_column_names"])
    questions = await schema(client, "question")
    assert questions["extra"]["visible_column_names"][:2] == ["id", "body"]

    # The list (as the admin asks for it) names the product by its title, not its id.
    for api, row_id in ((REVIEWS_API, review.id), (QUESTIONS_API, question.id)):
        listing = await client.get(
            api, params={"status": "pending", "__readable": "true", "__page_size": "100"}
        )
        [row] = [row for row in listing.json()["rows"] if row["id"] == row_id]
        assert row["product_readable"] == product["title"]
    picker = (await client.get("/admin/api/tables/product/ids/", params={"search": ""})).json()
    assert picker[str(product["id"])] == product["title"]


async def test_decision_forms_offer_choice_lists_and_a_text_area(client: Client) -> None:
    await staff(client)
    for form in ("decide-reviews", "decide-questions"):
        properties = (await client.get(f"{FORMS}{form}/schema/")).json()["properties"]
        assert choices(properties["decision"]) == [
            ("", "(none)"),
            ("approved", "Approve: publish"),
            ("rejected", "Reject: name the rule broken"),
        ]
        # The rules read as the comment-rules page writes them, "(none)" first.
        assert choices(properties["reason"]) == [("", "(none)"), *RULES.items()]
    answer = (await client.get(f"{FORMS}answer-a-question/schema/")).json()["properties"]
    assert answer["answer"]["extra"]["widget"] == "text-area"

    # What the choice lists send (the values) is what the forms take; "(none)" decides nothing.
    author = await asker()
    product = await a_product()
    review = await pending_review(author, product["id"])
    undecided = await client.post(
        f"{FORMS}decide-reviews/",
        json={"review_ids": str(review.id), "decision": "", "reason": ""},
        headers=csrf(client),
    )
    assert undecided.status_code == 422
    assert "Choose the decision" in undecided.text
    rejected = await client.post(
        f"{FORMS}decide-reviews/",
        json={"review_ids": str(review.id), "decision": "rejected", "reason": "uncivil"},
        headers=csrf(client),
    )
    assert rejected.status_code == 200, rejected.text
    stored = await Review.select(Review.status, Review.rejection_reason).where(
        Review.id == review.id
    )
    assert stored == [{"status": "rejected", "rejection_reason": "uncivil"}]

    # The edit form's reason choice list reads the same way.
    reviews = await schema(client, "review")
    assert choices(reviews["properties"]["rejection_reason"]) == [
        ("", "(none)"),
        *RULES.items(),
    ]


async def test_edit_forms_offer_only_what_moderation_decides(client: Client) -> None:
    await staff(client)
    reviews = await schema(client, "review")
    assert set(reviews["properties"]) - read_only(reviews) == REVIEW_DECIDED
    assert {"rating", "title", "body", "helpful_count", "moderated_by", "created_at"} <= read_only(
        reviews
    )
    questions = await schema(client, "question")
    assert set(questions["properties"]) - read_only(questions) == QUESTION_DECIDED
    # Nothing is added here: "Add Row" is not offered; the audit and products are not edited.
    expected = {
        "review": (False, True),
        "question": (False, True),
        "moderation_decision": (False, False),
        "product": (False, False),
    }
    for table, (add_row, edit_row) in expected.items():
        extra = (await schema(client, table))["extra"]
        assert (extra["add_row"], extra["edit_row"]) == (add_row, edit_row), table
    audit = await schema(client, "moderation_decision")
    assert read_only(audit) == set(audit["properties"])

    # And the server holds to it: the author's words are not changed here either.
    author = await asker()
    product = await a_product()
    review = await pending_review(author, product["id"])
    for field, value in (("title", "Edited title"), ("body", "Edited text")):
        patched = await client.patch(
            f"{REVIEWS_API}{review.id}/", json={field: value}, headers=csrf(client)
        )
        assert patched.status_code == 422, (field, patched.text)
        assert patched.json()["detail"][0]["loc"][-1] == field
    stored = await Review.select(Review.title, Review.body).where(Review.id == review.id)
    assert stored == [{"title": review.title, "body": review.body}]


async def test_admins_add_where_they_may(client: Client) -> None:
    await staff(client, superuser=True)
    assert (await schema(client, "product"))["extra"]["add_row"] is True
    assert (await schema(client, "coupon"))["extra"]["add_row"] is True
    for table in ("review", "moderation_decision", "shop_order", "order_event", "review_vote"):
        assert (await schema(client, table))["extra"]["add_row"] is False, table
    order = await schema(client, "shop_order")
    assert {"status", "total_minor", "number", "tracking_number"} <= read_only(order)
    assert {"phone", "recipient", "city"}.isdisjoint(read_only(order))
    # Admins' review list names the product by its title too.
    author = await asker()
    product = await a_product()
    review = await pending_review(author, product["id"])
    row = (await client.get(f"{REVIEWS_API}{review.id}/", params={"__readable": "true"})).json()
    assert row["product_readable"] == product["title"]


async def test_login_asks_for_an_email_with_labelled_boxes(client: Client) -> None:
    english = (await client.get("/admin/public/translations/en/")).json()
    assert english["translations"]["Username"] == "Email"
    german = (await client.get("/admin/public/translations/de/")).json()
    assert german["translations"]["Username"] == "E-Mail"

    page = await client.get("/admin/")
    [name] = re.findall(r'src="\./assets/(index-[^"]+\.js)"', page.text)
    bundle = await client.get(f"/admin/assets/{name}")
    assert bundle.status_code == 200
    assert bundle.headers["content-type"].startswith("text/javascript")
    assert bundle.headers["content-security-policy"].startswith("default-src 'self'")
    script = bundle.text
    # Each label names the box it is for.
    assert f't0("label",{{for:"{ui.LOGIN_USERNAME_ID}"}}' in script
    assert f'x0(t0("input",{{id:"{ui.LOGIN_USERNAME_ID}",name:"username",type:"email"' in script
    assert f't0("label",{{for:"{ui.LOGIN_PASSWORD_ID}"}}' in script
    assert f'inputId:"{ui.LOGIN_PASSWORD_ID}"' in script
    assert 't0("input",{id:e.inputId,name:"password"' in script
    # Choice lists read as written (the admin's stylesheet capitalises every select).
    [css] = re.findall(r'href="\./assets/(index-[^"]+\.css)"', page.text)
    stylesheet = await client.get(f"/admin/assets/{css}")
    assert stylesheet.headers["content-type"].startswith("text/css")
    assert "select.choice_select{text-transform:none}" in stylesheet.text
    assert 'p0("select",{class:"choice_select",name:e.fieldName,' in script
    # Unchanged since the browser's copy: not sent again.
    again = await client.get(
        f"/admin/assets/{name}", headers={"if-none-match": bundle.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""


def test_every_change_to_the_bundle_applies_once() -> None:
    for suffix, patches in ((".js", ui.PATCHES), (".css", ui.CSS_PATCHES)):
        source = ui.bundle_path(suffix=suffix).read_text(encoding="utf-8")
        patched = ui.patch_bundle(source, patches)
        for patch in patches:
            assert source.count(patch.old) == 1, patch.why
            assert patch.new in patched, patch.why
    source = ui.bundle_path().read_text(encoding="utf-8")
    # Another piccolo-admin's bundle: refused, saying which change to redo.
    changed = source.replace('"Add Row"', '"New Row"')
    with pytest.raises(ui.BundleChanged, match="Add Row"):
        ui.patch_bundle(changed)


async def test_order_status_is_a_choice_list_checked_against_the_order(client: Client) -> None:
    await staff(client, superuser=True)
    properties = (await client.get(f"{FORMS}change-order-status/schema/")).json()["properties"]
    offered = choices(properties["new_status"])
    assert offered[0] == ("", "(none)")
    assert [value for value, _ in offered[1:]] == [
        # Orders start there; approving a company's order is its approvers' (not staff's).
        status
        for status in orders.STATUSES
        if status not in ("awaiting_payment", "awaiting_approval")
    ]
    assert ("shipped", "Shipped (from paid)") in offered
    assert ("cancelled", "Cancelled (from awaiting approval, awaiting payment or paid)") in offered

    order = await bank_transfer_order()
    none = await change(client, order["number"], "")
    assert none.status_code == 422 and "Choose the new status." in none.text
    skipped = await change(client, order["number"], "shipped")
    assert skipped.status_code == 422
    assert skipped.json() == {
        "custom_form_error": f"Order {order['number']} is Awaiting payment: from there it can "
        "become Paid or Cancelled, not Shipped."
    }
    assert (await change(client, order["number"], "paid")).status_code == 200
    again = await change(client, order["number"], "paid")
    assert again.json() == {"custom_form_error": f"Order {order['number']} is already Paid."}
