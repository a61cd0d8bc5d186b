"""GDPR: a person's own copy of their data, an admin's erasure of a person, and the händelselogg that never
changes."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import delete, func, select, update

from skotsel.domain.errors import ValidationError
from skotsel.extensions import db
from skotsel.models import (
    ApiToken, AuditEvent, Completion, Deviation, FeedToken, Inspection, Invitation, Membership, Notification,
    Occurrence, User,
)
from skotsel.models.audit import AuditLogIsImmutable
from skotsel.models.security import LoginAttempt, PasswordReset
from skotsel.services import api_tokens, feeds, gdpr
from skotsel.services.access import NotFound, Principal
from skotsel.services.completions import record_completion
from skotsel.services.schedule import regenerate
from skotsel.services.users import authenticate
from tests.conftest import PASSWORD

D = date.fromisoformat
TODAY = D("2026-06-10")
NOW = datetime(2026, 6, 10, 10, 0, tzinfo=timezone.utc)


def principal(user) -> Principal:
    db.session.refresh(user)
    return Principal.of(user)


def build_history(world) -> SimpleNamespace:
    """Mia Medlem (member of A) has logged work, fixed a deviation, been e-mailed and invited to B, and has a
    calendar link and an API token; Sam A (coordinator of A) and Gun Granskare have things of their own."""
    regenerate([world.task_a, world.task_b], today=TODAY)
    first, second = db.session.scalars(select(Occurrence).where(Occurrence.agreed_task_id == world.task_a.id)
                                       .order_by(Occurrence.due_on).limit(2)).all()
    mine = record_completion(principal=principal(world.member_a), occurrence=first, today=TODAY,
                             completed_on=first.due_on, notes="Klippt runt bänkarna", hours=Decimal("2.5"),
                             submission_key=None).completion
    theirs = record_completion(principal=principal(world.coordinator_a), occurrence=second, today=TODAY,
                               completed_on=TODAY, notes="Samordnarens eget", submission_key=None).completion
    fixed = Deviation(municipality_id=world.home.id, source="report", site_id=world.site_a.id,
                      agreement_id=world.agreement_a.id, description="Trasig bänk", status="fixed",
                      fixed_note="Lagad", fixed_at=NOW, fixed_by_id=world.member_a.id)
    inspection = Inspection(municipality_id=world.home.id, agreement_id=world.agreement_a.id,
                            inspected_on=TODAY, inspector_id=world.reviewer.id, notes="Granskarens besök")
    mail = Notification(municipality_id=world.home.id, key=f"reminder:{first.id}:{world.member_a.id}",
                        kind="reminder", user_id=world.member_a.id, recipient=world.member_a.email,
                        subject="Påminnelse: klippning", status="failed",
                        last_error=f"550 <{world.member_a.email}> mailbox full")
    other_mail = Notification(municipality_id=world.home.id, key=f"reminder:{first.id}:{world.coordinator_a.id}",
                              kind="reminder", user_id=world.coordinator_a.id, recipient=world.coordinator_a.email,
                              subject="Påminnelse till samordnaren", status="sent")
    invitation = Invitation(municipality_id=world.home.id, association_id=world.b.id, email=world.member_a.email,
                            name="Mia Medlem", role="member", token_hash="a" * 64, invited_by_id=world.coordinator_b.id,
                            expires_at=NOW + timedelta(days=7))
    reset = PasswordReset(user_id=world.member_a.id, token_hash="b" * 64, created_at=NOW,
                          expires_at=NOW + timedelta(hours=1))
    attempt = LoginAttempt(email=world.member_a.email, address="192.0.2.7", attempted_at=NOW)
    db.session.add_all([fixed, inspection, mail, other_mail, invitation, reset, attempt])
    db.session.commit()
    _feed, feed_token = feeds.create_token(principal=principal(world.member_a), kind="personal")
    _api, api_token = api_tokens.create_token(principal=principal(world.member_a), name="Mias mobil")
    api_tokens.create_token(principal=principal(world.coordinator_a), name="Samordnarens nyckel")
    return SimpleNamespace(mine=mine, theirs=theirs, fixed=fixed, inspection=inspection, mail=mail,
                           other_mail=other_mail, invitation=invitation, feed_token=feed_token, api_token=api_token,
                           occurrence=first)


@pytest.fixture
def history(world):
    return build_history(world)


# --- export --------------------------------------------------------------------------------------------------


def test_the_export_holds_the_persons_things_and_nobody_elses(world, history):
    data = gdpr.export_person(world.member_a)
    text = json.dumps(data, ensure_ascii=False)  # JSON-serialisable as it is
    assert data["profile"]["name"] == "Mia Medlem" and data["profile"]["email"] == "medlem@a.example"
    assert data["profile"]["wants_reminders"] is True
    assert data["memberships"] == [{"municipality": "Älmhult kommun", "association": "Hallaryds sockenråd",
                                    "role": "member", "since": data["memberships"][0]["since"]}]
    [completion] = data["completions"]
    assert completion["notes"] == "Klippt runt bänkarna" and completion["hours"] == "2.50"
    assert completion["completed_on"] == history.mine.completed_on.isoformat()
    assert completion["site"] == "Park A" and completion["task"] == "Klippning bruksgräsmatta"
    assert completion["your_part"] == ["performed"]
    [deviation] = data["deviations"]
    assert deviation["fixed_note"] == "Lagad" and deviation["your_part"] == ["fixed"]
    assert data["inspections"] == []
    [invitation] = data["invitations"]
    assert invitation["association"] == "Virestads hembygdsförening" and invitation["accepted_at"] is None
    [mail] = data["notifications"]
    assert mail["subject"] == "Påminnelse: klippning"
    assert [link["kind"] for link in data["calendar_links"]] == ["personal"]
    assert [token["name"] for token in data["api_tokens"]] == ["Mias mobil"]
    assert {event["object_type"] for event in data["audit_events"]} >= {"Completion", "FeedToken", "ApiToken"}
    assert [r["expires_at"] for r in data["password_resets"]] == [(NOW + timedelta(hours=1)).isoformat()]
    assert data["failed_sign_ins"] == [{"at": NOW.isoformat()}]
    # Nobody else's, and never a secret.
    for foreign in ("Samordnarens eget", "Påminnelse till samordnaren", "Samordnarens nyckel", "Granskarens besök",
                    "samordnare@a.example", "token_hash", "b" * 64, "192.0.2.7", history.feed_token,
                    history.api_token):
        assert foreign not in text
    for row in db.session.scalars(select(ApiToken)):
        assert row.token_hash not in text


def test_the_reviewer_export_has_their_inspection(world, history):
    data = gdpr.export_person(world.reviewer)
    assert [i["notes"] for i in data["inspections"]] == ["Granskarens besök"]
    assert data["completions"] == [] and data["memberships"][0]["role"] == "reviewer"


# --- erasure -------------------------------------------------------------------------------------------------


def test_erasure_keeps_the_work_and_removes_the_person(world, history):
    completions = db.session.scalar(select(func.count(Completion.id)))
    events = db.session.scalar(select(func.count(AuditEvent.id)))
    member_id = world.member_a.id
    gdpr.erase_person(principal=principal(world.admin), user=world.member_a, now=NOW)
    db.session.expire_all()
    user = db.session.get(User, member_id)
    assert user.name == "borttagen användare" and user.email == "borttagen-%d@invalid" % member_id
    assert user.password_hash is None and not user.is_active and user.locale is None
    assert not (user.wants_reminders or user.wants_coordinator_digest or user.wants_reviewer_digest)
    assert db.session.scalar(select(func.count(Completion.id))) == completions
    assert db.session.get(Completion, history.mine.id).user.name == "borttagen användare"
    assert db.session.get(Deviation, history.fixed.id).fixed_by.name == "borttagen användare"
    # Nothing identifies the person any longer.
    assert db.session.scalar(select(User).where(User.email == "medlem@a.example")) is None
    assert db.session.scalar(select(Membership).where(Membership.user_id == member_id)) is None
    assert db.session.scalar(select(Invitation).where(Invitation.email == "medlem@a.example")) is None
    assert db.session.scalar(select(FeedToken).where(FeedToken.user_id == member_id)) is None
    assert db.session.scalar(select(ApiToken).where(ApiToken.user_id == member_id)) is None
    assert db.session.scalar(select(PasswordReset).where(PasswordReset.user_id == member_id)) is None
    assert db.session.scalar(select(LoginAttempt).where(LoginAttempt.email == "medlem@a.example")) is None
    mail = db.session.get(Notification, history.mail.id)
    assert "medlem@a.example" not in mail.recipient + mail.last_error
    assert db.session.get(Notification, history.other_mail.id).recipient == "samordnare@a.example"
    # They cannot sign in, and their links and tokens no longer work.
    assert authenticate("medlem@a.example", PASSWORD) is None
    assert authenticate(user.email, PASSWORD) is None
    assert feeds.find(history.feed_token) is None
    assert api_tokens.find(history.api_token) is None
    # The log keeps every entry and records the erasure without the personal data.
    assert db.session.scalar(select(func.count(AuditEvent.id))) > events
    erasure = db.session.scalar(select(AuditEvent).where(AuditEvent.object_type == "User"))
    assert erasure.actor_id == world.admin.id and erasure.object_id == member_id
    for event in db.session.scalars(select(AuditEvent).where(AuditEvent.at == NOW)):
        assert "Mia" not in event.object_label and "medlem@a.example" not in json.dumps(event.changes)
    # The export of the erased account holds nothing personal.
    data = gdpr.export_person(user)
    assert data["memberships"] == data["calendar_links"] == data["api_tokens"] == data["invitations"] == []
    assert "medlem@a.example" not in json.dumps(data, ensure_ascii=False)


def test_who_may_erase(world, history):
    with pytest.raises(NotFound):
        gdpr.erase_person(principal=principal(world.other_admin), user=world.member_a, now=NOW)
    for who in (world.coordinator_a, world.reviewer, world.member_a):
        with pytest.raises(NotFound):
            gdpr.erase_person(principal=principal(who), user=world.coordinator_b, now=NOW)
    with pytest.raises(ValidationError):
        gdpr.erase_person(principal=principal(world.admin), user=world.admin, now=NOW)
    assert db.session.get(User, world.coordinator_b.id).name == "Sam B"


def test_a_person_with_a_role_in_another_municipality_is_not_erased_by_one_of_them(world, history):
    db.session.add(Membership(user_id=world.member_a.id, municipality_id=world.other.id, association_id=world.c.id,
                              role="member"))
    db.session.commit()
    assert not gdpr.erasable_by(principal(world.admin), world.member_a)
    with pytest.raises(ValidationError):
        gdpr.erase_person(principal=principal(world.admin), user=world.member_a, now=NOW)
    db.session.expire_all()
    assert db.session.get(User, world.member_a.id).email == "medlem@a.example"


# --- the händelselogg never changes -----------------------------------------------------------------------------


def test_an_audit_event_cannot_be_updated_or_deleted_through_the_orm(world, history):
    event = db.session.scalar(select(AuditEvent).limit(1))
    label = event.object_label
    event.object_label = "Omskrivet"
    with pytest.raises(AuditLogIsImmutable):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(AuditLogIsImmutable):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AuditLogIsImmutable):
        db.session.execute(update(AuditEvent).values(object_label="Omskrivet"))
    db.session.rollback()
    with pytest.raises(AuditLogIsImmutable):
        db.session.execute(delete(AuditEvent))
    db.session.rollback()
    assert db.session.get(AuditEvent, event.id).object_label == label
    # Adding to the log still works.
    db.session.add(AuditEvent(municipality_id=world.home.id, action="create", object_type="Village", object_id=1))
    db.session.commit()
