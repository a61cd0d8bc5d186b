"""The plan: agreed tasks turned into dated occurrences, and what an occurrence's status is on a given day.

Pure: no Flask, no database, never reads the clock — every function takes `today` or a date range. All dates are
calendar dates in Europe/Stockholm; a date has no time of day, so the DST Sundays are ordinary days here.

How a rule becomes dates (the decisions a municipality officer can read in the README):

- **Due date.** A rule that names a day ("varje lördag", "den 15:e varje månad", "varje dag") is due on that day.
  A rule that names a period ("varje vecka", "varannan vecka", "en gång i maj", "varje månad") is due on the
  period's last day — Sunday, the month's last day — and may be done any day of that period.
- **Window.** Doing the work counts for an occurrence from the day after the previous occurrence's due date (at
  most one period back), and never before the season or the agreement starts.
- **Season.** Each year's season window is expanded on its own; an occurrence belongs to the season its due date
  falls in. A season ending 29 February ends on the 28th in other years; one starting on it starts on 1 March.
- **Interval after the winter gap.** "Varannan vecka" restarts each season: the first occurrence falls in the week
  the season opens, then every other week from there — the rhythm an association plans by, whatever the parity of
  last year's last cut. A rule naming a day counts from the first week (month) of the season that has that day in
  it: "varannan måndag" in a season opening on a Friday starts on the first Monday, not ten days in. Without a
  season, or with one covering the whole year, the interval runs on unbroken from the agreement's start.
- **Years.** "En gång om året" without a season is due on 31 December each calendar year. "Vartannat år" (a yearly
  INTERVAL) counts seasons from the first one that has an occurrence, so it does not turn into every year when
  each season is expanded on its own.
- **Agreement period.** Nothing is due before the agreement starts or after it ends; a season cut short by the
  agreement keeps the occurrences that fall inside it.
- **Quota** ("minst 6 gånger 15 maj–30 sep, minst 14 dagar isär"): N suggested due dates, one at the end of each of
  N equal slices of the season (further apart when the spacing demands it), so the last one is on the last day.
  When the agreement covers only part of a season, the count shrinks in proportion (rounded up). Compliance counts
  completions in the season that keep the spacing, not the suggested dates.
"""
from __future__ import annotations

import calendar
import math
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import Iterable, Mapping

from dateutil.relativedelta import relativedelta

from skotsel.domain.recurrence import Quota, Recurrence, Season

ONE_DAY = timedelta(days=1)
#: A season of 1 January–31 December: "en gång om året" without a season is once each calendar year.
CALENDAR_YEAR = Season((1, 1), (12, 31))


class Status(str, Enum):
    """What an occurrence's state is on a given day; the words come from the glossary."""

    UPCOMING = "upcoming"  # kommande
    DUE = "due"  # att göra
    DONE = "done"  # utförd
    DONE_LATE = "done_late"  # utförd sent
    MISSED = "missed"  # missad
    EXCUSED = "excused"  # struken

    def __str__(self) -> str:
        return self.value


#: Statuses after which nothing more is expected of the association.
SETTLED = frozenset({Status.DONE, Status.DONE_LATE, Status.MISSED, Status.EXCUSED})


@dataclass(frozen=True)
class PlannedOccurrence:
    """One occurrence of the plan. `planned_on` is its identity: it stays put when an admin moves the due date."""

    planned_on: date
    due_on: date
    window_starts_on: date
    excused: bool = False

    @property
    def moved(self) -> bool:
        return self.due_on != self.planned_on


@dataclass(frozen=True)
class SeasonWindow:
    """One year's season, clipped to the agreement: occurrences are due from `starts_on` to `ends_on`."""

    starts_on: date
    ends_on: date
    #: The unclipped season's length in days, for prorating a quota.
    full_days: int

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1


def season_instance(season: Season | None, year: int) -> tuple[date, date]:
    """The season that opens in `year` (a season wrapping New Year ends in the next year); None is the whole year."""
    if season is None:
        return date(year, 1, 1), date(year, 12, 31)
    start = _month_day(year, season.start, shift_forward=True)
    end_year = year + 1 if season.wraps_year_end else year
    return start, _month_day(end_year, season.end, shift_forward=False)


def season_windows(season: Season | None, starts_on: date, ends_on: date) -> list[SeasonWindow]:
    """The season windows inside the agreement period [starts_on, ends_on], in order.

    Without a season the whole agreement period is one window, so an interval runs on across New Year.
    """
    if ends_on < starts_on:
        return []
    if season is None:
        return [SeasonWindow(starts_on, ends_on, (ends_on - starts_on).days + 1)]
    windows = []
    for year in range(starts_on.year - 1, ends_on.year + 1):
        first, last = season_instance(season, year)
        clipped = SeasonWindow(max(first, starts_on), min(last, ends_on), (last - first).days + 1)
        if clipped.starts_on <= clipped.ends_on:
            windows.append(clipped)
    return windows


