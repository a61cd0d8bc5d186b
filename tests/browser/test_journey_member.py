"""A member's journeys in a real browser, with axe-core on every page they visit (tests/browser/journeys.py):
logging work on a phone (a wrong value first, then with a photo), the same with the keyboard alone (focus always
visible, status never by colour alone), subscribing to the calendar and finding the logged work in the feed, and
switching every page to English and back."""
from __future__ import annotations

import io
import re
from datetime import date
from urllib.parse import urlsplit

import pytest
from icalendar import Calendar
from PIL import Image
from playwright.sync_api import expect

from skotsel.extensions import db
from skotsel.models import Completion, Photo
from skotsel.services.schedule import regenerate
from tests.browser.journeys import check_page, switch_language
from tests.conftest import PASSWORD

PHONE = {"width": 390, "height": 844}
TODAY = "2026-06-10"
MEMBER = "medlem@a.example"
#: How many Tab presses may pass before the element looked for has focus.
MAX_TABS = 80


@pytest.fixture
def planned(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", TODAY)
    # As in production the links the pages show are https ones on the public address, not the test server's.
    monkeypatch.setitem(app.config, "BASE_URL", "https://skotsel.example")
    regenerate([world.task_a], today=date.fromisoformat(TODAY))
    return world


def photo(name: str = "gräsmatta.png") -> dict:
    """A small real image, as a phone's camera would give one (only smaller)."""
    image = Image.new("RGB", (64, 48), (60, 140, 60))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return {"name": name, "mimeType": "image/png", "buffer": buffer.getvalue()}


# --- a: logging work on a phone ---------------------------------------------------------------------------------


def test_a_member_logs_work_with_a_photo_on_a_phone(page, planned):
    page.set_viewport_size(PHONE)
    page.goto("/login")
    check_page(page, "login")
    switch_language(page, "login", "Sign in", "Logga in")
    page.fill('input[name="email"]', MEMBER)
    page.fill('input[name="password"]', PASSWORD)
    page.get_by_role("button", name="Logga in", exact=True).click()
    page.wait_for_url(lambda url: "/login" not in url)
    check_page(page, "association")  # where signing in lands: the member's association

    page.get_by_role("navigation").get_by_role("link", name="Mina uppgifter").click()
    page.wait_for_url(re.compile(r"/workspace/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina uppgifter")
    check_page(page, "workspace")
    switch_language(page, "workspace", "My tasks", "Mina uppgifter")

    page.locator("section[aria-labelledby=due-heading] a", has_text="Mer").first.click()
    page.wait_for_url(re.compile(r"/workspace/occurrences/\d+/log$"))
    occurrence_id = int(re.search(r"/occurrences/(\d+)/log", page.url).group(1))
    check_page(page, "log-form")
    switch_language(page, "log-form", "Hours", "Timmar")

    # A wrong value: the form comes back with the reason, tied to the field for a screen reader.
    page.get_by_label("Timmar").fill("en timme")
    with page.expect_navigation():
        page.get_by_role("button", name="Spara").click()
    hours = page.get_by_label("Timmar")
    expect(hours).to_have_attribute("aria-invalid", "true")
    described = (hours.get_attribute("aria-describedby") or "").split()
    assert described, "the hours field is not described by its error"
    messages = " ".join(page.locator(f"[id='{element_id}']").inner_text() for element_id in described)
    assert "Ange antal timmar som ett tal" in messages
    check_page(page, "log-form-error")

    hours.fill("1,5")
    page.get_by_label("Bilder").set_input_files(photo())
    page.get_by_role("button", name="Spara").click()
    page.wait_for_url(re.compile(r"/workspace/(#.*)?$"))
    expect(page.locator(".flash-success")).to_contain_text("rapporterat")
    check_page(page, "workspace-logged")
    switch_language(page, "workspace-logged", "Recently logged", "Senast rapporterat")

    completion = db.session.scalar(db.select(Completion).where(Completion.occurrence_id == occurrence_id))
    assert completion is not None and float(completion.hours) == 1.5
    assert db.session.scalar(db.select(db.func.count(Photo.id)).where(Photo.completion_id == completion.id)) == 1

    # The occurrence now says it is done, in words.
    page.goto(f"/workspace/occurrences/{occurrence_id}/log")
    expect(page.locator("main .badge.status")).to_contain_text("Utförd")
    check_page(page, "log-done")
    switch_language(page, "log-done", "Done", "Utförd")


# --- a, keyboard: the same without a mouse ----------------------------------------------------------------------


def focus_state(page) -> dict:
    """What has focus now, and whether a sighted keyboard user can see it."""
    return page.evaluate("""() => {
        const el = document.activeElement;
        const style = getComputedStyle(el);
        const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
        const shadow = style.boxShadow && style.boxShadow !== 'none';
        return {tag: el.tagName.toLowerCase(), text: (el.innerText || el.value || el.name || '').trim().slice(0, 60),
                html: el.outerHTML.slice(0, 100), visible: Boolean(outline || shadow),
                body: el === document.body};
    }""")


def tab_to(page, selector: str, *, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the element matching `selector` has focus, checking on the way that every
    element that gets focus shows it."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(MAX_TABS):
        page.keyboard.press(key)
        state = focus_state(page)
        if state["body"]:
            continue
        assert state["visible"], f"focus is not visible on {state['html']} ({page.url})"
        if page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
            return
    raise AssertionError(f"{selector} not reached with {key} on {page.url}")


def test_a_member_logs_work_with_the_keyboard_alone(page, planned):
    page.goto("/login")
    check_page(page, "login")
    tab_to(page, 'input[name="email"]')
    page.keyboard.type(MEMBER)
    tab_to(page, 'input[name="password"]')
    page.keyboard.type(PASSWORD)
    tab_to(page, 'main button[type="submit"]')
    tab_to(page, 'input[name="password"]', backwards=True)  # back again, as someone checking what they typed
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)
    check_page(page, "association")

    tab_to(page, 'header a[href="/workspace/"]')
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/workspace/$"))
    check_page(page, "workspace")

    tab_to(page, 'section[aria-labelledby=due-heading] a[href$="/log"]')
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/workspace/occurrences/\d+/log$"))
    occurrence_id = int(re.search(r"/occurrences/(\d+)/log", page.url).group(1))
    check_page(page, "log-form")

    tab_to(page, 'input[name="hours"]')
    page.keyboard.type("2")
    tab_to(page, 'input[name="photos"]')
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(photo())
    tab_to(page, 'main button[type="submit"]')
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/workspace/(#.*)?$"))
    expect(page.locator(".flash-success")).to_contain_text("rapporterat")
    check_page(page, "workspace-logged")
    assert page.locator(f'a[href$="/occurrences/{occurrence_id}/log"]').count() == 0  # no longer to do

    completion = db.session.scalar(db.select(Completion).where(Completion.occurrence_id == occurrence_id))
    assert completion is not None and float(completion.hours) == 2
    assert db.session.scalar(db.select(db.func.count(Photo.id)).where(Photo.completion_id == completion.id)) == 1


# --- c: the calendar feed ---------------------------------------------------------------------------------------


def test_c_a_member_finds_logged_work_in_the_calendar_feed(page, planned, live_server):
    page.set_viewport_size(PHONE)
    page.goto("/login")
    page.fill('input[name="email"]', MEMBER)
    page.fill('input[name="password"]', PASSWORD)
    page.get_by_role("button", name="Logga in", exact=True).click()
    page.wait_for_url(lambda url: "/login" not in url)

    # Earlier: one tap on "Klart" for the first occurrence to do.
    page.goto("/workspace/")
    done_form = page.locator("section[aria-labelledby=due-heading] form").first
    occurrence_id = int(re.search(r"/occurrences/(\d+)/done", done_form.get_attribute("action")).group(1))
    done_form.get_by_role("button").click()
    page.wait_for_url(re.compile(r"/workspace/(#.*)?$"))
    expect(page.locator(".flash-success")).to_contain_text("rapporterat")

    page.get_by_role("link", name="Prenumerera på kalendern").click()
    page.wait_for_url(re.compile(r"/calendar/$"))
    check_page(page, "calendar")
    switch_language(page, "calendar", "Subscribe to the calendar", "Prenumerera på kalendern")

    expect(page.get_by_label("Personlig: allt i mina föreningar")).to_be_checked()
    page.get_by_role("button", name="Skapa länk").click()
    page.wait_for_url(re.compile(r"/calendar/new$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Din kalenderlänk")
    check_page(page, "calendar-link")

    feed_url = page.get_by_label("Länk att kopiera (https)").input_value()
    assert feed_url.startswith("https://skotsel.example/feeds/") and feed_url.endswith(".ics")
    response = page.request.get(live_server.url + urlsplit(feed_url).path)
    assert response.ok and response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.body())
    events = [event for event in calendar.walk("VEVENT")
              if str(event.get("url", "")).endswith(f"/occurrences/{occurrence_id}")]
    assert len(events) == 1, f"no event for occurrence {occurrence_id} in the feed"
    summary = str(events[0]["summary"])
    first_line = str(events[0]["description"]).splitlines()[0]
    assert "Utförd" in summary and "Utförd" in first_line, (summary, first_line)

    # The list of links now shows the new one.
    page.goto("/calendar/")
    expect(page.locator("table")).to_contain_text("Personlig kalender")
    check_page(page, "calendar-links")
    switch_language(page, "calendar-links", "Your calendar links", "Dina kalenderlänkar")
