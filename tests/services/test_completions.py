"""Logging work: one occurrence, ad hoc, several at once and on behalf of a member; a repeated form never makes a
second completion; dates, hours and people are checked; edit and withdraw within the member's window, audited;
deviations marked fixed; and what "Mina uppgifter" lists."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from skotsel.domain.errors import ValidationError
from skotsel.domain.schedule import Status
from skotsel.extensions import db
from skotsel.models import AuditEvent, Completion, Deviation, Occurrence
from skotsel.services import completions as service
from skotsel.services.access import Forbidden, Principal
from skotsel.services.completions import (
    change_refusal,
    fix_deviation,
    record_ad_hoc,
    record_completion,
    record_many,
    update_completion,
    withdraw_completion,
    workload,
)
from skotsel.services.schedule import regenerate, state_of

D = date.fromisoformat
TODAY = D("2026-06-10")  # a Wednesday in the grass season
NOW = datetime(2026, 6, 10, 10, 0, tzinfo=timezone.utc)
KEY = "k" * 22
OTHER_KEY = "x" * 22
HOURS = 24


def occurrence_of(task, planned_on: date) -> Occurrence:
    return db.session.scalar(select(Occurrence).filter_by(agreed_task_id=task.id, planned_on=planned_on))


def count(model=Completion) -> int:
    return db.session.scalar(select(func.count(model.id)))


def principal(user) -> Principal:
    db.session.refresh(user)
    return Principal.of(user)


@pytest.fixture
def plan(world, make):
    """On 10 June 2026, Park A of association A: mowing every other week (due Sundays: 31 May, 14 June …; grace 2
    days) and a daily beach check in June; Park B of association B mowed the same way."""
    check_type = make.task_type(world.home, "Kontroll livräddningsutrustning")
    daily = make.agreed_task(world.agreement_a, world.site_a, check_type, rrule="FREQ=DAILY",
                             season=("06-01", "06-30"))
    regenerate([world.task_a, world.task_b, daily], today=TODAY)
    return SimpleNamespace(mowing=world.task_a, daily=daily, due=occurrence_of(world.task_a, D("2026-06-14")),
                           b_due=occurrence_of(world.task_b, D("2026-06-14")))


def log(world, occurrence, user=None, **values) -> service.Logged:
    values.setdefault("today", TODAY)
    values.setdefault("completed_on", TODAY)
    return record_completion(principal=principal(user or world.member_a), occurrence=occurrence, **values)


# --- one occurrence ------------------------------------------------------------------------------------------


def test_klart_records_today_by_the_member_and_audits_it_on_the_agreement(world, plan):
    logged = log(world, plan.due, submission_key=KEY)
    assert not logged.is_repeat
    completion = logged.completion
    assert (completion.completed_on, completion.user_id, completion.recorded_by_id) == (TODAY, world.member_a.id, None)
    assert completion.site_id == world.site_a.id and completion.task_type_id == world.task_type.id
    assert state_of(plan.due, today=TODAY).status is Status.DONE
    event = db.session.scalar(select(AuditEvent).filter_by(object_type="Completion", action="create"))
    assert (event.actor_id, event.parent_type, event.parent_id) == (world.member_a.id, "Agreement",
                                                                    world.agreement_a.id)
    assert event.changes["completed_on"] == [None, "2026-06-10"]
    assert event.changes["user_id"] == [None, "Mia Medlem"]


def test_the_same_form_sent_twice_makes_one_completion(world, plan):
    first = log(world, plan.due, submission_key=KEY)
    second = log(world, plan.due, submission_key=KEY)
    assert second.is_repeat and second.completion.id == first.completion.id
    assert count() == 1


def test_a_second_klart_on_a_done_occurrence_finds_the_first(world, plan):
    first = log(world, plan.due, submission_key=KEY)
    second = log(world, plan.due, world.coordinator_a, submission_key=OTHER_KEY, notes="igen")
    assert second.is_repeat and second.completion.id == first.completion.id
    assert count() == 1 and count(AuditEvent) == 1


def test_a_repeat_is_answered_even_when_the_details_would_now_be_refused(world, plan):
    log(world, plan.due, submission_key=KEY)
    again = log(world, plan.due, submission_key=KEY, completed_on=D("2030-01-01"))
    assert again.is_repeat and count() == 1


def test_a_form_key_used_for_another_occurrence_is_refused(world, plan):
    log(world, occurrence_of(plan.daily, D("2026-06-09")), submission_key=KEY)
    with pytest.raises(ValidationError, match="redan använts"):
        log(world, plan.due, submission_key=KEY)
    assert count() == 1


def test_a_concurrent_insert_that_wins_the_race_is_returned_not_a_server_error(world, plan, monkeypatch):
    winner = log(world, plan.due, world.coordinator_a, submission_key=OTHER_KEY).completion
    # The loser's check ran before the winner committed: it sees nothing and inserts; the unique index refuses it.
    monkeypatch.setattr(service, "_by_key_or_occurrence", lambda key, occurrence_id: None)
    logged = log(world, plan.due, submission_key=KEY)
    assert logged.is_repeat and logged.completion.id == winner.id
    assert count() == 1 and count(AuditEvent) == 1


@pytest.mark.parametrize("completed_on, message", [
    pytest.param(D("2026-06-11"), "Datumet kan inte vara i framtiden.", id="future"),
    pytest.param(D("2024-12-31"), "Datumet ligger före avtalets start 2025-01-01.", id="before-agreement"),
    pytest.param(D("2026-05-31"), "Arbete före 2026-06-01 räknas inte för det här tillfället.",
                 id="before-window"),
])
def test_dates_that_cannot_be_the_days_work_was_done_are_refused(world, plan, completed_on, message):
    with pytest.raises(ValidationError, match=message) as refused:
        log(world, plan.due, completed_on=completed_on)
    assert refused.value.field == "completed_on"
    assert count() == 0


def test_a_date_after_the_agreement_ended_is_refused(world, make):
    agreement = make.agreement(world.a, title="Kort avtal", starts_on=D("2026-01-01"), ends_on=D("2026-06-05"))
    task = make.agreed_task(agreement, world.site_a, world.task_type)
    regenerate([task], today=TODAY)
    occurrence = occurrence_of(task, D("2026-05-31"))
    with pytest.raises(ValidationError, match="Datumet ligger efter avtalets slut 2026-06-05."):
        log(world, occurrence, completed_on=D("2026-06-07"))


@pytest.mark.parametrize("values, field, message", [
    pytest.param({"hours": Decimal("-1")}, "hours", "Ange antal timmar mellan 0 och 1000.", id="hours-negative"),
    pytest.param({"hours": Decimal("1000.5")}, "hours", "Ange antal timmar mellan 0 och 1000.", id="hours-too-many"),
    pytest.param({"hours": "en timme"}, "hours", "Ange antal timmar som ett tal", id="hours-text"),
    pytest.param({"people": 0}, "people", "Ange antal personer mellan 1 och 500.", id="people-none"),
    pytest.param({"people": 501}, "people", "Ange antal personer mellan 1 och 500.", id="people-too-many"),
    pytest.param({"notes": "x" * 2001}, "notes", "Skriv högst 2000 tecken.", id="notes-too-long"),
])
def test_details_out_of_range_are_refused(world, plan, values, field, message):
    with pytest.raises(ValidationError, match=message) as refused:
        log(world, plan.due, **values)
    assert refused.value.field == field and count() == 0


def test_hours_with_a_decimal_comma_and_people_are_kept(world, plan):
    completion = log(world, plan.due, hours="1,5", people=3, notes="  Klippt och krattat ").completion
    assert (completion.hours, completion.people, completion.notes) == (Decimal("1.50"), 3, "Klippt och krattat")


def test_a_coordinator_logs_on_behalf_of_a_member(world, plan):
    completion = log(world, plan.due, world.coordinator_a, performed_by_id=world.member_a.id).completion
    assert (completion.user_id, completion.recorded_by_id) == (world.member_a.id, world.coordinator_a.id)


def test_a_member_cannot_log_on_behalf_of_someone_else(world, plan):
    with pytest.raises(ValidationError, match="Bara föreningens samordnare") as refused:
        log(world, plan.due, performed_by_id=world.coordinator_a.id)
    assert refused.value.field == "performed_by_id"


def test_a_coordinator_cannot_log_for_someone_outside_the_association(world, plan):
    with pytest.raises(ValidationError, match="Välj en medlem i föreningen."):
        log(world, plan.due, world.coordinator_a, performed_by_id=world.coordinator_b.id)


def test_another_associations_people_cannot_log_the_occurrence(world, plan):
    with pytest.raises(Forbidden):
        log(world, plan.due, world.coordinator_b)
    assert count() == 0


def test_a_task_the_municipality_carries_out_is_not_logged_by_the_association(world, plan):
    plan.mowing.performed_by = "municipality"
    db.session.commit()
    with pytest.raises(ValidationError, match="utförs av kommunen"):
        log(world, plan.due)


# --- ad hoc and several at once ------------------------------------------------------------------------------


def test_ad_hoc_work_is_a_completion_without_an_occurrence_audited_on_the_site(world, plan):
    logged = record_ad_hoc(principal=principal(world.member_a), site=world.site_a, today=TODAY,
                           completed_on=D("2026-06-09"), task_type_id=world.task_type.id, notes="Efter stormen",
                           hours=Decimal("3"), people=4, submission_key=KEY)
    completion = logged.completion
    assert completion.occurrence_id is None and completion.task_type_id == world.task_type.id
    assert (completion.completed_on, completion.people) == (D("2026-06-09"), 4)
    event = db.session.scalar(select(AuditEvent).filter_by(object_type="Completion"))
    assert (event.parent_type, event.parent_id) == ("Site", world.site_a.id)
    again = record_ad_hoc(principal=principal(world.member_a), site=world.site_a, today=TODAY,
                          completed_on=D("2026-06-09"), submission_key=KEY)
    assert again.is_repeat and count() == 1


@pytest.mark.parametrize("values, message", [
    pytest.param({"completed_on": None}, "Ange dagen då arbetet gjordes", id="no-date"),
    pytest.param({"completed_on": D("2026-06-11")}, "Datumet kan inte vara i framtiden.", id="future"),
    pytest.param({"completed_on": D("2024-06-01")}, "Datumet ligger före avtalets start 2025-01-01.", id="early"),
])
def test_ad_hoc_dates_are_checked(world, plan, values, message):
    with pytest.raises(ValidationError, match=message):
        record_ad_hoc(principal=principal(world.member_a), site=world.site_a, today=TODAY, **values)
    assert count() == 0


def test_ad_hoc_task_type_must_be_the_municipalitys(world, plan):
    with pytest.raises(ValidationError, match="Välj ett skötselmoment i listan.") as refused:
        record_ad_hoc(principal=principal(world.member_a), site=world.site_a, today=TODAY, completed_on=TODAY,
                      task_type_id=world.other_task_type.id)
    assert refused.value.field == "task_type_id"


def test_ad_hoc_on_another_associations_site_is_forbidden(world, plan):
    with pytest.raises(Forbidden):
        record_ad_hoc(principal=principal(world.member_a), site=world.site_b, today=TODAY, completed_on=TODAY)


def daily(plan, *days: str) -> list[Occurrence]:
    return [occurrence_of(plan.daily, D(day)) for day in days]


def test_several_occurrences_are_logged_each_on_its_due_date(world, plan):
    logged = record_many(principal=principal(world.member_a), task=plan.daily,
                         occurrences=daily(plan, "2026-06-08", "2026-06-09", "2026-06-10"), today=TODAY,
                         hours=Decimal("0.5"), submission_key=KEY)
    assert sorted(c.completed_on for c in logged.created) == [D("2026-06-08"), D("2026-06-09"), D("2026-06-10")]
    assert all(c.hours == Decimal("0.50") for c in logged.created)
    assert count(AuditEvent) == 3
    again = record_many(principal=principal(world.member_a), task=plan.daily,
                        occurrences=daily(plan, "2026-06-08", "2026-06-09", "2026-06-10"), today=TODAY,
                        submission_key=KEY)
    assert again.is_repeat and count() == 3


def test_several_occurrences_on_one_chosen_date(world, plan):
    logged = record_many(principal=principal(world.member_a), task=plan.daily,
                         occurrences=daily(plan, "2026-06-03", "2026-06-04"), today=TODAY,
                         completed_on=D("2026-06-07"))
    assert [c.completed_on for c in logged.created] == [D("2026-06-07")] * 2
    statuses = [state_of(o, today=TODAY).status for o in daily(plan, "2026-06-03", "2026-06-04")]
    assert statuses == [Status.DONE_LATE] * 2  # two days' grace had passed for both


@pytest.mark.parametrize("days, completed_on, message", [
    pytest.param(("2026-06-09", "2026-06-11"), None, "Tillfället med förfallodag 2026-06-11 har inte kommit än.",
                 id="due-date-ahead"),
    pytest.param(("2026-06-08", "2026-06-10"), D("2026-06-09"),
                 "Tillfället med förfallodag 2026-06-10: Arbete före 2026-06-10 räknas inte", id="before-window"),
    pytest.param((), None, "Välj minst ett tillfälle.", id="none-chosen"),
])
def test_several_at_once_is_all_or_nothing(world, plan, days, completed_on, message):
    with pytest.raises(ValidationError, match=message):
        record_many(principal=principal(world.member_a), task=plan.daily, occurrences=daily(plan, *days),
                    today=TODAY, completed_on=completed_on)
    assert count() == 0


def test_several_at_once_leaves_those_already_logged_as_they_were(world, plan):
    first = log(world, occurrence_of(plan.daily, D("2026-06-09")), completed_on=D("2026-06-09")).completion
    logged = record_many(principal=principal(world.coordinator_a), task=plan.daily,
                         occurrences=daily(plan, "2026-06-08", "2026-06-09"), today=TODAY)
    assert [c.completed_on for c in logged.created] == [D("2026-06-08")]
    assert [c.id for c in logged.existing] == [first.id] and count() == 2


def test_several_at_once_must_be_of_the_one_task(world, plan):
    with pytest.raises(ValidationError, match="samma skötselmoment"):
        record_many(principal=principal(world.member_a), task=plan.daily,
                    occurrences=[occurrence_of(plan.daily, D("2026-06-09")), plan.due], today=TODAY)


# --- edit and withdraw ---------------------------------------------------------------------------------------


def logged_hours_ago(world, plan, hours: float, user=None) -> Completion:
    completion = log(world, plan.due, user).completion
    completion.created_at = NOW - timedelta(hours=hours)
    db.session.commit()
    return completion


@pytest.mark.parametrize("who, hours_ago, allowed", [
    pytest.param("member_a", 23, True, id="member-own-23h"),
    pytest.param("member_a", 25, False, id="member-own-25h"),
    pytest.param("coordinator_a", 25 * 7, True, id="coordinator-any-time"),
    pytest.param("admin", 25 * 7, True, id="municipality-admin"),
])
def test_who_may_change_a_members_completion(world, plan, who, hours_ago, allowed):
    completion = logged_hours_ago(world, plan, hours_ago)
    refusal = change_refusal(principal(getattr(world, who)), completion, now=NOW, edit_hours=HOURS)
    assert (refusal is None) is allowed
    if not allowed:
        assert "för mer än 24 timmar sedan" in refusal.message_sv


def test_a_member_cannot_change_another_members_completion(world, plan, make):
    other = make.user("annan@a.example", role="member", association=world.a)
    completion = logged_hours_ago(world, plan, 1, other)
    refusal = change_refusal(principal(world.member_a), completion, now=NOW, edit_hours=HOURS)
    assert "bara ändra eller ta tillbaka utföranden som du själv har rapporterat" in refusal.message_sv


def test_a_reviewer_may_never_change_a_completion(world, plan):
    completion = logged_hours_ago(world, plan, 1)
    with pytest.raises(Forbidden):
        change_refusal(principal(world.reviewer), completion, now=NOW, edit_hours=HOURS)


def test_an_edit_is_checked_and_audited(world, plan):
    completion = logged_hours_ago(world, plan, 2)
    update_completion(principal=principal(world.member_a), completion=completion, now=NOW, today=TODAY,
                      edit_hours=HOURS, completed_on=D("2026-06-09"), notes="Klippt", hours=Decimal("2"), people=2)
    db.session.expire_all()
    completion = db.session.get(Completion, completion.id)
    assert (completion.completed_on, completion.notes, completion.hours, completion.people) == (
        D("2026-06-09"), "Klippt", Decimal("2.00"), 2)
    event = db.session.scalar(select(AuditEvent).filter_by(object_type="Completion", action="update"))
    assert event.changes["completed_on"] == ["2026-06-10", "2026-06-09"]
    assert event.changes["notes"] == ["", "Klippt"]
    assert (event.parent_type, event.parent_id) == ("Agreement", world.agreement_a.id)
    with pytest.raises(ValidationError, match="framtiden"):
        update_completion(principal=principal(world.member_a), completion=completion, now=NOW, today=TODAY,
                          edit_hours=HOURS, completed_on=D("2026-06-12"))


def test_an_edit_outside_the_window_is_refused(world, plan):
    completion = logged_hours_ago(world, plan, 25)
    with pytest.raises(ValidationError, match="för mer än 24 timmar sedan"):
        update_completion(principal=principal(world.member_a), completion=completion, now=NOW, today=TODAY,
                          edit_hours=HOURS, completed_on=TODAY, notes="sent")


def test_withdrawing_puts_the_occurrence_back_to_its_derived_status_and_is_audited(world, plan):
    completion = logged_hours_ago(world, plan, 1)
    assert state_of(plan.due, today=TODAY).status is Status.DONE
    withdraw_completion(principal=principal(world.member_a), completion=completion, now=NOW, edit_hours=HOURS)
    assert count() == 0
    assert state_of(plan.due, today=TODAY).status is Status.DUE
    assert state_of(plan.due, today=D("2026-06-20")).status is Status.MISSED
    event = db.session.scalar(select(AuditEvent).filter_by(object_type="Completion", action="delete"))
    assert event.changes["completed_on"] == ["2026-06-10", None] and event.actor_id == world.member_a.id


def test_a_coordinator_withdraws_an_old_completion(world, plan):
    completion = logged_hours_ago(world, plan, 24 * 30)
    withdraw_completion(principal=principal(world.coordinator_a), completion=completion, now=NOW, edit_hours=HOURS)
    assert count() == 0


# --- deviations ----------------------------------------------------------------------------------------------


@pytest.fixture
def deviation(world):
    deviation = Deviation(municipality_id=world.home.id, source="inspection", agreement_id=world.agreement_a.id,
                          site_id=world.site_a.id, description="Livbojen saknas", fix_by_on=D("2026-06-20"),
                          status="open")
    db.session.add(deviation)
    db.session.commit()
    return deviation


def test_a_member_marks_a_deviation_fixed_with_a_note(world, deviation):
    fix_deviation(principal=principal(world.member_a), deviation=deviation, now=NOW, today=TODAY,
                  note=" Ny livboj på plats ")
    db.session.expire_all()
    deviation = db.session.get(Deviation, deviation.id)
    assert (deviation.status, deviation.fixed_note, deviation.fixed_at, deviation.fixed_by_id) == (
        "fixed", "Ny livboj på plats", NOW, world.member_a.id)
    event = db.session.scalar(select(AuditEvent).filter_by(object_type="Deviation"))
    assert event.changes["status"] == ["open", "fixed"] and event.parent_type == "Agreement"


@pytest.mark.parametrize("status, note, message", [
    pytest.param("open", "  ", "Skriv vad som har gjorts.", id="no-note"),
    pytest.param("fixed", "Igen", "Avvikelsen är redan markerad som åtgärdad.", id="already-fixed"),
    pytest.param("verified", "Igen", "Avvikelsen är redan markerad som åtgärdad.", id="verified"),
])
def test_marking_fixed_is_refused(world, deviation, status, note, message):
    deviation.status = status
    db.session.commit()
    with pytest.raises(ValidationError, match=message):
        fix_deviation(principal=principal(world.member_a), deviation=deviation, now=NOW, today=TODAY, note=note)
    assert count(AuditEvent) == 0


def test_a_reopened_deviation_can_be_marked_fixed_again(world, deviation):
    deviation.status = "reopened"
    db.session.commit()
    fix_deviation(principal=principal(world.coordinator_a), deviation=deviation, now=NOW, today=TODAY, note="Klart")
    assert db.session.get(Deviation, deviation.id).status == "fixed"


def test_another_association_cannot_mark_it_fixed(world, deviation):
    with pytest.raises(Forbidden):
        fix_deviation(principal=principal(world.coordinator_b), deviation=deviation, now=NOW, today=TODAY, note="x")


# --- what the workspace lists --------------------------------------------------------------------------------


def test_the_workload_lists_open_deviations_overdue_first_then_due_then_upcoming(world, plan, make, deviation):
    done = Deviation(municipality_id=world.home.id, source="inspection", agreement_id=world.agreement_a.id,
                     site_id=world.site_a.id, description="Åtgärdad redan", status="fixed")
    water = make.task_type(world.home, "Badvattenprov")
    by_municipality = make.agreed_task(world.agreement_a, world.site_a, water, rrule="FREQ=WEEKLY;BYDAY=WE",
                                       season=("06-01", "06-30"))
    by_municipality.performed_by = "municipality"
    db.session.add(done)
    db.session.commit()
    regenerate([by_municipality], today=TODAY)
    me = principal(world.member_a)
    work = workload(me, sorted(me.associations), today=TODAY)
    assert [d.description for d in work.deviations] == ["Livbojen saknas"]
    due = [(s.occurrence.agreed_task_id, s.occurrence.due_on, s.overdue) for s in work.due]
    assert due == [(plan.daily.id, D("2026-06-08"), True), (plan.daily.id, D("2026-06-09"), True),
                   (plan.daily.id, D("2026-06-10"), False), (plan.mowing.id, D("2026-06-14"), False)]
    upcoming = {(s.occurrence.agreed_task_id, s.occurrence.due_on) for s in work.upcoming}
    assert (plan.daily.id, D("2026-06-24")) in upcoming and (plan.daily.id, D("2026-06-25")) not in upcoming
    assert all(s.status is Status.UPCOMING for s in work.upcoming)
    assert by_municipality.id not in {s.occurrence.agreed_task_id for s in work.due + work.upcoming}
    assert world.task_b.id not in {s.occurrence.agreed_task_id for s in work.due + work.upcoming}


def test_done_occurrences_and_draft_agreements_are_not_in_the_workload(world, plan):
    log(world, plan.due)
    world.agreement_a.status = "draft"
    db.session.commit()
    me = principal(world.member_a)
    work = workload(me, sorted(me.associations), today=TODAY)
    assert work.due == [] and work.upcoming == []
    world.agreement_a.status = "active"
    db.session.commit()
    work = workload(me, sorted(me.associations), today=TODAY)
    assert plan.due.id not in {state.occurrence.id for state in work.due}
