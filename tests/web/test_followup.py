"""Uppföljning pages: inspections and deviations — reviewers and admins write, the association reads its own,
everyone else gets 404 and the anonymous the login page."""
import io
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from skotsel.extensions import db
from skotsel.models import AuditEvent, Deviation, Inspection, InspectionResult, Photo
from skotsel.services.photos import path_of
from tests.conftest import login

TODAY = date(2026, 6, 20)


@pytest.fixture(autouse=True)
def fixed_today(app, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", TODAY)


@pytest.fixture
def playground(world, make):
    site = make.site(world.home, world.a, name="Lekplatsen")
    make.agreed_task(world.agreement_a, site, world.task_type)
    return site


@pytest.fixture
def raise_deviation(world):
    def raise_(status="open", *, agreement=None, site=None, fix_by_on=date(2026, 6, 15), **values):
        agreement = agreement or world.agreement_a
        deviation = Deviation(municipality_id=agreement.municipality_id, source="inspection",
                              agreement_id=agreement.id, site_id=(site or world.site_a).id,
                              description="Sanden behöver krattas", fix_by_on=fix_by_on, status=status,
                              created_at=datetime(2026, 6, 10, 8, tzinfo=timezone.utc), **values)
        db.session.add(deviation)
        db.session.commit()
        return deviation.id
    return raise_


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def form_data(world, playground, **changes) -> dict:
    data = {
        "inspected_on": "2026-06-18", "notes": "Rundvandring",
        f"site_{world.site_a.id}_result": "approved", f"site_{world.site_a.id}_notes": "Fint",
        f"site_{world.site_a.id}_fix_by": "",
        f"site_{playground.id}_result": "remark", f"site_{playground.id}_notes": "Krattas",
        f"site_{playground.id}_fix_by": "",
    }
    data.update({key.format(a=world.site_a.id, p=playground.id): value for key, value in changes.items()})
    return {key: value for key, value in data.items() if value is not None}


# --- recording an inspection --------------------------------------------------------------------------------------


@pytest.mark.parametrize("email", ["granskare@home.example", "admin@home.example"])
def test_staff_record_an_inspection_and_the_remark_becomes_a_deviation(client, world, playground, email):
    login(client, email)
    url = f"/followup/agreements/{world.agreement_a.id}/inspections/new"
    page = client.get(url).get_data(as_text=True)
    assert "Park A" in page and "Lekplatsen" in page and 'value="2026-06-20"' in page
    assert "Godkänd" in page and "Anmärkning" in page and "Underkänd" in page

    response = client.submit(url, form_data(world, playground))
    inspection = db.session.scalar(select(Inspection))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/followup/inspections/{inspection.id}")
    [deviation] = db.session.scalars(select(Deviation)).all()
    assert (deviation.site_id, deviation.fix_by_on, deviation.description) == (playground.id, date(2026, 7, 2),
                                                                                "Krattas")

    shown = client.get(f"/followup/inspections/{inspection.id}").get_data(as_text=True)
    assert "Besiktningen är sparad. 1 avvikelse skickades till föreningen." in shown
    assert "Lekplatsen" in shown and "Anmärkning" in shown and "Öppen" in shown
    assert f"/followup/deviations/{deviation.id}" in shown
    listing = client.get(f"/followup/agreements/{world.agreement_a.id}/inspections").get_data(as_text=True)
    assert "2026-06-18" in listing and "Godkänd: 1" in listing


def test_a_given_fix_by_date_is_used(client, world, playground):
    login(client, "granskare@home.example")
    client.submit(f"/followup/agreements/{world.agreement_a.id}/inspections/new",
                  form_data(world, playground, **{"site_{p}_fix_by": "2026-06-25", "site_{a}_result": "failed"}))
    fix_by = dict(db.session.execute(select(Deviation.site_id, Deviation.fix_by_on)).all())
    assert fix_by == {playground.id: date(2026, 6, 25), world.site_a.id: date(2026, 7, 2)}


@pytest.mark.parametrize(("changes", "message"), [
    ({"inspected_on": ""}, "Ange besiktningsdatum."),
    ({"inspected_on": "18 juni"}, "Ange ett datum, t.ex. 2026-06-15."),
    ({"inspected_on": "2026-06-21"}, "Besiktningsdatum kan inte vara i framtiden."),
    ({"site_{p}_notes": ""}, "Beskriv vad som ska åtgärdas på Lekplatsen."),
    ({"site_{p}_fix_by": "2026-06-18"}, "Åtgärdas senast måste vara efter besiktningsdatum."),
    ({"site_{p}_fix_by": "snart"}, "Ange ett datum, t.ex. 2026-06-15."),
    ({"site_{a}_result": "kanske"}, "Välj godkänd, anmärkning eller underkänd för Park A."),
    ({"site_{a}_result": None, "site_{p}_result": None}, "Ange resultat för minst ett skötselobjekt."),
])
def test_bad_input_re_renders_with_the_reason_and_what_was_typed(client, world, playground, changes, message):
    login(client, "granskare@home.example")
    response = client.submit(f"/followup/agreements/{world.agreement_a.id}/inspections/new",
                             form_data(world, playground, notes="Min anteckning", **changes))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert "Min anteckning" in page
    assert count(Inspection) == count(InspectionResult) == count(Deviation) == count(AuditEvent) == 0


def stored_files(app) -> set[Path]:
    return set(Path(app.config["UPLOAD_FOLDER"]).rglob("*"))


def png_bytes(color="green") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, "PNG")
    return out.getvalue()


