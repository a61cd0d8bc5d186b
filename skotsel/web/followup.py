"""Uppföljning: the municipality's inspections of an agreement's sites and its follow-up of deviations.

Admins and reviewers of the municipality record inspections and verify or reopen deviations; people in an
association read their own agreement's inspections and deviations (they mark a deviation fixed in the workspace).
Everyone else gets 404, as for a missing id.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from sqlalchemy.orm import joinedload, selectinload
from wtforms import RadioField, TextAreaField
from wtforms.validators import Optional

from skotsel.domain import deviations as flow
from skotsel.domain.errors import ValidationError
from skotsel.extensions import db, login_manager
from skotsel.models import Agreement, Deviation, Inspection, InspectionResult, Site
from skotsel.services import clock
from skotsel.services.access import load, require_create, visible
from skotsel.services.audit import events_for
from skotsel.services.documents import size_text
from skotsel.services.deviations import (
    fix_own, keeper_actions, reopen as reopen_deviation, verify as verify_deviation,
)
from skotsel.services.inspections import (
    DEFAULT_FIX_DAYS,
    RAISES_DEVIATION,
    SiteResult,
    deviations_of,
    field_name,
    record_inspection,
    sites_of,
)
from skotsel.web import current_principal
from skotsel.web.forms import PHOTO_TYPES, choices, show_error, uploads_of
from skotsel.web.schedule import DayField, day_label
from skotsel.web.vocabulary import DEVIATION_STATUS_LABELS

bp = Blueprint("followup", __name__, url_prefix="/followup")

RESULT_LABELS = {"approved": _l("Godkänd"), "remark": _l("Anmärkning"), "failed": _l("Underkänd")}
SOURCE_LABELS = {"inspection": _l("Besiktning"), "missed_occurrence": _l("Missat tillfälle"),
                 "report": _l("Felanmälan")}
#: Pages only the municipality's staff have.
STAFF_ENDPOINTS = frozenset({"followup.new_inspection", "followup.verify", "followup.reopen", "followup.fix"})


@bp.before_request
def signed_in_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    principal = current_principal()
    if principal.is_staff or (principal.associations and request.endpoint not in STAFF_ENDPOINTS):
        return None
    abort(404)


@bp.context_processor
def followup_words() -> dict:
    return {"result_labels": RESULT_LABELS, "source_labels": SOURCE_LABELS, "day_label": day_label}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _days_open(deviation: Deviation, today) -> int:
    closed_on = deviation.verified_at.date() if deviation.status == "verified" and deviation.verified_at else None
    return flow.days_open(deviation.created_at.date(), today, closed_on)


# --- inspections ---------------------------------------------------------------------------------------------


class InspectionForm(FlaskForm):
    inspected_on = DayField(_l("Besiktningsdatum"), validators=[Optional()])
    notes = TextAreaField(_l("Allmänna anteckningar"))


def _inspection_form(sites: list[Site]) -> FlaskForm:
    """The form with a result, notes and fix-by date for each of the agreement's sites."""

    class Form(InspectionForm):
        pass

    for site in sites:
        setattr(Form, field_name(site.id, "result"), RadioField(
            _l("Resultat"), choices=choices(RESULT_LABELS.items()),
            validate_choice=False, validators=[Optional()]))
        setattr(Form, field_name(site.id, "notes"), TextAreaField(_l("Anteckningar")))
        setattr(Form, field_name(site.id, "fix_by"), DayField(_l("Åtgärdas senast"), validators=[Optional()]))
        setattr(Form, field_name(site.id, "photos"), MultipleFileField(_l("Bilder"),
                                                                      render_kw={"accept": PHOTO_TYPES}))
    return Form()


@bp.route("/agreements/<int:agreement_id>/inspections/new", methods=["GET", "POST"])
def new_inspection(agreement_id: int):
    principal = current_principal()
    agreement = load(principal, Agreement, agreement_id)
    require_create(principal, Inspection, municipality_id=agreement.municipality_id)
    sites = sites_of(agreement)
    form = _inspection_form(sites)
    today = clock.today()
    message = None
    if request.method == "GET":
        form.inspected_on.data = today
    if form.validate_on_submit():
        results = [SiteResult(site_id=site.id, result=form[field_name(site.id, "result")].data or None,
                              notes=form[field_name(site.id, "notes")].data or "",
                              fix_by_on=form[field_name(site.id, "fix_by")].data,
                              photos=uploads_of(form[field_name(site.id, "photos")]))
                   for site in sites]
        try:
            inspection = record_inspection(principal=principal, agreement=agreement,
                                           inspected_on=form.inspected_on.data, notes=form.notes.data,
                                           results=results, today=today)
        except ValidationError as error:
            message = show_error(form, error)
        else:
            raised = sum(1 for item in results if item.result in RAISES_DEVIATION)
            flash(ngettext("Besiktningen är sparad. %(num)d avvikelse skickades till föreningen.",
                           "Besiktningen är sparad. %(num)d avvikelser skickades till föreningen.", raised)
                  if raised else _("Besiktningen är sparad."), "success")
            return redirect(url_for("followup.inspection", inspection_id=inspection.id))
    elif form.is_submitted() and form.errors:
        message = _("Rätta de markerade fälten.")
    return render_template("followup/inspection_form.html", form=form, agreement=agreement, sites=sites,
                           message=message, field_name=field_name, fix_days=DEFAULT_FIX_DAYS,
                           max_photo_size=size_text(current_app.config["MAX_PHOTO_BYTES"]))


