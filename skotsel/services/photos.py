"""Photos of completed work and fixed deviations: check the upload, re-encode it without metadata, store it.

An upload is trusted for nothing: its format is found from its content (JPEG, PNG or WebP, by Pillow, never by
name or declared type), its pixel count is checked from the header before anything is decoded (decompression
bombs), and a file that is also something else (a ZIP archive, a web page, data appended after the image) is
refused. What is kept is a new file encoded from the decoded pixels, turned upright and at most MAX_SIDE pixels
long, without EXIF, ICC or XMP; the capture time and GPS position are read from the EXIF data first and kept in the
database. Files live in <UPLOAD_FOLDER>/photos/<key>.<jpg|png|webp> with a thumbnail <key>.thumb.jpg, where the
key is random and never derived from what the uploader sent.

A photo written inside a transaction that does not commit is removed again: the files are registered with the
session and deleted when its outermost transaction ends without a commit (see _forget_or_remove_files).
"""
from __future__ import annotations

import io
import logging
import math
import os
import re
import secrets
import struct
import tempfile
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, BinaryIO, Sequence
from zoneinfo import ZoneInfo

from PIL import Image, ImageOps
from sqlalchemy import event
from sqlalchemy.orm import Session

from skotsel.domain.errors import ValidationError
from skotsel.domain.geometry import distance_to_geometry_m
from skotsel.extensions import db
from skotsel.models import Completion, Deviation, InspectionResult, Photo, Site
from skotsel.services import transaction
from skotsel.services.documents import size_text

log = logging.getLogger(__name__)

FOLDER = "photos"
#: Longest side of a stored photo; a phone's 4000 px is more than a list or a claim for compensation needs.
MAX_SIDE = 2560
#: Longest side of a thumbnail for lists.
THUMB_SIDE = 320
JPEG_QUALITY = 85
THUMB_QUALITY = 80
MAX_NAME_LENGTH = 200
#: A photo taken further than this from the site's point or outside its area by more than this gets a warning.
FAR_FROM_SITE_M = 200
#: A photo taken more days than this from the logged date gets a warning.
DAYS_FROM_LOGGED = 2
STOCKHOLM = ZoneInfo("Europe/Stockholm")

#: Pillow format → (content type, file extension). MPO is a JPEG with more images after it (3D and depth-map
#: cameras, many phones); its first image is the photo.
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "MPO": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
_SAVE_AS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}

#: Where browsers look when they guess a type: markup there makes the file a web page as well as an image.
HEAD_BYTES = 1024
_MARKUP = (b"<script", b"<html", b"<!doctype", b"<body", b"<svg", b"<?php", b"<iframe", b"<?xml-stylesheet")
_KEY = re.compile(r"[0-9a-f]{32}")
_KEEP = frozenset(" .-_–()+,'&")

# EXIF tags (Pillow's ExifTags names them; numbers are shorter and stable).
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATE_TIME_ORIGINAL, _OFFSET_TIME_ORIGINAL = 0x9003, 0x9011
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON, _GPS_STATUS = 1, 2, 3, 4, 9

#: Errors Pillow raises for damaged or hostile image data (its decoders are not consistent about which).
_BROKEN = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, struct.error, ZeroDivisionError)


@dataclass(frozen=True)
class PreparedPhoto:
    """A checked upload, re-encoded, with what its EXIF data said; nothing stored yet."""

    data: bytes
    thumbnail: bytes
    content_type: str
    width: int
    height: int
    taken_at: datetime | None
    lat: float | None
    lon: float | None


@dataclass(frozen=True)
class Uploads:
    """Photos sent with a form, and where and how large they may be stored (from the app's config)."""

    files: Sequence[Any]
    upload_folder: str
    max_bytes: int
    max_pixels: int


