"""Signing in safely: throttling password guessing, password reset links, and changing one's password.

Failed sign-ins are counted per account (the address typed, whether an account has it or not, so the answer never
tells which addresses exist) and per IP address; once either has too many within the window, signing in is
refused — even with the right password — until the window has passed. A password reset link is a one-use secret
(only its SHA-256 stored) that is valid for a limited time; asking for one gives the same answer for every address.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update

from skotsel.domain.errors import ValidationError
from skotsel.extensions import db
from skotsel.models import LoginAttempt, PasswordReset, User
from skotsel.services import transaction
from skotsel.services.mail import send_mail
from skotsel.services.secret_tokens import hash_token, new_token, well_formed
from skotsel.services.users import authenticate, check_password_rules, find_user, normalise_email

log = logging.getLogger(__name__)
_LOCAL_TIME = ZoneInfo("Europe/Stockholm")
#: Failed sign-ins older than this are removed when a new one is written.
_KEEP_ATTEMPTS = timedelta(days=1)


@dataclass(frozen=True)
class SignIn:
    """What a sign-in came to: the user, or None; `throttled` when it was not even tried."""

    user: User | None
    throttled: bool = False


def _address_key(config: Mapping, address: str | None) -> str:
    """What is stored for an IP address: a keyed hash, so the table holds no address a person could be traced by."""
    key = str(config.get("SECRET_KEY") or "").encode("utf-8")
    return hmac.new(key, (address or "unknown").encode("utf-8"), hashlib.sha256).hexdigest()


def _window(config: Mapping) -> timedelta:
    return timedelta(minutes=int(config.get("LOGIN_WINDOW_MINUTES") or 15))


def is_throttled(email: str, address: str | None, *, now: datetime, config: Mapping) -> bool:
    """Whether this account, or this IP address, has used up its failed sign-ins for now."""
    address = _address_key(config, address)
    since = now - _window(config)
    email = normalise_email(email)[:254]
    per_account = db.session.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.email == email, LoginAttempt.attempted_at > since))
    if per_account >= int(config.get("LOGIN_MAX_FAILURES_PER_ACCOUNT") or 10):
        return True
    per_address = db.session.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.address == address, LoginAttempt.attempted_at > since))
    return per_address >= int(config.get("LOGIN_MAX_FAILURES_PER_ADDRESS") or 10)


def sign_in(email: str, password: str, address: str | None, *, now: datetime, config: Mapping) -> SignIn:
    """Check the password unless throttled; count a failure, forget the account's failures on success."""
    if is_throttled(email, address, now=now, config=config):
        return SignIn(None, throttled=True)
    user = authenticate(email, password)
    with transaction():
        if user is None:
            db.session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < now - _KEEP_ATTEMPTS))
            db.session.add(LoginAttempt(email=normalise_email(email)[:254], address=_address_key(config, address),
                                        attempted_at=now))
        else:
            db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == user.email))
    return SignIn(user)


# --- Password reset ---------------------------------------------------------------------------------------------


def request_password_reset(email: str, *, now: datetime, config: Mapping, link_for: Callable[[str], str]) -> None:
    """E-mail a reset link to the active account with this address, if there is one. Nothing tells the caller
    whether there was: an unknown address, a deactivated account and too many requests all end here quietly."""
    user = find_user(email)
    if user is None or not user.is_active or not user.password_hash:
        return
    recent = db.session.scalar(select(func.count()).select_from(PasswordReset).where(
        PasswordReset.user_id == user.id, PasswordReset.created_at > now - timedelta(hours=1)))
    if recent >= int(config.get("PASSWORD_RESETS_PER_HOUR") or 3):
        log.info("password reset for user %s not sent: %s already in the last hour", user.id, recent)
        return
    token = new_token()
    minutes = int(config.get("PASSWORD_RESET_MINUTES") or 60)
    with transaction():
        reset = PasswordReset(user_id=user.id, token_hash=hash_token(token), created_at=now,
                              expires_at=now + timedelta(minutes=minutes))
        db.session.add(reset)
    valid_until = reset.expires_at.astimezone(_LOCAL_TIME).strftime("%Y-%m-%d %H:%M")
    if user.locale == "en":
        subject = "Choose a new password for skotsel"
        body = (f"Hello {user.name}!\n\n"
                "Someone (hopefully you) asked to choose a new password for your skotsel account.\n"
                f"Open the link to do so. It is valid until {valid_until} and can be used once:\n\n"
                f"{link_for(token)}\n\n"
                "If you did not ask for this, ignore this message: your password stays as it is.\n")
    else:
        subject = "Välj ett nytt lösenord för skotsel"
        body = (f"Hej {user.name}!\n\n"
                "Någon (förhoppningsvis du) har bett om att få välja ett nytt lösenord för ditt konto\n"
                "i skotsel.\n"
                f"Öppna länken för att göra det. Den gäller till {valid_until} och kan användas en gång:\n\n"
                f"{link_for(token)}\n\n"
                "Om det inte var du kan du strunta i meddelandet: ditt lösenord är oförändrat.\n")
    try:
        send_mail(config, to=user.email, subject=subject, body=body)
    except (OSError, smtplib.SMTPException):
        # The answer must not differ for a known address, so the person is not told; the log is.
        log.exception("password reset e-mail to user %s could not be sent", user.id)


def valid_reset(token: str | None, *, now: datetime) -> PasswordReset | None:
    """The unused, unexpired reset of an active account that this link stands for, or None."""
    if not well_formed(token):
        return None
    reset = db.session.scalar(select(PasswordReset).where(PasswordReset.token_hash == hash_token(token)))
    if reset is None or reset.used_at is not None or reset.expires_at <= now or not reset.user.is_active:
        return None
    return reset


def complete_password_reset(reset: PasswordReset, password: str, *, now: datetime, min_password_length: int) -> User:
    """Set the new password, use up the link (and any other open link of the account) and end every session.

    Raises ValidationError on the password field for a password the rules refuse, and one without a field when the
    link was used a moment ago by another request.
    """
    check_password_rules(password, min_length=min_password_length)
    user = reset.user
    with transaction():
        used = db.session.execute(update(PasswordReset).where(
            PasswordReset.id == reset.id, PasswordReset.used_at.is_(None)).values(used_at=now))
        if used.rowcount != 1:
            raise ValidationError("Länken är redan använd.", "The link has already been used.")
        db.session.execute(update(PasswordReset).where(
            PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None)).values(used_at=now))
        user.set_password(password)
        user.end_sessions()  # also when set_password had no old password to replace
        db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == user.email))
    return user


# --- Changing one's own password ------------------------------------------------------------------------------


def change_password(user: User, *, current: str, new: str, min_password_length: int) -> None:
    """A new password for a signed-in person who knows the current one; every other session of theirs ends."""
    if not user.check_password(current or ""):
        raise ValidationError("Det nuvarande lösenordet stämmer inte.", "The current password is not right.",
                              field="current_password")
    check_password_rules(new, min_length=min_password_length)
    if user.check_password(new):
        raise ValidationError("Det nya lösenordet är samma som det gamla.",
                              "The new password is the same as the old one.", field="password")
    with transaction():
        user.set_password(new)


def end_all_sessions(user: User) -> None:
    """Sign the account out everywhere: every session cookie issued so far stops working."""
    with transaction():
        user.end_sessions()
