"""Serving photos: the people who may see the completion or deviation get the file with its own type, never
sniffed, cached only privately; everyone else finds nothing, and someone not signed in is asked to log in."""
from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image

from skotsel.extensions import db
from skotsel.models import Completion, Deviation, Occurrence
from skotsel.services import photos
from skotsel.services.photos import store_photo
from tests.conftest import login

ON = date(2026, 6, 1)


def encoded(image_format: str, size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "green").save(out, image_format)
    return out.getvalue()


@pytest.fixture
def folder(app, tmp_path, monkeypatch) -> str:
    path = str(tmp_path / "uploads")
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", path)
    return path


def completion_of(world, key: str) -> Completion:
    task, site = getattr(world, f"task_{key}"), getattr(world, f"site_{key}")
    occurrence = Occurrence(municipality_id=task.municipality_id, agreed_task_id=task.id, planned_on=ON,
                            due_on=ON, window_starts_on=ON)
    db.session.add(occurrence)
    db.session.flush()
    completion = Completion(municipality_id=task.municipality_id, occurrence_id=occurrence.id, site_id=site.id,
                            task_type_id=task.task_type_id, completed_on=ON)
    db.session.add(completion)
    db.session.commit()
    return completion


def photo_of(folder: str, *, image_format="JPEG", filename="Gräsmattan klippt.jpg", **owner):
    photo = store_photo(file=io.BytesIO(encoded(image_format)), filename=filename, upload_folder=folder,
                        max_bytes=1024 * 1024, max_pixels=10**6, uploaded_by_id=None, **owner)
    db.session.commit()
    return photo


@pytest.fixture
def photo_a(world, folder):
    return photo_of(folder, completion=completion_of(world, "a"))


def test_a_member_of_the_association_sees_the_photo_and_its_thumbnail(client, world, folder, photo_a):
    login(client, "medlem@a.example")
    response = client.get(f"/photos/{photo_a.id}")
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    with open(photos.path_of(photo_a, upload_folder=folder), "rb") as fh:
        assert response.data == fh.read()
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, max-age=3600"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox; frame-ancestors 'none'"
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert "filename*=UTF-8''Gr%C3%A4smattan%20klippt.jpg" in response.headers["Content-Disposition"]

    thumb = client.get(f"/photos/{photo_a.id}/thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(thumb.data)).format == "JPEG"
    assert thumb.headers["X-Content-Type-Options"] == "nosniff"
    assert thumb.headers["Cache-Control"] == "private, max-age=3600"
    assert thumb.headers["Content-Disposition"].startswith("inline;")


@pytest.mark.parametrize(("image_format", "content_type"), [("PNG", "image/png"), ("WEBP", "image/webp")])
def test_a_photo_is_served_with_the_type_it_was_stored_as(client, world, folder, image_format, content_type):
    photo = photo_of(folder, image_format=image_format, filename="bild.jpg",
                     completion=completion_of(world, "a"))
    login(client, "samordnare@a.example")
    response = client.get(f"/photos/{photo.id}")
    assert response.status_code == 200 and response.mimetype == content_type
    assert Image.open(io.BytesIO(response.data)).format == image_format
    extension = photos.EXTENSIONS[content_type]
    assert f'filename=bild.{extension}' in response.headers["Content-Disposition"]
    assert client.get(f"/photos/{photo.id}/thumb").mimetype == "image/jpeg"


def test_a_hostile_uploaded_name_gives_a_harmless_download_name(client, world, folder):
    photo = photo_of(folder, filename='../../"evil".php\r\nSet-Cookie: x=1', completion=completion_of(world, "a"))
    login(client, "medlem@a.example")
    disposition = client.get(f"/photos/{photo.id}").headers["Content-Disposition"]
    assert disposition.startswith("inline;")
    assert "\r" not in disposition and "\n" not in disposition and '"evil"' not in disposition
    assert disposition.endswith(".jpg") and "/" not in disposition and ".php" not in disposition


@pytest.mark.parametrize("email", ["admin@home.example", "granskare@home.example", "samordnare@a.example",
                                   "medlem@a.example"])
def test_staff_of_the_municipality_and_the_association_may_see_it(client, world, photo_a, email):
    login(client, email)
    assert client.get(f"/photos/{photo_a.id}").status_code == 200
    assert client.get(f"/photos/{photo_a.id}/thumb").status_code == 200


@pytest.mark.parametrize("email", ["samordnare@b.example", "admin@other.example"])
@pytest.mark.parametrize("suffix", ["", "/thumb"])
def test_another_association_or_municipality_finds_nothing(client, world, photo_a, email, suffix):
    login(client, email)
    response = client.get(f"/photos/{photo_a.id}{suffix}")
    assert response.status_code == 404
    assert not response.mimetype.startswith("image/")


@pytest.mark.parametrize("suffix", ["", "/thumb"])
def test_someone_not_signed_in_is_sent_to_log_in(client, world, photo_a, suffix):
    response = client.get(f"/photos/{photo_a.id}{suffix}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("url", ["/photos/999999", "/photos/999999/thumb", "/photos/99999999999"])
def test_a_photo_that_does_not_exist_is_not_found(client, world, url):
    login(client, "admin@home.example")
    assert client.get(url).status_code == 404


def test_a_photo_whose_file_is_missing_is_not_found(client, world, folder, photo_a):
    photos.path_of(photo_a, upload_folder=folder).unlink()
    login(client, "admin@home.example")
    assert client.get(f"/photos/{photo_a.id}").status_code == 404
    assert client.get(f"/photos/{photo_a.id}/thumb").status_code == 200


def test_a_deviation_photo_is_seen_by_the_association_it_is_assigned_to(app, client, world, folder):
    deviation = Deviation(municipality_id=world.home.id, source="inspection", agreement_id=world.agreement_a.id,
                          site_id=world.site_a.id, description="Trasig bänk")
    db.session.add(deviation)
    db.session.commit()
    photo = photo_of(folder, deviation=deviation, logged_on=ON)
    login(client, "medlem@a.example")
    assert client.get(f"/photos/{photo.id}").status_code == 200
    other = app.test_client()
    login(other, "samordnare@b.example")
    assert other.get(f"/photos/{photo.id}").status_code == 404