def store_photo(*, file: BinaryIO | None, filename: str | None, upload_folder: str, max_bytes: int,
                max_pixels: int, uploaded_by_id: int | None, completion: Completion | None = None,
                deviation: Deviation | None = None, inspection_result: InspectionResult | None = None,
                site: Site | None = None, logged_on: date | None = None) -> Photo:
    """Check an uploaded photo, store it re-encoded with a thumbnail, and add its row to the session.

    Exactly one of `completion`, `deviation` and `inspection_result` gets the photo. `site` (default: theirs) and
    `logged_on` (default: the completion's or inspection's date) are what the EXIF position and capture time are
    compared with; a photo far
    from them is kept with a Swedish warning in `photo.warning`. A file that is not a whole JPEG, PNG or WebP
    image, is too large, has too many pixels or is also something else raises ValidationError (field "photos")
    and nothing is stored. The row joins the caller's transaction; its files go again if that does not commit.
    """
    owners = [owner for owner in (completion, deviation, inspection_result) if owner is not None]
    if len(owners) != 1:
        raise ValueError("a photo belongs to exactly one completion, deviation or inspection result")
    owner = owners[0]
    if site is None:
        site = owner.site if owner.site is not None else db.session.get(Site, owner.site_id)
    if logged_on is None and completion is not None:
        logged_on = completion.completed_on
    if logged_on is None and inspection_result is not None:
        logged_on = inspection_result.inspection.inspected_on

    prepared = prepare_photo(read_upload(file, max_bytes=max_bytes), max_pixels=max_pixels)
    warning = " ".join(photo_warnings(prepared, site=site, logged_on=logged_on))
    photo = Photo(
        municipality_id=owner.municipality_id, storage_key=secrets.token_hex(16),
        content_type=prepared.content_type, width=prepared.width, height=prepared.height,
        size_bytes=len(prepared.data), original_name=display_name(filename), taken_at=prepared.taken_at,
        lat=prepared.lat, lon=prepared.lon, warning=warning, uploaded_by_id=uploaded_by_id,
    )
    paths = _write_files(photo, prepared, upload_folder=upload_folder)
    try:
        with transaction():
            photo.completion, photo.deviation, photo.inspection_result = completion, deviation, inspection_result
            db.session.add(photo)
            db.session.flush()
    except BaseException:
        _remove(paths)
        raise
    return photo


def delete_photo_files(photo: Photo, upload_folder: str) -> None:
    """Remove a photo's file and thumbnail, if they are there. Called after the database has let go of the row
    (a withdrawn completion), so a file that cannot be removed is logged and left behind rather than failing
    what was already saved."""
    try:
        paths = [path_of(photo, upload_folder=upload_folder), thumbnail_path_of(photo, upload_folder=upload_folder)]
    except ValueError:
        log.warning("photo %s has no valid storage key", photo.id)
        return
    _remove(paths)


def path_of(photo: Photo, *, upload_folder: str) -> Path:
    """Where the photo itself is kept (whether or not it is there)."""
    return _folder(upload_folder) / f"{_checked_key(photo.storage_key)}.{EXTENSIONS[photo.content_type]}"


def thumbnail_path_of(photo: Photo, *, upload_folder: str) -> Path:
    """Where the photo's thumbnail (always a JPEG) is kept."""
    return _folder(upload_folder) / f"{_checked_key(photo.storage_key)}.thumb.jpg"


# Checking and re-encoding

def read_upload(file: BinaryIO | None, *, max_bytes: int) -> bytes:
    """The uploaded bytes, reading at most one more than max_bytes; ValidationError when none or too many."""
    if file is None:
        raise _refused("Välj en bild att ladda upp.", "Choose a photo to upload.")
    data = file.read(max_bytes + 1)
    if not data:
        raise _refused("Filen är tom. Välj en bild att ladda upp.", "The file is empty. Choose a photo to upload.")
    if len(data) > max_bytes:
        raise too_large(max_bytes)
    return data


def too_large(max_bytes: int) -> ValidationError:
    """The refusal of a photo over max_bytes (also said when the request body was cut off before it was read)."""
    size = size_text(max_bytes)
    return _refused(f"Bilden är större än {size}.", f"The photo is larger than {size}.")


def prepare_photo(data: bytes, *, max_pixels: int) -> PreparedPhoto:
    """Check the bytes of an upload and re-encode them (see the module's docstring); ValidationError if refused."""
    with warnings.catch_warnings():
        # Pillow warns about an image over its own pixel limit and refuses one twice that big; both are refusals.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=["JPEG", "PNG", "WEBP"])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise _too_many_pixels() from error
        except Exception as error:  # UnidentifiedImageError and whatever a plugin trips over in a hostile header
            raise _not_an_image() from error
        with image:
            if image.format not in FORMATS:
                raise _not_an_image()
            width, height = image.size
            # Only the header has been read: refuse a bomb before a single pixel is decoded.
            if width * height > max_pixels:
                raise _too_many_pixels()
            if _is_polyglot(data, image.format):
                raise _refused("Filen innehåller något annat än bilden (till exempel ett arkiv eller en webbsida) "
                               "och tas inte emot. Spara bilden på nytt och ladda upp den igen.",
                               "The file holds something besides the photo (an archive or a web page, for example) "
                               "and is not accepted. Save the photo again and upload it again.")
            if image.format in ("JPEG", "MPO"):
                image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # decode a huge JPEG at a reduced scale: less memory
            content_type = FORMATS[image.format][0]
            try:
                image.load()  # decodes every pixel: a truncated or corrupt file fails here
                taken_at, position = _capture_time(image), _position(image)
                pixels = _upright_pixels(image, keep_alpha=content_type != "image/jpeg")
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
                raise _too_many_pixels() from error
            except _BROKEN as error:
                raise _refused("Bilden är skadad eller ofullständig. Ladda upp den igen.",
                               "The photo is damaged or incomplete. Upload it again.") from error
    return PreparedPhoto(
        data=_encode(pixels, content_type), thumbnail=_thumbnail(pixels), content_type=content_type,
        width=pixels.width, height=pixels.height, taken_at=taken_at,
        lat=position[0] if position else None, lon=position[1] if position else None,
    )


