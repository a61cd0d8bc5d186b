"""Route × role matrix: every rule in the app's URL map, every method, every principal, against the table below.

Each row is one (endpoint, method) with the status each of the seven principals gets, for the URL filled with the
ids of association A's objects (tests/security/__init__.py: A's site, agreement, occurrence, completion, photo,
deviation, inspection, invitation, settlement, signed agreement; the calendar link and API token are A's
coordinator's). GET is a plain request; POST is an empty form with a valid CSRF token (the JSON API: an empty JSON
body with the principal's own bearer token — the API answers 401 to a session cookie, see tests/web/test_csrf.py).

A route without a row, or a row without a route, fails test_the_table_has_one_row_per_route. To add a route, add ONE
line below: `endpoint  METHOD  anon memA crdA crdB revw admn oadm` (the failing walk prints the observed line).

Documented behaviour the table records: the admin, association and review areas answer 404 to anyone who may not
use them (also to the anonymous: no login redirect that would reveal them); the rest redirect the anonymous to the
login page (302); a read-only principal gets 403 on a change; a secret link (/feeds/<token>.ics, /invitation/<token>)
and the public site page (/s/<id>) answer the same to everyone; exports of a settlement exist once it is computed.
"""
from __future__ import annotations

import pytest

from skotsel.extensions import db
from skotsel.services import api_tokens
from skotsel.services.access import Principal
from tests.conftest import login
from tests.security import TODAY, csrf_token_of, fill, routes, tenant_objects

#: Principal name → e-mail of the world's user (None: not signed in); the columns of MATRIX, in this order.
PRINCIPALS = {
    "anonymous": None, "member_a": "medlem@a.example", "coordinator_a": "samordnare@a.example",
    "coordinator_b": "samordnare@b.example", "reviewer": "granskare@home.example", "admin": "admin@home.example",
    "other_admin": "admin@other.example",
}

