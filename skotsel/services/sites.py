"""Skötselobjekt: register, change and remove the places associations keep."""
from __future__ import annotations

from sqlalchemy import select

from skotsel.domain.errors import ValidationError
from skotsel.domain.geometry import centroid, parse_geometry
from skotsel.extensions import db
from skotsel.models import AgreedTask, Agreement, Association, Site, Village
from skotsel.models.sites import SITE_KINDS
from skotsel.services import audit, ensure_unique, transaction

FIELDS = ("name", "kind", "village_id", "association_id", "geometry", "area_m2", "notes")
#: 100 km², far above any site an association keeps; the database holds the same bound.
MAX_AREA_M2 = 100_000_000


def _owned(model, object_id: int | None, municipality_id: int, field: str, message_sv: str, message_en: str):
    if object_id is None:
        return None
    obj = db.session.get(model, object_id)
    if obj is None or obj.municipality_id != municipality_id:
        raise ValidationError(message_sv, message_en, field=field)
    return object_id


def _geometry(raw) -> dict:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValidationError("Ange var skötselobjektet ligger: klicka i kartan eller klistra in GeoJSON.",
                              "Give the site's location: click on the map or paste GeoJSON.", field="geometry")
    try:
        return parse_geometry(raw)
    except ValidationError as error:
        raise ValidationError(error.message_sv, error.message_en, field="geometry") from error


def _clean(municipality_id: int, exclude_id: int | None, values: dict) -> dict:
    name = (values.get("name") or "").strip()
    if not name:
        raise ValidationError("Ange skötselobjektets namn.", "Enter the site's name.", field="name")
    if len(name) > 200:
        raise ValidationError("Namnet får vara högst 200 tecken.", "The name may be at most 200 characters.",
                              field="name")
    kind = values.get("kind")
    if kind not in SITE_KINDS:
        raise ValidationError("Välj vilken sorts plats det är.", "Choose the kind of site.", field="kind")
    area = values.get("area_m2")
    if area is not None and area < 0:
        raise ValidationError("Ytan kan inte vara negativ.", "The area cannot be negative.", field="area_m2")
    if area is not None and area > MAX_AREA_M2:
        raise ValidationError("Ytan är orimligt stor; ange den i kvadratmeter (högst 100 km²).",
                              "The area is implausibly large; give it in square metres (at most 100 km²).",
                              field="area_m2")
    geometry = _geometry(values.get("geometry"))
    lat, lon = centroid(geometry)
    ensure_unique(Site, Site.name, name, municipality_id=municipality_id, exclude_id=exclude_id,
                  message_sv="Det finns redan ett skötselobjekt med det namnet.",
                  message_en="There is already a site with that name.", field="name")
    return {
        "name": name,
        "kind": kind,
        "village_id": _owned(Village, values.get("village_id") or None, municipality_id, "village_id",
                             "Välj en ort i kommunen.", "Choose a village in the municipality."),
        "association_id": _owned(Association, values.get("association_id") or None, municipality_id,
                                 "association_id", "Välj en förening i kommunen.",
                                 "Choose an association in the municipality."),
        "geometry": geometry,
        "lat": lat,
        "lon": lon,
        "area_m2": area,
        "notes": (values.get("notes") or "").strip(),
    }


def _covering_agreement(site: Site, *, running_only: bool = False,
                        keeper_id: int | None = None) -> Agreement | None:
    """An agreement with a task at the site; optionally only draft/active ones not made with `keeper_id`."""
    query = select(Agreement).join(AgreedTask, AgreedTask.agreement_id == Agreement.id).where(
        AgreedTask.site_id == site.id)
    if running_only:
        query = query.where(Agreement.status != "ended")
        if keeper_id is not None:
            query = query.where(Agreement.association_id != keeper_id)
    return db.session.scalar(query.order_by(Agreement.starts_on.desc(), Agreement.id).limit(1))


def create_site(*, actor_id: int | None, municipality_id: int, **values) -> Site:
    cleaned = _clean(municipality_id, None, values)
    with transaction():
        site = Site(municipality_id=municipality_id, **cleaned)
        db.session.add(site)
        audit.record_create(actor_id=actor_id, obj=site, label=site.name, fields=FIELDS)
    return site


def update_site(*, actor_id: int | None, site: Site, **values) -> None:
    """Change a site; the responsible association may only change when no running agreement says otherwise."""
    cleaned = _clean(site.municipality_id, site.id, values)
    if cleaned["association_id"] != site.association_id:
        # A draft or active agreement of another association covers the site: hand it over in the agreement first.
        # Ended agreements stay as history and do not block a new association from taking over.
        agreement = _covering_agreement(site, running_only=True, keeper_id=cleaned["association_id"])
        if agreement is not None:
            raise ValidationError(
                f"Skötselobjektet ingår i avtalet ”{agreement.title}”; ändra avtalet innan du byter ansvarig.",
                f"The site is part of the agreement “{agreement.title}”; change the agreement before changing "
                "who is responsible.",
                field="association_id",
            )
    with transaction():
        changes = audit.apply_changes(site, cleaned)
        if changes:
            audit.record(actor_id=actor_id, action="update", obj=site, label=site.name, changes=changes)


def delete_site(*, actor_id: int | None, site: Site) -> None:
    """Remove a site that no agreement covers, running or ended (the agreements keep their history)."""
    agreement = _covering_agreement(site)
    if agreement is not None:
        raise ValidationError(
            f"Skötselobjektet ingår i avtalet ”{agreement.title}” och kan inte tas bort. "
            "Ta först bort dess skötselmoment ur avtalet.",
            f"The site is part of the agreement “{agreement.title}” and cannot be removed. "
            "First remove its tasks from the agreement.",
        )
    with transaction():
        audit.record_delete(actor_id=actor_id, obj=site, label=site.name, fields=FIELDS)
        db.session.delete(site)
