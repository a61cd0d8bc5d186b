"""Who belongs to an association: invitations by e-mail, accepting them, removing members."""
from __future__ import annotations

import hashlib
import secrets
import smtplib
from datetime import datetime, timedelta
from typing import Callable, Mapping

from sqlalchemy import select

from skotsel.domain.errors import ValidationError
from skotsel.extensions import db
from skotsel.models import Association, Invitation, Membership, User
from skotsel.models.users import ASSOCIATION_ROLES
from skotsel.services import audit, transaction
from skotsel.services.mail import send_mail
from skotsel.services.users import check_password_rules, find_user, normalise_email

ROLE_NAMES_SV = {"coordinator": "samordnare", "member": "medlem", "admin": "administratör", "reviewer": "granskare"}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _membership_label(membership: Membership) -> str:
    return f"{membership.user.name} <{membership.user.email}> som {ROLE_NAMES_SV[membership.role]}"


def invite_member(
    *,
    actor_id: int,
    association: Association,
    email: str,
    name: str,
    role: str,
    now: datetime,
    config: Mapping,
    link_for: Callable[[str], str],
) -> Invitation:
    """Create a one-use invitation and e-mail its link; nothing is saved if the mail cannot be sent."""
    email = normalise_email(email)
    if role not in ASSOCIATION_ROLES:
        raise ValidationError("Okänd roll.", "Unknown role.", field="role")
    existing = find_user(email)
    if existing is not None and db.session.scalar(
        select(Membership.id).where(Membership.user_id == existing.id, Membership.association_id == association.id)
    ):
        raise ValidationError(
            "Personen är redan med i föreningen.", "This person is already a member.", field="email"
        )
    token = secrets.token_urlsafe(32)
    with transaction():
        invitation = Invitation(
            municipality_id=association.municipality_id,
            association_id=association.id,
            email=email,
            name=name.strip(),
            role=role,
            token_hash=_hash(token),
            invited_by_id=actor_id,
            expires_at=now + timedelta(days=int(config["INVITATION_DAYS"])),
        )
        db.session.add(invitation)
        db.session.flush()
        body = (
            f"Hej {invitation.name}!\n\n"
            f"Du är inbjuden till {association.name} i skotsel som {ROLE_NAMES_SV[role]}.\n"
            f"Välj ditt lösenord här (länken gäller i {config['INVITATION_DAYS']} dagar och kan användas en gång):\n\n"
            f"{link_for(token)}\n\n"
            "Om du inte väntade dig detta kan du strunta i meddelandet.\n"
        )
        try:
            send_mail(config, to=email, subject=f"Inbjudan till {association.name} i skotsel", body=body)
        except (OSError, smtplib.SMTPException) as exc:
            raise ValidationError(
                "Inbjudan kunde inte skickas med e-post. Försök igen senare.",
                "The invitation e-mail could not be sent. Please try again later.",
            ) from exc
    return invitation


def pending_invitation(token: str, *, now: datetime) -> Invitation | None:
    """The unused, unexpired invitation behind a link, or None."""
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == _hash(token or "")))
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at <= now:
        return None
    return invitation


def accept_invitation(
    *, invitation: Invitation, name: str, password: str, now: datetime, min_password_length: int
) -> User:
    """Use the invitation: create the account (or reuse one) and add the membership. Works once."""
    user = find_user(invitation.email)
    if user is None or not user.password_hash:
        check_password_rules(password, min_length=min_password_length)
    with transaction():
        # Claim the invitation first so that two simultaneous clicks cannot both use it.
        claimed = db.session.execute(
            db.update(Invitation)
            .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None))
            .values(accepted_at=now)
        ).rowcount
        if claimed != 1:
            raise ValidationError("Inbjudan är redan använd.", "The invitation has already been used.")
        if user is None:
            user = User(email=invitation.email, name=name.strip() or invitation.name)
            db.session.add(user)
        if not user.password_hash:
            user.set_password(password)
        membership = Membership(
            user=user,
            municipality_id=invitation.municipality_id,
            association_id=invitation.association_id,
            role=invitation.role,
        )
        db.session.add(membership)
        db.session.flush()
        audit.record_create(
            actor_id=user.id, obj=membership, label=_membership_label(membership), fields=("role",)
        )
    return user


def remove_membership(*, actor_id: int, membership: Membership) -> None:
    """Take a person out of an association; their account stays for their other roles."""
    if membership.user_id == actor_id and membership.role == "coordinator":
        raise ValidationError(
            "Du kan inte ta bort dig själv som samordnare.", "You cannot remove yourself as coordinator."
        )
    with transaction():
        audit.record_delete(actor_id=actor_id, obj=membership, label=_membership_label(membership), fields=("role",))
        db.session.delete(membership)


def change_role(*, actor_id: int, membership: Membership, role: str) -> None:
    if role not in ASSOCIATION_ROLES or membership.association_id is None:
        raise ValidationError("Okänd roll.", "Unknown role.", field="role")
    with transaction():
        changes = audit.apply_changes(membership, {"role": role})
        if changes:
            audit.record(actor_id=actor_id, action="update", obj=membership,
                         label=_membership_label(membership), changes=changes)