def _upright_pixels(image: Image.Image, *, keep_alpha: bool) -> Image.Image:
    """The decoded pixels turned the way the camera said, in RGB (RGBA if there is transparency to keep), at most
    MAX_SIDE long — as a new image that carries nothing from the file but its pixels."""
    image = ImageOps.exif_transpose(image) or image
    if image.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N", "F"):
        # 16-bit greyscale: scale to 8 bits (converting directly would clip everything above 255 to white).
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    mode = "RGBA" if keep_alpha and has_alpha else "RGB"
    image = image.convert(mode)
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return Image.frombytes(mode, image.size, image.tobytes())


def _encode(pixels: Image.Image, content_type: str) -> bytes:
    """The pixels in the upload's own format, without any metadata (nothing is passed that would add it)."""
    out = io.BytesIO()
    if content_type == "image/jpeg":
        pixels.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    elif content_type == "image/webp":
        pixels.save(out, "WEBP", quality=JPEG_QUALITY)
    else:
        pixels.save(out, "PNG")
    return out.getvalue()


def _thumbnail(pixels: Image.Image) -> bytes:
    """A small JPEG for lists; transparency is shown on white."""
    small = pixels.copy()
    small.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    if small.mode == "RGBA":
        background = Image.new("RGB", small.size, "white")
        background.paste(small, mask=small.getchannel("A"))
        small = background
    out = io.BytesIO()
    small.save(out, "JPEG", quality=THUMB_QUALITY, optimize=True)
    return out.getvalue()


# Polyglots: files that are an image and something else

def _is_polyglot(data: bytes, image_format: str) -> bool:
    """Whether the file is also a ZIP archive (a JAR, an Office file), carries markup where a browser would take it
    for a web page, or has data after the image's end that a camera would not have put there.

    Phones do append data to JPEGs: a second JPEG (MPO, depth maps), a short video ("motion photos", an MP4) or
    Samsung's trailer, which ends in "SEFT"; those are allowed (and dropped by the re-encoding) unless they too
    carry markup. Anything else after the end of a PNG, WebP or JPEG is refused.
    """
    if _has_markup(data[:HEAD_BYTES]) or _has_foreign_tail(data, image_format):
        return True
    return _is_zip(data)


def _has_foreign_tail(data: bytes, image_format: str) -> bool:
    end = _image_end(data, image_format)
    if end is None:
        return False  # the structure could not be followed; the decoder decides whether the image is whole
    tail = data[end:]
    if not tail.strip(b"\x00\xff"):
        return False  # nothing, or padding
    if _has_markup(tail) or image_format not in ("JPEG", "MPO"):
        return True
    unpadded = tail.lstrip(b"\x00")
    is_from_camera = unpadded.startswith(b"\xff\xd8\xff") or b"ftyp" in (tail[4:8], unpadded[4:8]) \
        or tail.endswith(b"SEFT")
    return not is_from_camera


def _has_markup(data: bytes) -> bool:
    lowered = data.lower()
    return any(marker in lowered for marker in _MARKUP)


