"""Take the README's screenshots: serve the demo on 127.0.0.1 and photograph the main pages in Chromium.

Usage: .venv/bin/python scripts/screenshots.py   (needs Debian's /usr/bin/chromium; nothing leaves 127.0.0.1 —
map tiles are blocked, so the maps show the drawing canvas without the background map.)
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
PORT = 5077
BASE = f"http://127.0.0.1:{PORT}"
PASSWORD = "skotsel-demo-2026"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def serve(instance: str) -> subprocess.Popen:
    env = {**os.environ, "SKOTSEL_INSTANCE_PATH": instance}
    env.pop("SKOTSEL_DATABASE_URL", None)
    flask = [sys.executable, "-m", "flask", "--app", "skotsel"]
    subprocess.run([*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run([*flask, "demo-data"], env=env, cwd=ROOT, check=True, capture_output=True)
    server = subprocess.Popen([*flask, "run", "--host", "127.0.0.1", "--port", str(PORT)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{BASE}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the app did not start")


def login(page, email: str) -> None:
    page.goto(f"{BASE}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def shoot(page, path: str, name: str, *, full_page: bool = True) -> None:
    page.goto(f"{BASE}{path}")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=full_page)
    print(f"docs/screenshots/{name}.png  ←  {path}")


def first_link(page, path: str, selector: str) -> str:
    page.goto(f"{BASE}{path}")
    return page.locator(selector).first.get_attribute("href")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as instance:
        server = serve(instance)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                desktop = browser.new_context(viewport={"width": 1280, "height": 800}, locale="sv-SE")
                phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                            is_mobile=True, has_touch=True, locale="sv-SE")
                for context in (desktop, phone):
                    context.route("**/*", lambda route: route.continue_()
                                  if route.request.url.startswith(BASE) else route.abort())
                page = desktop.new_page()
                login(page, "admin@almhult.example")
                agreement = first_link(page, "/admin/agreements", "main table a:has-text('Hallaryd')")
                shoot(page, agreement, "agreement-desktop")
                task_form = first_link(page, agreement, "a[href*='/tasks/new']")
                shoot(page, task_form, "agreed-task-form-desktop")
                site = first_link(page, "/admin/sites", "main table a[href*='/admin/sites/']")
                shoot(page, f"{site}/edit", "site-form-desktop")
                shoot(page, "/admin/sites", "sites-desktop")
                schedule = first_link(page, agreement, "a[href*='/schedule/agreements/']")
                shoot(page, f"{schedule}/month?month=2026-06", "schedule-month-desktop")
                occurrence = first_link(page, f"{schedule}?year=2026&status=missed",
                                        "main a[href*='/schedule/occurrences/']")
                shoot(page, occurrence, "occurrence-desktop")
                reviewer = browser.new_context(viewport={"width": 1280, "height": 800}, locale="sv-SE")
                reviewer.route("**/*", lambda route: route.continue_()
                               if route.request.url.startswith(BASE) else route.abort())
                review_page = reviewer.new_page()
                login(review_page, "granskare@almhult.example")
                shoot(review_page, "/review/", "review-desktop", full_page=False)
                settlement = first_link(review_page, agreement, "a[href*='/settlements/']")
                shoot(review_page, f"{settlement.split('?')[0]}?year=2025", "settlement-desktop", full_page=False)
                mobile = phone.new_page()
                login(mobile, "samordnare@hallaryd.example")
                shoot(mobile, "/association/", "association-phone")
                members = first_link(mobile, "/association/", "a[href$='/members']")
                shoot(mobile, members, "members-phone")
                mobile_agreement = first_link(mobile, "/association/", "a[href*='/agreements/']")
                mobile_schedule = first_link(mobile, mobile_agreement, "a[href*='/schedule/agreements/']")
                shoot(mobile, mobile_schedule, "schedule-phone", full_page=False)  # a year is long: the first screen
                shoot(mobile, "/workspace/", "workspace-phone", full_page=False)
                log_form = first_link(mobile, "/workspace/", "a[href*='/log']")
                shoot(mobile, log_form, "log-form-phone")
                mobile.goto(f"{BASE}/calendar/")
                mobile.click("form[action$='/calendar/new'] button[type=submit]")  # the personal calendar is preselected
                mobile.wait_for_load_state("networkidle")
                mobile.screenshot(path=str(OUT / "calendar-link-phone.png"), full_page=True)
                print("docs/screenshots/calendar-link-phone.png  ←  /calendar/new")
                dagbok = first_link(mobile, mobile_agreement, "a[href*='/dagbok/']")
                shoot(page, dagbok, "dagbok-desktop", full_page=False)
                browser.close()
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
