"""The municipality's follow-up of a deviation (verify, reopen) and the once-only reminder when its fix-by date has
passed."""
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from skotsel.domain.errors import ValidationError
from skotsel.extensions import db
from skotsel.models import AuditEvent, Deviation, Notification
from skotsel.services.access import Forbidden, Principal
from skotsel.services.completions import fix_deviation
from skotsel.services.deviations import fix_own, remind_due_deviations, reopen, verify
from tests.smtp import smtp  # noqa: F401

NOW = datetime(2026, 6, 20, 10, 0, tzinfo=timezone.utc)
TODAY = date(2026, 6, 20)


def principal(user) -> Principal:
    db.session.refresh(user)
    return Principal.of(user)


@pytest.fixture
def raise_deviation(world):
    def raise_(status="open", *, agreement=None, site=None, fix_by_on=date(2026, 6, 15), **values):
        agreement = agreement or world.agreement_a
        deviation = Deviation(municipality_id=agreement.municipality_id, source="inspection",
                              agreement_id=agreement.id, site_id=(site or world.site_a).id,
                              description="Sanden behöver krattas", fix_by_on=fix_by_on, status=status, **values)
        db.session.add(deviation)
        db.session.commit()
        return deviation
    return raise_


def reload(deviation) -> Deviation:
    db.session.expire_all()
    return db.session.get(Deviation, deviation.id)


def test_the_whole_round_open_fixed_reopened_fixed_verified(world, raise_deviation):
    deviation = raise_deviation()
    fix_deviation(principal=principal(world.coordinator_a), deviation=deviation, now=NOW, today=TODAY,
                  note="Krattat")
    reopen(principal=principal(world.reviewer), deviation=reload(deviation), note="Fortfarande grus på gången",
           now=NOW)
    deviation = reload(deviation)
    assert (deviation.status, deviation.reopened_count) == ("reopened", 1)
    assert (deviation.fixed_note, deviation.fixed_at, deviation.fixed_by_id) == ("", None, None)
    assert deviation.description.endswith("Återöppnad 2026-06-20: Fortfarande grus på gången")

    fix_deviation(principal=principal(world.member_a), deviation=deviation, now=NOW, today=TODAY, note="Sopat")
    verify(principal=principal(world.admin), deviation=reload(deviation), note="", now=NOW)
    deviation = reload(deviation)
    assert (deviation.status, deviation.verified_by_id, deviation.reopened_count) == ("verified", world.admin.id, 1)
    assert deviation.verified_at == NOW
    assert deviation.fixed_note == "Sopat"


@pytest.mark.parametrize("reviewer_or_admin", ["reviewer", "admin"])
def test_staff_verify_a_fixed_deviation_with_a_note_and_it_is_audited(world, raise_deviation, reviewer_or_admin):
    user = getattr(world, reviewer_or_admin)
    deviation = raise_deviation("fixed")
    verify(principal=principal(user), deviation=deviation, note="Bra jobbat", now=NOW)
    deviation = reload(deviation)
    assert deviation.status == "verified" and deviation.verified_by_id == user.id
    assert "Verifierad 2026-06-20: Bra jobbat" in deviation.description
    event = db.session.scalar(select(AuditEvent).filter_by(object_type="Deviation", action="update"))
    assert event.actor_id == user.id and event.changes["status"] == ["fixed", "verified"]
    assert event.changes["note"] == [None, "Bra jobbat"]
    assert event.parent_type == "Agreement" and event.parent_id == world.agreement_a.id


def test_reopen_is_audited_with_its_note(world, raise_deviation):
    deviation = raise_deviation("fixed", fixed_note="Krattat", fixed_at=NOW, fixed_by_id=world.coordinator_a.id)
    reopen(principal=principal(world.reviewer), deviation=deviation, note="Inte krattat", now=NOW)
    event = db.session.scalar(select(AuditEvent).filter_by(object_type="Deviation", action="update"))
    assert event.changes["status"] == ["fixed", "reopened"]
    assert event.changes["reopened_count"] == ["0", "1"]
    assert event.changes["fixed_note"] == ["Krattat", ""]
    assert event.changes["note"] == [None, "Inte krattat"]


@pytest.mark.parametrize("note", ["", "   ", None])
def test_reopen_needs_a_note(world, raise_deviation, note):
    deviation = raise_deviation("fixed")
    with pytest.raises(ValidationError) as refused:
        reopen(principal=principal(world.reviewer), deviation=deviation, note=note, now=NOW)
    assert refused.value.message_sv == "Skriv varför avvikelsen återöppnas." and refused.value.field == "note"
    assert reload(deviation).status == "fixed"
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 0


@pytest.mark.parametrize(("status", "action", "message"), [
    ("open", verify, "En avvikelse som är öppen kan inte verifieras."),
    ("open", reopen, "En avvikelse som är öppen kan inte återöppnas."),
    ("reopened", verify, "En avvikelse som är återöppnad kan inte verifieras."),
    ("reopened", reopen, "En avvikelse som är återöppnad kan inte återöppnas."),
    ("verified", verify, "En avvikelse som är verifierad kan inte verifieras."),
    ("verified", reopen, "En avvikelse som är verifierad kan inte återöppnas."),
])
def test_illegal_moves_are_refused_and_change_nothing(world, raise_deviation, status, action, message):
    deviation = raise_deviation(status)
    with pytest.raises(ValidationError, match=message):
        action(principal=principal(world.reviewer), deviation=deviation, note="anteckning", now=NOW)
    assert reload(deviation).status == status
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 0