MATRIX = """
# endpoint                          method  anon memA crdA crdB revw admn oadm
admin.agreed_task_delete            POST    404  404  404  404  403  302  404
admin.agreed_task_edit              GET     404  404  404  404  403  200  404
admin.agreed_task_edit              POST    404  404  404  404  403  302  404
admin.agreed_task_new               GET     404  404  404  404  403  200  404
admin.agreed_task_new               POST    404  404  404  404  403  200  404
admin.agreement_delete              POST    404  404  404  404  403  302  404
admin.agreement_detail              GET     404  404  404  404  200  200  404
admin.agreement_document            GET     404  404  404  404  200  200  404
admin.agreement_document_delete     POST    404  404  404  404  403  302  404
admin.agreement_document_upload     POST    404  404  404  404  403  200  404
admin.agreement_edit                GET     404  404  404  404  403  200  404
admin.agreement_edit                POST    404  404  404  404  403  302  404
admin.agreement_new                 GET     404  404  404  404  403  200  200
admin.agreement_new                 POST    404  404  404  404  403  200  200
admin.agreements                    GET     404  404  404  404  200  200  200
admin.association_detail            GET     404  404  404  404  200  200  404
admin.association_edit              GET     404  404  404  404  403  200  404
admin.association_edit              POST    404  404  404  404  403  302  404
admin.association_invite            POST    404  404  404  404  403  200  404
admin.association_new               GET     404  404  404  404  403  200  200
admin.association_new               POST    404  404  404  404  403  200  200
admin.associations                  GET     404  404  404  404  200  200  200
admin.outbox                        GET     404  404  404  404  403  200  200
admin.outbox_message                GET     404  404  404  404  403  404  404
admin.overview                      GET     404  404  404  404  200  200  200
admin.people                        GET     404  404  404  404  403  200  200
admin.person_erase                  GET     404  404  404  404  403  200  404
admin.person_erase                  POST    404  404  404  404  403  302  404
admin.site_delete                   POST    404  404  404  404  403  302  404
admin.site_detail                   GET     404  404  404  404  200  200  404
admin.site_edit                     GET     404  404  404  404  403  200  404
admin.site_edit                     POST    404  404  404  404  403  302  404
admin.site_new                      GET     404  404  404  404  403  200  200
admin.site_new                      POST    404  404  404  404  403  200  200
admin.sites                         GET     404  404  404  404  200  200  200
admin.task_type_delete              POST    404  404  404  404  403  302  404
admin.task_type_edit                GET     404  404  404  404  403  200  404
admin.task_type_edit                POST    404  404  404  404  403  200  404
admin.task_type_new                 GET     404  404  404  404  403  200  200
admin.task_type_new                 POST    404  404  404  404  403  200  200
admin.task_types                    GET     404  404  404  404  200  200  200
admin.village_delete                POST    404  404  404  404  403  302  404
admin.village_edit                  GET     404  404  404  404  403  200  404
admin.village_edit                  POST    404  404  404  404  403  302  404
admin.village_new                   GET     404  404  404  404  403  200  200
admin.village_new                   POST    404  404  404  404  403  200  200
admin.villages                      GET     404  404  404  404  200  200  200
api.change_deviation_status         POST    401  422  422  422  422  422  422
api.create_completion               POST    401  422  422  422  422  422  422
api.create_inspection               POST    401  422  422  422  422  422  422
api.fix_deviation                   POST    401  422  422  422  422  422  422
api.get_agreed_task                 GET     401  200  200  404  200  200  404
api.get_agreement                   GET     401  200  200  404  200  200  404
api.get_completion                  GET     401  200  200  404  200  200  404
api.get_deviation                   GET     401  200  200  404  200  200  404
api.get_inspection                  GET     401  200  200  404  200  200  404
api.get_occurrence                  GET     401  200  200  404  200  200  404
api.get_site                        GET     401  200  200  404  200  200  404
api.list_agreed_tasks               GET     401  200  200  200  200  200  200
api.list_agreements                 GET     401  200  200  200  200  200  200
api.list_completions                GET     401  200  200  200  200  200  200
api.list_deviations                 GET     401  200  200  200  200  200  200
api.list_inspections                GET     401  200  200  200  200  200  200
api.list_occurrences                GET     401  200  200  200  200  200  200
api.list_sites                      GET     401  200  200  200  200  200  200
api.season_compliance               GET     401  404  404  404  200  200  200
api.sites_geojson                   GET     401  200  200  200  200  200  200
api_docs.docs_page                  GET     200  200  200  200  200  200  200
api_docs.openapi_json               GET     200  200  200  200  200  200  200
association.agreement               GET     404  200  200  404  404  404  404
association.agreement_document      GET     404  200  200  404  404  404  404
association.detail                  GET     404  200  200  404  404  404  404
association.invitation_revoke       POST    404  403  302  404  404  404  404
association.invite                  POST    404  403  200  404  404  404  404
association.member_remove           POST    404  403  302  404  404  404  404
association.member_role             POST    404  403  302  404  404  404  404
association.members                 GET     404  200  200  404  404  404  404
association.overview                GET     404  302  302  302  404  404  404
association.site                    GET     404  200  200  404  404  404  404
auth.change_password                GET     302  200  200  200  200  200  200
auth.change_password                POST    302  200  200  200  200  200  200
auth.forgot_password                GET     200  200  200  200  200  200  200
auth.forgot_password                POST    200  200  200  200  200  200  200
auth.invitation                     GET     200  200  200  200  200  200  200
auth.invitation                     POST    200  200  200  200  200  200  200
auth.login                          GET     200  302  302  302  302  302  302
auth.login                          POST    200  302  302  302  302  302  302
auth.logout                         POST    302  302  302  302  302  302  302
auth.reset_password                 GET     404  404  404  404  404  404  404
auth.reset_password                 POST    404  404  404  404  404  404  404
dagbok.csv                          GET     302  200  200  404  200  200  404
dagbok.pdf                          GET     302  200  200  404  200  200  404
dagbok.show                         GET     302  200  200  404  200  200  404
feeds.feed                          GET     200  200  200  200  200  200  200
followup.deviation                  GET     302  200  200  404  200  200  404
followup.deviations                 GET     302  200  200  200  200  200  200
followup.fix                        POST    302  404  404  404  403  403  404
followup.inspection                 GET     302  200  200  404  200  200  404
followup.inspections                GET     302  200  200  404  200  200  404
followup.new_inspection             GET     302  404  404  404  200  200  404
followup.new_inspection             POST    302  404  404  404  200  200  404
followup.reopen                     POST    302  404  404  404  200  200  404
followup.verify                     POST    302  404  404  404  200  200  404
leaflet_static                      GET     200  200  200  200  200  200  200
photos.show                         GET     302  200  200  404  200  200  404
photos.thumbnail                    GET     302  200  200  404  200  200  404
profile.api_tokens_page             GET     302  200  200  200  200  200  200
profile.api_tokens_page             POST    302  200  200  200  200  200  200
profile.data_export                 GET     302  200  200  200  200  200  200
profile.edit                        GET     302  200  200  200  200  200  200
profile.edit                        POST    302  200  200  200  200  200  200
profile.revoke_api_token            POST    302  404  302  404  404  404  404
public.healthz                      GET     200  200  200  200  200  200  200
public.index                        GET     200  302  302  302  302  302  302
public.language                     POST    302  302  302  302  302  302  302
review.compliance_csv               GET     302  404  404  404  200  200  200
review.compliance_xlsx              GET     302  404  404  404  200  200  200
review.dashboard                    GET     302  404  404  404  200  200  200
review.overdue                      GET     302  404  404  404  200  200  200
review.sites_geojson                GET     302  404  404  404  200  200  200
schedule.agreement                  GET     302  200  200  404  200  200  404
schedule.agreement_month            GET     302  200  200  404  200  200  404
schedule.excuse                     POST    302  403  403  404  403  200  404
schedule.generate                   POST    302  403  403  404  403  302  404
schedule.move                       POST    302  403  403  404  403  200  404
schedule.occurrence                 GET     302  200  200  404  200  200  404
schedule.restore                    POST    302  403  403  404  403  302  404
schedule.site                       GET     302  200  200  404  200  200  404
schedule.site_month                 GET     302  200  200  404  200  200  404
settlements.approve                 POST    302  403  403  404  302  302  404
settlements.compute                 POST    302  403  403  404  302  302  404
settlements.csv                     GET     302  200  200  404  200  200  404
settlements.pdf                     GET     302  200  200  404  200  200  404
settlements.reject                  POST    302  403  403  404  200  200  404
settlements.show                    GET     302  200  200  404  200  200  404
settlements.xlsx                    GET     302  200  200  404  200  200  404
site_page.report                    POST    200  200  200  200  200  200  200
site_page.show                      GET     200  200  200  200  200  200  200
site_page.sign_pdf                  GET     302  200  200  404  200  200  404
site_page.sign_png                  GET     302  200  200  404  200  200  404
static                              GET     200  200  200  200  200  200  200
subscribe.index                     GET     302  200  200  200  200  200  200
subscribe.new                       POST    302  400  400  400  400  400  400
subscribe.revoke                    POST    302  404  302  404  404  404  404
subscribe.rotate                    POST    302  404  200  404  404  404  404
workspace.done                      POST    302  302  302  404  404  404  404
workspace.edit_completion           GET     302  403  200  404  403  200  404
workspace.edit_completion           POST    302  403  302  404  403  302  404
workspace.fix_deviation             GET     302  200  200  404  404  404  404
workspace.fix_deviation             POST    302  200  200  404  404  404  404
workspace.log                       GET     302  200  200  404  404  404  404
workspace.log                       POST    302  200  200  404  404  404  404
workspace.log_ad_hoc                GET     302  200  200  404  404  404  404
workspace.log_ad_hoc                POST    302  200  200  404  404  404  404
workspace.log_many                  GET     302  200  200  200  404  404  404
workspace.log_many                  POST    302  200  200  200  404  404  404
workspace.tasks                     GET     302  200  200  200  404  404  404
workspace.withdraw_completion       POST    302  403  302  404  403  302  404
"""


