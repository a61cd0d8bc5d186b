"""Accounts: signing in, password rules and e-mail addresses."""
from __future__ import annotations

import re

from sqlalchemy import select

from skotsel.domain.errors import ValidationError
from skotsel.extensions import db
from skotsel.models import User

# A hash to verify against when the account does not exist, so a wrong e-mail costs as long as a wrong password.
_DUMMY = User(password_hash=None)
_DUMMY.set_password("not-a-real-password-0000")


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def is_email_address(text: str) -> bool:
    """Looks like an address one can send to: something@domain.tld, no spaces, at most 254 characters."""
    return len(text) <= 254 and _EMAIL.fullmatch(text) is not None


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (same work either way)."""
    user = find_user(email)
    if user is None or not user.password_hash:
        _DUMMY.check_password(password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    return user


def check_password_rules(password: str, *, min_length: int) -> None:
    if len(password or "") < min_length:
        raise ValidationError(
            f"Lösenordet måste ha minst {min_length} tecken.",
            f"The password must have at least {min_length} characters.",
            field="password",
        )
