"""The site map (site_map.js) in a real browser: placing a point, drawing an area, clearing, saving, showing an
existing site's shape and redrawing when the GeoJSON is typed; and the same form without scripts. Map tiles are
blocked, so these also show the map works as a drawing canvas without them."""
import json
import re

import pytest
from playwright.sync_api import expect

from skotsel.extensions import db
from skotsel.models import Site
from tests.browser.conftest import log_in

NEW = "/admin/sites/new"
#: Sweden's land and sea area, rounded outwards to a tenth of a degree.
SWEDEN_LAT, SWEDEN_LON = (55.3, 69.1), (10.9, 24.2)
SQUARE = [[14.15, 56.58], [14.151, 56.58], [14.151, 56.581], [14.15, 56.581], [14.15, 56.58]]
KIRUNA = [20.2253, 67.8558]


def in_sweden(lon: float, lat: float) -> bool:
    return SWEDEN_LAT[0] <= lat <= SWEDEN_LAT[1] and SWEDEN_LON[0] <= lon <= SWEDEN_LON[1]


def geometry_in(page) -> dict | None:
    text = page.input_value("#geometry")
    return json.loads(text) if text else None


def settle(page) -> None:
    """Wait until the map is made and a zoom or pan it started (fitting the site into view) has ended."""
    page.wait_for_selector(".leaflet-container")
    # Leaflet starts an animated zoom on the next animation frame; after two, it is running if there is one.
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    page.wait_for_function("() => !document.querySelector('.leaflet-zoom-anim, .leaflet-pan-anim')")


def click_map(page, dx: float, dy: float) -> None:
    """Click the map `dx`, `dy` pixels from its centre."""
    box = page.locator(".leaflet-container").bounding_box()
    page.locator(".leaflet-container").click(position={"x": box["width"] / 2 + dx, "y": box["height"] / 2 + dy})


def draw_area(page) -> None:
    """"Rita område", four corners around the centre of the map (so the area stays a simple one even if the map
    is still zooming between clicks), then "Klar"."""
    page.get_by_role("button", name="Rita område").click()
    finish = page.get_by_role("button", name="Klar", exact=True)
    for n, (dx, dy) in enumerate([(-150, -80), (150, -80), (150, 80), (-150, 80)]):
        if n < 3:
            expect(finish).to_be_disabled()
        click_map(page, dx, dy)
    expect(finish).to_be_enabled()
    finish.click()


def open_form(page, url: str) -> None:
    log_in(page, "admin@home.example")
    page.goto(url)
    settle(page)


def saved(page, name: str) -> Site:
    """Press Spara, wait for the site's page, and read the saved row."""
    page.get_by_role("button", name="Spara", exact=True).click()
    page.wait_for_url(re.compile(r"/admin/sites/\d+$"))
    expect(page.get_by_text(f"Skötselobjektet {name} är sparat.")).to_be_visible()
    db.session.expire_all()
    return db.session.scalar(db.select(Site).filter_by(name=name))


def test_a_click_in_point_mode_writes_a_point_in_sweden_without_tiles(page, world, make):
    make.village(world.home, "Virestad", lat=56.68, lon=14.42)
    open_form(page, NEW)
    expect(page.get_by_text("Kartbilderna kunde inte laddas.")).to_be_visible()
    expect(page.get_by_role("button", name="Placera punkt")).to_have_attribute("aria-pressed", "true")
    assert page.input_value("#geometry") == ""
    # Choosing the village takes the map there; a click in its middle lands on the village.
    page.select_option("#village_id", str(world.village.id))
    settle(page)
    click_map(page, 0, 0)
    first = geometry_in(page)
    assert first["type"] == "Point" and in_sweden(*first["coordinates"])
    assert first["coordinates"] == [pytest.approx(14.1, abs=2e-3), pytest.approx(56.5, abs=2e-3)]
    click_map(page, 100, 50)
    second = geometry_in(page)
    assert second["type"] == "Point" and in_sweden(*second["coordinates"])
    assert second["coordinates"][0] > first["coordinates"][0] and second["coordinates"][1] < first["coordinates"][1]
    expect(page.locator("img.leaflet-marker-icon")).to_have_count(1)  # moved, not added


def test_drawing_an_area_writes_a_closed_polygon_and_rensa_empties_it(page, world):
    open_form(page, NEW)
    draw_area(page)
    expect(page.get_by_role("button", name="Rita område")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_text("Området är klart.")).to_be_visible()
    geometry = geometry_in(page)
    assert geometry["type"] == "Polygon" and len(geometry["coordinates"]) == 1
    ring = geometry["coordinates"][0]
    assert len(ring) == 5 and ring[0] == ring[-1] and len({tuple(p) for p in ring}) == 4
    assert all(in_sweden(lon, lat) for lon, lat in ring)
    expect(page.locator(".site-map-corner")).to_have_count(4)
    expect(page.locator(".leaflet-overlay-pane path")).to_have_count(1)

    page.get_by_role("button", name="Rensa").click()
    assert page.input_value("#geometry") == ""
    expect(page.locator(".site-map-corner")).to_have_count(0)
    expect(page.locator(".leaflet-overlay-pane path")).to_have_count(0)


