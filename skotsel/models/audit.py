"""Händelselogg: who changed what, and when."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from skotsel.extensions import db
from skotsel.models.base import TenantMixin, UTCDateTime, utcnow
from skotsel.models.users import User


class AuditEvent(TenantMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Who did it; None for the system (demo data, scheduled jobs).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(10))
    #: Model name and id of the changed object, e.g. ("Agreement", 7).
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column(Integer)
    #: The object on whose page this event also shows: an agreed task's agreement, a membership's association.
    #: Kept on the event so that the log of removed children still finds its page.
    parent_type: Mapped[str | None] = mapped_column(String(40))
    parent_id: Mapped[int | None] = mapped_column(Integer)
    #: What a person recognises the object by, kept so the entry still reads well after a delete.
    object_label: Mapped[str] = mapped_column(String(300), default="")
    #: {field: [old, new]} with values as text; for create only new, for delete only old.
    changes: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint("action IN ('create', 'update', 'delete')", name="action_known"),
        Index("ix_audit_event_object", "object_type", "object_id"),
        Index("ix_audit_event_parent", "parent_type", "parent_id"),
    )


class AuditLogIsImmutable(RuntimeError):
    """Raised when anything tries to change or delete a händelselogg entry through the ORM."""


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _never_changed(mapper, connection, target: AuditEvent) -> None:
    raise AuditLogIsImmutable(f"audit event {target.id} cannot be changed or deleted")


@event.listens_for(Session, "do_orm_execute")
def _no_bulk_changes(state) -> None:
    """update(AuditEvent) / delete(AuditEvent) run through a session skip the mapper events: refuse them here."""
    if (state.is_update or state.is_delete) and any(m.class_ is AuditEvent for m in state.all_mappers):
        raise AuditLogIsImmutable("audit events cannot be changed or deleted")
