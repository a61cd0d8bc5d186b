"""An admin's agreement in a real browser, page by page with axe-core (WCAG 2.1 AA): a new agreement, a quota task
("at least 6 times, 10 days apart") whose invalid count is refused with the message tied to its field, the agreement
made active and its schedule generated and listed. Statuses show as words, and the pages switch to English and back
with the header's language control."""
import re
from datetime import date

import pytest
from playwright.sync_api import expect

from skotsel.extensions import db
from skotsel.models import AgreedTask, Agreement, Occurrence
from tests.browser.conftest import log_in
from tests.browser.journeys import check_page, switch_language

TODAY = "2026-06-10"
TITLE = "Skötselavtal Hallaryd 2026–2027"
QUOTA_SENTENCE = "Klippning bruksgräsmatta minst 6 gånger mellan 15 maj och 30 sep, minst 10 dagar isär"


@pytest.fixture
def today(app, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", TODAY)


def test_an_admin_makes_an_agreement_with_a_quota_task_and_its_schedule_appears(page, world, today):
    log_in(page, "admin@home.example")
    page.goto("/admin/agreements/new")
    check_page(page, "agreement-form")
    switch_language(page, "agreement-form", "New agreement", "Nytt avtal")
    page.get_by_label("Avtalets namn").fill(TITLE)
    page.get_by_label("Förening").select_option(label="Hallaryds sockenråd")
    page.get_by_label("Gäller från").fill("2026-01-01")
    page.get_by_label("Gäller till och med").fill("2027-12-31")
    expect(page.get_by_label("Status")).to_have_value("draft")
    page.get_by_label("Belopp i kronor").fill("12 000")
    page.get_by_role("button", name="Spara", exact=True).click()
    page.wait_for_url(re.compile(r"/admin/agreements/\d+$"))
    expect(page.get_by_text(f"Avtalet {TITLE} är sparat.")).to_be_visible()
    expect(page.locator("dl.facts .badge")).to_have_text("Utkast")
    check_page(page, "agreement")
    db.session.expire_all()
    agreement = db.session.scalar(db.select(Agreement).filter_by(title=TITLE))
    assert agreement.status == "draft" and agreement.association_id == world.a.id

    # A quota task: an impossible count first, refused on its field.
    page.get_by_role("link", name="Lägg till skötselmoment", exact=True).click()
    page.wait_for_url(f"**/admin/agreements/{agreement.id}/tasks/new")
    check_page(page, "agreed-task-form")
    switch_language(page, "agreed-task-form", "New agreed task", "Nytt skötselmoment i avtalet")
    page.get_by_label("Skötselobjekt", exact=True).select_option(label="Park A")
    with page.expect_navigation():  # choosing the task type fills in its defaults
        page.get_by_label("Skötselmoment", exact=True).select_option(label="Klippning bruksgräsmatta")
    expect(page.get_by_label("Skötselobjekt", exact=True)).to_have_value(str(world.site_a.id))
    page.get_by_role("radio", name="antal gånger").check()
    page.get_by_label("Minst antal gånger").fill("0")
    page.get_by_label("Minst antal dagar emellan").fill("10")
    page.get_by_role("button", name="Spara", exact=True).click()
    page.wait_for_load_state()
    count = page.get_by_label("Minst antal gånger")
    expect(count).to_have_attribute("aria-invalid", "true")
    described = count.get_attribute("aria-describedby").split()
    message = page.locator("#quota_count-error")
    assert "quota_count-error" in described
    expect(message).to_have_text("Antalet gånger ska vara mellan 1 och 366.")
    expect(message).to_be_visible()
    check_page(page, "agreed-task-error")
    assert db.session.scalar(db.select(db.func.count(AgreedTask.id)).filter_by(agreement_id=agreement.id)) == 0

    count.fill("6")
    page.get_by_role("button", name="Spara", exact=True).click()
    page.wait_for_url(f"**/admin/agreements/{agreement.id}")
    expect(page.get_by_text("Skötselmomentet är sparat.")).to_be_visible()
    expect(page.get_by_text(QUOTA_SENTENCE)).to_be_visible()
    db.session.expire_all()
    task = db.session.scalar(db.select(AgreedTask).filter_by(agreement_id=agreement.id))
    assert (task.quota_count, task.quota_gap_days, task.rrule) == (6, 10, None)

    # A draft is not planned: the admin makes the agreement active, then generates its schedule.
    page.get_by_role("link", name="Ändra avtalet").click()
    page.wait_for_url(f"**/admin/agreements/{agreement.id}/edit")
    check_page(page, "agreement-edit")
    page.get_by_label("Status").select_option(label="Gällande")
    page.get_by_role("button", name="Spara", exact=True).click()
    page.wait_for_url(f"**/admin/agreements/{agreement.id}")
    expect(page.locator("dl.facts .badge")).to_have_text("Gällande")
    page.get_by_role("link", name="Schema", exact=True).click()
    page.wait_for_url(f"**/schedule/agreements/{agreement.id}")
    page.get_by_role("button", name="Generera schema nu").click()
    page.wait_for_url(f"**/schedule/agreements/{agreement.id}")
    expect(page.get_by_text(re.compile("Schemat är genererat: .* för 1 avtalade skötselmoment"))).to_be_visible()
    db.session.expire_all()
    planned = db.session.scalars(db.select(Occurrence).filter_by(agreed_task_id=task.id)
                                 .where(Occurrence.due_on <= date(2026, 12, 31))).all()
    assert planned, "activating and generating planned nothing"
    rows = page.locator("table.schedule-list tbody tr")
    expect(rows).to_have_count(len(planned))  # the suggested dates the quota leaves from today to the season's end
    expect(rows.first).to_contain_text("Klippning bruksgräsmatta")
    expect(rows.first).to_contain_text("Park A")
    first_due = min(occurrence.due_on for occurrence in planned)
    expect(rows.first.locator("time")).to_have_attribute("datetime", first_due.isoformat())
    check_page(page, "schedule")
    switch_language(page, "schedule", "Schedule for", "Schema för")
