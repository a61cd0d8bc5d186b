"""The pure schedule core: rules, seasons and quotas turned into dated occurrences, and the one status function.

No app, no database: tables of dates (season edges, leap days, fifth Saturdays, year change, the DST Sundays,
agreements ending mid-season, the winter gap) in, occurrences out.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from skotsel.domain.recurrence import Quota, Recurrence, Season
from skotsel.domain.schedule import (
    Compliance,
    PlannedOccurrence,
    Status,
    compliance,
    expand,
    horizon_end,
    is_overdue,
    occurrence_status,
    on_time_until,
    season_instance,
    season_windows,
    spaced_completions,
)

D = date.fromisoformat
GRASS = Season.parse("05-15", "09-30")
WINTER = Season.parse("10-01", "03-31")
ALL_YEAR = Season.parse("01-01", "12-31")
Y2026 = (D("2026-01-01"), D("2026-12-31"))
AGREEMENT = (D("2025-01-01"), D("2027-12-31"))


def plan(rule, season, period, **options) -> list[PlannedOccurrence]:
    rule = Recurrence.parse(rule) if isinstance(rule, str) else rule
    return expand(rule, season, starts_on=period[0], ends_on=period[1], **options)


def dues(rule, season, period, **options) -> list[date]:
    return [item.due_on for item in plan(rule, season, period, **options)]


def windows(rule, season, period, **options) -> list[tuple[date, date]]:
    return [(item.window_starts_on, item.due_on) for item in plan(rule, season, period, **options)]


def _id(value) -> str:
    if isinstance(value, Season):
        return f"{value.start_text}..{value.end_text}"
    if isinstance(value, tuple) and value and isinstance(value[0], date):
        return f"{value[0]}..{value[1]}"
    return "all-year" if value is None else str(value)


def rows(*table, columns=3):
    return [pytest.param(*row, id=" ".join(_id(value) for value in row[:columns])) for row in table]


# --- rules: count, first window and due date, last due date -----------------------------------------------------

@pytest.mark.parametrize(("rule", "season", "period", "count", "first", "last_due"), rows(
    # Season edges: the first and the last day of the season are in it.
    ("FREQ=DAILY", GRASS, Y2026, 139, ("2026-05-15", "2026-05-15"), "2026-09-30"),
    ("FREQ=WEEKLY;BYDAY=FR", GRASS, Y2026, 20, ("2026-05-15", "2026-05-15"), "2026-09-25"),
    ("FREQ=WEEKLY;BYDAY=WE", GRASS, Y2026, 20, ("2026-05-15", "2026-05-20"), "2026-09-30"),
    ("FREQ=MONTHLY;BYMONTHDAY=15", GRASS, Y2026, 5, ("2026-05-15", "2026-05-15"), "2026-09-15"),
    # A period rule is due on the period's last day: Sunday, the month's last day.
    ("FREQ=WEEKLY", GRASS, Y2026, 20, ("2026-05-15", "2026-05-17"), "2026-09-27"),
    ("FREQ=WEEKLY;INTERVAL=2", GRASS, Y2026, 10, ("2026-05-15", "2026-05-17"), "2026-09-20"),
    ("FREQ=MONTHLY", GRASS, Y2026, 5, ("2026-05-15", "2026-05-31"), "2026-09-30"),
    ("FREQ=MONTHLY;INTERVAL=2", Season.parse("04-01", "10-31"), Y2026, 4, ("2026-04-01", "2026-04-30"),
     "2026-10-31"),
    # An occurrence due one day after the season is not in it: Sun 4 Oct, 30 Sep.
    ("FREQ=WEEKLY", Season.parse("05-01", "10-03"), Y2026, 22, ("2026-05-01", "2026-05-03"), "2026-09-27"),
    ("FREQ=MONTHLY", Season.parse("05-01", "09-29"), Y2026, 4, ("2026-05-01", "2026-05-31"), "2026-08-31"),
    ("FREQ=WEEKLY;BYDAY=MO,TH", GRASS, Y2026, 39, ("2026-05-15", "2026-05-18"), "2026-09-28"),
    ("FREQ=DAILY;INTERVAL=3", GRASS, Y2026, 47, ("2026-05-15", "2026-05-15"), "2026-09-30"),
    ("FREQ=MONTHLY;BYDAY=-1SU", GRASS, Y2026, 5, ("2026-05-15", "2026-05-31"), "2026-09-27"),
    # The first Saturday of May (the 2nd) is before the season; June's may be done from the season's start.
    ("FREQ=MONTHLY;BYDAY=1SA", GRASS, Y2026, 4, ("2026-05-15", "2026-06-06"), "2026-09-05"),
    # Months named: the whole month is the window, due on its last day.
    ("FREQ=YEARLY;BYMONTH=8", Season.parse("07-01", "09-30"), Y2026, 1, ("2026-08-01", "2026-08-31"),
     "2026-08-31"),
    ("FREQ=YEARLY;BYMONTH=6,9", Season.parse("06-01", "09-30"), Y2026, 2, ("2026-06-01", "2026-06-30"),
     "2026-09-30"),
    # Once a year: the whole season, due on its last day; without a season once each calendar year.
    ("FREQ=YEARLY", Season.parse("03-01", "05-31"), Y2026, 1, ("2026-03-01", "2026-05-31"), "2026-05-31"),
    ("FREQ=YEARLY", None, AGREEMENT, 3, ("2025-01-01", "2025-12-31"), "2027-12-31"),
    # Three seasons of the agreement.
    ("FREQ=WEEKLY;INTERVAL=2", GRASS, AGREEMENT, 30, ("2025-05-15", "2025-05-18"), "2027-09-19"),
    ("FREQ=WEEKLY", None, Y2026, 52, ("2026-01-01", "2026-01-04"), "2026-12-27"),
    ("FREQ=WEEKLY;BYDAY=TH", None, Y2026, 53, ("2026-01-01", "2026-01-01"), "2026-12-31"),
    # An agreement ending mid-season keeps what falls inside it.
    ("FREQ=WEEKLY;INTERVAL=2", GRASS, (D("2025-01-01"), D("2026-07-31")), 16, ("2025-05-15", "2025-05-18"),
     "2026-07-26"),
    ("FREQ=YEARLY", GRASS, (D("2026-01-01"), D("2026-07-31")), 1, ("2026-05-15", "2026-07-31"), "2026-07-31"),
    ("FREQ=DAILY", GRASS, (D("2026-01-01"), D("2026-07-31")), 78, ("2026-05-15", "2026-05-15"), "2026-07-31"),
    # An agreement starting mid-season: nothing before it.
    ("FREQ=DAILY", GRASS, (D("2026-06-10"), D("2026-12-31")), 113, ("2026-06-10", "2026-06-10"), "2026-09-30"),
    ("FREQ=WEEKLY", GRASS, (D("2026-06-10"), D("2026-12-31")), 16, ("2026-06-10", "2026-06-14"), "2026-09-27"),
))
def test_a_rule_expands_to_these_occurrences(rule, season, period, count, first, last_due):
    planned = windows(rule, season, period)
    assert len(planned) == count
    assert planned[0] == (D(first[0]), D(first[1]))
    assert planned[-1][1] == D(last_due)


@pytest.mark.parametrize(("rule", "season", "period"), rows(
    ("FREQ=DAILY", GRASS, AGREEMENT),
    ("FREQ=WEEKLY", GRASS, AGREEMENT),
    ("FREQ=WEEKLY;INTERVAL=2", WINTER, AGREEMENT),
    ("FREQ=WEEKLY;BYDAY=MO,TH", None, AGREEMENT),
    ("FREQ=MONTHLY;BYDAY=5SA", None, AGREEMENT),
    ("FREQ=MONTHLY;INTERVAL=2", Season.parse("04-01", "10-31"), AGREEMENT),
    ("FREQ=YEARLY;BYMONTH=6,9", Season.parse("06-01", "09-30"), AGREEMENT),
    ("FREQ=YEARLY", Season.parse("12-01", "02-29"), AGREEMENT),
))
def test_every_occurrence_is_inside_its_season_and_the_agreement_and_windows_never_overlap(rule, season, period):
    planned = plan(rule, season, period)
    assert planned
    for item in planned:
        assert period[0] <= item.window_starts_on <= item.due_on == item.planned_on <= period[1]
        assert season is None or season.contains(item.due_on)
        assert season is None or season.contains(item.window_starts_on)
    for earlier, later in zip(planned, planned[1:]):
        assert earlier.due_on < later.window_starts_on


def test_a_weekly_rule_windows_tile_the_weeks_with_no_gap_or_overlap():
    planned = windows("FREQ=WEEKLY", None, (D("2026-03-02"), D("2026-04-26")))
    assert planned[0] == (D("2026-03-02"), D("2026-03-08"))
    for (_, due), (opens, _) in zip(planned, planned[1:]):
        assert opens == due + timedelta(days=1)
    assert all((due - opens).days == 6 and due.weekday() == 6 for opens, due in planned)


# --- 29 February ------------------------------------------------------------------------------------------------

def test_the_29th_of_every_month_skips_february_except_in_a_leap_year():
    planned = dues("FREQ=MONTHLY;BYMONTHDAY=29", None, (D("2027-01-01"), D("2028-12-31")))
    assert len(planned) == 23
    assert [day for day in planned if day.month in (2, 3)] == [D("2027-03-29"), D("2028-02-29"), D("2028-03-29")]


def test_29_february_every_year_falls_only_in_leap_years():
    assert windows("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", None, (D("2025-01-01"), D("2029-12-31"))) == [
        (D("2027-03-01"), D("2028-02-29"))]


@pytest.mark.parametrize(("season", "year", "expected"), rows(
    (GRASS, 2026, ("2026-05-15", "2026-09-30")),
    (None, 2026, ("2026-01-01", "2026-12-31")),
    (WINTER, 2026, ("2026-10-01", "2027-03-31")),
    (Season.parse("12-01", "02-29"), 2026, ("2026-12-01", "2027-02-28")),
    (Season.parse("12-01", "02-29"), 2027, ("2027-12-01", "2028-02-29")),
    (Season.parse("01-01", "02-29"), 2026, ("2026-01-01", "2026-02-28")),
    (Season.parse("01-01", "02-29"), 2028, ("2028-01-01", "2028-02-29")),
    (Season.parse("02-29", "05-31"), 2026, ("2026-03-01", "2026-05-31")),
    (Season.parse("02-29", "05-31"), 2028, ("2028-02-29", "2028-05-31")),
    (ALL_YEAR, 2028, ("2028-01-01", "2028-12-31")),
    columns=2,
))
def test_season_instance(season, year, expected):
    assert season_instance(season, year) == (D(expected[0]), D(expected[1]))


def test_a_season_ending_29_february_ends_on_the_28th_in_other_years():
    planned = dues("FREQ=DAILY", Season.parse("02-20", "02-29"), (D("2026-01-01"), D("2028-12-31")))
    assert [day for day in planned if day.day >= 28] == [D("2026-02-28"), D("2027-02-28"), D("2028-02-28"),
                                                         D("2028-02-29")]
    assert D("2026-03-01") not in planned


def test_a_season_starting_29_february_starts_on_1_march_in_other_years():
    planned = dues("FREQ=DAILY", Season.parse("02-29", "03-05"), (D("2026-01-01"), D("2028-12-31")))
    assert [day for day in planned if day.day in (1, 29) or day.month == 2] == [
        D("2026-03-01"), D("2027-03-01"), D("2028-02-29"), D("2028-03-01")]
    assert len(planned) == 5 + 5 + 6


# --- the fifth Saturday -----------------------------------------------------------------------------------------

def test_the_fifth_saturday_falls_only_in_months_that_have_one():
    # 2026: January, May, August and October have five Saturdays.
    assert dues("FREQ=MONTHLY;BYDAY=5SA", None, Y2026) == [D("2026-01-31"), D("2026-05-30"), D("2026-08-29"),
                                                          D("2026-10-31")]


def test_the_fifth_saturday_window_reaches_back_at_most_a_month():
    assert windows("FREQ=MONTHLY;BYDAY=5SA", None, Y2026)[1:3] == [(D("2026-05-01"), D("2026-05-30")),
                                                                  (D("2026-07-30"), D("2026-08-29"))]


# --- year change ------------------------------------------------------------------------------------------------

def test_a_weekly_all_year_rule_runs_through_new_year():
    planned = windows("FREQ=WEEKLY", None, (D("2026-12-01"), D("2027-01-31")))
    assert (D("2026-12-21"), D("2026-12-27")) in planned
    assert (D("2026-12-28"), D("2027-01-03")) in planned
    assert len(planned) == 9


@pytest.mark.parametrize("season", [None, ALL_YEAR], ids=["no season", "01-01..12-31"])
def test_every_other_week_all_year_keeps_its_rhythm_across_new_year(season):
    planned = dues("FREQ=WEEKLY;INTERVAL=2", season, (D("2026-11-01"), D("2027-02-28")))
    assert D("2026-12-27") in planned and D("2027-01-10") in planned and D("2027-01-03") not in planned
    assert {(later - earlier).days for earlier, later in zip(planned, planned[1:])} == {14}


def test_thursday_31_december_and_the_next_thursday():
    planned = dues("FREQ=WEEKLY;BYDAY=TH", None, (D("2026-12-20"), D("2027-01-10")))
    assert planned == [D("2026-12-24"), D("2026-12-31"), D("2027-01-07")]


def test_a_season_wrapping_new_year_is_one_season():
    planned = plan("FREQ=WEEKLY;INTERVAL=2", WINTER, (D("2026-01-01"), D("2027-12-31")))
    by_due = [item.due_on for item in planned]
    # The agreement starts inside the 2025/26 season: it is kept from 1 January.
    assert planned[0].window_starts_on == D("2026-01-01") and by_due[0] == D("2026-01-04")
    assert max(day for day in by_due if day <= D("2026-03-31")) == D("2026-03-29")
    # The 2026/27 season starts on Thursday 1 October and runs through New Year every other week.
    in_season = [day for day in by_due if D("2026-10-01") <= day <= D("2027-03-31")]
    assert in_season[0] == D("2026-10-04") and D("2026-12-27") in in_season and D("2027-01-10") in in_season
    assert {(later - earlier).days for earlier, later in zip(in_season, in_season[1:])} == {14}
    assert not [day for day in by_due if D("2026-04-01") <= day <= D("2026-09-30")]
    assert by_due[-1] <= D("2027-12-31")


# --- DST Sundays ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sunday", [D("2026-03-29"), D("2026-10-25")], ids=["summer time", "winter time"])
def test_a_weekly_sunday_rule_has_the_dst_sunday_exactly_once(sunday):
    planned = dues("FREQ=WEEKLY;BYDAY=SU", None, (sunday - timedelta(days=21), sunday + timedelta(days=21)))
    assert planned.count(sunday) == 1
    assert planned == [sunday + timedelta(weeks=n) for n in range(-3, 4)]


@pytest.mark.parametrize("sunday", [D("2026-03-29"), D("2026-10-25")], ids=["summer time", "winter time"])
def test_a_daily_rule_has_every_day_of_the_dst_week_once(sunday):
    period = (sunday - timedelta(days=6), sunday + timedelta(days=7))
    planned = windows("FREQ=DAILY", None, period)
    assert [due for _, due in planned] == [period[0] + timedelta(days=n) for n in range(14)]
    assert all(opens == due for opens, due in planned)


@pytest.mark.parametrize("sunday", [D("2026-03-29"), D("2026-10-25")], ids=["summer time", "winter time"])
def test_the_dst_week_is_one_weekly_window(sunday):
    planned = windows("FREQ=WEEKLY", None, (D("2026-01-01"), D("2026-12-31")))
    assert (sunday - timedelta(days=6), sunday) in planned
    assert (sunday + timedelta(days=1), sunday + timedelta(days=7)) in planned


# --- the winter gap ---------------------------------------------------------------------------------------------

def test_every_other_week_restarts_in_the_first_week_of_each_season():
    planned = dues("FREQ=WEEKLY;INTERVAL=2", GRASS, (D("2026-01-01"), D("2028-12-31")))
    firsts = {year: min(day for day in planned if day.year == year) for year in (2026, 2027, 2028)}
    # 15 May is a Friday in 2026, a Saturday in 2027 and a Monday in 2028: the first cut is due that week's Sunday.
    assert firsts == {2026: D("2026-05-17"), 2027: D("2027-05-16"), 2028: D("2028-05-21")}
    lasts = {year: max(day for day in planned if day.year == year) for year in (2026, 2027)}
    assert lasts == {2026: D("2026-09-20"), 2027: D("2027-09-19")}
    # Counting on from 2027's last cut would have given 28 May 2028 (35 weeks is odd): the season restarts instead.
    assert (firsts[2028] - lasts[2027]).days // 7 == 35


def test_every_other_named_day_starts_on_its_first_day_in_the_season():
    # The 2026 season opens on a Friday: "varannan måndag" starts on Monday 18 May, not ten days in.
    assert dues("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", GRASS, Y2026)[:3] == [D("2026-05-18"), D("2026-06-01"),
                                                                         D("2026-06-15")]
    # The 2027 season opens on a Saturday, so the first Saturday is its first day.
    assert dues("FREQ=WEEKLY;INTERVAL=2;BYDAY=SA", GRASS, (D("2027-01-01"), D("2027-12-31")))[:2] == [
        D("2027-05-15"), D("2027-05-29")]


@pytest.mark.parametrize(("season", "period", "expected"), rows(
    (Season.parse("04-01", "10-31"), (D("2025-01-01"), D("2029-12-31")), ["2025-05-31", "2027-05-31", "2029-05-31"]),
    # Counted from the first season that has a May: the agreement starts after May 2025.
    (Season.parse("04-01", "10-31"), (D("2025-06-10"), D("2029-12-31")), ["2026-05-31", "2028-05-31"]),
    (None, (D("2025-01-01"), D("2029-12-31")), ["2025-05-31", "2027-05-31", "2029-05-31"]),
    columns=2,
))
def test_every_other_year_in_may(season, period, expected):
    assert dues("FREQ=YEARLY;INTERVAL=2;BYMONTH=5", season, period) == [D(day) for day in expected]


def test_every_other_year_without_a_season_is_due_at_the_end_of_every_other_year():
    assert dues("FREQ=YEARLY;INTERVAL=2", None, (D("2025-01-01"), D("2029-12-31"))) == [
        D("2025-12-31"), D("2027-12-31"), D("2029-12-31")]


def test_between_keeps_the_dates_the_whole_agreement_would_give():
    whole = plan("FREQ=YEARLY;INTERVAL=2;BYMONTH=5", Season.parse("04-01", "10-31"), (D("2025-06-10"), D("2029-12-31")))
    later = plan("FREQ=YEARLY;INTERVAL=2;BYMONTH=5", Season.parse("04-01", "10-31"), (D("2025-06-10"), D("2029-12-31")),
                 between=(D("2027-01-01"), D("2029-12-31")))
    assert later == [item for item in whole if item.planned_on >= D("2027-01-01")] != []
    weekly = plan("FREQ=WEEKLY;INTERVAL=2", GRASS, AGREEMENT, between=(D("2026-06-01"), D("2026-06-30")))
    assert [item.due_on for item in weekly] == [D("2026-06-14"), D("2026-06-28")]


# --- quotas -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("quota", "season", "period", "expected"), rows(
    (Quota(6, 14), GRASS, Y2026, ["06-07", "06-30", "07-23", "08-15", "09-07", "09-30"]),
    (Quota(3, 60), GRASS, Y2026, ["06-02", "08-01", "09-30"]),
    (Quota(1, 0), GRASS, Y2026, ["09-30"]),
    (Quota(4, 0), Season.parse("06-01", "08-31"), Y2026, ["06-23", "07-16", "08-08", "08-31"]),
    # The agreement ends on 31 July: 78 of 139 days, 6 × 78/139 = 3.4 → 4 times.
    (Quota(6, 14), GRASS, (D("2026-01-01"), D("2026-07-31")), ["06-04", "06-23", "07-12", "07-31"]),
    # The agreement starts on 1 September: 30 days → 2 times, 15 days apart.
    (Quota(6, 14), GRASS, (D("2026-09-01"), D("2026-12-31")), ["09-15", "09-30"]),
    # 20 × 30/139 = 4.3 → 5 asked, but only 3 fit 14 days apart in 30 days.
    (Quota(20, 14), GRASS, (D("2026-09-01"), D("2026-12-31")), ["09-02", "09-16", "09-30"]),
    columns=3,
))
def test_a_quota_is_spread_over_the_season(quota, season, period, expected):
    assert dues(quota, season, period) == [D(f"2026-{day}") for day in expected]


def test_six_times_fourteen_days_apart_tiles_the_season():
    planned = windows(Quota(6, 14), GRASS, Y2026)
    assert len(planned) == 6 and planned[-1][1] == D("2026-09-30")
    assert planned[0][0] == D("2026-05-15")
    for (_, due), (opens, next_due) in zip(planned, planned[1:]):
        assert opens == due + timedelta(days=1)
        assert (next_due - due).days >= 14


def test_a_quota_over_a_season_wrapping_new_year():
    planned = dues(Quota(2, 30), Season.parse("11-01", "02-28"), (D("2026-01-01"), D("2027-12-31")))
    # 1 Jan–28 Feb 2026 is 59 of the 120 days → once; the whole 2026/27 season → twice; Nov–Dec 2027 is 61 of
    # 121 days (2028 is a leap year) → 2 × 61/121 rounded up = twice.
    assert planned == [D("2026-02-28"), D("2026-12-30"), D("2027-02-28"), D("2027-12-01"), D("2027-12-31")]


def test_a_quota_each_season_of_the_agreement():
    planned = dues(Quota(6, 14), GRASS, (D("2025-01-01"), D("2026-07-31")))
    assert planned == [D(f"2025-{day}") for day in ("06-07", "06-30", "07-23", "08-15", "09-07", "09-30")] + [
        D(f"2026-{day}") for day in ("06-04", "06-23", "07-12", "07-31")]


def test_season_windows_clip_to_the_agreement_and_remember_the_full_length():
    found = season_windows(GRASS, D("2025-06-01"), D("2026-07-31"))
    assert [(w.starts_on, w.ends_on, w.days, w.full_days) for w in found] == [
        (D("2025-06-01"), D("2025-09-30"), 122, 139), (D("2026-05-15"), D("2026-07-31"), 78, 139)]
    assert season_windows(GRASS, D("2026-10-01"), D("2027-05-01")) == []
    assert season_windows(None, D("2026-03-01"), D("2026-02-01")) == []


# --- excused and moved ------------------------------------------------------------------------------------------

def test_excused_and_moved_occurrences_keep_their_planned_date():
    planned = plan("FREQ=WEEKLY", GRASS, Y2026, excused=[D("2026-06-07")],
                   moved={D("2026-06-14"): D("2026-06-09"), D("2026-06-21"): D("2026-06-24")})
    by_planned = {item.planned_on: item for item in planned}
    assert len(planned) == 20
    assert by_planned[D("2026-06-07")].excused and not by_planned[D("2026-06-07")].moved
    assert not by_planned[D("2026-05-31")].excused
    earlier = by_planned[D("2026-06-14")]
    assert (earlier.window_starts_on, earlier.due_on, earlier.moved) == (D("2026-06-08"), D("2026-06-09"), True)
    # Moved before its window opened, the window opens on the new date.
    far = plan("FREQ=WEEKLY", GRASS, Y2026, moved={D("2026-06-14"): D("2026-06-02")})
    assert {item.planned_on: item for item in far}[D("2026-06-14")].window_starts_on == D("2026-06-02")
    later = by_planned[D("2026-06-21")]
    assert (later.window_starts_on, later.due_on) == (D("2026-06-15"), D("2026-06-24"))


def test_excused_and_moved_dates_the_plan_does_not_have_change_nothing():
    assert plan("FREQ=WEEKLY", GRASS, Y2026, excused=[D("2026-06-08")], moved={D("2026-06-09"): D("2026-06-10")}) \
        == plan("FREQ=WEEKLY", GRASS, Y2026)


# --- the status function ----------------------------------------------------------------------------------------

WINDOW, DUE, GRACE = D("2026-06-01"), D("2026-06-14"), 2


@pytest.mark.parametrize(("today", "completed_on", "excused", "status"), rows(
    ("2026-05-31", None, False, Status.UPCOMING),
    ("2026-06-01", None, False, Status.DUE),  # the window opens
    ("2026-06-14", None, False, Status.DUE),  # the due date
    ("2026-06-16", None, False, Status.DUE),  # the last day of grace
    ("2026-06-17", None, False, Status.MISSED),  # the first day after
    ("2026-12-31", None, False, Status.MISSED),
    ("2026-06-20", "2026-06-01", False, Status.DONE),
    ("2026-06-20", "2026-06-16", False, Status.DONE),
    ("2026-06-20", "2026-06-17", False, Status.DONE_LATE),
    ("2026-05-20", "2026-05-20", False, Status.DONE),  # done ahead: counts
    ("2026-05-31", None, True, Status.EXCUSED),
    ("2026-06-10", None, True, Status.EXCUSED),
    ("2026-06-17", None, True, Status.EXCUSED),  # excused is never missed
    ("2026-06-20", "2026-06-10", True, Status.DONE),  # done after all
    ("2026-06-20", "2026-06-18", True, Status.DONE_LATE),
    columns=3,
))
def test_occurrence_status(today, completed_on, excused, status):
    assert occurrence_status(window_starts_on=WINDOW, on_time_until=on_time_until(DUE, GRACE),
                             completed_on=D(completed_on) if completed_on else None, excused=excused,
                             today=D(today)) is status


@pytest.mark.parametrize(("grace", "today", "status"), rows(
    (0, "2026-06-14", Status.DUE),
    (0, "2026-06-15", Status.MISSED),
    (7, "2026-06-21", Status.DUE),
    (7, "2026-06-22", Status.MISSED),
    columns=2,
))
def test_the_grace_period_decides_when_due_becomes_missed(grace, today, status):
    assert on_time_until(DUE, grace) == DUE + timedelta(days=grace)
    assert occurrence_status(window_starts_on=WINDOW, on_time_until=on_time_until(DUE, grace), completed_on=None,
                             excused=False, today=D(today)) is status


@pytest.mark.parametrize(("status", "today", "overdue"), rows(
    (Status.DUE, "2026-06-14", False),
    (Status.DUE, "2026-06-15", True),
    (Status.DUE, "2026-06-01", False),
    (Status.MISSED, "2026-06-20", False),
    (Status.UPCOMING, "2026-06-20", False),
    (Status.DONE, "2026-06-20", False),
    (Status.EXCUSED, "2026-06-20", False),
    columns=2,
))
def test_is_overdue_while_grace_runs(status, today, overdue):
    assert is_overdue(status, DUE, D(today)) is overdue


def test_status_values_are_the_stored_words():
    assert [str(status) for status in Status] == ["upcoming", "due", "done", "done_late", "missed", "excused"]


# --- quota compliance -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("completed", "gap", "counted"), rows(
    (["06-01", "06-05", "06-15", "06-20", "06-29"], 14, ["06-01", "06-15", "06-29"]),
    # The earliest each time counts as many as any choice could.
    (["06-01", "06-10", "06-16"], 14, ["06-01", "06-16"]),
    (["06-01", "06-14", "06-15"], 14, ["06-01", "06-15"]),
    (["06-03", "06-01", "06-03", "06-02"], 0, ["06-01", "06-02", "06-03"]),
    # Outside the season window: ignored.
    (["05-14", "05-15", "09-30", "10-01"], 14, ["05-15", "09-30"]),
    ([], 14, []),
    columns=2,
))
def test_spaced_completions(completed, gap, counted):
    assert spaced_completions([D(f"2026-{day}") for day in completed], starts_on=D("2026-05-15"),
                              ends_on=D("2026-09-30"), min_gap_days=gap) == [D(f"2026-{day}") for day in counted]


def test_compliance_counts_settled_occurrences():
    tally = compliance([Status.DONE, Status.DONE, Status.DONE, Status.DONE_LATE, Status.MISSED, Status.EXCUSED,
                        Status.DUE, Status.UPCOMING, "done"])
    assert tally == Compliance(on_time=4, late=1, missed=1, excused=1, open=2)
    assert tally.counted == 6 and tally.rate == pytest.approx(4 / 6)


@pytest.mark.parametrize("statuses", [[], [Status.UPCOMING, Status.DUE], [Status.EXCUSED]],
                         ids=["nothing", "nothing due yet", "only excused"])
def test_compliance_rate_is_none_when_nothing_counts(statuses):
    assert compliance(statuses).rate is None


def test_compliance_of_all_missed_is_zero():
    assert compliance([Status.MISSED, Status.MISSED]).rate == 0


# --- the horizon ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("season", "today", "ahead", "expected"), rows(
    (GRASS, "2026-07-01", 1, "2027-09-30"),  # mid-season: the rest of it and all of next year's
    (GRASS, "2026-05-15", 1, "2027-09-30"),
    (GRASS, "2026-09-30", 1, "2027-09-30"),
    (GRASS, "2026-11-15", 1, "2027-09-30"),  # between seasons in November: next year's season
    (GRASS, "2026-03-01", 1, "2026-09-30"),  # before this year's season opens, it is the next one
    (GRASS, "2026-07-01", 0, "2026-09-30"),
    (GRASS, "2026-07-01", 2, "2028-09-30"),
    (None, "2026-07-01", 1, "2027-12-31"),  # all year: a season is a calendar year
    (None, "2026-01-01", 1, "2027-12-31"),
    (None, "2026-12-31", 2, "2028-12-31"),
    (ALL_YEAR, "2026-07-01", 1, "2027-12-31"),
    (WINTER, "2026-02-01", 1, "2027-03-31"),  # inside the season wrapping New Year
    (WINTER, "2026-06-01", 1, "2027-03-31"),
    (WINTER, "2026-11-01", 1, "2028-03-31"),
    (Season.parse("12-01", "02-29"), "2027-01-15", 1, "2028-02-29"),
    columns=3,
))
def test_horizon_end(season, today, ahead, expected):
    assert horizon_end(season, D(today), seasons_ahead=ahead) == D(expected)
