"""Schedule pages: an agreement's and a site's occurrences as a list and a month, one occurrence, and an admin's
changes to it (stryk, ångra, flytta, generera), each with its Swedish reason when it is refused."""
from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace

import pytest

from skotsel.extensions import db
from skotsel.models import AuditEvent, Completion, Occurrence
from skotsel.services.schedule import regenerate
from tests.conftest import login, query_count

TODAY = date(2026, 6, 10)  # a Wednesday in week 24


@pytest.fixture
def today(app, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", TODAY.isoformat())


def occurrence_of(task, planned_on: date) -> Occurrence:
    return db.session.scalar(db.select(Occurrence).filter_by(agreed_task_id=task.id, planned_on=planned_on))


def complete(occurrence: Occurrence, on: date, user=None, notes: str = "") -> None:
    db.session.add(Completion(municipality_id=occurrence.municipality_id, occurrence_id=occurrence.id,
                              site_id=occurrence.agreed_task.site_id, completed_on=on,
                              user_id=user.id if user else None, notes=notes))
    db.session.commit()


@pytest.fixture
def plan(world, make, today):
    """Avtal A planned on 10 June 2026: mowing every other week (due Sundays 17 May, 31 May, 14 June …) and bins
    every Monday in June on Park A; one occurrence done on time, one late, one struck."""
    bins_type = make.task_type(world.home, "Tömning papperskorgar")
    bins = make.agreed_task(world.agreement_a, world.site_a, bins_type, rrule="FREQ=WEEKLY;BYDAY=MO",
                            season=("06-01", "06-30"))
    regenerate([world.task_a, bins], today=TODAY)
    complete(occurrence_of(world.task_a, date(2026, 5, 17)), date(2026, 5, 25), world.member_a, "Klippt, sent")
    complete(occurrence_of(world.task_a, date(2026, 5, 31)), date(2026, 5, 30), world.member_a, "Klippt och krattat")
    struck = occurrence_of(world.task_a, date(2026, 7, 12))
    struck.excused_reason = "Midsommarfest på ytan"
    db.session.commit()
    return SimpleNamespace(mowing=world.task_a, bins=bins,
                           due=occurrence_of(world.task_a, date(2026, 6, 14)),
                           done=occurrence_of(world.task_a, date(2026, 5, 31)),
                           struck=struck)


def page(response) -> str:
    return response.get_data(as_text=True)


def list_row(html: str, day: str) -> str:
    """The list row of the occurrence due on `day`."""
    rows = [row for row in re.findall(r"<tr class=\"status-[^\"]+\">.*?</tr>", html, re.S) if f'datetime="{day}"' in row]
    assert len(rows) == 1, f"{len(rows)} rows due {day}"
    return rows[0]


def month_cell(html: str, day_name: str) -> str:
    """The month grid's cell for e.g. "måndag 8 juni"."""
    cells = [cell for cell in re.findall(r"<td class=\"day.*?</td>", html, re.S) if f">{day_name}<" in cell]
    assert len(cells) == 1, f"{len(cells)} cells for {day_name}"
    return cells[0]


def badge(css: str, word: str) -> str:
    return f'<span class="badge status {css}">{word}</span>'


STATUSES = [
    ("2026-05-17", "söndag 17 maj", "status-done_late", "Utförd sent"),
    ("2026-05-31", "söndag 31 maj", "status-done", "Utförd"),
    ("2026-06-01", "måndag 1 juni", "status-missed", "Missad"),
    ("2026-06-08", "måndag 8 juni", "status-overdue", "Försenad"),
    ("2026-06-14", "söndag 14 juni", "status-due", "Att göra"),
    ("2026-06-28", "söndag 28 juni", "status-upcoming", "Kommande"),
    ("2026-07-12", None, "status-excused", "Struken"),
]


def test_the_list_says_each_status_in_words_with_its_colour(client, world, plan):
    login(client, "admin@home.example")
    html = page(client.get(f"/schedule/agreements/{world.agreement_a.id}"))
    for day, _cell, css, word in STATUSES:
        row = list_row(html, day)
        assert badge(css, word) in row, day
        assert "Park A" in row


def test_a_list_row_shows_weekday_window_task_completion_and_reasons(client, world, plan):
    login(client, "admin@home.example")
    html = page(client.get(f"/schedule/agreements/{world.agreement_a.id}"))
    done = list_row(html, "2026-05-31")
    assert "sön 2026-05-31" in done and "från mån 2026-05-18" in done
    assert "Klippning bruksgräsmatta" in done and "Utförd lör 2026-05-30" in done
    assert "Struken: Midsommarfest på ytan" in list_row(html, "2026-07-12")
    assert "Tömning papperskorgar" in list_row(html, "2026-06-08")


def test_the_site_schedule_names_the_agreement_on_each_row(client, world, plan):
    login(client, "granskare@home.example")
    html = page(client.get(f"/schedule/sites/{world.site_a.id}"))
    assert "Avtal A" in list_row(html, "2026-06-14")
    assert badge("status-overdue", "Försenad") in list_row(html, "2026-06-08")


def test_the_month_shows_each_days_occurrences_with_their_status_word(client, world, plan):
    login(client, "admin@home.example")
    html = page(client.get(f"/schedule/agreements/{world.agreement_a.id}/month?month=2026-06"))
    in_june = [(cell, css, word) for _day, cell, css, word in STATUSES if cell and "juni" in cell]
    assert len(in_june) == 4
    for cell, css, word in in_june:
        assert badge(css, word) in month_cell(html, cell), cell
    assert "Tömning papperskorgar" in month_cell(html, "måndag 8 juni")
    assert "Klippning bruksgräsmatta" in month_cell(html, "söndag 14 juni")
    assert "<li" not in month_cell(html, "onsdag 10 juni")


def test_the_month_is_a_monday_first_grid_with_week_numbers_and_today_marked(client, world, plan):
    login(client, "admin@home.example")
    html = page(client.get(f"/schedule/sites/{world.site_a.id}/month"))  # default: this month
    assert "<h2>Juni 2026</h2>" in html
    headers = re.findall(r'<th scope="col"><abbr title="([a-zåäö]+)">', html)
    assert headers == ["måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"]
    assert [int(n) for n in re.findall(r'<th scope="row" class="week-number">v\. (\d+)</th>', html)] == [
        23, 24, 25, 26, 27]
    today = month_cell(html, "onsdag 10 juni")
    assert 'aria-current="date"' in today and "idag" in today
    assert html.count('aria-current="date"') == 1
    assert 'href="/schedule/sites/%d/month?month=2026-05"' % world.site_a.id in html
    assert 'href="/schedule/sites/%d/month?month=2026-07"' % world.site_a.id in html
    assert 'href="/schedule/sites/%d?year=2026"' % world.site_a.id in html  # back to the list
    assert "schedule.css" in html


def test_the_month_across_new_year_links_to_the_neighbouring_years(client, world, plan):
    login(client, "admin@home.example")
    html = page(client.get(f"/schedule/agreements/{world.agreement_a.id}/month?month=2026-12"))
    assert "<h2>December 2026</h2>" in html
    assert "month=2026-11" in html and "month=2027-01" in html


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "juni", "2026-6", "2026-06-01", "0999-01", "２０２６-06"])
def test_a_bad_month_is_a_400_with_the_reason_in_swedish(client, world, plan, month):
    login(client, "admin@home.example")
    response = client.get(f"/schedule/agreements/{world.agreement_a.id}/month", query_string={"month": month})
    assert response.status_code == 400
    assert "Ange månaden som ÅÅÅÅ-MM, t.ex. 2026-06." in page(response)


