"""GDPR pages: a person's download of their own data, the admins' list of people with erasure, and that no form
anywhere changes or deletes an entry of the händelselogg."""
from __future__ import annotations

import json
import re

from flask import got_request_exception
from sqlalchemy import func, select

from skotsel.extensions import db
from skotsel.models import AuditEvent, Completion, User
from skotsel.models.audit import AuditLogIsImmutable
from skotsel.services import api_tokens, feeds
from tests.conftest import login
from tests.services.test_gdpr import build_history
from tests.web.test_csrf import _post_routes


def test_a_person_downloads_their_own_data(client, world):
    history = build_history(world)
    assert client.get("/profile/data.json").status_code == 302  # sign in first
    login(client, "medlem@a.example")
    assert "/profile/data.json" in client.get("/profile").get_data(as_text=True)
    response = client.get("/profile/data.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    assert data["profile"]["email"] == "medlem@a.example"
    assert [c["id"] for c in data["completions"]] == [history.mine.id]
    assert "Samordnarens eget" not in response.get_data(as_text=True)


def test_people_list_is_the_municipalitys_and_the_admins_only(client, world):
    login(client, "admin@home.example")
    html = client.get("/admin/people").get_data(as_text=True)
    for name in ("Mia Medlem", "Sam A", "Sam B", "Gun Granskare", "Anna Admin"):
        assert name in html
    assert "Olle Admin" not in html and "Radera personuppgifter" in html
    assert f"/admin/people/{world.admin.id}/erase" not in html  # not oneself
    assert "/admin/people" in client.get("/admin/").get_data(as_text=True)

    reviewer = client.application.test_client()
    login(reviewer, "granskare@home.example")
    assert reviewer.get("/admin/people").status_code == 403
    assert reviewer.get(f"/admin/people/{world.member_a.id}/erase").status_code == 403

    member = client.application.test_client()
    login(member, "samordnare@a.example")
    assert member.get("/admin/people").status_code == 404
    token = member.csrf_token("/profile")
    response = member.post(f"/admin/people/{world.member_a.id}/erase", data={"csrf_token": token})
    assert response.status_code == 404

    other = client.application.test_client()
    login(other, "admin@other.example")
    assert "Mia Medlem" not in other.get("/admin/people").get_data(as_text=True)
    assert other.get(f"/admin/people/{world.member_a.id}/erase").status_code == 404
    token = other.csrf_token("/admin/people")
    assert other.post(f"/admin/people/{world.member_a.id}/erase", data={"csrf_token": token}).status_code == 404
    db.session.expire_all()
    assert db.session.get(User, world.member_a.id).email == "medlem@a.example"


def test_an_admin_erases_a_person_whose_work_stays(client, world):
    history = build_history(world)
    completions = db.session.scalar(select(func.count(Completion.id)))
    member_id = world.member_a.id
    login(client, "admin@home.example")
    page = client.get(f"/admin/people/{member_id}/erase").get_data(as_text=True)
    assert "Mia Medlem" in page and "medlem@a.example" in page and "Det går inte att ångra." in page
    response = client.submit(f"/admin/people/{member_id}/erase", {})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/people")
    listing = client.get("/admin/people").get_data(as_text=True)
    assert "Personuppgifterna är raderade." in listing and "Mia Medlem" not in listing
    assert f"tog bort personuppgifterna för användare nr {member_id}" in listing  # the erasure is in the log

    assert db.session.scalar(select(func.count(Completion.id))) == completions
    assert db.session.scalar(select(func.count(User.id)).where(User.email == "medlem@a.example")) == 0
    assert not any("medlem@a.example" in (email or "") for email in db.session.scalars(select(User.email)))
    occurrence = client.get(f"/schedule/occurrences/{history.occurrence.id}").get_data(as_text=True)
    assert "borttagen användare" in occurrence and "Mia Medlem" not in occurrence
    year = history.mine.completed_on.year
    dagbok = client.get(f"/dagbok/agreements/{world.agreement_a.id}?year={year}").get_data(as_text=True)
    assert "borttagen användare" in dagbok and "Mia Medlem" not in dagbok

    # The person cannot sign in; the former calendar link and API token no longer work.
    person = client.application.test_client()
    response = person.submit("/login", {"email": "medlem@a.example", "password": "rätt-häst-batteri-häfta"},
                             page="/login")
    assert response.status_code == 200 and "Fel e-postadress eller lösenord." in response.get_data(as_text=True)
    assert person.get(f"/feeds/{history.feed_token}.ics").status_code == 404
    assert person.get("/api/v1/agreements",
                      headers={"Authorization": f"Bearer {history.api_token}"}).status_code == 401
    assert feeds.find(history.feed_token) is None and api_tokens.find(history.api_token) is None
    # Another person's token still works.
    assert db.session.scalar(select(func.count()).select_from(User).where(User.is_active)) == 5


def _log():
    return {event.id: (event.at, event.actor_id, event.action, event.object_type, event.object_id,
                       event.object_label, json.dumps(event.changes, sort_keys=True))
            for event in db.session.scalars(select(AuditEvent))}


def test_no_form_changes_or_deletes_an_audit_entry(app, client, world, monkeypatch):
    build_history(world)
    login(client, "admin@home.example")
    client.submit("/admin/villages/new", {"name": "Loggby"})  # one more entry, made by the admin
    before = _log()
    assert len(before) >= 4
    # A route that fails answers 500 here as in production, and its exception is kept to look at.
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    failures = []

    def failed(sender, exception, **extra):
        failures.append(exception)

    got_request_exception.connect(failed, app)
    try:
        token = client.csrf_token("/admin/villages/new")
        ids = {"agreement_id": world.agreement_a.id, "site_id": world.site_a.id, "task_id": world.task_a.id,
               "association_id": world.a.id, "village_id": world.village.id, "task_type_id": world.task_type.id,
               "membership_id": world.member_a.memberships[0].id, "user_id": world.member_a.id}
        routes = [(rule, endpoint) for rule, endpoint in _post_routes(app)
                  if endpoint != "auth.logout" and not endpoint.startswith("api.")]
        routes.sort(key=lambda route: route[1] == "admin.person_erase")  # the erasure last, on the live data
        assert routes[-1][1] == "admin.person_erase"
        for rule, endpoint in routes:
            url = rule
            for name, value in ids.items():
                url = url.replace(f"<int:{name}>", str(value))
            url = re.sub(r"<int:\w+_id>", "1", url).replace("<token>", "x" * 43)
            client.post(url, data={"csrf_token": token, "name": "Ändrat", "email": "x@example.org",
                                   "role": "admin", "notes": "Ändrat", "reason": "Ändrat", "note": "Ändrat"})
    finally:
        got_request_exception.disconnect(failed, app)
    assert not [failure for failure in failures if isinstance(failure, AuditLogIsImmutable)]
    after = _log()
    assert {key: after.get(key) for key in before} == before
    # The walk really went through the erasure too.
    assert db.session.get(User, world.member_a.id).name == "borttagen användare"
