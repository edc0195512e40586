"""Staff admin at /admin/: `okmarts create-staff`, and what each role can see and change."""

from __future__ import annotations

import subprocess
import sys
import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from piccolo.apps.user.tables import BaseUser
from starlette.routing import Mount

from okmarts.admin import build_staff_admin
from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Brand, Category, Product, ProductImage
from okmarts.tables.reviews import ModerationDecision, Question, Review
from tests.conftest import TestDatabase, okmarts
from tests.unit.conftest import settings_for

Client = AsyncTestClient[Litestar]

# example.com: email-validator refuses special-use domains such as .test.
DOMAIN = "example.com"
CATALOG = {"brand", "category", "product", "product_image"}
MODERATION = {"review", "question", "moderation_decision"}
PERSONAL = {"account", "address", "sign_in", "outbox_message", "points_entry"}
# Everything the moderators' admin may serve: each table with the columns it may return. A table
# or a column that reaches the moderators' app without being listed here fails the tests: their
# API gets moderation and product titles, nothing else (prices and stock are for admins).
MODERATOR_COLUMNS = {
    "product": {"id", "title", "slug"},
    "review": {
        "id",
        "product",
        "rating",
        "title",
        "body",
        "status",
        "rejection_reason",
        "moderated_by",
        "moderated_at",
        "helpful_count",
        "not_helpful_count",
        "helpful_score",
        "created_at",
    },
    "question": {
        "id",
        "product",
        "body",
        "status",
        "rejection_reason",
        "answer",
        "answered_by",
        "answered_at",
        "moderated_by",
        "moderated_at",
        "created_at",
    },
    "moderation_decision": {
        "id",
        "item_type",
        "item_id",
        "decision",
        "reason",
        "staff",
        "created_at",
    },
}
MODERATOR_TABLES = set(MODERATOR_COLUMNS)
# The only tables a moderator writes to, and only through services.moderation (test_moderation.py).
MODERATOR_WRITABLE = {"review", "question"}
# How the admin's API refuses a write: not allowed on this table, forbidden, or no such table.
REFUSED = {403, 404, 405}


def new_email(role: str) -> str:
    return f"{role}-{uuid.uuid4().hex[:10]}@{DOMAIN}"


def create_staff(
    database: TestDatabase, email: str, role: str, password: str
) -> subprocess.CompletedProcess[str]:
    return okmarts(
        "create-staff",
        email,
        "--role",
        role,
        "--password-stdin",
        env=database.env(),
        input=f"{password}\n",
    )


async def sign_in(client: Client, email: str, password: str) -> None:
    """Sign in as the admin's login page does: JSON plus Piccolo's double-submit CSRF token."""
    await client.get("/admin/")
    token = client.cookies.get("csrftoken")
    assert token, "Piccolo Admin sets its CSRF cookie on the first page"
    response = await client.post(
        "/admin/public/login/",
        json={"username": email, "password": password},
        headers={"X-CSRFToken": token},
    )
    assert response.json() == {"message": "logged in"}, response.text


def csrf(client: Client) -> dict[str, str]:
    return {"X-CSRFToken": client.cookies.get("csrftoken") or ""}


async def test_create_staff_creates_then_updates_role_and_password(
    app: Litestar, seeded_database: TestDatabase
) -> None:
    email = new_email("Mod")
    created = create_staff(seeded_database, email, "moderator", "first-password-123")
    assert f"Created moderator {email.lower()}" in created.stdout
    user = await BaseUser.objects().where(BaseUser.username == email.lower()).first()
    assert user is not None
    assert (user.email, user.active, user.admin, user.superuser) == (
        email.lower(),
        True,
        True,
        False,
    )
    assert await BaseUser.login(email.lower(), "first-password-123") == user.id

    updated = create_staff(seeded_database, email.lower(), "admin", "second-password-456")
    assert f"Updated {email.lower()}: now admin" in updated.stdout
    again = await BaseUser.objects().where(BaseUser.username == email.lower())
    assert len(again) == 1 and again[0].id == user.id
    assert (again[0].admin, again[0].superuser) == (True, True)
    assert await BaseUser.login(email.lower(), "first-password-123") is None
    assert await BaseUser.login(email.lower(), "second-password-456") == user.id


