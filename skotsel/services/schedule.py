"""The stored plan: occurrences generated from agreed tasks, their statuses, and an admin's changes to one of them.

Generation is idempotent and keeps identities: an occurrence is (agreed task, planned date); a date the new plan
still has keeps its row and id (so its calendar UID), and an occurrence with a completion is never moved or deleted.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable, Iterable

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from skotsel.domain import schedule as plan
from skotsel.domain.errors import ValidationError
from skotsel.domain.recurrence import Quota
from skotsel.domain.schedule import Status
from skotsel.extensions import db
from skotsel.models import AgreedTask, Agreement, Completion, Deviation, Occurrence
from skotsel.services import audit, transaction
from skotsel.services.agreements import rule_of, season_of

#: Days an association has to put right a deviation raised by a missed occurrence.
DEVIATION_FIX_DAYS = 14
MAX_REASON_LENGTH = 500
OCCURRENCE_FIELDS = ("due_on", "excused_reason", "moved_reason")


@dataclass
class GenerationSummary:
    tasks: int = 0
    created: int = 0
    deleted: int = 0
    updated: int = 0
    kept: int = 0

    def add(self, other: GenerationSummary) -> None:
        self.tasks += other.tasks
        self.created += other.created
        self.deleted += other.deleted
        self.updated += other.updated
        self.kept += other.kept

    def __str__(self) -> str:
        return (f"{self.tasks} avtalade moment: {self.created} nya tillfällen, {self.deleted} borttagna, "
                f"{self.updated} ändrade, {self.kept} oförändrade")


def plan_until(task: AgreedTask, today: date, seasons_ahead: int) -> date:
    """The horizon for one agreed task: the rest of its current season and `seasons_ahead` more."""
    return plan.horizon_end(season_of(task), today, seasons_ahead=seasons_ahead)


def _plan_starts_on(task: AgreedTask) -> date:
    agreement = task.agreement
    return max(agreement.starts_on, task.scheduled_from) if task.scheduled_from else agreement.starts_on


def _desired(task: AgreedTask, until: date) -> list[plan.PlannedOccurrence]:
    agreement = task.agreement
    if agreement.status != "active":
        return []  # a draft is not agreed yet; an ended agreement plans nothing more
    starts_on = _plan_starts_on(task)
    # The horizon only filters: a season (or a quota's spread) cut at `until` would plan other dates than the
    # whole season does, and the next, longer run would then replace them with new ids.
    return plan.expand(rule_of(task), season_of(task), starts_on=starts_on, ends_on=agreement.ends_on,
                       between=(starts_on, until))


def _regenerate(task: AgreedTask, existing: list[Occurrence], completed_ids: set[int], new_rows: list[dict], *,
                today: date, until: date) -> GenerationSummary:
    """Compare the task's plan with what is stored: change and delete in the session, and append the rows to
    insert to `new_rows` (inserted in one statement by the caller)."""
    summary = GenerationSummary(tasks=1)
    desired = _desired(task, until)
    by_planned = {occurrence.planned_on: occurrence for occurrence in existing}
    first_plan = not existing
    wanted = set()
    for item in desired:
        wanted.add(item.planned_on)
        occurrence = by_planned.get(item.planned_on)
        if occurrence is None:
            # The past is history: after the first plan, only dates from today on are added, so a changed rule
            # does not invent occurrences that "were missed" before it was agreed.
            if first_plan or item.due_on >= today:
                new_rows.append({"municipality_id": task.municipality_id, "agreed_task_id": task.id,
                                 "planned_on": item.planned_on, "due_on": item.due_on,
                                 "window_starts_on": item.window_starts_on})
                summary.created += 1
            continue
        if occurrence.due_on >= today and occurrence.id not in completed_ids:
            opens = min(item.window_starts_on, occurrence.due_on)
            if not occurrence.is_moved and (occurrence.due_on, occurrence.window_starts_on) != (item.due_on, opens):
                occurrence.due_on, occurrence.window_starts_on = item.due_on, opens
                summary.updated += 1
                continue
        summary.kept += 1
    agreement = task.agreement
    for occurrence in existing:
        if occurrence.planned_on in wanted or occurrence.due_on < today or occurrence.id in completed_ids:
            continue
        outside_plan = agreement.status != "active" or occurrence.planned_on > agreement.ends_on
        if outside_plan or occurrence.planned_on <= until:
            db.session.delete(occurrence)
            summary.deleted += 1
        else:
            summary.kept += 1  # planned further ahead than this run looks (an earlier --until); left alone
    return summary


def _existing(task_ids: list[int]) -> tuple[dict[int, list[Occurrence]], set[int]]:
    rows = db.session.scalars(select(Occurrence).where(Occurrence.agreed_task_id.in_(task_ids))).all()
    grouped: dict[int, list[Occurrence]] = defaultdict(list)
    for occurrence in rows:
        grouped[occurrence.agreed_task_id].append(occurrence)
    completed = set(db.session.scalars(
        select(Completion.occurrence_id).join(Occurrence).where(Occurrence.agreed_task_id.in_(task_ids))
    ))
    return grouped, completed


def regenerate(tasks: Iterable[AgreedTask], *, today: date, until: date | None = None,
               seasons_ahead: int = 1) -> GenerationSummary:
    """Bring the stored occurrences of these agreed tasks in line with their rules, up to the horizon (or `until`).

    Running it twice changes nothing the second time.
    """
    tasks = list(tasks)
    summary = GenerationSummary()
    if not tasks:
        return summary
    with transaction():
        grouped, completed = _existing([task.id for task in tasks])
        new_rows: list[dict] = []
        for task in tasks:
            horizon = until or plan_until(task, today, seasons_ahead)
            summary.add(_regenerate(task, grouped.get(task.id, []), completed, new_rows, today=today,
                                    until=horizon))
        db.session.flush()
        if new_rows:
            # On the table, not through the ORM's bulk path: the same rows at a third of the cost.
            table = Occurrence.__table__
            for start in range(0, len(new_rows), 5000):
                db.session.execute(table.insert(), new_rows[start:start + 5000])
    return summary


def _tasks_of(agreement_ids: list[int]) -> list[AgreedTask]:
    return list(db.session.scalars(
        select(AgreedTask).where(AgreedTask.agreement_id.in_(agreement_ids))
        .options(selectinload(AgreedTask.agreement)).order_by(AgreedTask.id)
    ))


def extend_horizon(*, today: date, until: date | None = None, seasons_ahead: int = 1,
                   progress: Callable[[int], None] | None = None) -> GenerationSummary:
    """The nightly job: plan every agreement's tasks up to the horizon, one agreement per transaction."""
    summary = GenerationSummary()
    agreement_ids = list(db.session.scalars(select(Agreement.id).order_by(Agreement.id)))
    for agreement_id in agreement_ids:
        tasks = _tasks_of([agreement_id])
        summary.add(regenerate(tasks, today=today, until=until, seasons_ahead=seasons_ahead))
        if progress:
            progress(1)
    return summary


