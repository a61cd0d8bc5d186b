"""Tillfällen, utföranden and avvikelser: the dated plan an agreed task turns into, and what became of it."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint, Date, Float, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, event, select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from skotsel.extensions import db
from skotsel.models.agreements import AgreedTask, Agreement
from skotsel.models.base import TenantMixin, TimestampMixin, UTCDateTime
from skotsel.models.catalogue import TaskType
from skotsel.models.sites import Site
from skotsel.models.users import User

if TYPE_CHECKING:
    from skotsel.models.review import InspectionResult

DEVIATION_SOURCES = ("missed_occurrence", "inspection", "report")
DEVIATION_STATUSES = ("open", "fixed", "verified", "reopened")


class Occurrence(TenantMixin, TimestampMixin, db.Model):
    """One dated instance of an agreed task. Its identity is (agreed task, planned_on): regenerating the plan keeps
    the row, the id and so the calendar UID of every date the new plan still has."""

    id: Mapped[int] = mapped_column(primary_key=True)
    agreed_task_id: Mapped[int] = mapped_column(ForeignKey("agreed_task.id", ondelete="CASCADE"))
    #: The date the rule gave it; never changes.
    planned_on: Mapped[date] = mapped_column(Date)
    #: When it is due: planned_on, or the date an admin moved it to.
    due_on: Mapped[date] = mapped_column(Date)
    #: First day on which doing the work counts for this occurrence.
    window_starts_on: Mapped[date] = mapped_column(Date)
    #: Set when the municipality cancelled it ("struken"), with the reason; None otherwise.
    excused_reason: Mapped[str | None] = mapped_column(Text)
    #: Why an admin moved it; None when due_on is the planned date.
    moved_reason: Mapped[str | None] = mapped_column(Text)

    agreed_task: Mapped[AgreedTask] = relationship()
    completions: Mapped[list[Completion]] = relationship(
        back_populates="occurrence", order_by="Completion.completed_on", passive_deletes="all"
    )

    __table_args__ = (
        UniqueConstraint("agreed_task_id", "planned_on"),
        CheckConstraint("window_starts_on <= due_on", name="window_before_due"),
        Index("ix_occurrence_municipality_due", "municipality_id", "due_on"),
        Index("ix_occurrence_task_due", "agreed_task_id", "due_on"),
        # An id is a calendar UID: SQLite must never hand a deleted occurrence's id to a new one.
        {"sqlite_autoincrement": True},
    )

    @property
    def is_excused(self) -> bool:
        return self.excused_reason is not None

    @property
    def is_moved(self) -> bool:
        return self.due_on != self.planned_on

    def __repr__(self) -> str:
        return f"<Occurrence {self.id} task={self.agreed_task_id} due={self.due_on}>"


class Completion(TenantMixin, TimestampMixin, db.Model):
    """Utförande: work logged as done — for an occurrence, or ad hoc on a site."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: RESTRICT: an occurrence that has a completion can never be deleted, not even by regenerating the plan.
    occurrence_id: Mapped[int | None] = mapped_column(ForeignKey("occurrence.id", ondelete="RESTRICT"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="RESTRICT"), index=True)
    #: The association that logged it (the agreement's, or the site keeper's for work outside the plan). The work
    #: stays theirs when the site later passes to another association; None for the municipality's own work.
    association_id: Mapped[int | None] = mapped_column(ForeignKey("association.id", ondelete="SET NULL"), index=True)
    task_type_id: Mapped[int | None] = mapped_column(ForeignKey("task_type.id", ondelete="RESTRICT"))
    completed_on: Mapped[date] = mapped_column(Date)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    notes: Mapped[str] = mapped_column(Text, default="")
    hours: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    #: How many people took part (the association's effort, reported with a claim for compensation).
    people: Mapped[int | None] = mapped_column(Integer)
    #: Who typed it in, when a coordinator logs on behalf of a member; None when it is `user_id` themselves.
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: The token of the form that sent it: a double tap or a retry on a bad connection finds the first completion
    #: instead of making a second one.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    occurrence: Mapped[Occurrence | None] = relationship(back_populates="completions")
    site: Mapped[Site] = relationship()
    task_type: Mapped[TaskType | None] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    photos: Mapped[list[Photo]] = relationship(back_populates="completion", order_by="Photo.id",
                                               passive_deletes=True)

    __table_args__ = (
        CheckConstraint("hours IS NULL OR (hours >= 0 AND hours <= 1000)", name="hours_range"),
        CheckConstraint("people IS NULL OR (people >= 1 AND people <= 500)", name="people_range"),
        # One completion per occurrence: logging it twice finds the first.
        UniqueConstraint("occurrence_id"),
    )

    def __repr__(self) -> str:
        return f"<Completion {self.id} on {self.completed_on}>"


@event.listens_for(Completion, "before_insert")
def _logged_by_association(mapper, connection, completion: Completion) -> None:
    """Work belongs to the association that did it: the agreement's for a planned occurrence, else the site's keeper
    at the time. Filled in here so that every way of logging work agrees."""
    if completion.association_id is not None:
        return
    if completion.occurrence_id is not None:
        completion.association_id = connection.scalar(
            select(Agreement.association_id).join(AgreedTask, AgreedTask.agreement_id == Agreement.id)
            .join(Occurrence, Occurrence.agreed_task_id == AgreedTask.id)
            .where(Occurrence.id == completion.occurrence_id))
    if completion.association_id is None:
        completion.association_id = connection.scalar(
            select(Site.association_id).where(Site.id == completion.site_id))


