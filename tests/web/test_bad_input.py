"""Bad input anywhere gets a clear 4xx or a form error, never a 500 and never a half write."""
import json

import pytest

from skotsel.extensions import db
from skotsel.models import Site, Village
from skotsel.services import transaction
from skotsel.domain.errors import ValidationError
from tests.conftest import login


@pytest.mark.parametrize("url", [
    "/admin/sites/3000000000", "/admin/sites/99999999999999999999", "/admin/agreements/2147483648",
    "/association/1/sites/99999999999999999999", "/admin/villages/9223372036854775808/edit",
])
def test_ids_beyond_the_database_range_are_not_found(client, world, url):
    login(client, "admin@home.example")
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("query", ["village_id=99999999999999999999", "village_id=abc", "kind=nonsense"])
def test_odd_list_filters_are_ignored(client, world, query):
    login(client, "admin@home.example")
    response = client.get(f"/admin/sites?{query}")
    assert response.status_code == 200 and "Park A" in response.get_data(as_text=True)


def test_a_nul_byte_is_refused_before_it_reaches_the_database(client, world):
    response = client.submit("/login", {"email": "a\x00@home.example", "password": "x"}, page="/login")
    assert response.status_code == 400
    assert "Felaktig begäran" in response.get_data(as_text=True)


def test_a_nul_byte_in_a_form_saves_nothing(client, world):
    login(client, "admin@home.example")
    response = client.submit("/admin/villages/new", {"name": "Noll\x00by"})
    assert response.status_code == 400
    assert db.session.scalar(db.select(Village).where(Village.name.like("Noll%"))) is None


@pytest.mark.parametrize(("field", "value", "message"), [
    ("area_m2", "3000000000", "Ytan är orimligt stor"),
    ("geometry", "[" * 5000 + "]" * 5000, "Geometrin är inte giltig JSON."),
    ("village_id", "99999999999999999999", None),
    ("association_id", "-1", "Välj en förening i kommunen."),
])
def test_site_form_refuses_absurd_values_with_a_reason(client, world, field, value, message):
    login(client, "admin@home.example")
    data = {"name": "Absurd", "kind": "beach", "area_m2": "100",
            "geometry": json.dumps({"type": "Point", "coordinates": [14.1, 56.5]}), field: value}
    response = client.submit("/admin/sites/new", data)
    assert response.status_code == 200 if message else response.status_code in (200, 302)
    if message:
        assert message in response.get_data(as_text=True)
        assert db.session.scalar(db.select(Site).filter_by(name="Absurd")) is None


def test_a_unique_clash_found_only_by_the_database_becomes_a_validation_error(ctx, world):
    """Two requests that both passed the check before writing: the second gets a message, not a 500."""
    with pytest.raises(ValidationError) as caught:
        with transaction():
            db.session.add(Village(municipality_id=world.home.id, name="Tvillingby"))
            db.session.add(Village(municipality_id=world.home.id, name="Tvillingby"))
    assert "Någon annan sparade samma sak" in caught.value.message_sv
    assert db.session.scalar(db.select(Village).filter_by(name="Tvillingby")) is None


def test_nested_transactions_commit_once_at_the_outside(ctx, world):
    with pytest.raises(RuntimeError):
        with transaction():
            with transaction():
                db.session.add(Village(municipality_id=world.home.id, name="Inre by"))
            raise RuntimeError("the outer use case fails after the inner one finished")
    assert db.session.scalar(db.select(Village).filter_by(name="Inre by")) is None


def test_a_stale_form_says_so_in_swedish(client, world):
    login(client, "admin@home.example")
    response = client.post("/admin/villages/new", data={"name": "Utgången", "csrf_token": "gammal"})
    assert response.status_code == 400
    assert "Formuläret hade gått ut" in response.get_data(as_text=True)
