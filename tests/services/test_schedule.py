"""The stored plan: generating occurrences keeps their ids and completions, statuses come from one function, the
status pass raises deviations once, and an admin's excuse or move of one occurrence is checked and logged."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event, select

from skotsel.domain.errors import ValidationError
from skotsel.domain.recurrence import Quota, Recurrence, Season
from skotsel.domain.schedule import Status, compliance
from skotsel.extensions import db
from skotsel.models import AgreedTask, AuditEvent, Completion, Deviation, Occurrence
from skotsel.services.agreements import add_agreed_task, delete_agreed_task, update_agreed_task, update_agreement
from skotsel.services.schedule import (
    excuse_occurrence,
    extend_horizon,
    generate_for_agreement,
    move_occurrence,
    regenerate,
    restore_occurrence,
    state_of,
    states,
    status_pass,
)

D = date.fromisoformat
TODAY = D("2026-06-10")  # a Wednesday in the 2026 grass season
GRASS = Season.parse("05-15", "09-30")


def occurrences(task) -> list[Occurrence]:
    return list(db.session.scalars(
        select(Occurrence).where(Occurrence.agreed_task_id == task.id).order_by(Occurrence.planned_on)))


def by_planned(task) -> dict[date, Occurrence]:
    return {occurrence.planned_on: occurrence for occurrence in occurrences(task)}


def snapshot(task) -> dict[date, tuple]:
    return {o.planned_on: (o.id, o.due_on, o.window_starts_on, o.excused_reason, o.moved_reason)
            for o in occurrences(task)}


def complete(occurrence: Occurrence, on: date, user=None) -> Completion:
    task = occurrence.agreed_task
    completion = Completion(municipality_id=occurrence.municipality_id, occurrence_id=occurrence.id,
                            site_id=task.site_id, task_type_id=task.task_type_id, completed_on=on,
                            user_id=user.id if user else None)
    db.session.add(completion)
    db.session.commit()
    return completion


def task_values(task, rule: str | Quota, season=GRASS, **changes) -> dict:
    values = {"site_id": task.site_id, "task_type_id": task.task_type_id, "level_text": task.level_text,
              "rule": Recurrence.parse(rule) if isinstance(rule, str) else rule, "season": season,
              "reminder_lead_days": task.reminder_lead_days, "performed_by": task.performed_by,
              "deviation_when_missed": task.deviation_when_missed}
    values.update(changes)
    return values


def agreement_values(agreement, **changes) -> dict:
    names = ("title", "association_id", "starts_on", "ends_on", "status", "compensation_model",
             "compensation_amount", "compensation_cap", "signed_on", "notes")
    values = {name: getattr(agreement, name) for name in names}
    values.update(changes)
    return values


@pytest.fixture
def today(app, monkeypatch):
    """Pin the services' clock (add/update of agreed tasks read it) to TODAY."""
    monkeypatch.setitem(app.config, "TODAY", TODAY)
    return TODAY


# --- generation -------------------------------------------------------------------------------------------------

def test_generating_twice_changes_nothing_the_second_time(world):
    first = extend_horizon(today=TODAY)
    # Every other week in three seasons (2025, 2026, 2027) for tasks A, B and C; the horizon is 2027's season end.
    assert (first.tasks, first.created, first.deleted, first.updated) == (3, 90, 0, 0)
    before = snapshot(world.task_a)
    second = extend_horizon(today=TODAY)
    assert (second.created, second.deleted, second.updated, second.kept) == (0, 0, 0, 90)
    assert snapshot(world.task_a) == before
    third = regenerate([world.task_a, world.task_b], today=TODAY)
    assert (third.created, third.deleted, third.updated) == (0, 0, 0)
    assert snapshot(world.task_a) == before


