"""Besiktning: the municipality records an inspection of an agreement's sites. Each site is godkänd, anmärkning or
underkänd; a remark or a failure raises a deviation for the association to fix by a date. One call, one transaction:
the inspection, its results and its deviations are saved together or not at all."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from skotsel.domain.errors import ValidationError
from skotsel.extensions import db
from skotsel.models import AgreedTask, Agreement, Deviation, Inspection, InspectionResult, Site
from skotsel.models.review import INSPECTION_RESULTS
from skotsel.services import audit, transaction
from skotsel.services.access import Principal, require_create
from skotsel.services.photos import Uploads, store_photo

#: Days the association has to fix a remark unless the inspector gives a date.
DEFAULT_FIX_DAYS = 14
#: Results that raise a deviation.
RAISES_DEVIATION = frozenset({"remark", "failed"})
RESULT_WORDS_SV = {"approved": "godkänd", "remark": "anmärkning", "failed": "underkänd"}
MAX_NOTES = 5000


@dataclass(frozen=True)
class SiteResult:
    """What the inspector wrote for one site, and the photos they took; result None means the site was not
    inspected this time."""

    site_id: int
    result: str | None
    notes: str = ""
    fix_by_on: date | None = None
    photos: Uploads | None = None


def sites_of(agreement: Agreement) -> list[Site]:
    """The agreement's sites (those its agreed tasks are on), by name."""
    return list(db.session.scalars(
        select(Site).where(Site.id.in_(select(AgreedTask.site_id).where(AgreedTask.agreement_id == agreement.id)))
        .order_by(Site.name, Site.id)
    ))


def field_name(site_id: int, part: str) -> str:
    """The form field a site's result, notes or fix-by date is typed in: site_12_result, site_12_notes …"""
    return f"site_{site_id}_{part}"


def _clean(agreement: Agreement, *, inspected_on: date | None, notes: str | None, results: list[SiteResult],
           today: date) -> tuple[date, str, list[SiteResult]]:
    if inspected_on is None:
        raise ValidationError("Ange besiktningsdatum.", "Enter the inspection date.", field="inspected_on")
    if inspected_on > today:
        raise ValidationError("Besiktningsdatum kan inte vara i framtiden.",
                              "The inspection date cannot be in the future.", field="inspected_on")
    notes = (notes or "").strip()
    if len(notes) > MAX_NOTES:
        raise ValidationError(f"Anteckningarna får vara högst {MAX_NOTES} tecken.",
                              f"The notes may be at most {MAX_NOTES} characters.", field="notes")
    sites = {site.id: site for site in sites_of(agreement)}
    cleaned = []
    for item in results:
        site = sites.get(item.site_id)
        if site is None:
            raise ValidationError("Skötselobjektet ingår inte i avtalet.", "The site is not part of the agreement.")
        if item.result is None:
            if item.photos is not None and item.photos.files:
                raise ValidationError(f"Ange resultat för {site.name} när du bifogar bilder.",
                                      f"Give a result for {site.name} when you attach photos.",
                                      field=field_name(site.id, "result"))
            continue
        if item.result not in INSPECTION_RESULTS:
            raise ValidationError(f"Välj godkänd, anmärkning eller underkänd för {site.name}.",
                                  f"Choose approved, remark or failed for {site.name}.",
                                  field=field_name(site.id, "result"))
        site_notes = (item.notes or "").strip()
        if len(site_notes) > MAX_NOTES:
            raise ValidationError(f"Anteckningarna får vara högst {MAX_NOTES} tecken.",
                                  f"The notes may be at most {MAX_NOTES} characters.",
                                  field=field_name(site.id, "notes"))
        fix_by_on = None
        if item.result in RAISES_DEVIATION:
            if not site_notes:
                raise ValidationError(f"Beskriv vad som ska åtgärdas på {site.name}.",
                                      f"Describe what is to be fixed at {site.name}.",
                                      field=field_name(site.id, "notes"))
            fix_by_on = item.fix_by_on or inspected_on + timedelta(days=DEFAULT_FIX_DAYS)
            if fix_by_on <= inspected_on:
                raise ValidationError("Åtgärdas senast måste vara efter besiktningsdatum.",
                                      "The fix-by date must be after the inspection date.",
                                      field=field_name(site.id, "fix_by"))
        cleaned.append(SiteResult(site.id, item.result, site_notes, fix_by_on, item.photos))
    if not cleaned:
        raise ValidationError("Ange resultat för minst ett skötselobjekt.", "Give a result for at least one site.")
    return inspected_on, notes, cleaned


