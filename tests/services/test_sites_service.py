"""Sites service: normalised geometry and centroid, field errors, the keeper rule, guarded and audited deletes."""
import pytest

from skotsel.domain.errors import ValidationError
from skotsel.extensions import db
from skotsel.models import AuditEvent, Site
from skotsel.services.sites import create_site, delete_site, update_site

SQUARE = [[14.15, 56.58], [14.151, 56.58], [14.151, 56.581], [14.15, 56.581], [14.15, 56.58]]


def _values(**changes) -> dict:
    values = {"name": "Bruksparken", "kind": "green_space", "village_id": None, "association_id": None,
              "area_m2": 800, "notes": "  Intill ån.  ",
              "geometry": {"type": "Point", "coordinates": [13.95361, 56.54889, 112.0]}}
    values.update(changes)
    return values


def _events(action: str) -> list[AuditEvent]:
    return db.session.scalars(db.select(AuditEvent).filter_by(object_type="Site", action=action)).all()


def test_create_stores_the_normalised_geometry_its_centre_and_an_audit_event(world):
    site = create_site(actor_id=world.admin.id, municipality_id=world.home.id,
                       **_values(association_id=world.a.id, village_id=world.village.id))
    assert site.geometry == {"type": "Point", "coordinates": [13.95361, 56.54889]}
    assert (site.lat, site.lon) == (56.54889, 13.95361)
    assert site.notes == "Intill ån."
    [event] = _events("create")
    assert event.actor_id == world.admin.id and event.object_id == site.id
    assert event.changes["association_id"] == [None, "Hallaryds sockenråd"]  # the name, not the id


def test_an_area_in_a_feature_collection_is_stored_as_a_polygon_with_its_centroid(world):
    collection = {"type": "FeatureCollection",
                  "features": [{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon",
                                                                                  "coordinates": [SQUARE]}}]}
    site = create_site(actor_id=None, municipality_id=world.home.id, **_values(geometry=collection))
    assert site.geometry == {"type": "Polygon", "coordinates": [SQUARE]}
    assert site.lat == pytest.approx(56.5805) and site.lon == pytest.approx(14.1505)


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"name": "  "}, "name", "Ange skötselobjektets namn."),
    ({"name": "Park A"}, "name", "Det finns redan ett skötselobjekt med det namnet."),
    ({"kind": "castle"}, "kind", "Välj vilken sorts plats det är."),
    ({"area_m2": -1}, "area_m2", "Ytan kan inte vara negativ."),
    ({"geometry": None}, "geometry", "Ange var skötselobjektet ligger"),
    ({"geometry": "   "}, "geometry", "Ange var skötselobjektet ligger"),
    ({"geometry": "{nej}"}, "geometry", "Geometrin är inte giltig JSON."),
    ({"geometry": {"type": "Point", "coordinates": [56.54889, 13.95361]}}, "geometry", "bytt plats"),
    ({"geometry": {"type": "Polygon", "coordinates": [SQUARE[:-1]]}}, "geometry", "är inte sluten"),
])
def test_broken_values_raise_an_error_on_their_field(world, changes, field, message):
    with pytest.raises(ValidationError) as raised:
        create_site(actor_id=None, municipality_id=world.home.id, **_values(**changes))
    assert raised.value.field == field and message in raised.value.message_sv
    assert db.session.scalar(db.select(Site).filter_by(name="Bruksparken")) is None


@pytest.mark.parametrize("field", ["village_id", "association_id"])
def test_a_village_or_association_of_another_municipality_is_refused(world, field):
    foreign = {"village_id": world.other_village.id, "association_id": world.c.id}[field]
    with pytest.raises(ValidationError) as raised:
        create_site(actor_id=None, municipality_id=world.home.id, **_values(**{field: foreign}))
    assert raised.value.field == field


def test_the_same_name_is_free_in_another_municipality(world):
    site = create_site(actor_id=None, municipality_id=world.other.id, **_values(name="Park A"))
    assert site.municipality_id == world.other.id


def test_update_audits_old_and_new_values_and_nothing_when_nothing_changed(world):
    site = world.site_a
    same = {"name": "Park A", "kind": "green_space", "association_id": world.a.id, "area_m2": 1200, "notes": "",
            "geometry": {"type": "Point", "coordinates": [14.13, 56.55]}}
    update_site(actor_id=world.admin.id, site=site, **same)
    assert _events("update") == []
    update_site(actor_id=world.admin.id, site=site, **{**same, "kind": "playground", "area_m2": None})
    [event] = _events("update")
    assert event.changes == {"kind": ["green_space", "playground"], "area_m2": ["1200", None]}
    assert db.session.get(Site, site.id).kind == "playground"


def _keep(world, site, association_id):
    update_site(actor_id=None, site=site, name=site.name, kind=site.kind, association_id=association_id,
                area_m2=site.area_m2, geometry=site.geometry)


@pytest.mark.parametrize("new_keeper", ["b", None])
def test_the_keeper_cannot_change_while_another_associations_running_agreement_covers_the_site(world, new_keeper):
    with pytest.raises(ValidationError) as raised:
        _keep(world, world.site_a, getattr(world, new_keeper).id if new_keeper else None)
    assert raised.value.field == "association_id" and "Avtal A" in raised.value.message_sv


def test_the_keeper_may_change_to_the_association_whose_agreement_covers_the_site(world, make):
    site = make.site(world.home, None, name="Ängen")
    make.agreed_task(world.agreement_a, site, world.task_type)
    _keep(world, site, world.a.id)
    assert db.session.get(Site, site.id).association_id == world.a.id


def test_an_ended_agreement_does_not_stop_a_new_association_from_taking_over(world):
    world.agreement_a.status = "ended"
    db.session.commit()
    _keep(world, world.site_a, world.b.id)
    assert db.session.get(Site, world.site_a.id).association_id == world.b.id


@pytest.mark.parametrize("status", ["active", "ended"])
def test_a_site_in_any_agreement_is_not_deleted(world, status):
    world.agreement_a.status = status
    db.session.commit()
    with pytest.raises(ValidationError) as raised:
        delete_site(actor_id=world.admin.id, site=world.site_a)
    assert "Avtal A" in raised.value.message_sv
    assert db.session.get(Site, world.site_a.id) is not None and _events("delete") == []


def test_delete_removes_the_site_and_keeps_what_it_was_in_the_log(world, make):
    site = make.site(world.home, None, name="Ängen", area_m2=300)
    site_id = site.id
    delete_site(actor_id=world.admin.id, site=site)
    assert db.session.get(Site, site_id) is None
    [event] = _events("delete")
    assert event.object_id == site_id and event.changes["area_m2"] == ["300", None]
