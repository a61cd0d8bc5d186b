"""Printable site signs: A4 portrait, as PNG and as PDF, with the site's name, who keeps it and how to reach them,
and a QR code to the site's page (Boden's agreements require a sign with the responsible association's contact).

Pure rendering: plain values in, bytes out. No database and no Flask; the caller builds the URL on BASE_URL.
The sign is always in Swedish: it stands at a Swedish site for whoever passes by, whatever language the person
who printed it reads the app in.

Fonts. The PNG uses Roboto from the pinned `font-roboto` package (Apache 2.0), so å ä ö and "–" print the same on
any server without relying on fonts installed on the system. The PDF uses the core font Helvetica, which covers
Latin-1 (å ä ö é ü ø …) without embedding anything, so its text stays searchable and copyable; other characters are
folded into Latin-1 first ("–" becomes "-").
"""
from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from typing import Callable

import font_roboto
import segno
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

#: Regular and bold Roboto for the PNG.
FONT_FILES = {"": font_roboto.Roboto, "B": font_roboto.RobotoBold}
#: Q recovers a quarter of the code: a sign lives outdoors, in rain, dirt and sun.
QR_ERROR = "q"
#: The quiet zone around the code, in modules (the QR standard's minimum is 4).
QR_BORDER = 4
#: Side of the QR code including its quiet zone, when the text above leaves room for it (it always leaves 80 mm).
QR_MM = 110
SCAN_TEXT = "Skanna för att rapportera utfört arbete eller ett fel"
PAGE_MM = (210, 297)
MARGIN_MM = 15
#: PNG resolution: A4 at 150 dpi is 1240 × 1754 pixels, sharp enough to print.
PNG_DPI = 150
#: Type sizes in points, the same in both formats; the site's name shrinks until it fits in two lines.
TITLE_PT = (44, 40, 36, 32, 28, 24)
TITLE_FITS_LINES = 2
STYLE_PT = {"lead": 20, "body": 16}
NOTE_PT = 14
#: Lines a paragraph may take at most; longer text is cut with "...", so the QR code always has room.
MAX_LINES = {"title": 3, "lead": 2, "body": 2}
LINE_SPACING = 1.25
MM_PER_PT = 25.4 / 72


@dataclass(frozen=True)
class SignContent:
    """What a sign says. `association_name` is None for a site the municipality keeps itself."""

    site_name: str
    municipality_name: str
    url: str
    association_name: str | None = None
    contact_name: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class Line:
    """One paragraph of the sign's upper part and its style: "title", "lead" or "body"."""

    text: str
    style: str


def sign_lines(content: SignContent) -> list[Line]:
    """The paragraphs above the QR code, in order."""
    if content.association_name is None:
        return [Line(content.site_name, "title"), Line(f"Sköts av {content.municipality_name}", "lead")]
    lines = [Line(content.site_name, "title"), Line(f"Sköts av {content.association_name}", "lead")]
    for label, value in (("Kontaktperson", content.contact_name), ("Telefon", content.phone),
                         ("E-post", content.email)):
        if value.strip():
            lines.append(Line(f"{label}: {value.strip()}", "body"))
    lines.append(Line(f"i samarbete med {content.municipality_name}", "lead"))
    return lines


def qr_code(url: str) -> segno.QRCode:
    """The sign's QR code: a full QR symbol (never a Micro QR, which few phone cameras read) at level Q."""
    return segno.make_qr(url, error=QR_ERROR, boost_error=False)


def qr_png(url: str, *, scale: int) -> bytes:
    """The QR code as a black-and-white PNG, `scale` pixels per module, with its quiet zone."""
    out = io.BytesIO()
    qr_code(url).save(out, kind="png", scale=scale, border=QR_BORDER)
    return out.getvalue()


def sign_filename(site_name: str, extension: str) -> str:
    """A safe ASCII file name: "Välje badplats" → "skylt-valje-badplats.pdf"."""
    folded = unicodedata.normalize("NFKD", site_name.replace("ø", "o").replace("Ø", "O").replace("æ", "ae")
                                   .replace("Æ", "Ae").replace("ß", "ss"))
    slug = re.sub(r"[^a-z0-9]+", "-", folded.encode("ascii", "ignore").decode().lower()).strip("-")[:60].strip("-")
    return f"skylt-{slug}.{extension}" if slug else f"skylt.{extension}"


# --- text the fonts can print --------------------------------------------------------------------------------

#: Common characters outside Latin-1 and what the sign prints instead.
_LATIN1_SUBSTITUTES = {
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u2018": "'", "\u2019": "'", "\u201a": ",", "\u201b": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2026": "...", "\u2022": "-", "\u20ac": "EUR", "\u2009": " ", "\u202f": " ", "\u2007": " ", "\u200b": "",
    "\ufeff": "", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i", "œ": "oe", "Œ": "OE",
}


