"""Secrets in links and headers (calendar links, API tokens, invitations): 256 random bits, only their SHA-256
stored, looked up by that hash and compared in constant time."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from skotsel.extensions import db

#: Random bytes in a token: 256 bits, URL-safe base64 without padding (43 characters).
TOKEN_BYTES = 32
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """What is stored: the SHA-256 of the token, in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def well_formed(token: str | None) -> bool:
    """Whether `token` could be one of ours (anything else is not looked up at all)."""
    return bool(TOKEN_PATTERN.fullmatch(token or ""))


def matches(stored_hash: str, token: str) -> bool:
    """The constant-time comparison of a stored hash with a presented token."""
    return hmac.compare_digest(stored_hash, hash_token(token))


def find_by_token(model, token: str | None, *conditions, options=()):
    """The row of `model` whose `token_hash` is the presented token's (and that meets `conditions`), or None for a
    malformed or unknown token. The database finds it by hash; the comparison itself is constant-time."""
    if not well_formed(token):
        return None
    row = db.session.scalar(select(model).where(model.token_hash == hash_token(token), *conditions).options(*options))
    return row if row is not None and matches(row.token_hash, token) else None


def mark_used(row, now: datetime, *, every: timedelta) -> None:
    """Remember when a token was last used, at most once per `every` (so that using it stays a read)."""
    if row.last_used_at is None or now - row.last_used_at >= every:
        db.session.execute(update(type(row)).where(type(row).id == row.id).values(last_used_at=now)
                           .execution_options(bookkeeping=True))
        db.session.commit()
        set_committed_value(row, "last_used_at", now)
