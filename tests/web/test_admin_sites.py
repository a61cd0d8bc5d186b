"""Admin pages for sites: list with filters, register and edit with GeoJSON, detail, delete; errors in Swedish."""
import json

import pytest
from markupsafe import escape

from skotsel.extensions import db
from skotsel.models import AuditEvent, Site
from tests.conftest import login, query_count

NEW = "/admin/sites/new"
POINT = json.dumps({"type": "Point", "coordinates": [14.15356, 56.58061]})
SQUARE = [[14.15, 56.58], [14.151, 56.58], [14.151, 56.581], [14.15, 56.581], [14.15, 56.58]]


def _form(**changes) -> dict:
    data = {"name": "Möckelns badplats", "kind": "beach", "village_id": "", "association_id": "",
            "area_m2": "2 500", "notes": "Brygga och sandstrand.", "geometry": POINT}
    data.update(changes)
    return data


def _site_count() -> int:
    return db.session.scalar(db.select(db.func.count(Site.id)))


def test_the_list_shows_kind_village_keeper_and_area(client, world, make):
    make.site(world.home, None, name="Möckelns badplats", kind="beach", village=world.village, area_m2=12500)
    login(client, "granskare@home.example")
    page = client.get("/admin/sites").get_data(as_text=True)
    assert "Park A" in page and "Park B" in page and "Park C" not in page
    assert "Badplats" in page and "Grönyta" in page
    assert "Kommunen" in page and "Hallaryds sockenråd" in page
    assert "12\xa0500" in page


def test_the_list_filters_by_kind_and_village(client, world, make):
    make.site(world.home, None, name="Möckelns badplats", kind="beach", village=world.village)
    make.site(world.home, None, name="Strandbadet", kind="beach")
    login(client, "admin@home.example")
    beaches = client.get("/admin/sites?kind=beach").get_data(as_text=True)
    assert "Möckelns badplats" in beaches and "Strandbadet" in beaches and "Park A" not in beaches
    in_village = client.get(f"/admin/sites?kind=beach&village_id={world.village.id}").get_data(as_text=True)
    assert "Möckelns badplats" in in_village and "Strandbadet" not in in_village
    assert "Park A" in client.get("/admin/sites?kind=castle").get_data(as_text=True)


def test_admin_registers_a_point_site(client, world):
    login(client, "admin@home.example")
    response = client.submit(NEW, _form(village_id=str(world.village.id), association_id=str(world.a.id)))
    site = db.session.scalar(db.select(Site).filter_by(name="Möckelns badplats"))
    assert response.status_code == 302 and response.headers["Location"] == f"/admin/sites/{site.id}"
    assert site.geometry == {"type": "Point", "coordinates": [14.15356, 56.58061]}
    assert (site.lat, site.lon, site.area_m2) == (56.58061, 14.15356, 2500)
    assert site.association_id == world.a.id and site.village_id == world.village.id
    event = db.session.scalar(db.select(AuditEvent).filter_by(object_type="Site", object_id=site.id))
    assert event.action == "create" and event.actor_id == world.admin.id


def test_admin_registers_an_area_kept_by_the_municipality(client, world):
    login(client, "admin@home.example")
    feature = {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [SQUARE]}}
    response = client.submit(NEW, _form(kind="green_space", area_m2="", geometry=json.dumps(feature)))
    assert response.status_code == 302
    site = db.session.scalar(db.select(Site).filter_by(name="Möckelns badplats"))
    assert site.geometry == {"type": "Polygon", "coordinates": [SQUARE]}
    assert site.association_id is None and site.area_m2 is None
    assert site.lat == pytest.approx(56.5805) and site.lon == pytest.approx(14.1505)


