"""CSRF protection on every form: a POST without the token changes nothing, on every route that takes POST."""
import re

import pytest
from sqlalchemy import func, select

from skotsel import models
from skotsel.extensions import db
from tests.conftest import login


def _post_routes(app):
    return sorted(
        (rule.rule, rule.endpoint) for rule in app.url_map.iter_rules() if "POST" in (rule.methods or ())
    )


def _url(rule: str, world) -> str:
    """Fill each <int:…> in the rule with an id of association a's objects (the check runs before the view)."""
    ids = {"agreement_id": world.agreement_a.id, "site_id": world.site_a.id, "task_id": world.task_a.id,
           "association_id": world.a.id, "village_id": world.village.id, "task_type_id": world.task_type.id,
           "membership_id": world.member_a.memberships[0].id}
    url = rule
    for name, value in ids.items():
        url = url.replace(f"<int:{name}>", str(value))
    url = re.sub(r"<int:\w+_id>", "1", url)  # any other id: the token check comes first
    return url.replace("<token>", "x" * 43)


def _row_counts():
    return {name: db.session.scalar(select(func.count()).select_from(getattr(models, name)))
            for name in models.__all__}


def test_there_are_forms_to_protect(app):
    assert len(_post_routes(app)) >= 20


@pytest.mark.parametrize("who", ["admin@home.example", "samordnare@a.example", None])
def test_every_post_without_a_csrf_token_is_refused_and_changes_nothing(app, client, world, who):
    if who:
        login(client, who)
    before = _row_counts()
    for rule, endpoint in _post_routes(app):
        url = _url(rule, world)
        assert "<" not in url, f"fill the placeholder in {rule}"
        response = client.post(url, data={"name": "Intrång", "email": "x@example.org", "role": "admin"})
        # The JSON API takes no CSRF token: a signed-in browser's cookie is no credential there, only a bearer
        # token is, so the same forged request is 401.
        expected = 401 if endpoint.startswith("api.") else 400
        assert response.status_code == expected, f"{endpoint} {url} answered {response.status_code}"
    assert _row_counts() == before


def test_a_token_from_another_session_is_refused(app, world):
    first, second = app.test_client(), app.test_client()
    login(first, "admin@home.example")
    login(second, "admin@home.example")
    foreign = first.csrf_token("/admin/villages/new")
    response = second.post("/admin/villages/new", data={"name": "Främlingsby", "csrf_token": foreign})
    assert response.status_code == 400
    assert db.session.scalar(select(models.Village).filter_by(name="Främlingsby")) is None