def test_the_first_plan_is_the_whole_agreement_up_to_the_horizon(world, make):
    agreement = make.agreement(world.a, starts_on=D("2026-01-01"), ends_on=D("2029-12-31"))
    task = make.agreed_task(agreement, world.site_a, world.task_type)
    regenerate([task], today=TODAY)
    planned = occurrences(task)
    # The rest of the 2026 season and all of 2027's; 15 May 2027 is a Saturday, so the season's first Sunday is 16 May.
    assert planned[0].due_on == D("2026-05-17") and planned[-1].due_on == D("2027-09-19")
    assert {o.due_on.year for o in planned} == {2026, 2027}
    assert all(o.window_starts_on <= o.due_on == o.planned_on for o in planned)


def test_the_nightly_job_plans_the_next_season_when_its_horizon_moves_on(world, make):
    agreement = make.agreement(world.a, starts_on=D("2026-01-01"), ends_on=D("2029-12-31"))
    task = make.agreed_task(agreement, world.site_a, world.task_type)
    calls = []
    extend_horizon(today=TODAY, progress=calls.append)
    assert calls == [1, 1, 1, 1]  # one per agreement: A, B, C and the new one
    before = snapshot(task)
    assert extend_horizon(today=D("2026-11-15")).created == 0  # November: the horizon is still 2027's season
    summary = extend_horizon(today=D("2027-06-01"))
    after = snapshot(task)
    assert summary.deleted == 0 and {day: after[day] for day in before} == before
    assert max(after) == D("2028-09-24") and min(day for day in after if day.year == 2028) == D("2028-05-21")


def test_a_shorter_horizon_plans_the_same_dates_as_the_whole_season(world, make):
    agreement = make.agreement(world.a, starts_on=D("2026-01-01"), ends_on=D("2026-12-31"))
    quota = make.agreed_task(agreement, world.site_a, world.task_type, rrule=None, quota_count=6, quota_gap_days=14)
    yearly = make.agreed_task(agreement, world.site_a, world.task_type, rrule="FREQ=YEARLY")
    regenerate([quota, yearly], today=TODAY, until=D("2026-07-31"))
    early_quota, early_yearly = snapshot(quota), snapshot(yearly)
    summary = regenerate([quota, yearly], today=TODAY)
    assert (summary.deleted, summary.updated) == (0, 0)
    assert {day: snapshot(quota)[day] for day in early_quota} == early_quota
    assert sorted(snapshot(quota)) == [D(f"2026-{d}") for d in ("06-07", "06-30", "07-23", "08-15", "09-07", "09-30")]
    assert early_yearly == {} and list(snapshot(yearly)) == [D("2026-09-30")]


def test_a_draft_agreement_has_no_occurrences(world, make, today):
    draft = make.agreement(world.a, status="draft")
    task = make.agreed_task(draft, world.site_a, world.task_type)
    assert regenerate([task], today=TODAY).created == 0
    added = add_agreed_task(actor_id=world.admin.id, agreement=draft, **task_values(task, "FREQ=WEEKLY"))
    assert occurrences(task) == [] and occurrences(added) == []


def test_generate_now_is_logged_on_the_agreement(world):
    summary = generate_for_agreement(actor_id=world.admin.id, agreement=world.agreement_a, today=TODAY)
    assert summary.created == 30
    event_ = db.session.scalar(select(AuditEvent).filter_by(object_type="Agreement", object_id=world.agreement_a.id))
    assert event_.actor_id == world.admin.id
    assert event_.changes == {"schedule": [None, "1 avtalade moment: 30 nya tillfällen, 0 borttagna, 0 ändrade, "
                                                 "0 oförändrade"]}


# --- editing an agreed task -------------------------------------------------------------------------------------

OLD_2026 = ["05-17", "05-31", "06-14", "06-28", "07-12", "07-26", "08-09", "08-23", "09-06", "09-20"]
LAST_SUNDAYS_2026 = ["05-31", "06-28", "07-26", "08-30", "09-27"]


