"""Admin pages for associations (föreningar): list, register, edit, and a page with sites, agreements, members."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import contains_eager, joinedload
from wtforms import EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from skotsel.domain.errors import ValidationError
from skotsel.domain.organisations import format_org_number
from skotsel.extensions import db
from skotsel.models import Association, Invitation, Membership, User, Village
from skotsel.services import audit
from skotsel.services.access import load, require_create, visible
from skotsel.services.associations import agreements_of, create_association, sites_of, update_association
from skotsel.web import current_principal
from skotsel.web.association import InvitationForm, send_invitation
from skotsel.web.admin import bp, municipality_id, require_admin
from skotsel.web.forms import optional_int, show_error



def village_choices() -> list[SelectChoice]:
    villages = db.session.scalars(
        visible(current_principal(), Village).where(Village.municipality_id == municipality_id()).order_by(Village.name)
    ).all()
    return [SelectChoice("", _("— ingen ort —"))] + [
        SelectChoice(str(village.id), village.name) for village in villages
    ]


@bp.app_template_filter("org_number")
def org_number_filter(digits: str | None) -> str:
    """Ten stored digits as NNNNNN-NNNN."""
    return format_org_number(digits) if digits else ""


class AssociationForm(FlaskForm):
    name = StringField(_l("Namn"), validators=[DataRequired(_l("Ange föreningens namn.")), Length(max=200)])
    org_number = StringField(_l("Organisationsnummer"),
                             validators=[DataRequired(_l("Ange organisationsnumret.")), Length(max=20)])
    # The service checks that the village belongs to the municipality; a WTForms choice check would hide its message.
    village_id = SelectField(_l("Ort"), coerce=optional_int, validate_choice=False)
    contact_name = StringField(_l("Kontaktperson"), validators=[Optional(), Length(max=200)])
    email = EmailField(_l("E-post"), validators=[Optional(), Length(max=254)])
    phone = StringField(_l("Telefon"), validators=[Optional(), Length(max=40)])

    def values(self) -> dict:
        return {name: getattr(self, name).data
                for name in ("name", "org_number", "village_id", "contact_name", "email", "phone")}


def _form(association: Association | None = None) -> AssociationForm:
    form = AssociationForm(obj=association)
    form.village_id.choices = village_choices()
    if association is not None and not form.is_submitted():
        form.org_number.data = format_org_number(association.org_number)
    return form


@bp.route("/associations")
def associations():
    rows = db.session.scalars(
        visible(current_principal(), Association)
        .where(Association.municipality_id == municipality_id())
        .options(joinedload(Association.village))
        .order_by(Association.name)
    ).all()
    return render_template("admin/associations/list.html", associations=rows)


@bp.route("/associations/new", methods=["GET", "POST"])
def association_new():
    require_admin(Association)
    form = _form()
    message = None
    if form.validate_on_submit():
        try:
            association = create_association(actor_id=current_principal().user_id,
                                             municipality_id=municipality_id(), **form.values())
        except ValidationError as error:
            message = show_error(form, error)
        else:
            flash(_("Föreningen %(name)s är sparad.", name=association.name), "success")
            return redirect(url_for("admin.association_detail", association_id=association.id))
    return render_template("admin/associations/form.html", form=form, association=None, message=message)


@bp.route("/associations/<int:association_id>")
def association_detail(association_id: int, invitation_form: InvitationForm | None = None,
                       message: str | None = None):
    principal = current_principal()
    association = load(principal, Association, association_id)
    sites = sites_of(principal, association)
    agreements = agreements_of(principal, association)
    memberships = db.session.scalars(
        visible(principal, Membership).where(Membership.association_id == association.id)
        .join(Membership.user).options(contains_eager(Membership.user)).order_by(User.name)
    ).all()
    return render_template(
        "admin/associations/detail.html", association=association, sites=sites, agreements=agreements,
        memberships=memberships, events=audit.events_for(current_principal(), association),
        invitation_form=invitation_form or InvitationForm(role="coordinator"), message=message,
    )


@bp.route("/associations/<int:association_id>/invitations", methods=["POST"])
def association_invite(association_id: int):
    """Invite a person, typically the association's first coordinator, from the municipality's side."""
    association = load(current_principal(), Association, association_id)
    require_create(current_principal(), Invitation, municipality_id=association.municipality_id,
                   association_id=association.id)
    form = InvitationForm()
    sent, message = send_invitation(association, form)
    if sent:
        return redirect(url_for("admin.association_detail", association_id=association.id))
    return association_detail(association.id, invitation_form=form, message=message)


@bp.route("/associations/<int:association_id>/edit", methods=["GET", "POST"])
def association_edit(association_id: int):
    association = load(current_principal(), Association, association_id, "write")
    form = _form(association)
    message = None
    if form.validate_on_submit():
        try:
            update_association(actor_id=current_principal().user_id, association=association, **form.values())
        except ValidationError as error:
            message = show_error(form, error)
        else:
            flash(_("Föreningen %(name)s är sparad.", name=association.name), "success")
            return redirect(url_for("admin.association_detail", association_id=association.id))
    return render_template("admin/associations/form.html", form=form, association=association, message=message)
