"""The felanmälan form on a site's public page: anyone reports without logging in; bad input is explained and kept;
flooding, oversized requests and script in the text do no harm; nothing about the reporter is shown publicly."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest
from PIL import Image
from sqlalchemy import func, select

from skotsel.extensions import db
from skotsel.models import Deviation, Photo
from tests.conftest import login

TODAY = date(2026, 6, 10)
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(autouse=True)
def fixed_today(app, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", TODAY)


@pytest.fixture
def folder(app, tmp_path, monkeypatch) -> str:
    path = str(tmp_path / "uploads")
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", path)
    return path


def page_of(site) -> str:
    return f"/s/{site.id}"


def send(client, site, **values):
    data = {"category": "broken", "text": "Gungan är trasig, kedjan har gått av", "email": "", "website": ""}
    data.update(values)
    return client.submit(f"{page_of(site)}/report", data, page=page_of(site),
                         content_type="multipart/form-data")


def deviations() -> list[Deviation]:
    db.session.expire_all()
    return db.session.scalars(select(Deviation).order_by(Deviation.id)).all()


def test_the_public_page_has_the_report_form(client, world):
    page = client.get(page_of(world.site_a)).get_data(as_text=True)
    assert f'action="/s/{world.site_a.id}/report#felanmalan"' in page
    assert 'enctype="multipart/form-data"' in page and "novalidate" in page and 'name="csrf_token"' in page
    for label in ("Skräp eller nedskräpning", "Trasig utrustning", "Livräddningsutrustning saknas", "Toalett",
                  "Brygga eller badstege", "Klotter eller skadegörelse", "Annat"):
        assert label in page, label
    assert 'value="lifesaving"' in page


def test_anyone_reports_a_problem_without_logging_in(client, world):
    client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    response = send(client, world.site_a, email="boende@example.se")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/s/{world.site_a.id}#felanmalan")
    [deviation] = deviations()
    assert (deviation.source, deviation.status, deviation.category) == ("report", "open", "broken")
    assert deviation.site_id == world.site_a.id and deviation.agreement_id == world.agreement_a.id
    assert deviation.fix_by_on == date(2026, 6, 17) and deviation.reporter_email == "boende@example.se"
    assert deviation.reporter_ip_hash and "203.0.113.9" not in deviation.reporter_ip_hash

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Tack! Din felanmälan är mottagen." in page and f"F-{deviation.id}" in page
    for public in (page_of(world.site_a), page_of(world.site_b), "/"):
        shown = client.get(public).get_data(as_text=True)
        for personal in ("boende@example.se", "203.0.113.9", deviation.reporter_ip_hash, "kedjan"):
            assert personal not in shown, (public, personal)


def test_a_report_on_a_site_the_municipality_keeps_has_no_agreement(client, world, make):
    site = make.site(world.home, None, name="Möckelns badplats", kind="beach")
    assert send(client, site, category="lifesaving", text="Livbojen saknas").status_code == 302
    [deviation] = deviations()
    assert deviation.agreement_id is None and deviation.category == "lifesaving"


@pytest.mark.parametrize(("values", "message"), [
    ({"text": ""}, "Beskriv vad som behöver åtgärdas."),
    ({"text": "Oj"}, "Beskriv problemet med minst 5 tecken."),
    ({"text": "å" * 2001}, "Beskrivningen får vara högst 2000 tecken (nu 2001)."),
    ({"email": "boende@"}, "Ange en giltig e-postadress"),
    ({"category": ""}, "Välj vad felanmälan gäller."),
    ({"category": "fire"}, "Välj vad felanmälan gäller."),
])
def test_bad_input_is_explained_and_kept(client, world, values, message):
    typed = {"text": "Papperskorgen är full", "email": "kvar@example.se", **values}
    response = send(client, world.site_a, **typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page and 'aria-invalid="true"' in page
    assert typed["text"] in page  # the textarea keeps what was typed
    assert f'value="{typed["email"]}"' in page
    assert deviations() == []


def test_a_bad_photo_is_explained_and_stores_nothing(client, world, folder):
    response = send(client, world.site_a, photo=(io.BytesIO(b"GIF89a not really"), "bild.jpg"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'id="photo-error">[^<]+', page)
    assert "Gungan är trasig" in page
    assert deviations() == [] and db.session.scalar(select(func.count()).select_from(Photo)) == 0


def test_a_photo_is_kept_with_the_report(client, world, folder):
    image = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(image, "JPEG")
    image.seek(0)
    assert send(client, world.site_a, photo=(image, "gungan.jpg")).status_code == 302
    [deviation] = deviations()
    assert [photo.deviation_id for photo in db.session.scalars(select(Photo))] == [deviation.id]


def test_the_sixth_report_within_an_hour_from_one_address_is_refused(client, app, world):
    client.environ_base["REMOTE_ADDR"] = "203.0.113.5"
    for _ in range(5):
        assert send(client, world.site_a).status_code == 302
    response = send(client, world.site_a, text="En sjätte anmälan")
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "Det har kommit många felanmälningar från din anslutning" in page
    assert "En sjätte anmälan" in page
    assert len(deviations()) == 5

    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    assert send(other, world.site_a).status_code == 302
    assert len(deviations()) == 6


def test_an_oversized_request_gets_a_swedish_page_and_stores_nothing(client, app, world, monkeypatch):
    token = client.csrf_token(page_of(world.site_a))
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2048)
    response = client.post(f"{page_of(world.site_a)}/report", data={
        "csrf_token": token, "category": "other", "text": "x" * 4000, "email": "", "website": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "Det du skickade är för stort. Inget sparades." in page
    assert deviations() == []


def test_script_in_the_text_is_shown_as_text(client, app, world):
    assert send(client, world.site_a, text=SCRIPT).status_code == 302
    [deviation] = deviations()
    assert deviation.description == SCRIPT
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    # The public page says only that the report was received.
    public = client.get(page_of(world.site_a)).get_data(as_text=True)
    assert SCRIPT not in public and "alert(1)" not in public
    # The municipality's deviation list and page, and the association's workspace, show it escaped.
    login(client, "admin@home.example")
    for url in ("/followup/deviations", f"/followup/deviations/{deviation.id}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert SCRIPT not in response.get_data(as_text=True), url
    assert escaped in client.get(f"/followup/deviations/{deviation.id}").get_data(as_text=True)
    member = app.test_client()
    login(member, "medlem@a.example")
    workspace = member.get("/workspace/").get_data(as_text=True)
    assert escaped in workspace and SCRIPT not in workspace


def test_the_hidden_field_filled_in_by_a_bot_stores_nothing(client, world):
    response = send(client, world.site_a, website="http://spam.example")
    assert response.status_code == 302
    assert deviations() == []


def test_a_report_without_the_csrf_token_is_refused(client, world):
    response = client.post(f"{page_of(world.site_a)}/report", data={"category": "other", "text": "Utan token"})
    assert response.status_code == 400
    assert deviations() == []


def test_a_report_on_a_site_that_does_not_exist_is_not_found(client, world):
    token = client.csrf_token(page_of(world.site_a))
    response = client.post("/s/999999/report", data={"csrf_token": token, "category": "other", "text": "Finns inte"})
    assert response.status_code == 404
    assert deviations() == []


def test_the_report_page_takes_only_post(client, world):
    assert client.get(f"{page_of(world.site_a)}/report").status_code == 405
