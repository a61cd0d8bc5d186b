"""Skötselmoment: seed a municipality's catalogue from DOMAIN.md and let admins keep it."""
from __future__ import annotations

from sqlalchemy import select

from skotsel.domain.catalogue import CATALOGUE
from skotsel.extensions import db
from skotsel.models import TaskType
from skotsel.services import transaction


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
            ))
            added += 1
    return added
