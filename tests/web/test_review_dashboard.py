"""Uppföljning pages (/review/): the compliance dashboard, the overdue list and the exports, against the
hand-computed season of tests/services/test_compliance.py (its docstring has the arithmetic)."""
from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from skotsel.extensions import db
from skotsel.services.schedule import regenerate
from tests.conftest import login, query_count
from tests.services.test_compliance import TODAY, build_season

SVG_NAMESPACE = "http://www.w3.org/2000/svg"


@pytest.fixture
def season(make, app, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", TODAY)
    season = build_season(make)
    season.admin = make.user("admin@home.example", role="admin", municipality=season.home)
    season.reviewer = make.user("granskare@home.example", role="reviewer", municipality=season.home)
    season.coordinator = make.user("samordnare@a.example", role="coordinator", association=season.a)
    season.member = make.user("medlem@a.example", role="member", association=season.a)
    return season


def table(page: str, css_class: str) -> list[list[str]]:
    """The rows of the table with this class, each as its cells' text."""
    found = re.search(rf'<table class="{css_class}".*?</table>', page, re.S)
    assert found, f"no table {css_class}"
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(0), re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append([" ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split()) for cell in cells])
    return rows


def tree(client, url="/review/?year=2026") -> dict[str, list[str]]:
    response = client.get(url)
    assert response.status_code == 200
    return {row[0]: row[1:] for row in table(response.get_data(as_text=True), "review-tree")[1:]}


def test_dashboard_shows_the_hand_computed_numbers(client, season):
    login(client, "granskare@home.example")
    rows = tree(client)
    # Förfallna hittills, andel i tid, i tid, sent, missade, strukna, öppna avvikelser
    assert rows["Kommun: Älmhult kommun"] == ["9", "43 %", "3", "1", "3", "1",
                                             "2 (1 öppen, 1 åtgärdad ej verifierad)"]
    assert rows["Ort: Hallaryd"] == ["6", "50 %", "2", "1", "1", "1", "0"]
    assert rows["Ort: Virestad"] == ["3", "33 %", "1", "0", "2", "0", "2 (1 öppen, 1 åtgärdad ej verifierad)"]
    assert rows["Förening: Hallaryds sockenråd"] == ["6", "50 %", "2", "1", "1", "1", "0"]
    assert rows["Avtal: Avtal Virestad"] == ["3", "33 %", "1", "0", "2", "0", "2 (1 öppen, 1 åtgärdad ej verifierad)"]
    assert rows["Skötselobjekt: Ekparken"] == ["3", "33 %", "1", "1", "1", "0", "0"]
    assert rows["Skötselobjekt: Lekplatsen Ugglan"] == ["3", "100 %", "1", "0", "0", "1", "0"]
    assert rows["Skötselmoment: Tillsyn"] == ["3", "100 %", "1", "0", "0", "1", "0"]


def test_a_report_on_a_site_the_municipality_keeps_is_listed_under_the_tree(client, season, make):
    from datetime import datetime, timezone

    from skotsel.models import Deviation

    beach = make.site(season.home, None, name="Kommunens badplats", village=season.virestad)
    deviation = Deviation(municipality_id=season.home.id, source="report", site_id=beach.id, status="open",
                          description="Trasig stege vid bryggan", reporter_email="någon@example.com",
                          created_at=datetime(2026, 7, 1, 8, tzinfo=timezone.utc))
    db.session.add(deviation)
    db.session.commit()
    login(client, "granskare@home.example")
    page = client.get("/review/?year=2026").get_data(as_text=True)
    assert tree(client)["Kommun: Älmhult kommun"][-1].startswith("3 (2 öppna")
    assert table(page, "unplaced")[1] == ["Kommunens badplats", "Trasig stege vid bryggan", "Öppen", "—"]
    assert f"/followup/deviations/{deviation.id}" in page
    assert "någon@example.com" not in page
    assert "Avvikelser utanför avtalen" not in client.get(
        f"/review/?year=2026&village={season.hallaryd.id}").get_data(as_text=True)


def test_default_year_is_the_current_one(client, season):
    login(client, "admin@home.example")
    page = client.get("/review/").get_data(as_text=True)
    assert "Uppföljning 2026" in page
    assert tree(client, "/review/")["Kommun: Älmhult kommun"][0] == "9"
    assert "Inga tillfällen att följa upp för 2025" in client.get("/review/?year=2025").get_data(as_text=True)


def test_bad_year_is_a_400(client, season):
    login(client, "admin@home.example")
    assert client.get("/review/?year=abc").status_code == 400
    assert client.get("/review/compliance.csv?year=99999").status_code == 400


@pytest.mark.parametrize(("query", "shown", "hidden"), [
    ("village={hallaryd}", ["Ekparken", "Lekplatsen Ugglan"], ["Torget"]),
    ("kind=playground", ["Lekplatsen Ugglan"], ["Ekparken", "Torget"]),
    ("task_type={mowing}", ["Ekparken", "Torget"], ["Lekplatsen Ugglan"]),
    ("status=missed", ["Ekparken", "Torget"], ["Lekplatsen Ugglan"]),
    ("status=overdue", ["Lekplatsen Ugglan"], ["Ekparken", "Torget"]),
    ("status=deviations", ["Torget"], ["Ekparken", "Lekplatsen Ugglan"]),
])
def test_filters(client, season, query, shown, hidden):
    login(client, "granskare@home.example")
    query = query.format(hallaryd=season.hallaryd.id, mowing=season.mowing.id)
    rows = tree(client, f"/review/?year=2026&{query}")
    for name in shown:
        assert f"Skötselobjekt: {name}" in rows
    for name in hidden:
        assert f"Skötselobjekt: {name}" not in rows


def test_filter_sums_only_the_rows_shown(client, season):
    login(client, "granskare@home.example")
    rows = tree(client, "/review/?year=2026&status=missed")
    assert rows["Kommun: Älmhult kommun"][:6] == ["6", "33 %", "2", "1", "3", "0"]


def test_unknown_filter_values_are_ignored(client, season):
    login(client, "granskare@home.example")
    rows = tree(client, "/review/?year=2026&village=x&kind=moon&status=nope&task_type=&sort=drop")
    assert rows["Kommun: Älmhult kommun"][0] == "9"


@pytest.mark.parametrize(("sort", "order"), [
    ("name", ["Ort: Hallaryd", "Ort: Virestad"]),
    ("-name", ["Ort: Virestad", "Ort: Hallaryd"]),
    ("-missed", ["Ort: Virestad", "Ort: Hallaryd"]),
    ("-rate", ["Ort: Hallaryd", "Ort: Virestad"]),
    ("deviations", ["Ort: Hallaryd", "Ort: Virestad"]),
    ("-deviations", ["Ort: Virestad", "Ort: Hallaryd"]),
])
def test_sort(client, season, sort, order):
    login(client, "granskare@home.example")
    rows = [name for name in tree(client, f"/review/?year=2026&sort={sort}") if name.startswith("Ort:")]
    assert rows == order


def test_sort_headers_link_and_say_which_way(client, season):
    login(client, "granskare@home.example")
    page = client.get("/review/?year=2026&sort=-missed").get_data(as_text=True)
    assert 'aria-sort="descending"' in page
    assert "sort=missed" in page  # clicking the sorted column again sorts the other way


def test_chart_is_inline_svg_without_outside_references(client, season):
    login(client, "granskare@home.example")
    page = client.get("/review/?year=2026").get_data(as_text=True)
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    assert set(re.findall(r"https?://[^\"'\s<>)]+", svg)) == {SVG_NAMESPACE}
    assert "<script" not in svg and "file:" not in svg
    assert "Andel i tid per vecka" in svg
    weeks = table(page, "review-weeks")
    assert weeks == [["Vecka", "Andel i tid", "Utförda i tid", "Utförda sent", "Missade"],
                     ["v. 18", "100 %", "2", "0", "0"], ["v. 23", "33 %", "1", "1", "1"],
                     ["v. 27", "0 %", "0", "0", "2"]]


def test_map_markers_and_its_table(client, season):
    login(client, "granskare@home.example")
    page = client.get("/review/?year=2026").get_data(as_text=True)
    assert "/static/leaflet/leaflet.js" in page and "review_map.js" in page
    markers = json.loads(html.unescape(re.search(r"data-markers='([^']*)'", page).group(1)))
    assert [(m["name"], m["status"], m["label"]) for m in markers] == [
        ("Ekparken", "missed", "Missad"), ("Lekplatsen Ugglan", "overdue", "Försenad"), ("Torget", "missed", "Missad")]
    assert table(page, "review-sites")[1:] == [
        ["Ekparken", "Hallaryd", "Hallaryds sockenråd", "Missad", "33 %"],
        ["Lekplatsen Ugglan", "Hallaryd", "Hallaryds sockenråd", "Försenad", "100 %"],
        ["Torget", "Virestad", "Virestads hembygdsförening", "Missad", "33 %"],
    ]
    assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []  # no inline script, not even in the chart


def test_query_count_does_not_grow_with_rows(client, season, make):
    login(client, "granskare@home.example")
    url = "/review/?year=2026"
    before = query_count(client, url)
    extra = []
    for n in range(4):
        site = make.site(season.home, season.b, name=f"Extra {n}", village=season.virestad)
        agreement = make.agreement(season.b, title=f"Extra avtal {n}", starts_on=date(2026, 1, 1),
                                   ends_on=date(2026, 12, 31))
        extra.append(make.agreed_task(agreement, site, season.mowing, rrule="FREQ=WEEKLY",
                                      season=("05-01", "08-31")))
    regenerate(extra, today=date(2026, 1, 1), until=date(2026, 12, 31))
    db.session.commit()
    assert "Skötselobjekt: Extra 3" in tree(client, url)
    assert query_count(client, url) == before


def test_overdue_list(client, season):
    login(client, "granskare@home.example")
    response = client.get("/review/overdue")
    assert response.status_code == 200
    rows = table(response.get_data(as_text=True), "review-overdue")
    assert rows[1:] == [
        ["9", "2026-07-01", "Missad", "Ekparken", "Gräsklippning", "Hallaryds sockenråd", "Kim Kontakt",
         "0476-12 34 56", season.a.email],
        ["9", "2026-07-01", "Missad", "Torget", "Gräsklippning", "Virestads hembygdsförening", "Kim Kontakt",
         "0476-12 34 56", season.b.email],
        ["5", "2026-07-05", "Försenad", "Lekplatsen Ugglan", "Tillsyn", "Hallaryds sockenråd", "Kim Kontakt",
         "0476-12 34 56", season.a.email],
    ]


def _csv(client, url="/review/compliance.csv?year=2026"):
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))


EXPECTED_EXPORT = [
    ["Hallaryd", "Hallaryds sockenråd", "Avtal Hallaryd", "Ekparken", "Gräsklippning", 3, 1, 1, 1, 0, 33, 0, 0, 0, 0],
    ["Hallaryd", "Hallaryds sockenråd", "Avtal Hallaryd", "Lekplatsen Ugglan", "Tillsyn", 3, 1, 0, 0, 1, 100, 0, 0, 0,
     0],
    ["Virestad", "Virestads hembygdsförening", "Avtal Virestad", "Torget", "Gräsklippning", 3, 1, 0, 2, 0, 33, 1, 1,
     0, 1],
]


def test_csv_export(client, season):
    login(client, "granskare@home.example")
    rows = _csv(client)
    assert rows[0][:6] == ["Ort", "Förening", "Avtal", "Skötselobjekt", "Skötselmoment", "Förfallna hittills"]
    assert len(rows[0]) == 15
    assert rows[1:] == [[str(cell) for cell in row] for row in EXPECTED_EXPORT]


def test_xlsx_export(client, season):
    login(client, "granskare@home.example")
    response = client.get("/review/compliance.xlsx?year=2026")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "Ort"
    assert rows[1:] == EXPECTED_EXPORT


def test_exports_are_formula_injection_safe(client, season):
    season.a.name = "=HYPERLINK(\"http://evil\")"
    db.session.commit()
    login(client, "granskare@home.example")
    rows = _csv(client)
    assert rows[1][1] == "'=HYPERLINK(\"http://evil\")"
    sheet = load_workbook(io.BytesIO(client.get("/review/compliance.xlsx?year=2026").data)).active
    cell = sheet.cell(row=2, column=2)
    assert cell.data_type == "s" and cell.value.startswith("'=")


def test_geojson_export(client, season):
    login(client, "granskare@home.example")
    response = client.get("/review/sites.geojson?year=2026")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    data = json.loads(response.data)
    assert data["type"] == "FeatureCollection"
    features = {feature["properties"]["name"]: feature for feature in data["features"]}
    assert features["Ekparken"]["geometry"] == {"type": "Point", "coordinates": [14.01, 56.61]}
    assert {name: feature["properties"] for name, feature in features.items()} == {
        "Ekparken": {"name": "Ekparken", "kind": "green_space", "village": "Hallaryd",
                     "association": "Hallaryds sockenråd", "worst_status": "missed", "on_time_rate": 0.3333},
        "Lekplatsen Ugglan": {"name": "Lekplatsen Ugglan", "kind": "playground", "village": "Hallaryd",
                              "association": "Hallaryds sockenråd", "worst_status": "overdue", "on_time_rate": 1.0},
        "Torget": {"name": "Torget", "kind": "green_space", "village": "Virestad",
                   "association": "Virestads hembygdsförening", "worst_status": "missed", "on_time_rate": 0.3333},
    }


PAGES = ["/review/", "/review/overdue", "/review/compliance.csv", "/review/compliance.xlsx", "/review/sites.geojson"]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_login(client, season, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("email", ["samordnare@a.example", "medlem@a.example"])
@pytest.mark.parametrize("url", PAGES)
def test_association_people_get_404(client, season, email, url):
    login(client, email)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("email", ["admin@home.example", "granskare@home.example"])
def test_staff_have_the_nav_link(client, season, email):
    login(client, email)
    page = client.get("/review/").get_data(as_text=True)
    assert 'href="/review/"' in page and "Uppföljning" in page


def test_other_municipality_sees_only_its_own(client, season, make):
    other = make.municipality("Osby kommun", "1273")
    association = make.association(other, "Lönsboda byalag")
    site = make.site(other, association, name="Osby torg")
    task_type = make.task_type(other, "Gräsklippning")
    agreement = make.agreement(association, starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
    task = make.agreed_task(agreement, site, task_type, rrule="FREQ=MONTHLY;BYMONTHDAY=1", season=("05-01", "08-31"))
    regenerate([task], today=date(2026, 1, 1), until=date(2026, 12, 31))
    make.user("admin@other.example", role="admin", municipality=other)
    login(client, "admin@other.example")
    rows = tree(client)
    assert "Skötselobjekt: Osby torg" in rows and "Skötselobjekt: Ekparken" not in rows
    assert rows["Kommun: Osby kommun"][:6] == ["3", "0 %", "0", "0", "3", "0"]  # grace 2 days: all missed
    for url in PAGES[1:]:
        body = client.get(url + "?year=2026").data.decode("utf-8", "replace")
        assert "Ekparken" not in body and "Hallaryd" not in body
    assert [row[3] for row in _csv(client)[1:]] == ["Osby torg"]
