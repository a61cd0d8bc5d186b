"""The site's public page (where the sign's QR code leads) and the sign files: who sees what, and that the QR code
and the printed URL are built on BASE_URL whatever Host the request came with."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest
from PIL import Image

from skotsel.extensions import db
from skotsel.models import Completion, Occurrence
from tests.conftest import PASSWORD, login, query_count
from tests.services.test_signs import expected_matrix, pdf_text, read_qr

BASE_URL = "https://skotsel.almhult.se"
TODAY = date(2026, 6, 10)


@pytest.fixture
def base_url(app, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", BASE_URL)
    return BASE_URL


@pytest.fixture
def today(app, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", TODAY.isoformat())
    return TODAY


def occurrence(task, due_on: date, window_starts_on: date, *, excused: bool = False) -> Occurrence:
    row = Occurrence(municipality_id=task.municipality_id, agreed_task_id=task.id, planned_on=due_on, due_on=due_on,
                     window_starts_on=window_starts_on, excused_reason="Stängd badplats" if excused else None)
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def plan(world, today):
    """Site A's occurrences on 2026-06-10 (task type: 2 grace days), one of each kind the quick log tells apart."""
    task = world.task_a
    rows = {
        "overdue": occurrence(task, date(2026, 6, 8), date(2026, 5, 26)),  # due, on time until 06-10
        "due": occurrence(task, date(2026, 6, 14), date(2026, 6, 1)),
        "soon": occurrence(task, date(2026, 6, 28), date(2026, 6, 15)),  # can be done within the week
        "later": occurrence(task, date(2026, 7, 12), date(2026, 6, 29)),
        "done": occurrence(task, date(2026, 6, 7), date(2026, 5, 25)),
        "missed": occurrence(task, date(2026, 5, 20), date(2026, 5, 10)),
        "excused": occurrence(task, date(2026, 6, 9), date(2026, 6, 2), excused=True),
    }
    db.session.add(Completion(municipality_id=task.municipality_id, occurrence_id=rows["done"].id,
                              site_id=world.site_a.id, task_type_id=world.task_type.id,
                              completed_on=date(2026, 6, 6), user_id=world.member_a.id))
    db.session.commit()
    return rows


def log_link(occurrence_id: int) -> str:
    return f'href="/workspace/occurrences/{occurrence_id}/log"'


# --- the public page -----------------------------------------------------------------------------------------


def test_anyone_sees_the_site_who_keeps_it_and_how_to_report_a_problem(client, world):
    world.site_a.notes = "Nyckeln till förrådet ligger under stenen"
    world.site_a.village_id = world.village.id
    db.session.commit()
    response = client.get(f"/s/{world.site_a.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for shown in ("Park A", "Grönyta", "Hallaryd", "Hallaryds sockenråd", "Kim Kontakt", "0476-12 34 56",
                  world.a.email, "Älmhult kommun", "Felanmälan"):
        assert shown in page, shown
    assert "Logga in för att rapportera utfört arbete" in page
    assert "Rapportera utfört arbete</h2>" not in page and "/log\"" not in page


def test_the_public_page_shows_nothing_beyond_what_the_sign_says(client, world, plan):
    world.site_a.notes = "Nyckeln till förrådet ligger under stenen"
    db.session.commit()
    page = client.get(f"/s/{world.site_a.id}").get_data(as_text=True)
    for hidden in ("Nyckeln", "Avtal A", "10 000", "10000", "1 200", "Mia Medlem", "Sam A", "högst 10 cm",
                   "Klippning bruksgräsmatta", "sign.pdf", "sign.png"):
        assert hidden not in page, hidden


def test_a_site_the_municipality_keeps_names_the_municipality_as_responsible(client, world, make):
    site = make.site(world.home, None, name="Möckelns badplats", kind="beach")
    login(client, "medlem@a.example")
    page = client.get(f"/s/{site.id}").get_data(as_text=True)
    assert "Möckelns badplats" in page and "Badplats" in page
    assert re.search(r"Sköts av</dt><dd>Älmhult kommun</dd>", page)
    assert "Kontakta Älmhult kommun." in page
    assert "Rapportera utfört arbete</h2>" not in page and "Kim Kontakt" not in page