def test_the_year_filter_shows_that_years_occurrences_and_links_to_years_that_have_some(client, world, plan):
    login(client, "admin@home.example")
    url = f"/schedule/agreements/{world.agreement_a.id}"
    this_year = page(client.get(url))
    assert "<h2>2026</h2>" in this_year and 'datetime="2025-' not in this_year
    assert f'href="{url}?year=2025" rel="prev"' in this_year and f'href="{url}?year=2027" rel="next"' in this_year
    last_year = page(client.get(url + "?year=2025"))
    assert 'datetime="2025-05-18"' in last_year and 'datetime="2026-' not in last_year
    assert 'rel="prev"' not in last_year  # the agreement starts in 2025
    assert 'rel="next"' not in page(client.get(url + "?year=2027"))  # planned one season ahead


@pytest.mark.parametrize(("status", "shown", "hidden"), [
    ("missed", ["2026-06-01"], ["2026-06-08", "2026-06-14"]),
    ("overdue", ["2026-06-08"], ["2026-06-01", "2026-06-14"]),
    ("due", ["2026-06-08", "2026-06-14", "2026-06-15"], ["2026-06-01", "2026-06-28"]),
    ("excused", ["2026-07-12"], ["2026-06-14"]),
    ("done_late", ["2026-05-17"], ["2026-05-31"]),
])
def test_the_status_filter_keeps_only_that_status(client, world, plan, status, shown, hidden):
    login(client, "admin@home.example")
    html = page(client.get(f"/schedule/agreements/{world.agreement_a.id}?year=2026&status={status}"))
    for day in shown:
        assert f'datetime="{day}"' in html
    for day in hidden:
        assert f'datetime="{day}"' not in html


