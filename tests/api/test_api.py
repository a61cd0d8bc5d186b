"""The JSON API: its document, tokens, the access matrix, idempotent completions, problem+json errors, pagination,
filters and the rate limit."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from skotsel.extensions import db
from skotsel.services.secret_tokens import hash_token

TODAY = date(2026, 6, 20)


@pytest.fixture
def today(app):
    app.config["TODAY"] = TODAY
    app.config["NOW"] = datetime(2026, 6, 20, 10, 0, tzinfo=timezone.utc)
    yield TODAY
    app.config.pop("TODAY", None)
    app.config.pop("NOW", None)


@pytest.fixture
def objects(world, today):
    """For associations A (home municipality) and C (other municipality): an occurrence, a completion, a
    deviation and an inspection each."""
    from types import SimpleNamespace

    from skotsel.models import Completion, Deviation, Inspection, InspectionResult, Occurrence
    from skotsel.services import schedule

    schedule.regenerate([world.task_a, world.task_b, world.task_c], today=date(2026, 5, 1),
                        until=date(2026, 12, 31))
    found = {}
    for key, municipality, association, agreement, site, task, person in (
        ("a", world.home, world.a, world.agreement_a, world.site_a, world.task_a, world.member_a),
        ("c", world.other, world.c, world.agreement_c, world.site_c, world.task_c, None),
    ):
        occurrences = db.session.scalars(select(Occurrence).where(Occurrence.agreed_task_id == task.id,
                                                                  Occurrence.due_on >= date(2026, 5, 1))
                                         .order_by(Occurrence.due_on)).all()
        completion = Completion(municipality_id=municipality.id, occurrence_id=occurrences[0].id, site_id=site.id,
                                association_id=association.id, task_type_id=task.task_type_id,
                                completed_on=occurrences[0].due_on, user_id=person.id if person else None)
        deviation = Deviation(municipality_id=municipality.id, source="inspection", agreement_id=agreement.id,
                              site_id=site.id, description="Ogräs i rabatten", fix_by_on=date(2026, 7, 1),
                              status="open")
        inspection = Inspection(municipality_id=municipality.id, agreement_id=agreement.id,
                                inspected_on=date(2026, 6, 10))
        inspection.results.append(InspectionResult(municipality_id=municipality.id, site_id=site.id,
                                                   result="approved"))
        db.session.add_all([completion, deviation, inspection])
        db.session.commit()
        found[key] = SimpleNamespace(agreement=agreement, site=site, task=task, occurrence=occurrences[0],
                                     open_occurrence=occurrences[2], completion=completion, deviation=deviation,
                                     inspection=inspection)
    return found


def _urls(o) -> dict[str, str]:
    return {
        "agreement": f"/api/v1/agreements/{o.agreement.id}",
        "site": f"/api/v1/sites/{o.site.id}",
        "agreed task": f"/api/v1/agreed-tasks/{o.task.id}",
        "occurrence": f"/api/v1/occurrences/{o.occurrence.id}",
        "completion": f"/api/v1/completions/{o.completion.id}",
        "deviation": f"/api/v1/deviations/{o.deviation.id}",
        "inspection": f"/api/v1/inspections/{o.inspection.id}",
    }


LISTS = ("/api/v1/agreements", "/api/v1/sites", "/api/v1/agreed-tasks", "/api/v1/occurrences",
         "/api/v1/completions", "/api/v1/deviations", "/api/v1/inspections")


def _assert_problem(response, status: int):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    assert body["title"] and body["title_en"] and body["detail"] and body["detail_en"]
    return body


# --- the document ------------------------------------------------------------------------------------------------


def test_the_openapi_document_is_3_1_and_valid(client):
    import jsonschema_rs
    from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.1.")
    OPENAPI_31_VALIDATOR.validate(spec)
    for name, schema in spec["components"]["schemas"].items():
        jsonschema_rs.meta.validate(schema)  # each a valid JSON Schema 2020-12
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    paths = spec["paths"]
    for path in ("/api/v1/agreements", "/api/v1/sites.geojson", "/api/v1/occurrences", "/api/v1/completions",
                 "/api/v1/deviations/{deviation_id}/fix", "/api/v1/deviations/{deviation_id}/status",
                 "/api/v1/inspections", "/api/v1/compliance/{year}"):
        assert path in paths, path
    create = paths["/api/v1/completions"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" and p["required"]
               for p in create["parameters"])
    assert "application/problem+json" in spec["components"]["responses"]["NOT_FOUND"]["content"]


def test_the_docs_page_is_readable_html_without_outside_references(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    for text in ("/api/v1/completions", "Idempotency-Key", "problem+json", "Bearer"):
        assert text in page
    assert "<script" not in page and "https://" not in page


# --- tokens ------------------------------------------------------------------------------------------------------


def test_a_token_is_stored_hashed_audited_and_stops_working_when_revoked(api, world, today):
    from skotsel.models import AuditEvent
    from skotsel.models.api import ApiToken
    from skotsel.services import api_tokens
    from skotsel.services.access import Principal

    token = api.tokens["member_a"]
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == world.member_a.id))
    assert row.token_hash == hash_token(token) and token not in row.token_hash
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.object_type == "ApiToken", AuditEvent.object_id == row.id)) == 1
    assert api.get("/api/v1/agreements", role="member_a").status_code == 200
    db.session.refresh(row)
    assert row.last_used_at is not None

    api_tokens.revoke_token(principal=Principal.of(world.member_a), api_token=row, now=datetime.now(timezone.utc))
    _assert_problem(api.get("/api/v1/agreements", role="member_a"), 401)


def test_only_the_owner_revokes_a_token(api, world):
    from skotsel.models.api import ApiToken
    from skotsel.services import api_tokens
    from skotsel.services.access import NotFound, Principal

    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == world.member_a.id))
    with pytest.raises(NotFound):
        api_tokens.revoke_token(principal=Principal.of(world.admin), api_token=row, now=datetime.now(timezone.utc))


def test_a_deactivated_person_s_token_does_not_work(api, world):
    world.member_a.is_active = False
    db.session.commit()
    _assert_problem(api.get("/api/v1/agreements", role="member_a"), 401)


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nonsense", "Basic dXNlcjpwYXNz",
                                    "Bearer " + "A" * 43])
def test_no_or_a_wrong_token_is_401_with_a_challenge(api, header):
    headers = {"Authorization": header} if header else {}
    response = api.client.get("/api/v1/agreements", headers=headers)
    _assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_someone_without_a_role_gets_no_token(make):
    from skotsel.domain.errors import ValidationError
    from skotsel.services import api_tokens
    from skotsel.services.access import Principal

    with pytest.raises(ValidationError):
        api_tokens.create_token(principal=Principal.of(make.user()), name="x")


# --- the access matrix -------------------------------------------------------------------------------------------

READ_MATRIX = {
    # role: (sees association A's objects, sees association C's in the other municipality)
    "admin": (True, False),
    "reviewer": (True, False),
    "coordinator_a": (True, False),
    "member_a": (True, False),
    "coordinator_b": (False, False),
    "other_admin": (False, True),
}


@pytest.mark.parametrize("role", READ_MATRIX)
def test_every_read_endpoint_by_role_and_owner(api, objects, role):
    own, other = READ_MATRIX[role]
    for key, expected in (("a", own), ("c", other)):
        for what, url in _urls(objects[key]).items():
            response = api.get(url, role=role)
            if expected:
                assert response.status_code == 200, (role, what, key)
                assert response.get_json()["id"] == int(url.rsplit("/", 1)[1])
            else:
                _assert_problem(response, 404)
        for url in LISTS:
            listed = {item["id"] for item in api.get(url + "?limit=100", role=role).get_json()["items"]}
            singular = {"/api/v1/agreements": "agreement", "/api/v1/sites": "site",
                        "/api/v1/agreed-tasks": "agreed task", "/api/v1/occurrences": "occurrence",
                        "/api/v1/completions": "completion", "/api/v1/deviations": "deviation",
                        "/api/v1/inspections": "inspection"}[url]
            object_id = int(_urls(objects[key])[singular].rsplit("/", 1)[1])
            assert (object_id in listed) == expected, (role, url, key)


def test_every_endpoint_without_a_token_is_401(api, objects):
    for url in list(_urls(objects["a"]).values()) + list(LISTS) + ["/api/v1/sites.geojson",
                                                                    "/api/v1/compliance/2026"]:
        _assert_problem(api.get(url, role=None), 401)
    for url in ("/api/v1/completions", "/api/v1/inspections", f"/api/v1/deviations/{objects['a'].deviation.id}/fix",
                f"/api/v1/deviations/{objects['a'].deviation.id}/status"):
        _assert_problem(api.post(url, json={}, role=None), 401)


COMPLETION_MATRIX = {"member_a": 201, "coordinator_a": 201, "admin": 201, "reviewer": 403,
                     "coordinator_b": 404, "other_admin": 404}


@pytest.mark.parametrize("role", COMPLETION_MATRIX)
def test_recording_a_completion_by_role(api, objects, role):
    occurrence = objects["a"].open_occurrence
    response = api.post("/api/v1/completions", {"occurrence_id": occurrence.id, "completed_on": "2026-06-20"},
                        role=role, headers={"Idempotency-Key": f"key-{role}-0001"})
    expected = COMPLETION_MATRIX[role]
    if expected == 201:
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        assert body["occurrence_id"] == occurrence.id and body["completed_on"] == "2026-06-20"
        assert response.headers["Location"].endswith(f"/api/v1/completions/{body['id']}")
    else:
        _assert_problem(response, expected)


def test_a_completion_in_another_municipality_is_not_found(api, objects):
    response = api.post("/api/v1/completions", {"occurrence_id": objects["c"].open_occurrence.id},
                        role="member_a", headers={"Idempotency-Key": "other-municipality-1"})
    _assert_problem(response, 404)


FIX_MATRIX = {"member_a": 200, "coordinator_a": 200, "reviewer": 403, "coordinator_b": 404, "other_admin": 404}


@pytest.mark.parametrize("role", FIX_MATRIX)
def test_marking_a_deviation_fixed_by_role(api, objects, role):
    deviation = objects["a"].deviation
    response = api.post(f"/api/v1/deviations/{deviation.id}/fix", {"note": "Rensat"}, role=role)
    expected = FIX_MATRIX[role]
    if expected == 200:
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["status"] == "fixed" and response.get_json()["fixed_note"] == "Rensat"
    else:
        _assert_problem(response, expected)


STATUS_MATRIX = {"reviewer": 200, "admin": 200, "coordinator_a": 403, "member_a": 403, "coordinator_b": 404,
                 "other_admin": 404}


@pytest.mark.parametrize("role", STATUS_MATRIX)
def test_verifying_a_deviation_by_role(api, objects, role):
    deviation = objects["a"].deviation
    assert api.post(f"/api/v1/deviations/{deviation.id}/fix", {"note": "Rensat"}, role="member_a").status_code == 200
    response = api.post(f"/api/v1/deviations/{deviation.id}/status", {"status": "verified"}, role=role)
    expected = STATUS_MATRIX[role]
    if expected == 200:
        assert response.status_code == 200 and response.get_json()["status"] == "verified"
    else:
        _assert_problem(response, expected)


INSPECTION_MATRIX = {"reviewer": 201, "admin": 201, "coordinator_a": 403, "member_a": 403, "coordinator_b": 404,
                     "other_admin": 404}


@pytest.mark.parametrize("role", INSPECTION_MATRIX)
def test_recording_an_inspection_by_role(api, objects, role):
    from skotsel.models import Deviation

    agreement, site = objects["a"].agreement, objects["a"].site
    response = api.post("/api/v1/inspections", {
        "agreement_id": agreement.id, "inspected_on": "2026-06-19",
        "results": [{"site_id": site.id, "result": "remark", "notes": "Kanterna ej klippta"}],
    }, role=role)
    expected = INSPECTION_MATRIX[role]
    if expected == 201:
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        assert body["results"][0]["result"] == "remark"
        raised = db.session.scalars(select(Deviation).where(Deviation.inspection_result_id == body["results"][0]["id"]))
        assert raised.one().fix_by_on == date(2026, 7, 3)
    else:
        _assert_problem(response, expected)


COMPLIANCE_MATRIX = {"admin": 200, "reviewer": 200, "coordinator_a": 404, "member_a": 404, "coordinator_b": 404,
                     "other_admin": 404}


@pytest.mark.parametrize("role", COMPLIANCE_MATRIX)
def test_the_compliance_summary_by_role(api, objects, world, role):
    response = api.get(f"/api/v1/compliance/2026?municipality_id={world.home.id}", role=role)
    if COMPLIANCE_MATRIX[role] == 200:
        assert response.status_code == 200
        body = response.get_json()
        assert body["year"] == 2026 and body["municipality_id"] == world.home.id
        assert body["totals"]["on_time"] == 1  # the completion logged on its due day
        assert {row["name"] for row in body["associations"]} == {world.a.name, world.b.name}
    else:
        _assert_problem(response, 404)


def test_an_admin_s_compliance_summary_defaults_to_their_own_municipality(api, objects, world):
    body = api.get("/api/v1/compliance/2026", role="other_admin").get_json()
    assert body["municipality_id"] == world.other.id


# --- idempotent completions --------------------------------------------------------------------------------------


def _completions(occurrence_id: int) -> int:
    from skotsel.models import Completion

    return db.session.scalar(select(func.count()).select_from(Completion)
                             .where(Completion.occurrence_id == occurrence_id))


def test_a_retried_completion_returns_the_first_result_and_records_one(api, objects):
    occurrence = objects["a"].open_occurrence
    body = {"occurrence_id": occurrence.id, "completed_on": "2026-06-19", "notes": "Klippt", "hours": 1.5,
            "people": 2}
    headers = {"Idempotency-Key": "retry-test-0001"}
    first = api.post("/api/v1/completions", body, role="member_a", headers=headers)
    again = api.post("/api/v1/completions", body, role="member_a", headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert first.get_json()["hours"] == 1.5 and first.get_json()["people"] == 2
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _completions(occurrence.id) == 1


def test_the_same_key_with_another_body_is_refused(api, objects):
    occurrence = objects["a"].open_occurrence
    headers = {"Idempotency-Key": "retry-test-0002"}
    assert api.post("/api/v1/completions", {"occurrence_id": occurrence.id}, role="member_a",
                    headers=headers).status_code == 201
    response = api.post("/api/v1/completions", {"occurrence_id": occurrence.id, "notes": "annat"},
                        role="member_a", headers=headers)
    body = _assert_problem(response, 422)
    assert "Idempotency-Key" in body["errors"]
    assert _completions(occurrence.id) == 1


def test_a_new_key_for_an_occurrence_already_logged_returns_its_completion(api, objects):
    occurrence = objects["a"].open_occurrence
    first = api.post("/api/v1/completions", {"occurrence_id": occurrence.id}, role="member_a",
                     headers={"Idempotency-Key": "retry-test-0003"})
    second = api.post("/api/v1/completions", {"occurrence_id": occurrence.id}, role="coordinator_a",
                      headers={"Idempotency-Key": "retry-test-0004"})
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.get_json()["id"] == first.get_json()["id"]
    assert _completions(occurrence.id) == 1


def test_the_same_key_is_each_person_s_own(api, objects):
    headers = {"Idempotency-Key": "shared-key-0001"}
    first = api.post("/api/v1/completions", {"occurrence_id": objects["a"].open_occurrence.id}, role="member_a",
                     headers=headers)
    other = api.post("/api/v1/completions", {"occurrence_id": objects["c"].open_occurrence.id},
                     role="other_admin", headers=headers)
    assert first.status_code == 201 and other.status_code == 201
    assert first.get_json()["id"] != other.get_json()["id"]


def test_a_retry_after_the_answer_was_lost_finds_the_completion_by_its_key(api, objects):
    """The completion was saved but the remembered answer was not (the process died in between): the retry finds
    the completion by the key it was saved with, and answers as the first time."""
    from skotsel.models.api import IdempotencyRecord

    occurrence = objects["a"].open_occurrence
    body, headers = {"occurrence_id": occurrence.id}, {"Idempotency-Key": "lost-answer-0001"}
    first = api.post("/api/v1/completions", body, role="member_a", headers=headers)
    db.session.execute(db.delete(IdempotencyRecord))
    db.session.commit()
    again = api.post("/api/v1/completions", body, role="member_a", headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json() == first.get_json()
    assert _completions(occurrence.id) == 1


def test_a_completion_needs_an_idempotency_key(api, objects):
    response = api.post("/api/v1/completions", {"occurrence_id": objects["a"].open_occurrence.id},
                        role="member_a")
    body = _assert_problem(response, 422)
    assert "Idempotency-Key" in body["errors"]
    assert _completions(objects["a"].open_occurrence.id) == 0


def test_a_service_rule_comes_back_as_422_in_both_languages(api, objects):
    response = api.post("/api/v1/completions", {"occurrence_id": objects["a"].open_occurrence.id,
                                                "completed_on": "2026-12-24"},
                        role="member_a", headers={"Idempotency-Key": "future-date-0001"})
    body = _assert_problem(response, 422)
    assert "framtiden" in body["detail"] and "future" in body["detail_en"]
    assert "completed_on" in body["errors"]


# --- deviations ---------------------------------------------------------------------------------------------------


def test_fix_then_reopen_then_fix_then_verify(api, objects):
    deviation = objects["a"].deviation
    url = f"/api/v1/deviations/{deviation.id}"
    assert api.post(url + "/fix", {"note": "Rensat"}, role="member_a").get_json()["status"] == "fixed"
    _assert_problem(api.post(url + "/status", {"status": "reopened"}, role="reviewer"), 422)  # a note is needed
    reopened = api.post(url + "/status", {"status": "reopened", "note": "Kvar vid staketet"}, role="reviewer")
    assert reopened.get_json()["status"] == "reopened" and reopened.get_json()["reopened_count"] == 1
    assert api.post(url + "/fix", {"note": "Nu är det klart"}, role="coordinator_a").get_json()["status"] == "fixed"
    assert api.post(url + "/status", {"status": "verified"}, role="reviewer").get_json()["status"] == "verified"
    _assert_problem(api.post(url + "/fix", {"note": "igen"}, role="member_a"), 409)
    _assert_problem(api.post(url + "/status", {"status": "reopened", "note": "x"}, role="reviewer"), 409)


def test_a_deviation_list_filters_by_status(api, objects):
    deviation = objects["a"].deviation
    assert [item["id"] for item in api.get("/api/v1/deviations?status=open", role="member_a").get_json()["items"]] \
        == [deviation.id]
    assert api.get("/api/v1/deviations?status=fixed", role="member_a").get_json()["items"] == []


# --- problems -----------------------------------------------------------------------------------------------------


def test_errors_are_problem_json_never_html(api, objects):
    _assert_problem(api.get("/api/v1/no-such-thing"), 404)
    _assert_problem(api.get("/api/v1/agreements/999999"), 404)
    _assert_problem(api.get("/api/v1/agreements/99999999999"), 404)
    response = api.client.delete("/api/v1/agreements", headers=api.headers("admin"))
    _assert_problem(response, 405)
    body = _assert_problem(api.get("/api/v1/agreements?limit=0"), 422)
    assert "limit" in body["errors"]
    _assert_problem(api.post("/api/v1/inspections", {"agreement_id": "x"}, role="reviewer"), 422)
    response = api.client.post("/api/v1/inspections", data="not json", content_type="text/plain",
                               headers=api.headers("reviewer"))
    assert response.status_code in (415, 422) and response.mimetype == "application/problem+json"
    response = api.client.post("/api/v1/inspections", data="{broken", content_type="application/json",
                               headers=api.headers("reviewer"))
    assert response.status_code in (400, 422) and response.mimetype == "application/problem+json"


def test_the_web_pages_keep_their_html_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and response.mimetype == "text/html"


# --- pagination, filters, GeoJSON -------------------------------------------------------------------------------


def test_pages_are_stable_and_cover_everything_once(api, world, make):
    for n in range(5):
        make.site(world.home, world.a, name=f"Extra {n}")
    seen, after, pages = [], 0, 0
    while True:
        response = api.get(f"/api/v1/sites?limit=2&after={after}", role="member_a")
        body = response.get_json()
        seen.extend(item["id"] for item in body["items"])
        pages += 1
        if body["next_after"] is None:
            assert "Link" not in response.headers
            break
        assert response.headers["Link"].endswith('rel="next"') and f"after={body['next_after']}" in \
            response.headers["Link"]
        after = body["next_after"]
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 6 and pages == 3


def test_occurrences_filter_by_dates_status_site_and_association(api, objects, world):
    items = api.get(f"/api/v1/occurrences?from=2026-06-01&to=2026-06-30&site_id={world.site_a.id}&limit=100",
                    role="admin").get_json()["items"]
    assert items and all("2026-06-01" <= item["due_on"] <= "2026-06-30" for item in items)
    assert {item["site_id"] for item in items} == {world.site_a.id}
    done = api.get("/api/v1/occurrences?status=done&limit=100", role="admin").get_json()["items"]
    assert [item["id"] for item in done] == [objects["a"].occurrence.id]
    upcoming = api.get(f"/api/v1/occurrences?status=upcoming&association_id={world.b.id}&limit=100",
                       role="admin").get_json()["items"]
    assert upcoming and {item["association_id"] for item in upcoming} == {world.b.id}
    assert all(item["status"] == "upcoming" for item in upcoming)
    _assert_problem(api.get("/api/v1/occurrences?status=done&from=2025-01-01&to=2026-12-31"), 422)
    _assert_problem(api.get("/api/v1/occurrences?from=2026-07-01&to=2026-06-01"), 422)


def test_status_filtered_pages_are_stable(api, objects, world):
    everything = [item["id"] for item in api.get("/api/v1/occurrences?status=upcoming&limit=100",
                                                 role="admin").get_json()["items"]]
    seen, after = [], 0
    while True:
        body = api.get(f"/api/v1/occurrences?status=upcoming&limit=3&after={after}", role="admin").get_json()
        seen.extend(item["id"] for item in body["items"])
        if body["next_after"] is None:
            break
        after = body["next_after"]
    assert seen == everything and len(everything) > 3


def test_sites_as_geojson(api, world):
    response = api.get("/api/v1/sites.geojson", role="member_a")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    body = response.get_json(force=True)
    assert body["type"] == "FeatureCollection"
    assert [feature["id"] for feature in body["features"]] == [world.site_a.id]
    feature = body["features"][0]
    assert feature["geometry"]["type"] == "Point" and feature["properties"]["name"] == "Park A"


def test_list_queries_do_not_grow_with_the_rows(api, objects, world, make):
    from sqlalchemy import event

    def count(url):
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert api.get(url, role="admin").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    api.get("/api/v1/agreements", role="admin")  # the token's last use is written once, on the first request
    few = {url: count(url + "?limit=100") for url in LISTS}
    for n in range(4):
        site = make.site(world.home, world.a, name=f"Fler {n}")
        from skotsel.services import schedule

        task = make.agreed_task(world.agreement_a, site, world.task_type)
        schedule.regenerate([task], today=date(2026, 5, 1), until=date(2026, 12, 31))
    assert {url: count(url + "?limit=100") for url in LISTS} == few


# --- the rate limit -----------------------------------------------------------------------------------------------


def test_the_rate_limit_answers_429_with_retry_after(api, app):
    app.config["API_RATE_LIMIT"] = 3
    try:
        for _ in range(3):
            assert api.get("/api/v1/agreements", role="member_a").status_code == 200
        response = api.get("/api/v1/agreements", role="member_a")
        _assert_problem(response, 429)
        assert 1 <= int(response.headers["Retry-After"]) <= 60
        assert api.get("/api/v1/agreements", role="coordinator_a").status_code == 200  # per person
    finally:
        app.config["API_RATE_LIMIT"] = 120


def test_the_limiter_window_slides():
    from skotsel.api import RateLimiter

    limiter = RateLimiter()
    assert limiter.hit("k", limit=2, now=0.0) is None
    assert limiter.hit("k", limit=2, now=10.0) is None
    assert limiter.hit("k", limit=2, now=20.0) == 40
    assert limiter.hit("k", limit=2, now=60.5) is None


def test_two_copies_of_the_same_request_at_once_record_one_completion(app, api, objects):
    """A client that retries before the first answer came back: both copies get the same answer, one row."""
    import threading

    occurrence = objects["a"].open_occurrence
    body = {"occurrence_id": occurrence.id, "notes": "Samtidigt"}
    headers = api.headers("member_a", **{"Idempotency-Key": "race-key-0001"})
    barrier = threading.Barrier(2)
    answers = []

    def send():
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/v1/completions", json=body, headers=headers)
        answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [status for status, _ in answers] == [201, 201], answers
    assert answers[0][1] == answers[1][1]
    assert _completions(occurrence.id) == 1