@pytest.mark.parametrize("who", [None, "admin@home.example", "admin@other.example"])
def test_a_site_that_does_not_exist_is_not_found(client, world, who):
    if who:
        login(client, who)
    assert client.get("/s/999999").status_code == 404
    assert client.get("/s/99999999999").status_code == 404


def test_a_member_of_the_association_gets_the_quick_log_overdue_and_due_first(client, world, plan):
    login(client, "medlem@a.example")
    page = client.get(f"/s/{world.site_a.id}").get_data(as_text=True)
    assert "Rapportera utfört arbete</h2>" in page
    assert "Felanmälan" not in page
    positions = [page.index(log_link(plan[key].id)) for key in ("overdue", "due", "soon")]
    assert positions == sorted(positions)
    for key in ("later", "done", "missed", "excused"):
        assert log_link(plan[key].id) not in page, key
    assert "Försenad" in page and "Att göra" in page and "Kommande" in page
    assert "Klippning bruksgräsmatta" in page
    assert f'href="/workspace/sites/{world.site_a.id}/log"' in page


def test_the_coordinator_gets_the_quick_log_too(client, world, plan):
    login(client, "samordnare@a.example")
    page = client.get(f"/s/{world.site_a.id}").get_data(as_text=True)
    assert log_link(plan["overdue"].id) in page


def test_with_nothing_to_do_the_quick_log_says_so_and_still_offers_ad_hoc_logging(client, world, today):
    login(client, "medlem@a.example")
    page = client.get(f"/s/{world.site_a.id}").get_data(as_text=True)
    assert "Inget är att göra på platsen just nu." in page
    assert f'href="/workspace/sites/{world.site_a.id}/log"' in page


@pytest.mark.parametrize("who", [None, "samordnare@b.example", "admin@home.example", "granskare@home.example",
                                 "admin@other.example"])
def test_everyone_else_gets_the_problem_report_instead_of_the_quick_log(client, world, plan, who):
    if who:
        login(client, who)
    page = client.get(f"/s/{world.site_a.id}").get_data(as_text=True)
    assert "Felanmälan" in page
    assert "Rapportera utfört arbete</h2>" not in page
    assert "/log\"" not in page and "Klippning bruksgräsmatta" not in page


@pytest.mark.parametrize(("who", "offered"), [
    ("admin@home.example", True), ("granskare@home.example", True), ("samordnare@a.example", True),
    ("medlem@a.example", True), ("samordnare@b.example", False), ("admin@other.example", False), (None, False),
])
def test_the_sign_files_are_offered_to_those_who_may_download_them(client, world, who, offered):
    if who:
        login(client, who)
    page = client.get(f"/s/{world.site_a.id}").get_data(as_text=True)
    assert (f"/sites/{world.site_a.id}/sign.pdf" in page) is offered
    assert (f"/sites/{world.site_a.id}/sign.png" in page) is offered


def test_the_quick_logs_query_count_does_not_grow_with_the_occurrences(client, world, today, make):
    login(client, "medlem@a.example")
    url = f"/s/{world.site_a.id}"
    occurrence(world.task_a, date(2026, 6, 14), date(2026, 6, 1))
    few = query_count(client, url)
    second = make.agreed_task(world.agreement_a, world.site_a, make.task_type(world.home))
    for day in range(1, 9):
        occurrence(second, date(2026, 6, 10 + day), date(2026, 6, day))
    assert query_count(client, url) == few


# --- the sign files ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin@home.example", "granskare@home.example", "samordnare@a.example",
                                 "medlem@a.example"])