def test_editing_the_rule_replans_only_the_future_and_keeps_ids_and_completions(world, today):
    task = world.task_a
    regenerate([task], today=TODAY)
    before = snapshot(task)
    assert sorted(day for day in before if day.year == 2026) == [D(f"2026-{d}") for d in OLD_2026]
    done_ahead = complete(by_planned(task)[D("2026-07-12")], D("2026-06-09"))
    done_past = complete(by_planned(task)[D("2026-05-31")], D("2026-05-30"))

    update_agreed_task(actor_id=world.admin.id, task=task, **task_values(task, "FREQ=MONTHLY;BYDAY=-1SU"))

    after = snapshot(task)
    # The past is untouched, even the date the new rule no longer has (17 May).
    assert {day: row for day, row in after.items() if day < TODAY} == {
        day: row for day, row in before.items() if day < TODAY}
    future = sorted(day for day in after if TODAY <= day <= D("2026-12-31"))
    # The last Sunday of each month, and 12 July, which has a completion, kept though the new rule lacks it.
    assert future == [D(f"2026-{d}") for d in ("06-28", "07-12", "07-26", "08-30", "09-27")]
    assert after[D("2026-07-12")] == before[D("2026-07-12")]
    # Dates both rules have keep their id; their window follows the new rule.
    for day in ("06-28", "07-26"):
        assert after[D(f"2026-{day}")][0] == before[D(f"2026-{day}")][0]
    assert after[D("2026-06-28")][2] == D("2026-06-01")
    assert after[D("2026-08-30")][0] not in {row[0] for row in before.values()}
    assert D("2027-05-30") in after and after[D("2027-05-30")][0] == before[D("2027-05-30")][0]
    # The completions still belong to the same occurrences.
    db.session.refresh(done_ahead), db.session.refresh(done_past)
    assert done_ahead.occurrence_id == before[D("2026-07-12")][0]
    assert done_past.occurrence_id == before[D("2026-05-31")][0]
    assert db.session.scalar(select(db.func.count()).select_from(Completion)) == 2


def test_editing_back_and_forth_keeps_the_ids_of_every_date_both_plans_have(world, today):
    task = world.task_a
    regenerate([task], today=TODAY)
    before = snapshot(task)
    update_agreed_task(actor_id=None, task=task, **task_values(task, "FREQ=WEEKLY"))
    weekly = snapshot(task)
    assert all(weekly[day][0] == before[day][0] for day in before)  # every other Sunday is also a Sunday
    assert len([day for day in weekly if day.year == 2026 and day >= TODAY]) == 16  # 14 Jun–27 Sep
    update_agreed_task(actor_id=None, task=task, **task_values(task, "FREQ=WEEKLY;INTERVAL=2"))
    assert snapshot(task) == before


def test_an_occurrence_moved_by_an_admin_is_kept_by_regeneration(world):
    task = world.task_a
    regenerate([task], today=TODAY)
    occurrence = by_planned(task)[D("2026-06-28")]
    move_occurrence(actor_id=world.admin.id, occurrence=occurrence, due_on=D("2026-07-01"), reason="Midsommar")
    summary = regenerate([task], today=TODAY)
    assert (summary.created, summary.deleted, summary.updated) == (0, 0, 0)
    db.session.refresh(occurrence)
    assert (occurrence.due_on, occurrence.moved_reason) == (D("2026-07-01"), "Midsommar")


def test_ending_the_agreement_removes_the_future_without_completions(world, today):
    task = world.task_a
    regenerate([task], today=TODAY)
    before = snapshot(task)
    complete(by_planned(task)[D("2026-08-09")], D("2026-06-09"))
    update_agreement(actor_id=world.admin.id, agreement=world.agreement_a,
                     **agreement_values(world.agreement_a, status="ended"))
    after = snapshot(task)
    assert {day: row for day, row in after.items() if day < TODAY} == {
        day: row for day, row in before.items() if day < TODAY}
    assert [day for day in after if day >= TODAY] == [D("2026-08-09")]


def test_a_shorter_agreement_removes_what_falls_after_its_end(world, today):
    task = world.task_a
    regenerate([task], today=TODAY)
    update_agreement(actor_id=None, agreement=world.agreement_a,
                     **agreement_values(world.agreement_a, ends_on=D("2026-07-31")))
    assert max(snapshot(task)) == D("2026-07-26")


