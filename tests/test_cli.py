"""flask commands: demo data (idempotent, complete, signs in), creating a municipality and its staff."""
from datetime import date

import pytest
from sqlalchemy import func, select

from skotsel.extensions import db
from skotsel.domain.schedule import Status
from skotsel.models import AgreedTask, Agreement, Association, AuditEvent, Completion, Deviation, Membership, \
    Municipality, Occurrence, Photo, Settlement, Site, TaskType, User, Village
from skotsel.services.schedule import states
from skotsel.services.demo import DEMO_PASSWORD
from tests.conftest import login

DEMO_LOGINS = ("admin@almhult.example", "granskare@almhult.example", "samordnare@hallaryd.example",
               "medlem@hallaryd.example", "samordnare@virestad.example")
TABLES = (Municipality, Village, Association, User, Membership, Site, TaskType, Agreement, AgreedTask, AuditEvent,
          Occurrence, Completion, Deviation, Photo, Settlement)
DEMO_DAY = date(2026, 7, 15)


def _counts():
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in TABLES}


@pytest.fixture
def demo(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", DEMO_DAY.isoformat())
    result = app.test_cli_runner().invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    return result


def test_demo_data_twice_changes_nothing(app, demo):
    assert "Demo data loaded." in demo.output
    before = _counts()
    again = app.test_cli_runner().invoke(args=["demo-data"])
    assert again.exit_code == 0 and "nothing changed" in again.output
    assert _counts() == before


def test_demo_has_almhult_with_eight_villages_associations_and_their_agreements(demo):
    municipality = db.session.scalar(select(Municipality).filter_by(name="Älmhult kommun"))
    assert municipality.code == "0765"
    associations = db.session.scalars(select(Association)).all()
    assert len(associations) == 8
    assert {"Hallaryds sockenråd", "Virestads hembygdsförening", "Härlunda intresseförening"} <= \
        {a.name for a in associations}
    for association in associations:
        agreements = db.session.scalars(select(Agreement).filter_by(association_id=association.id)).all()
        assert [(a.starts_on, a.ends_on, a.status) for a in agreements] == \
            [(date(2025, 1, 1), date(2027, 12, 31), "active")]
    assert len(db.session.scalars(select(TaskType)).all()) == 24


def test_every_association_site_has_three_to_six_agreed_tasks_and_the_plan_covers_every_month(demo):
    sites = db.session.scalars(select(Site).where(Site.association_id.is_not(None))).all()
    for site in sites:
        count = db.session.scalar(select(func.count(AgreedTask.id)).filter_by(site_id=site.id))
        assert 3 <= count <= 6, site.name
    tasks = db.session.scalars(select(AgreedTask)).all()
    assert any(t.quota_count for t in tasks), "at least one quota task"
    assert any(t.season_start is None for t in tasks), "year-round tasks, so something is due every month"
    assert any(t.performed_by == "municipality" for t in tasks), "water samples taken by the municipality"
    mockeln = db.session.scalar(select(Site).filter_by(name="Möckelns badplats"))
    assert mockeln.association_id is None and (mockeln.lat, mockeln.lon) == pytest.approx((56.58061, 14.15356), abs=1e-4)


def test_the_demo_has_a_history_up_to_the_day_it_is_loaded_and_a_plan_after_it(demo):
    occurrences = db.session.scalars(select(Occurrence)).all()
    counted = {}
    for state in states(occurrences, today=DEMO_DAY):
        counted[state.status] = counted.get(state.status, 0) + 1
    # Most on time, some late, a few missed or excused; the rest of the plan lies ahead.
    assert counted[Status.DONE] > 5 * counted[Status.DONE_LATE] > 0
    assert counted[Status.DONE] > 5 * counted[Status.MISSED] > 0
    assert 0 < counted[Status.EXCUSED] < counted[Status.MISSED]
    assert counted[Status.UPCOMING] > 0 and counted[Status.DUE] > 0
    assert db.session.scalar(select(func.max(Completion.completed_on))) < DEMO_DAY
    assert db.session.scalar(select(func.count(Completion.id)).where(Completion.notes != "")) > 0
    # Every month of the agreement has something due, and the plan reaches the end of next season.
    months = {(o.due_on.year, o.due_on.month) for o in occurrences}
    assert {(year, month) for year in (2025, 2026, 2027) for month in range(1, 13)} <= months
    deviations = db.session.scalars(select(Deviation).where(Deviation.source == "missed_occurrence")).all()
    assert sorted({d.status for d in deviations}) == ["fixed", "open"]
    fixed = next(d for d in deviations if d.status == "fixed")
    assert fixed.fixed_note and fixed.fixed_by.email == "samordnare@hallaryd.example" and len(fixed.photos) == 1


def test_the_demo_has_inspections_with_an_open_and_a_verified_deviation_and_an_approved_2025_settlement(demo):
    raised = db.session.scalars(select(Deviation).where(Deviation.source == "inspection")).all()
    assert sorted(d.status for d in raised) == ["open", "verified"]
    settlements = db.session.scalars(select(Settlement)).all()
    assert len(settlements) == 8 and {(s.year, s.status) for s in settlements} == {(2025, "approved")}
    assert all(s.total_ore > 0 for s in settlements)


def test_the_demo_has_photos_of_recent_work_one_with_a_warning_and_work_logged_on_a_members_behalf(app, demo):
    photos = db.session.scalars(select(Photo).where(Photo.completion_id.is_not(None))).all()
    assert len(photos) == 6 and all(p.taken_at and p.lat for p in photos)
    assert [p.warning for p in photos if p.warning] == ["Bilden är tagen cirka 2,2 km från skötselobjektet."]
    on_behalf = db.session.scalars(select(Completion).where(Completion.recorded_by_id.is_not(None))).all()
    assert [(c.user.email, c.recorded_by.email) for c in on_behalf] == [
        ("medlem@hallaryd.example", "samordnare@hallaryd.example")]


def test_demo_accounts_sign_in_with_the_demo_password(client, demo):
    for email in DEMO_LOGINS:  # one demo load for all five: loading it takes seconds
        login(client, email, DEMO_PASSWORD)
        assert client.get("/").status_code == 302, email
        client.submit("/logout", page="/profile")


def test_create_municipality_seeds_the_catalogue(app, ctx):
    result = app.test_cli_runner().invoke(args=["create-municipality", "Osby kommun", "1273"])
    assert result.exit_code == 0, result.output
    assert "24 task types" in result.output
    again = app.test_cli_runner().invoke(args=["create-municipality", "Osby kommun", "1273"])
    assert again.exit_code != 0 and "already exists" in again.output


def test_create_municipality_refuses_a_bad_code(app, ctx):
    result = app.test_cli_runner().invoke(args=["create-municipality", "Osby kommun", "12a"])
    assert result.exit_code != 0 and "four digits" in result.output
    assert db.session.scalar(select(Municipality).filter_by(name="Osby kommun")) is None


def test_create_staff_makes_an_admin_who_can_sign_in(app, client, ctx):
    app.test_cli_runner().invoke(args=["create-municipality", "Osby kommun", "1273"])
    result = app.test_cli_runner().invoke(args=[
        "create-staff", "Chef@Osby.example", "--name", "Cecilia Chef", "--municipality", "1273",
        "--password", "ett-långt-lösenord"])
    assert result.exit_code == 0, result.output
    login(client, "chef@osby.example", "ett-långt-lösenord")
    assert client.get("/admin/").status_code == 200


def test_create_staff_refuses_a_short_password(app, ctx):
    app.test_cli_runner().invoke(args=["create-municipality", "Osby kommun", "1273"])
    result = app.test_cli_runner().invoke(args=[
        "create-staff", "chef@osby.example", "--name", "C", "--municipality", "1273", "--password", "kort"])
    assert result.exit_code != 0 and "at least 12" in result.output
    assert db.session.scalar(select(User).filter_by(email="chef@osby.example")) is None


def test_the_demo_hallaryd_agreement_has_its_signed_document(client, demo):
    agreement = db.session.scalar(select(Agreement).filter_by(title="Skötselavtal Hallaryds sockenråd 2025–2027"))
    assert agreement.document_name == "Skötselavtal Hallaryds sockenråd 2025–2027.pdf"
    login(client, "medlem@hallaryd.example", DEMO_PASSWORD)
    response = client.get(f"/association/{agreement.association_id}/agreements/{agreement.id}/document")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