async def test_create_staff_generates_a_password_when_not_asked_for_one(
    app: Litestar, seeded_database: TestDatabase
) -> None:
    email = new_email("gen")
    # stdin is not a terminal here, so there is nobody to prompt.
    result = okmarts("create-staff", email, "--role", "admin", env=seeded_database.env(), input="")
    password = result.stdout.rsplit("Generated password (shown only now): ", 1)[1].strip()
    assert len(password) >= 12
    user_id = await BaseUser.login(email, password)
    assert user_id is not None
    user = await BaseUser.objects().where(BaseUser.id == user_id).first()
    assert user is not None and user.superuser


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("not-an-email", "long-enough-password", "Not a valid email address"),
        (f"short@{DOMAIN}", "too-short", "at least 12 characters"),
    ],
)
async def test_create_staff_refuses_bad_input(
    app: Litestar, seeded_database: TestDatabase, email: str, password: str, message: str
) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "okmarts.cli",
            "create-staff",
            email,
            "--role",
            "admin",
            "--password-stdin",
        ],
        env=seeded_database.env(),
        input=f"{password}\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not await BaseUser.exists().where(BaseUser.username == email)


async def test_anonymous_visitor_gets_the_login_page(client: Client) -> None:
    redirect = await client.get("/admin", follow_redirects=False)
    assert redirect.status_code == 308 and redirect.headers["location"] == "/admin/"

    page = await client.get("/admin/")
    assert page.status_code == 200
    # The login form is drawn by the admin's script; the page is its shell.
    assert '<div id="app">' in page.text
    assert '<script type="module" crossorigin src="./assets/' in page.text
    meta = await client.get("/admin/public/meta/")
    assert meta.json()["site_name"] == "Okmarts staff"
    tables = await client.get("/admin/api/tables/")
    assert tables.status_code == 401 and tables.json() == {"error": "Auth failed"}

    # The admin's own CSP loosens styles only; the storefront keeps its strict one.
    admin_csp = page.headers["content-security-policy"]
    assert "style-src 'self' 'unsafe-inline'" in admin_csp
    assert "script-src 'self';" in admin_csp and "frame-ancestors 'none'" in admin_csp
    assert page.headers["x-content-type-options"] == "nosniff"
    shop = await client.get("/")
    assert "style-src 'self';" in shop.headers["content-security-policy"]


async def moderator(client: Client, database: TestDatabase) -> str:
    """Sign a new moderator in through the admin's login; returns the username."""
    email = new_email("moderator")
    password = f"moderator-{uuid.uuid4().hex[:12]}"
    create_staff(database, email, "moderator", password)
    await sign_in(client, email, password)
    return email.lower()


async def switch_to_admin(client: Client, database: TestDatabase) -> None:
    """Sign out whoever is signed in and sign a new admin (superuser) in."""
    client.cookies.clear()
    email = new_email("admin")
    password = f"admin-{uuid.uuid4().hex[:12]}"
    create_staff(database, email, "admin", password)
    await sign_in(client, email, password)


async def pending_review() -> Review:
    """A pending review by a new shopper of the first product."""
    product = await Product.select(Product.id).first()
    assert product
    author = Account(
        email=new_email("author"), password_hash="not-a-hash", policy_version="test", nickname="Jo"
    )
    await author.save()
    review = Review(
        product=product["id"],
        account=author.id,
        rating=5,
        title=f"Sturdy {uuid.uuid4().hex[:8]}",
        body="Holds up after a year of daily use.",
    )
    await review.save()
    return review


async def approve_as_moderator(client: Client, username: str) -> Review:
    """A moderator approves a pending review in its edit form (a PATCH the admin's hook hands to
    services.moderation): moderation still works, and the audit gets a row."""
    review = await pending_review()
    approved = await client.patch(
        f"/admin/api/tables/review/{review.id}/",
        json={"status": "approved"},
        headers=csrf(client),
    )
    assert approved.status_code == 200, approved.text
    stored = await Review.select(Review.status, Review.moderated_by).where(Review.id == review.id)
    assert stored == [{"status": "approved", "moderated_by": username}]
    assert await ModerationDecision.exists().where(
        (ModerationDecision.item_type == "review")
        & (ModerationDecision.item_id == review.id)
        & (ModerationDecision.staff == username)
    )
    return review


