"""Site signs: what they say, that the PNG is a printable A4 whose QR code holds the site's URL, and that the PDF is a
whole one-page document with the text in it. No app needed: the renderers take plain values."""
from __future__ import annotations

import io
import re
import zlib

import pytest
import segno
from PIL import Image, ImageDraw, ImageFont

from skotsel.services.signs import (
    FONT_FILES,
    SCAN_TEXT,
    SignContent,
    latin1,
    qr_code,
    render_pdf,
    render_png,
    sign_filename,
    sign_lines,
)

URL = "https://skotsel.almhult.se/s/17"
VALJE = SignContent(
    site_name="Välje badplats", municipality_name="Älmhult kommun", url=URL,
    association_name="Virestads hembygdsförening", contact_name="Åsa Öberg", phone="0476-12 34 56",
    email="virestad@example.org",
)
MOCKELN = SignContent(site_name="Möckelns badplats", municipality_name="Älmhult kommun",
                      url="https://skotsel.almhult.se/s/3")


# --- helpers that read the files back ------------------------------------------------------------------------


def dark_runs(row: list[int]) -> list[tuple[int, int]]:
    """(start, length) of each run of dark pixels in one row of a greyscale image."""
    runs, start = [], None
    for x, value in enumerate(row + [255]):
        if value < 128 and start is None:
            start = x
        elif value >= 128 and start is not None:
            runs.append((start, x - start))
            start = None
    return runs


#: A finder pattern: the 7 × 7 squares in three corners of every QR code.
FINDER = [[1 if r in (0, 6) or c in (0, 6) or (2 <= r <= 4 and 2 <= c <= 4) else 0 for c in range(7)]
          for r in range(7)]