@pytest.mark.parametrize(("changes", "message"), [
    ({"name": "Park A"}, "Det finns redan ett skötselobjekt med det namnet."),
    ({"name": ""}, "Ange skötselobjektets namn."),
    ({"kind": "castle"}, "Välj vilken sorts plats det är."),
    ({"kind": ""}, "Välj vilken sorts plats det är."),
    ({"area_m2": "-5"}, "Ytan kan inte vara negativ."),
    ({"area_m2": "stor"}, "Ange ytan i hela kvadratmeter, till exempel 1200."),
    ({"geometry": ""}, "Ange var skötselobjektet ligger"),
    ({"geometry": '{"type": "Point", "coordinates": [14.15, 56.58]'}, "Geometrin är inte giltig JSON."),
    ({"geometry": '{"type": "Point", "coordinates": [13.405, 52.52]}'}, "ligger utanför Sverige."),
    ({"geometry": '{"type": "Point", "coordinates": [56.58061, 14.15356]}'},
     "Har longitud och latitud bytt plats? GeoJSON skriver longitud först: [14.15356, 56.58061]."),
    ({"geometry": json.dumps({"type": "Polygon", "coordinates": [SQUARE[:-1]]})}, "Ytans kant är inte sluten"),
    ({"geometry": json.dumps({"type": "Polygon", "coordinates": [[SQUARE[0], SQUARE[1], SQUARE[0]]]})},
     "Ytans kant behöver minst tre olika hörn."),
    ({"geometry": '{"type": "LineString", "coordinates": [[14.1, 56.5], [14.2, 56.6]]}'},
     "Geometritypen LineString stöds inte"),
])
def test_broken_input_is_refused_and_what_was_typed_is_kept(client, world, changes, message):
    login(client, "admin@home.example")
    data = _form(**changes)
    response = client.submit(NEW, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert escape(message) in page
    assert 'aria-invalid="true"' in page
    assert f"{escape(data['geometry'])}</textarea>" in page
    assert "Brygga och sandstrand." in page
    assert _site_count() == 3


@pytest.mark.parametrize(("field", "message"), [
    ("village_id", "Välj en ort i kommunen."),
    ("association_id", "Välj en förening i kommunen."),
])
def test_a_village_or_association_of_another_municipality_posted_by_id_is_refused(client, world, field, message):
    login(client, "admin@home.example")
    foreign = {"village_id": world.other_village.id, "association_id": world.c.id}[field]
    response = client.submit(NEW, _form(**{field: str(foreign)}))
    assert message in response.get_data(as_text=True)
    assert _site_count() == 3


def test_the_form_offers_only_the_municipalitys_villages_and_associations(client, world):
    login(client, "admin@home.example")
    page = client.get(f"{NEW}?association_id={world.b.id}").get_data(as_text=True)
    assert "Hallaryd" in page and "Lönsboda" not in page
    assert f'<option selected value="{world.b.id}">Virestads hembygdsförening</option>' in page
    assert "Ingen – kommunen sköter själv" in page
    assert 'data-site-map="edit"' in page and "site_map.js" in page


def test_edit_shows_the_geojson_and_audits_old_and_new(client, world):
    login(client, "admin@home.example")
    url = f"/admin/sites/{world.site_a.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert f"{escape(json.dumps(world.site_a.geometry))}</textarea>" in page
    polygon = json.dumps({"type": "Polygon", "coordinates": [SQUARE]})
    response = client.submit(url, _form(name="Park A", kind="green_space", association_id=str(world.a.id),
                                        area_m2="1300", notes="", geometry=polygon))
    assert response.status_code == 302
    site = db.session.get(Site, world.site_a.id)
    assert site.area_m2 == 1300 and site.geometry["type"] == "Polygon"
    event = db.session.scalar(db.select(AuditEvent).filter_by(object_type="Site", action="update"))
    assert event.changes["area_m2"] == ["1200", "1300"]
    assert "Point" in event.changes["geometry"][0] and "Polygon" in event.changes["geometry"][1]
    assert event.actor_id == world.admin.id
    assert "Händelselogg" in client.get(f"/admin/sites/{site.id}").get_data(as_text=True)


def test_the_keeper_cannot_change_while_another_associations_agreement_covers_the_site(client, world):
    login(client, "admin@home.example")
    response = client.submit(f"/admin/sites/{world.site_a.id}/edit",
                             _form(name="Park A", kind="green_space", association_id=str(world.b.id)))
    assert "Skötselobjektet ingår i avtalet ”Avtal A”" in response.get_data(as_text=True)
    assert db.session.get(Site, world.site_a.id).association_id == world.a.id


def test_the_detail_page_shows_facts_map_geojson_agreed_tasks_and_log(client, world):
    login(client, "admin@home.example")
    page = client.get(f"/admin/sites/{world.site_a.id}").get_data(as_text=True)
    assert "Grönyta" in page and "Hallaryds sockenråd" in page and "1\xa0200 m²" in page
    assert f"data-geometry='{json.dumps(world.site_a.geometry, sort_keys=True)}'" in page
    assert "&#34;coordinates&#34;" in page
    assert "Avtal A" in page and f"/admin/agreements/{world.agreement_a.id}" in page
    assert "Klippning bruksgräsmatta" in page and "högst 10 cm" in page


def test_a_site_covered_by_an_agreement_is_not_deleted(client, world):
    login(client, "admin@home.example")
    detail = f"/admin/sites/{world.site_a.id}"
    response = client.submit(f"{detail}/delete", page=detail, follow_redirects=True)
    assert "Skötselobjektet ingår i avtalet ”Avtal A” och kan inte tas bort." in response.get_data(as_text=True)
    assert db.session.get(Site, world.site_a.id) is not None


def test_an_uncovered_site_is_deleted_and_the_delete_audited(client, world, make):
    site_id = make.site(world.home, None, name="Ängen").id
    login(client, "admin@home.example")
    response = client.submit(f"/admin/sites/{site_id}/delete", page=f"/admin/sites/{site_id}")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/sites"
    assert db.session.get(Site, site_id) is None
    event = db.session.scalar(db.select(AuditEvent).filter_by(object_type="Site", action="delete"))
    assert event.object_label == "Ängen" and event.changes["name"] == ["Ängen", None]


def test_reviewer_reads_but_cannot_change(client, world, make):
    site_id = make.site(world.home, None, name="Ängen").id
    login(client, "granskare@home.example")
    page = client.get(f"/admin/sites/{site_id}").get_data(as_text=True)
    assert "Ängen" in page and "Ändra skötselobjektet" not in page and "Händelselogg" not in page
    assert client.get(NEW).status_code == 403
    assert client.get(f"/admin/sites/{site_id}/edit").status_code == 403
    assert client.submit(f"/admin/sites/{site_id}/edit", _form(), page="/admin/sites").status_code == 403
    assert client.submit(f"/admin/sites/{site_id}/delete", page="/admin/sites").status_code == 403
    assert db.session.get(Site, site_id) is not None


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/admin/sites/{id}"), ("get", "/admin/sites/{id}/edit"), ("post", "/admin/sites/{id}/delete"),
])
def test_another_municipalitys_site_is_not_found(client, world, method, path):
    login(client, "admin@home.example")
    url = path.format(id=world.site_c.id)
    response = client.get(url) if method == "get" else client.submit(url, page="/admin/sites")
    assert response.status_code == 404
    assert db.session.get(Site, world.site_c.id) is not None


