"""Skötseldagbok pages: the season log as a page, a CSV for Swedish Excel and a PDF, with the fixture's exact
numbers, who may read them, and a year that is not a season of the agreement refused with the reason."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest

from skotsel.extensions import db
from skotsel.models import Occurrence
from skotsel.services.access import Principal
from skotsel.services.dagbok import season_log
from skotsel.services.schedule import regenerate
from skotsel.web.dagbok import build_pdf, latin1, photo_thumbnail_url, safe_cell
from tests.conftest import login, query_count
from tests.services.test_dagbok import TODAY, add_completion, build_season

HEADER = ["Skötselobjekt", "Skötselmoment", "Förfallodag", "Status", "Utförd", "Utförd av", "Registrerad av",
          "Timmar", "Personer", "Persontimmar", "Anteckningar", "Foton"]
BEACH, PARK = "Badplatsen vid Helge å", "Hembygdsparken"
ROWS = [
    [BEACH, "Strandstädning", "2026-06-01", "Utförd", "2026-06-01", "Sam A", "", "2", "2", "4",
     "'=HYPERLINK(\"http://evil.example\",\"klicka\")", "0"],
    [BEACH, "Strandstädning", "2026-07-01", "Struken", "", "", "", "", "", "", "", ""],
    [BEACH, "Skräpplockning", "", "Utanför schemat", "2026-07-20", "Mia Medlem", "", "3", "4", "12",
     "Städning efter storm", "2"],
    [BEACH, "Strandstädning", "2026-08-01", "Utförd", "2026-07-31", "Mia Medlem", "", "0,75", "", "0,75", "", "0"],
    [PARK, "Klippning bruksgräsmatta", "2026-05-15", "Utförd", "2026-05-15", "Mia Medlem", "", "2,5", "3", "7,5",
     "Klippt och krattat", "1"],
    [PARK, "Klippning bruksgräsmatta", "2026-06-15", "Utförd sent", "2026-06-25", "Mia Medlem", "Sam A", "1,5", "",
     "1,5", "Sent – regn hela veckan", "0"],
    [PARK, "Klippning bruksgräsmatta", "2026-07-15", "Missad", "", "", "", "", "", "", "", ""],
    [PARK, "Klippning bruksgräsmatta", "2026-08-15", "Att göra", "", "", "", "", "", "", "", ""],
    [PARK, "Klippning bruksgräsmatta", "2026-09-15", "Kommande", "", "", "", "", "", "", "", ""],
]
AGREEMENT_TOTALS = [
    ("Tillfällen under säsongen", "8"),
    ("Tillfällen hittills (utförda, missade eller strukna)", "6"),
    ("Utförda i tid", "3"),
    ("Utförda sent", "1"),
    ("Missade", "1"),
    ("Strukna", "1"),
    ("Öppna (kommande eller att göra)", "2"),
    ("Andel i tid", "60 % (3 av 5)"),
    ("Timmar", "9,75"),
    ("Persontimmar", "25,75"),
    ("Utföranden", "5"),
    ("varav utanför schemat", "1"),
    ("Foton", "3"),
]


@pytest.fixture
def today(app, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", TODAY.isoformat())


@pytest.fixture
def season(world, make, today):
    return build_season(world, make)


def page(response) -> str:
    return response.get_data(as_text=True)


def totals_of(html: str, css: str) -> list[list[tuple[str, str]]]:
    """Each totals list with this class on the page, as (label, value) pairs."""
    lists = re.findall(rf'<dl class="dagbok-totals {css}">(.*?)</dl>', html, re.S)
    return [re.findall(r"<div><dt>(.*?)</dt><dd>(.*?)</dd></div>", found) for found in lists]


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))


# --- the page ------------------------------------------------------------------------------------------------


def test_the_page_shows_the_agreements_exact_totals(client, season):
    login(client, "samordnare@a.example")
    html = page(client.get(f"/dagbok/agreements/{season.agreement.id}?year=2026"))
    assert "Skötseldagbok Skötselavtal Hallaryd 2025–2027 2026" in html
    assert totals_of(html, "agreement-totals") == [AGREEMENT_TOTALS]


def test_each_site_has_its_totals_on_the_page(client, season):
    login(client, "samordnare@a.example")
    html = page(client.get(f"/dagbok/agreements/{season.agreement.id}"))
    beach, park = (dict(pairs) for pairs in totals_of(html, "site-totals"))
    assert (beach["Tillfällen under säsongen"], beach["Strukna"], beach["Andel i tid"], beach["Timmar"],
            beach["Persontimmar"], beach["Utföranden"], beach["Foton"]) == ("3", "1", "100 % (2 av 2)", "5,75",
                                                                           "16,75", "3", "2")
    assert (park["Tillfällen hittills (utförda, missade eller strukna)"], park["Missade"], park["Andel i tid"],
            park["Timmar"], park["Persontimmar"], park["Foton"]) == ("3", "1", "33 % (1 av 3)", "4", "9", "1")


def test_the_page_says_what_the_season_is_and_how_the_totals_are_counted(client, season):
    login(client, "samordnare@a.example")
    html = page(client.get(f"/dagbok/agreements/{season.agreement.id}"))
    assert ("Säsongen 2026 är alla tillfällen med förfallodag under kalenderåret 2026, och det arbete utanför "
            "schemat som är rapporterat på avtalets skötselobjekt under året.") in html
    assert "Andel i tid är utförda i tid ÷ (tillfällen hittills − strukna)." in html
    assert "ett utförande utan angivet antal personer räknas som en person" in html
    assert "<dt>Period</dt><dd>2026-01-01 – 2026-12-31</dd>" in html


def test_each_occurrence_shows_status_completion_people_hours_notes_and_photos(client, app, season):
    login(client, "samordnare@a.example")
    html = page(client.get(f"/dagbok/agreements/{season.agreement.id}"))
    for word in ("Utförd", "Utförd sent", "Missad", "Att göra", "Kommande", "Struken", "Utanför schemat"):
        assert f">{word}</span>" in html
    assert "Stängd: blågröna alger" in html
    assert "för Mia Medlem av Sam A" in html
    assert "Timmar: 2,5" in html and "Personer: 3" in html and "Persontimmar: 7,5" in html
    assert "Klippt och krattat" in html and "Städning efter storm" in html
    photo_ids = [photo.id for completion in (season.ad_hoc,) for photo in completion.photos]
    sources = re.findall(r'<img src="([^"]+)"', html)
    with app.test_request_context():
        expected = [photo_thumbnail_url(photo_id) for photo_id in photo_ids]
    assert len(sources) == 3 and set(expected) <= set(sources)
    assert "Förra året" not in html and "Annat avtal" not in html


def test_the_page_is_printable_and_links_its_downloads(client, season):
    login(client, "samordnare@a.example")
    html = page(client.get(f"/dagbok/agreements/{season.agreement.id}"))
    assert "/static/dagbok.css" in html
    assert f'href="/dagbok/agreements/{season.agreement.id}.csv?year=2026"' in html
    assert f'href="/dagbok/agreements/{season.agreement.id}.pdf?year=2026"' in html
    assert f'href="/dagbok/agreements/{season.agreement.id}?year=2025"' in html


def test_the_default_year_is_this_year_or_the_nearest_of_the_agreement(client, app, season, monkeypatch):
    login(client, "samordnare@a.example")
    url = f"/dagbok/agreements/{season.agreement.id}"
    assert '<strong aria-current="page">2026</strong>' in page(client.get(url))
    monkeypatch.setitem(app.config, "TODAY", "2030-03-01")
    assert '<strong aria-current="page">2027</strong>' in page(client.get(url))


def test_the_agreement_pages_link_to_the_log(client, app, world, season):
    link = f'href="/dagbok/agreements/{season.agreement.id}"'
    login(client, "admin@home.example")
    assert link in page(client.get(f"/admin/agreements/{season.agreement.id}"))
    member = app.test_client()
    login(member, "medlem@a.example")
    assert link in page(member.get(f"/association/{world.a.id}/agreements/{season.agreement.id}"))


# --- CSV -----------------------------------------------------------------------------------------------------


def test_the_csv_has_one_row_per_occurrence_or_completion(client, season):
    login(client, "samordnare@a.example")
    response = client.get(f"/dagbok/agreements/{season.agreement.id}.csv?year=2026")
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and response.mimetype_params["charset"] == "utf-8"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=skotseldagbok-skotselavtal-hallaryd-2025-2027-2026.csv")
    assert response.data.startswith(b"\xef\xbb\xbf")  # so Excel reads å, ä and ö
    assert b"\r\n" in response.data
    assert csv_rows(response) == [HEADER] + ROWS


def test_the_csv_neutralises_formulas_in_notes(client, season):
    login(client, "samordnare@a.example")
    rows = csv_rows(client.get(f"/dagbok/agreements/{season.agreement.id}.csv"))
    notes = [row[10] for row in rows[1:]]
    assert "'=HYPERLINK(\"http://evil.example\",\"klicka\")" in notes
    assert not any(note.startswith(("=", "+", "-", "@")) for note in notes)


@pytest.mark.parametrize(("text", "cell"), [
    ("=1+2", "'=1+2"), ("+46 476 123", "'+46 476 123"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("Klippt = klart", "Klippt = klart"), ("", ""),
])
def test_a_cell_that_starts_like_a_formula_gets_a_quote(text, cell):
    assert safe_cell(text) == cell


def test_a_member_name_that_looks_like_a_formula_is_neutralised_too(client, world, make, season):
    sneaky = make.user(role="member", association=world.a, name="@SUM(1+1)")
    add_completion(season.park, date(2026, 7, 1), sneaky, hours="1", notes="-- klart --")
    login(client, "samordnare@a.example")
    rows = csv_rows(client.get(f"/dagbok/agreements/{season.agreement.id}.csv"))
    row = next(row for row in rows if row[4] == "2026-07-01")
    assert (row[5], row[10]) == ("'@SUM(1+1)", "'-- klart --")


# --- PDF -----------------------------------------------------------------------------------------------------


def test_the_pdf_is_a_pdf(client, season):
    login(client, "samordnare@a.example")
    response = client.get(f"/dagbok/agreements/{season.agreement.id}.pdf?year=2026")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=skotseldagbok-skotselavtal-hallaryd-2025-2027-2026.pdf")
    assert response.data.startswith(b"%PDF-")
    assert response.data.rstrip().endswith(b"%%EOF")


def test_the_uncompressed_pdf_has_the_title_association_period_and_totals(world, season):
    log = season_log(principal=Principal.of(world.coordinator_a), agreement=season.agreement, year=2026,
                     today=TODAY)
    data = build_pdf(log, compress=False)
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    # Helvetica is latin-1: the agreement's en dash is drawn as a hyphen, å/ä/ö as themselves.
    for text in ("Skötseldagbok Skötselavtal Hallaryd 2025-2027 2026", "Förening: Hallaryds sockenråd",
                 "Period: 2026-01-01 - 2026-12-31", "Hela avtalet", "60 % \\(3 av 5\\)", "25,75", "9,75",
                 "Badplatsen vid Helge å", "för Mia Medlem av Sam A", "Sent - regn hela veckan", "Sida 1 av"):
        assert text.encode("latin-1") in data, text


@pytest.mark.parametrize(("text", "drawn"), [
    ("Hallaryd 2025–2027", "Hallaryd 2025-2027"),
    ("“Klart” … — ’bra’", "\"Klart\" ... - 'bra'"),
    ("Brygga 🛶 klar", "Brygga ? klar"),
    ("Åsa Ö ä", "Åsa Ö ä"),
    ("A\u0308ng", "Äng"),
    ("rad\nrad", "rad\nrad"),
])
def test_text_outside_latin1_is_replaced_for_the_pdf_font(text, drawn):
    assert latin1(text) == drawn


# --- access and bad input ------------------------------------------------------------------------------------

URLS = ["/dagbok/agreements/{id}", "/dagbok/agreements/{id}.csv", "/dagbok/agreements/{id}.pdf"]


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize(("email", "status"), [
    ("samordnare@a.example", 200),
    ("medlem@a.example", 200),
    ("admin@home.example", 200),
    ("granskare@home.example", 200),
    ("samordnare@b.example", 404),
    ("admin@other.example", 404),
])
def test_who_may_read_the_log(client, season, url, email, status):
    login(client, email)
    assert client.get(url.format(id=season.agreement.id)).status_code == status


@pytest.mark.parametrize("url", URLS)
def test_anonymous_visitors_are_sent_to_the_login_page(client, season, url):
    response = client.get(url.format(id=season.agreement.id))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("url", URLS)
def test_a_missing_agreement_is_not_found(client, season, url):
    login(client, "admin@home.example")
    assert client.get(url.format(id=season.agreement.id + 1000)).status_code == 404


NOT_A_YEAR = "Ange året med fyra siffror, t.ex. 2025."
OUTSIDE_THE_AGREEMENT = "Avtalet gäller 2025-01-01 – 2027-12-31. Välj ett år från 2025 till 2027."


@pytest.mark.parametrize(("url", "year", "reason"), [
    (URLS[0], "tjugo", NOT_A_YEAR),
    (URLS[0], "26", NOT_A_YEAR),
    (URLS[0], "1850", NOT_A_YEAR),
    (URLS[0], "2024", OUTSIDE_THE_AGREEMENT),
    (URLS[0], "2031", OUTSIDE_THE_AGREEMENT),
    (URLS[1], "20x6", NOT_A_YEAR),
    (URLS[1], "2028", OUTSIDE_THE_AGREEMENT),
    (URLS[2], "-2026", NOT_A_YEAR),
    (URLS[2], "2024", OUTSIDE_THE_AGREEMENT),
])
def test_a_year_that_is_no_season_of_the_agreement_is_refused_with_the_reason(client, season, url, year, reason):
    login(client, "samordnare@a.example")
    response = client.get(url.format(id=season.agreement.id), query_string={"year": year})
    assert response.status_code == 400
    assert reason in page(response)


def test_the_year_is_checked_only_after_access(client, season):
    login(client, "samordnare@b.example")
    assert client.get(f"/dagbok/agreements/{season.agreement.id}?year=tjugo").status_code == 404


# --- queries -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", ".csv", ".pdf"])
def test_the_query_count_does_not_grow_with_the_season(client, world, make, season, suffix):
    """A daily beach check (92 more occurrences, 30 more completions with photos by several people) costs the
    same number of queries as the fixture."""
    url = f"/dagbok/agreements/{season.agreement.id}{suffix}"
    login(client, "samordnare@a.example")
    before = query_count(client, url)
    daily = make.agreed_task(season.agreement, season.beach, make.task_type(world.home, "Kontroll livboj"),
                             rrule="FREQ=DAILY", season=("06-01", "08-31"))
    regenerate([daily], today=TODAY, until=date(2026, 12, 31))
    people = [world.member_a, world.coordinator_a, make.user(role="member", association=world.a)]
    for n in range(30):
        day = date(2026, 6, 1) + timedelta(days=n)
        occurrence = db.session.scalar(db.select(Occurrence).filter_by(agreed_task_id=daily.id, planned_on=day))
        add_completion(season.beach, day, people[n % 3], occurrence=occurrence, hours="0.5", people=1 + n % 2,
                       notes=f"Dag {n}", photos=n % 2, recorded_by=world.coordinator_a if n % 5 == 0 else None)
    assert db.session.scalar(db.select(db.func.count(Occurrence.id)).filter_by(agreed_task_id=daily.id)) == 92 * 2
    assert query_count(client, url) == before
