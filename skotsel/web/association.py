"""Association pages for coordinators and members: their association, agreements, sites and members.

Every page has the association's id in its path and shows only an association the user belongs to; anything
else is a 404, even for municipality staff (they have the admin pages). Coordinators also manage the members.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import contains_eager, joinedload
from wtforms import EmailField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from skotsel.domain.errors import ValidationError
from skotsel.extensions import db
from skotsel.models import AgreedTask, Agreement, Association, Invitation, Membership, Site, User
from skotsel.services.access import NotFound, can_create, load, require_create, visible
from skotsel.services.agreements import describe_agreed_task
from skotsel.services.associations import agreements_of, sites_of
from skotsel.services.memberships import change_role, invite_member, remove_membership, revoke_invitation
from skotsel.services.reminders import delivery_failures
from skotsel.web import current_principal, external_url
from skotsel.web.admin.agreements import send_document
from skotsel.web.forms import DeleteForm, error_message, show_error
from skotsel.web.vocabulary import ROLE_LABELS

bp = Blueprint("association", __name__, url_prefix="/association")

ROLE_CHOICES = [SelectChoice(role, ROLE_LABELS[role]) for role in ("member", "coordinator")]


class InvitationForm(FlaskForm):
    name = StringField(_l("Namn"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-post"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Roll"), choices=ROLE_CHOICES, default="member")


class RoleForm(FlaskForm):
    role = SelectField(_l("Roll"), choices=ROLE_CHOICES)


@bp.before_request
def members_only():
    """Only people in an association have these pages; to anyone else they do not exist."""
    if not current_user.is_authenticated or not current_principal().associations:
        abort(404)


def _own_association(association_id: int) -> Association:
    """One of the user's own associations; another association's id is not found, as a missing one."""
    principal = current_principal()
    if association_id not in principal.associations:
        raise NotFound(f"Association {association_id}")
    return load(principal, Association, association_id)


def _belongs_to(association: Association, obj):
    """`obj` if it is part of the association in the path, else not found."""
    if obj.association_id != association.id:
        raise NotFound(f"{type(obj).__name__} {obj.id}")
    return obj


def _can_manage_members(association: Association) -> bool:
    return can_create(current_principal(), Invitation, municipality_id=association.municipality_id,
                      association_id=association.id)


@bp.route("/")
def overview():
    principal = current_principal()
    associations = db.session.scalars(
        visible(principal, Association).where(Association.id.in_(sorted(principal.associations)))
        .options(joinedload(Association.village)).order_by(Association.name)
    ).all()
    if len(associations) == 1:
        return redirect(url_for("association.detail", association_id=associations[0].id))
    return render_template("association/overview.html", associations=associations)


@bp.route("/<int:association_id>/")
def detail(association_id: int):
    association = _own_association(association_id)
    principal = current_principal()
    agreements = agreements_of(principal, association)
    sites = sites_of(principal, association)
    return render_template("association/detail.html", association=association, agreements=agreements,
                           sites=sites)


@bp.route("/<int:association_id>/agreements/<int:agreement_id>")
def agreement(association_id: int, agreement_id: int):
    association = _own_association(association_id)
    agreement = _belongs_to(association, load(current_principal(), Agreement, agreement_id))
    tasks = db.session.scalars(
        visible(current_principal(), AgreedTask).where(AgreedTask.agreement_id == agreement.id)
        .join(AgreedTask.site).options(contains_eager(AgreedTask.site), joinedload(AgreedTask.task_type))
        .order_by(Site.name, AgreedTask.id)
    ).all()
    locale = str(get_locale())
    by_site: dict[Site, list[tuple[AgreedTask, str]]] = {}
    for task in tasks:
        by_site.setdefault(task.site, []).append((task, describe_agreed_task(task, locale)))
    return render_template("association/agreement.html", association=association, agreement=agreement,
                           by_site=by_site)


@bp.route("/<int:association_id>/agreements/<int:agreement_id>/document")
def agreement_document(association_id: int, agreement_id: int):
    association = _own_association(association_id)
    return send_document(_belongs_to(association, load(current_principal(), Agreement, agreement_id)))


@bp.route("/<int:association_id>/sites/<int:site_id>")
def site(association_id: int, site_id: int):
    association = _own_association(association_id)
    site = _belongs_to(association, load(current_principal(), Site, site_id))
    tasks = db.session.scalars(
        visible(current_principal(), AgreedTask).where(AgreedTask.site_id == site.id)
        .join(AgreedTask.agreement).where(Agreement.association_id == association.id)
        .options(contains_eager(AgreedTask.agreement), joinedload(AgreedTask.task_type))
        .order_by(Agreement.starts_on.desc(), AgreedTask.id)
    ).all()
    locale = str(get_locale())
    return render_template("association/site.html", association=association, site=site,
                           tasks=[(task, describe_agreed_task(task, locale)) for task in tasks],
                           corners=_corners(site.geometry))


def _corners(geometry: dict) -> list[tuple[float, float]]:
    """(lat, lon) of a point, or of each corner of a polygon's outer edge without the closing repeat."""
    if geometry.get("type") == "Point":
        lon, lat = geometry["coordinates"][:2]
        return [(lat, lon)]
    ring = geometry.get("coordinates", [[]])[0]
    return [(position[1], position[0]) for position in ring[:-1]]