def expand(rule: Recurrence | Quota, season: Season | None, *, starts_on: date, ends_on: date,
           between: tuple[date, date] | None = None, excused: Iterable[date] = (),
           moved: Mapping[date, date] | None = None) -> list[PlannedOccurrence]:
    """Every occurrence of an agreed task in the agreement period [starts_on, ends_on], in order of planned date.

    `between` keeps only planned dates inside that range. `excused` lists planned dates the municipality cancelled;
    `moved` maps a planned date to the date it is now due (the window opens earlier if the new date needs it).
    """
    planned: list[PlannedOccurrence] = []
    if isinstance(rule, Recurrence):
        if season is not None and season.is_all_year:
            season = None  # no winter gap: the interval runs on across New Year
        if season is None and _once_a_year(rule):
            season = CALENDAR_YEAR
    # "Vartannat år" with a season: every interval-th season, counted from the first that has an occurrence.
    every_nth_season = isinstance(rule, Recurrence) and rule.freq == "YEARLY" and rule.interval > 1 \
        and season is not None
    anchor: int | None = None
    for index, window in enumerate(season_windows(season, starts_on, ends_on)):
        if between and window.starts_on > between[1]:
            break
        outside = bool(between) and window.ends_on < between[0]
        if isinstance(rule, Quota):
            if not outside:
                planned.extend(_quota_dates(rule, window))
        elif every_nth_season:
            if anchor is not None and (index - anchor) % rule.interval:
                continue
            dates = _rule_dates(replace(rule, interval=1), window)
            if anchor is None and dates:
                anchor = index
            if not outside:
                planned.extend(dates)
        elif not outside:
            planned.extend(_rule_dates(rule, window))
    if between:
        planned = [item for item in planned if between[0] <= item.planned_on <= between[1]]
    excused_dates, moves = frozenset(excused), dict(moved or {})
    return [_apply(item, excused_dates, moves) for item in planned]


def _apply(item: PlannedOccurrence, excused: frozenset[date], moved: dict[date, date]) -> PlannedOccurrence:
    if item.planned_on in moved:
        new_due = moved[item.planned_on]
        item = replace(item, due_on=new_due, window_starts_on=min(item.window_starts_on, new_due))
    if item.planned_on in excused:
        item = replace(item, excused=True)
    return item


# --- rules ---------------------------------------------------------------------------------------------------


def _names_a_day(rule: Recurrence) -> bool:
    return rule.freq == "DAILY" or bool(rule.byweekday) or bool(rule.bymonthday)


def _day_precise(rule: Recurrence) -> Recurrence:
    """The rule with the period's last day made explicit: Sunday for a week, the last day for a month."""
    if _names_a_day(rule):
        return rule
    if rule.freq == "WEEKLY":
        return replace(rule, byweekday=("SU",))
    return replace(rule, bymonthday=(-1,))  # MONTHLY, or YEARLY with BYMONTH


def _period_opens(rule: Recurrence, due: date) -> date:
    """The earliest day the work may be done for an occurrence due on `due`, ignoring season and neighbours:
    the first day of the named period ("varannan vecka": Monday of the first of the two weeks), or one period
    back for a rule that names a day."""
    if not _names_a_day(rule):
        if rule.freq == "WEEKLY":
            return due - timedelta(days=due.weekday(), weeks=rule.interval - 1)
        if rule.freq == "MONTHLY":
            return due.replace(day=1) - relativedelta(months=rule.interval - 1)
        return due.replace(day=1)  # YEARLY naming months: the month itself
    unit = {"DAILY": "days", "WEEKLY": "weeks", "MONTHLY": "months", "YEARLY": "years"}[rule.freq]
    return due - relativedelta(**{unit: rule.interval}) + ONE_DAY


def _aligned_start(rule: Recurrence, day: date) -> date:
    """The first day of the period `day` is in, so that the interval counts whole weeks/months/years."""
    if rule.freq == "WEEKLY":
        return day - timedelta(days=day.weekday())
    if rule.freq == "MONTHLY":
        return day.replace(day=1)
    if rule.freq == "YEARLY":
        return day.replace(month=1, day=1)
    return day


def _once_a_year(rule: Recurrence) -> bool:
    return rule.freq == "YEARLY" and not rule.bymonth and not _names_a_day(rule)


def _first_date(rule: Recurrence, starts_on: date, ends_on: date) -> date | None:
    """The first day on or after `starts_on` (up to `ends_on`) that the rule's days fall on, ignoring its interval."""
    start = datetime.combine(starts_on, time.min)
    every = replace(rule, interval=1).to_dateutil(start).replace(until=datetime.combine(ends_on, time.min))
    found = every.after(start, inc=True)
    return found.date() if found else None