@pytest.mark.parametrize(("query", "reason"), [
    ("year=20x6", "Ange året med fyra siffror, t.ex. 2026."),
    ("year=99999", "Ange året med fyra siffror, t.ex. 2026."),
    ("status=sen", "Det finns ingen status som heter så."),
])
def test_a_bad_year_or_status_is_a_400_with_the_reason(client, world, plan, query, reason):
    login(client, "admin@home.example")
    response = client.get(f"/schedule/sites/{world.site_a.id}?{query}")
    assert response.status_code == 400
    assert reason in page(response)


def test_a_year_without_occurrences_says_so(client, world, plan):
    login(client, "admin@home.example")
    assert "Inga tillfällen är planerade 2030." in page(client.get(f"/schedule/agreements/{world.agreement_a.id}"
                                                                   "?year=2030"))


def test_task_names_follow_the_chosen_language(client, world, plan):
    login(client, "admin@home.example")
    url = f"/schedule/agreements/{world.agreement_a.id}"
    client.submit("/language", {"locale": "en"}, page=url)
    html = page(client.get(url))
    assert world.task_type.name_en in list_row(html, "2026-06-14")


# --- one occurrence ------------------------------------------------------------------------------------------


def test_the_occurrence_page_shows_task_level_dates_status_and_completions(client, world, plan):
    login(client, "admin@home.example")
    html = page(client.get(f"/schedule/occurrences/{plan.done.id}"))
    for text in ("Klippning bruksgräsmatta", "Park A", "Avtal A", "Hallaryds sockenråd",
                 "Klippning bruksgräsmatta varannan vecka 15 maj–30 sep · högst 10 cm",
                 "sön 2026-05-31", "mån 2026-05-18", "tis 2026-06-02", badge("status-done", "Utförd"),
                 "lör 2026-05-30", "Mia Medlem", "Klippt och krattat"):
        assert text in html, text
    assert "Tillfället är utfört och kan inte strykas eller flyttas." in html


def test_an_excused_occurrence_shows_the_reason_and_an_undo_button(client, world, plan):
    login(client, "admin@home.example")
    html = page(client.get(f"/schedule/occurrences/{plan.struck.id}"))
    assert "Midsommarfest på ytan" in html and "Ångra strykning" in html
    assert badge("status-excused", "Struken") in html


def test_admin_excuses_an_occurrence(client, world, plan):
    login(client, "admin@home.example")
    url = f"/schedule/occurrences/{plan.due.id}"
    response = client.submit(url + "/excuse", {"excuse-reason": "Badplatsen är stängd"}, page=url)
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    assert db.session.get(Occurrence, plan.due.id).excused_reason == "Badplatsen är stängd"
    event = db.session.scalar(db.select(AuditEvent).filter_by(object_type="Occurrence", object_id=plan.due.id))
    assert event.changes["excused_reason"] == [None, "Badplatsen är stängd"] and event.actor_id == world.admin.id
    html = page(client.get(url))
    assert "Tillfället är struket." in html and badge("status-excused", "Struken") in html
    assert "Händelselogg" in html


def test_admin_restores_an_excused_occurrence(client, world, plan):
    login(client, "admin@home.example")
    url = f"/schedule/occurrences/{plan.struck.id}"
    response = client.submit(url + "/restore", page=url, follow_redirects=True)
    assert "Strykningen är ångrad" in page(response)
    assert db.session.get(Occurrence, plan.struck.id).excused_reason is None
    event = db.session.scalar(db.select(AuditEvent).filter_by(object_type="Occurrence", object_id=plan.struck.id))
    assert event.changes["excused_reason"] == ["Midsommarfest på ytan", None]


def test_admin_moves_an_occurrence(client, world, plan):
    login(client, "admin@home.example")
    url = f"/schedule/occurrences/{plan.due.id}"
    response = client.submit(url + "/move", {"move-due_on": "2026-06-20", "move-reason": "Midsommar"}, page=url)
    assert response.status_code == 302
    moved = db.session.get(Occurrence, plan.due.id)
    assert (moved.due_on, moved.planned_on, moved.moved_reason) == (date(2026, 6, 20), date(2026, 6, 14), "Midsommar")
    event = db.session.scalar(db.select(AuditEvent).filter_by(object_type="Occurrence", object_id=plan.due.id))
    assert event.changes["due_on"] == ["2026-06-14", "2026-06-20"]
    html = page(client.get(url))
    assert "Tillfället är flyttat till lör 2026-06-20." in html
    assert "Från sön 2026-06-14 till lör 2026-06-20: Midsommar" in html
    assert "Flyttad från sön 2026-06-14: Midsommar" in list_row(
        page(client.get(f"/schedule/agreements/{world.agreement_a.id}")), "2026-06-20")