def _table() -> dict[tuple[str, str], dict[str, int]]:
    table = {}
    for line in MATRIX.strip().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        endpoint, method, *statuses = line.split()
        assert len(statuses) == len(PRINCIPALS), f"row {endpoint} {method}: {len(statuses)} statuses, not 7"
        assert (endpoint, method) not in table, f"two rows for {endpoint} {method}"
        table[(endpoint, method)] = dict(zip(PRINCIPALS, map(int, statuses)))
    return table


TABLE = _table()


def row_line(endpoint: str, method: str, statuses: dict[str, object]) -> str:
    """A row as it is written in MATRIX."""
    return f"{endpoint:<35} {method:<7}" + "".join(f" {str(statuses.get(p, '?')):>4}" for p in PRINCIPALS)


def test_the_table_has_one_row_per_route(app):
    present = {(endpoint, method) for endpoint, method, _rule in routes(app)}
    missing = sorted(present - TABLE.keys())
    stale = sorted(TABLE.keys() - present)
    message = []
    if missing:
        message.append("routes without a row in MATRIX (tests/security/test_route_matrix.py) — add one line each "
                       "with the expected statuses (test_get_matrix / test_post_matrix print what they get):")
        message += [f"  {row_line(e, m, {})}" for e, m in missing]
    if stale:
        message.append("rows in MATRIX whose route no longer exists — remove them:")
        message += [f"  {e} {m}" for e, m in stale]
    assert not message, "\n".join(message)


