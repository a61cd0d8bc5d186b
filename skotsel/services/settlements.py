"""Säsongsavstämning: compute, recompute, approve and reject one agreement's settlement for one year.

The counts come from the one status function (skotsel.services.schedule.states) over the agreement's occurrences
due in the year, as of `today`; the arithmetic is skotsel.domain.settlement. A settlement is proposed until a
reviewer or admin approves it (locked: the basis for payment, never recomputed or decided again) or rejects it
with a reason (it can then be recomputed, which makes it a proposal again). Every change is audited on the
settlement with the agreement as parent, so it shows in the agreement's log.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timezone

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import selectinload

from skotsel.domain import settlement as arithmetic
from skotsel.domain.errors import ValidationError
from skotsel.domain.schedule import Status
from skotsel.extensions import db
from skotsel.models import AgreedTask, Agreement, Deviation, Occurrence, Settlement
from skotsel.services import audit, transaction
from skotsel.services.schedule import states

FIELDS = ("agreement_id", "year", "status", "base_ore", "deductions_ore", "total_ore", "reason")
#: Deviations still unresolved at settlement; "fixed" awaits the municipality's check and is not deducted.
UNRESOLVED_DEVIATION_STATUSES = ("open", "reopened")
LOCKED_SV = "Säsongsavstämningen är godkänd och låst; den kan inte ändras."
LOCKED_EN = "The season settlement is approved and locked; it cannot be changed."


def settlement_for(agreement: Agreement, year: int) -> Settlement | None:
    return db.session.scalar(select(Settlement).filter_by(agreement_id=agreement.id, year=year))


def label(settlement: Settlement) -> str:
    return f"Säsongsavstämning {settlement.year} {settlement.agreement.title}"


def _check_year(agreement: Agreement, year: int) -> None:
    if not agreement.starts_on.year <= year <= agreement.ends_on.year:
        raise ValidationError(
            f"Avtalet gäller {agreement.starts_on.isoformat()} – {agreement.ends_on.isoformat()}; "
            f"året {year} kan inte avstämmas.",
            f"The agreement runs {agreement.starts_on.isoformat()} – {agreement.ends_on.isoformat()}; "
            f"the year {year} cannot be settled.", field="year")


def _counts(agreement: Agreement, year: int, today: date) -> dict:
    """What the season's settlement counts, from the one status function."""
    tasks = db.session.scalars(select(AgreedTask).where(AgreedTask.agreement_id == agreement.id)
                               .options(selectinload(AgreedTask.site)).order_by(AgreedTask.id)).all()
    occurrences = db.session.scalars(
        select(Occurrence).where(Occurrence.agreed_task_id.in_([task.id for task in tasks]),
                                 Occurrence.due_on >= date(year, 1, 1), Occurrence.due_on <= date(year, 12, 31))
        .order_by(Occurrence.due_on, Occurrence.id)
    ).all() if tasks else []
    tally = {status: 0 for status in Status}
    per_task: dict[int, list[Status]] = defaultdict(list)
    for state in states(occurrences, today=today):
        tally[state.status] += 1
        per_task[state.occurrence.agreed_task_id].append(state.status)
    components = sum(
        1 for statuses in per_task.values()
        if statuses and all(s in (Status.DONE, Status.DONE_LATE, Status.EXCUSED) for s in statuses)
        and any(s in (Status.DONE, Status.DONE_LATE) for s in statuses)
    )
    sites = {}
    for task in tasks:
        sites.setdefault(task.site_id, task.site.area_m2)
    year_starts = datetime.combine(date(year, 1, 1), time(), tzinfo=timezone.utc)
    year_ends = datetime.combine(date(year + 1, 1, 1), time(), tzinfo=timezone.utc)
    occurrence_ids = [occurrence.id for occurrence in occurrences]
    open_deviations = len(db.session.scalars(
        select(Deviation.id).where(
            Deviation.agreement_id == agreement.id,
            Deviation.status.in_(UNRESOLVED_DEVIATION_STATUSES),
            or_(Deviation.occurrence_id.in_(occurrence_ids) if occurrence_ids else false(),
                and_(Deviation.occurrence_id.is_(None), Deviation.created_at >= year_starts,
                     Deviation.created_at < year_ends)),
        )
    ).all())
    return {
        "occurrences": len(occurrences),
        "done": tally[Status.DONE],
        "done_late": tally[Status.DONE_LATE],
        "missed": tally[Status.MISSED],
        "excused": tally[Status.EXCUSED],
        "open": tally[Status.DUE] + tally[Status.UPCOMING],
        "components": components,
        "agreed_tasks": len(tasks),
        "sites": len(sites),
        "area_m2": sum(area or 0 for area in sites.values()),
        "site_areas_m2": list(sites.values()),
        "open_deviations": open_deviations,
    }