def _members_page(association: Association, form: InvitationForm | None = None, message: str | None = None):
    principal = current_principal()
    memberships = db.session.scalars(
        visible(principal, Membership).where(Membership.association_id == association.id)
        .join(Membership.user).options(contains_eager(Membership.user)).order_by(User.name, User.email)
    ).all()
    can_manage = _can_manage_members(association)
    invitations = []
    if can_manage:
        invitations = db.session.scalars(
            visible(principal, Invitation).where(
                Invitation.association_id == association.id, Invitation.accepted_at.is_(None),
                Invitation.expires_at > datetime.now(timezone.utc),
            ).order_by(Invitation.expires_at)
        ).all()
    return render_template("association/members.html", association=association, memberships=memberships,
                           invitations=invitations, can_manage=can_manage, form=form or InvitationForm(),
                           message=message, delivery_failures=delivery_failures(principal, association.id))


@bp.route("/<int:association_id>/members")
def members(association_id: int):
    return _members_page(_own_association(association_id))


@bp.route("/<int:association_id>/invitations", methods=["POST"])
def invite(association_id: int):
    association = _own_association(association_id)
    require_create(current_principal(), Invitation, municipality_id=association.municipality_id,
                   association_id=association.id)
    form = InvitationForm()
    sent, message = send_invitation(association, form)
    if sent:
        return redirect(url_for("association.members", association_id=association.id))
    return _members_page(association, form=form, message=message)


def send_invitation(association: Association, form: InvitationForm) -> tuple[bool, str | None]:
    """Validate the invitation form and e-mail the link; (sent, message for the page if it failed)."""
    if not form.validate_on_submit():
        return False, None
    try:
        invitation = invite_member(
            actor_id=current_principal().user_id, association=association, email=form.email.data,
            name=form.name.data, role=form.role.data, now=datetime.now(timezone.utc), config=current_app.config,
            link_for=lambda token: external_url("auth.invitation", token=token),
        )
    except ValidationError as error:
        return False, show_error(form, error)
    flash(_("Inbjudan är skickad till %(email)s.", email=invitation.email), "success")
    return True, None


@bp.route("/<int:association_id>/invitations/<int:invitation_id>/revoke", methods=["POST"])
def invitation_revoke(association_id: int, invitation_id: int):
    association = _own_association(association_id)
    invitation = _belongs_to(association, load(current_principal(), Invitation, invitation_id, "write"))
    if DeleteForm().validate_on_submit():
        try:
            revoke_invitation(actor_id=current_principal().user_id, invitation=invitation)
        except ValidationError as error:
            flash(error_message(error), "error")
        else:
            flash(_("Inbjudan är tillbakadragen."), "success")
    return redirect(url_for("association.members", association_id=association.id))


@bp.route("/<int:association_id>/members/<int:membership_id>/role", methods=["POST"])
def member_role(association_id: int, membership_id: int):
    association = _own_association(association_id)
    membership = _belongs_to(association, load(current_principal(), Membership, membership_id, "write"))
    form = RoleForm()
    if form.validate_on_submit():
        try:
            change_role(actor_id=current_principal().user_id, membership=membership, role=form.role.data)
        except ValidationError as error:
            flash(error_message(error), "error")
        else:
            flash(_("Rollen för %(name)s är sparad.", name=membership.user.name), "success")
    else:
        flash(_("Välj medlem eller samordnare."), "error")
    return redirect(url_for("association.members", association_id=association.id))


@bp.route("/<int:association_id>/members/<int:membership_id>/remove", methods=["POST"])
def member_remove(association_id: int, membership_id: int):
    association = _own_association(association_id)
    membership = _belongs_to(association, load(current_principal(), Membership, membership_id, "write"))
    if DeleteForm().validate_on_submit():
        name = membership.user.name
        try:
            remove_membership(actor_id=current_principal().user_id, membership=membership)
        except ValidationError as error:
            flash(error_message(error), "error")
        else:
            flash(_("%(name)s är borttagen ur föreningen.", name=name), "success")
    return redirect(url_for("association.members", association_id=association.id))
