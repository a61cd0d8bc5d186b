"""Besiktning / uppföljning and säsongsavstämning: the municipality's inspections of an agreement's sites, and the
season settlement that is the basis for paying the association."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from skotsel.extensions import db
from skotsel.models.agreements import Agreement
from skotsel.models.base import TenantMixin, TimestampMixin, UTCDateTime
from skotsel.models.sites import Site
from skotsel.models.users import User

if TYPE_CHECKING:
    from skotsel.models.schedule import Photo

#: godkänd / anmärkning / underkänd
INSPECTION_RESULTS = ("approved", "remark", "failed")
SETTLEMENT_STATUSES = ("proposed", "approved", "rejected")


class Inspection(TenantMixin, TimestampMixin, db.Model):
    """A municipality visit or review of an agreement's sites on a date."""

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"), index=True)
    inspected_on: Mapped[date] = mapped_column(Date)
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    notes: Mapped[str] = mapped_column(Text, default="")

    agreement: Mapped[Agreement] = relationship()
    inspector: Mapped[User | None] = relationship()
    results: Mapped[list[InspectionResult]] = relationship(
        back_populates="inspection", cascade="all, delete-orphan", order_by="InspectionResult.id")


class InspectionResult(TenantMixin, db.Model):
    """One site's result in an inspection: godkänd, anmärkning or underkänd, with notes (and photos)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="RESTRICT"), index=True)
    result: Mapped[str] = mapped_column(String(10))
    notes: Mapped[str] = mapped_column(Text, default="")

    inspection: Mapped[Inspection] = relationship(back_populates="results")
    site: Mapped[Site] = relationship()
    photos: Mapped[list[Photo]] = relationship(back_populates="inspection_result", order_by="Photo.id",
                                               passive_deletes=True)

    __table_args__ = (
        UniqueConstraint("inspection_id", "site_id"),
        CheckConstraint("result IN ('approved', 'remark', 'failed')", name="result_known"),
    )


class Settlement(TenantMixin, TimestampMixin, db.Model):
    """Säsongsavstämning: one agreement's compensation for one season, in öre, with how it was reached.
    Approved, it is locked: the basis for payment."""

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="proposed")
    base_ore: Mapped[int] = mapped_column(BigInteger, default=0)
    deductions_ore: Mapped[int] = mapped_column(BigInteger, default=0)
    total_ore: Mapped[int] = mapped_column(BigInteger, default=0)
    #: The lines of the computation (what was counted, rule, amount), as shown and exported.
    breakdown: Mapped[dict] = mapped_column(JSON, default=dict)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")

    agreement: Mapped[Agreement] = relationship()
    decided_by: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("agreement_id", "year"),
        CheckConstraint("status IN ('proposed', 'approved', 'rejected')", name="status_known"),
        CheckConstraint("base_ore >= 0 AND deductions_ore >= 0 AND total_ore >= 0", name="amounts_non_negative"),
        CheckConstraint("year >= 2000 AND year <= 2100", name="year_range"),
    )