def test_a_task_added_to_a_running_agreement_is_planned_from_today(world, today):
    task = add_agreed_task(actor_id=world.admin.id, agreement=world.agreement_a,
                           **task_values(world.task_a, "FREQ=WEEKLY"))
    assert task.scheduled_from == TODAY
    planned = occurrences(task)
    assert (planned[0].window_starts_on, planned[0].due_on) == (TODAY, D("2026-06-14"))
    assert all(o.due_on >= TODAY for o in planned)
    assert not [s for s in states(planned, today=TODAY) if s.status is Status.MISSED]


def test_a_draft_made_active_after_its_start_is_planned_from_that_day(world, make, today):
    draft = make.agreement(world.a, status="draft", starts_on=D("2026-01-01"))
    task = make.agreed_task(draft, world.site_a, world.task_type, rrule="FREQ=WEEKLY")
    update_agreement(actor_id=world.admin.id, agreement=draft, **agreement_values(draft, status="active"))
    planned = occurrences(task)
    assert task.scheduled_from == TODAY and planned[0].due_on == D("2026-06-14")
    assert not [s for s in states(planned, today=TODAY) if s.status is Status.MISSED]


def test_a_task_left_out_of_an_update_keeps_its_deviation_choice(world, today):
    task = world.task_a
    task.deviation_when_missed = True
    db.session.commit()
    values = task_values(task, "FREQ=WEEKLY")
    del values["deviation_when_missed"]
    update_agreed_task(actor_id=None, task=task, **values)
    assert db.session.get(AgreedTask, task.id).deviation_when_missed is True


def test_an_agreed_task_with_completions_cannot_be_deleted(world):
    task = world.task_a
    regenerate([task], today=TODAY)
    count = len(occurrences(task))
    complete(by_planned(task)[D("2026-05-31")], D("2026-05-30"))
    with pytest.raises(ValidationError) as raised:
        delete_agreed_task(actor_id=world.admin.id, task=task)
    assert raised.value.message_sv.startswith("Momentet har utfört arbete rapporterat och kan inte tas bort.")
    assert db.session.get(AgreedTask, task.id) is not None and len(occurrences(task)) == count
    assert db.session.scalar(select(AuditEvent).filter_by(action="delete")) is None


def test_an_agreed_task_without_completions_is_deleted_with_its_occurrences(world):
    task_id = world.task_a.id
    regenerate([world.task_a], today=TODAY)
    delete_agreed_task(actor_id=world.admin.id, task=world.task_a)
    assert db.session.scalars(select(Occurrence).filter_by(agreed_task_id=task_id)).all() == []


# --- DST weeks --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sunday", [D("2026-03-29"), D("2026-10-25")], ids=["summer time", "winter time"])
def test_a_daily_task_has_one_occurrence_each_day_of_the_dst_week(world, make, sunday):
    agreement = make.agreement(world.a, starts_on=D("2026-01-01"), ends_on=D("2026-12-31"))
    task = make.agreed_task(agreement, world.site_a, world.task_type, rrule="FREQ=DAILY", season=None)
    weekly = make.agreed_task(agreement, world.site_a, world.task_type, rrule="FREQ=WEEKLY;BYDAY=SU", season=None)
    regenerate([task, weekly], today=sunday)
    week = [sunday + timedelta(days=n) for n in range(-6, 8)]
    daily = [o for o in occurrences(task) if week[0] <= o.due_on <= week[-1]]
    assert [o.due_on for o in daily] == week
    assert [o.planned_on for o in occurrences(weekly)].count(sunday) == 1
    before = snapshot(task)
    assert regenerate([task, weekly], today=sunday + timedelta(days=1)).created == 0
    assert snapshot(task) == before
    on_sunday = {s.occurrence.due_on: s.status for s in states(daily, today=sunday)}
    assert on_sunday[sunday - timedelta(days=3)] is Status.MISSED  # grace of two days ended on Saturday
    assert on_sunday[sunday - timedelta(days=2)] is Status.DUE
    assert on_sunday[sunday] is Status.DUE and on_sunday[sunday + timedelta(days=1)] is Status.UPCOMING
    sunday_occurrence = by_planned(weekly)[sunday]
    complete(sunday_occurrence, sunday)
    assert state_of(sunday_occurrence, today=sunday + timedelta(days=1)).status is Status.DONE


