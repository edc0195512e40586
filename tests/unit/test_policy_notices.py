"""A new privacy-policy version is announced to every account once, in its language, through the
gate (information, not marketing), and the record of it is the account's own data."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from litestar import Litestar

from okmarts.services import (
    content,
    notification_settings,
    notifications,
    policy_notices,
    privacy_export,
)
from okmarts.settings import Settings
from okmarts.tables.accounts import Account
from okmarts.tables.messaging import OutboxMessage
from okmarts.tables.notifications import Notification, PolicyNotice
from tests.conftest import TestDatabase, okmarts
from tests.states.accounts import accounts_write, verified_shopper


def publish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str) -> str:
    """The policy folder with a newer version published beside the current one."""
    folder = tmp_path / "privacy"
    shutil.copytree(content.POLICY_DIR, folder)
    current = content.current_policy_version()
    text = (folder / f"{current}.en.txt").read_text(encoding="utf-8")
    (folder / f"{version}.en.txt").write_text(text + "\nNew in this version.\n", encoding="utf-8")
    monkeypatch.setattr(content, "POLICY_DIR", folder)
    return version


async def _notices(account_id: int) -> list[dict]:
    return list(
        await OutboxMessage.select(
            OutboxMessage.locale, OutboxMessage.text_body, OutboxMessage.html_body
        ).where((OutboxMessage.account == account_id) & (OutboxMessage.kind == "policy_changed"))
    )


async def test_every_account_is_told_once_per_version_in_its_language(
    app: Litestar, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings: Settings = app.state.settings
    # The version in force when these accounts signed up was announced (or never needed to be).
    await policy_notices.announce_current(settings)
    english, spanish = await verified_shopper(), await verified_shopper()
    restricted, silenced = await verified_shopper(), await verified_shopper()
    async with accounts_write():
        await Account.update({Account.locale: "es"}).where(Account.id == spanish.id)
        await Account.update({Account.restrict_processing: True}).where(Account.id == restricted.id)
        for channel in notifications.CHANNELS:
            await notification_settings.set_choice(
                silenced.id, notifications.POLICY_CHANGES, channel, False
            )
    again = await policy_notices.announce_current(settings)
    assert again.already and again.told == 0 and await _notices(english.id) == []

    version = publish(tmp_path, monkeypatch, "2099-05-01")
    # Two workers at once, then a third run: each account is told once.
    runs = await asyncio.gather(*(policy_notices.announce_current(settings) for _ in range(2)))
    assert sum(run.told for run in runs) >= 4
    assert (await policy_notices.announce_current(settings)).already
    assert (await policy_notices.announce_current(settings, force=True)).told == 0
    assert await policy_notices.announced_version() == version

    [mail] = await _notices(english.id)
    assert "new version of our privacy policy (2099-05-01)" in mail["text_body"]
    assert f"{settings.base_url}/privacy" in mail["text_body"]
    [spanish_mail] = await _notices(spanish.id)
    assert spanish_mail["locale"] == "es" and '<html lang="es">' in spanish_mail["html_body"]
    # (The notice's own text is translated when the catalogs have it; the frame already is.)
    assert "Recibe este correo electrónico porque tiene una cuenta" in spanish_mail["html_body"]
    # Information, not marketing: a restricted account is told too; one who turned the type off
    # is not (but is recorded, so turning it on later sends no old news).
    assert len(await _notices(restricted.id)) == 1
    assert await _notices(silenced.id) == []
    for account in (english, spanish, restricted, silenced):
        rows = await PolicyNotice.select(PolicyNotice.version).where(
            PolicyNotice.account == account.id
        )
        assert rows == [{"version": version}]
    entry = await Notification.select(Notification.type, Notification.link).where(
        (Notification.account == english.id) & (Notification.kind == "policy_changed")
    )
    assert entry == [{"type": "policy_changes", "link": "/privacy"}]
    # The record is the account's own: in its data download.
    export = await privacy_export.collect_export(english.id)
    assert [row["version"] for row in export["policy_notices.json"]] == [version]


async def test_who_accepted_the_new_version_is_not_told_and_the_next_version_is_told_again(
    app: Litestar, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings: Settings = app.state.settings
    first = publish(tmp_path / "a", monkeypatch, "2099-07-01")
    await policy_notices.announce_current(settings)
    newcomer = await verified_shopper()  # signed up under the new version: read it already
    old = await verified_shopper()
    async with accounts_write():
        await Account.update({Account.policy_version: "2023-07-04"}).where(Account.id == old.id)
    assert newcomer.policy_version == first
    second = publish(tmp_path / "b", monkeypatch, "2099-08-01")
    await policy_notices.announce_current(settings)
    assert await _notices(newcomer.id) != []  # accepted 2099-07-01, told of 2099-08-01
    assert len(await _notices(old.id)) == 1  # created after the first announcement
    assert [
        row["version"] for row in await PolicyNotice.select().where(PolicyNotice.account == old.id)
    ] == [second]


def test_the_commands_are_safe_to_run_twice(seeded_database: TestDatabase) -> None:
    env = seeded_database.env()
    okmarts("announce-policy", env=env)
    again = okmarts("announce-policy", env=env)
    assert "announced already" in again.stdout
    for _ in range(2):
        assert "Digests:" in okmarts("digest", env=env).stdout