def routed_paths(app: Any, prefix: str = "") -> set[str]:
    """Every path an ASGI app's routes answer, through its mounts and their middleware."""
    paths: set[str] = set()
    for route in getattr(app, "routes", []):
        path = prefix + getattr(route, "path", "")
        if isinstance(route, Mount):
            inner = route.app
            while inner is not None and not hasattr(inner, "routes"):
                inner = getattr(inner, "app", None)
            paths |= routed_paths(inner, path) if inner is not None else {path}
        else:
            paths.add(path)
    return paths


async def product_row(product_id: int) -> dict[str, Any] | None:
    return (
        await Product.select(Product.title, Product.price_minor, Product.stock)
        .where(Product.id == product_id)
        .first()
    )


async def test_moderator_app_serves_only_the_allow_listed_tables_and_columns(
    client: Client, seeded_database: TestDatabase
) -> None:
    await switch_to_admin(client, seeded_database)
    every_table = set((await client.get("/admin/api/tables/")).json())
    assert every_table >= CATALOG | MODERATION | PERSONAL

    client.cookies.clear()
    username = await moderator(client, seeded_database)
    review = await approve_as_moderator(client, username)
    question = Question(product=review.product, body=f"Does it fit? {uuid.uuid4().hex[:8]}")
    await question.save()

    # What the moderators' app serves, asked two ways: the table list its API gives, and every
    # route the app answers (whatever lists it).
    tables = set((await client.get("/admin/api/tables/")).json())
    assert tables == MODERATOR_TABLES
    grouped = (await client.get("/admin/api/tables/grouped/")).json()
    assert grouped["ungrouped"] == []
    assert {table for group in grouped["grouped"].values() for table in group} == tables
    moderators_app = build_staff_admin(settings_for(seeded_database)).moderation
    routed = {
        path.split("/")[3]
        for path in routed_paths(moderators_app)
        if path.startswith("/api/tables/") and path != "/api/tables/grouped/"
    }
    assert routed - {""} == MODERATOR_TABLES

    # Each of them returns only its allowed columns, in the list, a row, the schema, a new row.
    row_ids = {
        "product": review.product,
        "review": review.id,
        "question": question.id,
        "moderation_decision": None,
    }
    for table, allowed in MODERATOR_COLUMNS.items():
        api = f"/admin/api/tables/{table}/"
        schema = (await client.get(f"{api}schema/")).json()
        assert set(schema["properties"]) <= allowed, table
        new = (await client.get(f"{api}new/")).json()
        assert set(new) <= allowed, table
        listing = await client.get(api, params={"__page_size": "5"})
        assert listing.status_code == 200, table
        for row in listing.json()["rows"]:
            assert set(row) <= allowed, (table, row)
        row_id = row_ids[table] or next((row["id"] for row in listing.json()["rows"]), None)
        if row_id is not None:
            single = await client.get(f"{api}{row_id}/")
            assert single.status_code == 200 and set(single.json()) <= allowed, table

    # Every other table of the shop (admin-only) is not there at all, for reading or writing.
    product_id = review.product
    for table in sorted((every_table | {"piccolo_user", "sessions"}) - MODERATOR_TABLES):
        api = f"/admin/api/tables/{table}/"
        for method, url in [
            ("GET", api),
            ("GET", f"{api}schema/"),
            ("GET", f"{api}ids/"),
            ("GET", f"{api}{product_id}/"),
            ("POST", api),
            ("PATCH", f"{api}{product_id}/"),
            ("PUT", f"{api}{product_id}/"),
            ("DELETE", f"{api}{product_id}/"),
        ]:
            response = await client.request(method, url, json={}, headers=csrf(client))
            assert response.status_code == 404, (method, url, response.status_code)


