"""Photos: which uploads are kept, what is kept of them (pixels, capture time and place — no metadata), the warnings
for a photo far from the site or the logged date, and files that exist exactly when their row does.

Every file is made here with Pillow (or a few lines of struct for headers Pillow would refuse to write)."""
from __future__ import annotations

import io
import os
import re
import struct
import time
import zipfile
import zlib
from datetime import date, datetime, timezone

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage

from skotsel.domain.errors import ValidationError
from skotsel.extensions import db
from skotsel.models import Completion, Deviation, Occurrence, Photo
from skotsel.services import photos, transaction
from skotsel.services.photos import delete_photo_files, display_name, store_photo

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
LOGGED_ON = date(2026, 6, 1)
# The world's sites lie at 56.55 N, 14.13 E; 0.00315° of latitude is about 350 m.
SITE_LAT, SITE_LON = 56.55, 14.13
NOT_AN_IMAGE = "Filen är ingen bild i JPEG, PNG eller WebP."
POLYGLOT = "Filen innehåller något annat än bilden"
TOO_MANY_PIXELS = "Bilden har för många bildpunkter."
DAMAGED = "Bilden är skadad eller ofullständig. Ladda upp den igen."


# Files

def encoded(image: Image.Image, image_format: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, image_format, **options)
    return out.getvalue()


def picture(size=(64, 48), mode="RGB", color="green") -> Image.Image:
    return Image.new(mode, size, color)