@pytest.fixture
def tenant_a(app, world, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", TODAY)
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    from skotsel.api import limiter

    limiter(app).reset()
    return tenant_objects(world, "a", str(tmp_path), world.coordinator_a)


def _sign_in(client, world, who: str) -> dict:
    """Sign `who` in; the headers for the JSON API (their own bearer token)."""
    if PRINCIPALS[who] is None:
        return {}
    login(client, PRINCIPALS[who])
    user = getattr(world, who)
    db.session.refresh(user)
    token = api_tokens.create_token(principal=Principal.of(user), name=f"matrix {who}")[1]
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def _is_api(endpoint: str) -> bool:
    return endpoint.startswith("api.")


@pytest.mark.parametrize("who", list(PRINCIPALS))
def test_get_matrix(app, client, world, tenant_a, who):
    """Every GET route as `who`, in one walk (GET changes nothing the next request depends on)."""
    api_headers = _sign_in(client, world, who)
    wrong = []
    for endpoint, method, rule in routes(app):
        if method != "GET":
            continue
        url = fill(rule, endpoint, tenant_a)
        response = client.get(url, headers=api_headers if _is_api(endpoint) else {})
        expected = TABLE.get((endpoint, method), {}).get(who)
        if response.status_code != expected:
            wrong.append(f"  {endpoint} GET {url}: expected {expected}, got {response.status_code}")
    assert not wrong, f"as {who}:\n" + "\n".join(wrong)


POST_CASES = [(endpoint, who) for (endpoint, method) in TABLE if method == "POST" for who in PRINCIPALS]


@pytest.mark.parametrize(("endpoint", "who"), POST_CASES, ids=[f"{e}-{w}" for e, w in POST_CASES])
def test_post_matrix(app, client, world, tenant_a, endpoint, who):
    """Each POST route as `who` on fresh rows (a POST may change what the next one finds): an empty form."""
    rule = next((r for e, m, r in routes(app) if e == endpoint and m == "POST"), None)
    if rule is None:
        pytest.fail(f"{endpoint} POST is in MATRIX but no longer a route: remove its row")
    api_headers = _sign_in(client, world, who)
    url = fill(rule, endpoint, tenant_a)
    if _is_api(endpoint):
        response = client.post(url, json={}, headers=api_headers)
    else:
        response = client.post(url, data={"csrf_token": csrf_token_of(client)})
    expected = TABLE[(endpoint, "POST")][who]
    assert response.status_code == expected, (
        f"{endpoint} POST {url} as {who}: expected {expected}, got {response.status_code}")
