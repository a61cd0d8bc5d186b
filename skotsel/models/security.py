"""Signing in safely: the failed sign-ins that throttle guessing, and the one-use links that reset a password."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from skotsel.extensions import db
from skotsel.models.base import UTCDateTime, utcnow
from skotsel.models.users import User


class LoginAttempt(db.Model):
    """One failed sign-in: the address typed (lower-case, whether or not an account has it) and where it came from.
    Too many in a while for the same account or from the same address, and signing in is refused for a while."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    #: HMAC-SHA-256 (keyed with SECRET_KEY) of the client's IP address as the app saw it (request.remote_addr):
    #: enough to count, not an address one could trace. Rows are removed after a day.
    address: Mapped[str] = mapped_column(String(64), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<LoginAttempt {self.email} from {self.address}>"


class PasswordReset(db.Model):
    """A link, sent by e-mail, that lets a person choose a new password: valid for a while and only once."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the secret in the link; the secret itself is only ever in the e-mail.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    __table_args__ = (
        CheckConstraint("length(token_hash) = 64", name="token_hash_is_sha256"),
        CheckConstraint("expires_at > created_at", name="expires_after_creation"),
    )

    def __repr__(self) -> str:
        return f"<PasswordReset {self.id} of user {self.user_id}>"