def generate_for_agreement(*, actor_id: int | None, agreement: Agreement, today: date,
                           seasons_ahead: int = 1) -> GenerationSummary:
    """"Generera nu" on an agreement's schedule page."""
    with transaction():
        summary = regenerate(_tasks_of([agreement.id]), today=today, seasons_ahead=seasons_ahead)
        audit.record(actor_id=actor_id, action="update", obj=agreement, label=agreement.title,
                     changes={"schedule": [None, str(summary)]})
    return summary


# --- statuses ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OccurrenceState:
    """An occurrence with what the one status function says about it today."""

    occurrence: Occurrence
    status: Status
    completed_on: date | None
    on_time_until: date
    overdue: bool = field(default=False)

    @property
    def is_settled(self) -> bool:
        return self.status in plan.SETTLED


def states(occurrences: Iterable[Occurrence], *, today: date) -> list[OccurrenceState]:
    """The status of each occurrence, in the order given, in a fixed number of queries however many there are.

    For a quota task the suggested dates are only suggestions: the completions in the season that keep the spacing
    are counted in order, the k-th counting for the k-th occurrence that is not excused (an excused one gets a
    counted completion only when more were done than expected), and each is on time until the season ends.
    """
    occurrences = list(occurrences)
    if not occurrences:
        return []
    tasks = _load_tasks({occurrence.agreed_task_id for occurrence in occurrences})
    for occurrence in occurrences:
        # Held by the occurrence, the task stays loaded for the caller (the session only keeps weak references).
        set_committed_value(occurrence, "agreed_task", tasks[occurrence.agreed_task_id])
    first_completion: dict[int, date] = {}
    rows = db.session.execute(
        select(Completion.occurrence_id, Completion.completed_on)
        .where(Completion.occurrence_id.in_([occurrence.id for occurrence in occurrences]))
    )
    for occurrence_id, completed_on in rows:
        if occurrence_id not in first_completion or completed_on < first_completion[occurrence_id]:
            first_completion[occurrence_id] = completed_on
    quota_done = _quota_assignments([task for task in tasks.values() if task.quota_count])
    result = []
    for occurrence in occurrences:
        task = tasks[occurrence.agreed_task_id]
        grace = task.task_type.grace_days
        if task.quota_count:
            completed_on, season_end = quota_done.get(occurrence.id, (None, occurrence.due_on))
            deadline = plan.on_time_until(season_end, grace)
        else:
            completed_on = first_completion.get(occurrence.id)
            deadline = plan.on_time_until(occurrence.due_on, grace)
        status = plan.occurrence_status(window_starts_on=occurrence.window_starts_on, on_time_until=deadline,
                                        completed_on=completed_on, excused=occurrence.is_excused, today=today)
        result.append(OccurrenceState(occurrence, status, completed_on, deadline,
                                      plan.is_overdue(status, occurrence.due_on, today)))
    return result