def proposal(agreement: Agreement, year: int, *, today: date) -> tuple[arithmetic.Result, dict]:
    """The settlement the rules give for (agreement, year) as of `today`, and the counts it used."""
    _check_year(agreement, year)
    counts = _counts(agreement, year, today)
    result = arithmetic.settle(
        model=agreement.compensation_model,
        amount_ore=arithmetic.kronor_to_ore(agreement.compensation_amount) or 0,
        cap_ore=arithmetic.kronor_to_ore(agreement.compensation_cap),
        year=year, starts_on=agreement.starts_on, ends_on=agreement.ends_on,
        site_areas_m2=counts["site_areas_m2"], completed=counts["done"] + counts["done_late"],
        components=counts["components"], missed=counts["missed"], open_deviations=counts["open_deviations"],
        deduction_per_missed_ore=agreement.deduction_per_missed_ore or 0,
        deduction_per_open_deviation_ore=agreement.deduction_per_open_deviation_ore or 0,
    )
    return result, counts


def compute_settlement(*, actor_id: int | None, agreement: Agreement, year: int, today: date) -> Settlement:
    """Create or recompute the proposed settlement; refused once approved. A rejected one becomes a proposal again."""
    existing = settlement_for(agreement, year)
    if existing is not None and existing.status == "approved":
        raise ValidationError(LOCKED_SV, LOCKED_EN)
    result, counts = proposal(agreement, year, today=today)
    counts.pop("site_areas_m2")
    values = {
        "status": "proposed",
        "base_ore": result.base_ore,
        "deductions_ore": result.deductions_ore,
        "total_ore": result.total_ore,
        "breakdown": {"lines": [line.as_dict() for line in result.lines], "counts": counts,
                      "computed_on": today.isoformat(), "model": agreement.compensation_model},
        "decided_by_id": None,
        "decided_at": None,
        "reason": "",
    }
    with transaction():
        if existing is None:
            settlement = Settlement(municipality_id=agreement.municipality_id, agreement_id=agreement.id, year=year,
                                    **values)
            settlement.agreement = agreement
            db.session.add(settlement)
            audit.record_create(actor_id=actor_id, obj=settlement, label=label(settlement), fields=FIELDS,
                                parent=agreement)
        else:
            settlement = existing
            breakdown = values.pop("breakdown")
            changes = audit.apply_changes(settlement, values)
            settlement.breakdown = breakdown
            if changes:
                audit.record(actor_id=actor_id, action="update", obj=settlement, label=label(settlement),
                             changes=changes, parent=agreement)
    return settlement


def _decide(*, actor_id: int | None, settlement: Settlement, status: str, reason: str, now: datetime) -> None:
    if settlement.status == "approved":
        raise ValidationError(LOCKED_SV, LOCKED_EN)
    if settlement.status != "proposed":
        raise ValidationError("Bara ett förslag kan godkännas eller underkännas. Beräkna på nytt först.",
                              "Only a proposal can be approved or rejected. Recompute it first.")
    with transaction():
        changes = audit.apply_changes(settlement, {"status": status, "reason": reason, "decided_by_id": actor_id})
        settlement.decided_at = now
        audit.record(actor_id=actor_id, action="update", obj=settlement, label=label(settlement), changes=changes,
                     parent=settlement.agreement)


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if len(reason) > 2000:
        raise ValidationError("Motiveringen får vara högst 2000 tecken.",
                              "The reason may be at most 2000 characters.", field="reason")
    return reason


def approve_settlement(*, actor_id: int | None, settlement: Settlement, reason: str = "",
                       now: datetime | None = None) -> None:
    """Approve the proposal (a reason is optional): it is locked from now on."""
    _decide(actor_id=actor_id, settlement=settlement, status="approved", reason=_reason(reason),
            now=now or datetime.now(timezone.utc))


def reject_settlement(*, actor_id: int | None, settlement: Settlement, reason: str,
                      now: datetime | None = None) -> None:
    """Reject the proposal; the reason is required (the association reads it)."""
    reason = _reason(reason)
    if not reason:
        raise ValidationError("Ange varför avstämningen underkänns.", "Say why the settlement is rejected.",
                              field="reason")
    _decide(actor_id=actor_id, settlement=settlement, status="rejected", reason=reason,
            now=now or datetime.now(timezone.utc))
