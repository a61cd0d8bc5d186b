"""Skötseldagbok: the season log of an agreement against a fixture whose numbers are known by heart."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from skotsel.domain.schedule import Status
from skotsel.extensions import db
from skotsel.models import Completion, Occurrence, Photo
from skotsel.services.access import Principal
from skotsel.services.dagbok import season_log, season_period
from skotsel.services.schedule import regenerate

TODAY = date(2026, 8, 10)
TITLE = "Skötselavtal Hallaryd 2025–2027"


def occurrence_of(task, planned_on: date) -> Occurrence:
    return db.session.scalar(db.select(Occurrence).filter_by(agreed_task_id=task.id, planned_on=planned_on))


def add_completion(site, on: date, user, *, occurrence: Occurrence | None = None, task_type=None,
                   hours: str | None = None, people: int | None = None, notes: str = "", recorded_by=None,
                   photos: int = 0) -> Completion:
    completion = Completion(
        municipality_id=site.municipality_id, occurrence_id=occurrence.id if occurrence else None, site_id=site.id,
        task_type_id=task_type.id if task_type else None, completed_on=on, user_id=user.id,
        hours=Decimal(hours) if hours is not None else None, people=people, notes=notes,
        recorded_by_id=recorded_by.id if recorded_by else None,
    )
    db.session.add(completion)
    db.session.flush()
    for n in range(photos):
        db.session.add(Photo(municipality_id=site.municipality_id, completion_id=completion.id,
                             storage_key=f"c{completion.id}p{n}", content_type="image/jpeg", width=640, height=480,
                             size_bytes=1000, original_name=f"foto{n}.jpg", uploaded_by_id=user.id))
    db.session.commit()
    return completion


def build_season(world, make) -> SimpleNamespace:
    """Hallaryds sockenråd's agreement with two sites, seen on 10 August 2026.

    Badplatsen vid Helge å, beach cleaning on the 1st of June, July, August: 1 Jun done on time (2 h, 2 people,
    a note that looks like a formula), 1 Jul struck (algae), 1 Aug done 31 Jul (0.75 h); ad hoc litter picking on
    20 Jul (3 h, 4 people, 2 photos).
    Hembygdsparken, mowing on the 15th of May–September: 15 May done on time (2.5 h, 3 people, 1 photo), 15 Jun
    done late on 25 Jun (1.5 h, logged by the coordinator for the member), 15 Jul missed, 15 Aug due, 15 Sep
    upcoming.
    Not in the log: ad hoc work in 2025, and on a site of the association that is not in this agreement.
    """
    w = world
    agreement = make.agreement(w.a, title=TITLE)
    park = make.site(w.home, w.a, name="Hembygdsparken")
    beach = make.site(w.home, w.a, name="Badplatsen vid Helge å", kind="beach")
    cleaning = make.task_type(w.home, "Strandstädning")
    litter = make.task_type(w.home, "Skräpplockning")
    mowing = make.agreed_task(agreement, park, w.task_type, rrule="FREQ=MONTHLY;BYMONTHDAY=15",
                              season=("05-15", "09-30"))
    beach_task = make.agreed_task(agreement, beach, cleaning, rrule="FREQ=MONTHLY;BYMONTHDAY=1",
                                  season=("06-01", "08-31"))
    regenerate([mowing, beach_task], today=TODAY, until=date(2026, 12, 31))

    add_completion(beach, date(2026, 6, 1), w.coordinator_a, occurrence=occurrence_of(beach_task, date(2026, 6, 1)),
                   hours="2", people=2, notes='=HYPERLINK("http://evil.example","klicka")')
    struck = occurrence_of(beach_task, date(2026, 7, 1))
    struck.excused_reason = "Stängd: blågröna alger"
    db.session.commit()
    add_completion(beach, date(2026, 7, 31), w.member_a, occurrence=occurrence_of(beach_task, date(2026, 8, 1)),
                   hours="0.75")
    ad_hoc = add_completion(beach, date(2026, 7, 20), w.member_a, task_type=litter, hours="3", people=4,
                            notes="Städning efter storm", photos=2)
    add_completion(park, date(2026, 5, 15), w.member_a, occurrence=occurrence_of(mowing, date(2026, 5, 15)),
                   hours="2.5", people=3, notes="Klippt och krattat", photos=1)
    add_completion(park, date(2026, 6, 25), w.member_a, occurrence=occurrence_of(mowing, date(2026, 6, 15)),
                   hours="1.5", notes="Sent – regn hela veckan", recorded_by=w.coordinator_a)
    add_completion(park, date(2025, 8, 1), w.member_a, task_type=litter, hours="10", notes="Förra året")
    add_completion(w.site_a, date(2026, 7, 1), w.member_a, task_type=litter, hours="10", notes="Annat avtal")
    return SimpleNamespace(agreement=agreement, park=park, beach=beach, mowing=mowing, beach_task=beach_task,
                           ad_hoc=ad_hoc, struck=struck)


@pytest.fixture
def season(world, make):
    return build_season(world, make)


def staff(world) -> Principal:
    return Principal.of(world.reviewer)


def test_the_agreement_totals_count_every_occurrence_of_the_season(world, season):
    log = season_log(principal=staff(world), agreement=season.agreement, year=2026, today=TODAY)
    totals = log.totals
    assert totals.occurrences == 8
    assert (totals.compliance.on_time, totals.compliance.late, totals.compliance.missed, totals.compliance.excused,
            totals.compliance.open) == (3, 1, 1, 1, 2)
    assert totals.due_so_far == 6
    assert totals.on_time_rate == pytest.approx(3 / 5)
    assert totals.hours == Decimal("9.75")
    # 2.5×3 + 1.5×1 + 2×2 + 0.75×1 + 3×4: a completion without people counts as one person
    assert totals.person_hours == Decimal("25.75")
    assert totals.has_people
    assert (totals.completions, totals.ad_hoc, totals.photos) == (5, 1, 3)


def test_each_site_has_its_own_totals_in_name_order(world, season):
    log = season_log(principal=staff(world), agreement=season.agreement, year=2026, today=TODAY)
    beach, park = log.sites
    assert (beach.site.name, park.site.name) == ("Badplatsen vid Helge å", "Hembygdsparken")
    assert (beach.totals.occurrences, beach.totals.due_so_far, beach.totals.compliance.on_time,
            beach.totals.compliance.excused, beach.totals.compliance.open) == (3, 3, 2, 1, 0)
    assert beach.totals.on_time_rate == 1.0
    assert (beach.totals.hours, beach.totals.person_hours) == (Decimal("5.75"), Decimal("16.75"))
    assert (beach.totals.completions, beach.totals.ad_hoc, beach.totals.photos) == (3, 1, 2)
    park_compliance = park.totals.compliance
    assert (park.totals.occurrences, park.totals.due_so_far, park_compliance.on_time, park_compliance.late,
            park_compliance.missed, park_compliance.open) == (5, 3, 1, 1, 1, 2)
    assert park.totals.on_time_rate == pytest.approx(1 / 3)
    assert (park.totals.hours, park.totals.person_hours) == (Decimal("4.00"), Decimal("9.00"))
    assert (park.totals.completions, park.totals.ad_hoc, park.totals.photos) == (2, 0, 1)


def test_entries_are_in_date_order_with_ad_hoc_work_among_them(world, season):
    log = season_log(principal=staff(world), agreement=season.agreement, year=2026, today=TODAY)
    beach, park = log.sites
    assert [(entry.day, entry.state.status if entry.state else None) for entry in beach.entries] == [
        (date(2026, 6, 1), Status.DONE), (date(2026, 7, 1), Status.EXCUSED), (date(2026, 7, 20), None),
        (date(2026, 8, 1), Status.DONE)]
    assert [entry.state.status for entry in park.entries] == [
        Status.DONE, Status.DONE_LATE, Status.MISSED, Status.DUE, Status.UPCOMING]
    ad_hoc = beach.entries[2]
    assert ad_hoc.is_ad_hoc and ad_hoc.task_type.name_sv == "Skräpplockning"
    assert [completion.id for completion in ad_hoc.completions] == [season.ad_hoc.id]
    assert len(ad_hoc.completions[0].photos) == 2


def test_ad_hoc_work_of_another_year_or_another_site_is_not_in_the_log(world, season):
    log = season_log(principal=staff(world), agreement=season.agreement, year=2026, today=TODAY)
    notes = {completion.notes for entry in log.entries for completion in entry.completions}
    assert "Förra året" not in notes and "Annat avtal" not in notes
    last_year = season_log(principal=staff(world), agreement=season.agreement, year=2025, today=TODAY)
    assert [completion.notes for entry in last_year.entries for completion in entry.completions] == ["Förra året"]


def test_a_season_with_nothing_planned_has_zero_totals_and_no_rate(world, season):
    log = season_log(principal=staff(world), agreement=season.agreement, year=2027, today=TODAY)
    assert [site_log.entries for site_log in log.sites] == [[], []]
    assert (log.totals.occurrences, log.totals.hours, log.totals.completions) == (0, 0, 0)
    assert log.totals.on_time_rate is None and not log.totals.has_people


def test_the_association_reads_the_same_log_as_the_municipality(world, season):
    as_member = season_log(principal=Principal.of(world.member_a), agreement=season.agreement, year=2026,
                           today=TODAY)
    assert as_member.totals == season_log(principal=staff(world), agreement=season.agreement, year=2026,
                                          today=TODAY).totals


def test_the_period_is_the_year_clipped_to_the_agreement(world, make):
    agreement = make.agreement(world.a, starts_on=date(2025, 3, 1), ends_on=date(2026, 10, 31))
    assert season_period(agreement, 2025) == (date(2025, 3, 1), date(2025, 12, 31))
    assert season_period(agreement, 2026) == (date(2026, 1, 1), date(2026, 10, 31))


def test_ad_hoc_work_before_the_agreement_starts_is_not_in_its_log(world, make):
    agreement = make.agreement(world.a, starts_on=date(2026, 4, 1), ends_on=date(2027, 12, 31))
    make.agreed_task(agreement, world.site_a, world.task_type)
    add_completion(world.site_a, date(2026, 3, 20), world.member_a, hours="1", notes="Före avtalet")
    add_completion(world.site_a, date(2026, 4, 2), world.member_a, hours="1", notes="Under avtalet")
    log = season_log(principal=staff(world), agreement=agreement, year=2026, today=TODAY)
    assert [completion.notes for entry in log.entries for completion in entry.completions] == ["Under avtalet"]
