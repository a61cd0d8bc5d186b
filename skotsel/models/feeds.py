"""Kalenderlänkar: the secret tokens behind calendar subscriptions, and what each published event looked like the
last time a feed carried it (so SEQUENCE and LAST-MODIFIED rise exactly when something visible changes)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from skotsel.extensions import db
from skotsel.models.base import TenantMixin, TimestampMixin, UTCDateTime
from skotsel.models.organisations import Association
from skotsel.models.sites import Site
from skotsel.models.users import User

#: personal: the user's associations' occurrences and deviations; association / site: one of them; staff: the
#: municipality's inspections and deviation deadlines.
FEED_KINDS = ("personal", "association", "site", "staff")
EVENT_KINDS = ("occurrence", "deviation", "inspection")


class FeedToken(TenantMixin, TimestampMixin, db.Model):
    """A calendar subscription URL's secret. Only its SHA-256 is stored; the token itself is shown once."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    association_id: Mapped[int | None] = mapped_column(ForeignKey("association.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The strong ETag of the body last served, and when the body last changed (the Last-Modified header).
    body_etag: Mapped[str | None] = mapped_column(String(64))
    body_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: What that body was built from (skotsel.services.feeds.poll_key): while it is the same, so is the body, and a
    #: poll is answered without reading a single event.
    body_key: Mapped[str | None] = mapped_column(String(64))
    #: The language the owner last got the feed in; when it changes every event's text changes, so each event's
    #: SEQUENCE is published `locale_bumps` higher and its DTSTAMP no earlier than `locale_changed_at`.
    served_locale: Mapped[str | None] = mapped_column(String(5))
    locale_bumps: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locale_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    association: Mapped[Association | None] = relationship()
    site: Mapped[Site | None] = relationship()

    __table_args__ = (
        CheckConstraint("kind IN ('personal', 'association', 'site', 'staff')", name="kind_known"),
        CheckConstraint("(kind = 'association') = (association_id IS NOT NULL)", name="association_for_its_kind"),
        CheckConstraint("(kind = 'site') = (site_id IS NOT NULL)", name="site_for_its_kind"),
        CheckConstraint("locale_bumps >= 0", name="locale_bumps_non_negative"),
    )

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class FeedEvent(db.Model):
    """The fingerprint of what a published event showed, its SEQUENCE and when it last changed (DTSTAMP and
    LAST-MODIFIED). One row per occurrence, deviation or inspection that a feed has carried."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    object_id: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("kind", "object_id"),
        CheckConstraint("kind IN ('occurrence', 'deviation', 'inspection')", name="kind_known"),
        CheckConstraint("sequence >= 0", name="sequence_non_negative"),
    )
