"""The subscribe page (/calendar/): a person's calendar links, making, rotating and revoking them, and the "your
link" page with webcal, https, Google and QR links and the notes per client."""
from __future__ import annotations

import html
import re
from datetime import date, datetime, timezone
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from skotsel.extensions import db
from skotsel.models import FeedToken
from skotsel.services import feeds
from skotsel.services.access import Principal
from skotsel.web.feeds import bodies
from tests.conftest import login

BASE = "https://skotsel.example"
FEED_URL = re.compile(r'value="(https://skotsel\.example/feeds/[A-Za-z0-9_-]{43}\.ics)"')


@pytest.fixture(autouse=True)
def fixed_time(app, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", date(2026, 6, 20))
    monkeypatch.setitem(app.config, "NOW", datetime(2026, 6, 20, 10, 0, tzinfo=timezone.utc))
    monkeypatch.setitem(app.config, "BASE_URL", BASE)
    bodies.clear()


def shown_url(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)
    found = FEED_URL.search(response.get_data(as_text=True))
    assert found, "no feed URL on the page"
    return found.group(1)


def fetch(client, url: str):
    assert url.startswith(BASE)
    return client.get(url[len(BASE):])


def create(client, feed: str = "personal", page: str = "/calendar/"):
    return client.submit("/calendar/new", {"feed": feed}, page=page)


def token_ids(user) -> list[int]:
    return list(db.session.scalars(select(FeedToken.id).where(FeedToken.user_id == user.id,
                                                              FeedToken.revoked_at.is_(None))))


def test_anonymous_is_sent_to_sign_in(client, world):
    for url in ("/calendar/", ):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_page_offers_what_a_member_may_subscribe_to(client, world):
    login(client, "medlem@a.example")
    page = client.get("/calendar/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'value="personal"' in text
    assert f'value="association-{world.a.id}"' in text
    assert f'value="site-{world.site_a.id}"' in text
    assert f'value="association-{world.b.id}"' not in text and f'value="site-{world.site_b.id}"' not in text
    assert 'value="staff"' not in text
    assert "Du har inga kalenderlänkar ännu." in text
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_preselection_from_the_association_and_site_pages(client, world):
    login(client, "medlem@a.example")
    text = client.get(f"/calendar/?association={world.a.id}").get_data(as_text=True)
    assert re.search(rf'value="association-{world.a.id}"[^>]*checked|checked[^>]*value="association-{world.a.id}"',
                     text)
    text = client.get(f"/calendar/?site={world.site_a.id}").get_data(as_text=True)
    assert re.search(rf'value="site-{world.site_a.id}"[^>]*checked|checked[^>]*value="site-{world.site_a.id}"', text)
    # Someone else's site is not offered.
    text = client.get(f"/calendar/?site={world.site_b.id}").get_data(as_text=True)
    assert f'value="site-{world.site_b.id}"' not in text


def test_staff_are_offered_the_staff_feed_and_a_site_asked_for(client, world):
    login(client, "granskare@home.example")
    text = client.get(f"/calendar/?site={world.site_b.id}").get_data(as_text=True)
    assert 'value="staff"' in text and "Älmhult kommun" in text
    assert f'value="site-{world.site_b.id}"' in text
    assert 'value="personal"' not in text
    url = shown_url(create(client, "staff"))
    assert fetch(client, url).status_code == 200


def test_a_member_creates_a_personal_link_and_it_works(client, world):
    login(client, "medlem@a.example")
    response = create(client)
    url = shown_url(response)
    text = response.get_data(as_text=True)
    webcal = "webcal://" + url.removeprefix("https://")
    assert f'href="{webcal}"' in text
    google = "https://calendar.google.com/calendar/r?cid=" + quote(webcal, safe="")
    assert f'href="{html.escape(google)}"' in text
    assert "<svg" in text and "qr-code" in text
    assert "copy.js" in text and "<script>" not in text
    assert "Ta bort varningar: Av" in text and "Thunderbird" in text and "Outlook" in text
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    feed = fetch(client, url)
    assert feed.status_code == 200
    assert feed.headers["Content-Type"].startswith("text/calendar")
    # The list shows the link, without its secret.
    listing = client.get("/calendar/").get_data(as_text=True)
    assert "Personlig kalender" in listing and "Byt ut" in listing and "Återkalla" in listing
    assert url.rsplit("/", 1)[1].removesuffix(".ics") not in listing


def test_the_qr_code_holds_the_https_url(client, world):
    import segno

    login(client, "medlem@a.example")
    response = create(client)
    url = shown_url(response)
    expected = segno.make_qr(url, error="m").svg_inline(scale=5, border=4, dark="#000", light="#fff",
                                                        svgclass="qr-code")
    path = re.search(r'd="([^"]+)"', expected).group(1)
    assert path in response.get_data(as_text=True)


def test_the_list_shows_when_a_link_was_last_polled(client, world):
    login(client, "medlem@a.example")
    url = shown_url(create(client, f"association-{world.a.id}"))
    assert "aldrig" in client.get("/calendar/").get_data(as_text=True)
    assert fetch(client, url).status_code == 200
    text = client.get("/calendar/").get_data(as_text=True)
    assert world.a.name in text and "Föreningens kalender" in text
    assert "2026-06-20" in text and "aldrig" not in text


def test_rotate_shows_a_new_url_and_the_old_one_stops_working(client, world):
    login(client, "medlem@a.example")
    old = shown_url(create(client))
    [token_id] = token_ids(world.member_a)
    response = client.submit(f"/calendar/{token_id}/rotate", page="/calendar/")
    new = shown_url(response)
    assert new != old
    assert "Den gamla länken fungerar inte längre." in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert fetch(client, old).status_code == 404
    assert fetch(client, new).status_code == 200
    assert len(token_ids(world.member_a)) == 1 and token_ids(world.member_a) != [token_id]
    # The old link cannot be rotated again.
    again = client.submit(f"/calendar/{token_id}/rotate", page="/calendar/")
    assert again.status_code == 302
    assert "redan återkallad" in client.get("/calendar/").get_data(as_text=True)


def test_revoke_turns_the_link_off(client, world):
    login(client, "medlem@a.example")
    url = shown_url(create(client))
    [token_id] = token_ids(world.member_a)
    response = client.submit(f"/calendar/{token_id}/revoke", page="/calendar/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/calendar/")
    assert "Kalenderlänken är återkallad." in client.get("/calendar/").get_data(as_text=True)
    assert fetch(client, url).status_code == 404
    assert token_ids(world.member_a) == []


def test_another_persons_link_is_not_found(client, world):
    row, token = feeds.create_token(principal=Principal.of(world.coordinator_a), kind="personal")
    for who in ("medlem@a.example", "admin@home.example"):
        login(client, who)
        for action in ("rotate", "revoke"):
            response = client.submit(f"/calendar/{row.id}/{action}", page="/calendar/")
            assert response.status_code == 404, (who, action)
        client.post("/logout", data={"csrf_token": client.csrf_token("/calendar/")})
    db.session.refresh(row)
    assert row.revoked_at is None
    assert client.get(f"/feeds/{token}.ics").status_code == 200


def test_a_member_cannot_create_a_link_for_another_association_or_the_staff_feed(client, world):
    login(client, "medlem@a.example")
    for feed in (f"association-{world.b.id}", f"association-{world.c.id}", f"site-{world.site_b.id}", "staff",
                 "association-999999"):
        assert create(client, feed).status_code == 404, feed
    assert create(client, "nonsense").status_code == 400
    assert create(client, "association-x").status_code == 400
    assert db.session.scalar(select(func.count()).select_from(FeedToken)) == 0


def test_someone_in_no_association_and_not_staff_gets_nothing_to_subscribe_to(client, world, make):
    make.user("ingen@example.org", name="Ingen Roll")
    login(client, "ingen@example.org")
    text = client.get("/calendar/").get_data(as_text=True)
    assert "Det finns ingen kalender för dig att prenumerera på" in text
    assert create(client, "personal").status_code == 404


def test_posts_without_a_csrf_token_are_refused(client, world):
    login(client, "medlem@a.example")
    row, _token = feeds.create_token(principal=Principal.of(world.member_a), kind="personal")
    for url in ("/calendar/new", f"/calendar/{row.id}/rotate", f"/calendar/{row.id}/revoke"):
        assert client.post(url, data={"feed": "personal"}).status_code == 400, url
    assert token_ids(world.member_a) == [row.id]
    assert db.session.scalar(select(func.count()).select_from(FeedToken)) == 1


def test_the_workspace_and_association_pages_link_to_the_calendar(client, world):
    login(client, "medlem@a.example")
    workspace = client.get("/workspace/").get_data(as_text=True)
    assert 'href="/calendar/"' in workspace
    association = client.get(f"/association/{world.a.id}/").get_data(as_text=True)
    assert f'href="/calendar/?association={world.a.id}"' in association


def test_a_link_to_a_calendar_no_longer_theirs_cannot_be_rotated_but_can_be_revoked(client, world):
    from skotsel.models import Membership

    login(client, "samordnare@a.example")
    url = shown_url(create(client, f"association-{world.a.id}"))
    [token_id] = token_ids(world.coordinator_a)
    # Sam also belongs to B, then leaves A: the link to A's calendar stops working.
    db.session.add(Membership(municipality_id=world.home.id, association_id=world.b.id, role="member",
                              user_id=world.coordinator_a.id))
    db.session.delete(db.session.scalar(select(Membership).filter_by(user_id=world.coordinator_a.id,
                                                                     association_id=world.a.id)))
    db.session.commit()
    assert fetch(client, url).status_code == 404
    response = client.submit(f"/calendar/{token_id}/rotate", page="/calendar/")
    assert response.status_code == 302
    assert "Du har inte längre tillgång till den här kalendern" in client.get("/calendar/").get_data(as_text=True)
    assert token_ids(world.coordinator_a) == [token_id]  # the rotation was undone as a whole
    assert client.submit(f"/calendar/{token_id}/revoke", page="/calendar/").status_code == 302
    assert token_ids(world.coordinator_a) == []
