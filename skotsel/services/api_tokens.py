"""API-nycklar: a person's personal bearer tokens for the JSON API (/api/v1/).

The token is shown once, when it is made; only its SHA-256 is stored. A token acts as its owner with the owner's
rights of today (their memberships are read again on every request), and stops working when it is revoked or the
owner is deactivated. Making and revoking one is audited, like the calendar links of skotsel.services.feeds.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from skotsel.domain.errors import ValidationError
from skotsel.extensions import db
from skotsel.models import User
from skotsel.models.api import ApiToken
from skotsel.services import audit, transaction
from skotsel.services import secret_tokens
from skotsel.services.secret_tokens import hash_token, new_token
from skotsel.services.access import Forbidden, NotFound, Principal

MAX_NAME = 100
#: Working tokens a person may have at once (one per system they connect is plenty).
MAX_TOKENS = 20
#: A request writes last_used_at at most this often, so that reading stays a read.
USED_RESOLUTION = timedelta(minutes=5)


def _clean_name(name: str | None) -> str:
    name = " ".join((name or "").split())
    if not name:
        name = "API-nyckel"
    if len(name) > MAX_NAME:
        raise ValidationError(f"Namnet får vara högst {MAX_NAME} tecken.",
                              f"The name may be at most {MAX_NAME} characters.", field="name")
    return name


def create_token(*, principal: Principal, name: str | None = None) -> tuple[ApiToken, str]:
    """A new API token for the principal; returns the row and the token, which is shown once and never stored."""
    if principal.user_id is None:
        raise Forbidden("ApiToken")
    municipality_id = principal.home_municipality_id
    if municipality_id is None:
        raise ValidationError("Bara den som har en roll i en kommun eller förening kan skapa en API-nyckel.",
                              "Only someone with a role in a municipality or association can create an API token.")
    name = _clean_name(name)
    if len(tokens_of(principal)) >= MAX_TOKENS:
        raise ValidationError(f"Du har redan {MAX_TOKENS} API-nycklar. Återkalla en som inte används först.",
                              f"You already have {MAX_TOKENS} API tokens. Revoke one that is not in use first.")
    token = new_token()
    with transaction():
        row = ApiToken(municipality_id=municipality_id, user_id=principal.user_id, name=name,
                       token_hash=hash_token(token))
        db.session.add(row)
        db.session.flush()
        audit.record_create(actor_id=principal.user_id, obj=row, label=f"API-nyckel {name}", fields=("name",))
    return row, token


def revoke_token(*, principal: Principal, api_token: ApiToken, now: datetime) -> None:
    """Turn a token off: the next request with it gets 401. Only its owner revokes it."""
    if principal.user_id is None or api_token.user_id != principal.user_id:
        raise NotFound(f"ApiToken {api_token.id}")
    if api_token.revoked_at is not None:
        raise ValidationError("API-nyckeln är redan återkallad.", "The API token is already revoked.")
    with transaction():
        changes = audit.apply_changes(api_token, {"revoked_at": now})
        audit.record(actor_id=principal.user_id, action="update", obj=api_token,
                     label=f"API-nyckel {api_token.name} återkallad", changes=changes)


def load_own(principal: Principal, token_id: int | None) -> ApiToken:
    """One of the principal's own tokens (for the profile page); NotFound for anyone else's."""
    row = db.session.get(ApiToken, token_id) if token_id is not None else None
    if row is None or principal.user_id is None or row.user_id != principal.user_id:
        raise NotFound(f"ApiToken {token_id}")
    return row


def tokens_of(principal: Principal) -> list[ApiToken]:
    """The principal's tokens that still work, newest first."""
    if principal.user_id is None:
        return []
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == principal.user_id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def find(token: str | None) -> tuple[ApiToken, User] | None:
    """The working token behind `token` and its active owner, or None: malformed, unknown, revoked or the owner
    deactivated."""
    row = secret_tokens.find_by_token(ApiToken, token, ApiToken.revoked_at.is_(None),
                                      options=[joinedload(ApiToken.user).selectinload(User.memberships)])
    if row is None or row.user is None or not row.user.is_active:
        return None
    return row, row.user


def mark_used(row: ApiToken, now: datetime) -> None:
    """Remember when the token was last used, at most every few minutes."""
    secret_tokens.mark_used(row, now, every=USED_RESOLUTION)


def forget_idempotency(*, now: datetime, days: int = 7) -> int:
    """Drop the remembered answers to Idempotency-Keys older than `days` (a client retries within minutes, not
    weeks); returns how many. Safe to run twice."""
    from sqlalchemy import delete

    from skotsel.models.api import IdempotencyRecord

    result = db.session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now - timedelta(days=days)))
    db.session.commit()
    return result.rowcount or 0