async def test_only_admins_change_prices_and_stock(
    client: Client, seeded_database: TestDatabase
) -> None:
    await moderator(client, seeded_database)
    product = await Product.select().first()
    assert product
    before = await product_row(product["id"])
    assert before
    url = f"/admin/api/tables/product/{product['id']}/"
    for change in [
        {"price_minor": 1, "stock": before["stock"] + 500},
        {"price_minor": 1},
        {"stock": 0},
        {"title": "Renamed by a moderator"},
    ]:
        patched = await client.patch(url, json=change, headers=csrf(client))
        assert patched.status_code in REFUSED, (change, patched.status_code, patched.text)
    whole = {key: value for key, value in product.items() if key not in ("id", "created_at")}
    replaced = await client.put(url, json={**whole, "price_minor": 1}, headers=csrf(client))
    assert replaced.status_code in REFUSED, replaced.text
    assert await product_row(product["id"]) == before

    # Reading it shows the title, never the price or stock, however it is asked for.
    single = (await client.get(url)).json()
    assert single == {"id": product["id"], "title": product["title"], "slug": product["slug"]}
    listing = await client.get("/admin/api/tables/product/", params={"__page_size": "100"})
    assert listing.status_code == 200 and listing.json()["rows"]
    for row in listing.json()["rows"]:
        assert set(row) == {"id", "title", "slug"}
    for params in [{"__visible_fields": "id,price_minor"}, {"__visible_fields": "stock"}]:
        asked = await client.get("/admin/api/tables/product/", params=params)
        assert asked.status_code == 400, (params, asked.status_code)
    # Nor sorted by price, which would tell it (piccolo_api answers 500 for an unknown column).
    by_price = await client.get("/admin/api/tables/product/", params={"__order": "price_minor"})
    assert by_price.status_code != 200 and "rows" not in by_price.text
    # Nor filtered by it: the view has no such column.
    filtered = await client.get(
        "/admin/api/tables/product/", params={"price_minor": str(before["price_minor"])}
    )
    assert filtered.status_code == 400 and "rows" not in filtered.text

    # An admin still changes them.
    await switch_to_admin(client, seeded_database)
    try:
        patched = await client.patch(
            url,
            json={"price_minor": before["price_minor"] + 100, "stock": before["stock"] + 5},
            headers=csrf(client),
        )
        assert patched.status_code == 200, patched.text
        assert await product_row(product["id"]) == {
            **before,
            "price_minor": before["price_minor"] + 100,
            "stock": before["stock"] + 5,
        }
    finally:
        await Product.update(
            {Product.price_minor: before["price_minor"], Product.stock: before["stock"]}
        ).where(Product.id == product["id"])


async def test_moderator_changes_nothing_outside_the_review_and_question_queues(
    client: Client, seeded_database: TestDatabase
) -> None:
    username = await moderator(client, seeded_database)
    # Moderation itself still works: the edit form (a PATCH), and the decision form.
    review = await approve_as_moderator(client, username)
    second = await pending_review()
    decided = await client.post(
        "/admin/api/forms/decide-reviews/",
        json={"review_ids": str(second.id), "decision": "approved", "reason": ""},
        headers=csrf(client),
    )
    assert decided.status_code == 200, decided.text
    assert await Review.select(Review.status).where(Review.id == second.id) == [
        {"status": "approved"}
    ]

    counts = {table: await table.count() for table in (Product, Category, Brand, ProductImage)}
    product = await Product.select(Product.id).first()
    category = await Category.select(Category.id).first()
    brand = await Brand.select(Brand.id).first()
    assert product and category and brand
    catalog_rows = {
        "product": product["id"],
        "category": category["id"],
        "brand": brand["id"],
        "product_image": product["id"],
    }
    # Admin-only catalog tables are not served to moderators at all; product titles are served
    # read only.
    for table, row_id in catalog_rows.items():
        api = f"/admin/api/tables/{table}/"
        added = await client.post(
            api, json={"title": "Sneaked in", "name": "Sneaked in"}, headers=csrf(client)
        )
        deleted = await client.delete(f"{api}{row_id}/", headers=csrf(client))
        expected = REFUSED if table == "product" else {404}
        assert added.status_code in expected, (table, added.status_code)
        assert deleted.status_code in expected, (table, deleted.status_code)
    assert {table: await table.count() for table in counts} == counts

    # Whatever the moderators' app serves beyond the two queues refuses every write.
    audit = await ModerationDecision.select().where(
        (ModerationDecision.item_type == "review") & (ModerationDecision.item_id == review.id)
    )
    row_ids = {"product": product["id"], "moderation_decision": audit[0]["id"]}
    served = set((await client.get("/admin/api/tables/")).json())
    assert served - MODERATOR_WRITABLE == set(row_ids)
    for table in sorted(served - MODERATOR_WRITABLE):
        api = f"/admin/api/tables/{table}/"
        row_url = f"{api}{row_ids[table]}/"
        before = (await client.get(row_url)).json()
        for method, url, body in [
            ("POST", api, {}),
            ("PATCH", row_url, {"title": "Changed"}),
            ("PATCH", row_url, {"staff": "someone else"}),
            ("PUT", row_url, before),
            ("DELETE", row_url, None),
        ]:
            response = await client.request(method, url, json=body, headers=csrf(client))
            assert response.status_code in REFUSED, (method, url, response.status_code)
        assert (await client.get(row_url)).json() == before
    assert await ModerationDecision.select().where(ModerationDecision.id == audit[0]["id"]) == [
        audit[0]
    ]

    # The queues themselves: decided through the service, never added to or deleted from.
    for table in sorted(MODERATOR_WRITABLE):
        added = await client.post(f"/admin/api/tables/{table}/", json={}, headers=csrf(client))
        assert added.status_code in REFUSED, (table, added.status_code)
    deleted = await client.delete(f"/admin/api/tables/review/{review.id}/", headers=csrf(client))
    assert deleted.status_code in REFUSED
    assert await Review.exists().where(Review.id == review.id)