# --- statuses ---------------------------------------------------------------------------------------------------

@pytest.fixture
def planned(world):
    """The 2026 grass-season occurrence due Sunday 14 June, window from Monday 1 June, grace two days."""
    regenerate([world.task_a], today=TODAY)
    occurrence = by_planned(world.task_a)[D("2026-06-14")]
    assert occurrence.window_starts_on == D("2026-06-01") and world.task_type.grace_days == 2
    return occurrence


@pytest.mark.parametrize(("today_", "status", "overdue"), [
    ("2026-05-31", Status.UPCOMING, False),
    ("2026-06-01", Status.DUE, False),
    ("2026-06-14", Status.DUE, False),
    ("2026-06-16", Status.DUE, True),
    ("2026-06-17", Status.MISSED, False),
])
def test_the_status_of_an_occurrence_without_work(planned, today_, status, overdue):
    state = state_of(planned, today=D(today_))
    assert (state.status, state.overdue, state.on_time_until) == (status, overdue, D("2026-06-16"))


@pytest.mark.parametrize(("completed_on", "status"), [
    ("2026-06-03", Status.DONE), ("2026-06-16", Status.DONE), ("2026-06-17", Status.DONE_LATE)])
def test_the_status_of_an_occurrence_with_work(planned, completed_on, status):
    complete(planned, D(completed_on))
    state = state_of(planned, today=D("2026-07-01"))
    assert (state.status, state.completed_on, state.is_settled) == (status, D(completed_on), True)


def test_an_excused_occurrence_is_excused_and_never_missed(world, planned):
    excuse_occurrence(actor_id=world.admin.id, occurrence=planned, reason="Badplatsen stängd")
    assert state_of(planned, today=D("2026-06-10")).status is Status.EXCUSED
    assert state_of(planned, today=D("2026-12-01")).status is Status.EXCUSED


def test_the_grace_period_is_the_task_types(world, make):
    strict = make.task_type(world.home, "Kontroll livräddningsutrustning")
    strict.grace_days = 0
    lenient = make.task_type(world.home, "Ängsslåtter med upptag")
    lenient.grace_days = 7
    db.session.commit()
    tasks = [make.agreed_task(world.agreement_a, world.site_a, task_type) for task_type in (strict, lenient)]
    regenerate(tasks, today=TODAY)
    strict_one, lenient_one = (by_planned(task)[D("2026-06-14")] for task in tasks)
    assert [s.status for s in states([strict_one, lenient_one], today=D("2026-06-15"))] == [Status.MISSED,
                                                                                           Status.DUE]
    assert [s.status for s in states([strict_one, lenient_one], today=D("2026-06-21"))] == [Status.MISSED,
                                                                                           Status.DUE]
    assert [s.status for s in states([strict_one, lenient_one], today=D("2026-06-22"))] == [Status.MISSED,
                                                                                           Status.MISSED]
    complete(lenient_one, D("2026-06-21"))
    assert state_of(lenient_one, today=D("2026-06-30")).status is Status.DONE


@pytest.fixture
def quota(world, make):
    """Minst 6 gånger 15 maj–30 sep, minst 14 dagar isär, in an agreement for 2026."""
    agreement = make.agreement(world.a, starts_on=D("2026-01-01"), ends_on=D("2026-12-31"))
    task = make.agreed_task(agreement, world.site_a, world.task_type, rrule=None, quota_count=6, quota_gap_days=14)
    regenerate([task], today=TODAY)
    planned = occurrences(task)
    assert [o.due_on for o in planned] == [D(f"2026-{d}") for d in ("06-07", "06-30", "07-23", "08-15", "09-07",
                                                                     "09-30")]
    return planned