@pytest.mark.parametrize(("action", "data", "message", "kept"), [
    ("excuse", {"excuse-reason": "   "}, "Skriv varför.", None),
    ("excuse", {"excuse-reason": "x" * 501}, "Skriv högst 500 tecken.", None),
    ("move", {"move-due_on": "", "move-reason": "Regn"}, "Ange ett datum, t.ex. 2026-06-15.", "Regn"),
    ("move", {"move-due_on": "15 juni", "move-reason": "Regn"}, "Ange ett datum, t.ex. 2026-06-15.", 'value="15 juni"'),
    ("move", {"move-due_on": "2026-06-20", "move-reason": ""}, "Skriv varför.", 'value="2026-06-20"'),
    ("move", {"move-due_on": "2028-06-20", "move-reason": "Regn"},
     "Datumet ligger utanför avtalstiden 2025-01-01–2027-12-31.", 'value="2028-06-20"'),
    ("move", {"move-due_on": "2026-06-28", "move-reason": "Regn"},
     "Samma moment har redan ett tillfälle den dagen.", "Regn"),
])
def test_a_refused_change_re_renders_the_page_with_the_reason_at_the_field(client, world, plan, action, data,
                                                                          message, kept):
    login(client, "admin@home.example")
    url = f"/schedule/occurrences/{plan.due.id}"
    response = client.submit(f"{url}/{action}", data, page=url)
    html = page(response)
    assert response.status_code == 200
    assert message in html and 'aria-invalid="true"' in html
    if kept:
        assert kept in html
    unchanged = db.session.get(Occurrence, plan.due.id)
    assert (unchanged.due_on, unchanged.excused_reason, unchanged.moved_reason) == (date(2026, 6, 14), None, None)
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id)).filter_by(object_type="Occurrence")) == 0


@pytest.mark.parametrize(("action", "data", "message"), [
    ("excuse", {"excuse-reason": "Regn"}, "Tillfället är redan utfört och kan inte strykas."),
    ("move", {"move-due_on": "2026-06-03", "move-reason": "Regn"},
     "Tillfället är redan utfört och kan inte flyttas."),
])
def test_a_completed_occurrence_cannot_be_excused_or_moved(client, world, plan, action, data, message):
    login(client, "admin@home.example")
    url = f"/schedule/occurrences/{plan.done.id}"
    response = client.submit(f"{url}/{action}", data, page=url)
    assert response.status_code == 200 and message in page(response)
    assert "Regn</textarea>" in page(response)  # what was typed is kept
    unchanged = db.session.get(Occurrence, plan.done.id)
    assert (unchanged.due_on, unchanged.excused_reason) == (date(2026, 5, 31), None)


# --- generating the schedule ---------------------------------------------------------------------------------


def test_admin_generates_an_agreements_schedule_and_reads_the_summary(client, world, today):
    login(client, "admin@home.example")
    url = f"/schedule/agreements/{world.agreement_b.id}"
    assert "Inga tillfällen är planerade 2026." in page(client.get(url))
    response = client.submit(url + "/generate", page=url, follow_redirects=True)
    created = db.session.scalar(db.select(db.func.count(Occurrence.id)).filter_by(agreed_task_id=world.task_b.id))
    assert created > 0
    assert (f"Schemat är genererat: {created} nya tillfällen, 0 borttagna, 0 ändrade och 0 oförändrade för 1 "
            "avtalade skötselmoment.") in page(response)
    assert 'datetime="2026-06-14"' in page(response)
    assert db.session.scalar(db.select(AuditEvent).filter_by(object_type="Agreement", object_id=world.agreement_b.id,
                                                             action="update")) is not None
    again = client.submit(url + "/generate", page=url, follow_redirects=True)
    assert f"0 nya tillfällen, 0 borttagna, 0 ändrade och {created} oförändrade" in page(again)


# --- who may do what -----------------------------------------------------------------------------------------


def read_urls(world, plan) -> list[str]:
    return [f"/schedule/agreements/{world.agreement_a.id}", f"/schedule/agreements/{world.agreement_a.id}/month",
            f"/schedule/sites/{world.site_a.id}", f"/schedule/sites/{world.site_a.id}/month",
            f"/schedule/occurrences/{plan.due.id}"]


