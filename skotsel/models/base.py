"""Column helpers shared by the models: UTC timestamps and the municipality every row belongs to."""
from datetime import datetime, timezone

from sqlalchemy import DateTime, ForeignKey, TypeDecorator
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A datetime stored in UTC that comes back timezone-aware on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given; store UTC-aware datetimes")
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class TenantMixin:
    """Every row belongs to exactly one municipality (the tenant)."""

    @declared_attr
    def municipality_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"), index=True)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