def test_quota_completions_count_when_spaced_not_when_on_the_suggested_dates(quota):
    # Logged against whichever occurrence: 10 May is before the season, 5 June too close to 1 June.
    for occurrence, day in zip(quota, ("05-10", "06-01", "06-05", "06-20", "07-10")):
        complete(occurrence, D(f"2026-{day}"))
    during = states(quota, today=D("2026-08-20"))
    assert [(s.status, s.completed_on) for s in during] == [
        (Status.DONE, D("2026-06-01")), (Status.DONE, D("2026-06-20")), (Status.DONE, D("2026-07-10")),
        (Status.DUE, None), (Status.DUE, None), (Status.UPCOMING, None)]
    # The fourth's suggested date has passed, but it may be done until the season ends: overdue, not missed.
    # The sixth's window opens the day after the fifth's suggested date (8 September).
    assert [s.overdue for s in during] == [False, False, False, True, False, False]
    assert {s.on_time_until for s in during} == {D("2026-10-02")}
    after = states(quota, today=D("2026-10-03"))
    assert [s.status for s in after] == [Status.DONE] * 3 + [Status.MISSED] * 3
    assert compliance(s.status for s in after).rate == pytest.approx(0.5)


def test_a_quota_with_an_excused_occurrence_needs_one_less(world, quota):
    excuse_occurrence(actor_id=world.admin.id, occurrence=quota[1], reason="Badplatsen stängd i juni")
    for occurrence, day in zip(quota[:1] + quota[2:], ("06-01", "06-20", "07-10", "08-01", "08-20")):
        complete(occurrence, D(f"2026-{day}"))
    after = states(quota, today=D("2026-10-03"))
    assert [s.status for s in after] == [Status.DONE, Status.EXCUSED, Status.DONE, Status.DONE, Status.DONE,
                                         Status.DONE]
    assert compliance(s.status for s in after).rate == 1


def test_states_keeps_the_order_given_and_is_empty_for_nothing(world, planned):
    given = list(reversed(occurrences(world.task_a)))
    assert [s.occurrence for s in states(given, today=TODAY)] == given
    assert states([], today=TODAY) == []


def test_states_runs_as_many_queries_for_many_occurrences_as_for_few(world, make):
    agreement = make.agreement(world.a, starts_on=D("2026-01-01"), ends_on=D("2026-12-31"))
    quota_task = make.agreed_task(agreement, world.site_a, world.task_type, rrule=None, quota_count=6,
                                  quota_gap_days=14)
    weekly = make.agreed_task(world.agreement_a, world.site_a, world.task_type, rrule="FREQ=WEEKLY", season=None)
    tasks = [world.task_a, world.task_b, quota_task, weekly]
    regenerate(tasks, today=TODAY)
    for task in tasks:
        for occurrence in occurrences(task)[:3]:
            complete(occurrence, occurrence.due_on)
    every_id = [o.id for task in tasks for o in occurrences(task)]
    few_ids = [occurrences(world.task_a)[0].id, occurrences(quota_task)[0].id]
    assert len(every_id) > 200

    def count(ids: list[int]) -> int:
        db.session.expunge_all()
        loaded = db.session.scalars(select(Occurrence).where(Occurrence.id.in_(ids))).all()
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            found = states(loaded, today=TODAY)
            [(s.occurrence.agreed_task.task_type.grace_days, s.occurrence.agreed_task.agreement.title) for s in found]
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert len(found) == len(ids)
        return len(statements)

    assert count(every_id) == count(few_ids) <= 6


# --- the status pass --------------------------------------------------------------------------------------------

