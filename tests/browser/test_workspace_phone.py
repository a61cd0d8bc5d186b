"""The association workspace on a 360 px phone in a real browser: no page scrolls sideways, tap targets are at least
44 px, and one tap on "Klart" logs the work once — a second tap on a stale page does not log it again."""
from datetime import date

import pytest

from skotsel.extensions import db
from skotsel.models import Completion
from skotsel.services.schedule import regenerate
from tests.browser.conftest import log_in

PHONE = {"width": 360, "height": 740}
TODAY = "2026-06-10"


@pytest.fixture
def planned(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", TODAY)
    regenerate([world.task_a], today=date.fromisoformat(TODAY))
    return world


def overflow(page) -> int:
    """How many pixels the page is wider than the screen (0 when nothing scrolls sideways)."""
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


def small_targets(page) -> list[str]:
    """Buttons and button-styled links in the main content lower than 44 px."""
    return page.evaluate("""() => [...document.querySelectorAll('main button, main a.button, main input[type=submit]')]
        .filter(el => el.offsetParent !== null && el.getBoundingClientRect().height < 44)
        .map(el => el.outerHTML.slice(0, 80))""")


def test_the_workspace_pages_fit_a_phone_and_klart_logs_once(page, planned):
    world = planned
    page.set_viewport_size(PHONE)
    log_in(page, "medlem@a.example")
    for path in ("/workspace/", f"/s/{world.site_a.id}", f"/schedule/agreements/{world.agreement_a.id}",
                 f"/dagbok/agreements/{world.agreement_a.id}?year=2026", f"/workspace/sites/{world.site_a.id}/log"):
        page.goto(path)
        assert overflow(page) <= 0, f"{path} scrolls sideways on a phone"
        assert small_targets(page) == [], f"{path} has tap targets under 44 px"
    stale = page.context.new_page()  # the same list open in a second tab, as after a bad connection
    stale.goto("/workspace/")
    page.goto("/workspace/")
    page.locator("main button", has_text="Klart").first.click()
    page.wait_for_load_state()
    assert "rapporterat" in page.inner_text("main").lower()
    assert page.locator("main button", has_text="Klart").count() == 0
    stale.locator("main button", has_text="Klart").first.click()  # done already: nothing more is logged
    stale.wait_for_load_state()
    assert "redan rapporterat" in stale.inner_text("main").lower()
    assert db.session.scalar(db.select(db.func.count(Completion.id))) == 1
