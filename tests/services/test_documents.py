"""Agreement documents: which bytes pass as a PDF, the names kept, and files that are whole or absent."""
from __future__ import annotations

import io
import os
import re
import unicodedata

import pytest

from skotsel.domain.errors import ValidationError
from skotsel.extensions import db
from skotsel.models import Agreement, AuditEvent
from skotsel.services import documents
from skotsel.services.agreements import attach_document, delete_agreement, remove_document

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
MAX = 4096


@pytest.fixture
def folder(tmp_path) -> str:
    return str(tmp_path / "uploads")


def files_in(folder: str) -> list[str]:
    """Everything under the documents folder, temporary files included."""
    path = os.path.join(folder, documents.FOLDER)
    return sorted(os.listdir(path)) if os.path.isdir(path) else []


def attach(agreement, folder, data=PDF, filename="Skötselavtal Hallaryd.pdf", actor_id=None):
    attach_document(actor_id=actor_id, agreement=agreement, file=io.BytesIO(data), filename=filename,
                    upload_folder=folder, max_bytes=MAX)


# Which bytes are a PDF

def test_a_whole_pdf_is_read():
    assert documents.read_pdf(io.BytesIO(PDF), max_bytes=MAX) == PDF


def test_the_end_marker_may_be_followed_by_a_little_trailing_junk():
    data = PDF + b"\0" * 1000
    assert documents.read_pdf(io.BytesIO(data), max_bytes=MAX) == data


@pytest.mark.parametrize("data, message", [
    (b"", "Filen är tom."),
    (PDF + b" " * MAX, "Filen är för stor. Avtalsdokumentet får vara högst 4 kB."),
    (b"Hej, detta \xe4r ett brev.\n%%EOF\n", "Filen är ingen PDF."),
    (b"\x89PNG\r\n\x1a\n" + PDF, "Filen är ingen PDF."),
    (b" %PDF-1.4\n%%EOF\n", "Filen är ingen PDF."),
    (b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF\n", "Filen är ingen PDF."),
    (b"%PDF-1.4\n<!DOCTYPE html>\n%%EOF\n", "Filen är ingen PDF."),
    (PDF[:-7], "PDF-filen är ofullständig: slutet saknas."),
    (PDF + b"\n" * 1100, "PDF-filen är ofullständig: slutet saknas."),
], ids=["empty", "too-large", "text", "png", "magic-not-at-start", "html-polyglot", "doctype-polyglot",
        "cut-off", "eof-too-far-from-the-end"])
def test_what_is_not_a_whole_pdf_is_refused_on_the_document_field(data, message):
    with pytest.raises(ValidationError) as refused:
        documents.read_pdf(io.BytesIO(data), max_bytes=MAX)
    assert refused.value.message_sv.startswith(message)
    assert refused.value.field == "document"


def test_no_file_at_all_asks_for_one():
    with pytest.raises(ValidationError, match="Välj en PDF-fil att ladda upp."):
        documents.read_pdf(None, max_bytes=MAX)


def test_the_limit_is_said_in_megabytes_at_real_sizes():
    assert documents.too_large(20 * 1024 * 1024).message_sv == (
        "Filen är för stor. Avtalsdokumentet får vara högst 20 MB.")


def test_the_demo_pdf_passes_and_its_cross_reference_points_at_the_table():
    data = documents.sample_pdf("Skötselavtal Hallaryd 2025–2027", ("Parter: Älmhults kommun (a) och föreningen",))
    assert documents.read_pdf(io.BytesIO(data), max_bytes=MAX) == data
    offset = int(re.search(rb"startxref\n(\d+)\n%%EOF", data).group(1))
    assert data[offset:offset + 4] == b"xref"
    assert "Skötselavtal Hallaryd".encode("cp1252") in data
    assert b"\\(a\\)" in data


# Names kept for display and download

@pytest.mark.parametrize("filename, kept", [
    ("Skötselavtal Hallaryd.pdf", "Skötselavtal Hallaryd.pdf"),
    (unicodedata.normalize("NFD", "Skötselavtal Hallaryd.pdf"), "Skötselavtal Hallaryd.pdf"),
    ("Avtal ÅÄÖ åäö 2025–2027_v2.PDF", "Avtal ÅÄÖ åäö 2025–2027_v2.pdf"),
    ("C:\\fakepath\\avtal.pdf", "avtal.pdf"),
    ("../../etc/passwd", "passwd.pdf"),
    ('avtal"; filename=evil.html', "avtal filename evil.html.pdf"),
    ("avtal\r\nX-Header: 1.pdf", "avtal X-Header 1.pdf"),
    ("rapport.docx", "rapport.docx.pdf"),
    ("...pdf", "Avtal A.pdf"),
    ("", "Avtal A.pdf"),
    (None, "Avtal A.pdf"),
    ("<>:*?.pdf", "Avtal A.pdf"),
], ids=["swedish", "macos-decomposed", "dashes-underscore-case", "windows-path", "traversal", "header-injection",
        "newlines", "other-extension", "only-dots", "empty", "none", "only-symbols"])
def test_the_name_keeps_letters_digits_and_plain_punctuation(filename, kept):
    assert documents.clean_name(filename, fallback="Avtal A") == kept


def test_a_long_name_is_cut_to_two_hundred_characters_still_ending_in_pdf():
    kept = documents.clean_name("ö" * 300 + ".pdf", fallback="x")
    assert len(kept) == 200 and kept.endswith("ööö.pdf")


# Files on disk

def test_stored_files_get_a_random_name_and_are_whole(folder):
    first, second = documents.store(PDF, upload_folder=folder), documents.store(PDF, upload_folder=folder)
    assert first != second and re.fullmatch(r"[0-9a-f]{32}", first)
    assert documents.path_of(first, upload_folder=folder).read_bytes() == PDF
    assert files_in(folder) == sorted([f"{first}.pdf", f"{second}.pdf"])


def test_a_failed_write_leaves_no_file_behind(folder, monkeypatch):
    def disk_full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(documents.os, "replace", disk_full)
    with pytest.raises(OSError):
        documents.store(PDF, upload_folder=folder)
    assert files_in(folder) == []


@pytest.mark.parametrize("key", ["../secret_key", "", "ABC", "0" * 31, "0" * 32 + "/x"])
def test_only_server_made_keys_become_paths(folder, key):
    with pytest.raises(ValueError):
        documents.path_of(key, upload_folder=folder)


# Attaching to an agreement

def test_attaching_stores_the_file_sets_the_row_and_logs_the_name(world, folder):
    attach(world.agreement_a, folder, actor_id=world.admin.id)
    agreement = db.session.get(Agreement, world.agreement_a.id)
    assert agreement.document_name == "Skötselavtal Hallaryd.pdf"
    assert files_in(folder) == [f"{agreement.document_key}.pdf"]
    assert documents.path_of(agreement.document_key, upload_folder=folder).read_bytes() == PDF
    event = db.session.scalar(db.select(AuditEvent).filter_by(object_type="Agreement", object_id=agreement.id))
    assert event.action == "update" and event.actor_id == world.admin.id
    assert event.changes == {"document_name": [None, "Skötselavtal Hallaryd.pdf"]}


def test_a_refused_file_changes_nothing(world, folder):
    with pytest.raises(ValidationError):
        attach(world.agreement_a, folder, data=b"GIF89a")
    agreement = db.session.get(Agreement, world.agreement_a.id)
    assert agreement.document_name is None and agreement.document_key is None
    assert files_in(folder) == [] and db.session.scalar(db.select(AuditEvent)) is None


def test_replacing_removes_the_old_file(world, folder):
    attach(world.agreement_a, folder, filename="utkast.pdf")
    old_key = world.agreement_a.document_key
    attach(world.agreement_a, folder, data=PDF.replace(b"1.4", b"1.7"), filename="undertecknat.pdf")
    agreement = db.session.get(Agreement, world.agreement_a.id)
    assert agreement.document_key != old_key and agreement.document_name == "undertecknat.pdf"
    assert files_in(folder) == [f"{agreement.document_key}.pdf"]
    events = db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id)).all()
    assert events[-1].changes == {"document_name": ["utkast.pdf", "undertecknat.pdf"]}


