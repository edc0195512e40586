"""Staff roles (issue 16): `okmarts create-staff --role service` makes a service agent who gets
the service pages and no table; moderators keep moderation and are kept out of the service
pages unless they also hold the service role; superusers get everything."""

from __future__ import annotations

import uuid

from litestar import Litestar
from litestar.testing import AsyncTestClient
from piccolo.apps.user.tables import BaseUser

from okmarts.admin.staff import MODERATOR, SERVICE, save_staff, staff_roles
from okmarts.tables.support_staff import StaffRole
from tests.conftest import TestDatabase
from tests.unit.test_admin import create_staff, new_email, okmarts, sign_in

Client = AsyncTestClient[Litestar]

RETURNS = "/admin/service/returns/"
MODERATION = "/admin/moderation/"


async def signed_in(client: Client, roles: list[str]) -> str:
    email = new_email("-".join(roles))
    password = f"staff-password-{uuid.uuid4().hex[:8]}"
    await save_staff(email, password, superuser=False, roles=roles)
    await sign_in(client, email, password)
    return email


async def test_create_staff_gives_and_replaces_roles(
    app: Litestar, seeded_database: TestDatabase
) -> None:
    email = new_email("agent")
    created = create_staff(seeded_database, email, "service", "first-password-123")
    assert f"Created service {email.lower()}" in created.stdout
    assert "service inbox" in created.stdout
    user = await BaseUser.objects().where(BaseUser.username == email.lower()).first()
    assert user is not None and not user.superuser
    assert await staff_roles(user) == {SERVICE}

    both = okmarts(
        "create-staff",
        email,
        "--role",
        "moderator",
        "--role",
        "service",
        "--password-stdin",
        env=seeded_database.env(),
        input="second-password-456\n",
    )
    assert f"Updated {email.lower()}: now moderator and service" in both.stdout
    assert await staff_roles(user) == {MODERATOR, SERVICE}

    create_staff(seeded_database, email, "admin", "third-password-789")
    rows = await StaffRole.select().where(StaffRole.user_id == user.id)
    assert rows == [], "a superuser holds every role without rows"
    admin = await BaseUser.objects().where(BaseUser.id == user.id).first()
    assert admin is not None and await staff_roles(admin) == {MODERATOR, SERVICE}


async def test_staff_made_before_roles_are_moderators(app: Litestar) -> None:
    email = new_email("old")
    await save_staff(email, f"old-password-{uuid.uuid4().hex[:8]}", superuser=False)
    user = await BaseUser.objects().where(BaseUser.username == email).first()
    assert user is not None
    await StaffRole.delete().where(StaffRole.user_id == user.id)
    assert await staff_roles(user) == {MODERATOR}


async def test_a_service_agent_gets_the_service_pages_and_no_table(client: Client) -> None:
    await signed_in(client, [SERVICE])
    returns = await client.get(RETURNS)
    assert returns.status_code == 200 and "Returns" in returns.text
    assert (await client.get("/admin/api/tables/")).json() == []
    links = (await client.get("/admin/api/links/")).json()
    assert links.get("Returns") == RETURNS
    assert "Pending reviews" not in links
    refused = await client.get(MODERATION)
    assert refused.status_code == 403 and "for moderators only" in refused.text


async def test_a_moderator_is_kept_out_of_the_service_pages(client: Client) -> None:
    await signed_in(client, [MODERATOR])
    refused = await client.get(RETURNS)
    assert refused.status_code == 403 and "service staff only" in refused.text
    assert "Returns" not in (await client.get("/admin/api/links/")).json()
    queue = await client.get(MODERATION)
    assert queue.status_code == 200 and "Moderation queue" in queue.text


async def test_a_moderator_who_also_serves_gets_both(client: Client) -> None:
    await signed_in(client, [MODERATOR, SERVICE])
    assert (await client.get(RETURNS)).status_code == 200
    assert (await client.get(MODERATION)).status_code == 200
    links = (await client.get("/admin/api/links/")).json()
    assert links.get("Returns") == RETURNS and "Pending reviews" in links
    assert "review" in (await client.get("/admin/api/tables/")).json()
