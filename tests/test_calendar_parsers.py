"""The three-parser harness (tests/calendar_parsers.py) on hand-written bodies: it must expand what it is given the way
RFC 5545 says, and the three parsers must agree, or the comparison must fail loudly."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from tests import calendar_parsers as cp
from tests.calendar_parsers import (CalendarParseError, Event, calendar_names, expand_all, expand_icaljs,
                                    expand_icalendar, expand_vobject)
from tests.calendar_parsers import icaljs  # noqa: F401 - the fixture

UTC = timezone.utc
ALL_PARSERS = [expand_icalendar, expand_vobject, expand_icaljs]

STOCKHOLM = """BEGIN:VTIMEZONE
TZID:Europe/Stockholm
X-LIC-LOCATION:Europe/Stockholm
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
"""


def calendar(*parts: str, name: str | None = "Skötsel") -> bytes:
    """A VCALENDAR around the given components, CRLF line ends as on the wire."""
    head = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//skotsel//test//SV\nCALSCALE:GREGORIAN\n"
    if name is not None:
        head += f"X-WR-CALNAME:{name}\n"
    text = head + "".join(parts) + "END:VCALENDAR\n"
    return text.replace("\n", "\r\n").encode("utf-8")


def vevent(uid: str, *lines: str) -> str:
    return "BEGIN:VEVENT\n" + f"UID:{uid}\nDTSTAMP:20260101T120000Z\n" + "".join(line + "\n" for line in lines) \
        + "END:VEVENT\n"


def alarm(trigger: str) -> str:
    return f"BEGIN:VALARM\nACTION:DISPLAY\nDESCRIPTION:Påminnelse\n{trigger}\nEND:VALARM"


def starts(events: list[Event]) -> set[tuple[str, date | datetime]]:
    return {(event.uid, event.start) for event in events}


def test_all_day_events_one_vevent_per_occurrence():
    body = calendar(
        vevent("occ-1@skotsel", "DTSTART;VALUE=DATE:20260501", "DTEND;VALUE=DATE:20260502", "SUMMARY:Gräsklippning",
               "SEQUENCE:3"),
        vevent("occ-2@skotsel", "DTSTART;VALUE=DATE:20260515", "DTEND;VALUE=DATE:20260516",
               "SUMMARY:Städa\\, rensa\\; kratta"),
        vevent("before@skotsel", "DTSTART;VALUE=DATE:20260430", "DTEND;VALUE=DATE:20260501", "SUMMARY:Före"),
        vevent("end@skotsel", "DTSTART;VALUE=DATE:20260601", "DTEND;VALUE=DATE:20260602", "SUMMARY:Slutdagen"),
        vevent("nosummary@skotsel", "DTSTART;VALUE=DATE:20260531", "DTEND;VALUE=DATE:20260601"),
    )
    expected = [
        Event("occ-1@skotsel", date(2026, 5, 1), "Gräsklippning", 3, ()),
        Event("occ-2@skotsel", date(2026, 5, 15), "Städa, rensa; kratta", 0, ()),
        Event("nosummary@skotsel", date(2026, 5, 31), None, 0, ()),
    ]
    assert expand_icalendar(body, date(2026, 5, 1), date(2026, 6, 1)) == expected
    assert expand_vobject(body, date(2026, 5, 1), date(2026, 6, 1)) == expected
    assert expand_all(body, date(2026, 5, 1), date(2026, 6, 1)) == expected


def test_timed_events_across_both_dst_changes_agree_on_utc_instants():
    """10:00 in Stockholm is 09:00Z in winter and 08:00Z in summer; the changes are 2026-03-29 and 2026-10-25."""
    body = calendar(
        STOCKHOLM,
        vevent("sat-march@skotsel", "DTSTART;TZID=Europe/Stockholm:20260328T100000",
               "DTEND;TZID=Europe/Stockholm:20260328T110000", "SUMMARY:Före sommartid"),
        vevent("sun-march@skotsel", "DTSTART;TZID=Europe/Stockholm:20260329T100000",
               "DTEND;TZID=Europe/Stockholm:20260329T110000", "SUMMARY:Sommartid"),
        vevent("sat-october@skotsel", "DTSTART;TZID=Europe/Stockholm:20261024T100000",
               "DTEND;TZID=Europe/Stockholm:20261024T110000", "SUMMARY:Sista sommardagen"),
        vevent("sun-october@skotsel", "DTSTART;TZID=Europe/Stockholm:20261025T100000",
               "DTEND;TZID=Europe/Stockholm:20261025T110000", "SUMMARY:Vintertid"),
        vevent("utc@skotsel", "DTSTART:20260329T070000Z", "DTEND:20260329T080000Z", "SUMMARY:UTC"),
        vevent("daily@skotsel", "DTSTART;TZID=Europe/Stockholm:20260327T183000",
               "DTEND;TZID=Europe/Stockholm:20260327T190000", "RRULE:FREQ=DAILY;COUNT=4", "SUMMARY:Kvällsrunda"),
    )
    window = (date(2026, 3, 1), date(2026, 11, 1))
    expected = {
        ("sat-march@skotsel", datetime(2026, 3, 28, 9, 0, tzinfo=UTC)),
        ("sun-march@skotsel", datetime(2026, 3, 29, 8, 0, tzinfo=UTC)),
        ("sat-october@skotsel", datetime(2026, 10, 24, 8, 0, tzinfo=UTC)),
        ("sun-october@skotsel", datetime(2026, 10, 25, 9, 0, tzinfo=UTC)),
        ("utc@skotsel", datetime(2026, 3, 29, 7, 0, tzinfo=UTC)),
        ("daily@skotsel", datetime(2026, 3, 27, 17, 30, tzinfo=UTC)),
        ("daily@skotsel", datetime(2026, 3, 28, 17, 30, tzinfo=UTC)),
        ("daily@skotsel", datetime(2026, 3, 29, 16, 30, tzinfo=UTC)),
        ("daily@skotsel", datetime(2026, 3, 30, 16, 30, tzinfo=UTC)),
    }
    events = expand_all(body, *window)
    assert starts(events) == expected
    assert all(event.start.tzinfo is UTC for event in events)
    assert calendar_names(body) == {"icalendar": "Skötsel", "vobject": "Skötsel", "ical.js": "Skötsel"}


def test_weekly_rrule_with_exdate_timed_and_all_day():
    body = calendar(
        STOCKHOLM,
        vevent("weekly@skotsel", "DTSTART;TZID=Europe/Stockholm:20261007T090000",
               "DTEND;TZID=Europe/Stockholm:20261007T100000",
               "RRULE:FREQ=WEEKLY;UNTIL=20261104T235959Z",
               "EXDATE;TZID=Europe/Stockholm:20261021T090000",
               "SUMMARY:Vattna"),
        vevent("weekly-day@skotsel", "DTSTART;VALUE=DATE:20261003", "DTEND;VALUE=DATE:20261004",
               "RRULE:FREQ=WEEKLY;INTERVAL=2;UNTIL=20261115", "EXDATE;VALUE=DATE:20261017", "SUMMARY:Löv"),
        vevent("endless@skotsel", "DTSTART;VALUE=DATE:20200106", "DTEND;VALUE=DATE:20200107",
               "RRULE:FREQ=WEEKLY;BYDAY=MO", "SUMMARY:Varje måndag"),
    )
    expected = {
        ("weekly@skotsel", datetime(2026, 10, 7, 7, 0, tzinfo=UTC)),
        ("weekly@skotsel", datetime(2026, 10, 14, 7, 0, tzinfo=UTC)),
        # 21 October is excluded; from 28 October Sweden is on winter time
        ("weekly@skotsel", datetime(2026, 10, 28, 8, 0, tzinfo=UTC)),
        ("weekly@skotsel", datetime(2026, 11, 4, 8, 0, tzinfo=UTC)),
        ("weekly-day@skotsel", date(2026, 10, 3)),
        ("weekly-day@skotsel", date(2026, 10, 31)),
        ("weekly-day@skotsel", date(2026, 11, 14)),
        *{("endless@skotsel", date(2026, 10, 5) + timedelta(weeks=n)) for n in range(9)},
    }
    assert starts(expand_icalendar(body, date(2026, 10, 1), date(2026, 12, 1))) == expected
    assert starts(expand_vobject(body, date(2026, 10, 1), date(2026, 12, 1))) == expected
    assert starts(expand_all(body, date(2026, 10, 1), date(2026, 12, 1))) == expected


def test_recurrence_id_replaces_the_masters_occurrence():
    body = calendar(
        vevent("moved@skotsel", "DTSTART;VALUE=DATE:20260601", "DTEND;VALUE=DATE:20260602",
               "RRULE:FREQ=WEEKLY;COUNT=3", "SUMMARY:Klippa"),
        vevent("moved@skotsel", "RECURRENCE-ID;VALUE=DATE:20260608", "DTSTART;VALUE=DATE:20260610",
               "DTEND;VALUE=DATE:20260611", "SUMMARY:Klippa (flyttad)", "SEQUENCE:1"),
    )
    events = expand_all(body, date(2026, 6, 1), date(2026, 7, 1))
    assert [(e.start, e.summary, e.sequence) for e in events] == [
        (date(2026, 6, 1), "Klippa", 0), (date(2026, 6, 10), "Klippa (flyttad)", 1), (date(2026, 6, 15), "Klippa", 0)]


def test_alarms_are_read_as_canonical_trigger_strings():
    body = calendar(
        vevent("alarm@skotsel", "DTSTART;VALUE=DATE:20260801", "DTEND;VALUE=DATE:20260802", "SUMMARY:Larm",
               alarm("TRIGGER:-PT15M"), alarm("TRIGGER:-P1D"), alarm("TRIGGER;RELATED=END:PT1H30M"),
               alarm("TRIGGER:-P1W"), alarm("TRIGGER;VALUE=DATE-TIME:20260731T160000Z")),
        vevent("quiet@skotsel", "DTSTART;VALUE=DATE:20260802", "DTEND;VALUE=DATE:20260803", "SUMMARY:Inget larm"),
    )
    expected_alarms = ("-P1D", "-P7D", "-PT15M", "2026-07-31T16:00:00Z", "PT1H30M;RELATED=END")
    for expand in (expand_icalendar, expand_vobject):
        assert expand(body, date(2026, 8, 1), date(2026, 9, 1))[0].alarms == expected_alarms
    events = expand_all(body, date(2026, 8, 1), date(2026, 9, 1))
    assert [(e.uid, e.alarms) for e in events] == [("alarm@skotsel", expected_alarms), ("quiet@skotsel", ())]


@pytest.mark.parametrize("body", [
    b"not a calendar at all",
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nthis line has no colon\r\nEND:VCALENDAR\r\n",
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART;VALUE=DATE:20260301\r\nEND:VEVENT\r\n",
    calendar(vevent("bad-date@skotsel", "DTSTART;VALUE=DATE:2026XX01", "SUMMARY:Trasig")),
    calendar(vevent("no-zone@skotsel", "DTSTART;TZID=Europe/Stockholm:20260301T100000", "SUMMARY:Zon saknas")),
    calendar("BEGIN:VEVENT\nDTSTAMP:20260101T120000Z\nDTSTART;VALUE=DATE:20260301\nSUMMARY:Utan UID\nEND:VEVENT\n"),
], ids=["garbage", "no-colon", "unclosed", "bad-date", "tzid-without-vtimezone", "no-uid"])
def test_a_broken_body_is_an_error_in_every_parser(body, icaljs):  # noqa: F811 - the fixture
    for expand in (expand_icalendar, expand_vobject, icaljs):
        with pytest.raises(CalendarParseError):
            expand(body, date(2026, 1, 1), date(2027, 1, 1))
    with pytest.raises(CalendarParseError, match="icalendar: .*vobject: .*ical.js: "):
        expand_all(body, date(2026, 1, 1), date(2027, 1, 1))


def test_the_comparison_fails_loudly_when_parsers_disagree():
    """A VTIMEZONE that lies about Stockholm: icalendar takes the zone from tzdata, vobject and ical.js from the body."""
    wrong = STOCKHOLM.replace("TZOFFSETTO:+0200", "TZOFFSETTO:+0300").replace("TZOFFSETFROM:+0200",
                                                                              "TZOFFSETFROM:+0300")
    body = calendar(wrong, vevent("summer@skotsel", "DTSTART;TZID=Europe/Stockholm:20260615T100000",
                                  "SUMMARY:Midsommar"))
    assert starts(expand_icalendar(body, date(2026, 6, 1), date(2026, 7, 1))) == {
        ("summer@skotsel", datetime(2026, 6, 15, 8, 0, tzinfo=UTC))}
    assert starts(expand_vobject(body, date(2026, 6, 1), date(2026, 7, 1))) == {
        ("summer@skotsel", datetime(2026, 6, 15, 7, 0, tzinfo=UTC))}
    with pytest.raises(AssertionError, match="disagree"):
        expand_all(body, date(2026, 6, 1), date(2026, 7, 1))


def test_one_parser_rejecting_the_body_is_a_disagreement(monkeypatch):
    def broken(body, start, end):
        raise CalendarParseError("vobject", "simulated")

    monkeypatch.setitem(cp.EXPANDERS, "vobject", broken)
    body = calendar(vevent("ok@skotsel", "DTSTART;VALUE=DATE:20260301", "DTEND;VALUE=DATE:20260302"))
    with pytest.raises(AssertionError, match="vobject: ERROR vobject: simulated"):
        expand_all(body, date(2026, 3, 1), date(2026, 4, 1))


def test_floating_times_stay_naive():
    body = calendar(vevent("floating@skotsel", "DTSTART:20260301T100000", "SUMMARY:Flytande"))
    assert starts(expand_all(body, date(2026, 3, 1), date(2026, 3, 2))) == {
        ("floating@skotsel", datetime(2026, 3, 1, 10, 0))}


@pytest.mark.parametrize("seconds, text", [
    (-900, "-PT15M"), (0, "PT0S"), (86400, "P1D"), (-93600, "-P1DT2H"), (5405, "PT1H30M5S"), (30, "PT30S")])
def test_duration_strings_are_canonical(seconds, text):
    assert cp._duration_string(timedelta(seconds=seconds)) == text


def test_missing_node_skips_or_fails_as_the_environment_asks(monkeypatch, tmp_path):
    monkeypatch.setattr(cp, "ICALJS_PACKAGE", tmp_path / "node_modules" / "ical.js" / "package.json")
    monkeypatch.setattr(cp, "ensure_icaljs", lambda: False)
    assert not cp.node_available()
    monkeypatch.delenv("SKOTSEL_REQUIRE_NODE", raising=False)
    with pytest.raises(pytest.skip.Exception, match="ical.js|node"):
        cp.require_node()
    monkeypatch.setenv("SKOTSEL_REQUIRE_NODE", "1")
    with pytest.raises(pytest.fail.Exception, match="SKOTSEL_REQUIRE_NODE=1"):
        cp.require_node()
    with pytest.raises(pytest.fail.Exception):
        expand_icaljs(calendar(), date(2026, 1, 1), date(2026, 2, 1))
