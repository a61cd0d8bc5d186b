"""Accounts: signing in, password rules and e-mail addresses."""
from __future__ import annotations

import re
import string
from functools import lru_cache
from pathlib import Path

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


_COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")
_PADDING = string.digits + string.punctuation + string.whitespace + "§½¤£€´¨"


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The list of passwords (and words under them) too common to accept, lower-case."""
    lines = _COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line.strip() and not line.startswith("#"))


def is_common_password(password: str) -> bool:
    """A password on the list, a listed word with digits or signs around it ("Sommar2026!"), one word repeated
    ("hejhejhejhej"), nothing but digits and signs, or fewer than four different characters."""
    text = (password or "").casefold()
    common = common_passwords()
    if text in common or len(set(text)) < 4:
        return True
    core = text.strip(_PADDING)
    if not core or core in common:
        return True
    for size in range(1, len(core) // 2 + 1):
        if len(core) % size == 0 and core[:size] * (len(core) // size) == core:
            return size <= 4 or core[:size] in common
    return False


def check_password_rules(password: str, *, min_length: int) -> None:
    if len(password or "") < min_length:
        raise ValidationError(
            f"Lösenordet måste ha minst {min_length} tecken.",
            f"The password must have at least {min_length} characters.",
            field="password",
        )
    if is_common_password(password):
        raise ValidationError(
            "Lösenordet är för vanligt och lätt att gissa. Välj ett annat, gärna några ord i följd.",
            "The password is too common and easy to guess. Choose another, for example a few words in a row.",
            field="password",
        )
