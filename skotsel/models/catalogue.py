"""Skötselmoment: the municipality's catalogue of task types, seeded from DOMAIN.md."""
from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from skotsel.extensions import db
from skotsel.models.base import TenantMixin, TimestampMixin

from skotsel.domain.catalogue import PERFORMERS  # noqa: E402,F401  (re-exported)


class TaskType(TenantMixin, TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Number in the national catalogue (DOMAIN.md), None for the municipality's own additions.
    code: Mapped[int | None] = mapped_column(Integer)
    name_sv: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    #: What "done to the agreed level" means, in both languages.
    standard_sv: Mapped[str] = mapped_column(Text, default="")
    standard_en: Mapped[str] = mapped_column(Text, default="")
    #: Default recurrence as a canonical RRULE, or a quota (count and spacing) — exactly one of them.
    default_rrule: Mapped[str | None] = mapped_column(String(200))
    default_quota_count: Mapped[int | None] = mapped_column(Integer)
    default_quota_gap_days: Mapped[int | None] = mapped_column(Integer)
    #: Default season as "MM-DD"; both None means all year.
    season_start: Mapped[str | None] = mapped_column(String(5))
    season_end: Mapped[str | None] = mapped_column(String(5))
    #: Site kinds the task applies to, e.g. ["beach", "green_space"].
    site_kinds: Mapped[list] = mapped_column(JSON, default=list)
    performed_by: Mapped[str] = mapped_column(String(20), default="association")
    #: Days after the due date within which the work still counts as on time.
    grace_days: Mapped[int] = mapped_column(Integer, default=2, server_default="2")

    __table_args__ = (
        CheckConstraint("grace_days >= 0 AND grace_days <= 60", name="grace_days_range"),
        UniqueConstraint("municipality_id", "name_sv"),
        CheckConstraint("performed_by IN ('association', 'municipality')", name="performer_known"),
        CheckConstraint(
            "(default_rrule IS NULL) <> (default_quota_count IS NULL)", name="rrule_xor_quota"
        ),
        CheckConstraint("(season_start IS NULL) = (season_end IS NULL)", name="season_both_or_none"),
    )

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_sv

    def standard(self, locale: str) -> str:
        return self.standard_en if locale == "en" else self.standard_sv

    def __repr__(self) -> str:
        return f"<TaskType {self.name_sv}>"
