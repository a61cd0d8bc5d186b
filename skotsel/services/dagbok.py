"""Skötseldagbok: one agreement's season log — every occurrence with its status and completions, the ad hoc work
on its sites, and the totals an association hands in with its claim for compensation (Sundsvall pays "after an
approved skötseldagbok with photos").

Decisions the pages state in words:

- **Season.** The season of a year is the occurrences whose due date falls in that calendar year, and the ad hoc
  completions (not tied to an occurrence) logged that year on the agreement's sites, within the agreement period.
  A completion done in January for an occurrence due in December belongs to December's season.
- **Hittills** (due so far) is every occurrence whose status is settled — done on time, done late, missed or
  excused; open ones (upcoming or due) are counted apart. Andel i tid = on time ÷ (hittills − excused), the one
  compliance rule of skotsel.domain.schedule.
- **Person-hours** = hours × people for each completion; a completion without a number of people counts as one
  person (the one who logged it), so the total never claims more than was reported.

Reads only: a fixed number of queries however many occurrences, completions and photos the season has.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Iterable

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload, selectinload

from skotsel.domain.schedule import Compliance, compliance
from skotsel.extensions import db
from skotsel.models import AgreedTask, Agreement, Completion, Occurrence, Site, TaskType
from skotsel.services.access import Principal, read_scope
from skotsel.services.schedule import OccurrenceState, states

ZERO = Decimal("0")


def season_period(agreement: Agreement, year: int) -> tuple[date, date]:
    """The days of `year` that the agreement covers (the whole year when it runs all of it)."""
    return max(date(year, 1, 1), agreement.starts_on), min(date(year, 12, 31), agreement.ends_on)


def agreement_years(agreement: Agreement) -> range:
    """The calendar years the agreement period touches: the seasons it has a log for."""
    return range(agreement.starts_on.year, agreement.ends_on.year + 1)


@dataclass
class Entry:
    """One line of the log: an occurrence with its status and completion(s), or ad hoc work (state is None)."""

    site: Site
    task_type: TaskType | None
    state: OccurrenceState | None
    completions: list[Completion]

    @property
    def is_ad_hoc(self) -> bool:
        return self.state is None

    @property
    def day(self) -> date:
        """When it sorts: the due date, or the day ad hoc work was done."""
        return self.state.occurrence.due_on if self.state else self.completions[0].completed_on

    @property
    def performed_by_municipality(self) -> bool:
        return bool(self.state) and self.state.occurrence.agreed_task.performed_by == "municipality"


def person_hours(completion: Completion) -> Decimal:
    """Hours × people; without a number of people, one person."""
    return (completion.hours or ZERO) * (completion.people or 1)


@dataclass
class Totals:
    """The numbers at the top of the log, for one site or the whole agreement."""

    occurrences: int = 0
    compliance: Compliance = field(default_factory=Compliance)
    hours: Decimal = ZERO
    person_hours: Decimal = ZERO
    #: Whether any completion gave its number of people (otherwise person-hours say nothing new).
    has_people: bool = False
    completions: int = 0
    ad_hoc: int = 0
    photos: int = 0

    @property
    def due_so_far(self) -> int:
        """Settled occurrences: on time, late, missed or excused."""
        return self.compliance.counted + self.compliance.excused

    @property
    def on_time_rate(self) -> float | None:
        return self.compliance.rate

    @classmethod
    def of(cls, entries: Iterable[Entry]) -> Totals:
        entries = list(entries)
        statuses = [entry.state.status for entry in entries if entry.state]
        completions = [completion for entry in entries for completion in entry.completions]
        return cls(
            occurrences=len(statuses),
            compliance=compliance(statuses),
            hours=sum((completion.hours or ZERO for completion in completions), ZERO),
            person_hours=sum((person_hours(completion) for completion in completions), ZERO),
            has_people=any(completion.people for completion in completions),
            completions=len(completions),
            ad_hoc=sum(1 for entry in entries if entry.is_ad_hoc),
            photos=sum(len(completion.photos) for completion in completions),
        )


@dataclass
class SiteLog:
    site: Site
    entries: list[Entry]
    totals: Totals


@dataclass
class SeasonLog:
    agreement: Agreement
    year: int
    starts_on: date
    ends_on: date
    today: date
    sites: list[SiteLog]
    totals: Totals

    @property
    def entries(self) -> list[Entry]:
        return [entry for site_log in self.sites for entry in site_log.entries]


def season_log(*, principal: Principal, agreement: Agreement, year: int, today: date) -> SeasonLog:
    """Collect the log of one agreement (already loaded through the access check) for the season of `year`."""
    starts_on, ends_on = season_period(agreement, year)
    task_sites = select(AgreedTask.site_id).where(AgreedTask.agreement_id == agreement.id)
    sites = db.session.scalars(select(Site).where(Site.id.in_(task_sites)).order_by(Site.name, Site.id)).all()
    in_season = (AgreedTask.agreement_id == agreement.id,
                 Occurrence.due_on >= date(year, 1, 1), Occurrence.due_on <= date(year, 12, 31))
    # states() loads the agreed tasks with their task types and agreements once for all of them.
    occurrences = db.session.scalars(
        select(Occurrence).join(AgreedTask, Occurrence.agreed_task_id == AgreedTask.id).where(*in_season)
        .order_by(Occurrence.due_on, Occurrence.id)
    ).all()
    occurrence_ids = select(Occurrence.id).join(AgreedTask, Occurrence.agreed_task_id == AgreedTask.id) \
        .where(*in_season)
    # Readable through the same rule as everywhere (and so their photos): the agreement's association sees the
    # work on its own sites, staff all of it.
    completions = db.session.scalars(
        select(Completion)
        .where(read_scope(principal, Completion), or_(
            Completion.occurrence_id.in_(occurrence_ids),
            and_(Completion.occurrence_id.is_(None), Completion.site_id.in_(task_sites),
                 Completion.completed_on >= starts_on, Completion.completed_on <= ends_on),
        ))
        .options(joinedload(Completion.user), joinedload(Completion.recorded_by), joinedload(Completion.task_type),
                 selectinload(Completion.photos))
        .order_by(Completion.completed_on, Completion.id)
    ).unique().all()

    by_occurrence: dict[int, list[Completion]] = {}
    entries_by_site: dict[int, list[Entry]] = {site.id: [] for site in sites}
    site_by_id = {site.id: site for site in sites}
    for completion in completions:
        if completion.occurrence_id is None:
            entries_by_site[completion.site_id].append(
                Entry(site_by_id[completion.site_id], completion.task_type, None, [completion]))
        else:
            by_occurrence.setdefault(completion.occurrence_id, []).append(completion)
    for state in states(occurrences, today=today):
        task = state.occurrence.agreed_task
        entries_by_site[task.site_id].append(
            Entry(site_by_id[task.site_id], task.task_type, state, by_occurrence.get(state.occurrence.id, [])))

    site_logs = []
    for site in sites:
        entries = sorted(entries_by_site[site.id], key=lambda entry: (entry.day, entry.is_ad_hoc, _entry_id(entry)))
        site_logs.append(SiteLog(site, entries, Totals.of(entries)))
    return SeasonLog(agreement=agreement, year=year, starts_on=starts_on, ends_on=ends_on, today=today,
                     sites=site_logs, totals=Totals.of(entry for site_log in site_logs for entry in site_log.entries))


def _entry_id(entry: Entry) -> int:
    return entry.state.occurrence.id if entry.state else entry.completions[0].id