def test_the_status_pass_raises_one_deviation_per_missed_occurrence(world):
    world.task_a.deviation_when_missed = True
    db.session.commit()
    regenerate([world.task_a, world.task_b], today=TODAY)
    occurrence = by_planned(world.task_a)
    complete(occurrence[D("2026-05-31")], D("2026-05-31"))
    excuse_occurrence(actor_id=world.admin.id, occurrence=occurrence[D("2026-06-14")], reason="Skyfall")
    today = D("2026-07-01")
    # 17 May and 28 June are missed; 31 May is done, 14 June excused; task B does not ask for deviations;
    # 2025 is further back than the pass looks.
    summary = status_pass(today=today)
    assert (summary.missed, summary.deviations) == (2, 2)
    deviations = db.session.scalars(select(Deviation).order_by(Deviation.id)).all()
    assert [d.occurrence_id for d in deviations] == [occurrence[D("2026-05-17")].id, occurrence[D("2026-06-28")].id]
    first = deviations[0]
    assert (first.source, first.status, first.agreement_id, first.site_id, first.fix_by_on, first.municipality_id) \
        == ("missed_occurrence", "open", world.agreement_a.id, world.site_a.id, D("2026-07-15"), world.home.id)
    assert first.description == ("Klippning bruksgräsmatta på Park A skulle vara utfört senast 2026-05-17 men har "
                                 "inte rapporterats.")
    again = status_pass(today=today)
    assert (again.missed, again.deviations) == (0, 0)
    assert db.session.scalar(select(db.func.count()).select_from(Deviation)) == 2
    assert status_pass(today=D("2026-07-14")).deviations == 0  # 12 July: the last day of grace
    assert status_pass(today=D("2026-07-15")).deviations == 1


def test_the_status_pass_catches_a_missed_quota_after_its_season(world, quota):
    quota[0].agreed_task.deviation_when_missed = True
    db.session.commit()
    complete(quota[0], D("2026-06-01"))
    complete(quota[5], D("2026-09-20"))
    assert status_pass(today=D("2026-09-30")).deviations == 0  # the season is not over
    # 10 October: the first suggested date (7 June) is more than the 120 days' look-back ago, but a quota is
    # missed only when its season ends. Two done: the third to sixth are missed.
    summary = status_pass(today=D("2026-10-10"))
    assert summary.deviations == 4
    assert set(db.session.scalars(select(Deviation.occurrence_id))) == {o.id for o in quota[2:]}


def test_the_status_pass_looks_back_a_season_for_quotas(world, quota):
    quota[0].agreed_task.deviation_when_missed = True
    db.session.commit()
    assert status_pass(today=D("2026-10-10")).deviations == 6


# --- excuse, restore and move -----------------------------------------------------------------------------------

def events(occurrence) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).filter_by(object_type="Occurrence", object_id=occurrence.id)
                                   .order_by(AuditEvent.id)))


def test_excuse_and_restore_are_logged(world, planned):
    excuse_occurrence(actor_id=world.admin.id, occurrence=planned, reason="  Badplatsen stängd  ")
    assert planned.excused_reason == "Badplatsen stängd"
    restore_occurrence(actor_id=world.admin.id, occurrence=planned)
    assert planned.excused_reason is None and state_of(planned, today=TODAY).status is Status.DUE
    logged = events(planned)
    assert [(e.action, e.actor_id, e.changes) for e in logged] == [
        ("update", world.admin.id, {"excused_reason": [None, "Badplatsen stängd"]}),
        ("update", world.admin.id, {"excused_reason": ["Badplatsen stängd", None]})]
    assert (logged[0].parent_type, logged[0].parent_id) == ("Agreement", world.agreement_a.id)
    assert logged[0].object_label == "Klippning bruksgräsmatta på Park A 2026-06-14"
    restore_occurrence(actor_id=world.admin.id, occurrence=planned)  # nothing to restore: nothing logged
    assert len(events(planned)) == 2


def test_move_keeps_the_identity_and_opens_the_window_if_needed(world, planned):
    identity = (planned.id, planned.planned_on)
    move_occurrence(actor_id=world.admin.id, occurrence=planned, due_on=D("2026-05-30"), reason="Före midsommar")
    db.session.refresh(planned)
    assert (planned.id, planned.planned_on) == identity
    assert (planned.due_on, planned.window_starts_on, planned.moved_reason) == (
        D("2026-05-30"), D("2026-05-30"), "Före midsommar")
    assert events(planned)[0].changes == {"due_on": ["2026-06-14", "2026-05-30"],
                                          "moved_reason": [None, "Före midsommar"],
                                          "window_starts_on": ["2026-06-01", "2026-05-30"]}
    move_occurrence(actor_id=world.admin.id, occurrence=planned, due_on=D("2026-06-14"), reason="Tillbaka")
    assert (planned.due_on, planned.moved_reason) == (D("2026-06-14"), None)


