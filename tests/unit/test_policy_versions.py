"""A new privacy-policy version: signed-in shoppers accept it before going on; it is logged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.services import content
from okmarts.tables.accounts import Account
from okmarts.tables.privacy import PolicyAcceptance
from tests.states.accounts import post_form, sign_up


@pytest.fixture
def published(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The policy folder with a newer version published beside the current one."""
    folder = tmp_path / "privacy"
    shutil.copytree(content.POLICY_DIR, folder)
    current = content.current_policy_version()
    newer = "2099-01-01"
    text = (folder / f"{current}.en.txt").read_text(encoding="utf-8")
    (folder / f"{newer}.en.txt").write_text(text + "\nA new paragraph in 2099.\n", encoding="utf-8")
    monkeypatch.setattr(content, "POLICY_DIR", folder)
    return newer


async def test_sign_up_logs_the_accepted_version(client: AsyncTestClient[Litestar]) -> None:
    account = await sign_up(client)
    rows = await PolicyAcceptance.select(PolicyAcceptance.version).where(
        PolicyAcceptance.account == account.id
    )
    assert rows == [{"version": content.current_policy_version()}]


async def test_a_new_version_is_accepted_before_going_on(app: Litestar, published: str) -> None:
    async with AsyncTestClient(app=app) as client:
        # Signed up under the old version (as if before the new one was published).
        account = await sign_up(client)
        await Account.update({Account.policy_version: "2023-07-04"}).where(Account.id == account.id)
        await PolicyAcceptance.update({PolicyAcceptance.version: "2023-07-04"}).where(
            PolicyAcceptance.account == account.id
        )
        blocked = await client.get("/account/addresses", follow_redirects=False)
        assert blocked.status_code == 303
        assert blocked.headers["location"] == "/policy/accept?next=%2Faccount%2Faddresses"
        page = await client.get(blocked.headers["location"])
        assert "Our privacy policy has changed" in page.text
        assert "A new paragraph in 2099." in page.text
        # Leaving stays possible: the policy, the privacy center and signing out.
        assert (await client.get("/privacy", follow_redirects=False)).status_code == 200
        posted = await post_form(client, "/account/addresses", {"recipient": "x"})
        assert posted.status_code == 303 and posted.headers["location"].startswith("/policy/accept")
        accepted = await post_form(client, "/policy/accept", {"next": "/account/addresses"})
        assert accepted.headers["location"] == "/account/addresses"
        assert (await client.get("/account/addresses")).status_code == 200
    stored = await Account.objects().where(Account.id == account.id).first()
    assert stored.policy_version == published
    versions = [
        row["version"]
        for row in await PolicyAcceptance.select(PolicyAcceptance.version)
        .where(PolicyAcceptance.account == account.id)
        .order_by(PolicyAcceptance.id)
    ]
    assert versions == ["2023-07-04", published]