def _is_zip(data: bytes) -> bool:
    """Whether a ZIP reader finds an archive with entries in the file (it looks from the end, wherever it starts)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return bool(archive.infolist())
    except Exception:  # BadZipFile, or a garbled directory: not a usable archive
        return False


def _image_end(data: bytes, image_format: str) -> int | None:
    """Offset just after the image's last byte (JPEG end-of-image marker, PNG IEND chunk, the RIFF length of a
    WebP); None if the structure cannot be followed."""
    if image_format == "PNG":
        return _png_end(data)
    if image_format == "WEBP":
        size = int.from_bytes(data[4:8], "little")
        return 8 + size + (size & 1)  # RIFF chunks are padded to an even length
    return _jpeg_end(data)


def _png_end(data: bytes) -> int | None:
    offset = 8  # after the signature; each chunk is length, type, data, CRC
    while offset + 8 <= len(data):
        length = int.from_bytes(data[offset:offset + 4], "big")
        chunk_type = data[offset + 4:offset + 8]
        offset += 12 + length
        if chunk_type == b"IEND":
            return offset
    return None


def _jpeg_end(data: bytes) -> int | None:
    """Follow the JPEG's segments (skipping APPn blocks by their length, so an embedded EXIF thumbnail's own end
    marker is not taken for the photo's) and the entropy-coded data after each start-of-scan, to the EOI marker."""
    offset, size = 2, len(data)
    while offset < size:
        if data[offset] != 0xFF:
            return None
        while offset < size and data[offset] == 0xFF:  # fill bytes
            offset += 1
        if offset >= size:
            return None
        marker = data[offset]
        offset += 1
        if marker == 0xD9:  # EOI
            return offset
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            continue
        if offset + 2 > size:
            return None
        length = int.from_bytes(data[offset:offset + 2], "big")
        if length < 2:
            return None
        offset += length
        if marker == 0xDA:  # start of scan: entropy-coded data until a marker other than stuffing or restart
            while True:
                offset = data.find(b"\xff", offset)
                if offset < 0 or offset + 1 >= size:
                    return None
                following = data[offset + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    offset += 2
                elif following == 0xFF:
                    offset += 1
                else:
                    break
    return None


# What the EXIF data said

def _capture_time(image: Image.Image) -> datetime | None:
    """DateTimeOriginal in UTC; with the camera's OffsetTimeOriginal, or else taken as Swedish local time."""
    try:
        exif = image.getexif().get_ifd(_EXIF_IFD)
        raw = _text(exif.get(_DATE_TIME_ORIGINAL))
        offset = _text(exif.get(_OFFSET_TIME_ORIGINAL))
    except Exception:  # malformed EXIF is no reason to refuse the photo; it just says nothing
        return None
    if not raw:
        return None
    try:
        local = datetime.strptime(raw[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:  # "0000:00:00 00:00:00" or blanks: the camera did not know
        return None
    if local.year < 1900:
        return None
    found = re.fullmatch(r"([+-])(\d{2}):(\d{2})", offset or "")
    if found and int(found[2]) <= 14 and int(found[3]) < 60:
        sign = 1 if found[1] == "+" else -1
        zone = timezone(sign * timedelta(hours=int(found[2]), minutes=int(found[3])))
    else:
        zone = STOCKHOLM
    return local.replace(tzinfo=zone).astimezone(timezone.utc)


def _position(image: Image.Image) -> tuple[float, float] | None:
    """(lat, lon) in decimal WGS84 degrees from the GPS data, or None if absent or nonsense."""
    try:
        gps = image.getexif().get_ifd(_GPS_IFD)
        if _text(gps.get(_GPS_STATUS)).upper() == "V":  # "void": the receiver had no fix
            return None
        lat = _degrees(gps.get(_GPS_LAT), _text(gps.get(_GPS_LAT_REF)), "N", "S", 90)
        lon = _degrees(gps.get(_GPS_LON), _text(gps.get(_GPS_LON_REF)), "E", "W", 180)
    except Exception:
        return None
    if lat is None or lon is None or (lat == 0 and lon == 0):  # 0, 0 is a phone without a fix, not the Atlantic
        return None
    return round(lat, 7), round(lon, 7)


def _degrees(value, ref: str, positive: str, negative: str, limit: float) -> float | None:
    if ref.upper() not in (positive, negative) or not isinstance(value, tuple) or len(value) != 3:
        return None
    degrees, minutes, seconds = (float(part) for part in value)
    # Seconds of exactly 60 are a writer's rounding (59.99996 written with four decimals), not nonsense.
    if not all(math.isfinite(part) and part >= 0 for part in (degrees, minutes, seconds)) \
            or minutes >= 60 or seconds > 60:
        return None
    result = degrees + minutes / 60 + seconds / 3600
    if result > limit:
        return None
    return -result if ref.upper() == negative else result


def _text(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", errors="replace")
    return value.strip("\x00 ") if isinstance(value, str) else ""


# Warnings: a photo that may not show this site on this day

def photo_warnings(prepared: PreparedPhoto, *, site: Site | None, logged_on: date | None) -> list[str]:
    """The Swedish sentences to keep with a photo taken far from the site or days from the logged date."""
    found = []
    if prepared.lat is not None and site is not None:
        distance = distance_to_site_m(prepared.lat, prepared.lon, site)
        if distance > FAR_FROM_SITE_M:
            found.append(f"Bilden är tagen cirka {distance_text(distance)} från skötselobjektet.")
    if prepared.taken_at is not None and logged_on is not None:
        taken_on = prepared.taken_at.astimezone(STOCKHOLM).date()
        days = abs((taken_on - logged_on).days)
        if days > DAYS_FROM_LOGGED:
            found.append(f"Bilden är tagen {taken_on.isoformat()}, {days} dagar från det rapporterade datumet.")
    return found


def distance_text(metres: float) -> str:
    """A distance as people say it: "350 m", "1,2 km", "42 km"."""
    if metres < 995:
        return f"{round(metres / 10) * 10} m"
    if metres < 9950:
        return f"{metres / 1000:.1f}".replace(".", ",") + " km"
    return f"{round(metres / 1000)} km"


def distance_to_site_m(lat: float, lon: float, site: Site) -> float:
    """Metres from (lat, lon) to the site: to its point, or 0 inside its area and else to the nearest edge."""
    return distance_to_geometry_m(lat, lon, site.geometry, fallback=(site.lat, site.lon))


def display_name(filename: str | None) -> str:
    """The uploaded file's name, for display only: without any folder the browser sent, control characters or
    symbols other than a few harmless ones, at most 200 characters; "bild" if nothing is left."""
    base = re.split(r"[/\\]", filename or "")[-1]
    # NFC first: macOS sends "ö" as "o" plus a combining mark, which is not a letter on its own.
    base = unicodedata.normalize("NFC", base)
    kept = "".join(c for c in base if c.isalnum() or c in _KEEP)
    name = " ".join(kept.split()).strip(" .") or "bild"
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = f"{stem[:MAX_NAME_LENGTH - len(extension) - 1].rstrip(' .')}.{extension}"
        else:
            name = name[:MAX_NAME_LENGTH].rstrip(" .")
    return name


def download_name(photo: Photo, *, thumbnail: bool = False) -> str:
    """A file name to save the photo under: the uploaded name's stem with the extension of what is stored."""
    stem = photo.original_name.rpartition(".")[0] if "." in photo.original_name else photo.original_name
    stem = stem.strip(" .") or "bild"
    return f"{stem}-miniatyr.jpg" if thumbnail else f"{stem}.{EXTENSIONS[photo.content_type]}"


def _folder(upload_folder: str) -> Path:
    return Path(upload_folder) / FOLDER


def _checked_key(key: str | None) -> str:
    if not _KEY.fullmatch(key or ""):
        raise ValueError(f"not a photo key: {key!r}")
    return key


def _write_files(photo: Photo, prepared: PreparedPhoto, *, upload_folder: str) -> list[Path]:
    """Write the photo and its thumbnail, each whole or not at all; on failure neither is left behind."""
    targets = [(path_of(photo, upload_folder=upload_folder), prepared.data),
               (thumbnail_path_of(photo, upload_folder=upload_folder), prepared.thumbnail)]
    written: list[Path] = []
    try:
        _folder(upload_folder).mkdir(parents=True, exist_ok=True)
        for path, data in targets:
            _write_whole(path, data)
            written.append(path)
    except OSError as error:
        _remove(written)
        log.error("could not store a photo under %s", upload_folder, exc_info=True)
        raise _refused("Bilden kunde inte sparas. Försök igen om en stund.",
                       "The photo could not be saved. Try again in a while.") from error
    db.session.info.setdefault(_PENDING, []).extend(written)
    return written


def _write_whole(path: Path, data: bytes) -> None:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _remove(paths: list[Path]) -> None:
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            log.warning("could not remove the photo file %s", path, exc_info=True)


# Files of a transaction that did not commit

_PENDING = "photo_files_written"


@event.listens_for(Session, "after_commit")
def _keep_files(session: Session) -> None:
    """The outermost transaction committed: its photos' rows exist, so their files stay."""
    if session.get_nested_transaction() is None:  # not merely a savepoint released
        session.info.pop(_PENDING, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_or_remove_files(session: Session, ended) -> None:
    """The outermost transaction ended without a commit (rolled back, or the session closed): no row points at
    the files written in it, so remove them."""
    if ended.parent is None and session.info.get(_PENDING):
        _remove(session.info.pop(_PENDING))


def _refused(message_sv: str, message_en: str) -> ValidationError:
    return ValidationError(message_sv, message_en, field="photos")


def _not_an_image() -> ValidationError:
    return _refused("Filen är ingen bild i JPEG, PNG eller WebP.", "The file is not a JPEG, PNG or WebP image.")


def _too_many_pixels() -> ValidationError:
    return _refused("Bilden har för många bildpunkter.", "The photo has too many pixels.")
