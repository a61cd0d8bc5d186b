"""Uppföljning: how well a municipality's agreed levels are kept in a season, from the one status function.

Reads only. The season's occurrences are loaded in one query with their tasks, sites, villages, agreements and
associations; their statuses are computed once with skotsel.services.schedule.states(); the tree municipality →
village → association → agreement → site → agreed task, the weekly on-time rates and each site's worst status are
aggregated in Python, so the number of queries does not grow with the number of rows.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload

from skotsel.domain import schedule as plan
from skotsel.domain.schedule import Compliance, Status
from skotsel.extensions import db
from skotsel.models import AgreedTask, Agreement, Deviation, Occurrence, Site
from skotsel.services.schedule import OccurrenceState, states

#: A deviation not yet verified: open, reopened, or fixed by the association but not yet verified.
OPEN_DEVIATION_STATUSES = ("open", "reopened", "fixed")
OVERDUE = "overdue"
#: A site's worst status, worst first; "overdue" is a due occurrence whose due date has passed.
SEVERITY = ("missed", OVERDUE, "done_late", "due", "done", "excused", "upcoming")
#: Missed occurrences stay on the overdue list this many days after their last on-time day.
MISSED_LOOKBACK_DAYS = 30
LEVELS = ("municipality", "village", "association", "agreement", "site", "task")
#: Columns a list can be sorted by; `-name` sorts descending.
SORT_KEYS = ("name", "due", "rate", "on_time", "late", "missed", "excused", "deviations")
STATUS_FILTERS = ("missed", "late", "overdue", "deviations")


def status_key(state: OccurrenceState) -> str:
    return OVERDUE if state.overdue else state.status.value


def worst(keys) -> str | None:
    keys = set(keys)
    return next((key for key in SEVERITY if key in keys), None)


@dataclass
class Node:
    """A row of the tree with its numbers; `children` are the rows one level down."""

    level: str
    key: tuple
    name: str
    obj: object = None
    statuses: list[Status] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    due_so_far: int = 0
    deviations: dict[str, int] = field(default_factory=lambda: {status: 0 for status in OPEN_DEVIATION_STATUSES})
    children: list[Node] = field(default_factory=list)

    @property
    def compliance(self) -> Compliance:
        return plan.compliance(self.statuses)

    @property
    def rate(self) -> float | None:
        return self.compliance.rate

    @property
    def open_deviations(self) -> int:
        return sum(self.deviations.values())

    @property
    def overdue(self) -> int:
        return self.keys.count(OVERDUE)

    @property
    def worst(self) -> str | None:
        return worst(self.keys)

    def value(self, column: str):
        c = self.compliance
        return {"name": self.name.casefold(), "due": self.due_so_far, "rate": -1 if c.rate is None else c.rate,
                "on_time": c.on_time, "late": c.late, "missed": c.missed, "excused": c.excused,
                "deviations": self.open_deviations}[column]

    def walk(self, depth: int = 0):
        """(depth, node) for this row and every row below it, in display order."""
        yield depth, self
        for child in self.children:
            yield from child.walk(depth + 1)


@dataclass
class SeasonReport:
    year: int
    today: date
    root: Node
    tasks: list[Node]
    weeks: list[tuple[int, Compliance]]
    #: Open deviations on no row of the tree: on a site no agreement covers (a resident's report on a site the
    #: municipality keeps itself), or on a site with no agreed task this season. They count in the municipality's
    #: total and are listed under the tree.
    unplaced: list[Deviation] = field(default_factory=list)


def season_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def _season_occurrences(municipality_id: int, year: int) -> list[Occurrence]:
    first, last = season_bounds(year)
    return list(db.session.scalars(
        select(Occurrence)
        .where(Occurrence.municipality_id == municipality_id, Occurrence.due_on >= first, Occurrence.due_on <= last)
        # The season's few hundred agreed tasks (with site, task type and agreement) in a query of their own, not
        # joined onto each of its thousands of occurrences.
        .options(selectinload(Occurrence.agreed_task).options(
            joinedload(AgreedTask.site).joinedload(Site.village),
            joinedload(AgreedTask.task_type),
            joinedload(AgreedTask.agreement).joinedload(Agreement.association),
        ))
        .order_by(Occurrence.due_on, Occurrence.id)
    ))


def _open_deviations(municipality_id: int, year: int) -> list[tuple[Deviation, int | None]]:
    """Deviations not yet verified that belong to the season: raised for one of its occurrences, or (raised by an
    inspection or a resident) created in the season's year. With the agreed task of the occurrence, if any."""
    first, last = season_bounds(year)
    rows = db.session.execute(
        select(Deviation, Occurrence.agreed_task_id)
        .outerjoin(Occurrence, Deviation.occurrence_id == Occurrence.id)
        .options(joinedload(Deviation.site))
        .where(Deviation.municipality_id == municipality_id, Deviation.status.in_(OPEN_DEVIATION_STATUSES))
        .where(or_(
            Occurrence.due_on.between(first, last),
            (Deviation.occurrence_id.is_(None)) & Deviation.created_at.between(
                _midnight(first), _midnight(last + timedelta(days=1))),
        ))
    ).all()
    return [(deviation, task_id) for deviation, task_id in rows]


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def _child(parent: Node, index: dict, level: str, key: tuple, name: str, obj=None) -> Node:
    node = index.get(key)
    if node is None:
        node = index[key] = Node(level, key, name, obj)
        parent.children.append(node)
    return node