@pytest.mark.parametrize("who", ["coordinator_a", "member_a", "other_admin"])
@pytest.mark.parametrize("action", [verify, reopen])
def test_only_the_municipality_s_staff_verify_or_reopen(world, raise_deviation, who, action):
    deviation = raise_deviation("fixed")
    with pytest.raises(Forbidden):
        action(principal=principal(getattr(world, who)), deviation=deviation, note="Nej", now=NOW)
    assert reload(deviation).status == "fixed"


def test_the_association_cannot_fix_a_fixed_or_verified_deviation(world, raise_deviation):
    for status in ("fixed", "verified"):
        deviation = raise_deviation(status)
        with pytest.raises(ValidationError):
            fix_deviation(principal=principal(world.coordinator_a), deviation=deviation, now=NOW, today=TODAY,
                          note="Igen")


# --- the fix-by reminder ------------------------------------------------------------------------------------------


def subjects(smtp) -> list[tuple[str, str]]:
    return sorted((recipients[0], str(message["Subject"])) for message, recipients in zip(smtp.messages,
                                                                                          smtp.recipients))


def test_a_deviation_past_its_fix_by_date_is_reminded_to_the_coordinators_once(app, world, raise_deviation, smtp):
    deviation = raise_deviation("open", fix_by_on=date(2026, 6, 15))
    first = remind_due_deviations(today=TODAY, config=app.config, now=NOW)
    second = remind_due_deviations(today=TODAY, config=app.config, now=NOW)
    remind_due_deviations(today=date(2026, 6, 25), config=app.config, now=NOW)

    assert (first.sent, second.sent) == (1, 0)
    assert str(first) == "1 påminnelse om avvikelse skickad, 0 misslyckade, 0 försöks igen"
    assert [recipients for recipients in smtp.recipients] == [["samordnare@a.example"]]  # not the member
    [message] = smtp.messages
    assert str(message["Subject"]) == "Avvikelse att åtgärda: Park A – skulle vara klar 15 juni"
    text = message.get_body(("plain",)).get_content()
    assert "Sanden behöver krattas" in text
    assert f"{app.config['BASE_URL'].rstrip('/')}/workspace/deviations/{deviation.id}/fix" in text
    notification = db.session.scalar(select(Notification))
    assert (notification.kind, notification.key, notification.status) == (
        "deviation_due", f"deviation_due:{deviation.id}:{world.coordinator_a.id}", "sent")


@pytest.mark.parametrize(("status", "fix_by_on"), [
    ("open", TODAY),  # the fix-by day itself is still in time
    ("open", None),
    ("fixed", date(2026, 6, 1)),
    ("verified", date(2026, 6, 1)),
])
def test_no_reminder_while_in_time_or_once_fixed(app, world, raise_deviation, smtp, status, fix_by_on):
    raise_deviation(status, fix_by_on=fix_by_on)
    assert remind_due_deviations(today=TODAY, config=app.config, now=NOW).sent == 0
    assert smtp.messages == []


def test_a_reopened_deviation_past_its_date_is_reminded(app, world, raise_deviation, smtp):
    raise_deviation("reopened", fix_by_on=date(2026, 6, 1))
    assert remind_due_deviations(today=TODAY, config=app.config, now=NOW).sent == 1


def test_the_status_pass_job_sends_the_reminder_and_says_so(app, world, raise_deviation, smtp):
    from skotsel import jobs

    raise_deviation("open", fix_by_on=date(2026, 6, 1))
    db.session.remove()
    result = jobs.run_job(app, next(job for job in jobs.JOBS if job.id == "status-pass"), TODAY)
    assert "1 påminnelse om avvikelse skickad" in str(result)
    assert len(smtp.messages) == 1
    jobs.run_job(app, next(job for job in jobs.JOBS if job.id == "status-pass"), TODAY)
    assert len(smtp.messages) == 1


def test_the_municipality_fixes_its_own_sites_deviation_once_and_nobody_else_may(world, make):
    beach = make.site(world.home, None, name="Kommunens badplats")
    deviation = Deviation(municipality_id=world.home.id, source="report", site_id=beach.id, status="open",
                          description="Trasig stege")
    db.session.add(deviation)
    db.session.commit()
    with pytest.raises(Forbidden):
        fix_own(principal=principal(world.coordinator_a), deviation=deviation, note="Gjort", now=NOW)
    with pytest.raises(Forbidden):  # a completion-style fix needs an association to act for
        fix_deviation(principal=principal(world.admin), deviation=deviation, now=NOW, today=TODAY, note="Gjort")
    fix_own(principal=principal(world.reviewer), deviation=deviation, note="Ny stege", now=NOW)
    deviation = reload(deviation)
    assert (deviation.status, deviation.fixed_by_id, deviation.fixed_at) == ("fixed", world.reviewer.id, NOW)
    with pytest.raises(ValidationError, match="En avvikelse som är åtgärdad kan inte markeras som åtgärdad."):
        fix_own(principal=principal(world.reviewer), deviation=deviation, note="Igen", now=NOW)
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.object_id == deviation.id,
                                                                     AuditEvent.object_type == "Deviation")) == 1
