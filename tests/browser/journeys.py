"""What every browser journey does on each page it visits: an accessibility check with axe-core (WCAG 2.1 A and AA
rules; serious or critical violations fail the journey), and — when asked — a screenshot for the README.

axe-core arrives inside the pinned axe-playwright-python package and is injected into the page through the
browser's devtools connection, so the pages' Content-Security-Policy stays as strict as in production.

    check_page(page, "workspace")                   # axe and statuses in words on what the page shows now
    switch_language(page, "workspace", "My tasks", "Mina uppgifter")   # to English and back, the same page
    SKOTSEL_SCREENSHOTS=1 make test                 # also writes docs/screenshots/journeys/<name>-<phone|desktop>.png
"""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "journeys"
#: The rule sets of WCAG 2.1 level AA (axe's tags), as lagen om tillgänglighet till digital offentlig service asks.
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = ("serious", "critical")

_axe = Axe()


def violations(page) -> list[str]:
    """The serious and critical WCAG 2.1 AA violations on the page as it is now, one line each."""
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA},
                                      "resultTypes": ["violations"]})
    found = []
    for violation in results.response["violations"]:
        if violation.get("impact") not in FAILING_IMPACTS:
            continue
        targets = [" ".join(node["target"]) if isinstance(node["target"], list) else str(node["target"])
                   for node in violation["nodes"]][:3]
        found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} — {targets}")
    return found


def statuses_without_words(page) -> list[str]:
    """Status badges and markers on the page that show no word, only a colour. A dot hidden from screen readers
    counts as worded when the element it sits in says the status."""
    return page.evaluate("""() => [...document.querySelectorAll(
            '.badge, .status-dot, .review-marker, [class*="badge-"], span.status, .status-link')]
        .filter(el => el.getClientRects().length > 0)
        .filter(el => !(el.innerText.trim()
                        || (el.getAttribute('aria-hidden') === 'true' && el.parentElement.innerText.trim())))
        .map(el => el.outerHTML.slice(0, 120))""")


def check_page(page, name: str) -> None:
    """Fail on a serious or critical accessibility violation or a status shown by colour alone; save a screenshot
    when SKOTSEL_SCREENSHOTS=1."""
    page.wait_for_load_state()
    found = violations(page)
    assert not found, f"{name} ({page.url}) has accessibility violations:\n" + "\n".join(found)
    assert statuses_without_words(page) == [], f"{name} shows a status by colour alone"
    if os.environ.get("SKOTSEL_SCREENSHOTS") == "1":
        width = page.viewport_size["width"] if page.viewport_size else 1280
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{'phone' if width < 600 else 'desktop'}.png"),
                        full_page=True)


def switch_language(page, name: str, english: str, swedish: str) -> None:
    """Switch the page to English with the header's control, check it (axe too), and switch back to Swedish: the
    same page each time."""
    path = urlsplit(page.url).path
    with page.expect_navigation():
        page.locator("header").get_by_role("button", name="English", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert urlsplit(page.url).path == path, f"switching {name} to English left the page"
    assert english in page.inner_text("body"), f"{name} in English lacks {english!r}"
    found = violations(page)
    assert not found, f"{name}-en ({page.url}) has accessibility violations:\n" + "\n".join(found)
    with page.expect_navigation():
        page.locator("header").get_by_role("button", name="Svenska", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    assert urlsplit(page.url).path == path, f"switching {name} back to Swedish left the page"
    assert swedish in page.inner_text("body"), f"{name} in Swedish lacks {swedish!r}"
