"""Calendar feeds (GET /feeds/<token>.ics): what each kind carries, how events look in a client, change tracking,
HTTP validators and tokens. ../shared/CALENDAR.md is the checklist."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from skotsel.extensions import db
from skotsel.models import Completion, Deviation, FeedEvent, FeedToken, Inspection, Membership, Occurrence
from skotsel.services import feeds
from skotsel.services.access import Principal
from skotsel.services.schedule import excuse_occurrence, regenerate
from skotsel.services.secret_tokens import hash_token
from skotsel.web.feeds import bodies

TODAY = date(2026, 6, 20)
NOW = datetime(2026, 6, 20, 10, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def fixed_today(app, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", TODAY)
    monkeypatch.setitem(app.config, "BASE_URL", "https://skotsel.example")
    monkeypatch.setitem(app.config, "NOW", NOW)
    bodies.clear()


@pytest.fixture
def planned(world):
    """Every two weeks from 15 May to 30 September, for A, B and C."""
    regenerate([world.task_a, world.task_b, world.task_c], today=date(2026, 1, 1), until=date(2027, 12, 31))
    return world


def token_for(user, kind="personal", **scope) -> str:
    db.session.refresh(user)
    _row, token = feeds.create_token(principal=Principal.of(user), kind=kind, **scope)
    return token


def get(client, token, **headers):
    return client.get(f"/feeds/{token}.ics", headers=headers)


def parse(response) -> Calendar:
    assert response.status_code == 200, response.get_data(as_text=True)
    return Calendar.from_ical(response.data)


def events(calendar: Calendar) -> dict[str, object]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def occurrences_of(task, first: date, last: date) -> list[Occurrence]:
    return list(db.session.scalars(select(Occurrence).where(
        Occurrence.agreed_task_id == task.id, Occurrence.due_on >= first, Occurrence.due_on <= last)
        .order_by(Occurrence.due_on)))


def complete(world, occurrence, day, user=None):
    db.session.add(Completion(municipality_id=world.home.id, occurrence_id=occurrence.id,
                              site_id=occurrence.agreed_task.site_id, task_type_id=world.task_type.id,
                              completed_on=day, user_id=(user or world.member_a).id))
    db.session.commit()


# --- what a feed carries ----------------------------------------------------------------------------------------


def test_personal_feed_has_one_event_per_occurrence_of_the_users_associations_in_the_window(client, planned):
    world = planned
    calendar = parse(get(client, token_for(world.member_a)))
    first, last = TODAY - timedelta(days=60), date(2027, 7, 20)
    expected = occurrences_of(world.task_a, first, last)
    assert len(expected) > 10
    assert set(events(calendar)) == {f"occurrence-{o.id}@skotsel" for o in expected}
    starts = sorted(event.decoded("DTSTART") for event in calendar.walk("VEVENT"))
    assert starts[0] >= first and starts[-1] <= last
    # Nothing of association B or another municipality.
    assert "Park B" not in calendar.to_ical().decode() and "Park C" not in calendar.to_ical().decode()


def test_the_calendar_is_what_clients_need(client, planned):
    world = planned
    body = get(client, token_for(world.member_a)).get_data(as_text=True)
    calendar = Calendar.from_ical(body)
    assert "UID" not in calendar  # vdirsyncer collapses a feed with a VCALENDAR UID
    assert (str(calendar["METHOD"]), str(calendar["CALSCALE"]), str(calendar["VERSION"])) == (
        "PUBLISH", "GREGORIAN", "2.0")
    assert str(calendar["X-WR-CALNAME"]) == str(calendar["NAME"]) == "Mina skötseluppgifter"
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Stockholm"
    assert "\r\nREFRESH-INTERVAL;VALUE=DURATION:PT6H\r\n" in body and "\r\nX-PUBLISHED-TTL:PT6H\r\n" in body
    [zone] = calendar.walk("VTIMEZONE")
    rules = sorted(str(part.get("RRULE").to_ical().decode()) for part in zone.subcomponents)
    assert rules == ["FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10", "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3"]
    assert "RDATE" not in body
    assert not calendar.walk("VTODO")
    for event in calendar.walk("VEVENT"):
        assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(days=1)
        assert "VALUE=DATE" in event["DTSTART"].to_ical().decode() or isinstance(event.decoded("DTSTART"), date)
        assert str(event["STATUS"]) in ("CONFIRMED", "CANCELLED") and str(event["TRANSP"]) == "TRANSPARENT"


def test_an_event_shows_status_who_and_when_level_place_and_link(client, planned):
    world = planned
    done, upcoming = occurrences_of(world.task_a, date(2026, 6, 1), date(2026, 6, 30))[0], \
        occurrences_of(world.task_a, date(2026, 7, 1), date(2026, 7, 31))[0]
    complete(world, done, done.due_on)
    found = events(parse(get(client, token_for(world.member_a))))

    event = found[f"occurrence-{done.id}@skotsel"]
    assert str(event["SUMMARY"]) == "✅ Utförd: Klippning bruksgräsmatta – Park A"
    lines = str(event["DESCRIPTION"]).split("\n")
    assert lines[0] == f"Status: Utförd · Utförd av Mia Medlem den {done.due_on.isoformat()}"
    assert lines[1].startswith("Avtalad nivå: Klippning bruksgräsmatta varannan vecka") and "högst 10 cm" in lines[1]
    assert lines[-1] == f"https://skotsel.example/schedule/occurrences/{done.id}"
    assert str(event["URL"]) == lines[-1]
    assert str(event["LOCATION"]) == "Park A"
    assert event.decoded("GEO") == (56.55, 14.13) or tuple(event["GEO"].to_ical().decode().split(";")) == (
        "56.55", "14.13")
    assert not event.walk("VALARM")  # nothing to remind of

    event = found[f"occurrence-{upcoming.id}@skotsel"]
    assert str(event["SUMMARY"]).startswith("📅 Kommande: Klippning bruksgräsmatta")
    [alarm] = event.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY" and alarm.decoded("TRIGGER") == timedelta(days=-2, hours=9)


def test_overdue_missed_and_excused_show_in_the_summary(client, planned):
    world = planned
    world.task_type.grace_days = 3
    db.session.commit()
    # Every other week from 15 May, each due on the Sunday its fortnight ends: 17 May, 31 May, 14 June, 28 June.
    may, _may, june, next_one = occurrences_of(world.task_a, date(2026, 5, 1), date(2026, 6, 30))
    assert (may.due_on, june.due_on, next_one.due_on) == (date(2026, 5, 17), date(2026, 6, 14), date(2026, 6, 28))
    excuse_occurrence(actor_id=None, occurrence=may, reason="Regn")
    summaries = {str(event["UID"]): str(event["SUMMARY"])
                 for event in parse(get(client, token_for(world.member_a))).walk("VEVENT")}
    assert summaries[f"occurrence-{may.id}@skotsel"].startswith("➖ Struken: ")
    assert summaries[f"occurrence-{june.id}@skotsel"].startswith("❌ Missad: ")  # 14 June + 3 days < 20 June
    assert summaries[f"occurrence-{next_one.id}@skotsel"].startswith("🔔 Att göra: ")
    world.task_type.grace_days = 14
    db.session.commit()
    summaries = {str(event["UID"]): str(event["SUMMARY"])
                 for event in parse(get(client, token_for(world.member_a))).walk("VEVENT")}
    assert summaries[f"occurrence-{june.id}@skotsel"].startswith("⚠️ Försenad: ")  # past due, within grace


def test_english_reader_gets_english_words(client, planned):
    world = planned
    world.member_a.locale = "en"
    db.session.commit()
    calendar = parse(get(client, token_for(world.member_a)))
    assert str(calendar["X-WR-CALNAME"]) == "My maintenance tasks"
    summary = str(next(iter(calendar.walk("VEVENT")))["SUMMARY"])
    assert ":" in summary and "Klippning" not in summary.split(":")[0]


def test_association_site_and_staff_feeds(client, planned, make):
    world = planned
    association = parse(get(client, token_for(world.coordinator_a, "association", association_id=world.a.id)))
    assert str(association["X-WR-CALNAME"]) == "Skötsel: Hallaryds sockenråd"
    assert {str(e["LOCATION"]) for e in association.walk("VEVENT")} == {"Park A"}

    site = parse(get(client, token_for(world.reviewer, "site", site_id=world.site_b.id)))
    assert str(site["X-WR-CALNAME"]) == "Skötsel: Park B"
    assert {str(e["LOCATION"]) for e in site.walk("VEVENT")} == {"Park B"}

    deviation = Deviation(municipality_id=world.home.id, source="inspection", agreement_id=world.agreement_b.id,
                          site_id=world.site_b.id, description="Skräp vid bänken", fix_by_on=date(2026, 7, 1),
                          status="open")
    inspection = Inspection(municipality_id=world.home.id, agreement_id=world.agreement_b.id,
                            inspected_on=date(2026, 6, 17), inspector_id=world.reviewer.id, notes="")
    db.session.add_all([deviation, inspection])
    db.session.commit()
    staff = events(parse(get(client, token_for(world.reviewer, "staff"))))
    assert set(staff) == {f"deviation-{deviation.id}@skotsel", f"inspection-{inspection.id}@skotsel"}
    assert str(staff[f"deviation-{deviation.id}@skotsel"]["SUMMARY"]) == "🛠️ Öppen: Avvikelse – Park B"
    assert staff[f"deviation-{deviation.id}@skotsel"].decoded("DTSTART") == date(2026, 7, 1)
    assert str(staff[f"inspection-{inspection.id}@skotsel"]["SUMMARY"]) == "📋 Besiktning – Avtal B"

    # A site feed shows a member only their own association's work on the site.
    make.agreed_task(world.agreement_b, world.site_a, world.task_type)
    regenerate([t for t in world.agreement_b.tasks], today=date(2026, 1, 1), until=date(2027, 12, 31))
    own_site = parse(get(client, token_for(world.member_a, "site", site_id=world.site_a.id)))
    task_a_uids = {f"occurrence-{o.id}@skotsel" for o in occurrences_of(world.task_a, date(2026, 1, 1),
                                                                                  date(2027, 12, 31))}
    assert set(events(own_site)) == task_a_uids & set(events(own_site)) and events(own_site)
    everything = parse(get(client, token_for(world.reviewer, "site", site_id=world.site_a.id)))
    assert len(events(everything)) > len(events(own_site))

    # B's coordinator sees the deviation of B in the personal feed, with its fix-by date; A's members do not.
    personal_b = events(parse(get(client, token_for(world.coordinator_b))))
    assert f"deviation-{deviation.id}@skotsel" in personal_b
    assert f"deviation-{deviation.id}@skotsel" not in events(parse(get(client, token_for(world.member_a))))


def test_who_may_have_which_feed(planned):
    world = planned
    with pytest.raises(feeds.NotFound):
        token_for(world.member_a, "association", association_id=world.b.id)
    with pytest.raises(feeds.NotFound):
        token_for(world.member_a, "site", site_id=world.site_c.id)
    with pytest.raises(feeds.NotFound):
        token_for(world.member_a, "staff")
    with pytest.raises(feeds.NotFound):
        token_for(world.admin, "personal")  # staff have no association of their own
    with pytest.raises(feeds.NotFound):
        token_for(world.other_admin, "site", site_id=world.site_a.id)


def test_no_e_mail_address_or_phone_number_in_any_feed(client, planned):
    world = planned
    deviation = Deviation(municipality_id=world.home.id, source="report", agreement_id=world.agreement_a.id,
                          site_id=world.site_a.id, status="open", fix_by_on=date(2026, 7, 1),
                          reporter_email="boende@example.com",
                          description="Trasig gunga, ring mig på 070-123 45 67 eller skriv till boende@example.com")
    db.session.add(deviation)
    db.session.commit()
    complete(world, occurrences_of(world.task_a, date(2026, 6, 1), date(2026, 6, 20))[0], date(2026, 6, 5))
    for token in (token_for(world.member_a), token_for(world.reviewer, "staff"),
                  token_for(world.coordinator_a, "association", association_id=world.a.id)):
        body = get(client, token).get_data(as_text=True)
        unfolded = body.replace("\r\n ", "")
        assert "Trasig gunga" in unfolded
        assert "boende@" not in unfolded and "@a.example" not in unfolded and "070-123" not in unfolded
        assert "45 67" not in unfolded


def test_two_completions_on_one_day_each_name_who_did_it(client, planned, make):
    world = planned
    second_task = make.agreed_task(world.agreement_a, world.site_a, world.task_type)
    regenerate([second_task], today=date(2026, 1, 1), until=date(2027, 12, 31))
    first = occurrences_of(world.task_a, date(2026, 6, 1), date(2026, 6, 20))[0]
    second = occurrences_of(second_task, date(2026, 6, 1), date(2026, 6, 20))[0]
    complete(world, first, date(2026, 6, 7), user=world.member_a)
    complete(world, second, date(2026, 6, 7), user=world.coordinator_a)
    found = events(parse(get(client, token_for(world.member_a))))
    assert "Utförd av Mia Medlem den 2026-06-07" in str(found[f"occurrence-{first.id}@skotsel"]["DESCRIPTION"])
    assert "Utförd av Sam A den 2026-06-07" in str(found[f"occurrence-{second.id}@skotsel"]["DESCRIPTION"])


@pytest.mark.parametrize("text", ["070-123 45 67", "070.123.45.67", "(070) 123 45 67", "070/123 45 67",
                                  "+46 70 123 45 67", "0046701234567", "070 - 123 45 67", "kim@example.se"])
def test_phone_numbers_and_addresses_are_scrubbed_but_dates_and_amounts_stay(text):
    cleaned = feeds.scrub(f"Ring {text} om grinden, senast 2026-06-30, 10 000 kr")
    assert text not in cleaned and "…" in cleaned
    assert not any(part in cleaned for part in ("123", "45 67", "kim@"))
    assert cleaned.endswith("senast 2026-06-30, 10 000 kr")


def test_the_agreed_level_is_scrubbed_too(client, planned):
    world = planned
    world.task_a.level_text = "högst 10 cm, frågor till Kim 070-987 65 43"
    db.session.commit()
    calendar = parse(get(client, token_for(world.member_a)))
    descriptions = [str(event["DESCRIPTION"]) for event in calendar.walk("VEVENT")]
    assert all("högst 10 cm, frågor till Kim …" in text for text in descriptions)
    assert "987" not in calendar.to_ical().decode()


def test_largest_demo_feed_is_under_one_megabyte(app, ctx, client):
    from skotsel.models import User
    from skotsel.services.demo import load_demo_data

    load_demo_data(upload_folder=app.config["UPLOAD_FOLDER"], today=TODAY)
    sizes = {}
    for user in db.session.scalars(select(User)).all():
        principal = Principal.of(user)
        kinds = (["personal"] if principal.associations else []) + (["staff"] if principal.staff_of else [])
        for kind in kinds:
            sizes[(user.email, kind)] = len(get(client, token_for(user, kind)).data)
        for association_id in principal.associations:
            sizes[(user.email, association_id)] = len(get(
                client, token_for(user, "association", association_id=association_id)).data)
    assert sizes and max(sizes.values()) < 1_000_000, sizes
    assert min(sizes.values()) > 1_000


# --- change tracking --------------------------------------------------------------------------------------------


def test_the_body_is_byte_identical_when_nothing_changed(client, planned):
    token = token_for(planned.member_a)
    first = get(client, token)
    bodies.clear()  # built again from the database, not served from memory
    second = get(client, token)
    assert first.data == second.data and first.headers["ETag"] == second.headers["ETag"]


def sequences(client, token) -> dict[str, tuple[int, str]]:
    return {str(event["UID"]): (int(event["SEQUENCE"]), event["LAST-MODIFIED"].to_ical().decode())
            for event in parse(get(client, token)).walk("VEVENT")}


def test_a_completion_raises_sequence_and_last_modified_of_that_event_only(app, client, planned, monkeypatch):
    world = planned
    token = token_for(world.member_a)
    before = sequences(client, token)
    assert {sequence for sequence, _ in before.values()} == {0}
    assert {modified for _, modified in before.values()} == {"20260620T100000Z"}
    monkeypatch.setitem(app.config, "NOW", NOW + timedelta(minutes=5))
    occurrence = occurrences_of(world.task_a, date(2026, 6, 1), date(2026, 6, 30))[0]
    complete(world, occurrence, occurrence.due_on)
    complete(world, occurrences_of(world.task_b, date(2026, 6, 1), date(2026, 6, 30))[0], date(2026, 6, 10),
             user=world.coordinator_b)  # another association's: not in this feed
    after = sequences(client, token)
    uid = f"occurrence-{occurrence.id}@skotsel"
    assert after[uid] == (1, "20260620T100500Z")
    assert {key: value for key, value in after.items() if key != uid} == {
        key: value for key, value in before.items() if key != uid}
    assert sequences(client, token) == after  # and never otherwise


def test_a_status_that_flips_overnight_is_stamped_by_the_nightly_job(client, planned):
    world = planned
    token = token_for(world.member_a)
    before = sequences(client, token)
    [next_due] = [o for o in occurrences_of(world.task_a, TODAY, TODAY + timedelta(days=14))][:1]
    uid = f"occurrence-{next_due.id}@skotsel"
    night = datetime.combine(next_due.due_on + timedelta(days=1), datetime.min.time(), timezone.utc) + timedelta(
        hours=2)
    summary = feeds.refresh_all(today=next_due.due_on + timedelta(days=1), now=night)
    assert summary.changed >= 1
    stored = db.session.scalar(select(FeedEvent).where(FeedEvent.kind == "occurrence",
                                                       FeedEvent.object_id == next_due.id))
    assert (stored.sequence, stored.changed_at) == (before[uid][0] + 1, night)
    # A second nightly run on the same day changes nothing.
    assert feeds.refresh_all(today=next_due.due_on + timedelta(days=1), now=night + timedelta(hours=1)).changed == 0


def test_uids_survive_replanning_and_a_new_base_url(app, client, planned, monkeypatch):
    world = planned
    token = token_for(world.member_a)
    before = set(sequences(client, token))
    world.task_a.season_end = "10-31"  # a longer season: more occurrences, the shared dates keep their ids
    db.session.commit()
    regenerate([world.task_a], today=TODAY, until=date(2027, 12, 31))
    after = set(sequences(client, token))
    assert before < after
    monkeypatch.setitem(app.config, "BASE_URL", "https://skotsel.almhult.se")
    assert set(sequences(client, token)) == after
    assert "https://skotsel.almhult.se/schedule/occurrences/" in get(client, token).get_data(as_text=True)


def test_a_new_language_raises_every_sequence_once(app, client, planned, monkeypatch):
    world = planned
    token = token_for(world.member_a)
    before = sequences(client, token)
    world.member_a.locale = "en"
    db.session.commit()
    monkeypatch.setitem(app.config, "NOW", NOW + timedelta(minutes=7))
    after = sequences(client, token)
    assert after == {uid: (sequence + 1, "20260620T100700Z") for uid, (sequence, _) in before.items()}
    assert sequences(client, token) == after


# --- HTTP -------------------------------------------------------------------------------------------------------


def test_headers(client, planned):
    response = get(client, token_for(planned.member_a))
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"] == "private, max-age=300"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert re.fullmatch(r'"[0-9a-f]{40}"', response.headers["ETag"])
    assert response.headers["Last-Modified"].endswith(" GMT")
    assert "Set-Cookie" not in response.headers


def test_304_for_a_matching_validator_and_never_for_a_wrong_one(client, planned):
    token = token_for(planned.member_a)
    first = get(client, token)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert get(client, token, **{"If-None-Match": etag}).status_code == 304
    assert get(client, token, **{"If-None-Match": f'"other", {etag}'}).status_code == 304
    assert get(client, token, **{"If-None-Match": f"W/{etag}"}).status_code == 304
    assert get(client, token, **{"If-Modified-Since": modified}).status_code == 304
    tomorrow = (NOW + timedelta(days=1)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert get(client, token, **{"If-Modified-Since": tomorrow}).status_code == 200  # from the future: invalid
    not_modified = get(client, token, **{"If-None-Match": etag})
    assert not_modified.data == b"" and not_modified.headers["ETag"] == etag

    assert get(client, token, **{"If-None-Match": '"0000"'}).status_code == 200
    assert get(client, token, **{"If-None-Match": "nonsense"}).status_code == 200
    assert get(client, token, **{"If-Modified-Since": "igår"}).status_code == 200
    assert get(client, token, **{"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code == 200
    # If-None-Match decides when both are sent.
    assert get(client, token, **{"If-None-Match": '"0000"', "If-Modified-Since": modified}).status_code == 200


def test_a_change_gives_a_new_etag_and_a_200(client, planned):
    world = planned
    token = token_for(world.member_a)
    first = get(client, token)
    occurrence = occurrences_of(world.task_a, date(2026, 6, 1), date(2026, 6, 30))[0]
    complete(world, occurrence, occurrence.due_on)
    # The same second as the first poll (NOW is fixed): the body changed, so neither validator may match.
    response = get(client, token, **{"If-Modified-Since": first.headers["Last-Modified"]})
    assert response.status_code == 200 and response.headers["ETag"] != first.headers["ETag"]
    assert response.headers["Last-Modified"] > first.headers["Last-Modified"]
    assert get(client, token, **{"If-None-Match": first.headers["ETag"]}).status_code == 200
    assert get(client, token, **{"If-Modified-Since": response.headers["Last-Modified"]}).status_code == 304


def statements_of(client, token, **headers) -> tuple[int, int]:
    """(status, SQL statements run) for one poll."""
    from sqlalchemy import event

    seen = []

    def count(*args):
        seen.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        status = get(client, token, **headers).status_code
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return status, len(seen)


def test_an_unchanged_feed_is_answered_without_reading_its_events(client, planned, monkeypatch, make):
    world = planned
    token = token_for(world.member_a)
    first = get(client, token)
    assert len(parse(first).walk("VEVENT")) > 10

    def not_again(*args, **kwargs):
        raise AssertionError("the events were read although nothing changed")

    with monkeypatch.context() as patch:
        patch.setattr(feeds, "facts_for", not_again)
        # The token with its owner, their memberships and the data versions: one statement, however many events
        # there are.
        assert statements_of(client, token, **{"If-None-Match": first.headers["ETag"]}) == (304, 1)
        again = get(client, token)  # no validator: the stored body
        assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
        assert again.headers["Last-Modified"] == first.headers["Last-Modified"]
        # Another municipality's change is not this feed's.
        world.site_c.notes = "Ny bänk"
        db.session.commit()
        assert get(client, token, **{"If-None-Match": first.headers["ETag"]}).status_code == 304

    # A change in the feed's municipality: the events are read again, and the change shows.
    occurrence = occurrences_of(world.task_a, date(2026, 6, 1), date(2026, 6, 30))[0]
    complete(world, occurrence, occurrence.due_on)
    changed = get(client, token, **{"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]
    assert "Utförd av Mia Medlem" in str(events(parse(changed))[f"occurrence-{occurrence.id}@skotsel"]["DESCRIPTION"])

    # So does a new name on the work, though the person is not a row of the municipality.
    world.member_a.name = "Mia Nyman"
    db.session.commit()
    renamed = get(client, token, **{"If-None-Match": changed.headers["ETag"]})
    assert renamed.status_code == 200
    assert "Utförd av Mia Nyman" in str(events(parse(renamed))[f"occurrence-{occurrence.id}@skotsel"]["DESCRIPTION"])


def test_a_new_day_reads_the_events_again(app, client, planned, monkeypatch):
    world = planned
    token = token_for(world.member_a)
    first = get(client, token, **{"If-None-Match": '"x"'})
    called = []
    original = feeds.facts_for
    monkeypatch.setattr(feeds, "facts_for", lambda *args, **kwargs: called.append(1) or original(*args, **kwargs))
    assert get(client, token, **{"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert called == []
    monkeypatch.setitem(app.config, "TODAY", TODAY + timedelta(days=1))  # statuses and the window follow the day
    monkeypatch.setitem(app.config, "NOW", NOW + timedelta(days=1))
    get(client, token, **{"If-None-Match": first.headers["ETag"]})
    assert called == [1]


def test_an_event_leaving_the_window_changes_last_modified(app, client, planned, monkeypatch):
    token = token_for(planned.member_a)
    first = get(client, token)
    monkeypatch.setitem(app.config, "TODAY", TODAY + timedelta(days=20))  # the oldest events fall out
    monkeypatch.setitem(app.config, "NOW", NOW + timedelta(days=20))
    response = get(client, token, **{"If-Modified-Since": first.headers["Last-Modified"]})
    assert response.status_code == 200 and response.data != first.data


# --- tokens -----------------------------------------------------------------------------------------------------


def test_tokens_are_long_random_and_stored_only_as_a_hash(planned):
    world = planned
    tokens = {token_for(world.member_a) for _ in range(5)}
    assert len(tokens) == 5 and all(re.fullmatch(r"[A-Za-z0-9_-]{43}", token) for token in tokens)  # 256 bits
    stored = db.session.scalars(select(FeedToken.token_hash)).all()
    assert not tokens & set(stored)
    assert {hash_token(token) for token in tokens} == set(stored)


@pytest.mark.parametrize("token", ["", "kort", "x" * 43, "a" * 42 + "!", "../../etc/passwd"])
def test_unknown_or_malformed_tokens_are_404_without_a_redirect(client, planned, token):
    response = client.get(f"/feeds/{token}.ics")
    assert response.status_code == 404
    assert "Location" not in response.headers


def test_a_revoked_token_is_404_and_a_rotated_one_works(client, planned):
    world = planned
    db.session.refresh(world.member_a)
    principal = Principal.of(world.member_a)
    row, token = feeds.create_token(principal=principal, kind="personal")
    assert get(client, token).status_code == 200
    assert get(client, token).status_code == 200  # answered from what the worker remembers of the link
    new_row, new_token = feeds.rotate_token(principal=principal, feed_token=row, now=NOW)
    assert get(client, token).status_code == 404
    assert get(client, new_token).status_code == 200
    assert get(client, new_token).status_code == 200
    feeds.revoke_token(principal=principal, feed_token=new_row, now=NOW)
    assert get(client, new_token).status_code == 404


def test_a_member_who_left_or_was_deactivated_gets_404(client, planned):
    world = planned
    personal = token_for(world.member_a)
    association = token_for(world.member_a, "association", association_id=world.a.id)
    coordinator = token_for(world.coordinator_a)
    for token in (personal, association, coordinator, personal, association, coordinator):
        assert get(client, token).status_code == 200  # the second time answered from what the worker remembers
    db.session.execute(Membership.__table__.delete().where(Membership.user_id == world.member_a.id))
    db.session.commit()
    assert get(client, personal).status_code == 404
    assert get(client, association).status_code == 404
    world.coordinator_a.is_active = False
    db.session.commit()
    assert get(client, coordinator).status_code == 404


def test_a_poll_is_remembered_at_most_hourly(client, planned):
    token = token_for(planned.member_a)
    get(client, token)
    used = db.session.scalar(select(FeedToken.last_used_at))
    get(client, token)
    db.session.expire_all()
    assert used is not None and db.session.scalar(select(FeedToken.last_used_at)) == used
    assert db.session.scalar(select(func.count(FeedToken.id))) == 1
