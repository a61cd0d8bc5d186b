"""Händelselogg: record who created, changed or deleted what, with old and new values."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from skotsel.extensions import db
from skotsel.models import AuditEvent


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


def apply_changes(obj: Any, values: dict[str, Any]) -> dict[str, list]:
    """Set the attributes of `obj` and return {field: [old, new]} for those that really changed."""
    changes = {}
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            changes[name] = [_text(old), _text(new)]
            setattr(obj, name, new)
    return changes


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: _text(getattr(obj, name)) for name in fields}


def record(*, actor_id: int | None, action: str, obj: Any, label: str, changes: dict) -> AuditEvent:
    """Add an audit event for `obj` to the current transaction (flushes to learn a new object's id)."""
    if obj.id is None:
        db.session.flush()
    event = AuditEvent(
        municipality_id=obj.municipality_id,
        actor_id=actor_id,
        action=action,
        object_type=type(obj).__name__,
        object_id=obj.id,
        object_label=label[:300],
        changes=changes,
    )
    db.session.add(event)
    return event


def record_create(*, actor_id: int | None, obj: Any, label: str, fields: tuple[str, ...]) -> AuditEvent:
    return record(actor_id=actor_id, action="create", obj=obj, label=label,
                  changes={k: [None, v] for k, v in snapshot(obj, fields).items()})


def record_delete(*, actor_id: int | None, obj: Any, label: str, fields: tuple[str, ...]) -> AuditEvent:
    return record(actor_id=actor_id, action="delete", obj=obj, label=label,
                  changes={k: [v, None] for k, v in snapshot(obj, fields).items()})