def season_report(*, municipality_id: int, municipality_name: str, year: int, today: date,
                  village_id: int | None = None, site_kind: str | None = None, task_type_id: int | None = None,
                  status: str | None = None, sort: str = "name") -> SeasonReport:
    """The compliance tree of a season, filtered at the agreed-task level and sorted within each level."""
    occurrences = _season_occurrences(municipality_id, year)
    by_task: dict[int, list[OccurrenceState]] = defaultdict(list)
    for state in states(occurrences, today=today):
        by_task[state.occurrence.agreed_task_id].append(state)
    deviations = _open_deviations(municipality_id, year)
    deviations_by_task: dict[int, list[Deviation]] = defaultdict(list)
    deviations_by_site: dict[tuple, list[Deviation]] = defaultdict(list)
    for deviation, task_id in deviations:
        if task_id is not None:
            deviations_by_task[task_id].append(deviation)
        else:
            deviations_by_site[(deviation.agreement_id, deviation.site_id)].append(deviation)

    root = Node("municipality", (), municipality_name)
    index: dict[tuple, Node] = {}
    leaves: list[Node] = []
    sites: dict[int, Node] = {}
    for task_id, task_states in by_task.items():
        task = task_states[0].occurrence.agreed_task
        site, agreement = task.site, task.agreement
        association = agreement.association
        if village_id is not None and site.village_id != village_id:
            continue
        if site_kind and site.kind != site_kind:
            continue
        if task_type_id is not None and task.task_type_id != task_type_id:
            continue
        leaf = Node("task", ("task", task.id), task.task_type.name_sv, task)
        leaf.statuses = [state.status for state in task_states]
        leaf.keys = [status_key(state) for state in task_states]
        leaf.due_so_far = sum(1 for state in task_states
                              if state.occurrence.due_on <= today or state.status in plan.SETTLED)
        for deviation in deviations_by_task.get(task.id, []):
            leaf.deviations[deviation.status] += 1
        if status == "missed" and not leaf.compliance.missed:
            continue
        if status == "late" and not leaf.compliance.late:
            continue
        if status == "overdue" and not leaf.overdue:
            continue
        if status == "deviations" and not leaf.open_deviations:
            continue
        village = site.village
        village_node = _child(root, index, "village", ("village", site.village_id),
                              village.name if village else "", village)
        association_node = _child(village_node, index, "association", ("association", site.village_id,
                                                                          association.id), association.name,
                                  association)
        agreement_node = _child(association_node, index, "agreement", ("agreement", site.village_id, agreement.id),
                                agreement.title, agreement)
        site_node = _child(agreement_node, index, "site", ("site", agreement.id, site.id), site.name, site)
        site_node.children.append(leaf)
        leaves.append(leaf)
        if site_node.key not in sites:
            sites[site_node.key] = site_node
    # Deviations raised for a site, not for an occurrence, count from the site's row upwards.
    for site_node in sites.values():
        agreement_id, site_id = site_node.key[1], site_node.key[2]
        for deviation in deviations_by_site.pop((agreement_id, site_id), []):
            site_node.deviations[deviation.status] += 1
    unplaced = []
    if task_type_id is None and status in (None, "", "deviations"):  # they have no task type and no occurrences
        unplaced = sorted(
            (deviation for found in deviations_by_site.values() for deviation in found
             if (village_id is None or deviation.site.village_id == village_id)
             and (not site_kind or deviation.site.kind == site_kind)),
            key=lambda deviation: (deviation.site.name.casefold(), deviation.id))
    _sum(root)
    for deviation in unplaced:
        root.deviations[deviation.status] += 1
    _sort(root, sort)
    return SeasonReport(year=year, today=today, root=root, tasks=leaves, weeks=_weeks(leaves, by_task),
                        unplaced=unplaced)


