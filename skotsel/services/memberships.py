"""Who belongs to an association: invitations by e-mail, accepting them, changing roles, removing members."""
from __future__ import annotations

import smtplib
from datetime import datetime, timedelta
from typing import Callable, Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import select

from skotsel.domain.errors import ValidationError
from skotsel.extensions import db
from skotsel.models import Association, Invitation, Membership, User
from skotsel.models.users import ASSOCIATION_ROLES
from skotsel.services import audit, transaction
from skotsel.services.mail import send_mail
from skotsel.services.secret_tokens import find_by_token, hash_token, new_token
from skotsel.services.users import check_password_rules, find_user, is_email_address, normalise_email

ROLE_NAMES_SV = {"coordinator": "samordnare", "member": "medlem", "admin": "administratör", "reviewer": "granskare"}
MEMBERSHIP_FIELDS = ("role",)
INVITATION_FIELDS = ("email", "name", "role", "expires_at")
# Enough to catch typos and stray spaces; whether the address exists only the e-mail itself can tell.
_LOCAL_TIME = ZoneInfo("Europe/Stockholm")


def _membership_label(membership: Membership) -> str:
    return f"{membership.user.name} <{membership.user.email}> som {ROLE_NAMES_SV[membership.role]}"


def _invitation_label(invitation: Invitation) -> str:
    return f"Inbjudan till {invitation.name} <{invitation.email}> som {ROLE_NAMES_SV[invitation.role]}"


def _is_member(user: User, association_id: int) -> bool:
    return db.session.scalar(
        select(Membership.id).where(Membership.user_id == user.id, Membership.association_id == association_id)
    ) is not None


def _invitation_values(association: Association, email: str, name: str, role: str) -> tuple[str, str]:
    name = (name or "").strip()
    if not name:
        raise ValidationError("Ange personens namn.", "Enter the person's name.", field="name")
    if len(name) > 200:
        raise ValidationError("Namnet får vara högst 200 tecken.", "The name can be at most 200 characters.",
                              field="name")
    email = normalise_email(email)
    if not is_email_address(email):
        raise ValidationError("Ange en giltig e-postadress, till exempel namn@exempel.se.",
                              "Enter a valid e-mail address, for example name@example.com.", field="email")
    if role not in ASSOCIATION_ROLES:
        raise ValidationError("Välj medlem eller samordnare.", "Choose member or coordinator.", field="role")
    existing = find_user(email)
    if existing is not None and _is_member(existing, association.id):
        raise ValidationError("Personen är redan med i föreningen.", "This person is already a member.",
                              field="email")
    return email, name


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
    """Create a one-use invitation and e-mail its link; nothing is saved if the mail cannot be sent.

    A new invitation to an address replaces the one still waiting for it, so only the latest link works.
    """
    email, name = _invitation_values(association, email, name, role)
    token = new_token()
    days = int(config["INVITATION_DAYS"])
    with transaction():
        earlier = db.session.scalars(select(Invitation).where(
            Invitation.association_id == association.id, Invitation.email == email, Invitation.accepted_at.is_(None),
        )).all()
        for old in earlier:
            audit.record_delete(actor_id=actor_id, obj=old, label=_invitation_label(old), fields=INVITATION_FIELDS,
                                parent=association)
            db.session.delete(old)
        invitation = Invitation(
            municipality_id=association.municipality_id,
            association_id=association.id,
            email=email,
            name=name,
            role=role,
            token_hash=hash_token(token),
            invited_by_id=actor_id,
            expires_at=now + timedelta(days=days),
        )
        db.session.add(invitation)
        db.session.flush()
        audit.record_create(actor_id=actor_id, obj=invitation, label=_invitation_label(invitation),
                            fields=INVITATION_FIELDS, parent=association)
        valid_until = invitation.expires_at.astimezone(_LOCAL_TIME).strftime("%Y-%m-%d %H:%M")
        body = (
            f"Hej {name}!\n\n"
            f"Du är inbjuden till {association.name} i skotsel som {ROLE_NAMES_SV[role]}.\n"
            f"Öppna länken för att gå med. Den gäller till {valid_until} och kan användas en gång:\n\n"
            f"{link_for(token)}\n\n"
            "Om du inte väntade dig detta kan du strunta i meddelandet.\n"
        )
        try:
            send_mail(config, to=email, subject=f"Inbjudan till {association.name} i skotsel", body=body,
                      municipality_id=association.municipality_id)
        except (OSError, smtplib.SMTPException) as exc:
            raise ValidationError(
                "Inbjudan kunde inte skickas med e-post, så den är inte sparad. Försök igen senare.",
                "The invitation e-mail could not be sent, so it was not saved. Please try again later.",
            ) from exc
    return invitation


