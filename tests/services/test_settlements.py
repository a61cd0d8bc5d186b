"""Season settlement service: the counts come from the one status function over a hand-made season (on time, late,
missed, excused, a deviation), per compensation model; approve/reject rules; the lock; the audit."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from skotsel.domain.errors import ValidationError
from skotsel.extensions import db
from skotsel.models import AuditEvent, Completion, Deviation, Occurrence, Settlement
from skotsel.services.settlements import (
    LOCKED_SV,
    approve_settlement,
    compute_settlement,
    reject_settlement,
)
from skotsel.services.schedule import regenerate

D = date.fromisoformat
TODAY = D("2026-10-01")
NOW = datetime(2026, 10, 1, 12, 0, tzinfo=timezone.utc)


def occurrence(task, planned_on: str) -> Occurrence:
    return db.session.scalar(select(Occurrence).filter_by(agreed_task_id=task.id, planned_on=D(planned_on)))


def complete(task, planned_on: str, completed_on: str) -> None:
    occ = occurrence(task, planned_on)
    db.session.add(Completion(municipality_id=occ.municipality_id, occurrence_id=occ.id, site_id=task.site_id,
                              task_type_id=task.task_type_id, completed_on=D(completed_on)))
    db.session.commit()


@pytest.fixture
def season(world, make):
    """Agreement A in 2026: a daily check 1–5 June at Park A (grace 2 days) — 1 and 5 June done on time, 2 June done
    late, 3 June missed, 4 June excused — and a daily litter round 1–2 June at a second site (2 500 m²), both done:
    one component earned of two. One open deviation for the missed day, one fixed (not verified) deviation, one
    verified, and one open deviation from 2025 (another season)."""
    agreement = world.agreement_a
    check_type = make.task_type(world.home, "Kontroll")
    litter_type = make.task_type(world.home, "Skräpplockning")
    second_site = make.site(world.home, world.a, name="Badplats", area_m2=2500)
    check = make.agreed_task(agreement, world.site_a, check_type, rrule="FREQ=DAILY", season=("06-01", "06-05"))
    litter = make.agreed_task(agreement, second_site, litter_type, rrule="FREQ=DAILY", season=("06-01", "06-02"))
    db.session.delete(db.session.merge(world.task_a))  # only the two hand-made tasks count
    db.session.commit()
    regenerate([check, litter], today=D("2025-01-01"), until=D("2026-12-31"))
    complete(check, "2026-06-01", "2026-06-01")
    complete(check, "2026-06-02", "2026-06-07")
    complete(check, "2026-06-05", "2026-06-05")
    complete(litter, "2026-06-01", "2026-06-01")
    complete(litter, "2026-06-02", "2026-06-03")
    # The 2025 occurrences are all missed: another season, they must not count in 2026.
    occurrence(check, "2026-06-04").excused_reason = "Åska"
    missed = occurrence(check, "2026-06-03")
    for status, occ, created in (("open", missed.id, NOW), ("fixed", None, NOW), ("verified", None, NOW),
                                 ("open", None, datetime(2025, 7, 1, tzinfo=timezone.utc))):
        db.session.add(Deviation(municipality_id=agreement.municipality_id, source="missed_occurrence",
                                 agreement_id=agreement.id, site_id=world.site_a.id, occurrence_id=occ,
                                 description="Ej gjort", status=status, created_at=created))
    db.session.commit()
    return SimpleNamespace(agreement=agreement, check=check, litter=litter, site=second_site)


def configure(agreement, model: str, amount: str, cap: str | None = None, missed: int = 0, deviation: int = 0):
    agreement.compensation_model = model
    agreement.compensation_amount = Decimal(amount)
    agreement.compensation_cap = Decimal(cap) if cap is not None else None
    agreement.deduction_per_missed_ore = missed
    agreement.deduction_per_open_deviation_ore = deviation
    db.session.commit()


@pytest.mark.parametrize("model, amount, cap, missed, deviation, base, deductions, total", [
    ("fixed_per_year", "10000", None, 0, 0, 1_000_000, 0, 1_000_000),
    ("fixed_per_year", "10000", None, 50_000, 20_000, 1_000_000, 70_000, 930_000),
    ("per_m2", "0.28", None, 0, 0, (1200 + 2500) * 28, 0, 103_600),
    ("per_occurrence", "150.50", None, 0, 0, 5 * 15_050, 0, 75_250),  # 4 on time + 1 late
    ("components_with_cap", "2000", "6000", 0, 0, 200_000, 0, 200_000),
    ("components_with_cap", "2000", "1500", 10_000, 0, 150_000, 10_000, 140_000),
    ("per_occurrence", "10", None, 100_000, 100_000, 5_000, 200_000, 0),
    ("none", "0", None, 100_000, 100_000, 0, 0, 0),
])
def test_compute_counts_from_the_status_function(world, season, model, amount, cap, missed, deviation, base,
                                                 deductions, total):
    configure(season.agreement, model, amount, cap, missed, deviation)
    settlement = compute_settlement(actor_id=world.reviewer.id, agreement=season.agreement, year=2026, today=TODAY)
    assert (settlement.status, settlement.base_ore, settlement.deductions_ore, settlement.total_ore) == (
        "proposed", base, deductions, total)
    counts = settlement.breakdown["counts"]
    assert {k: counts[k] for k in ("occurrences", "done", "done_late", "missed", "excused", "open", "components",
                                   "agreed_tasks", "area_m2", "open_deviations")} == {
        "occurrences": 7, "done": 4, "done_late": 1, "missed": 1, "excused": 1, "open": 0, "components": 1,
        "agreed_tasks": 2, "area_m2": 3700, "open_deviations": 1}
    assert sum(line["amount_ore"] for line in settlement.breakdown["lines"]) == total


def test_open_occurrences_keep_a_component_unearned(world, season):
    configure(season.agreement, "components_with_cap", "2000")
    settlement = compute_settlement(actor_id=None, agreement=season.agreement, year=2026, today=D("2026-06-03"))
    counts = settlement.breakdown["counts"]
    assert counts["open"] > 0 and counts["components"] == 1  # the litter round is done; the check is not over


def test_fixed_amount_is_prorated_in_a_partly_covered_year(world, season):
    season.agreement.ends_on = D("2027-05-31")
    configure(season.agreement, "fixed_per_year", "10000")
    settlement = compute_settlement(actor_id=None, agreement=season.agreement, year=2027, today=TODAY)
    # 1 Jan–31 May 2027 = 151 of 365 days: 10 000 kr × 151/365 = 4 136,986… kr → 413 699 öre
    assert settlement.base_ore == settlement.total_ore == 413_699


def test_year_outside_the_agreement_is_refused(world, season):
    with pytest.raises(ValidationError) as caught:
        compute_settlement(actor_id=None, agreement=season.agreement, year=2030, today=TODAY)
    assert "2030" in caught.value.message_sv
    assert db.session.scalar(select(Settlement.id)) is None


def test_recompute_updates_the_proposal_and_audits_it(world, season):
    configure(season.agreement, "per_occurrence", "100")
    settlement = compute_settlement(actor_id=world.admin.id, agreement=season.agreement, year=2026, today=TODAY)
    complete(season.check, "2026-06-03", "2026-09-01")  # the missed day was done very late after all
    again = compute_settlement(actor_id=world.admin.id, agreement=season.agreement, year=2026, today=TODAY)
    assert again.id == settlement.id and again.total_ore == 6 * 10_000
    events = db.session.scalars(select(AuditEvent).filter_by(object_type="Settlement").order_by(AuditEvent.id)).all()
    assert [(e.action, e.parent_type, e.parent_id) for e in events] == [
        ("create", "Agreement", season.agreement.id), ("update", "Agreement", season.agreement.id)]
    assert events[1].changes["total_ore"] == ["50000", "60000"]
    assert events[0].actor_id == world.admin.id


def test_approve_locks_the_settlement(world, season):
    settlement = compute_settlement(actor_id=None, agreement=season.agreement, year=2026, today=TODAY)
    approve_settlement(actor_id=world.reviewer.id, settlement=settlement, reason="Enligt dagboken", now=NOW)
    db.session.refresh(settlement)
    assert (settlement.status, settlement.decided_by_id, settlement.reason) == ("approved", world.reviewer.id,
                                                                              "Enligt dagboken")
    assert settlement.decided_at.replace(tzinfo=timezone.utc) == NOW
    event = db.session.scalars(select(AuditEvent).filter_by(object_type="Settlement", action="update")).one()
    assert event.changes["status"] == ["proposed", "approved"] and event.actor_id == world.reviewer.id
    for attempt in (
        lambda: compute_settlement(actor_id=None, agreement=season.agreement, year=2026, today=TODAY),
        lambda: approve_settlement(actor_id=None, settlement=settlement, now=NOW),
        lambda: reject_settlement(actor_id=None, settlement=settlement, reason="Fel", now=NOW),
    ):
        with pytest.raises(ValidationError) as caught:
            attempt()
        assert caught.value.message_sv == LOCKED_SV
    db.session.refresh(settlement)
    assert settlement.status == "approved"


@pytest.mark.parametrize("reason", ["", "   "])
def test_reject_requires_a_reason(world, season, reason):
    settlement = compute_settlement(actor_id=None, agreement=season.agreement, year=2026, today=TODAY)
    with pytest.raises(ValidationError) as caught:
        reject_settlement(actor_id=world.reviewer.id, settlement=settlement, reason=reason, now=NOW)
    assert caught.value.field == "reason" and caught.value.message_sv == "Ange varför avstämningen underkänns."
    db.session.refresh(settlement)
    assert settlement.status == "proposed"


def test_rejected_can_only_be_recomputed_which_makes_it_a_proposal_again(world, season):
    settlement = compute_settlement(actor_id=None, agreement=season.agreement, year=2026, today=TODAY)
    reject_settlement(actor_id=world.reviewer.id, settlement=settlement, reason="Saknar foton", now=NOW)
    assert (settlement.status, settlement.reason) == ("rejected", "Saknar foton")
    with pytest.raises(ValidationError) as caught:
        approve_settlement(actor_id=world.reviewer.id, settlement=settlement, now=NOW)
    assert caught.value.message_sv.startswith("Bara ett förslag")
    again = compute_settlement(actor_id=world.admin.id, agreement=season.agreement, year=2026, today=TODAY)
    assert (again.status, again.reason, again.decided_by_id) == ("proposed", "", None)
    approve_settlement(actor_id=world.reviewer.id, settlement=again, now=NOW)
    assert again.status == "approved"