async def test_admin_sees_every_table_but_never_the_password_hash(
    client: Client, seeded_database: TestDatabase
) -> None:
    email = new_email("admin")
    create_staff(seeded_database, email, "admin", "admin-password-123")
    shopper = new_email("shopper")
    hash_value = f"$argon2id$v=19$m=65536,t=3,p=4${uuid.uuid4().hex}"
    account = Account(
        email=shopper, password_hash=hash_value, policy_version="test", nickname="sam"
    )
    await account.save()
    try:
        await sign_in(client, email, "admin-password-123")
        tables = set((await client.get("/admin/api/tables/")).json())
        assert tables >= CATALOG | PERSONAL | {"piccolo_user"}
        grouped = (await client.get("/admin/api/tables/grouped/")).json()["grouped"]
        assert {"Catalog", "Moderation", "Shoppers", "Email", "Staff"} <= set(grouped)
        assert "account" in grouped["Shoppers"] and "outbox_message" in grouped["Email"]

        listing = (await client.get("/admin/api/tables/account/", params={"email": shopper})).json()
        assert [row["nickname"] for row in listing["rows"]] == ["sam"]
        row = (await client.get(f"/admin/api/tables/account/{account.id}/")).json()
        assert row["email"] == shopper
        schema = (await client.get("/admin/api/tables/account/schema/")).json()
        for body in (listing["rows"][0], row, schema["properties"]):
            assert "password_hash" not in body
        asked = await client.get(
            "/admin/api/tables/account/", params={"__visible_fields": "id,password_hash"}
        )
        assert asked.status_code == 400 and hash_value not in asked.text

        patched = await client.patch(
            f"/admin/api/tables/account/{account.id}/",
            json={"password_hash": "replaced"},
            headers=csrf(client),
        )
        assert patched.status_code == 400
        stored = await Account.select(Account.password_hash).where(Account.id == account.id).first()
        assert stored == {"password_hash": hash_value}
    finally:
        await Account.delete().where(Account.id == account.id)


async def test_new_role_or_password_ends_open_sessions(
    client: Client, seeded_database: TestDatabase
) -> None:
    email = new_email("promoted")
    create_staff(seeded_database, email, "moderator", "moderator-password-2")
    await sign_in(client, email, "moderator-password-2")
    assert set((await client.get("/admin/api/tables/")).json()) == MODERATOR_TABLES

    create_staff(seeded_database, email, "admin", "admin-password-456")
    assert (await client.get("/admin/api/tables/")).status_code == 401
    await sign_in(client, email, "admin-password-456")
    assert set((await client.get("/admin/api/tables/")).json()) >= PERSONAL