def latin1(text: str) -> str:
    """`text` with only printable Latin-1 characters, as Helvetica (a PDF core font) can show them."""
    result = []
    for char in text:
        char = _LATIN1_SUBSTITUTES.get(char, char)
        if char.isspace():
            result.append(" ")
            continue
        if all(ord(c) < 256 for c in char):
            result.append("".join(c for c in char if not unicodedata.category(c).startswith("C")))
            continue
        folded = unicodedata.normalize("NFKC", char)
        if all(ord(c) < 256 and not unicodedata.category(c).startswith("C") for c in folded):
            result.append(folded)
            continue
        # A letter with a mark Latin-1 lacks ("ő"): keep the base letter; anything else shows it is missing.
        base = "".join(c for c in unicodedata.normalize("NFD", char) if ord(c) < 128 and c.isprintable())
        result.append(base or "?")
    return "".join(result)


# --- layout shared by both formats --------------------------------------------------------------------------


def _title_size(line_count: Callable[[int], int]) -> int:
    """The largest title size at which the site's name takes at most two lines, or the smallest size."""
    for points in TITLE_PT:
        if line_count(points) <= TITLE_FITS_LINES:
            return points
    return TITLE_PT[-1]


def _clip(lines: list[str], max_lines: int, fits: Callable[[str], bool]) -> list[str]:
    """At most `max_lines` lines; text that is cut off ends in "..."."""
    if len(lines) <= max_lines:
        return lines
    last = lines[max_lines - 1]
    while last and not fits(last.rstrip() + "..."):
        last = last[:-1]
    return lines[:max_lines - 1] + [last.rstrip() + "..."]


# --- PNG -----------------------------------------------------------------------------------------------------


def _px(mm: float) -> int:
    return round(mm / 25.4 * PNG_DPI)


def _pt_px(points: float) -> int:
    return round(points / 72 * PNG_DPI)


class _Canvas:
    """A white A4 page in greyscale with centred, wrapped text in the bundled font."""

    def __init__(self) -> None:
        self.width, self.height = _px(PAGE_MM[0]), _px(PAGE_MM[1])
        self.image = Image.new("L", (self.width, self.height), 255)
        self.draw = ImageDraw.Draw(self.image)
        self.margin = _px(MARGIN_MM)
        self._fonts: dict[tuple[int, bool], ImageFont.FreeTypeFont] = {}

    def font(self, points: int, bold: bool = False) -> ImageFont.FreeTypeFont:
        key = (_pt_px(points), bold)
        if key not in self._fonts:
            self._fonts[key] = ImageFont.truetype(FONT_FILES["B" if bold else ""], key[0])
        return self._fonts[key]

    @staticmethod
    def line_height(points: int) -> int:
        return round(_pt_px(points) * LINE_SPACING)

    def fits(self, text: str, points: int, bold: bool) -> bool:
        return self.font(points, bold).getlength(text) <= self.width - 2 * self.margin

    def wrap(self, text: str, points: int, bold: bool = False) -> list[str]:
        """Lines that fit across the page, broken between words (inside a word only if it is too long)."""
        lines: list[str] = []
        current = ""
        for word in text.split():
            candidate = f"{current} {word}" if current else word
            if self.fits(candidate, points, bold):
                current = candidate
                continue
            if current:
                lines.append(current)
            current = ""
            for char in word:
                if current and not self.fits(current + char, points, bold):
                    lines.append(current)
                    current = ""
                current += char
        if current:
            lines.append(current)
        return lines or [""]

    def paragraph(self, text: str, points: int, *, bold: bool = False, max_lines: int | None = None) -> list[str]:
        lines = self.wrap(text, points, bold)
        return _clip(lines, max_lines, lambda line: self.fits(line, points, bold)) if max_lines else lines

    def write(self, y: int, lines: list[str], points: int, *, bold: bool = False) -> int:
        """Draw the lines centred from `y` down; the y below them."""
        font = self.font(points, bold)
        for line in lines:
            self.draw.text(((self.width - font.getlength(line)) / 2, y), line, font=font, fill=0)
            y += self.line_height(points)
        return y