def record_inspection(*, principal: Principal, agreement: Agreement, inspected_on: date | None, notes: str | None,
                      results: list[SiteResult], today: date) -> Inspection:
    """Save an inspection of `agreement`'s sites by the principal (a municipality admin or reviewer), with each
    site's photos and a deviation for each remark or failure, all in one transaction and audited: a refused photo
    (field site_<id>_photos) saves nothing."""
    require_create(principal, Inspection, municipality_id=agreement.municipality_id)
    inspected_on, notes, results = _clean(agreement, inspected_on=inspected_on, notes=notes, results=results,
                                          today=today)
    sites = {site.id: site for site in sites_of(agreement)}
    with transaction():
        inspection = Inspection(municipality_id=agreement.municipality_id, agreement_id=agreement.id,
                                inspected_on=inspected_on, inspector_id=principal.user_id, notes=notes)
        db.session.add(inspection)
        label = f"Besiktning {inspected_on.isoformat()}: {agreement.title}"
        audit.record_create(actor_id=principal.user_id, obj=inspection, label=label,
                            fields=("agreement_id", "inspected_on", "inspector_id", "notes"), parent=agreement)
        for item in results:
            site = sites[item.site_id]
            row = InspectionResult(municipality_id=agreement.municipality_id, inspection=inspection,
                                   site_id=site.id, result=item.result, notes=item.notes)
            db.session.add(row)
            photos = _store_photos(item.photos, row=row, site=site, actor_id=principal.user_id)
            label = f"{site.name}: {RESULT_WORDS_SV[item.result]}"
            if photos:
                label += f" ({len(photos)} bilder)" if len(photos) > 1 else " (1 bild)"
            audit.record_create(actor_id=principal.user_id, obj=row, label=label,
                                fields=("site_id", "result", "notes"), parent=inspection)
            if item.result in RAISES_DEVIATION:
                deviation = Deviation(
                    municipality_id=agreement.municipality_id, source="inspection", agreement_id=agreement.id,
                    site_id=site.id, inspection_result_id=row.id, description=item.notes,
                    fix_by_on=item.fix_by_on, status="open",
                )
                db.session.add(deviation)
                audit.record_create(actor_id=principal.user_id, obj=deviation, label=f"Avvikelse på {site.name}",
                                    fields=("site_id", "status", "description", "fix_by_on"), parent=agreement)
    return inspection


def _store_photos(uploads: Uploads | None, *, row: InspectionResult, site: Site, actor_id: int | None) -> list:
    if uploads is None:
        return []
    db.session.flush()
    photos = []
    for upload in uploads.files:
        try:
            photos.append(store_photo(
                file=upload, filename=getattr(upload, "filename", None), upload_folder=uploads.upload_folder,
                max_bytes=uploads.max_bytes, max_pixels=uploads.max_pixels, uploaded_by_id=actor_id,
                inspection_result=row, site=site))
        except ValidationError as error:
            raise ValidationError(f"{site.name}: {error.message_sv}", f"{site.name}: {error.message_en}",
                                  field=field_name(site.id, "photos")) from error
    return photos


def deviations_of(inspection: Inspection) -> list[Deviation]:
    """The deviations the inspection raised, in the order of its results."""
    result_ids = [result.id for result in inspection.results]
    if not result_ids:
        return []
    return list(db.session.scalars(
        select(Deviation).where(Deviation.inspection_result_id.in_(result_ids)).order_by(Deviation.id)))
