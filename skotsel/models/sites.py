"""Skötselobjekt: the places an association keeps, with their geometry."""
from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from skotsel.extensions import db
from skotsel.models.base import TenantMixin, TimestampMixin
from skotsel.models.organisations import Association, Village

from skotsel.domain.catalogue import SITE_KINDS  # noqa: E402,F401  (re-exported)


class Site(TenantMixin, TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("village.id", ondelete="RESTRICT"), index=True)
    #: The association responsible for the site; None when the municipality keeps it itself.
    association_id: Mapped[int | None] = mapped_column(
        ForeignKey("association.id", ondelete="RESTRICT"), index=True
    )
    #: GeoJSON Point or Polygon in WGS84, validated by skotsel.domain.geometry.
    geometry: Mapped[dict] = mapped_column(JSON)
    #: Centroid of the geometry, kept for lists, maps and distance checks.
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    area_m2: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")

    village: Mapped[Village | None] = relationship()
    association: Mapped[Association | None] = relationship()

    __table_args__ = (
        UniqueConstraint("municipality_id", "name"),
        CheckConstraint("kind IN ('green_space', 'beach', 'playground', 'other')", name="kind_known"),
        CheckConstraint("area_m2 IS NULL OR area_m2 >= 0", name="area_non_negative"),
        CheckConstraint("area_m2 IS NULL OR area_m2 <= 100000000", name="area_at_most_100_km2"),
    )

    def __repr__(self) -> str:
        return f"<Site {self.name}>"