class Deviation(TenantMixin, TimestampMixin, db.Model):
    """Avvikelse: something not at the agreed level, to be fixed by a date."""

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="RESTRICT"), index=True)
    #: The missed occurrence that raised it; at most one deviation per occurrence.
    occurrence_id: Mapped[int | None] = mapped_column(
        ForeignKey("occurrence.id", ondelete="SET NULL"), unique=True
    )
    description: Mapped[str] = mapped_column(Text, default="")
    fix_by_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")
    #: What the association did about it, when, and who said so.
    fixed_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    fixed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fixed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: The municipality's check of the fix: verified (closed) or reopened, when and by whom.
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reopened_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Raised by an inspection: the site's result it came from.
    inspection_result_id: Mapped[int | None] = mapped_column(
        ForeignKey("inspection_result.id", ondelete="SET NULL"), index=True)
    #: A resident's report (felanmälan): its category, and the reporter's e-mail for updates (deleted 90 days after
    #: the deviation closes) and a hash of their address, for rate limiting; never shown publicly.
    category: Mapped[str | None] = mapped_column(String(30))
    reporter_email: Mapped[str | None] = mapped_column(String(254))
    reporter_ip_hash: Mapped[str | None] = mapped_column(String(64), index=True)

    agreement: Mapped[Agreement | None] = relationship()
    fixed_by: Mapped[User | None] = relationship(foreign_keys=[fixed_by_id])
    photos: Mapped[list[Photo]] = relationship(back_populates="deviation", order_by="Photo.id", passive_deletes=True)
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
    site: Mapped[Site] = relationship()
    occurrence: Mapped[Occurrence | None] = relationship()

    __table_args__ = (
        CheckConstraint("source IN ('missed_occurrence', 'inspection', 'report')", name="source_known"),
        CheckConstraint("status IN ('open', 'fixed', 'verified', 'reopened')", name="status_known"),
        CheckConstraint("reopened_count >= 0", name="reopened_count_non_negative"),
    )

    @property
    def association_id(self) -> int | None:
        return self.agreement.association_id if self.agreement else None


class Photo(TenantMixin, TimestampMixin, db.Model):
    """A photo of completed work or of a fixed deviation: re-encoded without EXIF, stored under a server-made name."""

    id: Mapped[int] = mapped_column(primary_key=True)
    completion_id: Mapped[int | None] = mapped_column(ForeignKey("completion.id", ondelete="CASCADE"), index=True)
    deviation_id: Mapped[int | None] = mapped_column(ForeignKey("deviation.id", ondelete="CASCADE"), index=True)
    inspection_result_id: Mapped[int | None] = mapped_column(
        ForeignKey("inspection_result.id", ondelete="CASCADE"), index=True)
    #: File name under instance/uploads/photos/ (and its thumbnail); never derived from what was uploaded.
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(20))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    #: The uploaded file's name, cleaned, for display only.
    original_name: Mapped[str] = mapped_column(String(200), default="")
    #: From the EXIF data before it was removed: when and where the photo was taken, if the camera said.
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    #: Why the photo may not show this site on this day (far from the site, days from the logged date); "" if none.
    warning: Mapped[str] = mapped_column(Text, default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    completion: Mapped[Completion | None] = relationship(back_populates="photos")
    deviation: Mapped[Deviation | None] = relationship(back_populates="photos")
    inspection_result: Mapped[InspectionResult | None] = relationship(back_populates="photos")

    __table_args__ = (
        CheckConstraint("(CASE WHEN completion_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN deviation_id IS NULL "
                        "THEN 0 ELSE 1 END) + (CASE WHEN inspection_result_id IS NULL THEN 0 ELSE 1 END) = 1",
                        name="belongs_to_one"),
        CheckConstraint("content_type IN ('image/jpeg', 'image/png', 'image/webp')", name="content_type_known"),
        CheckConstraint("width > 0 AND height > 0 AND size_bytes > 0", name="dimensions_positive"),
    )


NOTIFICATION_KINDS = ("reminder", "coordinator_digest", "reviewer_digest", "deviation_due", "report_update")
NOTIFICATION_STATUSES = ("sending", "sent", "retry", "failed")


class Notification(TenantMixin, TimestampMixin, db.Model):
    """Utskick: one e-mail the jobs decided to send. The unique key — (occurrence or digest period, kind,
    recipient) — is claimed before sending, so no restart, second run or second process sends it again."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    #: The association whose coordinators see a delivery failure; None for municipality digests.
    association_id: Mapped[int | None] = mapped_column(ForeignKey("association.id", ondelete="CASCADE"), index=True)
    occurrence_id: Mapped[int | None] = mapped_column(ForeignKey("occurrence.id", ondelete="SET NULL"), index=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(10), default="sending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    #: File name under instance/outbox/ when no SMTP server is configured.
    outbox_file: Mapped[str | None] = mapped_column(String(100))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint("kind IN ('reminder', 'coordinator_digest', 'reviewer_digest', 'deviation_due', "
                        "'report_update')", name="kind_known"),
        CheckConstraint("status IN ('sending', 'sent', 'retry', 'failed')", name="status_known"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        Index("ix_notification_municipality_created", "municipality_id", "created_at"),
    )
