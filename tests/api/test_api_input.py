"""Odd input to the API gets a problem+json 4xx with the reason, never a server error; the pagination link is built
from the query as given; the rate limit counts per person."""
from __future__ import annotations

import json

import pytest

from skotsel.extensions import db
from skotsel.services import api_tokens
from skotsel.services.access import Principal
from tests.api.test_api import _assert_problem, objects, today  # noqa: F401  (fixtures)


def post_raw(api, url, data: bytes, role="member_a", content_type="application/json", **headers):
    return api.client.post(url, data=data, headers=api.headers(role, **headers), content_type=content_type)


@pytest.mark.parametrize(("body", "reason"), [
    ('{"note": "fixat\\u0000"}', "NUL"),
    ('{"note": "\\ud800"}', "ogiltigt tecken"),
    ("[" * 200 + "]" * 200, "djupt"),
    ('{"note": ' + "9" * 5000 + "}", "inte giltig JSON"),
    ('{"note": "oavslutad', "inte giltig JSON"),
])
def test_unstorable_json_is_a_422_on_every_write(api, objects, body, reason):
    deviation = objects["a"].deviation
    for url, role, headers in (
        ("/api/v1/completions", "member_a", {"Idempotency-Key": "odd-input-0001"}),
        (f"/api/v1/deviations/{deviation.id}/fix", "member_a", {}),
        (f"/api/v1/deviations/{deviation.id}/status", "reviewer", {}),
        ("/api/v1/inspections", "reviewer", {}),
    ):
        problem = _assert_problem(post_raw(api, url, body.encode("utf-8"), role=role, **headers), 422)
        assert reason in problem["detail"], (url, problem)
    db.session.expire_all()
    assert deviation.status == "open"


def test_a_body_that_is_not_json_is_415(api, objects):
    response = post_raw(api, "/api/v1/completions", b"occurrence_id=1", content_type="text/plain",
                        **{"Idempotency-Key": "plain-text-0001"})
    _assert_problem(response, 415)


def test_unknown_query_parameters_are_refused_not_ignored(api, objects, world):
    problem = _assert_problem(api.get(f"/api/v1/occurrences?association={world.b.id}", role="admin"), 422)
    assert "association" in problem["errors"]
    assert api.get(f"/api/v1/occurrences?association_id={world.b.id}", role="admin").status_code == 200


def test_the_next_link_keeps_the_query_as_given(api, world, make):
    for n in range(3):
        make.site(world.home, world.a, name=f"Extra {n}")
    # "endpoint" and "_anchor" mean something to url_for: the link must not be built through it.
    response = api.get("/api/v1/sites?limit=1&kind=green_space", role="member_a")
    link = response.headers["Link"]
    assert link.startswith("</api/v1/sites?limit=1&kind=green_space&after=") and link.endswith('>; rel="next"')
    assert api.get("/api/v1/sites?limit=1&endpoint=x", role="member_a").status_code == 422


def test_the_rate_limit_counts_per_person_not_per_token(api, app, world):
    db.session.refresh(world.member_a)
    _row, second = api_tokens.create_token(principal=Principal.of(world.member_a), name="andra")
    app.config["API_RATE_LIMIT"] = 3
    try:
        for _ in range(3):
            assert api.get("/api/v1/agreements", role="member_a").status_code == 200
        response = api.client.get("/api/v1/agreements", headers={"Authorization": f"Bearer {second}"})
        _assert_problem(response, 429)
        assert api.get("/api/v1/agreements", role="coordinator_a").status_code == 200  # someone else
    finally:
        app.config["API_RATE_LIMIT"] = 120


def test_every_response_schema_lists_its_fields_as_required(client):
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    for name in ("Agreement", "Site", "AgreedTask", "Occurrence", "Completion", "Deviation", "Inspection"):
        schema = schemas[name]
        assert set(schema["required"]) == set(schema["properties"]), name
    assert json.dumps(document)  # serialisable


def test_a_person_has_at_most_twenty_working_tokens(world):
    from skotsel.domain.errors import ValidationError

    db.session.refresh(world.member_a)
    principal = Principal.of(world.member_a)
    for n in range(api_tokens.MAX_TOKENS):
        api_tokens.create_token(principal=principal, name=f"nyckel {n}")
    with pytest.raises(ValidationError, match="redan 20 API-nycklar"):
        api_tokens.create_token(principal=principal, name="en till")
