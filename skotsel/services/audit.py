"""Händelselogg: record who created, changed or deleted what, with old and new values."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, inspect, or_
from sqlalchemy.orm import joinedload

from skotsel.extensions import db
from skotsel.models import AuditEvent
from skotsel.services.access import Principal, visible


def _text(value: Any) -> str | None:
    """A value as the text shown in the log (dates ISO, amounts without float noise)."""
    if value is None:
        return None
    if isinstance(value, (date, Decimal)):
        return str(value)
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value if isinstance(value, str) else str(value)


def _shown(model: type, name: str, value: Any) -> str | None:
    """The logged text of a field: for a reference (site_id, village_id …) the name of what it points at, so the
    log still reads "Delary → Hallaryd" after the row itself is gone."""
    relationship = inspect(model).relationships.get(name.removesuffix("_id")) if name.endswith("_id") else None
    if relationship is None or value is None:
        return _text(value)
    target = db.session.get(relationship.mapper.class_, value)
    labels = (getattr(target, attr, None) for attr in ("name_sv", "title", "name"))
    return next((label for label in labels if isinstance(label, str)), _text(value))


def apply_changes(obj: Any, values: dict[str, Any]) -> dict[str, list]:
    """Set the attributes of `obj` and return {field: [old, new]} for those that really changed."""
    changes = {}
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            changes[name] = [_shown(type(obj), name, old), _shown(type(obj), name, new)]
            setattr(obj, name, new)
    return changes


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: _shown(type(obj), name, getattr(obj, name)) for name in fields}


def record(*, actor_id: int | None, action: str, obj: Any, label: str, changes: dict,
           parent: Any = None) -> AuditEvent:
    """Add an audit event for `obj` (shown also on `parent`'s page) to the current transaction."""
    if obj.id is None or (parent is not None and parent.id is None):
        db.session.flush()
    event = AuditEvent(
        municipality_id=obj.municipality_id,
        actor_id=actor_id,
        action=action,
        object_type=type(obj).__name__,
        object_id=obj.id,
        object_label=label[:300],
        changes=changes,
        parent_type=type(parent).__name__ if parent is not None else None,
        parent_id=parent.id if parent is not None else None,
    )
    db.session.add(event)
    return event


def record_create(*, actor_id: int | None, obj: Any, label: str, fields: tuple[str, ...],
                  parent: Any = None) -> AuditEvent:
    return record(actor_id=actor_id, action="create", obj=obj, label=label, parent=parent,
                  changes={k: [None, v] for k, v in snapshot(obj, fields).items()})


def record_delete(*, actor_id: int | None, obj: Any, label: str, fields: tuple[str, ...],
                  parent: Any = None) -> AuditEvent:
    return record(actor_id=actor_id, action="delete", obj=obj, label=label, parent=parent,
                  changes={k: [v, None] for k, v in snapshot(obj, fields).items()})


def events_for(principal: Principal, obj: Any) -> list[AuditEvent]:
    """The log shown on `obj`'s page: its own events and its children's, newest first; empty for non-admins."""
    name = type(obj).__name__
    query = visible(principal, AuditEvent).where(
        AuditEvent.municipality_id == obj.municipality_id,
        or_(and_(AuditEvent.object_type == name, AuditEvent.object_id == obj.id),
            and_(AuditEvent.parent_type == name, AuditEvent.parent_id == obj.id)),
    ).options(joinedload(AuditEvent.actor)).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    return list(db.session.scalars(query))