def _load_tasks(task_ids: set[int]) -> dict[int, AgreedTask]:
    """The agreed tasks with their task types and agreements, in one round trip each (at most three queries)."""
    tasks = db.session.scalars(
        select(AgreedTask).where(AgreedTask.id.in_(task_ids))
        .options(selectinload(AgreedTask.task_type), selectinload(AgreedTask.agreement))
    ).all()
    return {task.id: task for task in tasks}


def _quota_assignments(tasks: list[AgreedTask]) -> dict[int, tuple[date | None, date]]:
    """For the occurrences of quota tasks: id → (the counted completion assigned to it or None, its season's end)."""
    if not tasks:
        return {}
    task_ids = [task.id for task in tasks]
    siblings: dict[int, list[Occurrence]] = defaultdict(list)
    for occurrence in db.session.scalars(
        select(Occurrence).where(Occurrence.agreed_task_id.in_(task_ids)).order_by(Occurrence.planned_on)
    ):
        siblings[occurrence.agreed_task_id].append(occurrence)
    done: dict[int, list[date]] = defaultdict(list)
    for task_id, completed_on in db.session.execute(
        select(Occurrence.agreed_task_id, Completion.completed_on).join(Completion.occurrence)
        .where(Occurrence.agreed_task_id.in_(task_ids))
    ):
        done[task_id].append(completed_on)
    assignments: dict[int, tuple[date | None, date]] = {}
    for task in tasks:
        quota: Quota = rule_of(task)
        for window in plan.season_windows(season_of(task), _plan_starts_on(task), task.agreement.ends_on):
            in_window = [o for o in siblings[task.id] if window.starts_on <= o.planned_on <= window.ends_on]
            counted = plan.spaced_completions(done[task.id], starts_on=window.starts_on, ends_on=window.ends_on,
                                              min_gap_days=quota.min_gap_days)
            # Excused occurrences last: the municipality lowered the count, so work done counts for those expected.
            expected = [o for o in in_window if not o.is_excused] + [o for o in in_window if o.is_excused]
            for index, occurrence in enumerate(expected):
                assignments[occurrence.id] = (counted[index] if index < len(counted) else None, window.ends_on)
    return assignments


def state_of(occurrence: Occurrence, *, today: date) -> OccurrenceState:
    return states([occurrence], today=today)[0]


# --- the status pass -----------------------------------------------------------------------------------------


@dataclass
class StatusSummary:
    missed: int = 0
    deviations: int = 0

    def __str__(self) -> str:
        return f"{self.missed} missade tillfällen, {self.deviations} nya avvikelser"


