"""Staff admin at /admin/: `okmarts create-staff`, and what each role can see and change."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from piccolo.apps.user.tables import BaseUser

from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Product
from tests.conftest import TestDatabase, okmarts

Client = AsyncTestClient[Litestar]

# example.com: email-validator refuses special-use domains such as .test.
DOMAIN = "example.com"
CATALOG = {"brand", "category", "product", "product_image"}
# Moderators' tables beside the catalog (see test_moderation.py).
MODERATION = {"review", "question", "moderation_decision"}
PERSONAL = {"account", "address", "sign_in", "outbox_message", "points_entry"}


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


async def test_moderator_sees_and_corrects_only_the_catalog_and_moderation(
    client: Client, seeded_database: TestDatabase
) -> None:
    email = new_email("moderator")
    create_staff(seeded_database, email, "moderator", "moderator-password-1")
    await sign_in(client, email, "moderator-password-1")

    tables = await client.get("/admin/api/tables/")
    assert set(tables.json()) == CATALOG | MODERATION
    grouped = (await client.get("/admin/api/tables/grouped/")).json()
    assert set(grouped["grouped"]) == {"Catalog", "Moderation"} and grouped["ungrouped"] == []
    for table in [*PERSONAL, "piccolo_user", "sessions", "review_vote"]:
        response = await client.get(f"/admin/api/tables/{table}/")
        assert response.status_code == 404, table
        assert "email" not in response.text

    product = await Product.select(Product.id, Product.stock).first()
    assert product
    edited = await client.patch(
        f"/admin/api/tables/product/{product['id']}/",
        json={"stock": product["stock"] + 5},
        headers=csrf(client),
    )
    assert edited.status_code == 200
    stock = await Product.select(Product.stock).where(Product.id == product["id"]).first()
    assert stock == {"stock": product["stock"] + 5}
    await Product.update({Product.stock: product["stock"]}).where(Product.id == product["id"])

    # Read-mostly: no new products and no deletions from a moderator.
    count = await Product.count()
    deleted = await client.delete(
        f"/admin/api/tables/product/{product['id']}/", headers=csrf(client)
    )
    assert deleted.status_code == 405
    assert await Product.exists().where(Product.id == product["id"])
    added = await client.post(
        "/admin/api/tables/product/", json={"title": "Sneaked in"}, headers=csrf(client)
    )
    assert added.status_code == 405
    assert await Product.count() == count


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
    assert set((await client.get("/admin/api/tables/")).json()) == CATALOG | MODERATION

    create_staff(seeded_database, email, "admin", "admin-password-456")
    assert (await client.get("/admin/api/tables/")).status_code == 401
    await sign_in(client, email, "admin-password-456")
    assert set((await client.get("/admin/api/tables/")).json()) >= PERSONAL