def read_qr(image: Image.Image, size: int) -> tuple[list[list[int]], tuple[int, int, int]]:
    """Find a QR code of `size` × `size` modules in the image and read every module back, as a decoder does: look
    for the top edges of the two upper finder patterns (a dark run of 7 modules, and another one `size` − 7 modules
    further right), then check that all three finder patterns are there. Returns the module matrix (1 = dark) and
    (left, top, module width in pixels)."""
    grey = image.convert("L")
    width, height = grey.size
    pixels = grey.load()

    def sample(left: int, top: int, module: int, rows: range, columns: range) -> list[list[int]]:
        return [[1 if pixels[left + c * module + module // 2, top + r * module + module // 2] < 128 else 0
                 for c in columns] for r in rows]

    for y in range(height):
        runs = dark_runs([pixels[x, y] for x in range(width)])
        starts = set(runs)
        for start, length in runs:
            module = length // 7
            if length % 7 or (start + (size - 7) * module, length) not in starts:
                continue
            if y + size * module > height:
                continue
            matrix = sample(start, y, module, range(size), range(size))
            corners = ([row[:7] for row in matrix[:7]], [row[-7:] for row in matrix[:7]],
                       [row[:7] for row in matrix[-7:]])
            if all(corner == FINDER for corner in corners):
                return matrix, (start, y, module)
    raise AssertionError("no QR code found in the image")


def expected_matrix(url: str) -> list[list[int]]:
    """The modules a QR code of `url` at error level Q has, as segno encodes it afresh."""
    return [[1 if module else 0 for module in row] for row in segno.make_qr(url, error="q", boost_error=False).matrix]


def pdf_text(pdf: bytes) -> str:
    """Every content stream of the PDF, inflated, as Latin-1 text (fpdf2 writes core-font strings in Latin-1)."""
    parts = []
    for stream in re.findall(rb"stream\n(.*?)\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            continue  # the QR image (CCITT-compressed)
    return "\n".join(parts)


# --- what the sign says --------------------------------------------------------------------------------------


def test_an_association_sign_names_the_site_the_association_its_contact_and_the_municipality():
    assert [(line.text, line.style) for line in sign_lines(VALJE)] == [
        ("Välje badplats", "title"),
        ("Sköts av Virestads hembygdsförening", "lead"),
        ("Kontaktperson: Åsa Öberg", "body"),
        ("Telefon: 0476-12 34 56", "body"),
        ("E-post: virestad@example.org", "body"),
        ("i samarbete med Älmhult kommun", "lead"),
    ]


def test_contact_details_the_association_has_not_given_are_left_out():
    content = SignContent(site_name="Parken", municipality_name="Älmhult kommun", url=URL,
                          association_name="Delary byalag", contact_name="", phone="  ", email="delary@example.org")
    assert [line.text for line in sign_lines(content)] == [
        "Parken", "Sköts av Delary byalag", "E-post: delary@example.org", "i samarbete med Älmhult kommun"]


def test_a_site_the_municipality_keeps_says_so():
    assert [line.text for line in sign_lines(MOCKELN)] == ["Möckelns badplats", "Sköts av Älmhult kommun"]


def test_the_qr_code_is_a_full_qr_symbol_at_level_q():
    code = qr_code(URL)
    assert code.error == "Q" and not code.is_micro


@pytest.mark.parametrize(("text", "printed"), [
    ("Välje badplats – Virestad", "Välje badplats - Virestad"),
    ("“Strandens” vänner…", '"Strandens" vänner...'),
    ("Ærø Straße", "Ærø Straße"),  # Latin-1 letters stay as they are
    ("Łódź Gőteborg", "Lódz Goteborg"),  # outside Latin-1: the base letter
    ("ﬁskeplats", "fiskeplats"),
    ("Park\u200b\x07 A\tB", "Park A B"),
    ("☃", "?"),
])
def test_text_is_folded_into_latin_1_for_the_pdf_core_font(text, printed):
    assert latin1(text) == printed


@pytest.mark.parametrize(("name", "filename"), [
    ("Välje badplats", "skylt-valje-badplats.pdf"),
    ("Möckelns badplats (Älmhult)", "skylt-mockelns-badplats-almhult.pdf"),
    ("Ørsta strand / Øst", "skylt-orsta-strand-ost.pdf"),
    ('../../etc/passwd"; x=', "skylt-etc-passwd-x.pdf"),
    ("???", "skylt.pdf"),
    ("Å" * 200, "skylt-" + "a" * 60 + ".pdf"),
])
def test_the_file_name_is_safe_ascii(name, filename):
    assert sign_filename(name, "pdf") == filename


# --- the PNG -------------------------------------------------------------------------------------------------


def test_the_png_is_an_a4_page_at_150_dpi():
    image = Image.open(io.BytesIO(render_png(VALJE)))
    image.load()
    assert image.format == "PNG"
    assert image.size == (1240, 1754)  # 210 × 297 mm
    assert round(image.info["dpi"][0]) == 150


@pytest.mark.parametrize("content", [VALJE, MOCKELN], ids=["association", "municipality"])
def test_the_qr_code_in_the_png_holds_the_sites_url_with_a_quiet_zone(content):
    image = Image.open(io.BytesIO(render_png(content))).convert("L")
    expected = expected_matrix(content.url)
    matrix, (left, top, module) = read_qr(image, len(expected))
    assert matrix == expected
    assert module * len(expected) >= 450  # at least 76 mm wide: scannable from a step away
    border = 4 * module
    around = image.crop((left - border, top - border, left + (len(expected)) * module + border,
                         top + len(expected) * module + border))
    inner = Image.new("L", (len(expected) * module, len(expected) * module), 255)
    around.paste(inner, (border, border))
    assert around.getextrema() == (255, 255), "the quiet zone around the code must be white"


@pytest.mark.parametrize("letter", list("åäöÅÄÖé–"))
def test_swedish_letters_are_drawn_as_themselves_not_as_missing_glyph_boxes(letter):
    """A font without å ä ö draws them as its missing-glyph box: the same picture as a character no font has."""
    font = ImageFont.truetype(FONT_FILES["B"], 80)

    def drawn(text: str) -> bytes:
        image = Image.new("L", (120, 140), 255)
        ImageDraw.Draw(image).text((10, 10), text, font=font, fill=0)
        return image.tobytes()

    assert drawn(letter) != drawn("\ue000") and drawn(letter) != drawn(" ")


def test_the_longest_names_the_forms_accept_are_cut_short_so_the_qr_code_keeps_its_room():
    longest = SignContent(site_name="Ö" * 200, municipality_name="Ä" * 120, url=URL, association_name="Å" * 200,
                          contact_name="Kim " * 50, phone="0" * 40, email="e" * 242 + "@example.org")
    image = Image.open(io.BytesIO(render_png(longest))).convert("L")
    expected = expected_matrix(URL)
    matrix, (_left, _top, module) = read_qr(image, len(expected))
    assert matrix == expected
    assert module * len(expected) >= 400  # still about 70 mm wide
    pdf = render_pdf(longest)
    assert b"/Count 1" in pdf
    text = pdf_text(pdf)
    assert "Ö...)" in text and "Å...)" in text and "Kim...)" in text
    assert f"({URL})" in text


# --- the PDF -------------------------------------------------------------------------------------------------


def test_the_pdf_is_one_whole_a4_page():
    pdf = render_pdf(VALJE)
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert b"/Type /Pages" in pdf and b"/Count 1" in pdf
    assert b"/MediaBox [0 0 595.28 841.89]" in pdf  # A4 portrait in points


def test_the_pdf_says_what_the_sign_says():
    text = pdf_text(render_pdf(VALJE))
    for expected in ("Välje badplats", "Sköts av Virestads hembygdsförening", "Kontaktperson: Åsa Öberg",
                     "Telefon: 0476-12 34 56", "E-post: virestad@example.org", "i samarbete med Älmhult kommun",
                     SCAN_TEXT, URL):
        assert f"({expected})" in text, expected


def test_the_pdf_embeds_the_qr_code_as_an_image_and_links_to_the_url():
    pdf = render_pdf(VALJE)
    size = len(expected_matrix(URL)) + 2 * 4  # modules with the quiet zone
    found = re.search(rb"/Subtype /Image.*?/Width (\d+)", pdf, re.S) or re.search(
        rb"/Width (\d+)[^>]*?/Subtype /Image", pdf, re.S)
    assert found and int(found.group(1)) % size == 0
    assert f"/URI ({URL})".encode() in pdf


def test_characters_outside_latin_1_are_replaced_in_the_pdf():
    content = SignContent(site_name="Parken – Hallaryd", municipality_name="Älmhult kommun", url=URL)
    assert "(Parken - Hallaryd)" in pdf_text(render_pdf(content))
