"""The signed agreement as a PDF: admins upload, replace and remove it; the municipality's staff and the
association's own people download it; everyone else finds nothing."""
from __future__ import annotations

import io
import os
import re
from urllib.parse import quote

import pytest

from skotsel.extensions import db
from skotsel.models import Agreement, AuditEvent
from skotsel.services import documents
from skotsel.services.agreements import attach_document
from tests.conftest import login

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
NAME = "Skötselavtal Hallaryd.pdf"


@pytest.fixture
def folder(app, tmp_path, monkeypatch) -> str:
    """An upload folder of this test's own, so that what is on disk is what this test put there."""
    path = str(tmp_path / "uploads")
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", path)
    return path


def files_in(folder: str) -> list[str]:
    path = os.path.join(folder, documents.FOLDER)
    return sorted(os.listdir(path)) if os.path.isdir(path) else []


def error_of(page: str, field: str) -> str:
    found = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.S)
    return found.group(1) if found else ""


def upload(client, agreement_id: int, data: bytes | None, filename: str = NAME, page: str | None = None):
    """Post the upload form of the agreement page (or with the CSRF token of `page`, for those without it)."""
    fields = {"document": (io.BytesIO(data), filename)} if data is not None else {}
    return client.submit(f"/admin/agreements/{agreement_id}/document", fields,
                         page=page or f"/admin/agreements/{agreement_id}")


def with_document(agreement, folder: str, data: bytes = PDF, filename: str = NAME) -> Agreement:
    attach_document(actor_id=None, agreement=agreement, file=io.BytesIO(data), filename=filename,
                    upload_folder=folder, max_bytes=1024 * 1024)
    return agreement


def assert_served_as_download(response, data: bytes, name: str) -> None:
    assert response.status_code == 200
    assert response.data == data
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(name)}" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"


# Upload, replace, remove

def test_admin_uploads_the_signed_agreement_and_downloads_the_same_bytes(client, world, folder):
    login(client, "admin@home.example")
    response = upload(client, world.agreement_a.id, PDF)
    assert response.status_code == 302 and response.location.endswith(f"/admin/agreements/{world.agreement_a.id}")
    agreement = db.session.get(Agreement, world.agreement_a.id)
    assert agreement.document_name == NAME
    assert files_in(folder) == [f"{agreement.document_key}.pdf"]
    event = db.session.scalar(db.select(AuditEvent).filter_by(object_type="Agreement", object_id=agreement.id))
    assert event.changes == {"document_name": [None, NAME]} and event.actor_id == world.admin.id

    page = client.get(f"/admin/agreements/{agreement.id}").get_data(as_text=True)
    assert f"Avtalsdokumentet {NAME} är sparat." in page
    assert f'<a href="/admin/agreements/{agreement.id}/document">{NAME}</a>' in page
    assert_served_as_download(client.get(f"/admin/agreements/{agreement.id}/document"), PDF, NAME)


