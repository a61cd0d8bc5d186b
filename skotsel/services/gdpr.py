"""Personuppgifter (GDPR): a person's copy of everything skotsel holds about them, and an admin's erasure of a person.

Erasure keeps the work: completions, deviations, inspections and settlements stay, attributed to the same account,
which is now named "borttagen användare" and can never sign in again. What identifies the person — name, e-mail,
password, language, e-mail choices, roles, invitations to their address, calendar links, API tokens, the addresses
their e-mail went to — is removed or replaced.

The händelselogg is not rewritten: its entries are the municipality's record of who changed what (and are immutable,
see skotsel.models.audit). Entries made by the person now show "borttagen användare" as their actor, since the
name lives on the account; labels written at the time (for example "Anna <anna@example.org> som medlem") stay as
they were. The erasure itself is logged, without repeating the personal data.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import joinedload, selectinload

from skotsel.domain.errors import ValidationError
from skotsel.extensions import db
from skotsel.models import (
    ApiToken,
    AuditEvent,
    Completion,
    Deviation,
    FeedToken,
    IdempotencyRecord,
    Inspection,
    Invitation,
    Membership,
    Notification,
    Photo,
    Settlement,
    User,
)
from skotsel.services import transaction
from skotsel.services.access import NotFound, Principal
from skotsel.services.memberships import ROLE_NAMES_SV

try:  # sign-in security (failed sign-ins, password reset links), added alongside this module
    from skotsel.models.security import LoginAttempt, PasswordReset
except ImportError:  # pragma: no cover
    LoginAttempt = PasswordReset = None

#: What an erased person is called everywhere their work is shown.
ERASED_NAME = "borttagen användare"
#: Audit entries about memberships and invitations describe another person: their label and values are left out of
#: the actor's copy.
_ABOUT_OTHERS = ("Membership", "Invitation")


def erased_email(user_id: int) -> str:
    """The placeholder address of an erased account: unique, and never a deliverable or invitable address."""
    return f"borttagen-{user_id}@invalid"


def is_erased(user: User) -> bool:
    return user.email == erased_email(user.id)


# --- the person's own copy -------------------------------------------------------------------------------------


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value.astimezone(timezone.utc) if value.tzinfo else value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(**values: Any) -> dict:
    return {key: _json(value) for key, value in values.items()}


def _photo(photo: Photo) -> dict:
    return _row(id=photo.id, name=photo.original_name, content_type=photo.content_type, taken_at=photo.taken_at,
                lat=photo.lat, lon=photo.lon, uploaded_at=photo.created_at)


def export_person(user: User) -> dict:
    """Everything skotsel holds about `user`, as JSON-serialisable data (dates in ISO 8601)."""
    uid = user.id
    memberships = db.session.scalars(
        select(Membership).where(Membership.user_id == uid)
        .options(joinedload(Membership.municipality), joinedload(Membership.association))
        .order_by(Membership.id)).all()
    completions = db.session.scalars(
        select(Completion).where(or_(Completion.user_id == uid, Completion.recorded_by_id == uid))
        .options(joinedload(Completion.site), joinedload(Completion.task_type), selectinload(Completion.photos))
        .order_by(Completion.completed_on, Completion.id)).all()
    deviations = db.session.scalars(
        select(Deviation).where(or_(Deviation.fixed_by_id == uid, Deviation.verified_by_id == uid,
                                    Deviation.reporter_email == user.email))
        .options(joinedload(Deviation.site)).order_by(Deviation.id)).all()
    inspections = db.session.scalars(
        select(Inspection).where(Inspection.inspector_id == uid)
        .options(joinedload(Inspection.agreement)).order_by(Inspection.inspected_on, Inspection.id)).all()
    settlements = db.session.scalars(
        select(Settlement).where(Settlement.decided_by_id == uid)
        .options(joinedload(Settlement.agreement)).order_by(Settlement.id)).all()
    photos = db.session.scalars(select(Photo).where(Photo.uploaded_by_id == uid).order_by(Photo.id)).all()
    invitations = db.session.scalars(
        select(Invitation).where(Invitation.email == user.email)
        .options(joinedload(Invitation.association)).order_by(Invitation.id)).all()
    notifications = db.session.scalars(
        select(Notification).where(or_(Notification.user_id == uid, Notification.recipient == user.email))
        .order_by(Notification.id)).all()
    feed_tokens = db.session.scalars(
        select(FeedToken).where(FeedToken.user_id == uid)
        .options(joinedload(FeedToken.association), joinedload(FeedToken.site)).order_by(FeedToken.id)).all()
    api_tokens = db.session.scalars(select(ApiToken).where(ApiToken.user_id == uid).order_by(ApiToken.id)).all()
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.actor_id == uid).order_by(AuditEvent.at, AuditEvent.id)).all()
    resets = db.session.scalars(select(PasswordReset).where(PasswordReset.user_id == uid)
                                .order_by(PasswordReset.id)).all() if PasswordReset is not None else []
    attempts = db.session.scalars(select(LoginAttempt).where(LoginAttempt.email == user.email)
                                  .order_by(LoginAttempt.id)).all() if LoginAttempt is not None else []

    def completion_row(c: Completion) -> dict:
        roles = [role for role, who in (("performed", c.user_id), ("recorded", c.recorded_by_id)) if who == uid]
        return {**_row(id=c.id, completed_on=c.completed_on, task=c.task_type.name_sv if c.task_type else None,
                       site=c.site.name, notes=c.notes, hours=c.hours, people=c.people, logged_at=c.created_at),
                "your_part": roles, "photos": [photo.original_name for photo in c.photos]}

    def deviation_row(d: Deviation) -> dict:
        roles = [role for role, match in (("fixed", d.fixed_by_id == uid), ("verified", d.verified_by_id == uid),
                                          ("reported", d.reporter_email == user.email)) if match]
        return {**_row(id=d.id, site=d.site.name, description=d.description, status=d.status,
                       fixed_note=d.fixed_note if d.fixed_by_id == uid else None,
                       fixed_at=d.fixed_at if d.fixed_by_id == uid else None,
                       verified_at=d.verified_at if d.verified_by_id == uid else None,
                       reporter_email=d.reporter_email if d.reporter_email == user.email else None),
                "your_part": roles}

    def event_row(e: AuditEvent) -> dict:
        about_others = e.object_type in _ABOUT_OTHERS
        return _row(at=e.at, action=e.action, object_type=e.object_type, object_id=e.object_id,
                    label=None if about_others else e.object_label, changes=None if about_others else e.changes)

    return {
        "format": "skotsel-personuppgifter/1",
        "profile": _row(id=user.id, name=user.name, email=user.email, locale=user.locale, active=user.is_active,
                        wants_reminders=user.wants_reminders,
                        wants_coordinator_digest=user.wants_coordinator_digest,
                        wants_reviewer_digest=user.wants_reviewer_digest,
                        created_at=user.created_at, updated_at=user.updated_at),
        "memberships": [_row(municipality=m.municipality.name,
                             association=m.association.name if m.association else None, role=m.role,
                             since=m.created_at) for m in memberships],
        "completions": [completion_row(c) for c in completions],
        "photos": [_photo(photo) for photo in photos],
        "deviations": [deviation_row(d) for d in deviations],
        "inspections": [_row(id=i.id, inspected_on=i.inspected_on, agreement=i.agreement.title, notes=i.notes)
                        for i in inspections],
        "settlements": [_row(id=s.id, agreement=s.agreement.title, year=s.year, status=s.status,
                             decided_at=s.decided_at, reason=s.reason) for s in settlements],
        "invitations": [_row(association=i.association.name, name=i.name, email=i.email, role=i.role,
                             sent_at=i.created_at, expires_at=i.expires_at, accepted_at=i.accepted_at)
                        for i in invitations],
        "notifications": [_row(kind=n.kind, recipient=n.recipient, subject=n.subject, status=n.status,
                               created_at=n.created_at, sent_at=n.sent_at) for n in notifications],
        "calendar_links": [_row(kind=t.kind, association=t.association.name if t.association else None,
                                site=t.site.name if t.site else None, created_at=t.created_at,
                                last_used_at=t.last_used_at, revoked_at=t.revoked_at) for t in feed_tokens],
        "api_tokens": [_row(name=t.name, created_at=t.created_at, last_used_at=t.last_used_at,
                            revoked_at=t.revoked_at) for t in api_tokens],
        "audit_events": [event_row(e) for e in events],
        "password_resets": [_row(created_at=r.created_at, expires_at=r.expires_at, used_at=r.used_at)
                            for r in resets],
        # When someone failed to sign in with the address; where from is left out (it may be someone else).
        "failed_sign_ins": [_row(at=a.attempted_at) for a in attempts],
    }


# --- erasure -----------------------------------------------------------------------------------------------------


def erasable_by(principal: Principal, user: User) -> bool:
    """Whether the principal may erase `user`: an admin of every municipality where the person has a role."""
    municipalities = {m.municipality_id for m in user.memberships}
    return (principal.user_id is not None and principal.user_id != user.id and bool(municipalities)
            and municipalities <= principal.admin_of)


def _check_erasure(principal: Principal, user: User) -> set[int]:
    municipalities = {m.municipality_id for m in user.memberships}
    if principal.user_id is None or not municipalities & principal.admin_of:
        raise NotFound(f"User {user.id}")  # not one of this admin's people: as if it did not exist
    if principal.user_id == user.id:
        raise ValidationError("Du kan inte radera dina egna personuppgifter.",
                              "You cannot erase your own personal data.")
    if not municipalities <= principal.admin_of:
        raise ValidationError(
            "Personen har en roll i en annan kommun också. Den kommunen måste ta bort rollen först.",
            "The person also has a role in another municipality. That municipality must remove the role first.")
    return municipalities


def erase_person(*, principal: Principal, user: User, now: datetime) -> None:
    """Remove what identifies `user`, keeping their work under the name "borttagen användare"; one transaction."""
    municipalities = _check_erasure(principal, user)
    old_email = user.email
    placeholder = erased_email(user.id)
    with transaction():
        # Roles: gone, each removal logged on its association's page without the person's name or address.
        for membership in list(user.memberships):
            db.session.add(AuditEvent(
                municipality_id=membership.municipality_id, at=now, actor_id=principal.user_id, action="delete",
                object_type="Membership", object_id=membership.id,
                object_label=f"{ERASED_NAME} som {ROLE_NAMES_SV[membership.role]}",
                changes={"role": [membership.role, None]},
                parent_type="Association" if membership.association_id else None,
                parent_id=membership.association_id))
            user.memberships.remove(membership)
        # Invitations to the address (waiting or accepted): they hold the name and address.
        for invitation in db.session.scalars(select(Invitation).where(Invitation.email == old_email)):
            db.session.add(AuditEvent(
                municipality_id=invitation.municipality_id, at=now, actor_id=principal.user_id, action="delete",
                object_type="Invitation", object_id=invitation.id, object_label=f"Inbjudan till {ERASED_NAME}",
                changes={}, parent_type="Association", parent_id=invitation.association_id))
            db.session.delete(invitation)
        # Calendar links, API tokens and remembered API answers: deleted, so none of them works again.
        db.session.execute(delete(FeedToken).where(FeedToken.user_id == user.id))
        db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
        db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.user_id == user.id))
        if PasswordReset is not None:
            db.session.execute(delete(PasswordReset).where(PasswordReset.user_id == user.id))
            db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == old_email))
        # The e-mail that went to them: kept as a record of what was sent, without the address.
        for notification in db.session.scalars(select(Notification).where(
                or_(Notification.user_id == user.id, Notification.recipient == old_email))):
            notification.recipient = placeholder
            notification.last_error = (notification.last_error or "").replace(old_email, placeholder)
        # A resident's report sent from the same address: the address for updates goes.
        for deviation in db.session.scalars(select(Deviation).where(Deviation.reporter_email == old_email)):
            deviation.reporter_email = None
        user.name = ERASED_NAME
        user.email = placeholder
        user.password_hash = None
        user.is_active = False
        user.locale = None
        user.wants_reminders = False
        user.wants_coordinator_digest = False
        user.wants_reviewer_digest = False
        for municipality_id in sorted(municipalities):
            db.session.add(AuditEvent(
                municipality_id=municipality_id, at=now, actor_id=principal.user_id, action="delete",
                object_type="User", object_id=user.id,
                object_label=f"personuppgifterna för användare nr {user.id}",
                changes={}))
