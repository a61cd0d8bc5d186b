"""Fuzzing every POST route with Hypothesis: random unicode (NUL bytes too), very long strings (up to 100 kB),
repeated parameters and values of the wrong type, for the route's own field names (read from the form on its GET
page, plus the names the buttons of other pages post), sent with a valid CSRF token in a signed-in session.
Not one answer may be a server error.

Deterministic (derandomize, no example database) so that CI is stable; SKOTSEL_FUZZ_EXAMPLES raises the number of
examples per route for a longer local run."""
from __future__ import annotations

import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from skotsel.services import api_tokens
from skotsel.services.access import Principal
from tests.conftest import login
from tests.security import TODAY, csrf_token_of, fill, routes, tenant_objects

EXAMPLES = int(os.environ.get("SKOTSEL_FUZZ_EXAMPLES", "4"))

FUZZ = settings(
    max_examples=EXAMPLES, derandomize=True, database=None, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.large_base_example],
)

#: Names the POST-only routes take (their forms sit on other pages): buttons, notes, reasons, roles, dates.
COMMON_FIELDS = ["name", "email", "role", "note", "notes", "reason", "token", "locale", "kind", "next", "title",
                 "due_on", "planned_on", "completed_on", "new_date", "date", "year", "site_id", "association_id",
                 "occurrence_ids", "password", "confirm", "status", "hours", "people", "document"]

#: Field names of the JSON API's request bodies.
API_FIELDS = ["occurrence_id", "site_id", "task_type_id", "agreement_id", "completed_on", "inspected_on", "notes",
              "note", "status", "hours", "people", "results", "result", "performed_by_id", "fix_by_on"]

#: Anonymous forms; the rest are filled in as the admin, or as A's coordinator in the association's own areas.
ANONYMOUS = {"auth.login", "auth.forgot_password", "auth.reset_password", "auth.invitation", "site_page.report"}
ASSOCIATION_AREAS = ("association.", "workspace.", "subscribe.", "profile.", "auth.change_password", "public.")

PEOPLE = {"admin": "admin@home.example", "coordinator_a": "samordnare@a.example"}

_unicode = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=("Cs",)),
                   max_size=40)
_long = st.sampled_from([1_000, 20_000, 100_000]).flatmap(
    lambda n: st.sampled_from(["a", "ä", "😀", "<", "0", " "]).map(lambda c: c * n))
_wrong_type = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str), st.floats().map(str), st.booleans().map(str),
    st.sampled_from(["", " ", "null", "None", "[]", "{}", "2026-02-30", "2026-13-01", "9999-12-31", "0000-00-00",
                     "-1", "0", "1e309", "NaN", "0x10", "١٢٣", "1,5", "10 000 kr", "../../etc/passwd",
                     "' OR 1=1 --", "<script>alert(1)</script>", "%00", "\x00"]),
)
VALUES = st.one_of(_unicode, _long, _wrong_type)
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(), _unicode,
              _wrong_type),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(API_FIELDS), children,
                                                                      max_size=3),
    max_leaves=6,
)


def form_data(names: list[str]):
    """A multi-valued form over `names`: each present field gets one to three values (repeated parameters)."""
    return st.lists(st.tuples(st.sampled_from(names), VALUES), max_size=12).map(MultiDict)


def _who(endpoint: str) -> str | None:
    if endpoint in ANONYMOUS:
        return None
    return "coordinator_a" if endpoint.startswith(ASSOCIATION_AREAS) else "admin"


def _post_routes() -> list[str]:
    """The POST endpoints, read from the app at collection time."""
    from skotsel import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})
    return sorted({endpoint for endpoint, method, _rule in routes(app) if method == "POST"})


POST_ENDPOINTS = _post_routes()


def _field_names(client, url: str, has_get: bool) -> list[str]:
    names = set(COMMON_FIELDS)
    if has_get:
        page = client.get(url).get_data(as_text=True)
        names |= set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', page))
    names.discard("csrf_token")
    return sorted(names)


def test_every_post_route_is_fuzzed(app):
    assert POST_ENDPOINTS == sorted({e for e, m, _r in routes(app) if m == "POST"})


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
def test_no_form_input_makes_a_server_error(app, client, world, tmp_path, monkeypatch, endpoint):
    monkeypatch.setitem(app.config, "TODAY", TODAY)
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    from skotsel.api import limiter

    limiter(app).reset()
    tenant = tenant_objects(world, "a", str(tmp_path), world.coordinator_a)
    rule = next(r for e, m, r in routes(app) if e == endpoint and m == "POST")
    has_get = any(e == endpoint and m == "GET" for e, m, _r in routes(app))
    url = fill(rule, endpoint, tenant)
    who = _who(endpoint)

    if endpoint.startswith("api."):
        token = api_tokens.create_token(principal=Principal.of(world.admin), name="fuzz")[1]
        headers = {"Authorization": f"Bearer {token}"}

        @FUZZ
        @given(body=JSON_VALUES)
        def post_json(body):
            limiter(app).reset()
            response = client.post(url, json=body, headers={**headers, "Idempotency-Key": os.urandom(8).hex()})
            assert response.status_code < 500, f"{endpoint} {url} {body!r:.300}: {response.status_code}"

        post_json()
        return

    if who:
        login(client, PEOPLE[who])
    csrf = csrf_token_of(client)
    names = _field_names(client, url, has_get)

    @FUZZ
    @given(data=form_data(names))
    def post_form(data):
        data.add("csrf_token", csrf)
        response = client.post(url, data=data)
        assert response.status_code < 500, (
            f"{endpoint} {url} as {who}: {response.status_code} for {list(data.items(multi=True))!r:.500}")

    post_form()
