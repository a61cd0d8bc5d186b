"""Admin pages for sites (skötselobjekt): list with filters, register and edit with a map sketch, detail, delete."""
from __future__ import annotations

import json

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_number, gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import contains_eager, joinedload
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from skotsel.domain.errors import ValidationError
from skotsel.extensions import db
from skotsel.models import AgreedTask, Agreement, Association, Site, Village
from skotsel.models.sites import SITE_KINDS
from skotsel.services import audit
from skotsel.services.access import load, visible
from skotsel.services.sites import create_site, delete_site, update_site
from skotsel.web import current_principal
from skotsel.web.admin import bp, municipality_id, require_admin
from skotsel.web.admin.associations import village_choices
from skotsel.web.forms import DeleteForm, error_message, optional_int, show_error
from skotsel.web.vocabulary import SITE_KIND_LABELS

# Where the map opens when neither the site nor the municipality's villages have a position: all of Sweden.
SWEDEN_CENTRE = (62.0, 15.5)


class AreaField(IntegerField):
    """Whole square metres; accepts the thousands spaces Swedes write ("1 200")."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        text = "".join(valuelist[0].split()).replace("\u00a0", "")
        try:
            self.data = int(text)
        except ValueError as error:
            self.data = None
            raise ValueError(_("Ange ytan i hela kvadratmeter, till exempel 1200.")) from error


class SiteForm(FlaskForm):
    name = StringField(_l("Namn"), validators=[DataRequired(_l("Ange skötselobjektets namn.")), Length(max=200)])
    # The choice checks are the service's, so that an unknown kind or another municipality's id gets its message.
    kind = SelectField(_l("Sort"), validate_choice=False)
    village_id = SelectField(_l("Ort"), coerce=optional_int, validate_choice=False)
    association_id = SelectField(_l("Ansvarig förening"), coerce=optional_int, validate_choice=False)
    area_m2 = AreaField(_l("Yta (m²)"), validators=[Optional()])
    notes = TextAreaField(_l("Anteckningar"), validators=[Optional(), Length(max=5000)])
    geometry = TextAreaField(_l("Plats (GeoJSON)"), render_kw={"rows": 6, "spellcheck": "false"})

    def values(self) -> dict:
        return {name: getattr(self, name).data
                for name in ("name", "kind", "village_id", "association_id", "area_m2", "notes", "geometry")}


def _villages() -> list[Village]:
    return db.session.scalars(
        visible(current_principal(), Village).where(Village.municipality_id == municipality_id()).order_by(Village.name)
    ).all()


def _form(site: Site | None = None) -> SiteForm:
    form = SiteForm(obj=site)
    form.kind.choices = [SelectChoice("", _("— välj —"))] + [
        SelectChoice(kind, str(SITE_KIND_LABELS[kind])) for kind in SITE_KINDS
    ]
    form.village_id.choices = village_choices()
    associations = db.session.scalars(
        visible(current_principal(), Association).where(Association.municipality_id == municipality_id())
        .order_by(Association.name)
    ).all()
    form.association_id.choices = [SelectChoice("", _("Ingen – kommunen sköter själv"))] + [
        SelectChoice(str(association.id), association.name) for association in associations
    ]
    if not form.is_submitted():
        if site is not None:
            form.geometry.data = json.dumps(site.geometry)
        else:
            # "Nytt skötselobjekt för föreningen" on an association's page preselects it.
            form.association_id.data = optional_int(request.args.get("association_id"))
    return form


def _map_settings(site: Site | None) -> dict:
    """What site_map.js needs: tiles, where to open, and village positions to pan to."""
    villages = [village for village in _villages() if village.lat is not None]
    if site is not None:
        centre, zoom = (site.lat, site.lon), 15
    elif villages:
        centre = (sum(v.lat for v in villages) / len(villages), sum(v.lon for v in villages) / len(villages))
        zoom = 10
    else:
        centre, zoom = SWEDEN_CENTRE, 5
    return {
        "tile_url": current_app.config.get("TILE_URL") or "",
        "tile_attribution": current_app.config.get("TILE_ATTRIBUTION") or "",
        "centre": [round(centre[0], 6), round(centre[1], 6)],
        "zoom": zoom,
        "villages": {str(v.id): [v.lat, v.lon] for v in villages},
    }


def _render_form(form: SiteForm, site: Site | None, message: str | None):
    return render_template("admin/sites/form.html", form=form, site=site, message=message,
                           map_settings=_map_settings(site), delete_form=DeleteForm() if site else None)


@bp.route("/sites")
def sites():
    principal = current_principal()
    villages = _villages()
    kind = request.args.get("kind")
    kind = kind if kind in SITE_KINDS else None
    village_id = optional_int(request.args.get("village_id"))
    query = (
        visible(principal, Site).where(Site.municipality_id == municipality_id())
        .options(joinedload(Site.village), joinedload(Site.association))
        .order_by(Site.name)
    )
    if kind:
        query = query.where(Site.kind == kind)
    if village_id:
        query = query.where(Site.village_id == village_id)
    return render_template("admin/sites/list.html", sites=db.session.scalars(query).all(), villages=villages,
                           kinds=SITE_KINDS, kind=kind, village_id=village_id, format_number=format_number)


@bp.route("/sites/new", methods=["GET", "POST"])
def site_new():
    require_admin(Site)
    form = _form()
    message = None
    if form.validate_on_submit():
        try:
            site = create_site(actor_id=current_principal().user_id, municipality_id=municipality_id(),
                               **form.values())
        except ValidationError as error:
            message = show_error(form, error)
        else:
            flash(_("Skötselobjektet %(name)s är sparat.", name=site.name), "success")
            return redirect(url_for("admin.site_detail", site_id=site.id))
    return _render_form(form, None, message)


@bp.route("/sites/<int:site_id>")
def site_detail(site_id: int):
    principal = current_principal()
    site = load(principal, Site, site_id)
    tasks = db.session.scalars(
        visible(principal, AgreedTask).where(AgreedTask.site_id == site.id)
        .join(AgreedTask.agreement)
        .options(contains_eager(AgreedTask.agreement), joinedload(AgreedTask.task_type))
        .order_by(Agreement.starts_on.desc(), Agreement.id, AgreedTask.id)
    ).all()
    return render_template(
        "admin/sites/detail.html", site=site, tasks=tasks, events=audit.events_for(current_principal(), site),
        geometry_text=json.dumps(site.geometry),
        format_number=format_number,
        map_settings=_map_settings(site), delete_form=DeleteForm(),
    )


@bp.route("/sites/<int:site_id>/edit", methods=["GET", "POST"])
def site_edit(site_id: int):
    site = load(current_principal(), Site, site_id, "write")
    form = _form(site)
    message = None
    if form.validate_on_submit():
        try:
            update_site(actor_id=current_principal().user_id, site=site, **form.values())
        except ValidationError as error:
            message = show_error(form, error)
        else:
            flash(_("Skötselobjektet %(name)s är sparat.", name=site.name), "success")
            return redirect(url_for("admin.site_detail", site_id=site.id))
    return _render_form(form, site, message)


@bp.route("/sites/<int:site_id>/delete", methods=["POST"])
def site_delete(site_id: int):
    site = load(current_principal(), Site, site_id, "write")
    if DeleteForm().validate_on_submit():
        try:
            delete_site(actor_id=current_principal().user_id, site=site)
        except ValidationError as error:
            flash(error_message(error), "error")
            return redirect(url_for("admin.site_detail", site_id=site_id))
        flash(_("Skötselobjektet är borttaget."), "success")
    return redirect(url_for("admin.sites"))