def dms(value: float) -> tuple[float, float, float]:
    """Degrees, minutes and seconds, as a camera writes a position."""
    seconds = round(value * 3600, 2)
    return float(seconds // 3600), float(seconds % 3600 // 60), round(seconds % 60, 2)


def exif_data(*, taken: str | None = "2026:06:01 14:30:00", offset: str | None = None,
              lat: float | None = None, lon: float | None = None, orientation: int | None = None,
              gps: dict | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Hemlig kameratillverkare"  # Make: must not survive into the stored file
    if orientation:
        exif[0x0112] = orientation
    details = exif.get_ifd(0x8769)
    if taken:
        details[0x9003] = taken
    if offset:
        details[0x9011] = offset
    position = exif.get_ifd(0x8825)
    if lat is not None:
        position.update({1: "N" if lat >= 0 else "S", 2: dms(abs(lat)), 3: "E" if lon >= 0 else "W", 4: dms(abs(lon))})
    position.update(gps or {})
    return exif


def jpeg(size=(64, 48), **exif_options) -> bytes:
    return encoded(picture(size), "JPEG", exif=exif_data(**exif_options), quality=90)


def png(size=(64, 48), mode="RGB", color="green") -> bytes:
    return encoded(picture(size, mode, color), "PNG")


def webp(size=(64, 48)) -> bytes:
    return encoded(picture(size), "WEBP")


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_declaring(width: int, height: int, idat: bytes) -> bytes:
    """A greyscale PNG whose header says width × height, with the given compressed pixel data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("evil.php", "<?php system($_GET['c']); ?>")
    return out.getvalue()


def mpo() -> bytes:
    return encoded(picture(color="red"), "MPO", save_all=True, append_images=[picture(color="blue")])


# Rows and folders

@pytest.fixture
def folder(tmp_path) -> str:
    return str(tmp_path / "uploads")


@pytest.fixture
def completion(world) -> Completion:
    occurrence = Occurrence(municipality_id=world.home.id, agreed_task_id=world.task_a.id, planned_on=LOGGED_ON,
                            due_on=LOGGED_ON, window_starts_on=LOGGED_ON)
    db.session.add(occurrence)
    db.session.flush()
    completion = Completion(municipality_id=world.home.id, occurrence_id=occurrence.id, site_id=world.site_a.id,
                            task_type_id=world.task_type.id, completed_on=LOGGED_ON, user_id=world.member_a.id)
    db.session.add(completion)
    db.session.commit()
    return completion


def store(data: bytes, folder: str, completion=None, *, filename="IMG_1234.jpg", max_bytes=MAX_BYTES,
          max_pixels=MAX_PIXELS, **options) -> Photo:
    if completion is not None and "deviation" not in options:
        options["completion"] = completion
    options.setdefault("uploaded_by_id", None)
    return store_photo(file=io.BytesIO(data), filename=filename, upload_folder=folder, max_bytes=max_bytes,
                       max_pixels=max_pixels, **options)


def files_in(folder: str) -> list[str]:
    """Everything in the photos folder, temporary files included."""
    path = os.path.join(folder, photos.FOLDER)
    return sorted(os.listdir(path)) if os.path.isdir(path) else []


def stored(photo: Photo, folder: str) -> bytes:
    with open(photos.path_of(photo, upload_folder=folder), "rb") as fh:
        return fh.read()


def photo_count() -> int:
    return db.session.scalar(db.select(db.func.count(Photo.id)))


def refused(data: bytes, folder: str, completion, **options) -> str:
    """Store `data`, expect a refusal, check that nothing at all was kept, and return the message."""
    with pytest.raises(ValidationError) as caught:
        store(data, folder, completion, **options)
    db.session.rollback()
    assert files_in(folder) == []
    assert photo_count() == 0
    assert caught.value.field == "photos"
    return caught.value.message_sv


# What is kept of a photo

def test_a_jpeg_is_kept_re_encoded_without_exif_with_its_capture_time_and_place(folder, completion, world):
    upload = jpeg(lat=SITE_LAT, lon=SITE_LON, offset="+02:00")
    photo = store(upload, folder, completion, uploaded_by_id=world.member_a.id)
    db.session.commit()

    photo = db.session.get(Photo, photo.id)
    assert photo.completion_id == completion.id and photo.deviation_id is None
    assert photo.municipality_id == world.home.id and photo.uploaded_by_id == world.member_a.id
    assert photo.content_type == "image/jpeg" and (photo.width, photo.height) == (64, 48)
    assert photo.taken_at == datetime(2026, 6, 1, 12, 30, tzinfo=timezone.utc)
    assert photo.lat == pytest.approx(SITE_LAT, abs=1e-6) and photo.lon == pytest.approx(SITE_LON, abs=1e-6)
    assert photo.warning == "" and photo.original_name == "IMG_1234.jpg"
    assert re.fullmatch(r"[0-9a-f]{32}", photo.storage_key)
    assert files_in(folder) == sorted([f"{photo.storage_key}.jpg", f"{photo.storage_key}.thumb.jpg"])

    data = stored(photo, folder)
    assert photo.size_bytes == len(data) and data != upload
    assert b"Hemlig" not in data and b"Exif" not in data
    kept = Image.open(io.BytesIO(data))
    assert kept.format == "JPEG" and kept.size == (64, 48)
    assert not kept.getexif() and "exif" not in kept.info and "icc_profile" not in kept.info
    assert "xmp" not in kept.info


def test_the_declared_type_and_name_count_for_nothing_only_the_content(folder, completion):
    upload = FileStorage(io.BytesIO(png()), filename="bild.jpg", content_type="image/jpeg")
    photo = store_photo(file=upload, filename=upload.filename, upload_folder=folder, max_bytes=MAX_BYTES,
                        max_pixels=MAX_PIXELS, uploaded_by_id=None, completion=completion)
    assert photo.content_type == "image/png" and files_in(folder)[0].endswith(".png")
    text = FileStorage(io.BytesIO(b"hej"), filename="bild.png", content_type="image/png")
    with pytest.raises(ValidationError, match=NOT_AN_IMAGE):
        store_photo(file=text, filename=text.filename, upload_folder=folder, max_bytes=MAX_BYTES,
                    max_pixels=MAX_PIXELS, uploaded_by_id=None, completion=completion)


def test_icc_profile_and_xmp_are_removed_as_well(folder, completion):
    profile = b"\x00" * 128 + b"acsp" + b"ICC-hemlig" * 10  # what a reader takes as an ICC profile; never applied
    upload = encoded(picture(), "JPEG", icc_profile=profile, xmp=b"<x:xmpmeta>hemlig plats</x:xmpmeta>")
    assert "icc_profile" in Image.open(io.BytesIO(upload)).info
    photo = store(upload, folder, completion)
    kept = Image.open(io.BytesIO(stored(photo, folder)))
    assert "icc_profile" not in kept.info and "xmp" not in kept.info
    assert b"hemlig" not in stored(photo, folder)


def test_the_photo_is_turned_the_way_the_camera_held_it(folder, completion):
    photo = store(jpeg(size=(64, 48), orientation=6), folder, completion)
    assert (photo.width, photo.height) == (48, 64)
    assert Image.open(io.BytesIO(stored(photo, folder))).size == (48, 64)


def test_without_an_offset_the_capture_time_is_swedish_local_time(folder, completion):
    summer = store(jpeg(taken="2026:06:01 14:30:00"), folder, completion)
    assert summer.taken_at == datetime(2026, 6, 1, 12, 30, tzinfo=timezone.utc)


def test_a_png_with_transparency_stays_a_png_with_transparency(folder, completion):
    photo = store(png(mode="RGBA", color=(0, 128, 0, 100)), folder, completion, filename="skylt.png")
    kept = Image.open(io.BytesIO(stored(photo, folder)))
    assert photo.content_type == "image/png" and files_in(folder)[0].endswith(".png")
    assert kept.format == "PNG" and kept.mode == "RGBA" and kept.getpixel((0, 0))[3] == 100
    thumb = Image.open(photos.thumbnail_path_of(photo, upload_folder=folder))
    assert thumb.format == "JPEG" and thumb.mode == "RGB"


def test_a_webp_stays_a_webp(folder, completion):
    photo = store(webp(), folder, completion, filename="brygga.webp")
    assert photo.content_type == "image/webp"
    assert Image.open(io.BytesIO(stored(photo, folder))).format == "WEBP"


def test_a_large_photo_is_scaled_down_and_gets_a_small_thumbnail(folder, completion):
    photo = store(png(size=(3000, 600)), folder, completion)
    assert (photo.width, photo.height) == (2560, 512)
    thumb = Image.open(photos.thumbnail_path_of(photo, upload_folder=folder))
    assert thumb.size == (320, 64)


def test_greyscale_and_palette_images_are_kept_in_colour(folder, completion):
    grey = store(png(mode="L", color=128), folder, completion)
    assert Image.open(io.BytesIO(stored(grey, folder))).mode == "RGB"
    sixteen_bit = store(encoded(Image.new("I;16", (8, 8), 0x8000), "PNG"), folder, completion)
    assert Image.open(io.BytesIO(stored(sixteen_bit, folder))).getpixel((0, 0)) == (128, 128, 128)


def test_a_photo_from_a_camera_that_appends_more_images_or_a_video_is_kept_without_them(folder, completion):
    multi = store(mpo(), folder, completion)
    assert multi.content_type == "image/jpeg"
    assert Image.open(io.BytesIO(stored(multi, folder))).getpixel((0, 0))[0] > 200  # the first (red) image
    motion_video = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00\x01" * 500
    motion = store(jpeg() + motion_video, folder, completion)
    assert b"ftypmp42" not in stored(motion, folder)


@pytest.mark.parametrize(("filename", "shown"), [
    ("../../evil.php", "evil.php"),
    ("..\\..\\windows\\evil.jpg", "evil.jpg"),
    ("a\x00b.jpg", "ab.jpg"),
    ("<script>alert(1)</script>.png", "script.png"),  # a browser would take "/" for a folder too
    ("<img src=x onerror=alert(1)>.jpg", "img srcx onerroralert(1).jpg"),
    ("/etc/passwd", "passwd"),
    ("\u202egpj.exe", "gpj.exe"),  # a right-to-left override would show it as "exe.jpg"
    ("Bild fra\u030an brygga.jpg", "Bild från brygga.jpg"),
    ("..", "bild"),
    ("", "bild"),
    (None, "bild"),
])
def test_hostile_file_names_are_cleaned_for_display(filename, shown):
    assert display_name(filename) == shown


def test_a_very_long_name_is_cut_keeping_its_extension():
    name = display_name("å" * 500 + ".jpeg")
    assert len(name) == 200 and name.endswith("å.jpeg")


@pytest.mark.parametrize("filename", ["../../evil.php", "a\x00b.jpg", "<script>.png", "../../../tmp/x.jpg"])
def test_the_uploaded_name_never_reaches_the_file_system(folder, completion, filename, tmp_path):
    photo = store(jpeg(), folder, completion, filename=filename)
    assert files_in(folder) == sorted([f"{photo.storage_key}.jpg", f"{photo.storage_key}.thumb.jpg"])
    assert sorted(os.listdir(tmp_path)) == ["uploads"]
    assert "/" not in photo.original_name and "\x00" not in photo.original_name and "<" not in photo.original_name


# What is refused, with nothing stored

def test_a_file_over_the_size_limit_is_refused(folder, completion):
    noise = encoded(Image.effect_noise((100, 100), 60), "PNG")
    assert len(noise) > 1024
    assert refused(noise, folder, completion, max_bytes=1024) == "Bilden är större än 1 kB."
    assert photos.too_large(MAX_BYTES).message_sv == "Bilden är större än 10 MB."


def test_only_one_byte_more_than_the_limit_is_read():
    class Stream(io.BytesIO):
        asked: list[int] = []

        def read(self, size=-1):
            self.asked.append(size)
            return super().read(size)

    stream = Stream(b"x" * 5000)
    with pytest.raises(ValidationError):
        photos.read_upload(stream, max_bytes=100)
    assert stream.asked == [101]


@pytest.mark.parametrize(("data", "filename"), [
    (b"Det h\xc3\xa4r \xc3\xa4r en text, ingen bild.\n", "photo.jpg"),
    (b"<html><script>alert(1)</script></html>", "photo.png"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "photo.webp"),
    (encoded(picture(), "GIF"), "photo.jpg"),
    (encoded(picture(), "BMP"), "photo.png"),
    (encoded(picture(), "TIFF"), "photo.jpg"),
    (b"%PDF-1.4\n%%EOF\n", "photo.jpg"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 40, "photo.jpg"),  # the start of a JPEG and nothing else
])
def test_a_file_that_is_not_a_jpeg_png_or_webp_is_refused_whatever_its_name(folder, completion, data, filename):
    assert refused(data, folder, completion, filename=filename) == NOT_AN_IMAGE


@pytest.mark.parametrize(("data", "message"), [
    (b"", "Filen är tom. Välj en bild att ladda upp."),
    (None, "Välj en bild att ladda upp."),
])
def test_an_empty_or_missing_file_is_refused(folder, completion, data, message):
    with pytest.raises(ValidationError) as caught:
        store_photo(file=io.BytesIO(data) if data is not None else None, filename="x.jpg", upload_folder=folder,
                    max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS, uploaded_by_id=None, completion=completion)
    assert caught.value.message_sv == message and files_in(folder) == []


@pytest.mark.parametrize("data", [
    pytest.param(png() + b"<script>alert(document.cookie)</script>", id="png+script"),
    pytest.param(png() + zip_bytes(), id="png+zip"),
    pytest.param(jpeg() + zip_bytes(), id="jpeg+zip"),
    pytest.param(jpeg() + b"<html><body>hej</body></html>", id="jpeg+html"),
    pytest.param(webp() + zip_bytes(), id="webp+zip"),
    pytest.param(webp() + b"#!/bin/sh\nrm -rf /\n", id="webp+script"),
    pytest.param(png() + b"just some bytes after the end", id="png+data"),
    pytest.param(encoded(picture(), "JPEG", comment=b"<html><script>alert(1)</script>"), id="jpeg-html-in-head"),
])
def test_a_polyglot_is_refused(folder, completion, data):
    assert refused(data, folder, completion).startswith(POLYGLOT)


def test_a_gifar_is_refused_as_no_image(folder, completion):
    assert refused(encoded(picture(), "GIF") + zip_bytes(), folder, completion) == NOT_AN_IMAGE


def test_padding_after_the_image_is_no_polyglot(folder, completion):
    store(jpeg() + b"\x00" * 64, folder, completion)
    store(png() + b"\x00" * 16, folder, completion)
    assert photo_count() == 2


def test_a_decompression_bomb_is_refused_from_its_header_before_it_is_decoded(folder, completion):
    # 30000 × 30000 = 900 million pixels declared, a few bytes of data.
    bomb = png_declaring(30000, 30000, zlib.compress(b"\x00" * 30001 * 4))
    started = time.perf_counter()
    assert refused(bomb, folder, completion) == TOO_MANY_PIXELS
    assert time.perf_counter() - started < 1


def test_a_real_decompression_bomb_is_refused_fast(folder, completion):
    """8000 × 8000 zero pixels (64 MB decoded, over the 40 million allowed) compress to about 64 kB."""
    compressor, row = zlib.compressobj(9), b"\x00" * 8001
    idat = b"".join(compressor.compress(row * 1000) for _ in range(8)) + compressor.flush()
    bomb = png_declaring(8000, 8000, idat)
    assert len(bomb) < 100_000
    started = time.perf_counter()
    assert refused(bomb, folder, completion) == TOO_MANY_PIXELS
    assert time.perf_counter() - started < 1


def test_the_pixel_limit_is_the_configured_one(folder, completion):
    assert refused(png(size=(100, 100)), folder, completion, max_pixels=9999) == TOO_MANY_PIXELS
    store(png(size=(100, 100)), folder, completion, max_pixels=10000)


def test_pillows_own_bomb_warning_is_a_refusal_too(folder, completion, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    assert refused(png(size=(40, 40)), folder, completion, max_pixels=10**9) == TOO_MANY_PIXELS


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_a_truncated_jpeg_is_refused(folder, completion, cut):
    whole = encoded(Image.effect_noise((400, 300), 60).convert("RGB"), "JPEG")
    assert refused(whole[:int(len(whole) * cut)], folder, completion) == DAMAGED


def test_a_png_with_broken_pixel_data_is_refused(folder, completion):
    assert refused(png_declaring(100, 100, b"not zlib at all"), folder, completion) == DAMAGED


# Warnings

def test_a_photo_taken_far_from_a_point_site_is_kept_with_a_warning(folder, completion):
    photo = store(jpeg(lat=SITE_LAT + 0.00315, lon=SITE_LON), folder, completion)
    assert photo.warning == "Bilden är tagen cirka 350 m från skötselobjektet."
    assert photo_count() == 1


def test_a_photo_taken_near_a_point_site_has_no_warning(folder, completion):
    assert store(jpeg(lat=SITE_LAT + 0.0015, lon=SITE_LON), folder, completion).warning == ""  # about 170 m


def test_a_photo_taken_kilometres_away_says_so_in_kilometres(folder, completion):
    assert store(jpeg(lat=SITE_LAT + 0.0108, lon=SITE_LON), folder, completion).warning == \
        "Bilden är tagen cirka 1,2 km från skötselobjektet."


@pytest.fixture
def polygon_site(world):
    """Park A drawn as an area of about 600 × 550 m around its point."""
    site = world.site_a
    site.geometry = {"type": "Polygon", "coordinates": [[
        [14.125, 56.5475], [14.135, 56.5475], [14.135, 56.5525], [14.125, 56.5525], [14.125, 56.5475]]]}
    db.session.commit()
    return site


def test_a_photo_inside_a_polygon_site_has_no_warning_even_far_from_its_centre(folder, completion, polygon_site):
    photo = store(jpeg(lat=56.5520, lon=14.1340), folder, completion)  # a corner, ~300 m from the centre
    assert photo.warning == ""


def test_a_photo_outside_a_polygon_site_is_measured_from_its_edge(folder, completion, polygon_site):
    photo = store(jpeg(lat=56.5525 + 0.0045, lon=14.130), folder, completion)  # 0.0045° ≈ 500 m north of it
    assert photo.warning == "Bilden är tagen cirka 500 m från skötselobjektet."


def test_a_photo_taken_three_days_from_the_logged_date_is_kept_with_a_warning(folder, completion):
    photo = store(jpeg(taken="2026:05:29 18:00:00"), folder, completion)
    assert photo.warning == "Bilden är tagen 2026-05-29, 3 dagar från det rapporterade datumet."


def test_two_days_from_the_logged_date_is_no_warning(folder, completion):
    assert store(jpeg(taken="2026:06:03 23:30:00"), folder, completion).warning == ""


def test_both_warnings_are_kept_together(folder, completion):
    photo = store(jpeg(taken="2026:06:10 09:00:00", lat=SITE_LAT + 0.00315, lon=SITE_LON), folder, completion)
    assert photo.warning == ("Bilden är tagen cirka 350 m från skötselobjektet. "
                             "Bilden är tagen 2026-06-10, 9 dagar från det rapporterade datumet.")


def test_a_date_given_by_the_caller_is_the_one_compared(folder, completion):
    photo = store(jpeg(taken="2026:06:10 09:00:00"), folder, completion, logged_on=date(2026, 6, 9))
    assert photo.warning == ""


@pytest.mark.parametrize("exif", [
    pytest.param({"taken": "0000:00:00 00:00:00"}, id="unset-clock"),
    pytest.param({"taken": "    :  :     :  :  "}, id="blank-time"),
    pytest.param({"taken": "2026:13:45 99:99:99"}, id="impossible-time"),
    pytest.param({"taken": None, "gps": {1: "N", 2: (0.0, 0.0, 0.0), 3: "E", 4: (0.0, 0.0, 0.0)}}, id="zero-zero"),
    pytest.param({"taken": None, "gps": {2: (56.0, 33.0, 0.0), 4: (14.0, 7.0, 48.0)}}, id="no-hemisphere"),
    pytest.param({"taken": None, "gps": {1: "N", 2: (56.0, 75.0, 0.0), 3: "E", 4: (14.0, 7.0, 0.0)}}, id="75-min"),
    pytest.param({"taken": None, "gps": {1: "N", 2: (95.0, 0.0, 0.0), 3: "E", 4: (14.0, 7.0, 0.0)}}, id="95-deg"),
    pytest.param({"taken": None, "lat": SITE_LAT + 1, "lon": SITE_LON, "gps": {9: "V"}}, id="no-fix"),
])
def test_nonsense_in_the_exif_data_is_ignored_not_refused(folder, completion, exif):
    photo = store(jpeg(**exif), folder, completion)
    assert (photo.taken_at, photo.lat, photo.lon, photo.warning) == (None, None, None, "")


def test_a_photo_of_a_fixed_deviation_is_compared_with_its_site_and_the_date_given(folder, world):
    deviation = Deviation(municipality_id=world.home.id, source="inspection", agreement_id=world.agreement_a.id,
                          site_id=world.site_a.id, description="Trasig bänk")
    db.session.add(deviation)
    db.session.commit()
    photo = store(jpeg(taken="2026:06:01 10:00:00", lat=SITE_LAT + 0.00315, lon=SITE_LON), folder,
                  deviation=deviation, logged_on=date(2026, 6, 20))
    db.session.commit()
    assert db.session.get(Photo, photo.id).deviation_id == deviation.id
    assert photo.warning == ("Bilden är tagen cirka 350 m från skötselobjektet. "
                             "Bilden är tagen 2026-06-01, 19 dagar från det rapporterade datumet.")


# Files exist exactly when the row does

def test_a_photo_belongs_to_exactly_one_completion_or_deviation(folder, completion):
    with pytest.raises(ValueError):
        store_photo(file=io.BytesIO(jpeg()), filename="x.jpg", upload_folder=folder, max_bytes=MAX_BYTES,
                    max_pixels=MAX_PIXELS, uploaded_by_id=None)
    assert files_in(folder) == []


def test_when_the_callers_transaction_fails_the_files_go_too(folder, completion):
    with pytest.raises(ValidationError):
        with transaction():
            store(jpeg(), folder, completion)
            assert len(files_in(folder)) == 2
            raise ValidationError("Något annat i samma utförande var fel.")
    assert files_in(folder) == [] and photo_count() == 0


def test_when_the_caller_never_commits_the_files_go_when_the_session_closes(folder, completion):
    db.session.info["transaction_depth"] = 1  # as inside a caller's `with transaction():`
    try:
        store(jpeg(), folder, completion)
    finally:
        db.session.info["transaction_depth"] = 0
    assert len(files_in(folder)) == 2
    db.session.close()
    assert files_in(folder) == [] and photo_count() == 0


def test_when_the_row_cannot_be_written_the_files_are_removed(folder, completion, monkeypatch):
    def broken_flush(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(db.session, "flush", broken_flush)
    with pytest.raises(RuntimeError):
        store(jpeg(), folder, completion)
    monkeypatch.undo()
    db.session.rollback()
    assert files_in(folder) == [] and photo_count() == 0


def test_when_a_file_cannot_be_written_nothing_is_kept(folder, completion, monkeypatch):
    real_write = photos._write_whole
    calls = []

    def write_then_fail(path, data):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_write(path, data)

    monkeypatch.setattr(photos, "_write_whole", write_then_fail)
    message = refused(jpeg(), folder, completion)
    assert message == "Bilden kunde inte sparas. Försök igen om en stund."


def test_photos_in_a_committed_transaction_keep_their_files(folder, completion):
    with transaction():
        keys = {store(jpeg(), folder, completion).storage_key, store(png(), folder, completion).storage_key}
    db.session.close()
    assert len(files_in(folder)) == 4 and photo_count() == 2
    assert keys == {name.split(".")[0] for name in files_in(folder)}


def test_delete_photo_files_removes_the_photo_and_its_thumbnail(folder, completion):
    keep = store(jpeg(), folder, completion)
    gone = store(png(), folder, completion)
    db.session.commit()
    delete_photo_files(gone, folder)
    assert files_in(folder) == sorted([f"{keep.storage_key}.jpg", f"{keep.storage_key}.thumb.jpg"])
    delete_photo_files(gone, folder)  # already gone: nothing to do, no error
