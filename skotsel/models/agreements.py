"""Skötselavtal and their agreed tasks: the agreed maintenance level per site."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, false, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from skotsel.extensions import db
from skotsel.models.base import TenantMixin, TimestampMixin
from skotsel.models.catalogue import TaskType
from skotsel.models.organisations import Association
from skotsel.models.sites import Site

AGREEMENT_STATUSES = ("draft", "active", "ended")
#: Compensation models found in Swedish practice (DOMAIN.md): Stigtomta fixed per year, Falkenberg per m²,
#: per completed occurrence, Boden components with a cap, and unpaid brukarsamverkan (Motala, Nacka).
COMPENSATION_MODELS = ("fixed_per_year", "per_m2", "per_occurrence", "components_with_cap", "none")


class Agreement(TenantMixin, TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("association.id", ondelete="RESTRICT"), index=True)
    #: The municipality's reference, e.g. "Skötselavtal Hallaryd 2025–2027".
    title: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    compensation_model: Mapped[str] = mapped_column(String(30), default="fixed_per_year")
    #: Kronor: per year, per m², per occurrence or per component, as the model says.
    compensation_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    #: Upper limit per year in kronor (Boden: max 6,000 kr), None for no cap.
    compensation_cap: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    signed_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    #: The signed agreement as a PDF: the name it was uploaded with, and the server-made file name under
    #: instance/uploads/agreements/ (never derived from what the uploader typed).
    document_name: Mapped[str | None] = mapped_column(String(200))
    document_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: Deductions in the season settlement, in öre: per missed occurrence, and per deviation still open when the
    #: season is settled (0: no deduction).
    deduction_per_missed_ore: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    deduction_per_open_deviation_ore: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    association: Mapped[Association] = relationship()
    tasks: Mapped[list[AgreedTask]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", order_by="AgreedTask.id"
    )

    __table_args__ = (
        CheckConstraint("ends_on > starts_on", name="ends_after_start"),
        CheckConstraint("status IN ('draft', 'active', 'ended')", name="status_known"),
        CheckConstraint(
            "compensation_model IN ('fixed_per_year', 'per_m2', 'per_occurrence', 'components_with_cap', 'none')",
            name="compensation_model_known",
        ),
        CheckConstraint("compensation_amount >= 0", name="amount_non_negative"),
        CheckConstraint("compensation_cap IS NULL OR compensation_cap >= 0", name="cap_non_negative"),
        CheckConstraint("(document_name IS NULL) = (document_key IS NULL)", name="document_name_and_key"),
        CheckConstraint("deduction_per_missed_ore >= 0 AND deduction_per_open_deviation_ore >= 0",
                        name="deductions_non_negative"),
        db.UniqueConstraint("municipality_id", "title"),
    )

    def __repr__(self) -> str:
        return f"<Agreement {self.title}>"


class AgreedTask(TenantMixin, TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="RESTRICT"), index=True)
    task_type_id: Mapped[int] = mapped_column(ForeignKey("task_type.id", ondelete="RESTRICT"), index=True)
    #: The agreed level in words, e.g. "högst 10 cm, klipps till 6–7 cm".
    level_text: Mapped[str] = mapped_column(Text, default="")
    #: Canonical RRULE (skotsel.domain.recurrence), or None for a quota task.
    rrule: Mapped[str | None] = mapped_column(String(200))
    #: Quota: at least quota_count times within the season, at least quota_gap_days apart.
    quota_count: Mapped[int | None] = mapped_column(Integer)
    quota_gap_days: Mapped[int | None] = mapped_column(Integer)
    #: Season window as "MM-DD"; both None means all year. A quota needs a season.
    season_start: Mapped[str | None] = mapped_column(String(5))
    season_end: Mapped[str | None] = mapped_column(String(5))
    reminder_lead_days: Mapped[int] = mapped_column(Integer, default=2)
    performed_by: Mapped[str] = mapped_column(String(20), default="association")
    #: When an occurrence is missed, the status pass raises a deviation (avvikelse) for it.
    deviation_when_missed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: First day the plan covers: an agreed task added to a running agreement is planned from the day it was
    #: added, so the weeks before it existed do not show up as missed. None: from the agreement's start.
    scheduled_from: Mapped[date | None] = mapped_column(Date)

    agreement: Mapped[Agreement] = relationship(back_populates="tasks")
    site: Mapped[Site] = relationship()
    task_type: Mapped[TaskType] = relationship()

    __table_args__ = (
        CheckConstraint("(rrule IS NULL) <> (quota_count IS NULL)", name="rrule_xor_quota"),
        CheckConstraint("quota_count IS NULL OR quota_count > 0", name="quota_positive"),
        CheckConstraint("quota_gap_days IS NULL OR quota_gap_days >= 0", name="gap_non_negative"),
        CheckConstraint("quota_count IS NULL OR season_start IS NOT NULL", name="quota_needs_season"),
        CheckConstraint("(season_start IS NULL) = (season_end IS NULL)", name="season_both_or_none"),
        CheckConstraint("reminder_lead_days >= 0", name="lead_days_non_negative"),
        CheckConstraint("performed_by IN ('association', 'municipality')", name="performer_known"),
    )

    @property
    def association_id(self) -> int:
        return self.agreement.association_id

    def __repr__(self) -> str:
        return f"<AgreedTask {self.id} of agreement {self.agreement_id}>"