def test_the_upload_form_is_on_the_agreement_page_for_admins(client, world, folder):
    login(client, "admin@home.example")
    page = client.get(f"/admin/agreements/{world.agreement_a.id}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'accept="application/pdf,.pdf"' in page
    assert "Inget undertecknat avtal är uppladdat." in page and "högst 20 MB" in page


@pytest.mark.parametrize("data, filename, message", [
    (b"PK\x03\x04 ett Word-dokument", "avtal.pdf", "Filen är ingen PDF."),
    (b"%PDF-1.4\n<html><script>alert(1)</script>\n%%EOF\n", "avtal.pdf", "Filen är ingen PDF."),
    (b"", "avtal.pdf", "Filen är tom."),
    (PDF[:-7], "avtal.pdf", "PDF-filen är ofullständig: slutet saknas."),
    (PDF + b" " * 3000, "avtal.pdf", "Filen är för stor. Avtalsdokumentet får vara högst 2 kB."),
    (None, "", "Välj en PDF-fil att ladda upp."),
], ids=["not-a-pdf", "polyglot", "empty", "no-eof-marker", "too-large", "no-file"])
def test_a_refused_file_is_explained_on_the_field_and_nothing_is_stored(client, world, folder, app, monkeypatch,
                                                                        data, filename, message):
    monkeypatch.setitem(app.config, "MAX_DOCUMENT_BYTES", 2048)
    login(client, "admin@home.example")
    response = upload(client, world.agreement_a.id, data, filename)
    assert response.status_code == 200
    assert error_of(response.get_data(as_text=True), "document").startswith(message)
    agreement = db.session.get(Agreement, world.agreement_a.id)
    assert agreement.document_name is None and agreement.document_key is None
    assert files_in(folder) == []
    assert db.session.scalar(db.select(AuditEvent)) is None


def test_a_request_too_large_to_read_is_refused_on_the_field_not_with_an_error(client, world, folder, app,
                                                                                 monkeypatch):
    monkeypatch.setitem(app.config, "MAX_DOCUMENT_BYTES", 2048)
    login(client, "admin@home.example")
    response = upload(client, world.agreement_a.id, PDF + b" " * 200_000)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert error_of(page, "document").startswith("Filen är för stor. Avtalsdokumentet får vara högst 2 kB.")
    assert "<h1>Avtal A</h1>" in page
    assert files_in(folder) == [] and db.session.get(Agreement, world.agreement_a.id).document_key is None


def test_a_file_over_the_real_limit_is_refused(client, world, folder, app):
    login(client, "admin@home.example")
    limit = app.config["MAX_DOCUMENT_BYTES"]
    response = upload(client, world.agreement_a.id, PDF + b" " * (limit + 100_000))
    assert response.status_code == 413
    assert "högst 20 MB" in error_of(response.get_data(as_text=True), "document")
    assert files_in(folder) == []


def test_a_too_large_request_from_someone_without_access_tells_nothing(client, world, folder, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_DOCUMENT_BYTES", 2048)
    login(client, "admin@other.example")
    response = upload(client, world.agreement_a.id, PDF + b" " * 200_000, page="/admin/agreements")
    assert response.status_code == 413 and "Avtal A" not in response.get_data(as_text=True)


def test_replacing_the_document_removes_the_old_file(client, world, folder):
    login(client, "admin@home.example")
    upload(client, world.agreement_a.id, PDF, "utkast.pdf")
    old_key = db.session.get(Agreement, world.agreement_a.id).document_key
    page = client.get(f"/admin/agreements/{world.agreement_a.id}").get_data(as_text=True)
    assert "Ersätt dokumentet" in page
    new = PDF.replace(b"1.4", b"1.7")
    assert upload(client, world.agreement_a.id, new, NAME).status_code == 302
    agreement = db.session.get(Agreement, world.agreement_a.id)
    assert agreement.document_key != old_key and files_in(folder) == [f"{agreement.document_key}.pdf"]
    assert_served_as_download(client.get(f"/admin/agreements/{agreement.id}/document"), new, NAME)
    event = db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.changes == {"document_name": ["utkast.pdf", NAME]}


def test_removing_the_document_deletes_the_file_and_the_fields(client, world, folder):
    with_document(world.agreement_a, folder)
    login(client, "admin@home.example")
    url = f"/admin/agreements/{world.agreement_a.id}"
    response = client.submit(f"{url}/document/delete", page=url, follow_redirects=True)
    assert "Avtalsdokumentet är borttaget." in response.get_data(as_text=True)
    agreement = db.session.get(Agreement, world.agreement_a.id)
    assert agreement.document_name is None and agreement.document_key is None
    assert files_in(folder) == []
    event = db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.changes == {"document_name": [NAME, None]} and event.actor_id == world.admin.id
    assert client.get(f"{url}/document").status_code == 404


def test_deleting_a_draft_agreement_removes_its_document(client, world, folder, make):
    draft_id = with_document(make.agreement(world.a, title="Utkast", status="draft"), folder).id
    login(client, "admin@home.example")
    client.submit(f"/admin/agreements/{draft_id}/delete", page=f"/admin/agreements/{draft_id}")
    assert db.session.get(Agreement, draft_id) is None and files_in(folder) == []


# Who may download, who may change

def test_the_association_reads_the_link_and_downloads_its_own_agreement(client, world, folder):
    with_document(world.agreement_a, folder)
    login(client, "medlem@a.example")
    base = f"/association/{world.a.id}/agreements/{world.agreement_a.id}"
    page = client.get(base).get_data(as_text=True)
    assert f'<a href="{base}/document">{NAME}</a>' in page
    assert_served_as_download(client.get(f"{base}/document"), PDF, NAME)


def test_the_reviewer_downloads_but_cannot_upload_or_remove(client, world, folder):
    with_document(world.agreement_a, folder)
    login(client, "granskare@home.example")
    url = f"/admin/agreements/{world.agreement_a.id}"
    page = client.get(url).get_data(as_text=True)
    assert NAME in page and "multipart/form-data" not in page and "Ta bort dokumentet" not in page
    assert_served_as_download(client.get(f"{url}/document"), PDF, NAME)
    assert upload(client, world.agreement_a.id, PDF, "annat.pdf").status_code == 403
    assert client.submit(f"{url}/document/delete", page=url).status_code == 403
    agreement = db.session.get(Agreement, world.agreement_a.id)
    assert agreement.document_name == NAME and files_in(folder) == [f"{agreement.document_key}.pdf"]


@pytest.mark.parametrize("email, url", [
    ("samordnare@b.example", "/association/{b}/agreements/{agreement}/document"),
    ("samordnare@b.example", "/association/{a}/agreements/{agreement}/document"),
    ("samordnare@b.example", "/admin/agreements/{agreement}/document"),
    ("medlem@a.example", "/admin/agreements/{agreement}/document"),
    ("admin@other.example", "/admin/agreements/{agreement}/document"),
    (None, "/admin/agreements/{agreement}/document"),
    (None, "/association/{a}/agreements/{agreement}/document"),
], ids=["other-association-under-its-own", "other-association", "other-association-admin-route",
        "member-on-admin-route", "other-municipality-admin", "anonymous-admin-route", "anonymous-association-route"])
def test_anyone_else_finds_no_document(client, world, folder, email, url):
    """Anonymous visitors too get a 404 rather than a login page: the link gives away nothing."""
    with_document(world.agreement_a, folder)
    if email:
        login(client, email)
    response = client.get(url.format(a=world.a.id, b=world.b.id, agreement=world.agreement_a.id))
    assert response.status_code == 404 and response.data != PDF


@pytest.mark.parametrize("email, page", [("admin@other.example", "/admin/agreements"),
                                         ("samordnare@a.example", "/association/{a}/")])
def test_only_the_municipalitys_admins_may_upload(client, world, folder, email, page):
    login(client, email)
    response = upload(client, world.agreement_a.id, PDF, page=page.format(a=world.a.id))
    assert response.status_code == 404 and files_in(folder) == []


def test_a_missing_document_is_not_found(client, world, folder):
    login(client, "admin@home.example")
    assert client.get(f"/admin/agreements/{world.agreement_a.id}/document").status_code == 404
    with_document(world.agreement_a, folder)
    os.remove(documents.path_of(world.agreement_a.document_key, upload_folder=folder))
    assert client.get(f"/admin/agreements/{world.agreement_a.id}/document").status_code == 404
