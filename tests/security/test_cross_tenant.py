"""Cross-association and cross-municipality sweep: every id-bearing URL, photo, PDF, export and API object of
association B (same municipality) and of association C (the other municipality), requested by association A's
coordinator and member: all 404, and not one of the database's rows changed. Extra form fields that name another
association, municipality, user or a role are never saved."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from skotsel.extensions import db
from skotsel.models import Completion, Invitation, Membership, Site, User
from skotsel.services import api_tokens
from skotsel.services.access import Principal
from tests.conftest import login
from tests.security import TODAY, csrf_token_of, fill, routes, tenant_objects

A_PEOPLE = {"coordinator_a": "samordnare@a.example", "member_a": "medlem@a.example"}

#: Ids that are the municipality's, not an association's: a village or task type of the home municipality is
#: A's to read too, so a rule that names only these is no cross-association case (it is one across municipalities).
SHARED_IN_MUNICIPALITY = {"village_id", "task_type_id", "year"}

#: Documented exceptions: the public page of a site and its report form answer everyone (the QR code on the sign).
PUBLIC = {"site_page.show", "site_page.report"}

#: Columns that A's own signing in and requests may touch on A's own rows (never B's or C's: see _snapshot).
VOLATILE = {"last_used_at", "last_login_at", "last_seen_at", "updated_at"}


def _id_rules(app, shared_ok: bool) -> list[tuple[str, str, str]]:
    found = []
    for endpoint, method, rule in routes(app):
        names = set(re.findall(r"<int:(\w+)>", rule))
        if not names or endpoint in PUBLIC:
            continue
        if shared_ok and names <= SHARED_IN_MUNICIPALITY:
            continue
        found.append((endpoint, method, rule))
    return found


def _snapshot() -> dict[str, set]:
    """Every row of every table, as a tuple of its values (volatile timestamps left out)."""
    db.session.expire_all()
    out = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if c.name not in VOLATILE]
            out[table.name] = {tuple(map(repr, row)) for row in conn.execute(select(*columns))}
    return out


def _diff(before: dict, after: dict) -> list[str]:
    return [f"  {name}: -{sorted(before[name] - after[name])[:3]} +{sorted(after[name] - before[name])[:3]}"
            for name in before if before[name] != after[name]]


@pytest.fixture
def tenants(app, world, make, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", TODAY)
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    from skotsel.api import limiter

    limiter(app).reset()
    coordinator_c = make.user("samordnare@c.example", role="coordinator", association=world.c, name="Sam C")
    return {key: tenant_objects(world, key, str(tmp_path), owner)
            for key, owner in (("a", world.coordinator_a), ("b", world.coordinator_b), ("c", coordinator_c))}


@pytest.mark.parametrize("who", list(A_PEOPLE))
@pytest.mark.parametrize("victim", ["b", "c"])
def test_every_id_bearing_url_of_another_association_is_not_found_and_changes_nothing(
        app, client, world, tenants, who, victim):
    login(client, A_PEOPLE[who])
    db.session.refresh(getattr(world, who))
    token = api_tokens.create_token(principal=Principal.of(getattr(world, who)), name="sweep")[1]
    db.session.commit()
    bearer = {"Authorization": f"Bearer {token}"}
    csrf = csrf_token_of(client)
    before = _snapshot()
    wrong, checked = [], 0
    for endpoint, method, rule in _id_rules(app, shared_ok=victim == "b"):
        url = fill(rule, endpoint, tenants[victim])
        api = endpoint.startswith("api.")
        if method == "GET":
            response = client.get(url, headers=bearer if api else {})
        elif api:
            # a body the schema takes, so that the answer is the object's (a strict schema answers 422 first,
            # for any id alike)
            body = {"note": "Intrång", "status": "verified"} if endpoint.endswith("_status") else {"note": "Intrång"}
            response = client.post(url, json=body, headers=bearer)
        else:
            response = client.post(url, data={"csrf_token": csrf, "name": "Intrång", "note": "Intrång",
                                              "reason": "Intrång", "role": "coordinator", "email": "x@example.org"})
        checked += 1
        if response.status_code != 404:
            wrong.append(f"  {method} {url} ({endpoint}): {response.status_code}")
    assert checked > 40
    assert not wrong, f"{who} reached association {victim.upper()}'s objects:\n" + "\n".join(wrong)
    changed = _diff(before, _snapshot())
    assert not changed, "rows changed:\n" + "\n".join(changed)


@pytest.mark.parametrize("victim", ["b", "c"])
def test_the_api_lists_hold_nothing_of_another_association(app, client, world, tenants, victim):
    token = api_tokens.create_token(principal=Principal.of(world.coordinator_a), name="sweep")[1]
    db.session.commit()
    bearer = {"Authorization": f"Bearer {token}"}
    theirs = tenants[victim].ids
    for path, key in (("sites", "site_id"), ("agreements", "agreement_id"), ("agreed-tasks", "task_id"),
                      ("completions", "completion_id"), ("deviations", "deviation_id"),
                      ("inspections", "inspection_id")):
        response = client.get(f"/api/v1/{path}?limit=100", headers=bearer)
        assert response.status_code == 200, path
        body = response.get_json()
        items = body.get("items", body.get("data", [])) if isinstance(body, dict) else body
        assert theirs[key] not in {item.get("id") for item in items}, f"{path} lists {victim.upper()}'s row"


def test_an_api_completion_for_another_associations_occurrence_is_refused(app, client, world, tenants):
    token = api_tokens.create_token(principal=Principal.of(world.coordinator_a), name="sweep")[1]
    db.session.commit()
    before = _snapshot()
    response = client.post("/api/v1/completions", json={"occurrence_id": tenants["b"].ids["occurrence_id"],
                                                         "completed_on": "2026-06-20"},
                           headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "sweep-1"})
    assert response.status_code in (404, 422)
    changed = [line for line in _diff(before, _snapshot()) if not line.startswith("  idempotency")]
    assert not changed, "rows changed:\n" + "\n".join(changed)


# Extra form fields ---------------------------------------------------------------------------------------------

def _extra(world) -> dict:
    """Fields no form of A's should take: another association, the other municipality, B's user, admin."""
    return {"association_id": world.b.id, "municipality_id": world.other.id, "user_id": world.coordinator_b.id,
            "role": "admin"}


def _memberships() -> set:
    return {(m.user_id, m.municipality_id, m.association_id, m.role)
            for m in db.session.scalars(select(Membership))}


def test_the_profile_form_saves_no_role_association_municipality_or_other_user(client, world):
    before = _memberships()
    login(client, "medlem@a.example")
    response = client.submit("/profile", {"name": "Mia Ny", "locale": "sv", **_extra(world)})
    assert response.status_code in (200, 302)
    assert db.session.get(User, world.member_a.id).name == "Mia Ny"
    assert db.session.get(User, world.coordinator_b.id).name == "Sam B"
    assert _memberships() == before


def test_an_invitation_is_for_the_own_association_with_an_association_role(client, world):
    login(client, "samordnare@a.example")
    url = f"/association/{world.a.id}/invitations"
    client.submit(url, {"name": "Ny Person", "email": "ny@example.org", **_extra(world)},
                  page=f"/association/{world.a.id}/members")
    client.submit(url, {"name": "Ny Person", "email": "ny2@example.org", "role": "member",
                        "association_id": world.b.id, "municipality_id": world.other.id},
                  page=f"/association/{world.a.id}/members")
    invitations = db.session.scalars(select(Invitation)).all()
    assert [i.email for i in invitations] == ["ny2@example.org"]  # role=admin is refused
    assert all(i.association_id == world.a.id and i.municipality_id == world.home.id and i.role == "member"
               for i in invitations)


def test_a_member_role_change_takes_no_admin_role_and_no_other_association(client, world):
    login(client, "samordnare@a.example")
    membership = world.member_a.memberships[0]
    before = _memberships()
    client.submit(f"/association/{world.a.id}/members/{membership.id}/role", {**_extra(world)},
                  page=f"/association/{world.a.id}/members")
    assert _memberships() == before


def test_a_completion_is_saved_for_the_signed_in_association_only(app, client, world, tenants):
    login(client, "medlem@a.example")
    occurrence_id = tenants["a"].ids["occurrence_id"]
    url = f"/workspace/occurrences/{occurrence_id}/log"
    client.submit(url, {"completed_on": "2026-06-20", "notes": "Klippt", "performed_by_id": world.coordinator_b.id,
                        "site_id": world.site_b.id, **_extra(world)})
    completion = db.session.scalar(select(Completion).where(Completion.occurrence_id == occurrence_id))
    if completion is not None:
        assert completion.municipality_id == world.home.id
        assert completion.site_id == world.site_a.id
        assert completion.user_id == world.member_a.id
        assert getattr(completion, "performed_by_id", None) in (None, world.member_a.id, world.coordinator_a.id)


def test_log_many_takes_no_occurrence_of_another_association(client, world, tenants):
    login(client, "samordnare@a.example")
    before = db.session.scalars(select(Completion.id)).all()
    client.submit("/workspace/log-many", {"occurrence_ids": [tenants["b"].ids["occurrence_id"],
                                                              tenants["c"].ids["occurrence_id"]],
                                          "dates": "due", **_extra(world)})
    after = db.session.scalars(select(Completion)).all()
    assert [c for c in after if c.id not in before and c.municipality_id != world.home.id] == []
    assert all(c.site_id not in (world.site_b.id, world.site_c.id) for c in after if c.id not in before)


def test_a_site_is_saved_in_the_admins_municipality_and_never_for_another_municipalitys_association(
        client, world):
    login(client, "admin@home.example")
    client.submit("/admin/sites/new", {
        "name": "Nytt torg", "kind": "green_space", "association_id": world.c.id,
        "municipality_id": world.other.id, "village_id": world.other_village.id, "user_id": world.other_admin.id,
        "geometry": '{"type": "Point", "coordinates": [14.13, 56.55]}',
    })
    for site in db.session.scalars(select(Site).where(Site.name == "Nytt torg")):
        assert site.municipality_id == world.home.id
        assert site.association_id != world.c.id
        assert site.village_id != world.other_village.id


def test_an_agreement_is_never_made_for_another_municipalitys_association(client, world):
    from skotsel.models import Agreement

    login(client, "admin@home.example")
    client.submit("/admin/agreements/new", {
        "title": "Främmande avtal", "association_id": world.c.id, "municipality_id": world.other.id,
        "starts_on": "2026-01-01", "ends_on": "2026-12-31", "status": "active",
        "compensation_model": "fixed_per_year", "compensation_amount": "1000",
    })
    for agreement in db.session.scalars(select(Agreement).where(Agreement.title == "Främmande avtal")):
        assert agreement.municipality_id == world.home.id
        assert agreement.association_id != world.c.id


def test_a_completion_edit_keeps_its_owner_and_site(client, world, tenants):
    login(client, "samordnare@a.example")
    completion_id = tenants["a"].ids["completion_id"]
    client.submit(f"/workspace/completions/{completion_id}/edit",
                  {"completed_on": "2026-06-13", "notes": "Ändrad", "site_id": world.site_b.id,
                   "occurrence_id": tenants["b"].ids["occurrence_id"], **_extra(world)})
    completion = db.session.get(Completion, completion_id)
    assert completion.site_id == world.site_a.id
    assert completion.municipality_id == world.home.id
    assert completion.occurrence.agreed_task_id == world.task_a.id
    assert completion.user_id == world.coordinator_a.id
    assert completion.completed_on in (date(2026, 6, 13), date(2026, 6, 14))
