"""Orter: the villages of a municipality."""
from __future__ import annotations

from sqlalchemy import select

from skotsel.domain.errors import ValidationError
from skotsel.domain.geometry import parse_geometry, point
from skotsel.extensions import db
from skotsel.models import Association, Site, Village
from skotsel.services import audit, ensure_unique, transaction

FIELDS = ("name", "lat", "lon")


def _clean(municipality_id: int, exclude_id: int | None, name: str, lat: float | None, lon: float | None) -> dict:
    name = (name or "").strip()
    if not name:
        raise ValidationError("Ange ortens namn.", "Enter the village's name.", field="name")
    if (lat is None) != (lon is None):
        raise ValidationError("Ange både latitud och longitud, eller ingen av dem.",
                              "Give both latitude and longitude, or neither.", field="lat")
    if lat is not None:
        try:
            parse_geometry(point(lat, lon))
        except ValidationError as error:
            raise ValidationError(error.message_sv, error.message_en, field="lat") from error
    ensure_unique(Village, Village.name, name, municipality_id=municipality_id, exclude_id=exclude_id,
                  message_sv="Det finns redan en ort med det namnet.",
                  message_en="There is already a village with that name.", field="name")
    return {"name": name, "lat": lat, "lon": lon}


def create_village(*, actor_id: int | None, municipality_id: int, name: str,
                   lat: float | None = None, lon: float | None = None) -> Village:
    values = _clean(municipality_id, None, name, lat, lon)
    with transaction():
        village = Village(municipality_id=municipality_id, **values)
        db.session.add(village)
        audit.record_create(actor_id=actor_id, obj=village, label=village.name, fields=FIELDS)
    return village


def update_village(*, actor_id: int | None, village: Village, name: str,
                   lat: float | None = None, lon: float | None = None) -> None:
    values = _clean(village.municipality_id, village.id, name, lat, lon)
    with transaction():
        changes = audit.apply_changes(village, values)
        if changes:
            audit.record(actor_id=actor_id, action="update", obj=village, label=village.name, changes=changes)


def delete_village(*, actor_id: int | None, village: Village) -> None:
    """Remove a village that no association or site refers to."""
    in_use = db.session.scalar(select(Association.id).where(Association.village_id == village.id).limit(1)) or \
        db.session.scalar(select(Site.id).where(Site.village_id == village.id).limit(1))
    if in_use:
        raise ValidationError("Orten används av föreningar eller skötselobjekt och kan inte tas bort.",
                              "The village is used by associations or sites and cannot be removed.")
    with transaction():
        audit.record_delete(actor_id=actor_id, obj=village, label=village.name, fields=FIELDS)
        db.session.delete(village)
