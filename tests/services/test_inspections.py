"""Recording an inspection: results per site, a deviation for each remark or failure, all or nothing, audited."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from skotsel.domain.errors import ValidationError
from skotsel.extensions import db
from skotsel.models import AuditEvent, Deviation, Inspection, InspectionResult
from skotsel.services.access import Forbidden, Principal
from skotsel.services.inspections import SiteResult, record_inspection, sites_of

TODAY = date(2026, 6, 20)
INSPECTED = date(2026, 6, 18)


def principal(user) -> Principal:
    db.session.refresh(user)
    return Principal.of(user)


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


@pytest.fixture
def sites(world, make):
    """Agreement A with three sites: Park A, Lekplatsen and Strandängen."""
    extra = [make.site(world.home, world.a, name=name) for name in ("Lekplatsen", "Strandängen")]
    for site in extra:
        make.agreed_task(world.agreement_a, site, world.task_type)
    return [world.site_a, *extra]


def inspect(world, user, results, *, inspected_on=INSPECTED, notes="Rundvandring med föreningen"):
    return record_inspection(principal=principal(user), agreement=world.agreement_a, inspected_on=inspected_on,
                             notes=notes, results=results, today=TODAY)


def test_mixed_results_raise_exactly_the_deviations_for_remark_and_failure(world, sites):
    park, playground, meadow = sites
    inspection = inspect(world, world.reviewer, [
        SiteResult(park.id, "approved", "Fint klippt"),
        SiteResult(playground.id, "remark", "Sanden behöver krattas", date(2026, 6, 25)),
        SiteResult(meadow.id, "failed", "  Inte klippt alls  "),
    ])

    db.session.expire_all()
    saved = db.session.get(Inspection, inspection.id)
    assert (saved.inspected_on, saved.inspector_id, saved.notes) == (INSPECTED, world.reviewer.id,
                                                                     "Rundvandring med föreningen")
    assert [(r.site_id, r.result, r.notes) for r in saved.results] == [
        (park.id, "approved", "Fint klippt"), (playground.id, "remark", "Sanden behöver krattas"),
        (meadow.id, "failed", "Inte klippt alls")]
    deviations = db.session.scalars(select(Deviation).order_by(Deviation.id)).all()
    assert [(d.site_id, d.source, d.status, d.agreement_id, d.description, d.fix_by_on) for d in deviations] == [
        (playground.id, "inspection", "open", world.agreement_a.id, "Sanden behöver krattas", date(2026, 6, 25)),
        (meadow.id, "inspection", "open", world.agreement_a.id, "Inte klippt alls", INSPECTED + timedelta(days=14)),
    ]
    by_site = {r.site_id: r.id for r in saved.results}
    assert [d.inspection_result_id for d in deviations] == [by_site[playground.id], by_site[meadow.id]]


def test_all_approved_raises_no_deviation(world, sites):
    inspect(world, world.admin, [SiteResult(site.id, "approved") for site in sites])
    assert count(InspectionResult) == 3 and count(Deviation) == 0


def test_a_site_left_blank_was_not_inspected(world, sites):
    inspect(world, world.reviewer, [SiteResult(sites[0].id, "remark", "Skräp vid bänken"),
                                    SiteResult(sites[1].id, None), SiteResult(sites[2].id, None, "ignoreras")])
    assert count(InspectionResult) == 1 and count(Deviation) == 1


def test_it_is_audited_on_the_agreement_and_the_inspection(world, sites):
    inspection = inspect(world, world.reviewer, [SiteResult(sites[0].id, "approved"),
                                                 SiteResult(sites[1].id, "failed", "Trasig gunga")])
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.object_type, e.action, e.actor_id) for e in events] == [
        ("Inspection", "create", world.reviewer.id), ("InspectionResult", "create", world.reviewer.id),
        ("InspectionResult", "create", world.reviewer.id), ("Deviation", "create", world.reviewer.id)]
    assert events[0].parent_type == "Agreement" and events[0].parent_id == world.agreement_a.id
    assert events[1].parent_type == "Inspection" and events[1].parent_id == inspection.id
    assert events[3].changes["description"] == [None, "Trasig gunga"]
    assert events[3].parent_type == "Agreement"


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"inspected_on": None}, "inspected_on", "Ange besiktningsdatum."),
    ({"inspected_on": TODAY + timedelta(days=1)}, "inspected_on", "Besiktningsdatum kan inte vara i framtiden."),
    ({"notes": "x" * 5001}, "notes", "Anteckningarna får vara högst 5000 tecken."),
    ({"result": "kanske"}, "site_{id}_result", "Välj godkänd, anmärkning eller underkänd för Park A."),
    ({"result": "remark", "site_notes": "  "}, "site_{id}_notes", "Beskriv vad som ska åtgärdas på Park A."),
    ({"result": "failed", "site_notes": ""}, "site_{id}_notes", "Beskriv vad som ska åtgärdas på Park A."),
    ({"result": "remark", "fix_by_on": INSPECTED}, "site_{id}_fix_by",
     "Åtgärdas senast måste vara efter besiktningsdatum."),
    ({"result": None}, None, "Ange resultat för minst ett skötselobjekt."),
])
def test_bad_input_is_refused_and_nothing_is_saved(world, sites, change, field, message):
    site = sites[0]
    result = SiteResult(site.id, change.get("result", "remark"), change.get("site_notes", "Skräp"),
                        change.get("fix_by_on"))
    with pytest.raises(ValidationError) as refused:
        inspect(world, world.reviewer, [result], inspected_on=change.get("inspected_on", INSPECTED),
                notes=change.get("notes", ""))
    assert refused.value.message_sv == message
    assert refused.value.field == (field.format(id=site.id) if field else None)
    assert count(Inspection) == count(InspectionResult) == count(Deviation) == count(AuditEvent) == 0


def test_a_site_outside_the_agreement_is_refused(world, sites):
    with pytest.raises(ValidationError, match="ingår inte i avtalet"):
        inspect(world, world.reviewer, [SiteResult(world.site_b.id, "approved")])
    assert count(Inspection) == 0


def test_a_failure_late_in_the_batch_leaves_nothing_half_saved(world, sites, monkeypatch):
    from skotsel.services import inspections

    real = inspections.audit.record_create
    calls = []

    def failing(**kwargs):
        calls.append(kwargs["obj"])
        if isinstance(kwargs["obj"], Deviation):
            raise RuntimeError("databasen försvann")
        return real(**kwargs)

    monkeypatch.setattr(inspections.audit, "record_create", failing)
    with pytest.raises(RuntimeError):
        inspect(world, world.reviewer, [SiteResult(sites[0].id, "approved"), SiteResult(sites[1].id, "remark", "X")])
    assert count(Inspection) == count(InspectionResult) == count(Deviation) == 0


@pytest.mark.parametrize("email", ["samordnare@a.example", "medlem@a.example", "admin@other.example"])
def test_only_the_municipality_s_staff_inspect(world, sites, email):
    user = {"samordnare@a.example": world.coordinator_a, "medlem@a.example": world.member_a,
            "admin@other.example": world.other_admin}[email]
    with pytest.raises(Forbidden):
        inspect(world, user, [SiteResult(sites[0].id, "approved")])
    assert count(Inspection) == 0


def test_the_agreement_s_sites_are_those_of_its_agreed_tasks(world, sites):
    assert [site.name for site in sites_of(world.agreement_a)] == ["Lekplatsen", "Park A", "Strandängen"]