def render_png(content: SignContent) -> bytes:
    """The sign as an A4 PNG (150 dpi, greyscale)."""
    canvas = _Canvas()
    y = canvas.margin
    for line in sign_lines(content):
        if line.style == "title":
            points = _title_size(lambda pt: len(canvas.wrap(line.text, pt, bold=True)))
            lines = canvas.paragraph(line.text, points, bold=True, max_lines=MAX_LINES["title"])
            y = canvas.write(y, lines, points, bold=True) + canvas.line_height(STYLE_PT["body"]) // 2
        else:
            points, bold = STYLE_PT[line.style], line.style == "lead"
            if bold:
                y += canvas.line_height(STYLE_PT["body"]) // 3
            y = canvas.write(y, canvas.paragraph(line.text, points, bold=bold, max_lines=MAX_LINES[line.style]),
                             points, bold=bold)
    scan_lines = canvas.paragraph(SCAN_TEXT, STYLE_PT["body"], bold=True)
    url_lines = canvas.paragraph(content.url, NOTE_PT)
    gap = canvas.line_height(STYLE_PT["body"]) // 2
    room = (canvas.height - canvas.margin - y - 3 * gap - len(scan_lines) * canvas.line_height(STYLE_PT["body"])
            - len(url_lines) * canvas.line_height(NOTE_PT))
    modules = qr_code(content.url).symbol_size(scale=1, border=QR_BORDER)[0]
    scale = max(1, min(_px(QR_MM), room) // modules)
    side = scale * modules
    y += max(gap, (room - side) // 2)
    y = canvas.write(y, scan_lines, STYLE_PT["body"], bold=True) + gap // 2
    qr_image = Image.open(io.BytesIO(qr_png(content.url, scale=scale))).convert("L")
    canvas.image.paste(qr_image, ((canvas.width - side) // 2, y))
    canvas.write(y + side + gap // 2, url_lines, NOTE_PT)
    out = io.BytesIO()
    canvas.image.save(out, format="PNG", dpi=(PNG_DPI, PNG_DPI), optimize=True)
    return out.getvalue()


# --- PDF -----------------------------------------------------------------------------------------------------


def _line_mm(points: int) -> float:
    return points * MM_PER_PT * LINE_SPACING


def _lines(pdf: FPDF, text: str, points: int, style: str = "", max_lines: int | None = None) -> list[str]:
    """`text` broken into the lines of a paragraph across the page, cut at `max_lines`."""
    pdf.set_font("Helvetica", style, points)

    def broken(paragraph: str) -> list[str]:
        return pdf.multi_cell(0, _line_mm(points), paragraph, dry_run=True, output="LINES")

    lines = broken(text)
    return _clip(lines, max_lines, lambda line: len(broken(line)) == 1) if max_lines else lines


def _write(pdf: FPDF, lines: list[str], points: int, style: str = "", link: str | None = None) -> None:
    pdf.set_font("Helvetica", style, points)
    pdf.multi_cell(0, _line_mm(points), "\n".join(lines), align="C", new_x="LMARGIN", new_y="NEXT", link=link)


def render_pdf(content: SignContent) -> bytes:
    """The sign as a one-page A4 PDF in Helvetica, with the QR code embedded as a PNG image."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(False)
    pdf.set_title(latin1(f"Skylt - {content.site_name}"))
    pdf.set_creator("skotsel")
    pdf.set_lang("sv")
    pdf.add_page()
    for line in sign_lines(content):
        text = latin1(line.text)
        if line.style == "title":
            points = _title_size(lambda pt: len(_lines(pdf, text, pt, "B")))
            _write(pdf, _lines(pdf, text, points, "B", MAX_LINES["title"]), points, "B")
            pdf.ln(_line_mm(STYLE_PT["body"]) / 2)
        else:
            points, style = STYLE_PT[line.style], "B" if line.style == "lead" else ""
            if style:
                pdf.ln(_line_mm(STYLE_PT["body"]) / 3)
            _write(pdf, _lines(pdf, text, points, style, MAX_LINES[line.style]), points, style)
    url = latin1(content.url)
    scan_lines = _lines(pdf, SCAN_TEXT, STYLE_PT["body"], "B")
    url_lines = _lines(pdf, url, NOTE_PT)
    gap = _line_mm(STYLE_PT["body"]) / 2
    room = (PAGE_MM[1] - MARGIN_MM - pdf.get_y() - 3 * gap - len(scan_lines) * _line_mm(STYLE_PT["body"])
            - len(url_lines) * _line_mm(NOTE_PT))
    side = min(QR_MM, room)
    pdf.set_y(pdf.get_y() + max(gap, (room - side) / 2))
    _write(pdf, scan_lines, STYLE_PT["body"], "B")
    top = pdf.get_y() + gap / 2
    modules = qr_code(content.url).symbol_size(scale=1, border=QR_BORDER)[0]
    pdf.image(io.BytesIO(qr_png(content.url, scale=max(1, 1200 // modules))), x=(PAGE_MM[0] - side) / 2, y=top,
              w=side, h=side, link=content.url, alt_text=f"QR-kod: {url}")
    pdf.set_y(top + side + gap / 2)
    _write(pdf, url_lines, NOTE_PT, link=content.url)
    return bytes(pdf.output())