def test_staff_and_the_sites_association_download_the_sign_as_pdf(client, world, who, base_url):
    login(client, who)
    response = client.get(f"/sites/{world.site_a.id}/sign.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == "attachment; filename=skylt-park-a.pdf"
    text = pdf_text(response.data)
    for expected in ("(Park A)", "(Sköts av Hallaryds sockenråd)", "(Kontaktperson: Kim Kontakt)",
                     "(i samarbete med Älmhult kommun)", f"({BASE_URL}/s/{world.site_a.id})"):
        assert expected in text, expected


def test_the_sign_as_png_holds_the_qr_code_of_the_sites_page(client, world, base_url):
    login(client, "samordnare@a.example")
    response = client.get(f"/sites/{world.site_a.id}/sign.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["Content-Disposition"] == "attachment; filename=skylt-park-a.png"
    image = Image.open(io.BytesIO(response.data))
    assert image.size == (1240, 1754)
    url = f"{BASE_URL}/s/{world.site_a.id}"
    expected = expected_matrix(url)
    assert read_qr(image, len(expected))[0] == expected


def test_the_qr_code_and_the_printed_url_use_base_url_not_the_requests_host(client, world, base_url):
    evil = "http://evil.example"  # every request, the login too, says it is for this host
    form = client.get("/login", base_url=evil).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    client.post("/login", data={"email": "admin@home.example", "password": PASSWORD, "csrf_token": token},
                base_url=evil)
    url = f"{BASE_URL}/s/{world.site_a.id}"
    png = client.get(f"/sites/{world.site_a.id}/sign.png", base_url=evil)
    assert png.status_code == 200
    expected = expected_matrix(url)
    assert read_qr(Image.open(io.BytesIO(png.data)), len(expected))[0] == expected
    pdf = client.get(f"/sites/{world.site_a.id}/sign.pdf", base_url=evil).data
    assert f"({url})" in pdf_text(pdf)
    assert b"evil.example" not in pdf


def test_the_file_name_is_ascii_for_a_swedish_name(client, world, make):
    site = make.site(world.home, world.a, name="Välje badplats – norra stranden", kind="beach")
    login(client, "admin@home.example")
    response = client.get(f"/sites/{site.id}/sign.pdf")
    assert response.headers["Content-Disposition"] == "attachment; filename=skylt-valje-badplats-norra-stranden.pdf"


def test_a_municipality_site_sign_names_the_municipality(client, world, make):
    site = make.site(world.home, None, name="Möckelns badplats", kind="beach")
    login(client, "admin@home.example")
    text = pdf_text(client.get(f"/sites/{site.id}/sign.pdf").data)
    assert "(Sköts av Älmhult kommun)" in text and "i samarbete med" not in text


@pytest.mark.parametrize("extension", ["pdf", "png"])
@pytest.mark.parametrize("who", ["samordnare@b.example", "admin@other.example"])
def test_another_associations_or_municipalitys_sign_is_not_found(client, world, who, extension):
    login(client, who)
    assert client.get(f"/sites/{world.site_a.id}/sign.{extension}").status_code == 404


@pytest.mark.parametrize("extension", ["pdf", "png"])
def test_a_missing_sites_sign_is_not_found(client, world, extension):
    login(client, "admin@home.example")
    assert client.get(f"/sites/999999/sign.{extension}").status_code == 404


@pytest.mark.parametrize("extension", ["pdf", "png"])
def test_signing_in_comes_first_for_the_sign_files(client, world, extension):
    response = client.get(f"/sites/{world.site_a.id}/sign.{extension}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize(("page", "who"), [("/admin/sites/{id}", "admin@home.example"),
                                           ("/association/{association}/sites/{id}", "medlem@a.example")])
def test_the_site_pages_link_to_the_sign(client, world, page, who):
    login(client, who)
    html = client.get(page.format(id=world.site_a.id, association=world.a.id)).get_data(as_text=True)
    assert f'href="/sites/{world.site_a.id}/sign.pdf">Skylt med QR-kod</a>' in html


def test_links_into_the_workspace_fall_back_to_their_specified_path_while_it_is_not_there(app):
    from skotsel.web.sites_public import _workspace_url

    with app.test_request_context("/s/1"):
        assert _workspace_url("workspace.not_built_yet", "/workspace/occurrences/5/log", occurrence_id=5) == \
            "/workspace/occurrences/5/log"
