"""Admin pages for the municipality's people: who has which role, and erasing a person's personal data (GDPR)."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from skotsel.domain.errors import ValidationError
from skotsel.extensions import db
from skotsel.models import AuditEvent, Membership, User
from skotsel.services import clock, gdpr
from skotsel.services.access import Forbidden, NotFound, visible
from skotsel.web import current_principal
from skotsel.web.admin import bp, is_admin, municipality_id
from skotsel.web.forms import DeleteForm, show_error


def _admins_only() -> None:
    # E-mail addresses and erasure: the admins' page, not the reviewers'.
    if not is_admin():
        raise Forbidden("people")


def _person(user_id: int) -> User:
    """A person with a role in this municipality (staff, or in one of its associations); NotFound otherwise."""
    user = db.session.scalar(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(User.id == user_id, Membership.municipality_id == municipality_id())
        .options(selectinload(User.memberships).joinedload(Membership.association)))
    if user is None:
        raise NotFound(f"User {user_id}")
    return user


@bp.route("/people")
def people():
    _admins_only()
    mid = municipality_id()
    users = db.session.scalars(
        select(User).where(User.id.in_(select(Membership.user_id).where(Membership.municipality_id == mid)))
        .options(selectinload(User.memberships).joinedload(Membership.association))
        .order_by(User.name, User.id)).all()
    rows = [(user, [m for m in user.memberships if m.municipality_id == mid]) for user in users]
    # The erasures themselves, from the händelselogg (which keeps them without the personal data).
    erasures = db.session.scalars(
        visible(current_principal(), AuditEvent)
        .where(AuditEvent.municipality_id == mid, AuditEvent.object_type == "User", AuditEvent.action == "delete")
        .options(joinedload(AuditEvent.actor)).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())).all()
    return render_template("admin/people/list.html", rows=rows, events=erasures)


@bp.route("/people/<int:user_id>/erase", methods=["GET", "POST"])
def person_erase(user_id: int):
    _admins_only()
    principal = current_principal()
    person = _person(user_id)
    form = DeleteForm()
    message = None
    if form.validate_on_submit():
        try:
            gdpr.erase_person(principal=principal, user=person, now=clock.now())
        except ValidationError as error:
            message = show_error(form, error)
        else:
            flash(_("Personuppgifterna är raderade. Det rapporterade arbetet finns kvar som "
                    "”borttagen användare”."), "success")
            return redirect(url_for("admin.people"))
    memberships = [m for m in person.memberships if m.municipality_id == municipality_id()]
    return render_template("admin/people/erase.html", person=person, memberships=memberships, form=form,
                           message=message, erasable=gdpr.erasable_by(principal, person),
                           is_self=person.id == principal.user_id)
