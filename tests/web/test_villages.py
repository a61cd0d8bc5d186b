"""Admin pages for villages: list, create, edit, delete, with errors shown in Swedish."""
from skotsel.extensions import db
from skotsel.models import AuditEvent, Village
from tests.conftest import login


def test_admin_creates_a_village(client, world):
    login(client, "admin@home.example")
    response = client.submit("/admin/villages/new", {"name": "Delary", "lat": "56.54889", "lon": "13.95361"})
    assert response.status_code == 302
    assert "Delary" in client.get("/admin/villages").get_data(as_text=True)
    village = db.session.scalar(db.select(Village).filter_by(name="Delary"))
    assert village.municipality_id == world.home.id and village.lat == 56.54889


def test_a_duplicate_name_re_renders_the_form_with_the_reason_and_what_was_typed(client, world):
    login(client, "admin@home.example")
    response = client.submit("/admin/villages/new", {"name": "Hallaryd", "lat": "56.49", "lon": "13.89"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Det finns redan en ort med det namnet." in page
    assert 'value="56.49"' in page
    assert db.session.scalar(db.select(db.func.count(Village.id)).filter_by(municipality_id=world.home.id)) == 1


def test_a_position_outside_sweden_is_refused(client, world):
    login(client, "admin@home.example")
    response = client.submit("/admin/villages/new", {"name": "Oslo", "lat": "59.91", "lon": "10.0"})
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert db.session.scalar(db.select(Village).filter_by(name="Oslo")) is None


def test_edit_is_audited_with_old_and_new_value(client, world):
    login(client, "admin@home.example")
    client.submit(f"/admin/villages/{world.village.id}/edit", {"name": "Hallaryds by", "lat": "56.4856",
                                                               "lon": "13.8856"})
    db.session.expire_all()
    assert db.session.get(Village, world.village.id).name == "Hallaryds by"
    event = db.session.scalar(db.select(AuditEvent).filter_by(object_type="Village", action="update"))
    assert event.changes["name"] == ["Hallaryd", "Hallaryds by"]
    assert event.actor_id == world.admin.id


def test_a_village_in_use_cannot_be_deleted(client, world):
    login(client, "admin@home.example")
    response = client.submit(f"/admin/villages/{world.village.id}/delete",
                             page=f"/admin/villages/{world.village.id}/edit", follow_redirects=True)
    assert "kan inte tas bort" in response.get_data(as_text=True)
    assert db.session.get(Village, world.village.id) is not None


def test_an_unused_village_is_deleted(client, world, make):
    empty_id = make.village(world.home, "Tomby").id
    login(client, "admin@home.example")
    client.submit(f"/admin/villages/{empty_id}/delete", page=f"/admin/villages/{empty_id}/edit")
    assert db.session.get(Village, empty_id) is None


def test_reviewer_reads_but_cannot_change(client, world):
    login(client, "granskare@home.example")
    assert "Hallaryd" in client.get("/admin/villages").get_data(as_text=True)
    assert client.get("/admin/villages/new").status_code == 403
    assert client.get(f"/admin/villages/{world.village.id}/edit").status_code == 403


def test_another_municipalitys_village_is_not_found(client, world):
    login(client, "admin@home.example")
    assert client.get(f"/admin/villages/{world.other_village.id}/edit").status_code == 404
    assert "Lönsboda" not in client.get("/admin/villages").get_data(as_text=True)


def test_association_people_have_no_admin_pages(client, world):
    login(client, "samordnare@a.example")
    assert client.get("/admin/villages").status_code == 404