def test_a_failed_database_write_removes_the_new_file_and_keeps_the_old(world, folder, monkeypatch):
    attach(world.agreement_a, folder, filename="utkast.pdf")
    old_key = world.agreement_a.document_key

    def database_gone():
        raise ConnectionError("the database went away")

    monkeypatch.setattr(db.session, "commit", database_gone)
    with pytest.raises(ConnectionError):
        attach(world.agreement_a, folder, filename="undertecknat.pdf")
    monkeypatch.undo()
    agreement = db.session.get(Agreement, world.agreement_a.id)
    assert agreement.document_key == old_key and agreement.document_name == "utkast.pdf"
    assert files_in(folder) == [f"{old_key}.pdf"]


def test_removing_deletes_the_file_and_both_fields(world, folder):
    attach(world.agreement_a, folder)
    key = world.agreement_a.document_key
    remove_document(actor_id=world.admin.id, agreement=world.agreement_a, upload_folder=folder)
    agreement = db.session.get(Agreement, world.agreement_a.id)
    assert agreement.document_name is None and agreement.document_key is None
    assert not documents.path_of(key, upload_folder=folder).exists()
    events = db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id)).all()
    assert events[-1].changes == {"document_name": ["Skötselavtal Hallaryd.pdf", None]}


def test_removing_what_is_not_there_is_refused(world, folder):
    with pytest.raises(ValidationError, match="inget avtalsdokument"):
        remove_document(actor_id=None, agreement=world.agreement_a, upload_folder=folder)


def test_deleting_a_draft_takes_its_document_along(world, folder, make):
    draft = make.agreement(world.a, title="Utkast Hallaryd", status="draft")
    attach(draft, folder)
    key = draft.document_key
    delete_agreement(actor_id=None, agreement=draft, upload_folder=folder)
    assert db.session.get(Agreement, draft.id) is None
    assert not documents.path_of(key, upload_folder=folder).exists()
    event = db.session.scalar(db.select(AuditEvent).filter_by(action="delete", object_type="Agreement"))
    assert event.changes["document_name"] == ["Skötselavtal Hallaryd.pdf", None]


def test_a_file_that_cannot_be_removed_does_not_undo_what_was_saved(world, folder, monkeypatch, caplog):
    attach(world.agreement_a, folder)

    def read_only(self, missing_ok=False):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(documents.Path, "unlink", read_only)
    remove_document(actor_id=None, agreement=world.agreement_a, upload_folder=folder)
    assert db.session.get(Agreement, world.agreement_a.id).document_key is None
    assert "could not remove the document file" in caplog.text
