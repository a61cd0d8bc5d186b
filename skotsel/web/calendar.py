"""An iCalendar body from a feed's events, as ../shared/CALENDAR.md says real clients need it: VEVENT only, one per
occurrence with a stable UID, status in the SUMMARY prefix and the first line of DESCRIPTION, VALARM after every event
property, an RRULE-form VTIMEZONE, no VCALENDAR UID, REFRESH-INTERVAL with VALUE=DURATION and X-PUBLISHED-TTL.

The body depends only on the events' facts, their SEQUENCE and time of change, the calendar's name and the reader's
language: the same data gives the same bytes.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from icalendar import Alarm, Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard
from icalendar.prop import vDuration

from skotsel.domain.schedule import Status
from skotsel.services.feeds import EventFacts, Published
from skotsel.web.schedule import OVERDUE, OVERDUE_LABEL, STATUS_LABELS
from skotsel.web.vocabulary import DEVIATION_STATUS_LABELS

TZID = "Europe/Stockholm"
REFRESH = timedelta(hours=6)
#: An all-day task's reminder goes off at 09:00 local time, `alarm_days` days before.
ALARM_HOUR = 9

#: The mark before the status word, so the state shows in every client's month view.
MARKS = {
    "upcoming": "📅", "due": "🔔", OVERDUE: "⚠️", "done": "✅", "done_late": "☑️", "missed": "❌", "excused": "➖",
    "open": "🛠️", "reopened": "🛠️", "fixed": "🔍", "verified": "✅", "inspection": "📋",
}
FEED_TITLES = {
    "personal": _l("Mina skötseluppgifter"),
    "association": _l("Skötsel: %(name)s"),
    "site": _l("Skötsel: %(name)s"),
    "staff": _l("Uppföljning: %(name)s"),
}
FEED_DESCRIPTIONS = {
    "personal": _l("Skötseltillfällen och avvikelser för dina föreningar, med status."),
    "association": _l("Föreningens skötseltillfällen och avvikelser, med status."),
    "site": _l("Skötseltillfällen och avvikelser på skötselobjektet, med status."),
    "staff": _l("Kommunens besiktningar och när avvikelser ska vara åtgärdade."),
}
INSPECTION_RESULT_WORDS = (("approved", _l("Godkänd")), ("remark", _l("Anmärkning")), ("failed", _l("Underkänd")))


def status_word(status: str) -> str:
    if status == OVERDUE:
        return str(OVERDUE_LABEL)
    if status in DEVIATION_STATUS_LABELS:
        return str(DEVIATION_STATUS_LABELS[status])
    if status == "inspection":
        return _("Besiktning")
    return str(STATUS_LABELS[Status(status)])


def stockholm_timezone() -> Timezone:
    """Europe/Stockholm in the yearly-RRULE form (not icalendar's RDATE list, which ical.js reads an hour off)."""
    zone = Timezone()
    zone.add("tzid", TZID)
    zone.add("x-lic-location", TZID)
    summer = TimezoneDaylight()
    summer.add("tzname", "CEST")
    summer.add("tzoffsetfrom", timedelta(hours=1))
    summer.add("tzoffsetto", timedelta(hours=2))
    summer.add("dtstart", datetime(1970, 3, 29, 2, 0, 0))
    summer.add("rrule", {"freq": "yearly", "bymonth": 3, "byday": "-1su"})
    winter = TimezoneStandard()
    winter.add("tzname", "CET")
    winter.add("tzoffsetfrom", timedelta(hours=2))
    winter.add("tzoffsetto", timedelta(hours=1))
    winter.add("dtstart", datetime(1970, 10, 25, 3, 0, 0))
    winter.add("rrule", {"freq": "yearly", "bymonth": 10, "byday": "-1su"})
    zone.add_component(summer)
    zone.add_component(winter)
    return zone


def uid_of(facts: EventFacts) -> str:
    """Derived from the object's id (never random): the same occurrence is the same event in every poll."""
    return f"{facts.kind}-{facts.object_id}@{_uid_domain()}"


def _uid_domain() -> str:
    return current_app.config.get("FEED_UID_DOMAIN") or "skotsel"


def _link(facts: EventFacts) -> str:
    endpoint, object_id = facts.link
    id_name = {"schedule.occurrence": "occurrence_id", "followup.deviation": "deviation_id",
               "followup.inspection": "inspection_id"}[endpoint]
    base = (current_app.config.get("BASE_URL") or "").rstrip("/")
    return base + url_for(endpoint, **{id_name: object_id}, _external=False)


def _title(facts: EventFacts, locale: str) -> str:
    return facts.title_en if locale == "en" else facts.title_sv


def summary_of(facts: EventFacts, locale: str) -> str:
    where = f" – {facts.site}" if facts.site else ""
    if facts.kind == "inspection":  # "📋 Besiktning – Avtal Hallaryd": the status word is the title
        return f"{MARKS[facts.status]} {_title(facts, locale)}{where}"
    return f"{MARKS[facts.status]} {status_word(facts.status)}: {_title(facts, locale)}{where}"


def _status_line(facts: EventFacts) -> str:
    line = _("Status: %(status)s", status=status_word(facts.status))
    if facts.kind == "inspection":
        if facts.done_by:
            line += " · " + _("Besiktigad av %(name)s", name=facts.done_by)
        return line
    if facts.done_on is not None:
        who = facts.done_by
        if facts.kind == "deviation":
            line += " · " + (_("Åtgärdad av %(name)s den %(date)s", name=who, date=facts.done_on.isoformat()) if who
                             else _("Åtgärdad den %(date)s", date=facts.done_on.isoformat()))
        else:
            line += " · " + (_("Utförd av %(name)s den %(date)s", name=who, date=facts.done_on.isoformat()) if who
                             else _("Utförd den %(date)s", date=facts.done_on.isoformat()))
    return line


def description_of(facts: EventFacts, locale: str) -> str:
    lines = [_status_line(facts)]
    if facts.kind == "occurrence":
        level = facts.level_en if locale == "en" else facts.level_sv
        if level:
            lines.append(_("Avtalad nivå: %(level)s", level=level))
    elif facts.kind == "deviation":
        lines.append(_("Åtgärdas senast %(date)s", date=facts.day.isoformat()))
        if facts.detail:
            lines.append(facts.detail)
    elif facts.detail:
        counts = dict(part.split("=") for part in facts.detail.split())
        lines.append(", ".join(f"{label} {counts.get(key, '0')}" for key, label in INSPECTION_RESULT_WORDS))
    lines.append(_link(facts))
    return "\n".join(lines)


def _event(facts: EventFacts, published: Published, locale: str) -> Event:
    event = Event()
    stamp = published.changed_at
    event.add("uid", uid_of(facts))
    event.add("dtstamp", stamp)
    event.add("last-modified", stamp)
    event.add("sequence", published.sequence)
    event.add("dtstart", facts.day)
    event.add("dtend", facts.day + timedelta(days=1))
    event.add("summary", summary_of(facts, locale))
    event.add("description", description_of(facts, locale))
    location = ", ".join(part for part in (facts.site, facts.place) if part)
    if location and facts.kind != "inspection":  # an inspection covers an agreement's sites, not one place
        event.add("location", location)
    if facts.lat is not None and facts.lon is not None:
        event.add("geo", (round(facts.lat, 6), round(facts.lon, 6)))
    event.add("url", _link(facts))
    event.add("categories", [status_word(facts.status), _title(facts, locale)])
    event.add("status", "CANCELLED" if facts.status == "excused" else "CONFIRMED")
    event.add("transp", "TRANSPARENT")
    if facts.alarm_days is not None:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", summary_of(facts, locale))
        alarm.add("trigger", timedelta(days=-facts.alarm_days, hours=ALARM_HOUR))
        event.add_component(alarm)  # after every event property
    return event


def build(*, kind: str, name: str, events: list[EventFacts], published: dict, locale: str) -> bytes:
    """The whole VCALENDAR, serialised."""
    with force_locale(locale):
        title = str(FEED_TITLES[kind]) % {"name": name}
        description = str(FEED_DESCRIPTIONS[kind])
        calendar = Calendar()  # not Calendar.new(): that adds a VCALENDAR UID, which vdirsyncer collapses feeds on
        calendar.add("prodid", "-//skotsel//Skötselkalender//SV")
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        calendar.add("name", title)
        calendar.add("x-wr-calname", title)
        calendar.add("description", description)
        calendar.add("x-wr-caldesc", description)
        calendar.add("x-wr-timezone", TZID)
        calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(REFRESH))
        calendar.add_component(stockholm_timezone())
        for facts in events:
            calendar.add_component(_event(facts, published[facts.uid_key], locale))
        return calendar.to_ical()
