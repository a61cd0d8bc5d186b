"""Inviting members by e-mail through a real local SMTP server, and accepting the link once."""
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest

from skotsel.extensions import db
from skotsel.models import AuditEvent, Invitation, Membership, User
from skotsel.services.memberships import invite_member
from tests.conftest import PASSWORD, login
from tests.smtp import closed_port, smtp  # noqa: F401

NEW_PASSWORD = "en-lång-lösenfras-för-test"
INVALID = "Inbjudan gäller inte"


def _members_url(world, association=None) -> str:
    return f"/association/{(association or world.a).id}/members"


def _invite_url(world, association=None) -> str:
    return f"/association/{(association or world.a).id}/invitations"


def _send(client, world, email="ny@a.example", name="Nora Ny", role="member"):
    return client.submit(_invite_url(world), {"name": name, "email": email, "role": role}, page=_members_url(world))


def _link_path(smtp) -> str:
    [link] = smtp.links()
    return urlsplit(link).path


def _invited(client, world, smtp, **values) -> str:
    """Invite as coordinator of A, sign out, and return the path of the link in the e-mail."""
    login(client, "samordnare@a.example")
    assert _send(client, world, **values).status_code == 302
    client.submit("/logout", page=_members_url(world))
    return _link_path(smtp)


def _accept(client, path, name="Nora Nyström", password=NEW_PASSWORD, confirm=None):
    return client.submit(path, {"name": name, "password": password,
                                "confirm": password if confirm is None else confirm})


def test_the_email_arrives_and_its_link_creates_an_account_that_can_sign_in(client, world, smtp):
    login(client, "samordnare@a.example")
    response = _send(client, world, role="coordinator")
    assert response.headers["Location"] == _members_url(world)
    assert "Inbjudan är skickad till ny@a.example." in client.get(_members_url(world)).get_data(as_text=True)
    [message] = smtp.messages
    assert message["To"] == "ny@a.example" and "Hallaryds sockenråd" in message["Subject"]
    link = smtp.links()[0]
    assert link.startswith("http://127.0.0.1:5000/invitation/")  # BASE_URL, whatever Host the request had
    client.submit("/logout", page=_members_url(world))

    page = client.get(urlsplit(link).path).get_data(as_text=True)
    assert "Gå med i Hallaryds sockenråd" in page and "samordnare" in page and "ny@a.example" in page
    assert 'value="Nora Ny"' in page
    response = _accept(client, urlsplit(link).path)
    assert response.headers["Location"] == f"/association/{world.a.id}/"
    assert "Välkommen till Hallaryds sockenråd!" in client.get(response.headers["Location"]).get_data(as_text=True)

    user = db.session.scalar(db.select(User).filter_by(email="ny@a.example"))
    assert user.name == "Nora Nyström"
    assert [(m.association_id, m.role) for m in user.memberships] == [(world.a.id, "coordinator")]
    assert db.session.scalar(db.select(AuditEvent).filter_by(object_type="Membership", action="create")) \
        .actor_id == user.id
    client.submit("/logout", page=f"/association/{world.a.id}/")
    login(client, "ny@a.example", NEW_PASSWORD)
    assert client.get(f"/association/{world.a.id}/members").status_code == 200


def test_the_link_works_only_once(client, world, smtp):
    path = _invited(client, world, smtp)
    assert _accept(client, path).status_code == 302
    client.submit("/logout", page=f"/association/{world.a.id}/")
    for response in (client.get(path), client.submit(path, {"name": "X", "password": NEW_PASSWORD})):
        assert response.status_code == 404
        assert INVALID in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(User.id)).filter_by(email="ny@a.example")) == 1


def test_an_expired_link_is_not_valid(client, world, smtp, app):
    tokens = []
    eight_days_ago = datetime.now(timezone.utc) - timedelta(days=8)
    invite_member(actor_id=world.coordinator_a.id, association=world.a, email="sen@a.example", name="Sen",
                  role="member", now=eight_days_ago, config=app.config,
                  link_for=lambda token: tokens.append(token) or f"http://localhost/invitation/{token}")
    response = client.get(f"/invitation/{tokens[0]}")
    assert response.status_code == 404 and INVALID in response.get_data(as_text=True)
    assert client.submit(f"/invitation/{tokens[0]}", {}).status_code == 404


@pytest.mark.parametrize("token", ["fel-token", "a" * 43])
def test_an_unknown_link_is_not_valid(client, world, token):
    response = client.get(f"/invitation/{token}")
    assert response.status_code == 404 and INVALID in response.get_data(as_text=True)


def test_a_revoked_link_is_not_valid(client, world, smtp):
    login(client, "samordnare@a.example")
    _send(client, world)
    invitation_id = db.session.scalar(db.select(Invitation.id))
    page = client.get(_members_url(world)).get_data(as_text=True)
    assert "Väntande inbjudningar" in page and "ny@a.example" in page and "Dra tillbaka" in page
    response = client.submit(f"/association/{world.a.id}/invitations/{invitation_id}/revoke",
                             page=_members_url(world), follow_redirects=True)
    assert "Inbjudan är tillbakadragen." in response.get_data(as_text=True)
    assert db.session.get(Invitation, invitation_id) is None
    client.submit("/logout", page=_members_url(world))
    assert client.get(_link_path(smtp)).status_code == 404


