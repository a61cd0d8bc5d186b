"""The municipality's follow-up in a real browser, page by page with axe-core (WCAG 2.1 AA): a reviewer's inspection
raises a deviation, the association's coordinator marks it fixed and the reviewer verifies it; a resident reports a
problem on a site's public page from a phone and the coordinator and the reviewer both see the report. Every status
shows as a word, never by colour alone, and the pages switch to English and back with the header's language control.
"""
import re
from datetime import date

import pytest
from playwright.sync_api import expect

from skotsel.extensions import db
from skotsel.models import Deviation
from skotsel.services.schedule import regenerate
from tests.browser.conftest import log_in
from tests.browser.journeys import check_page, switch_language

TODAY = "2026-06-10"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def planned(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", TODAY)
    regenerate([world.task_a, world.task_b], today=date.fromisoformat(TODAY))
    return world


def deviation_of(site_id: int) -> Deviation:
    db.session.expire_all()
    return db.session.scalar(db.select(Deviation).where(Deviation.site_id == site_id))


def test_an_inspection_remark_is_fixed_by_the_association_and_verified(open_page, planned):
    world = planned
    reviewer = open_page()
    log_in(reviewer, "granskare@home.example")
    reviewer.goto("/review/")
    reviewer.wait_for_selector(".review-map .leaflet-container")
    expect(reviewer.locator(".review-marker", has_text="Park A")).to_have_count(1)  # the marker says its status
    check_page(reviewer, "dashboard")
    switch_language(reviewer, "dashboard", "Follow-up", "Uppföljning")

    # The reviewer inspects agreement A: a remark on Park A.
    reviewer.goto(f"/followup/agreements/{world.agreement_a.id}/inspections/new")
    check_page(reviewer, "inspection-form")
    switch_language(reviewer, "inspection-form", "New inspection", "Ny besiktning")
    site = reviewer.get_by_role("group", name="Park A")
    site.get_by_role("radio", name="Anmärkning").check()
    site.get_by_label("Anteckningar").fill("Gräset är för högt vid lekplatsen.")
    site.get_by_label("Åtgärdas senast").fill("2026-06-20")
    reviewer.get_by_role("button", name="Spara besiktningen").click()
    reviewer.wait_for_url(re.compile(r"/followup/inspections/\d+$"))
    expect(reviewer.get_by_text("1 avvikelse skickades till föreningen")).to_be_visible()
    row = reviewer.get_by_role("row", name=re.compile("Park A"))
    expect(row).to_contain_text("Anmärkning")
    expect(row).to_contain_text("Öppen")
    check_page(reviewer, "inspection")
    switch_language(reviewer, "inspection", "Inspection", "Besiktning")
    deviation = deviation_of(world.site_a.id)
    assert deviation.status == "open" and deviation.source == "inspection"
    assert deviation.fix_by_on == date(2026, 6, 20)

    # The coordinator of A finds it in the workspace and marks it fixed.
    coordinator = open_page()
    log_in(coordinator, "samordnare@a.example")
    coordinator.goto("/workspace/")
    card = coordinator.locator(".deviation-card", has_text="Gräset är för högt")
    expect(card).to_contain_text("Öppen")
    check_page(coordinator, "workspace-deviation")
    card.get_by_role("link", name=re.compile("Markera som åtgärdad")).click()
    coordinator.wait_for_url(f"**/workspace/deviations/{deviation.id}/fix")
    check_page(coordinator, "deviation-fix")
    coordinator.get_by_label("Vad har gjorts?").fill("Klippt hela ytan.")
    coordinator.get_by_role("button", name="Markera som åtgärdad").click()
    coordinator.wait_for_url(re.compile(r"/workspace/$"))
    expect(coordinator.get_by_text("Avvikelsen är markerad som åtgärdad. Kommunen kontrollerar den.")).to_be_visible()
    expect(coordinator.locator(".deviation-card", has_text="Gräset är för högt")).to_have_count(0)
    assert deviation_of(world.site_a.id).status == "fixed"

    # The reviewer sees it fixed and verifies it.
    reviewer.goto("/followup/deviations")
    row = reviewer.get_by_role("row", name=re.compile("Park A"))
    expect(row).to_contain_text("Åtgärdad")
    check_page(reviewer, "deviations")
    switch_language(reviewer, "deviations", "Fixed", "Åtgärdad")
    row.get_by_role("link", name="Åtgärdad").click()
    reviewer.wait_for_url(f"**/followup/deviations/{deviation.id}")
    expect(reviewer.locator("dl.facts")).to_contain_text("Klippt hela ytan.")
    check_page(reviewer, "deviation")
    switch_language(reviewer, "deviation", "Deviation", "Avvikelse")
    reviewer.get_by_role("button", name="Verifiera").click()
    expect(reviewer.get_by_text("Avvikelsen är verifierad och stängd.")).to_be_visible()
    expect(reviewer.locator("dl.facts .badge")).to_have_text("Verifierad")
    check_page(reviewer, "deviation-verified")
    verified = deviation_of(world.site_a.id)
    assert verified.status == "verified" and verified.verified_by_id == world.reviewer.id


def test_a_residents_report_reaches_the_association_and_the_reviewer(open_page, planned):
    world = planned
    resident = open_page()
    resident.set_viewport_size(PHONE)
    resident.goto(f"/s/{world.site_a.id}")
    check_page(resident, "site-page")
    switch_language(resident, "site-page", "Problem report", "Felanmälan")
    form = resident.locator("form.report-form")
    form.get_by_label("Vad gäller det?").select_option(label="Trasig utrustning")
    form.get_by_label("Beskriv vad som behöver åtgärdas").fill("Gungan vid sandlådan har en trasig kedja.")
    form.get_by_role("button", name="Skicka felanmälan").click()
    resident.wait_for_url(f"**/s/{world.site_a.id}#felanmalan")
    report = deviation_of(world.site_a.id)
    assert report is not None and report.source == "report" and report.status == "open"
    assert report.agreement_id == world.agreement_a.id
    expect(resident.get_by_text(f"Tack! Din felanmälan är mottagen. Referensnummer: F-{report.id}.")).to_be_visible()
    check_page(resident, "report-received")

    coordinator = open_page()
    log_in(coordinator, "samordnare@a.example")
    coordinator.goto("/workspace/")
    card = coordinator.locator(".deviation-card", has_text="Gungan vid sandlådan")
    expect(card).to_contain_text("Park A")
    expect(card).to_contain_text("Öppen")
    check_page(coordinator, "workspace-report")

    reviewer = open_page()
    log_in(reviewer, "granskare@home.example")
    reviewer.goto("/followup/deviations?status=open")
    row = reviewer.get_by_role("row", name=re.compile("Felanmälan"))
    expect(row).to_contain_text("Park A")
    expect(row).to_contain_text("Öppen")
    expect(row).to_contain_text("Hallaryds sockenråd")
    check_page(reviewer, "deviations-open")
    row.get_by_role("link", name="Öppen").click()
    reviewer.wait_for_url(f"**/followup/deviations/{report.id}")
    expect(reviewer.locator("dl.facts")).to_contain_text("Gungan vid sandlådan har en trasig kedja.")
    expect(reviewer.locator("dl.facts")).to_contain_text("Felanmälan")
    check_page(reviewer, "deviation-report")
