"""Admin pages for villages (orter)."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FloatField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from skotsel.domain.errors import ValidationError
from skotsel.extensions import db
from skotsel.models import Village
from skotsel.services.access import load, visible
from skotsel.services.villages import create_village, delete_village, update_village
from skotsel.web import current_principal
from skotsel.web.admin import bp, municipality_id, require_admin
from skotsel.web.forms import DeleteForm, error_message, show_error


class VillageForm(FlaskForm):
    name = StringField(_l("Namn"), validators=[DataRequired(), Length(max=120)])
    lat = FloatField(_l("Latitud (WGS84)"), validators=[Optional(), NumberRange(-90, 90)])
    lon = FloatField(_l("Longitud (WGS84)"), validators=[Optional(), NumberRange(-180, 180)])


@bp.route("/villages")
def villages():
    rows = db.session.scalars(
        visible(current_principal(), Village).where(Village.municipality_id == municipality_id()).order_by(Village.name)
    ).all()
    return render_template("admin/villages/list.html", villages=rows)


@bp.route("/villages/new", methods=["GET", "POST"])
def village_new():
    require_admin(Village)
    form = VillageForm()
    message = None
    if form.validate_on_submit():
        try:
            village = create_village(actor_id=current_principal().user_id, municipality_id=municipality_id(),
                                     name=form.name.data, lat=form.lat.data, lon=form.lon.data)
        except ValidationError as error:
            message = show_error(form, error)
        else:
            flash(_("Orten %(name)s är sparad.", name=village.name), "success")
            return redirect(url_for("admin.villages"))
    return render_template("admin/villages/form.html", form=form, village=None, message=message)


@bp.route("/villages/<int:village_id>/edit", methods=["GET", "POST"])
def village_edit(village_id: int):
    village = load(current_principal(), Village, village_id, "write")
    form = VillageForm(obj=village)
    message = None
    if form.validate_on_submit():
        try:
            update_village(actor_id=current_principal().user_id, village=village,
                           name=form.name.data, lat=form.lat.data, lon=form.lon.data)
        except ValidationError as error:
            message = show_error(form, error)
        else:
            flash(_("Orten %(name)s är sparad.", name=village.name), "success")
            return redirect(url_for("admin.villages"))
    return render_template("admin/villages/form.html", form=form, village=village, message=message,
                           delete_form=DeleteForm())


@bp.route("/villages/<int:village_id>/delete", methods=["POST"])
def village_delete(village_id: int):
    village = load(current_principal(), Village, village_id, "write")
    if DeleteForm().validate_on_submit():
        try:
            delete_village(actor_id=current_principal().user_id, village=village)
        except ValidationError as error:
            flash(error_message(error), "error")
            return redirect(url_for("admin.village_edit", village_id=village_id))
        flash(_("Orten är borttagen."), "success")
    return redirect(url_for("admin.villages"))
