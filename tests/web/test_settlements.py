"""Season settlement pages: staff compute, approve and reject; the association reads its own; anyone else gets a
404; exports (CSV, XLSX, PDF) parse back and state that they are the basis for payment."""
from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from skotsel.extensions import db
from skotsel.models import AuditEvent, Settlement
from skotsel.services.schedule import regenerate
from tests.conftest import login

TODAY = "2026-10-01"


@pytest.fixture(autouse=True)
def fixed_today(app, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", TODAY)


def page_url(world, year: int | None = 2026, suffix: str = "") -> str:
    url = f"/settlements/agreements/{world.agreement_a.id}{suffix}"
    return f"{url}?year={year}" if year else url


def stored(world) -> Settlement | None:
    return db.session.scalar(select(Settlement).filter_by(agreement_id=world.agreement_a.id, year=2026))


def signed_in(app, email: str):
    """A fresh browser signed in as `email` (switching user in one client would need the logout form)."""
    other = app.test_client()
    login(other, email)
    return other


def compute(client, world):
    return client.submit(page_url(world, suffix="/compute"), {}, page=page_url(world))


def test_reviewer_sees_a_preview_computes_and_approves(client, world):
    login(client, "granskare@home.example")
    page = client.get(page_url(world, year=None)).get_data(as_text=True)
    assert "Säsongsavstämning 2026" in page and "10 000,00 kr" in page
    assert "preliminärt förslag, inte sparat" in page and "Beräkna på nytt" in page
    assert "Godkänn" not in page  # nothing stored yet to decide on
    response = compute(client, world)
    assert response.status_code == 302
    assert stored(world).total_ore == 1_000_000 and stored(world).status == "proposed"
    page = client.get(page_url(world)).get_data(as_text=True)
    assert "Förslag" in page and "Godkänn" in page and "Underkänn" in page
    response = client.submit(page_url(world, suffix="/approve"), {"approve_reason": "Dagboken stämmer"},
                             page=page_url(world))
    assert response.status_code == 302
    page = client.get(page_url(world)).get_data(as_text=True)
    assert "Godkänd" in page and "Gun Granskare" in page and "Dagboken stämmer" in page
    assert "godkänd och låst" in page and "Beräkna på nytt" not in page
    event = db.session.scalars(select(AuditEvent).filter_by(object_type="Settlement").order_by(AuditEvent.id)).all()
    assert [e.action for e in event] == ["create", "update"] and event[1].actor_id == world.reviewer.id


def test_deductions_show_in_the_breakdown(client, world):
    world.agreement_a.deduction_per_missed_ore = 10_050
    db.session.commit()
    regenerate([world.task_a], today=date(2026, 1, 1), until=date(2026, 12, 31))
    login(client, "admin@home.example")
    compute(client, world)
    settlement = stored(world)
    missed = settlement.breakdown["counts"]["missed"]
    assert missed > 0 and settlement.deductions_ore == missed * 10_050
    page = client.get(page_url(world)).get_data(as_text=True)
    assert "Avdrag för missade tillfällen" in page and "100,50 kr" in page


def test_approved_settlement_is_locked(client, world):
    login(client, "granskare@home.example")
    compute(client, world)
    client.submit(page_url(world, suffix="/approve"), {}, page=page_url(world))
    response = compute(client, world)
    assert response.status_code == 302
    assert "Säsongsavstämningen är godkänd och låst" in client.get(page_url(world)).get_data(as_text=True)
    response = client.submit(page_url(world, suffix="/reject"), {"reason": "Fel"}, page=page_url(world))
    assert response.status_code == 200 and "godkänd och låst" in response.get_data(as_text=True)
    assert stored(world).status == "approved"


def test_reject_needs_a_reason_and_shows_it(client, world):
    login(client, "granskare@home.example")
    compute(client, world)
    response = client.submit(page_url(world, suffix="/reject"), {"reason": " "}, page=page_url(world))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Ange varför avstämningen underkänns." in page
    assert 'aria-invalid="true"' in page and stored(world).status == "proposed"
    response = client.submit(page_url(world, suffix="/reject"), {"reason": "Foton saknas"}, page=page_url(world))
    assert response.status_code == 302
    page = client.get(page_url(world)).get_data(as_text=True)
    assert "Underkänd" in page and "Foton saknas" in page
    assert client.get(page_url(world, suffix=".csv")).status_code == 404  # a rejected settlement is no basis


def test_too_long_reason_is_refused(client, world):
    login(client, "granskare@home.example")
    compute(client, world)
    response = client.submit(page_url(world, suffix="/reject"), {"reason": "x" * 2001}, page=page_url(world))
    assert response.status_code == 200 and 'aria-invalid="true"' in response.get_data(as_text=True)
    assert stored(world).status == "proposed"


def test_exports_parse_back(client, world):
    world.agreement_a.compensation_amount = Decimal("12345.50")
    world.agreement_a.title = "Avtal A 2025–2027 ✓ ő"  # outside latin-1: folded in the PDF
    db.session.commit()
    login(client, "granskare@home.example")
    for suffix in (".csv", ".xlsx", ".pdf"):
        assert client.get(page_url(world, suffix=suffix)).status_code == 404  # nothing computed yet
    compute(client, world)

    response = client.get(page_url(world, suffix=".csv"))
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Underlag för utbetalning"] and ["Status: Förslag"] in rows
    assert ["Att betala", "", "", "12345,50"] in rows
    assert ["Fast ersättning per år", "1", "12345,50", "12345,50"] in rows

    client.submit(page_url(world, suffix="/approve"), {}, page=page_url(world))
    response = client.get(page_url(world, suffix=".xlsx"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Underlag för utbetalning" and ["Status: Godkänd"] == [values[3][0]]
    total = next(row for row in values if row[0] == "Att betala")
    assert total[3] == 12345.5
    total_cell = next(row for row in sheet.iter_rows() if row[0].value == "Att betala")[3]
    assert "kr" in total_cell.number_format

    response = client.get(page_url(world, suffix=".pdf"))
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    assert response.data.rstrip().endswith(b"%%EOF")


def test_association_reads_its_own_without_actions(app, client, world):
    compute(signed_in(app, "admin@home.example"), world)
    login(client, "samordnare@a.example")
    response = client.get(page_url(world))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "10 000,00 kr" in page
    assert "Beräkna på nytt" not in page and "Godkänn" not in page
    assert client.get(page_url(world, suffix=".pdf")).status_code == 200


@pytest.mark.parametrize("email", ["samordnare@a.example", "medlem@a.example"])
def test_association_cannot_post(app, client, world, email):
    login(client, email)
    assert compute(client, world).status_code == 403
    assert stored(world) is None
    compute(signed_in(app, "granskare@home.example"), world)
    for action, data in (("/compute", {}), ("/approve", {}), ("/reject", {"reason": "Nej"})):
        assert client.submit(page_url(world, suffix=action), data, page=page_url(world)).status_code == 403
    assert stored(world).status == "proposed"


@pytest.mark.parametrize("email", ["samordnare@b.example", "admin@other.example"])
def test_other_association_and_municipality_get_404(app, client, world, email):
    compute(signed_in(app, "granskare@home.example"), world)
    login(client, email)
    for suffix in ("", ".csv", ".xlsx", ".pdf"):
        assert client.get(page_url(world, suffix=suffix)).status_code == 404
    response = client.post(page_url(world, suffix="/approve"), data={"csrf_token": client.csrf_token("/profile")})
    assert response.status_code == 404


@pytest.mark.parametrize("year", ["2031", "20x6", "1999"])
def test_a_year_outside_the_agreement_is_404(client, world, year):
    login(client, "granskare@home.example")
    assert client.get(f"/settlements/agreements/{world.agreement_a.id}?year={year}").status_code == 404


def test_signed_out_is_sent_to_login(client, world):
    response = client.get(page_url(world))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- the deduction rules on the agreement form ------------------------------------------------------------------


def edit_values(client, world) -> dict:
    from tests.web.test_admin_agreements import form_values

    return form_values(client.get(f"/admin/agreements/{world.agreement_a.id}/edit").get_data(as_text=True))


def test_admin_sets_the_deduction_rules_in_kronor_stored_in_ore(client, world):
    login(client, "admin@home.example")
    url = f"/admin/agreements/{world.agreement_a.id}/edit"
    values = edit_values(client, world)
    assert values["deduction_per_missed"] == ["0"] and values["deduction_per_open_deviation"] == ["0"]
    values.update(deduction_per_missed=["100,50"], deduction_per_open_deviation=["1 000"])
    assert client.submit(url, values).status_code == 302
    db.session.expire_all()
    agreement = world.agreement_a
    assert (agreement.deduction_per_missed_ore, agreement.deduction_per_open_deviation_ore) == (10_050, 100_000)
    event = db.session.scalar(select(AuditEvent).filter_by(object_type="Agreement", action="update"))
    assert event.changes == {"deduction_per_missed_ore": ["0", "10050"],
                             "deduction_per_open_deviation_ore": ["0", "100000"]}
    assert edit_values(client, world)["deduction_per_missed"] == ["100,5"]


@pytest.mark.parametrize("field, typed, message", [
    ("deduction_per_missed", "-5", "Beloppet kan inte vara negativt."),
    ("deduction_per_open_deviation", "-0,01", "Beloppet kan inte vara negativt."),
    ("deduction_per_missed", "femtio", "Ange beloppet i kronor, t.ex. 10000 eller 0,28."),
])
def test_a_bad_deduction_is_refused_on_its_field(client, world, field, typed, message):
    from tests.web.test_admin_agreements import error_of

    login(client, "admin@home.example")
    values = edit_values(client, world)
    values[field] = [typed]
    response = client.submit(f"/admin/agreements/{world.agreement_a.id}/edit", values)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and error_of(page, field) == message and f'value="{typed}"' in page
    db.session.expire_all()
    assert world.agreement_a.deduction_per_missed_ore == world.agreement_a.deduction_per_open_deviation_ore == 0


def test_the_agreement_pages_link_to_the_settlement(app, client, world):
    link = f'href="/settlements/agreements/{world.agreement_a.id}"'
    login(client, "admin@home.example")
    assert link in client.get(f"/admin/agreements/{world.agreement_a.id}").get_data(as_text=True)
    association = signed_in(app, "samordnare@a.example")
    page = association.get(f"/association/{world.a.id}/agreements/{world.agreement_a.id}").get_data(as_text=True)
    assert link in page
