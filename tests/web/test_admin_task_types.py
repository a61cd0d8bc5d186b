"""Admin pages for the task-type catalogue: the list in words, create and edit with the friendly rule fields."""
from __future__ import annotations

import pytest

from skotsel.extensions import db
from skotsel.models import Association, AuditEvent, TaskType
from tests.conftest import login
from tests.web.test_admin_agreements import error_of, form_values


def type_data(**changes) -> dict:
    data = {"name_sv": "Krattning grusgång", "name_en": "Rake gravel path", "standard_sv": "inga löv eller ogräs",
            "standard_en": "no leaves or weeds", "kind": "recurrence", "pattern": "monthly", "interval": "1",
            "monthday": "", "ordinal": "1", "weekdays": "SA", "custom_rrule": "", "quota_count": "",
            "quota_min_gap_days": "", "season_start": "04-01", "season_end": "10-31",
            "site_kinds": ["green_space", "playground"], "performed_by": "association"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def catalogue(make):
    home = make.municipality("Älmhult kommun", "0765", catalogue=True)
    other = make.municipality("Osby kommun", "1273", catalogue=True)
    make.user("admin@home.example", role="admin", municipality=home)
    make.user("granskare@home.example", role="reviewer", municipality=home)
    make.user("admin@other.example", role="admin", municipality=other)
    association = make.association(home, "Hallaryds sockenråd")
    make.user("samordnare@a.example", role="coordinator", association=association)
    return home


def type_named(municipality, name_sv: str) -> TaskType:
    return db.session.scalar(db.select(TaskType).filter_by(municipality_id=municipality.id, name_sv=name_sv))


def test_the_list_describes_each_type_in_words(client, catalogue):
    login(client, "granskare@home.example")
    page = client.get("/admin/task-types").get_data(as_text=True)
    row = page[page.index("Klippning bruksgräsmatta"):]
    row = row[:row.index("</tr>")]
    assert "varannan vecka" in row and "15 maj–30 sep" in row and "grönyta, badplats" in row and "föreningen" in row
    row = page[page.index("Badvattenprov"):]
    assert "kommunen" in row[:row.index("</tr>")]
    row = page[page.index("Tömning papperskorgar"):]
    assert "hela året" in row[:row.index("</tr>")]
    assert "Nytt skötselmoment" not in page


def test_the_list_uses_the_english_names_in_english(client, catalogue):
    login(client, "admin@home.example")
    client.post("/language", data={"locale": "en", "csrf_token": client.csrf_token("/admin/task-types")})
    page = client.get("/admin/task-types").get_data(as_text=True)
    assert "Mow utility lawn" in page and "every other week" in page and "15 May–30 Sep" in page
    assert "Klippning bruksgräsmatta" not in page


def test_admin_creates_a_task_type_with_a_friendly_rule(client, catalogue):
    login(client, "admin@home.example")
    response = client.submit("/admin/task-types/new", type_data())
    assert response.headers["Location"] == "/admin/task-types"
    task_type = type_named(catalogue, "Krattning grusgång")
    assert task_type.default_rrule == "FREQ=MONTHLY;BYDAY=1SA"
    assert (task_type.season_start, task_type.season_end) == ("04-01", "10-31")
    assert task_type.site_kinds == ["green_space", "playground"] and task_type.code is None
    assert "första lördagen varje månad" in client.get("/admin/task-types").get_data(as_text=True)
    event = db.session.scalar(db.select(AuditEvent).filter_by(object_type="TaskType", action="create"))
    assert event.object_id == task_type.id


def test_the_grace_period_is_saved_and_the_catalogue_seeds_one_by_frequency(client, catalogue):
    seeded = {task_type.code: task_type.grace_days for task_type in db.session.scalars(
        db.select(TaskType).filter_by(municipality_id=catalogue.id))}
    assert (seeded[10], seeded[1], seeded[17], seeded[13]) == (0, 2, 5, 7)  # daily, weekly, monthly, yearly
    login(client, "admin@home.example")
    client.submit("/admin/task-types/new", type_data(grace_days="4"))
    assert type_named(catalogue, "Krattning grusgång").grace_days == 4


def test_a_quota_type_needs_no_rrule(client, catalogue):
    login(client, "admin@home.example")
    client.submit("/admin/task-types/new", type_data(kind="quota", quota_count="6", quota_min_gap_days="10",
                                                     season_start="05-15", season_end="09-30"))
    task_type = type_named(catalogue, "Krattning grusgång")
    assert task_type.default_rrule is None
    assert (task_type.default_quota_count, task_type.default_quota_gap_days) == (6, 10)
    page = client.get("/admin/task-types").get_data(as_text=True)
    assert "minst 6 gånger mellan 15 maj och 30 sep, minst 10 dagar isär" in page


@pytest.mark.parametrize("changes,field,message", [
    ({"name_sv": "Klippning bruksgräsmatta"}, "name_sv", "Det finns redan ett skötselmoment med det namnet."),
    ({"name_sv": ""}, "name_sv", "Ange skötselmomentets namn på svenska."),
    ({"pattern": "custom", "custom_rrule": "FREQ=DAILY;BYHOUR=8"}, "custom_rrule", "Ogiltig RRULE: BYHOUR stöds inte."),
    ({"pattern": "custom", "custom_rrule": "FREQ=YEARLY;COUNT=3"}, "custom_rrule",
     "Ogiltig RRULE: COUNT stöds inte – avtalstiden och säsongen avgör när uppdraget slutar."),
    ({"weekdays": ["SA", "SU"]}, "weekdays", "Välj exakt en veckodag, t.ex. lördag för första lördagen."),
    ({"kind": "quota", "quota_count": "4", "season_start": "", "season_end": ""}, "season_start",
     "Ett antal gånger kräver en säsong att räkna inom."),
    ({"site_kinds": None}, "site_kinds", "Välj minst en sorts plats som momentet gäller."),
    ({"grace_days": "61"}, "grace_days", "Ange 0–60 dagar."),
    ({"grace_days": "-1"}, "grace_days", "Ange 0–60 dagar."),
])
def test_a_broken_task_type_is_refused_on_its_field(client, catalogue, changes, field, message):
    login(client, "admin@home.example")
    response = client.submit("/admin/task-types/new", type_data(**changes))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert error_of(page, field) == message
    assert "inga löv eller ogräs</textarea>" in page
    assert db.session.scalar(db.select(db.func.count(TaskType.id)).filter_by(municipality_id=catalogue.id)) == 24


def test_preview_shows_the_sentence_without_saving(client, catalogue):
    login(client, "admin@home.example")
    page = client.submit("/admin/task-types/new", type_data(preview="1")).get_data(as_text=True)
    assert ("Så här blir det:</strong> Krattning grusgång första lördagen varje månad apr–okt · inga löv eller ogräs"
            in page)
    assert type_named(catalogue, "Krattning grusgång") is None


def test_edit_shows_the_stored_defaults_and_saving_unchanged_changes_nothing(client, catalogue):
    task_type = type_named(catalogue, "Städning toalett/latrin")
    url = f"/admin/task-types/{task_type.id}/edit"
    login(client, "admin@home.example")
    values = form_values(client.get(url).get_data(as_text=True))
    assert values["pattern"] == ["weekly"] and values["weekdays"] == ["MO", "TH"]
    assert values["site_kinds"] == ["beach"]
    assert client.post(url, data=values).status_code == 302
    assert type_named(catalogue, "Städning toalett/latrin").default_rrule == "FREQ=WEEKLY;BYDAY=MO,TH"
    assert db.session.scalar(db.select(AuditEvent).filter_by(object_type="TaskType")) is None


def test_edit_is_audited_and_a_type_keeps_its_own_name(client, catalogue):
    task_type = type_named(catalogue, "Klippning bruksgräsmatta")
    url = f"/admin/task-types/{task_type.id}/edit"
    login(client, "admin@home.example")
    values = form_values(client.get(url).get_data(as_text=True))
    values.update(interval=["1"], season_start=["06-01"])
    assert client.post(url, data=values).status_code == 302
    event = db.session.scalar(db.select(AuditEvent).filter_by(object_type="TaskType", action="update"))
    assert event.changes == {"default_rrule": ["FREQ=WEEKLY;INTERVAL=2", "FREQ=WEEKLY"],
                             "season_start": ["05-15", "06-01"]}
    assert "Händelselogg" in client.get(url).get_data(as_text=True)


def test_an_unused_type_is_deleted_and_a_used_one_is_not(client, catalogue, make):
    unused = type_named(catalogue, "Lövhantering")
    used = type_named(catalogue, "Vårstädning")
    association = db.session.scalar(db.select(Association).filter_by(name="Hallaryds sockenråd"))
    make.agreed_task(make.agreement(association), make.site(catalogue, association), used)
    unused_id, used_id = unused.id, used.id
    login(client, "admin@home.example")
    client.submit(f"/admin/task-types/{unused_id}/delete", page=f"/admin/task-types/{unused_id}/edit")
    assert db.session.get(TaskType, unused_id) is None
    response = client.submit(f"/admin/task-types/{used_id}/delete", page=f"/admin/task-types/{used_id}/edit",
                             follow_redirects=True)
    assert "Skötselmomentet används i avtal och kan inte tas bort." in response.get_data(as_text=True)
    assert db.session.get(TaskType, used_id) is not None


def test_reviewer_gets_403_on_write_pages(client, catalogue):
    task_type = type_named(catalogue, "Vårstädning")
    login(client, "granskare@home.example")
    assert client.get("/admin/task-types/new").status_code == 403
    assert client.get(f"/admin/task-types/{task_type.id}/edit").status_code == 403
    token = client.csrf_token("/admin/task-types")
    assert client.post(f"/admin/task-types/{task_type.id}/delete", data={"csrf_token": token}).status_code == 403


def test_another_municipalitys_admin_gets_404(client, catalogue):
    task_type = type_named(catalogue, "Vårstädning")
    login(client, "admin@other.example")
    assert client.get(f"/admin/task-types/{task_type.id}/edit").status_code == 404


def test_association_people_get_404(client, catalogue):
    login(client, "samordnare@a.example")
    assert client.get("/admin/task-types").status_code == 404
    assert client.get("/admin/task-types/new").status_code == 404