def write_posts(world, plan) -> list[tuple[str, dict]]:
    occurrence = f"/schedule/occurrences/{plan.due.id}"
    return [(occurrence + "/excuse", {"excuse-reason": "Regn"}),
            (occurrence + "/move", {"move-due_on": "2026-06-20", "move-reason": "Regn"}),
            (f"/schedule/occurrences/{plan.struck.id}/restore", {}),
            (f"/schedule/agreements/{world.agreement_a.id}/generate", {})]


def assert_nothing_changed(plan) -> None:
    assert db.session.get(Occurrence, plan.due.id).due_on == date(2026, 6, 14)
    assert db.session.get(Occurrence, plan.due.id).excused_reason is None
    assert db.session.get(Occurrence, plan.struck.id).excused_reason is not None
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id))) == 0


def test_admin_sees_the_actions(client, world, plan):
    login(client, "admin@home.example")
    assert "Generera schema nu" in page(client.get(f"/schedule/agreements/{world.agreement_a.id}"))
    html = page(client.get(f"/schedule/occurrences/{plan.due.id}"))
    assert "Stryk tillfället" in html and "Flytta" in html


@pytest.mark.parametrize("email", ["granskare@home.example", "medlem@a.example", "samordnare@a.example"])
def test_reviewers_and_the_associations_people_read_but_cannot_change(client, world, plan, email):
    login(client, email)
    for url in read_urls(world, plan):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Generera schema nu" not in page(response)
        assert "Stryk tillfället" not in page(response) and "Ångra strykning" not in page(response)
    for url, data in write_posts(world, plan):
        assert client.submit(url, data, page=f"/schedule/sites/{world.site_a.id}").status_code == 403, url
    assert_nothing_changed(plan)


@pytest.mark.parametrize("email", ["samordnare@b.example", "admin@other.example"])
def test_another_association_or_municipality_finds_nothing(client, world, plan, email):
    login(client, email)
    for url in read_urls(world, plan):
        assert client.get(url).status_code == 404, url
    for url, data in write_posts(world, plan):
        # The token comes from the 404 page itself: its header has the language form.
        assert client.submit(url, data, page=read_urls(world, plan)[0]).status_code == 404, url
    assert_nothing_changed(plan)


def test_the_associations_people_link_back_to_their_own_pages(client, world, plan):
    login(client, "medlem@a.example")
    html = page(client.get(f"/schedule/sites/{world.site_a.id}"))
    assert f'href="/association/{world.a.id}/sites/{world.site_a.id}"' in html
    html = page(client.get(f"/schedule/agreements/{world.agreement_a.id}"))
    assert f'href="/association/{world.a.id}/agreements/{world.agreement_a.id}"' in html


def test_anonymous_visitors_are_sent_to_the_login_page(client, world, plan):
    for url in read_urls(world, plan):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_the_agreement_and_site_pages_link_to_the_schedule(app, client, world, plan):
    login(client, "granskare@home.example")
    assert f'href="/schedule/agreements/{world.agreement_a.id}"' in page(
        client.get(f"/admin/agreements/{world.agreement_a.id}"))
    assert f'href="/schedule/sites/{world.site_a.id}"' in page(client.get(f"/admin/sites/{world.site_a.id}"))
    member = app.test_client()
    login(member, "medlem@a.example")
    assert f'href="/schedule/agreements/{world.agreement_a.id}"' in page(
        member.get(f"/association/{world.a.id}/agreements/{world.agreement_a.id}"))
    assert f'href="/schedule/sites/{world.site_a.id}"' in page(
        member.get(f"/association/{world.a.id}/sites/{world.site_a.id}"))


# --- scale ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("view", ["", "/month?month=2026-07"])
def test_the_query_count_does_not_grow_with_the_number_of_occurrences(client, world, make, today, view):
    """Every other week (≈10 occurrences a year) and every day (≈140) cost the same number of queries."""
    daily_agreement = make.agreement(world.a, title="Avtal dagligen")
    daily = make.agreed_task(daily_agreement, world.site_a, world.task_type, rrule="FREQ=DAILY")
    regenerate([world.task_a, daily], today=TODAY)
    for task in (world.task_a, daily):
        complete(occurrence_of(task, date(2026, 5, 31)), date(2026, 5, 31), world.member_a)
    few = db.session.scalar(db.select(db.func.count(Occurrence.id)).filter_by(agreed_task_id=world.task_a.id))
    many = db.session.scalar(db.select(db.func.count(Occurrence.id)).filter_by(agreed_task_id=daily.id))
    assert many > 10 * few
    login(client, "admin@home.example")
    assert (query_count(client, f"/schedule/agreements/{world.agreement_a.id}{view}")
            == query_count(client, f"/schedule/agreements/{daily_agreement.id}{view}"))