@bp.route("/agreements/<int:agreement_id>/inspections")
def inspections(agreement_id: int):
    principal = current_principal()
    agreement = load(principal, Agreement, agreement_id)
    rows = db.session.scalars(
        visible(principal, Inspection).where(Inspection.agreement_id == agreement.id)
        .options(selectinload(Inspection.results), joinedload(Inspection.inspector))
        .order_by(Inspection.inspected_on.desc(), Inspection.id.desc())
    ).unique().all()
    may_inspect = agreement.municipality_id in principal.staff_of
    return render_template("followup/inspections.html", agreement=agreement, inspections=rows,
                           may_inspect=may_inspect)


@bp.route("/inspections/<int:inspection_id>")
def inspection(inspection_id: int):
    principal = current_principal()
    item = load(principal, Inspection, inspection_id)
    raised = {deviation.inspection_result_id: deviation for deviation in deviations_of(item)}
    return render_template("followup/inspection.html", inspection=item, raised=raised,
                           events=events_for(principal, item))


# --- deviations ----------------------------------------------------------------------------------------------


@bp.route("/deviations")
def deviations():
    principal = current_principal()
    status = request.args.get("status", "")
    if status not in DEVIATION_STATUS_LABELS:
        status = ""
    query = (visible(principal, Deviation).join(Deviation.site)
             .options(joinedload(Deviation.agreement).joinedload(Agreement.association),
                      joinedload(Deviation.site)))
    if principal.is_staff:
        query = query.where(Deviation.municipality_id == principal.home_municipality_id)
    if status:
        query = query.where(Deviation.status == status)
    rows = db.session.scalars(
        query.order_by(Deviation.fix_by_on.is_(None), Deviation.fix_by_on, Deviation.id)).unique().all()
    today = clock.today()
    return render_template("followup/deviations.html", deviations=rows, status=status, today=today,
                           days_open={row.id: _days_open(row, today) for row in rows})


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Anteckning"))


@bp.route("/deviations/<int:deviation_id>")
def deviation(deviation_id: int):
    return _deviation_page(load(current_principal(), Deviation, deviation_id))


def _deviation_page(item: Deviation, *, form: NoteForm | None = None, message: str | None = None, status: int = 200):
    principal = current_principal()
    today = clock.today()
    staff = item.municipality_id in principal.staff_of
    inspection_result = (db.session.get(InspectionResult, item.inspection_result_id)
                         if item.inspection_result_id else None)
    actions = keeper_actions(item) + flow.allowed_actions(item.status, flow.MUNICIPALITY) if staff else []
    return render_template(
        "followup/deviation.html", deviation=item, today=today, days_open=_days_open(item, today),
        actions=actions, form=form or NoteForm(), message=message, inspection_result=inspection_result,
        events=events_for(principal, item), own=item.association_id in principal.associations,
    ), status


def _act(deviation_id: int, action):
    principal = current_principal()
    item = load(principal, Deviation, deviation_id, "write")
    form = NoteForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        action(principal=principal, deviation=item, note=form.note.data, now=_now())
    except ValidationError as error:
        db.session.rollback()
        item = load(principal, Deviation, deviation_id, "write")
        return _deviation_page(item, form=form, message=show_error(form, error))
    return None


@bp.route("/deviations/<int:deviation_id>/fix", methods=["POST"])
def fix(deviation_id: int):
    refused = _act(deviation_id, fix_own)
    if refused is not None:
        return refused
    flash(_("Avvikelsen är markerad som åtgärdad. Verifiera den när du har kontrollerat åtgärden."), "success")
    return redirect(url_for("followup.deviation", deviation_id=deviation_id))


@bp.route("/deviations/<int:deviation_id>/verify", methods=["POST"])
def verify(deviation_id: int):
    refused = _act(deviation_id, verify_deviation)
    if refused is not None:
        return refused
    flash(_("Avvikelsen är verifierad och stängd."), "success")
    return redirect(url_for("followup.deviation", deviation_id=deviation_id))


@bp.route("/deviations/<int:deviation_id>/reopen", methods=["POST"])
def reopen(deviation_id: int):
    refused = _act(deviation_id, reopen_deviation)
    if refused is not None:
        return refused
    flash(_("Avvikelsen är återöppnad. Föreningen får åtgärda den igen."), "success")
    return redirect(url_for("followup.deviation", deviation_id=deviation_id))