def _rule_dates(rule: Recurrence, window: SeasonWindow) -> list[PlannedOccurrence]:
    if _once_a_year(rule):
        # "En gång om året": once per season (per calendar year without one), due on its last day.
        return [PlannedOccurrence(window.ends_on, window.ends_on, window.starts_on)]
    precise = _day_precise(rule)
    first = _first_date(precise, window.starts_on, window.ends_on)
    if first is None:
        return []
    # The interval counts from the period holding the first date in the window (see "Interval after the winter gap").
    dtstart = datetime.combine(_aligned_start(rule, first), time.min)
    until = datetime.combine(window.ends_on, time.min)
    dates = [moment.date() for moment in precise.to_dateutil(dtstart).between(dtstart, until, inc=True)]
    planned, previous = [], None
    for due in dates:
        if due < window.starts_on:
            previous = due
            continue
        opens = max(window.starts_on, _period_opens(rule, due))
        if previous is not None:
            opens = max(opens, previous + ONE_DAY)
        planned.append(PlannedOccurrence(due, due, opens))
        previous = due
    return planned


def _quota_dates(quota: Quota, window: SeasonWindow) -> list[PlannedOccurrence]:
    count = quota.count
    if window.days < window.full_days:
        count = math.ceil(count * window.days / window.full_days)
    # Never more than fit with the spacing (and one a day) in what is left of the season.
    count = min(count, (window.days - 1) // max(quota.min_gap_days, 1) + 1)
    step = max(quota.min_gap_days, window.days // count, 1)
    dues = [window.ends_on - timedelta(days=step * (count - 1 - index)) for index in range(count)]
    planned, opens = [], window.starts_on
    for due in dues:
        planned.append(PlannedOccurrence(due, due, opens))
        opens = due + ONE_DAY
    return planned


def _month_day(year: int, month_day: tuple[int, int], *, shift_forward: bool) -> date:
    month, day = month_day
    if (month, day) == (2, 29) and not calendar.isleap(year):
        return date(year, 3, 1) if shift_forward else date(year, 2, 28)
    return date(year, month, day)


# --- horizon -------------------------------------------------------------------------------------------------


def horizon_end(season: Season | None, today: date, *, seasons_ahead: int = 1) -> date:
    """The last day to plan up to: the rest of the current season and `seasons_ahead` whole seasons after it.

    "Current" is the season open today, or else the one that ended most recently (so in November the next season
    is next year's). Without a season, a season is a calendar year.
    """
    for year in (today.year, today.year - 1):
        first, last = season_instance(season, year)
        if first <= today:
            current = year
            break
    else:  # pragma: no cover - season_instance(year - 1) always starts before today
        current = today.year - 1
    return season_instance(season, current + seasons_ahead)[1]


# --- status --------------------------------------------------------------------------------------------------


def on_time_until(due_on: date, grace_days: int) -> date:
    """The last day on which the work still counts as on time."""
    return due_on + timedelta(days=grace_days)


def occurrence_status(*, window_starts_on: date, on_time_until: date, completed_on: date | None, excused: bool,
                      today: date) -> Status:
    """The one status function: every page, job, export and feed asks this.

    Work logged for an occurrence counts even when it was excused (it was done after all). Before the window opens
    the occurrence is upcoming; then due until the grace period ends; then missed.
    """
    if completed_on is not None:
        return Status.DONE if completed_on <= on_time_until else Status.DONE_LATE
    if excused:
        return Status.EXCUSED
    if today < window_starts_on:
        return Status.UPCOMING
    if today <= on_time_until:
        return Status.DUE
    return Status.MISSED


def is_overdue(status: Status, due_on: date, today: date) -> bool:
    """Försenad: still to do, and the due date has passed (the grace period is running)."""
    return status is Status.DUE and today > due_on


def spaced_completions(completed: Iterable[date], *, starts_on: date, ends_on: date, min_gap_days: int) -> list[date]:
    """The completions that count towards a quota: inside the season window and at least `min_gap_days` after the
    previous counted one. Taking the earliest each time counts as many as any choice could."""
    counted: list[date] = []
    for day in sorted(set(completed)):
        if starts_on <= day <= ends_on and (not counted or (day - counted[-1]).days >= min_gap_days):
            counted.append(day)
    return counted


@dataclass(frozen=True)
class Compliance:
    """Andel i tid: on time ÷ (due so far − excused)."""

    on_time: int = 0
    late: int = 0
    missed: int = 0
    excused: int = 0
    open: int = 0

    @property
    def counted(self) -> int:
        return self.on_time + self.late + self.missed

    @property
    def rate(self) -> float | None:
        """None while nothing has come due yet."""
        return self.on_time / self.counted if self.counted else None


def compliance(statuses: Iterable[Status]) -> Compliance:
    tally = {status: 0 for status in Status}
    for status in statuses:
        tally[Status(status)] += 1
    return Compliance(on_time=tally[Status.DONE], late=tally[Status.DONE_LATE], missed=tally[Status.MISSED],
                      excused=tally[Status.EXCUSED], open=tally[Status.DUE] + tally[Status.UPCOMING])