def _completed(planned):
    complete(planned, D("2026-06-05"))
    return planned


@pytest.mark.parametrize(("action", "arguments", "message", "field"), [
    pytest.param("excuse", {"reason": ""}, "Skriv varför.", "reason", id="excuse without reason"),
    pytest.param("excuse", {"reason": "   "}, "Skriv varför.", "reason", id="excuse with blank reason"),
    pytest.param("excuse", {"reason": "x" * 501}, "Skriv högst 500 tecken.", "reason", id="excuse too long"),
    pytest.param("excuse_done", {"reason": "Regn"}, "Tillfället är redan utfört och kan inte strykas.", "reason",
                 id="excuse done"),
    pytest.param("move", {"due_on": None, "reason": "Regn"}, "Ange ett datum, t.ex. 2026-06-15.", "due_on",
                 id="move without date"),
    pytest.param("move", {"due_on": D("2026-06-20"), "reason": ""}, "Skriv varför.", "reason",
                 id="move without reason"),
    pytest.param("move", {"due_on": D("2026-06-20"), "reason": "x" * 501}, "Skriv högst 500 tecken.", "reason",
                 id="move reason too long"),
    pytest.param("move", {"due_on": D("2028-01-01"), "reason": "Regn"},
                 "Datumet ligger utanför avtalstiden 2025-01-01–2027-12-31.", "due_on", id="move after the agreement"),
    pytest.param("move", {"due_on": D("2024-12-31"), "reason": "Regn"},
                 "Datumet ligger utanför avtalstiden 2025-01-01–2027-12-31.", "due_on", id="move before the agreement"),
    pytest.param("move", {"due_on": D("2026-06-28"), "reason": "Regn"},
                 "Samma moment har redan ett tillfälle den dagen.", "due_on", id="move onto another occurrence"),
    pytest.param("move_done", {"due_on": D("2026-06-20"), "reason": "Regn"},
                 "Tillfället är redan utfört och kan inte flyttas.", "due_on", id="move done"),
])
def test_excuse_and_move_refuse_what_breaks_a_rule(world, planned, action, arguments, message, field):
    if action.endswith("_done"):
        _completed(planned)
    before = snapshot(world.task_a)
    call = excuse_occurrence if action.startswith("excuse") else move_occurrence
    with pytest.raises(ValidationError) as raised:
        call(actor_id=world.admin.id, occurrence=planned, **arguments)
    assert (raised.value.message_sv, raised.value.field) == (message, field)
    db.session.rollback()
    assert snapshot(world.task_a) == before and events(planned) == []


def test_moving_onto_a_date_of_another_task_is_allowed(world, make, planned):
    other = make.agreed_task(world.agreement_a, world.site_a, world.task_type, rrule="FREQ=WEEKLY;BYDAY=SA")
    regenerate([other], today=TODAY)
    move_occurrence(actor_id=world.admin.id, occurrence=planned, due_on=D("2026-06-20"), reason="Regn")
    assert planned.due_on == D("2026-06-20") and D("2026-06-20") in by_planned(other)


def test_a_new_occurrence_never_gets_the_id_of_a_deleted_one(world, today):
    """Ids are calendar UIDs: a replanned date must not reuse the id of an occurrence that was removed."""
    task = world.task_a
    regenerate([task], today=TODAY)
    before = {o.id for o in occurrences(task)}
    update_agreed_task(actor_id=None, task=task, **task_values(task, "FREQ=MONTHLY;BYDAY=-1SU"))
    after = {o.id for o in occurrences(task)}
    assert before - after and after - before, "some removed, some added"
    assert min(after - before) > max(before)