def _sum(node: Node) -> None:
    for child in node.children:
        _sum(child)
        node.statuses.extend(child.statuses)
        node.keys.extend(child.keys)
        node.due_so_far += child.due_so_far
        for status, count in child.deviations.items():
            node.deviations[status] += count


def parse_sort(sort: str | None) -> tuple[str, bool]:
    """'-missed' → ('missed', True); anything unknown sorts by name."""
    sort = sort or "name"
    descending = sort.startswith("-")
    column = sort.lstrip("-")
    return (column, descending) if column in SORT_KEYS else ("name", False)


def _sort(node: Node, sort: str) -> None:
    column, descending = parse_sort(sort)
    # Ties keep the name order, whichever way the column is sorted.
    node.children.sort(key=lambda child: child.name.casefold())
    node.children.sort(key=lambda child: child.value(column), reverse=descending)
    for child in node.children:
        _sort(child, sort)


def _weeks(leaves: list[Node], by_task: dict[int, list[OccurrenceState]]) -> list[tuple[int, Compliance]]:
    """The on-time rate of the shown rows per ISO week of the due date, for the weeks something came due."""
    statuses: dict[int, list[Status]] = defaultdict(list)
    for leaf in leaves:
        for state in by_task[leaf.obj.id]:
            statuses[state.occurrence.due_on.isocalendar()[1]].append(state.status)
    weeks = [(week, plan.compliance(found)) for week, found in sorted(statuses.items())]
    return [(week, result) for week, result in weeks if result.counted]


def site_statuses(report: SeasonReport, all_sites: list[Site]) -> list[tuple[Site, Node | None]]:
    """Every site with a row that sums all its agreed tasks of the season (None when it has none)."""
    per_site: dict[int, Node] = {}
    for _depth, node in report.root.walk():
        if node.level != "site":
            continue
        site = node.obj
        total = per_site.setdefault(site.id, Node("site", ("site", site.id), site.name, site))
        total.statuses.extend(node.statuses)
        total.keys.extend(node.keys)
        total.due_so_far += node.due_so_far
        for status, count in node.deviations.items():
            total.deviations[status] += count
    return [(site, per_site.get(site.id)) for site in all_sites]


def municipality_sites(municipality_id: int) -> list[Site]:
    return list(db.session.scalars(
        select(Site).where(Site.municipality_id == municipality_id)
        .options(joinedload(Site.village), joinedload(Site.association)).order_by(Site.name, Site.id)
    ))


@dataclass(frozen=True)
class OverdueItem:
    state: OccurrenceState
    days_overdue: int

    @property
    def occurrence(self) -> Occurrence:
        return self.state.occurrence


def overdue(*, municipality_id: int, today: date) -> list[OverdueItem]:
    """Every overdue occurrence (due, past its due date) and every occurrence missed in the last 30 days, the
    longest overdue first."""
    earliest = date(today.year - 1, 1, 1)  # quota occurrences may be due long before their season ends
    occurrences = list(db.session.scalars(
        select(Occurrence)
        .where(Occurrence.municipality_id == municipality_id, Occurrence.due_on < today,
               Occurrence.due_on >= earliest)
        .options(
            joinedload(Occurrence.agreed_task).joinedload(AgreedTask.site),
            joinedload(Occurrence.agreed_task).joinedload(AgreedTask.task_type),
            joinedload(Occurrence.agreed_task).joinedload(AgreedTask.agreement).joinedload(Agreement.association),
        )
    ).unique())
    since = today - timedelta(days=MISSED_LOOKBACK_DAYS)
    items = [
        OverdueItem(state, (today - state.occurrence.due_on).days)
        for state in states(occurrences, today=today)
        if state.overdue or (state.status is Status.MISSED and state.on_time_until + timedelta(days=1) >= since)
    ]
    items.sort(key=lambda item: (-item.days_overdue, item.occurrence.agreed_task.site.name.casefold(),
                                 item.occurrence.id))
    return items
