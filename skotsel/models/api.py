"""The JSON API's personal bearer tokens, and the answers it remembers for an Idempotency-Key."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from skotsel.extensions import db
from skotsel.models.base import TenantMixin, TimestampMixin, UTCDateTime, utcnow
from skotsel.models.users import User


class ApiToken(TenantMixin, TimestampMixin, db.Model):
    """A person's API token. Only its SHA-256 is stored; the token itself is shown once, when it is made."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    __table_args__ = (
        CheckConstraint("length(token_hash) = 64", name="token_hash_is_sha256"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} of user {self.user_id}>"


class IdempotencyRecord(db.Model):
    """The first answer to a write sent with an Idempotency-Key: a retry with the same key and the same request gets
    it again instead of doing the write a second time."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(128))
    #: SHA-256 of the method, path and canonical JSON body: the same key with another request is refused.
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    __table_args__ = (
        UniqueConstraint("user_id", "key"),
        CheckConstraint("response_status >= 200 AND response_status < 600", name="status_is_http"),
    )
