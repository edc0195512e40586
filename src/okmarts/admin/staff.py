"""Staff accounts (Piccolo users), as `okmarts create-staff` makes them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from piccolo.apps.user.tables import BaseUser
from piccolo_api.session_auth.tables import SessionsBase
from starlette.requests import HTTPConnection
from starlette.types import Scope

MIN_PASSWORD_LENGTH = 12
# BaseUser refuses longer passwords, and its username column holds 100 characters.
MAX_PASSWORD_LENGTH = 128
MAX_EMAIL_LENGTH = 100
# piccolo_api's session login sets this cookie; create_admin offers no way to rename it.
SESSION_COOKIE = "id"
# How the admin's API keeps a session in use going (create_admin's default): our pages do too.
SESSION_INCREASE_EXPIRY = timedelta(minutes=20)


class StaffInputError(ValueError):
    """An email or password that `create-staff` refuses."""


@dataclass(frozen=True)
class StaffResult:
    email: str
    created: bool


def normalise_staff_email(email: str) -> str:
    """Return the lower-cased email (the staff username), or raise StaffInputError."""
    try:
        email = validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise StaffInputError(f"Not a valid email address: {error}") from None
    if len(email) > MAX_EMAIL_LENGTH:
        raise StaffInputError(f"The email is longer than {MAX_EMAIL_LENGTH} characters.")
    return email


def check_staff_password(password: str) -> None:
    """Raise StaffInputError when the password is too short or too long."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffInputError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise StaffInputError(f"The password must have at most {MAX_PASSWORD_LENGTH} characters.")


def generate_password() -> str:
    return secrets.token_urlsafe(18)


async def save_staff(email: str, password: str, superuser: bool) -> StaffResult:
    """Create the staff user, or update the role and password of the existing one."""
    email = normalise_staff_email(email)
    check_staff_password(password)
    async with BaseUser._meta.db.transaction():
        user = (
            await BaseUser.objects()
            .where((BaseUser.username == email) | (BaseUser.email == email))
            .first()
        )
        if user is None:
            await BaseUser.create_user(
                username=email,
                email=email,
                password=password,
                active=True,
                admin=True,
                superuser=superuser,
            )
            return StaffResult(email=email, created=True)
        await BaseUser.update(
            {
                BaseUser.username: email,
                BaseUser.email: email,
                BaseUser.active: True,
                BaseUser.admin: True,
                BaseUser.superuser: superuser,
                BaseUser.password: BaseUser.hash_password(password),
            }
        ).where(BaseUser.id == user.id)
        # A new password (or role) ends the sessions signed in with the old one.
        await SessionsBase.delete().where(SessionsBase.user_id == user.id)
    return StaffResult(email=email, created=False)


async def signed_in_staff(
    scope: Scope, *, increase_expiry: timedelta | None = None
) -> BaseUser | None:
    """The staff user whose live admin session the request carries (active, admin), or None.

    The same check as the admin's own (piccolo_api's session backend with `admin_only`): a
    shopper's session is another cookie and never names a staff user. `increase_expiry`: a
    session close to its end is extended by it, as the admin's API does for a page in use."""
    token = HTTPConnection(scope).cookies.get(SESSION_COOKIE)
    if not token:
        return None
    user_id = await SessionsBase.get_user_id(token, increase_expiry=increase_expiry)
    if user_id is None:
        return None
    return (
        await BaseUser.objects()
        .where((BaseUser.id == user_id) & (BaseUser.active == True) & (BaseUser.admin == True))
        .first()
    )
