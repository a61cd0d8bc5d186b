"""Membership services: invitations sent through a real local SMTP server, accepting them once, roles, removal."""
from datetime import datetime, timedelta, timezone

import pytest

from skotsel.domain.errors import ValidationError
from skotsel.extensions import db
from skotsel.models import AuditEvent, Invitation, Membership, User
from skotsel.services.memberships import (
    accept_invitation,
    change_role,
    existing_account,
    invite_member,
    pending_invitation,
    remove_membership,
    revoke_invitation,
)
from tests.conftest import PASSWORD
from tests.smtp import closed_port, smtp  # noqa: F401

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
NEW_PASSWORD = "en-lång-lösenfras-för-test"


def _invite(app, world, email="ny@a.example", name="Nora Ny", role="member", now=NOW, association=None):
    """Invite through the service; return the invitation and the secret token from the link."""
    links = []

    def link_for(token):
        links.append(token)
        return f"http://localhost/invitation/{token}"

    invitation = invite_member(actor_id=world.coordinator_a.id, association=association or world.a, email=email,
                               name=name, role=role, now=now, config=app.config, link_for=link_for)
    return invitation, links[-1]


def _count(model) -> int:
    return db.session.scalar(db.select(db.func.count(model.id)))


def test_an_invitation_is_mailed_with_its_link_and_kept_only_as_a_hash(app, world, smtp):
    invitation, token = _invite(app, world, email=" Ny@A.example ")
    [message] = smtp.messages
    assert message["To"] == "ny@a.example"
    assert message["Subject"] == "Inbjudan till Hallaryds sockenråd i skotsel"
    body = message.get_content()
    assert f"http://localhost/invitation/{token}" in body
    assert "Hej Nora Ny!" in body and "som medlem" in body
    assert "gäller till 2026-03-09 10:30" in body  # seven days, shown in Swedish time
    assert invitation.expires_at == NOW + timedelta(days=7)
    assert token not in invitation.token_hash and invitation.invited_by_id == world.coordinator_a.id
    event = db.session.scalar(db.select(AuditEvent).filter_by(object_type="Invitation", action="create"))
    assert event.actor_id == world.coordinator_a.id and event.changes["email"] == [None, "ny@a.example"]


def test_the_validity_follows_the_invitation_days_setting(app, world, smtp):
    app.config["INVITATION_DAYS"] = 2
    try:
        invitation, _ = _invite(app, world)
    finally:
        app.config["INVITATION_DAYS"] = 7
    assert invitation.expires_at == NOW + timedelta(days=2)


@pytest.mark.parametrize("changes,field,message", [
    ({"name": "  "}, "name", "Ange personens namn."),
    ({"email": "inte-en-adress"}, "email", "Ange en giltig e-postadress"),
    ({"email": "två ord@a.example"}, "email", "Ange en giltig e-postadress"),
    ({"role": "admin"}, "role", "Välj medlem eller samordnare."),
    ({"email": "MEDLEM@a.example"}, "email", "Personen är redan med i föreningen."),
])
def test_a_broken_rule_saves_and_sends_nothing(app, world, smtp, changes, field, message):
    values = {"email": "ny@a.example", "name": "Nora Ny", "role": "member", **changes}
    with pytest.raises(ValidationError) as raised:
        _invite(app, world, **values)
    assert raised.value.field == field and raised.value.message_sv.startswith(message)
    assert _count(Invitation) == 0 and smtp.messages == []


@pytest.mark.parametrize("failure", ["unreachable", "refused"])
def test_when_the_mail_cannot_be_sent_the_invitation_is_not_saved(app, world, smtp, failure):
    if failure == "unreachable":
        app.config["MAIL_PORT"] = closed_port()
    else:
        smtp.refuse_recipients = True
    with pytest.raises(ValidationError) as raised:
        _invite(app, world)
    assert raised.value.message_sv.startswith("Inbjudan kunde inte skickas med e-post")
    assert _count(Invitation) == 0
    assert db.session.scalar(db.select(AuditEvent).filter_by(object_type="Invitation")) is None


def test_a_new_invitation_to_the_same_address_replaces_the_waiting_one(app, world, smtp):
    _, first = _invite(app, world)
    _, second = _invite(app, world, role="coordinator")
    assert pending_invitation(first, now=NOW) is None
    assert pending_invitation(second, now=NOW).role == "coordinator"
    assert _count(Invitation) == 1


def test_a_link_is_valid_until_it_expires(app, world, smtp):
    _, token = _invite(app, world)
    assert pending_invitation(token, now=NOW + timedelta(days=7) - timedelta(seconds=1)) is not None
    assert pending_invitation(token, now=NOW + timedelta(days=7)) is None
    assert pending_invitation("fel-token", now=NOW) is None
    assert pending_invitation("", now=NOW) is None


def test_accepting_creates_the_account_and_the_membership_once(app, world, smtp):
    invitation, token = _invite(app, world, role="coordinator")
    user = accept_invitation(invitation=invitation, now=NOW + timedelta(hours=1), min_password_length=12,
                             name=" Nora Nyström ", password=NEW_PASSWORD)
    assert user.name == "Nora Nyström" and user.check_password(NEW_PASSWORD)
    membership = db.session.scalar(db.select(Membership).filter_by(user_id=user.id))
    assert (membership.association_id, membership.role) == (world.a.id, "coordinator")
    assert invitation.accepted_at == NOW + timedelta(hours=1)
    event = db.session.scalar(db.select(AuditEvent).filter_by(object_type="Membership", action="create"))
    assert event.actor_id == user.id and event.object_id == membership.id
    assert event.changes == {"role": [None, "coordinator"]}
    assert pending_invitation(token, now=NOW) is None
    with pytest.raises(ValidationError, match="redan använd"):
        accept_invitation(invitation=invitation, now=NOW, min_password_length=12, name="X", password=NEW_PASSWORD)
    assert _count(Membership) == 6 + 1