@pytest.mark.parametrize("values,message", [
    ({"password": "kort-lösen"}, "Lösenordet måste ha minst 12 tecken."),
    ({"confirm": "ett-annat-långt-lösen"}, "Lösenorden är olika."),
    ({"name": ""}, "Det här fältet är obligatoriskt."),
    ({"password": "", "confirm": ""}, "Det här fältet är obligatoriskt."),
])
def test_a_refused_form_shows_the_reason_on_the_field_and_saves_nothing(client, world, smtp, values, message):
    path = _invited(client, world, smtp)
    response = _accept(client, path, **values)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page and 'aria-invalid="true"' in page
    if values.get("name") != "":
        assert 'value="Nora Nyström"' in page
    assert db.session.scalar(db.select(User).filter_by(email="ny@a.example")) is None
    assert db.session.scalar(db.select(Invitation)).accepted_at is None
    assert _accept(client, path).status_code == 302  # the link still works once the form is right


def test_someone_with_an_account_joins_with_it_and_keeps_their_password(client, world, smtp):
    path = _invited(client, world, smtp, email="samordnare@b.example", name="Sam B")
    page = client.get(path).get_data(as_text=True)
    assert "Du har redan ett konto" in page and 'type="password"' not in page
    users_before = db.session.scalar(db.select(db.func.count(User.id)))
    response = client.submit(path, {})
    assert urlsplit(response.headers["Location"]).path == "/login"
    assert db.session.scalar(db.select(db.func.count(User.id))) == users_before
    roles = {(m.association_id, m.role) for m in db.session.get(User, world.coordinator_b.id).memberships}
    assert roles == {(world.b.id, "coordinator"), (world.a.id, "member")}
    login(client, "samordnare@b.example", PASSWORD)
    assert client.get(f"/association/{world.a.id}/members").status_code == 200
    assert client.get(path).status_code == 404


def test_a_signed_in_person_who_accepts_for_their_own_account_goes_straight_to_the_association(client, world, smtp):
    path = _invited(client, world, smtp, email="samordnare@b.example", name="Sam B")
    login(client, "samordnare@b.example")
    response = client.submit(path, {})
    assert response.headers["Location"] == f"/association/{world.a.id}/"


@pytest.mark.parametrize("failure", ["unreachable", "refused"])
def test_when_the_mail_cannot_be_sent_nothing_is_saved_and_the_coordinator_is_told(client, world, smtp, app,
                                                                                   failure):
    login(client, "samordnare@a.example")
    if failure == "unreachable":
        app.config["MAIL_PORT"] = closed_port()
    else:
        smtp.refuse_recipients = True
    response = _send(client, world)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Inbjudan kunde inte skickas med e-post, så den är inte sparad." in page
    assert 'value="ny@a.example"' in page and 'value="Nora Ny"' in page
    assert db.session.scalar(db.select(Invitation)) is None


@pytest.mark.parametrize("values,message", [
    ({"name": ""}, "Det här fältet är obligatoriskt."),
    ({"email": ""}, "Det här fältet är obligatoriskt."),
    ({"email": "nora.exempel.se"}, "Ange en giltig e-postadress"),
    ({"email": "medlem@a.example"}, "Personen är redan med i föreningen."),
    ({"role": "admin"}, "Inte ett giltigt val"),
])
def test_a_refused_invitation_shows_the_reason_and_keeps_what_was_typed(client, world, smtp, values, message):
    login(client, "samordnare@a.example")
    data = {"name": "Nora Ny", "email": "ny@a.example", "role": "member", **values}
    response = client.submit(_invite_url(world), data, page=_members_url(world))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'aria-invalid="true"' in page
    assert message in page
    if data["email"]:
        assert f'value="{data["email"]}"' in page
    assert db.session.scalar(db.select(Invitation)) is None and smtp.messages == []


def test_a_second_invitation_to_the_same_address_replaces_the_first(client, world, smtp):
    login(client, "samordnare@a.example")
    _send(client, world)
    _send(client, world, role="coordinator")
    first, second = (urlsplit(smtp.links(message)[0]).path for message in smtp.messages)
    client.submit("/logout", page=_members_url(world))
    assert client.get(first).status_code == 404
    assert "samordnare" in client.get(second).get_data(as_text=True)


def test_a_member_cannot_invite(client, world, smtp):
    login(client, "medlem@a.example")
    page = client.get(_members_url(world)).get_data(as_text=True)
    assert "Skicka inbjudan" not in page and "Väntande inbjudningar" not in page
    response = client.post(_invite_url(world), data={"csrf_token": client.csrf_token(_members_url(world)),
                                                     "name": "Nora", "email": "ny@a.example", "role": "member"})
    assert response.status_code == 403
    assert db.session.scalar(db.select(Invitation)) is None and smtp.messages == []


def test_a_coordinator_of_another_association_cannot_invite_here(client, world, smtp):
    login(client, "samordnare@b.example")
    response = client.post(_invite_url(world), data={"csrf_token": client.csrf_token(_members_url(world, world.b)),
                                                     "name": "Nora", "email": "ny@a.example", "role": "member"})
    assert response.status_code == 404
    assert db.session.scalar(db.select(Invitation)) is None


def test_a_member_cannot_revoke_an_invitation(client, world, smtp):
    login(client, "samordnare@a.example")
    _send(client, world)
    client.submit("/logout", page=_members_url(world))
    invitation_id = db.session.scalar(db.select(Invitation.id))
    login(client, "medlem@a.example")
    response = client.submit(f"/association/{world.a.id}/invitations/{invitation_id}/revoke",
                             page=_members_url(world))
    assert response.status_code == 403
    assert db.session.get(Invitation, invitation_id) is not None


def test_accepting_adds_nothing_to_another_association(client, world, smtp):
    path = _invited(client, world, smtp)
    _accept(client, path)
    assert client.get(f"/association/{world.b.id}/").status_code == 404
    assert db.session.scalar(db.select(db.func.count(Membership.id)).filter_by(association_id=world.b.id)) == 1
