"""Uploaded PDF documents: check the bytes, store them under a server-made name, find and remove them.

The file system part of attaching a signed agreement; the database part (and its audit entry) is in
skotsel.services.agreements. Files live in <UPLOAD_FOLDER>/agreements/<key>.pdf, where the key is random and
never derived from what the uploader sent.
"""
from __future__ import annotations

import logging
import os
import re
import secrets
import tempfile
import unicodedata
from pathlib import Path
from typing import BinaryIO

from skotsel.domain.errors import ValidationError

log = logging.getLogger(__name__)

FOLDER = "agreements"
MAX_NAME_LENGTH = 200
#: A PDF must say where it ends: "%%EOF" within its last kilobyte (writers add whitespace or junk after it).
TAIL_BYTES = 1024
#: How much of the start is searched for markup that would make the file an HTML/PDF polyglot.
HEAD_BYTES = 1024
_MARKUP = (b"<script", b"<html", b"<!doctype", b"<body", b"<svg")
_KEY = re.compile(r"[0-9a-f]{32}")
_KEEP = frozenset(" .-_–")  # the en dash too: "Skötselavtal Hallaryd 2025–2027"


def read_pdf(file: BinaryIO | None, *, max_bytes: int) -> bytes:
    """The uploaded bytes if they are a whole PDF of at most max_bytes; else a ValidationError on "document"."""
    if file is None:
        raise ValidationError("Välj en PDF-fil att ladda upp.", "Choose a PDF file to upload.", field="document")
    data = file.read(max_bytes + 1)
    if not data:
        raise ValidationError("Filen är tom. Välj avtalet som PDF-fil.", "The file is empty. Choose the agreement "
                              "as a PDF file.", field="document")
    if len(data) > max_bytes:
        raise too_large(max_bytes)
    head = data[:HEAD_BYTES].lower()
    if not data.startswith(b"%PDF-") or any(marker in head for marker in _MARKUP):
        raise ValidationError("Filen är ingen PDF. Ladda upp avtalet som PDF-fil.",
                              "The file is not a PDF. Upload the agreement as a PDF file.", field="document")
    if b"%%EOF" not in data[-TAIL_BYTES:]:
        raise ValidationError("PDF-filen är ofullständig: slutet saknas. Ladda upp hela filen igen.",
                              "The PDF file is incomplete: its end is missing. Upload the whole file again.",
                              field="document")
    return data


def too_large(max_bytes: int) -> ValidationError:
    """The refusal of a file over max_bytes (also said when the request was cut off before the file was read)."""
    return ValidationError(f"Filen är för stor. Avtalsdokumentet får vara högst {size_text(max_bytes)}.",
                           f"The file is too large. The agreement document may be at most {size_text(max_bytes)}.",
                           field="document")


def size_text(n: int) -> str:
    """A byte count as people say it: "20 MB", "500 kB"."""
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 else f"{max(n // 1024, 1)} kB"


def clean_name(filename: str | None, *, fallback: str) -> str:
    """The file name to show and to download with: letters (åäö too), digits, space, dot, dashes and underscore,
    without any folder the browser sent, ending in .pdf, at most 200 characters; `fallback` if nothing is left."""
    def keep(text: str) -> str:
        # NFC first: macOS sends "ö" as "o" plus a combining mark, which is not a letter on its own.
        text = unicodedata.normalize("NFC", text)
        text = "".join(c if c.isalnum() or c in _KEEP else " " for c in text)
        return " ".join(text.split()).strip(" .")

    base = re.split(r"[/\\]", filename or "")[-1]
    stem = keep(base[:-4] if base.lower().endswith(".pdf") else base) or keep(fallback) or "avtal"
    return f"{stem[:MAX_NAME_LENGTH - 4].rstrip(' .')}.pdf"


def _folder(upload_folder: str) -> Path:
    return Path(upload_folder) / FOLDER


def path_of(key: str, *, upload_folder: str) -> Path:
    """Where the document with this key is kept (whether or not it is there)."""
    if not _KEY.fullmatch(key or ""):
        raise ValueError(f"not a document key: {key!r}")
    return _folder(upload_folder) / f"{key}.pdf"


def store(data: bytes, *, upload_folder: str) -> str:
    """Write the bytes under a new random key and return it; the file appears whole or not at all."""
    folder = _folder(upload_folder)
    folder.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(16)
    fd, temp = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path_of(key, upload_folder=upload_folder))
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return key


def discard(key: str | None, *, upload_folder: str) -> None:
    """Remove a stored document, if it is there. It is called after the database has moved on, so a file that
    cannot be removed is logged and left behind (an unused file) rather than failing what was already saved."""
    if not key:
        return
    try:
        path_of(key, upload_folder=upload_folder).unlink(missing_ok=True)
    except OSError:
        log.warning("could not remove the document file %s", key, exc_info=True)


def sample_pdf(title: str, lines: tuple[str, ...] = ()) -> bytes:
    """A small one-page PDF with a title and some lines of text, for demo data and tests."""
    def text(value: str) -> bytes:
        # Helvetica with WinAnsiEncoding covers Swedish; PDF strings escape backslash and parentheses.
        raw = value.encode("cp1252", errors="replace")
        return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"

    content = b"BT /F1 18 Tf 72 770 Td " + text(title) + b" Tj /F1 11 Tf"
    for line in lines:
        content += b" 0 -22 Td " + text(line) + b" Tj"
    content += b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out