@pytest.mark.parametrize("name,password,field,message", [
    ("Nora", "kort-lösen", "password", "Lösenordet måste ha minst 12 tecken."),
    ("Nora", "", "password", "Lösenordet måste ha minst 12 tecken."),
    ("  ", NEW_PASSWORD, "name", "Ange ditt namn."),
])
def test_a_refused_acceptance_saves_nothing_and_leaves_the_link_usable(app, world, smtp, name, password, field,
                                                                       message):
    invitation, token = _invite(app, world)
    with pytest.raises(ValidationError) as raised:
        accept_invitation(invitation=invitation, now=NOW, min_password_length=12, name=name, password=password)
    assert (raised.value.field, raised.value.message_sv) == (field, message)
    assert db.session.scalar(db.select(User).filter_by(email="ny@a.example")) is None
    assert pending_invitation(token, now=NOW) is not None


def test_an_existing_account_joins_as_it_is(app, world, smtp):
    invitation, _ = _invite(app, world, email="samordnare@b.example", name="Annat namn")
    assert existing_account(invitation) == world.coordinator_b
    users_before = _count(User)
    user = accept_invitation(invitation=invitation, now=NOW, min_password_length=12)
    assert user == world.coordinator_b and _count(User) == users_before
    assert user.name == "Sam B" and user.check_password(PASSWORD)
    roles = {(m.association_id, m.role) for m in user.memberships}
    assert roles == {(world.b.id, "coordinator"), (world.a.id, "member")}


def test_a_person_who_joined_meanwhile_keeps_their_role(app, world, smtp):
    first, _ = _invite(app, world, email="ny@a.example", role="coordinator")
    second, _ = _invite(app, world, email="ny@a.example", association=world.b)
    user = accept_invitation(invitation=first, now=NOW, min_password_length=12, name="Nora", password=NEW_PASSWORD)
    # A third invitation to a, written straight to the database as if two coordinators had clicked at once.
    third = Invitation(municipality_id=world.home.id, association_id=world.a.id, email="ny@a.example", name="Nora",
                       role="member", token_hash="x" * 64, expires_at=NOW + timedelta(days=1))
    db.session.add(third)
    db.session.commit()
    accept_invitation(invitation=third, now=NOW, min_password_length=12)
    accept_invitation(invitation=second, now=NOW, min_password_length=12)
    roles = {(m.association_id, m.role) for m in user.memberships}
    assert roles == {(world.a.id, "coordinator"), (world.b.id, "member")}


def test_revoking_removes_the_link_and_is_logged(app, world, smtp):
    invitation, token = _invite(app, world)
    revoke_invitation(actor_id=world.coordinator_a.id, invitation=invitation)
    assert pending_invitation(token, now=NOW) is None and _count(Invitation) == 0
    event = db.session.scalar(db.select(AuditEvent).filter_by(object_type="Invitation", action="delete"))
    assert event.actor_id == world.coordinator_a.id and "Nora Ny" in event.object_label


def test_a_used_invitation_cannot_be_revoked(app, world, smtp):
    invitation, _ = _invite(app, world)
    accept_invitation(invitation=invitation, now=NOW, min_password_length=12, name="Nora", password=NEW_PASSWORD)
    with pytest.raises(ValidationError, match="redan använd"):
        revoke_invitation(actor_id=world.coordinator_a.id, invitation=invitation)


def test_removing_a_member_is_logged_and_keeps_the_account(world):
    membership = world.member_a.memberships[0]
    membership_id = membership.id
    remove_membership(actor_id=world.coordinator_a.id, membership=membership)
    assert db.session.get(Membership, membership_id) is None
    assert db.session.get(User, world.member_a.id) is not None
    event = db.session.scalar(db.select(AuditEvent).filter_by(object_type="Membership", action="delete"))
    assert (event.actor_id, event.object_id) == (world.coordinator_a.id, membership_id)
    assert event.object_label == "Mia Medlem <medlem@a.example> som medlem"
    assert event.changes == {"role": ["member", None]}


@pytest.mark.parametrize("who", ["coordinator_a", "admin"])
def test_some_memberships_cannot_be_removed(world, who):
    membership = getattr(world, who).memberships[0]
    with pytest.raises(ValidationError):
        remove_membership(actor_id=getattr(world, who).id, membership=membership)
    assert db.session.get(Membership, membership.id) is not None


def test_changing_a_role_is_logged_with_old_and_new_value(world):
    membership = world.member_a.memberships[0]
    change_role(actor_id=world.coordinator_a.id, membership=membership, role="coordinator")
    assert membership.role == "coordinator"
    event = db.session.scalar(db.select(AuditEvent).filter_by(object_type="Membership", action="update"))
    assert event.changes == {"role": ["member", "coordinator"]} and event.actor_id == world.coordinator_a.id


@pytest.mark.parametrize("who,role,message", [
    ("member_a", "admin", "Välj medlem eller samordnare."),
    ("coordinator_a", "member", "Du kan inte ändra din egen roll. Be en annan samordnare om det."),
])
def test_a_role_change_can_be_refused(world, who, role, message):
    membership = getattr(world, who).memberships[0]
    with pytest.raises(ValidationError) as raised:
        change_role(actor_id=world.coordinator_a.id, membership=membership, role=role)
    assert (raised.value.field, raised.value.message_sv) == ("role", message)
    assert db.session.scalar(db.select(AuditEvent).filter_by(object_type="Membership")) is None
