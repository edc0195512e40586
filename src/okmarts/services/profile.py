"""The personal profile, and the one-time reward for completing it (policy §1 (2) 1)."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from okmarts.db import write_transaction
from okmarts.i18n import N_, Message
from okmarts.services import points
from okmarts.services.accounts import FormInvalid, is_minor, now_utc, parse_birth_date
from okmarts.services.avatars import AvatarInvalid, delete_avatar, process_avatar, store_avatar
from okmarts.tables.accounts import Account

GENDERS = {
    "female": N_("Female"),
    "male": N_("Male"),
    # TRANSLATORS: gender option beside "Female" and "Male": neither of the two
    "diverse": N_("Diverse"),
    "undisclosed": N_("Prefer not to say"),
}
TEXT_FIELDS = {
    # field: (maximum length, label msgid)
    "real_name": (100, N_("Real name")),
    "nickname": (40, N_("Nickname")),
    # TRANSLATORS: form field: the name of a company (the customer's, or the one ordering)
    "company": (120, N_("Company")),
    # TRANSLATORS: profile field: postal address (not an email address)
    "address": (300, N_("Address")),
    "zip_code": (20, N_("Zip code")),
}
PROFILE_FIELDS = (
    "avatar",
    "real_name",
    "nickname",
    "gender",
    "date_of_birth",
    "company",
    "address",
    "zip_code",
)


@dataclass
class ProfileForm:
    real_name: str = ""
    nickname: str = ""
    gender: str = ""
    date_of_birth: str = ""
    company: str = ""
    address: str = ""
    zip_code: str = ""


@dataclass
class ProfileSaved:
    account: Account
    points_awarded: int = 0


def is_complete(account: Account) -> bool:
    """Every profile field filled (the avatar included)."""
    return all(getattr(account, name) not in (None, "") for name in PROFILE_FIELDS)


def _clean(form: ProfileForm, account: Account, today: dt.date) -> dict[str, object]:
    errors: dict[str, Message] = {}
    values: dict[str, object] = {}
    for name, (limit, _label) in TEXT_FIELDS.items():
        value = " ".join(str(getattr(form, name) or "").split())
        if len(value) > limit:
            errors[name] = Message(N_("Use at most %(limit)s characters here."), {"limit": limit})
        values[name] = value
    if values["zip_code"] and not all(
        char.isalnum() or char in " -" for char in str(values["zip_code"])
    ):
        errors["zip_code"] = Message(N_("A zip code has only letters, digits, spaces and dashes."))
    if form.gender and form.gender not in GENDERS:
        errors["gender"] = Message(N_("Choose one of the options."))
    values["gender"] = form.gender if form.gender in GENDERS else ""
    try:
        born = parse_birth_date(form.date_of_birth, today)
    except ValueError as error:
        errors["date_of_birth"] = Message(str(error))
        born = account.date_of_birth
    # A child's lock is lifted by a guardian, not by typing another year (policy §8).
    if account.is_minor and account.guardian_confirmed_at is None and not is_minor(born, today):
        errors["date_of_birth"] = Message(
            N_(
                "Your date of birth says you are under 14. If it is wrong, please contact us "
                "to correct it."
            )
        )
    values["date_of_birth"] = born
    if errors:
        raise FormInvalid(errors)
    return values


async def save_profile(
    account: Account,
    form: ProfileForm,
    *,
    avatar_upload: bytes | None,
    data_dir: Path,
    now: dt.datetime | None = None,
) -> ProfileSaved:
    """Save the profile (and a new avatar); award the completion points once, ever."""
    now = now or now_utc()
    values = _clean(form, account, now.date())
    new_avatar = ""
    if avatar_upload:
        try:
            # Decoding a picture takes milliseconds to seconds: never on the event loop.
            jpeg = await asyncio.to_thread(process_avatar, avatar_upload)
            new_avatar = await asyncio.to_thread(store_avatar, data_dir, jpeg)
        except AvatarInvalid as error:
            raise FormInvalid({"avatar": Message(str(error))}) from error
    if new_avatar:
        values["avatar"] = new_avatar
    values["is_minor"] = account.is_minor or is_minor(values["date_of_birth"], now.date())  # type: ignore[arg-type]
    old_avatar = account.avatar
    awarded = 0
    try:
        async with write_transaction(Account._meta.db):
            await Account.update(
                {getattr(Account, name): value for name, value in values.items()}
            ).where(Account.id == account.id)
            for name, value in values.items():
                setattr(account, name, value)
            if is_complete(account):
                entry = await points.append_points(
                    account.id,
                    points.PROFILE_COMPLETE_POINTS,
                    "profile_complete",
                    once_key=f"profile_complete:{account.id}",
                    now=now,
                )
                awarded = entry.amount if entry else 0
    except BaseException:
        if new_avatar:
            delete_avatar(data_dir, new_avatar)
        raise
    if new_avatar and old_avatar:
        delete_avatar(data_dir, old_avatar)
    return ProfileSaved(account=account, points_awarded=awarded)


async def remove_avatar(account: Account, data_dir: Path) -> None:
    old = account.avatar
    await Account.update({Account.avatar: ""}).where(Account.id == account.id)
    account.avatar = ""
    delete_avatar(data_dir, old)
