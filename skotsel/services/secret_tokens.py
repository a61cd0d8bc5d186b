"""Secrets in links and headers (calendar links, API tokens, invitations): 256 random bits, only their SHA-256
stored, looked up by that hash and compared in constant time."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets

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
