"""Signing in and out, the health check, the language switch and the start page per role."""
import pytest

from tests.conftest import PASSWORD, login


def test_healthz_answers_ok_after_a_database_round_trip(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"


def test_login_with_the_right_password_sends_staff_to_the_overview(client, world):
    response = login(client, "admin@home.example")
    assert response.headers["Location"] == "/"
    assert client.get("/").headers["Location"] == "/admin/"


def test_association_people_land_on_their_association(client, world):
    login(client, "medlem@a.example")
    assert client.get("/").headers["Location"] == "/association/"


@pytest.mark.parametrize("email,password", [
    ("admin@home.example", "fel-lösenord-123"),
    ("ingen@home.example", PASSWORD),
])
def test_wrong_password_and_unknown_account_get_the_same_answer(client, world, email, password):
    response = client.submit("/login", {"email": email, "password": password})
    assert response.status_code == 200
    assert "Fel e-postadress eller lösenord." in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 404


def test_a_deactivated_account_cannot_sign_in(client, world, make):
    make.user("borta@home.example", role="admin", municipality=world.home, active=False)
    response = client.submit("/login", {"email": "borta@home.example", "password": PASSWORD})
    assert "Fel e-postadress eller lösenord." in response.get_data(as_text=True)


def test_logout_ends_the_session(client, world):
    login(client, "admin@home.example")
    assert client.get("/admin/").status_code == 200
    client.submit("/logout", page="/admin/")
    assert client.get("/admin/").status_code == 404


@pytest.mark.parametrize("target,expected", [
    ("/admin/sites", "/admin/sites"),
    ("https://evil.example/", "/"),
    ("//evil.example/", "/"),
    ("/\\evil.example", "/"),
])
def test_next_only_leads_to_local_paths(client, world, target, expected):
    response = client.submit(f"/login?next={target}", {"email": "admin@home.example", "password": PASSWORD},
                             page="/login")
    assert response.headers["Location"] == expected


def test_login_without_csrf_token_is_refused(client, world):
    response = client.post("/login", data={"email": "admin@home.example", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 404


def test_pages_are_swedish_by_default_and_english_after_the_switch(client, world):
    assert "Logga in" in client.get("/login").get_data(as_text=True)
    client.submit("/language", {"locale": "en", "next": "/login"}, page="/login")
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in page and "Sign in" in page
    client.submit("/language", {"locale": "sv", "next": "/login"}, page="/login")
    assert "Logga in" in client.get("/login").get_data(as_text=True)
