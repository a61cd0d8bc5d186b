"""Skötselmoment: seed a municipality's catalogue from DOMAIN.md and let admins keep it."""
from __future__ import annotations

from sqlalchemy import select

from skotsel.domain.catalogue import CATALOGUE, PERFORMERS, SITE_KINDS
from skotsel.domain.errors import ValidationError
from skotsel.domain.recurrence import Quota, Recurrence, Season, check_rule
from skotsel.extensions import db
from skotsel.models import AgreedTask, TaskType
from skotsel.services import audit, ensure_unique, transaction

FIELDS = ("name_sv", "name_en", "standard_sv", "standard_en", "default_rrule", "default_quota_count",
          "default_quota_gap_days", "season_start", "season_end", "site_kinds", "performed_by",
          "grace_days")
#: Longest grace period a task type can have (the database allows the same).
MAX_GRACE_DAYS = 60


def seed_catalogue(*, municipality_id: int) -> int:
    """Add the catalogue entries the municipality does not have yet (by code); return how many were added."""
    have = set(db.session.scalars(select(TaskType.code).where(TaskType.municipality_id == municipality_id)))
    names = set(db.session.scalars(select(TaskType.name_sv).where(TaskType.municipality_id == municipality_id)))
    added = 0
    with transaction():
        for entry in CATALOGUE:
            if entry.code in have or entry.name_sv in names:
                continue
            db.session.add(TaskType(
                municipality_id=municipality_id,
                code=entry.code,
                name_sv=entry.name_sv,
                name_en=entry.name_en,
                standard_sv=entry.standard_sv,
                standard_en=entry.standard_en,
                default_rrule=entry.rrule,
                default_quota_count=entry.quota.count if entry.quota else None,
                default_quota_gap_days=entry.quota.min_gap_days if entry.quota else None,
                season_start=entry.season_start,
                season_end=entry.season_end,
                site_kinds=list(entry.site_kinds),
                performed_by=entry.performed_by,
                grace_days=entry.grace_days,
            ))
            added += 1
    return added


def _clean(municipality_id: int, exclude_id: int | None, values: dict) -> dict:
    name_sv = (values.get("name_sv") or "").strip()
    if not name_sv:
        raise ValidationError("Ange skötselmomentets namn på svenska.", "Enter the task type's Swedish name.",
                              field="name_sv")
    name_en = (values.get("name_en") or "").strip() or name_sv
    for field, name in (("name_sv", name_sv), ("name_en", name_en)):
        if len(name) > 120:
            raise ValidationError("Namnet får vara högst 120 tecken.", "The name may be at most 120 characters.",
                                  field=field)
    season: Season | None = values.get("season")
    rule = check_rule(values.get("rule"), season)
    site_kinds = list(values.get("site_kinds") or [])
    if not site_kinds or any(kind not in SITE_KINDS for kind in site_kinds):
        raise ValidationError("Välj minst en sorts plats som momentet gäller.",
                              "Choose at least one kind of site the task applies to.", field="site_kinds")
    performed_by = values.get("performed_by") or "association"
    if performed_by not in PERFORMERS:
        raise ValidationError("Välj vem som utför momentet.", "Choose who performs the task.", field="performed_by")
    grace_days = values.get("grace_days")
    grace_days = 0 if grace_days is None else grace_days
    if not isinstance(grace_days, int) or not 0 <= grace_days <= MAX_GRACE_DAYS:
        raise ValidationError(f"Ange 0–{MAX_GRACE_DAYS} dagar.", f"Give 0–{MAX_GRACE_DAYS} days.",
                              field="grace_days")
    ensure_unique(TaskType, TaskType.name_sv, name_sv, municipality_id=municipality_id, exclude_id=exclude_id,
                  message_sv="Det finns redan ett skötselmoment med det namnet.",
                  message_en="There is already a task type with that name.", field="name_sv")
    return {
        "name_sv": name_sv,
        "name_en": name_en,
        "standard_sv": (values.get("standard_sv") or "").strip(),
        "standard_en": (values.get("standard_en") or "").strip(),
        "default_rrule": rule.to_rrule() if isinstance(rule, Recurrence) else None,
        "default_quota_count": rule.count if isinstance(rule, Quota) else None,
        "default_quota_gap_days": rule.min_gap_days if isinstance(rule, Quota) else None,
        "season_start": season.start_text if season else None,
        "season_end": season.end_text if season else None,
        # In the catalogue's order, so that the same choice always compares equal.
        "site_kinds": [kind for kind in SITE_KINDS if kind in site_kinds],
        "performed_by": performed_by,
        "grace_days": grace_days,
    }


def create_task_type(*, actor_id: int | None, municipality_id: int, **values) -> TaskType:
    """Add a municipality's own task type; `rule` is a Recurrence or a Quota, `season` a Season or None."""
    cleaned = _clean(municipality_id, None, values)
    with transaction():
        task_type = TaskType(municipality_id=municipality_id, **cleaned)
        db.session.add(task_type)
        audit.record_create(actor_id=actor_id, obj=task_type, label=task_type.name_sv, fields=FIELDS)
    return task_type


def update_task_type(*, actor_id: int | None, task_type: TaskType, **values) -> None:
    """Change a task type's defaults; agreed tasks already made from it keep their own rule and season."""
    cleaned = _clean(task_type.municipality_id, task_type.id, values)
    with transaction():
        changes = audit.apply_changes(task_type, cleaned)
        if changes:
            audit.record(actor_id=actor_id, action="update", obj=task_type, label=task_type.name_sv,
                         changes=changes)


def delete_task_type(*, actor_id: int | None, task_type: TaskType) -> None:
    """Remove a task type that no agreed task uses."""
    if db.session.scalar(select(AgreedTask.id).where(AgreedTask.task_type_id == task_type.id).limit(1)):
        raise ValidationError("Skötselmomentet används i avtal och kan inte tas bort.",
                              "The task type is used in agreements and cannot be removed.")
    with transaction():
        audit.record_delete(actor_id=actor_id, obj=task_type, label=task_type.name_sv, fields=FIELDS)
        db.session.delete(task_type)