def test_klar_stays_disabled_until_the_area_has_three_corners(page, world):
    open_form(page, NEW)
    area = page.get_by_role("button", name="Rita område")
    finish = page.get_by_role("button", name="Klar", exact=True)
    area.click()
    click_map(page, -100, -50)
    click_map(page, 100, -50)
    area.click()  # pressing the mode again goes on drawing the same area
    expect(finish).to_be_disabled()
    expect(page.get_by_text("Klicka ut områdets hörn.")).to_be_visible()
    click_map(page, 0, 80)
    expect(finish).to_be_enabled()
    finish.click()
    assert geometry_in(page)["type"] == "Polygon"
    expect(finish).to_be_disabled()


def test_a_point_placed_on_the_map_is_saved_with_the_new_site(page, world):
    open_form(page, NEW)
    page.fill("#name", "Möckelns badplats")
    page.select_option("#kind", "beach")
    click_map(page, 40, -30)
    written = geometry_in(page)
    site = saved(page, "Möckelns badplats")
    assert site.geometry["type"] == "Point"
    assert site.geometry["coordinates"] == [pytest.approx(c, abs=1e-7) for c in written["coordinates"]]
    assert in_sweden(site.lon, site.lat) and (site.lon, site.lat) == pytest.approx(tuple(written["coordinates"]))


def test_an_existing_point_shows_and_an_area_drawn_over_it_is_saved(page, world):
    open_form(page, f"/admin/sites/{world.site_a.id}/edit")
    assert geometry_in(page) == {"type": "Point", "coordinates": [14.13, 56.55]}
    expect(page.locator("img.leaflet-marker-icon")).to_have_count(1)
    draw_area(page)
    expect(page.locator("img.leaflet-marker-icon")).to_have_count(0)
    site = saved(page, "Park A")
    assert site.id == world.site_a.id and site.geometry["type"] == "Polygon"
    ring = site.geometry["coordinates"][0]
    assert len(ring) == 5 and ring[0] == ring[-1]
    assert in_sweden(site.lon, site.lat) and all(in_sweden(lon, lat) for lon, lat in ring)
    # The area lies around the old point: the map opened on it.
    assert (site.lon, site.lat) == (pytest.approx(14.13, abs=0.01), pytest.approx(56.55, abs=0.01))


def test_an_existing_area_shows_and_typing_geojson_redraws_the_map(page, world):
    world.site_a.geometry = {"type": "Polygon", "coordinates": [SQUARE]}
    db.session.commit()
    open_form(page, f"/admin/sites/{world.site_a.id}/edit")
    assert geometry_in(page) == {"type": "Polygon", "coordinates": [SQUARE]}
    expect(page.locator(".leaflet-overlay-pane path")).to_have_count(1)
    expect(page.locator(".site-map-corner")).to_have_count(4)
    expect(page.get_by_text("Området är klart.")).to_be_visible()

    page.fill("#geometry", json.dumps({"type": "Point", "coordinates": KIRUNA}))
    settle(page)
    expect(page.locator(".leaflet-overlay-pane path")).to_have_count(0)
    expect(page.locator(".site-map-corner")).to_have_count(0)
    expect(page.locator("img.leaflet-marker-icon")).to_have_count(1)
    expect(page.get_by_role("button", name="Placera punkt")).to_have_attribute("aria-pressed", "true")
    # The map moved to the typed point: a click just below the marker's tip lands a few metres from it.
    click_map(page, 0, 4)
    lon, lat = geometry_in(page)["coordinates"]
    assert (lon, lat) == (pytest.approx(KIRUNA[0], abs=2e-4), pytest.approx(KIRUNA[1], abs=2e-4))

    page.fill("#geometry", '{"type": "Point", "coordinates": [14.1')
    expect(page.get_by_text("Kartan kan inte visa texten i rutan nedan")).to_be_visible()


def test_without_scripts_the_textarea_alone_registers_a_site(open_page, world):
    page = open_page(javascript=False)
    log_in(page, "admin@home.example")
    page.goto(NEW)
    expect(page.locator("[data-site-map]")).to_be_hidden()
    expect(page.locator("#geometry")).to_be_visible()
    page.fill("#name", "Möckelns badplats")
    page.select_option("#kind", "beach")
    page.fill("#geometry", json.dumps({"type": "Polygon", "coordinates": [SQUARE]}))
    site = saved(page, "Möckelns badplats")
    assert site.geometry == {"type": "Polygon", "coordinates": [SQUARE]}
    assert in_sweden(site.lon, site.lat)