def status_pass(*, today: date, lookback_days: int = 120, batch_size: int = 500) -> StatusSummary:
    """The nightly pass: a missed occurrence of an agreed task that asks for it raises one deviation.

    Idempotent: the deviation is unique per occurrence. Looks back `lookback_days` so a scheduler that was down
    for a while still catches up; a quota occurrence is missed only when its season has ended, so for quota tasks
    the look-back reaches a season (a year) further.
    """
    summary = StatusSummary()
    cutoff = today - timedelta(days=lookback_days)
    candidates = db.session.scalars(
        select(Occurrence).join(AgreedTask)
        .where(Occurrence.due_on < today,
               or_(Occurrence.due_on >= cutoff,
                   and_(AgreedTask.quota_count.is_not(None), Occurrence.due_on >= cutoff - timedelta(days=366))),
               Occurrence.excused_reason.is_(None), AgreedTask.deviation_when_missed.is_(True),
               ~exists().where(Deviation.occurrence_id == Occurrence.id))
        .options(selectinload(Occurrence.agreed_task).selectinload(AgreedTask.site))
        .order_by(Occurrence.due_on, Occurrence.id)
    ).all()
    with transaction():
        for first in range(0, len(candidates), batch_size):
            for state in states(candidates[first:first + batch_size], today=today):
                if state.status is not Status.MISSED:
                    continue
                summary.missed += 1
                occurrence, task = state.occurrence, state.occurrence.agreed_task
                db.session.add(Deviation(
                    municipality_id=occurrence.municipality_id, source="missed_occurrence",
                    agreement_id=task.agreement_id, site_id=task.site_id, occurrence_id=occurrence.id,
                    description=(f"{task.task_type.name_sv} på {task.site.name} skulle vara utfört senast "
                                 f"{occurrence.due_on.isoformat()} men har inte rapporterats."),
                    fix_by_on=today + timedelta(days=DEVIATION_FIX_DAYS), status="open"))
                summary.deviations += 1
    return summary


# --- an admin's changes to one occurrence --------------------------------------------------------------------


def _reason(text: str | None) -> str:
    reason = (text or "").strip()
    if not reason:
        raise ValidationError("Skriv varför.", "Say why.", field="reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationError(f"Skriv högst {MAX_REASON_LENGTH} tecken.",
                              f"Write at most {MAX_REASON_LENGTH} characters.", field="reason")
    return reason


def _label(occurrence: Occurrence) -> str:
    task = occurrence.agreed_task
    return f"{task.task_type.name_sv} på {task.site.name} {occurrence.planned_on.isoformat()}"


def _change(actor_id: int | None, occurrence: Occurrence, values: dict) -> None:
    with transaction():
        changes = audit.apply_changes(occurrence, values)
        if changes:
            db.session.flush()
            audit.record(actor_id=actor_id, action="update", obj=occurrence, label=_label(occurrence),
                         changes=changes, parent=occurrence.agreed_task.agreement)


def _has_completion(occurrence: Occurrence) -> bool:
    return db.session.scalar(select(exists().where(Completion.occurrence_id == occurrence.id)))


def excuse_occurrence(*, actor_id: int | None, occurrence: Occurrence, reason: str) -> None:
    """Stryk: the municipality cancels one occurrence (weather, a closed beach), with the reason."""
    reason = _reason(reason)
    if _has_completion(occurrence):
        raise ValidationError("Tillfället är redan utfört och kan inte strykas.",
                              "The occurrence is already done and cannot be excused.", field="reason")
    _change(actor_id, occurrence, {"excused_reason": reason})


def restore_occurrence(*, actor_id: int | None, occurrence: Occurrence) -> None:
    """Undo an excuse: the occurrence is expected again."""
    _change(actor_id, occurrence, {"excused_reason": None})


def move_occurrence(*, actor_id: int | None, occurrence: Occurrence, due_on: date | None, reason: str) -> None:
    """Move one occurrence's due date (the window opens earlier if needed); it keeps its identity."""
    if due_on is None:
        raise ValidationError("Ange ett datum, t.ex. 2026-06-15.", "Give a date, e.g. 2026-06-15.", field="due_on")
    reason = _reason(reason)
    agreement = occurrence.agreed_task.agreement
    if not agreement.starts_on <= due_on <= agreement.ends_on:
        raise ValidationError(
            f"Datumet ligger utanför avtalstiden {agreement.starts_on.isoformat()}–{agreement.ends_on.isoformat()}.",
            f"The date is outside the agreement period {agreement.starts_on.isoformat()}–"
            f"{agreement.ends_on.isoformat()}.", field="due_on")
    if _has_completion(occurrence):
        raise ValidationError("Tillfället är redan utfört och kan inte flyttas.",
                              "The occurrence is already done and cannot be moved.", field="due_on")
    clash = db.session.scalar(select(Occurrence.id).where(
        Occurrence.agreed_task_id == occurrence.agreed_task_id, Occurrence.due_on == due_on,
        Occurrence.id != occurrence.id))
    if clash is not None:
        raise ValidationError("Samma moment har redan ett tillfälle den dagen.",
                              "The same task already has an occurrence that day.", field="due_on")
    moved = due_on != occurrence.planned_on
    values = {"due_on": due_on, "moved_reason": reason if moved else None}
    if due_on < occurrence.window_starts_on:
        values["window_starts_on"] = due_on
    _change(actor_id, occurrence, values)