@pytest.mark.parametrize("email", ["samordnare@a.example", "medlem@a.example"])
@pytest.mark.parametrize("path", ["/admin/sites", "/admin/sites/new", "/admin/sites/{id}", "/admin/sites/{id}/edit"])
def test_association_people_have_no_admin_pages(client, world, email, path):
    login(client, email)
    assert client.get(path.format(id=world.site_a.id)).status_code == 404




def test_the_site_pages_need_a_fixed_number_of_queries(client, world, make):
    login(client, "admin@home.example")
    urls = ["/admin/sites", f"/admin/sites/{world.site_a.id}", f"/admin/sites/{world.site_a.id}/edit", NEW]
    before = [query_count(client, url) for url in urls]
    for n in range(4):
        village = make.village(world.home, f"By {n}")
        association = make.association(world.home, f"Förening {n}", village=village)
        make.site(world.home, association, name=f"Extra {n}", village=village)
        make.agreed_task(world.agreement_a, world.site_a, world.task_type)
    edit = client.submit(f"/admin/sites/{world.site_a.id}/edit", _form(name="Park A", kind="green_space",
                                                                       association_id=str(world.a.id)))
    assert edit.status_code == 302
    assert [query_count(client, url) for url in urls] == before


def test_the_audit_log_shows_codes_in_words(client, world):
    login(client, "admin@home.example")
    data = {"name": "Nya stranden", "kind": "beach", "area_m2": "500", "village_id": str(world.village.id),
            "association_id": str(world.a.id), "notes": "",
            "geometry": '{"type": "Point", "coordinates": [14.1, 56.5]}'}
    response = client.submit("/admin/sites/new", data, page="/admin/sites/new")
    site_url = response.headers["Location"]
    page = client.get(site_url).get_data(as_text=True)
    assert "Sort: — → Badplats" in page and "Ort: — → Hallaryd" in page and "Förening: — → Hallaryds sockenråd" in page