def test_photos_per_site_are_kept_with_the_result_and_shown_with_the_deviation(app, client, world, playground):
    login(client, "granskare@home.example")
    url = f"/followup/agreements/{world.agreement_a.id}/inspections/new"
    form = client.get(url).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in form and f'name="site_{playground.id}_photos"' in form
    response = client.submit(url, {
        **form_data(world, playground),
        f"site_{playground.id}_photos": [(io.BytesIO(png_bytes("red")), "sandlådan.png"),
                                         (io.BytesIO(png_bytes("blue")), "gungan.png")],
        f"site_{world.site_a.id}_photos": [(io.BytesIO(png_bytes()), "gräset.png")],
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    photos = db.session.scalars(select(Photo).order_by(Photo.id)).all()
    results = {row.site_id: row.id for row in db.session.scalars(select(InspectionResult))}
    assert {photo.original_name: photo.inspection_result_id for photo in photos} == {
        "gräset.png": results[world.site_a.id], "sandlådan.png": results[playground.id],
        "gungan.png": results[playground.id]}
    assert all(path_of(photo, upload_folder=app.config["UPLOAD_FOLDER"]).exists() for photo in photos)

    inspection = db.session.scalar(select(Inspection))
    shown = client.get(f"/followup/inspections/{inspection.id}").get_data(as_text=True)
    assert all(f"/photos/{photo.id}/thumb" in shown for photo in photos)
    deviation = db.session.scalar(select(Deviation))
    page = client.get(f"/followup/deviations/{deviation.id}").get_data(as_text=True)
    assert "Bilder från besiktningen" in page
    by_name = {photo.original_name: photo.id for photo in photos}
    assert f"/photos/{by_name['sandlådan.png']}/thumb" in page and f"/photos/{by_name['gräset.png']}/thumb" not in page

    # The association sees the photos of its own inspection; another association does not.
    client.submit("/logout", page="/profile")
    login(client, "samordnare@a.example")
    assert client.get(f"/photos/{by_name['gungan.png']}").status_code == 200
    assert "Bilder från besiktningen" in client.get(f"/followup/deviations/{deviation.id}").get_data(as_text=True)
    client.submit("/logout", page="/profile")
    login(client, "samordnare@b.example")
    assert client.get(f"/photos/{by_name['gungan.png']}").status_code == 404


@pytest.mark.parametrize(("changes", "photo", "message"), [
    ({}, (b"<script>alert(1)</script>", "bild.png"), "Lekplatsen: "),
    ({"site_{p}_result": None}, (png_bytes(), "bild.png"), "Ange resultat för Lekplatsen när du bifogar bilder."),
])
def test_a_refused_photo_saves_nothing(app, client, world, playground, changes, photo, message):
    login(client, "granskare@home.example")
    files_before = stored_files(app)
    response = client.submit(f"/followup/agreements/{world.agreement_a.id}/inspections/new", {
        **form_data(world, playground, **changes),
        f"site_{playground.id}_photos": [(io.BytesIO(photo[0]), photo[1])],
    }, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page
    assert count(Inspection) == count(InspectionResult) == count(Deviation) == count(Photo) == 0
    assert stored_files(app) == files_before


# --- deviations ---------------------------------------------------------------------------------------------------


def test_the_deviation_list_shows_status_source_site_association_fix_by_and_days_open(client, world, make,
                                                                                      raise_deviation):
    raise_deviation("open")
    raise_deviation("fixed", agreement=world.agreement_b, site=world.site_b, fix_by_on=date(2026, 6, 30))
    raise_deviation("open", agreement=world.agreement_c, site=world.site_c)
    login(client, "granskare@home.example")
    page = client.get("/followup/deviations").get_data(as_text=True)
    assert "Öppen" in page and "Åtgärdad" in page and "Besiktning" in page
    assert "Park A" in page and "Hallaryds sockenråd" in page and "2026-06-15" in page and "Försenad" in page
    assert "Park B" in page and "Virestads hembygdsförening" in page
    assert "<td>10</td>" in page  # raised 10 June, today 20 June
    assert "Park C" not in page  # another municipality's
    filtered = client.get("/followup/deviations?status=fixed").get_data(as_text=True)
    assert "Park B" in filtered and "Park A" not in filtered
    assert "Park A" in client.get("/followup/deviations?status=nonsense").get_data(as_text=True)


def test_the_deviation_page_shows_the_fix_note_and_photos(client, world, raise_deviation):
    deviation_id = raise_deviation("fixed", fixed_note="Krattat hela ytan",
                                   fixed_at=datetime(2026, 6, 19, 9, tzinfo=timezone.utc),
                                   fixed_by_id=world.coordinator_a.id)
    db.session.add(Photo(municipality_id=world.home.id, deviation_id=deviation_id, storage_key="abc123",
                         content_type="image/jpeg", width=10, height=10, size_bytes=100, original_name="sand.jpg"))
    db.session.commit()
    photo_id = db.session.scalar(select(Photo.id))
    login(client, "granskare@home.example")
    page = client.get(f"/followup/deviations/{deviation_id}").get_data(as_text=True)
    assert "Krattat hela ytan" in page and "Sam A" in page
    assert f"/photos/{photo_id}/thumb" in page
    assert f"/followup/deviations/{deviation_id}/verify" in page
    assert f"/followup/deviations/{deviation_id}/reopen" in page


@pytest.mark.parametrize("email", ["granskare@home.example", "admin@home.example"])
def test_staff_verify_a_fixed_deviation(client, world, raise_deviation, email):
    deviation_id = raise_deviation("fixed")
    login(client, email)
    url = f"/followup/deviations/{deviation_id}"
    response = client.submit(f"{url}/verify", {"note": ""}, page=url, follow_redirects=True)
    assert "Avvikelsen är verifierad och stängd." in response.get_data(as_text=True)
    assert db.session.get(Deviation, deviation_id).status == "verified"
    assert db.session.scalar(select(AuditEvent).filter_by(object_type="Deviation")).action == "update"


def test_staff_reopen_with_a_note(client, world, raise_deviation):
    deviation_id = raise_deviation("fixed")
    login(client, "granskare@home.example")
    url = f"/followup/deviations/{deviation_id}"
    response = client.submit(f"{url}/reopen", {"note": "Grus kvar"}, page=url, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Avvikelsen är återöppnad. Föreningen får åtgärda den igen." in page and "Grus kvar" in page
    deviation = db.session.get(Deviation, deviation_id)
    assert (deviation.status, deviation.reopened_count) == ("reopened", 1)


def test_reopen_without_a_note_re_renders_with_the_reason(client, world, raise_deviation):
    deviation_id = raise_deviation("fixed")
    login(client, "granskare@home.example")
    url = f"/followup/deviations/{deviation_id}"
    response = client.submit(f"{url}/reopen", {"note": "  "}, page=url)
    assert response.status_code == 200
    assert "Skriv varför avvikelsen återöppnas." in response.get_data(as_text=True)
    assert db.session.get(Deviation, deviation_id).status == "fixed"


@pytest.mark.parametrize(("status", "action", "message"), [
    ("open", "verify", "En avvikelse som är öppen kan inte verifieras."),
    ("verified", "reopen", "En avvikelse som är verifierad kan inte återöppnas."),
])
def test_an_illegal_move_is_refused_on_the_page(client, world, raise_deviation, status, action, message):
    deviation_id = raise_deviation(status)
    login(client, "admin@home.example")
    url = f"/followup/deviations/{deviation_id}"
    response = client.submit(f"{url}/{action}", {"note": "Nej"}, page=url)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert db.session.get(Deviation, deviation_id).status == status


# --- who may see and do what --------------------------------------------------------------------------------------


@pytest.mark.parametrize("email", ["samordnare@a.example", "medlem@a.example"])
def test_the_association_reads_its_own_deviation_without_actions(client, world, raise_deviation, email):
    deviation_id = raise_deviation("fixed")
    login(client, email)
    url = f"/followup/deviations/{deviation_id}"
    page = client.get(url).get_data(as_text=True)
    assert "Sanden behöver krattas" in page
    assert "/verify" not in page and "/reopen" not in page
    assert client.submit(f"{url}/verify", {"note": ""}, page=url).status_code == 404
    assert client.submit(f"{url}/reopen", {"note": "x"}, page=url).status_code == 404
    assert db.session.get(Deviation, deviation_id).status == "fixed"


def test_the_association_links_to_the_workspace_to_fix_its_open_deviation(client, world, raise_deviation):
    deviation_id = raise_deviation("open")
    login(client, "samordnare@a.example")
    page = client.get(f"/followup/deviations/{deviation_id}").get_data(as_text=True)
    assert f"/workspace/deviations/{deviation_id}/fix" in page


def test_the_association_reads_its_own_inspections_but_cannot_record_one(app, client, world, playground):
    staff = app.test_client()
    login(staff, "granskare@home.example")
    staff.submit(f"/followup/agreements/{world.agreement_a.id}/inspections/new", form_data(world, playground))
    inspection_id = db.session.scalar(select(Inspection.id))
    login(client, "medlem@a.example")
    assert client.get(f"/followup/inspections/{inspection_id}").status_code == 200
    assert client.get(f"/followup/agreements/{world.agreement_a.id}/inspections").status_code == 200
    assert client.get(f"/followup/agreements/{world.agreement_a.id}/inspections/new").status_code == 404


def test_another_association_gets_404(client, world, playground, raise_deviation):
    deviation_id = raise_deviation("fixed")
    login(client, "samordnare@b.example")
    assert client.get(f"/followup/deviations/{deviation_id}").status_code == 404
    assert client.get(f"/followup/agreements/{world.agreement_a.id}/inspections").status_code == 404
    assert "Park A" not in client.get("/followup/deviations").get_data(as_text=True)


def test_another_municipality_gets_404(client, world, playground, raise_deviation):
    deviation_id = raise_deviation("fixed")
    login(client, "admin@other.example")
    url = f"/followup/deviations/{deviation_id}"
    assert client.get(url).status_code == 404
    assert client.submit(f"{url}/verify", {"note": ""}, page="/followup/deviations").status_code == 404
    assert client.get(f"/followup/agreements/{world.agreement_a.id}/inspections/new").status_code == 404
    assert db.session.get(Deviation, deviation_id).status == "fixed"


def test_someone_without_a_role_gets_404(client, world, make, raise_deviation):
    make.user("ingen@example.org")
    deviation_id = raise_deviation()
    login(client, "ingen@example.org")
    assert client.get("/followup/deviations").status_code == 404
    assert client.get(f"/followup/deviations/{deviation_id}").status_code == 404


@pytest.mark.parametrize("path", ["/followup/deviations", "/followup/deviations/{d}",
                                  "/followup/agreements/{a}/inspections/new", "/followup/agreements/{a}/inspections"])
def test_anonymous_are_sent_to_login(client, world, raise_deviation, path):
    deviation_id = raise_deviation()
    response = client.get(path.format(d=deviation_id, a=world.agreement_a.id))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- a site the municipality keeps itself --------------------------------------------------------------------------


@pytest.fixture
def own_site_report(world, make):
    """A resident's report on a site no association keeps."""
    beach = make.site(world.home, None, name="Kommunens badplats")
    deviation = Deviation(municipality_id=world.home.id, source="report", site_id=beach.id, status="open",
                          description="Trasig stege", created_at=datetime(2026, 6, 10, 8, tzinfo=timezone.utc))
    db.session.add(deviation)
    db.session.commit()
    return deviation.id


@pytest.mark.parametrize("email", ["granskare@home.example", "admin@home.example"])
def test_the_municipality_fixes_and_verifies_a_report_on_a_site_it_keeps(client, world, own_site_report, email):
    login(client, email)
    url = f"/followup/deviations/{own_site_report}"
    page = client.get(url).get_data(as_text=True)
    assert "Inget avtal omfattar skötselobjektet" in page and f"{url}/fix" in page and f"{url}/verify" not in page

    refused = client.submit(f"{url}/fix", {"note": " "}, page=url)
    assert refused.status_code == 200 and "Skriv vad som har gjorts." in refused.get_data(as_text=True)
    assert db.session.get(Deviation, own_site_report).status == "open"

    assert client.submit(f"{url}/fix", {"note": "Ny stege monterad"}, page=url).status_code == 302
    deviation = db.session.get(Deviation, own_site_report)
    assert (deviation.status, deviation.fixed_note) == ("fixed", "Ny stege monterad")
    page = client.get(url).get_data(as_text=True)
    assert f"{url}/verify" in page and f"{url}/fix" not in page
    assert client.submit(f"{url}/verify", {"note": ""}, page=url).status_code == 302
    assert db.session.get(Deviation, own_site_report).status == "verified"


def test_the_municipality_cannot_fix_what_an_association_keeps(client, world, raise_deviation):
    deviation_id = raise_deviation("open")
    login(client, "admin@home.example")
    url = f"/followup/deviations/{deviation_id}"
    assert f"{url}/fix" not in client.get(url).get_data(as_text=True)
    assert client.submit(f"{url}/fix", {"note": "Gjort"}, page=url).status_code == 403
    assert db.session.get(Deviation, deviation_id).status == "open"


def test_associations_do_not_see_a_report_on_a_site_the_municipality_keeps(client, world, own_site_report):
    login(client, "samordnare@a.example")
    url = f"/followup/deviations/{own_site_report}"
    assert client.get(url).status_code == 404
    assert client.submit(f"{url}/fix", {"note": "Gjort"}, page="/followup/deviations").status_code == 404
