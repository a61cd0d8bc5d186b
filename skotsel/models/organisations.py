"""The tenant (municipality), its villages and the associations that keep its sites."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from skotsel.extensions import db
from skotsel.models.base import TenantMixin, TimestampMixin


class Municipality(TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    #: SCB's four-digit kommunkod, e.g. 0765 for Älmhult.
    code: Mapped[str] = mapped_column(String(4), unique=True)

    __table_args__ = (CheckConstraint("length(code) = 4", name="code_four_digits"),)

    def __repr__(self) -> str:
        return f"<Municipality {self.name}>"


class Village(TenantMixin, TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    #: WGS84 position of the village centre.
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)

    municipality: Mapped[Municipality] = relationship()

    __table_args__ = (
        UniqueConstraint("municipality_id", "name"),
        CheckConstraint("lat IS NULL OR (lat BETWEEN -90 AND 90)", name="lat_range"),
        CheckConstraint("lon IS NULL OR (lon BETWEEN -180 AND 180)", name="lon_range"),
    )

    def __repr__(self) -> str:
        return f"<Village {self.name}>"


class Association(TenantMixin, TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Organisationsnummer, ten digits without the dash; the Luhn check digit is checked in Python.
    org_number: Mapped[str] = mapped_column(String(10))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("village.id", ondelete="RESTRICT"), index=True)
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")

    municipality: Mapped[Municipality] = relationship()
    village: Mapped[Village | None] = relationship()

    __table_args__ = (
        UniqueConstraint("municipality_id", "name"),
        UniqueConstraint("municipality_id", "org_number"),
        # trim(x, chars) strips the digits on both SQLite and PostgreSQL: what is left must be nothing.
        CheckConstraint(
            "length(org_number) = 10 AND trim(org_number, '0123456789') = ''", name="org_number_ten_digits"
        ),
    )

    def __repr__(self) -> str:
        return f"<Association {self.name}>"