def revoke_invitation(*, actor_id: int, invitation: Invitation) -> None:
    """Withdraw an invitation that has not been used; its link then leads nowhere."""
    if invitation.accepted_at is not None:
        raise ValidationError("Inbjudan är redan använd och kan inte dras tillbaka.",
                              "The invitation has already been used and cannot be withdrawn.")
    with transaction():
        audit.record_delete(actor_id=actor_id, obj=invitation, label=_invitation_label(invitation),
                            fields=INVITATION_FIELDS, parent=invitation.association)
        db.session.delete(invitation)


def pending_invitation(token: str, *, now: datetime) -> Invitation | None:
    """The unused, unexpired invitation behind a link, or None."""
    invitation = find_by_token(Invitation, token)
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at <= now:
        return None
    return invitation


def existing_account(invitation: Invitation) -> User | None:
    """The account that already signs in with the invited address: it joins as it is, password unchanged."""
    user = find_user(invitation.email)
    return user if user is not None and user.password_hash else None


def accept_invitation(
    *,
    invitation: Invitation,
    now: datetime,
    min_password_length: int,
    name: str | None = None,
    password: str | None = None,
) -> User:
    """Use the invitation: create the account (or reuse the existing one) and add the membership. Works once.

    An existing account keeps its name and password; `name` and `password` are only read for a new one.
    """
    user = find_user(invitation.email)
    needs_password = user is None or not user.password_hash
    if needs_password:
        name = (name or "").strip()
        if user is None and not name:
            raise ValidationError("Ange ditt namn.", "Enter your name.", field="name")
        check_password_rules(password or "", min_length=min_password_length)
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
            user = User(email=invitation.email, name=name)
            db.session.add(user)
        if needs_password:
            user.set_password(password)
        # Someone who joined by another route meanwhile keeps the role they have.
        if user.id is None or not _is_member(user, invitation.association_id):
            membership = Membership(
                user=user,
                municipality_id=invitation.municipality_id,
                association_id=invitation.association_id,
                role=invitation.role,
            )
            db.session.add(membership)
            db.session.flush()
            audit.record_create(actor_id=user.id, obj=membership, label=_membership_label(membership),
                                fields=MEMBERSHIP_FIELDS, parent=membership.association)
    return user


def remove_membership(*, actor_id: int, membership: Membership) -> None:
    """Take a person out of an association; their account stays for their other roles."""
    if membership.association_id is None:
        raise ValidationError("Bara roller i en förening kan tas bort här.",
                              "Only roles in an association can be removed here.")
    if membership.user_id == actor_id:
        raise ValidationError(
            "Du kan inte ta bort dig själv ur föreningen. Be en annan samordnare om det.",
            "You cannot remove yourself from the association. Ask another coordinator.",
        )
    with transaction():
        audit.record_delete(actor_id=actor_id, obj=membership, label=_membership_label(membership),
                            fields=MEMBERSHIP_FIELDS, parent=membership.association)
        db.session.delete(membership)


def change_role(*, actor_id: int, membership: Membership, role: str) -> None:
    """Make a member coordinator or the other way round; nobody changes their own role."""
    if role not in ASSOCIATION_ROLES or membership.association_id is None:
        raise ValidationError("Välj medlem eller samordnare.", "Choose member or coordinator.", field="role")
    if membership.user_id == actor_id:
        raise ValidationError("Du kan inte ändra din egen roll. Be en annan samordnare om det.",
                              "You cannot change your own role. Ask another coordinator.", field="role")
    with transaction():
        changes = audit.apply_changes(membership, {"role": role})
        if changes:
            audit.record(actor_id=actor_id, action="update", obj=membership,
                         label=_membership_label(membership), changes=changes, parent=membership.association)
