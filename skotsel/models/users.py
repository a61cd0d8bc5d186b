"""People who sign in, their roles in a municipality or association, and invitations to join."""
from __future__ import annotations

from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint, event, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from skotsel.extensions import db
from skotsel.models.base import TenantMixin, TimestampMixin, UTCDateTime
from skotsel.models.organisations import Association, Municipality

MUNICIPALITY_ROLES = ("admin", "reviewer")
ASSOCIATION_ROLES = ("coordinator", "member")
ROLES = MUNICIPALITY_ROLES + ASSOCIATION_ROLES

_hasher = PasswordHasher()


class User(UserMixin, TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-case; the login name.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: argon2id hash; None until an invited person has chosen a password.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: "sv" or "en"; None follows the default.
    locale: Mapped[str | None] = mapped_column(String(5))
    #: E-mail the person has not opted out of (profile page): reminders before an occurrence is due, and the
    #: weekly digests for coordinators and for the municipality's reviewers.
    wants_reminders: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    wants_coordinator_digest: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    wants_reviewer_digest: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    #: Kept in the session at sign-in and compared on every request: raising it ends every session of the account
    #: (sign-out, a new password, a password reset, deactivation), even a copied cookie.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", foreign_keys="Membership.user_id"
    )

    def set_password(self, password: str) -> None:
        """A new password also ends every session signed in with the old one."""
        had_password = self.password_hash is not None
        self.password_hash = _hasher.hash(password)
        if had_password:
            self.end_sessions()

    def end_sessions(self) -> None:
        """Every session cookie issued for this account so far stops working."""
        self.session_version = (self.session_version or 0) + 1

    def check_password(self, password: str) -> bool:
        if not self.password_hash:
            return False
        try:
            return _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def __repr__(self) -> str:
        return f"<User {self.email}>"


@event.listens_for(User.is_active, "set", active_history=True)
def _deactivation_ends_sessions(user: User, value, old_value, initiator) -> None:
    """Deactivating an account (however it is done) ends its sessions: reactivating it later revives none."""
    if old_value is True and not value:
        user.session_version = (user.session_version or 0) + 1


class Membership(TenantMixin, TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: None for the municipality roles admin and reviewer.
    association_id: Mapped[int | None] = mapped_column(
        ForeignKey("association.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))

    user: Mapped[User] = relationship(back_populates="memberships", foreign_keys=[user_id])
    municipality: Mapped[Municipality] = relationship()
    association: Mapped[Association | None] = relationship()

    __table_args__ = (
        CheckConstraint("role IN ('admin', 'reviewer', 'coordinator', 'member')", name="role_known"),
        CheckConstraint(
            "(role IN ('admin', 'reviewer')) = (association_id IS NULL)", name="role_matches_organisation"
        ),
        UniqueConstraint("user_id", "municipality_id", "association_id"),
    )

    @property
    def is_municipal(self) -> bool:
        return self.association_id is None

    def __repr__(self) -> str:
        return f"<Membership {self.role} user={self.user_id} association={self.association_id}>"


class Invitation(TenantMixin, TimestampMixin, db.Model):
    """A one-use link that lets a person join an association and choose a password."""

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("association.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    #: SHA-256 of the secret in the link; the secret itself is only ever in the e-mail.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    association: Mapped[Association] = relationship()
    invited_by: Mapped[User | None] = relationship()

    __table_args__ = (CheckConstraint("role IN ('coordinator', 'member')", name="role_known"),)
