"""Test support: read an iCalendar body with three independent parsers and compare what they expand.

    expand_icalendar(body, start, end)  the `icalendar` package, recurrences through dateutil.rrule
    expand_vobject(body, start, end)    `vobject`, recurrences through its getrruleset()
    expand_icaljs(body, start, end)     Mozilla's ical.js under node (tests/js/expand.mjs), ICAL.Event iterators
    expand_all(body, start, end)        all three; fails loudly unless they agree, returns the common list

Each returns the occurrences whose start lies in the window [start, end), sorted by (start, uid), as `Event`s:
every VEVENT is expanded (RRULE, RDATE, EXDATE; a VEVENT with RECURRENCE-ID replaces the master's occurrence at that
instant). An all-day occurrence counts when its date is in the window; a timed one when its start, in UTC, is at or
after `start` 00:00 UTC and before `end` 00:00 UTC; a floating one (no zone) compares as naive wall-clock time.
`Event.start` is a `date` for all-day events, an aware `datetime` in UTC for timed ones, naive for floating ones.
`Event.alarms` holds the sorted VALARM triggers as canonical strings: a duration "-PT15M", "-P1D", "-P1DT2H30M"
(weeks as days, 0 as "PT0S"), with ";RELATED=END" when related to the end, or an absolute time "2026-03-20T09:00:00Z".

A body that a parser cannot read raises `CalendarParseError` (so does a VEVENT without UID or DTSTART, a TZID without a
VTIMEZONE in the body, or a property value the parser rejects). ical.js needs node and tests/js/node_modules: where they
are missing, the ical.js helpers skip the test with the reason, or fail it when SKOTSEL_REQUIRE_NODE=1 (as CI sets).
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

JS_DIR = Path(__file__).resolve().parent / "js"
EXPAND_SCRIPT = JS_DIR / "expand.mjs"
ICALJS_PACKAGE = JS_DIR / "node_modules" / "ical.js" / "package.json"
NODE_TIMEOUT_S = 60
#: Stop expanding one recurring event after this many occurrences (an endless RRULE before a far window).
MAX_OCCURRENCES = 100_000
PARSERS = ("icalendar", "vobject", "ical.js")


@dataclass(frozen=True)
class Event:
    """One occurrence as a parser expanded it (see the module docstring for the value forms)."""
    uid: str
    start: date | datetime
    summary: str | None
    sequence: int
    alarms: tuple[str, ...]


class CalendarParseError(Exception):
    """The parser named `parser` could not read the body (or found it invalid, see the module docstring)."""

    def __init__(self, parser: str, message: str) -> None:
        super().__init__(f"{parser}: {message}")
        self.parser = parser
        self.message = message


# -- shared shapes -------------------------------------------------------------------------------------------------


def _normal(value: date | datetime) -> date | datetime:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(timezone.utc)
    return value


def _position(value: date | datetime, start: date, end: date) -> int:
    """-1 before the window, 0 in it, 1 at or after its end."""
    if isinstance(value, datetime):
        tz = timezone.utc if value.tzinfo is not None else None
        low, high = datetime.combine(start, time(), tz), datetime.combine(end, time(), tz)
    else:
        low, high = start, end
    return -1 if value < low else 0 if value < high else 1


def _duration_string(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    days, rest = divmod(abs(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{sign}P{f'{days}D' if days else ''}"
    if hours or minutes or secs or not days:
        text += "T" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
        text += f"{secs}S" if secs or not (hours or minutes) else ""
    return text


def _time_string(value: date | datetime) -> str:
    value = _normal(value)
    if not isinstance(value, datetime):
        return value.isoformat()
    return value.strftime("%Y-%m-%dT%H:%M:%S") + ("Z" if value.tzinfo is not None else "")


def _trigger_string(value, related: str | None) -> str:
    if isinstance(value, timedelta):
        return _duration_string(value) + (";RELATED=END" if (related or "START").upper() == "END" else "")
    return _time_string(value)


def _sorted(events: Iterable[Event]) -> list[Event]:
    return sorted(events, key=lambda event: (_time_string(event.start), event.uid))


def _as_rrule_start(value: date | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.combine(value, time())


def _from_rrule(value: datetime, like: date | datetime) -> date | datetime:
    return value if isinstance(like, datetime) else value.date()


def _expand_set(rule_set, dtstart: date | datetime, start: date, end: date) -> Iterable[date | datetime]:
    for count, value in enumerate(rule_set, 1):
        if count > MAX_OCCURRENCES:
            raise ValueError(f"more than {MAX_OCCURRENCES} occurrences before the window ends")
        value = _from_rrule(value, dtstart)
        position = _position(_normal(value), start, end)
        if position > 0:
            return
        if position == 0:
            yield value


class _Collector:
    """What all parsers do alike once they have (uid, dtstart, recurrence-id, occurrences, fields) per VEVENT."""

    def __init__(self, parser: str, start: date, end: date) -> None:
        self.parser, self.start, self.end = parser, start, end
        self.events: list[Event] = []
        self.errors: list[str] = []

    def add(self, uid: str, value: date | datetime, summary, sequence, alarms, skip: set[str]) -> None:
        if _position(_normal(value), self.start, self.end) == 0 and _time_string(value) not in skip:
            self.events.append(Event(uid=uid, start=_normal(value), summary=None if summary is None else str(summary),
                                     sequence=int(sequence or 0), alarms=tuple(sorted(alarms))))

    def result(self) -> list[Event]:
        if self.errors:
            raise CalendarParseError(self.parser, "; ".join(self.errors))
        return _sorted(self.events)


# -- icalendar -----------------------------------------------------------------------------------------------------


def _icalendar_calendar(body: bytes):
    import icalendar

    try:
        calendar = icalendar.Calendar.from_ical(body)
    except Exception as error:  # noqa: BLE001 - any failure to read is a parse error here
        raise CalendarParseError("icalendar", f"parse error: {error}") from error
    if calendar.name != "VCALENDAR":
        raise CalendarParseError("icalendar", f"expected VCALENDAR, got {calendar.name}")
    return calendar


def _listed(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _icalendar_rule(rule, dtstart: date | datetime) -> str:
    """The RRULE as dateutil accepts it: UNTIL in the same form (date/naive/aware) as DTSTART."""
    rule = rule.copy()
    for until in rule.get("UNTIL", [])[:1]:
        if not isinstance(dtstart, datetime):
            until = until.date() if isinstance(until, datetime) else until
        elif not isinstance(until, datetime):
            until = datetime.combine(until, time(23, 59, 59), dtstart.tzinfo)
        elif dtstart.tzinfo is None and until.tzinfo is not None:
            until = until.replace(tzinfo=None)
        elif dtstart.tzinfo is not None and until.tzinfo is None:
            until = until.replace(tzinfo=dtstart.tzinfo)
        rule["UNTIL"] = [until]
    return rule.to_ical().decode()


def expand_icalendar(body: bytes, start: date, end: date) -> list[Event]:
    """The occurrences in [start, end) as the `icalendar` package reads the body (RRULE via dateutil.rrule)."""
    from dateutil.rrule import rruleset, rrulestr

    calendar = _icalendar_calendar(body)
    out = _Collector("icalendar", start, end)
    zones = {str(zone.get("TZID")) for zone in calendar.walk("VTIMEZONE")}
    for component in calendar.walk():
        for name, error in getattr(component, "errors", []):
            out.errors.append(f"{component.name} {name}: {error}")
    vevents = calendar.walk("VEVENT")
    overrides: dict[str, set[str]] = {}
    for component in vevents:
        if "RECURRENCE-ID" in component and "UID" in component:
            overrides.setdefault(str(component["UID"]), set()).add(_time_string(component.decoded("RECURRENCE-ID")))
    for component in vevents:
        uid = component.get("UID")
        if uid is None:
            out.errors.append("VEVENT without UID")
            continue
        uid = str(uid)
        if "DTSTART" not in component:
            out.errors.append(f"VEVENT {uid} without DTSTART")
            continue
        for name in ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE"):
            for prop in _listed(component.get(name)):
                tzid = prop.params.get("TZID")
                if tzid and tzid not in zones:
                    out.errors.append(f"VEVENT {uid}: TZID {tzid} has no VTIMEZONE")
        try:
            dtstart = component.decoded("DTSTART")
            summary = component.get("SUMMARY")
            sequence = component.decoded("SEQUENCE") if "SEQUENCE" in component else 0
            alarms = [_trigger_string(alarm["TRIGGER"].dt, alarm["TRIGGER"].params.get("RELATED"))
                      for alarm in component.walk("VALARM") if "TRIGGER" in alarm]
            rules, rdates = _listed(component.get("RRULE")), _listed(component.get("RDATE"))
            if "RECURRENCE-ID" in component or not (rules or rdates):
                out.add(uid, dtstart, summary, sequence, alarms, set())
                continue
            rule_set = rruleset()
            first = _as_rrule_start(dtstart)
            for rule in rules:
                rule_set.rrule(rrulestr(_icalendar_rule(rule, dtstart), dtstart=first))
            if not rules:
                rule_set.rdate(first)
            for listing in rdates:
                for item in listing.dts:
                    value = item.dt[0] if isinstance(item.dt, tuple) else item.dt
                    rule_set.rdate(_as_rrule_start(value))
            for listing in _listed(component.get("EXDATE")):
                for item in listing.dts:
                    rule_set.exdate(_as_rrule_start(item.dt))
            skip = overrides.get(uid, set())
            for value in _expand_set(rule_set, dtstart, start, end):
                out.add(uid, value, summary, sequence, alarms, skip)
        except Exception as error:  # noqa: BLE001
            out.errors.append(f"VEVENT {uid}: {type(error).__name__}: {error}")
    return out.result()


# -- vobject -------------------------------------------------------------------------------------------------------


def _vobject_calendar(body: bytes):
    import vobject
    import vobject.icalendar

    # vobject keeps the time zones it has seen in a module-wide map and prefers those over a body's own VTIMEZONE:
    # start each body afresh, so what it reads depends on this body alone.
    registry = getattr(vobject.icalendar, "__tzidMap")
    registry.clear()
    vobject.icalendar.registerTzid("UTC", vobject.icalendar.utc)
    try:
        calendar = vobject.readOne(body.decode("utf-8"))
    except Exception as error:  # noqa: BLE001
        raise CalendarParseError("vobject", f"parse error: {error}") from error
    if calendar.name != "VCALENDAR":
        raise CalendarParseError("vobject", f"expected VCALENDAR, got {calendar.name}")
    return calendar


def expand_vobject(body: bytes, start: date, end: date) -> list[Event]:
    """The occurrences in [start, end) as `vobject` reads the body (RRULE/RDATE/EXDATE via getrruleset())."""
    calendar = _vobject_calendar(body)
    out = _Collector("vobject", start, end)
    zones = {zone.tzid.value for zone in calendar.contents.get("vtimezone", []) if hasattr(zone, "tzid")}
    vevents = calendar.contents.get("vevent", [])
    overrides: dict[str, set[str]] = {}
    for component in vevents:
        if "recurrence-id" in component.contents and "uid" in component.contents:
            overrides.setdefault(component.uid.value, set()).add(
                _time_string(component.contents["recurrence-id"][0].value))
    for component in vevents:
        if "uid" not in component.contents:
            out.errors.append("VEVENT without UID")
            continue
        uid = component.uid.value
        if "dtstart" not in component.contents:
            out.errors.append(f"VEVENT {uid} without DTSTART")
            continue
        for name in ("dtstart", "dtend", "recurrence-id", "exdate", "rdate"):
            for prop in component.contents.get(name, []):
                tzids = {getattr(prop, "tzid_param", None), *prop.params.get("TZID", []),
                         *prop.params.get("X-VOBJ-ORIGINAL-TZID", [])} - {None}
                for tzid in tzids:
                    if tzid not in zones:
                        out.errors.append(f"VEVENT {uid}: TZID {tzid} has no VTIMEZONE")
        try:
            dtstart = component.dtstart.value
            summary = component.summary.value if "summary" in component.contents else None
            sequence = component.sequence.value if "sequence" in component.contents else 0
            alarms = [_trigger_string(alarm.trigger.value, (alarm.trigger.params.get("RELATED") or [None])[0])
                      for alarm in component.contents.get("valarm", []) if "trigger" in alarm.contents]
            rule_set = None
            if "recurrence-id" not in component.contents:
                rule_set = component.getrruleset(addRDate=True)
            if rule_set is None:
                out.add(uid, dtstart, summary, sequence, alarms, set())
                continue
            skip = overrides.get(uid, set())
            for value in _expand_set(rule_set, dtstart, start, end):
                out.add(uid, value, summary, sequence, alarms, skip)
        except Exception as error:  # noqa: BLE001
            out.errors.append(f"VEVENT {uid}: {type(error).__name__}: {error}")
    return out.result()


# -- ical.js under node --------------------------------------------------------------------------------------------


def node_available() -> bool:
    """node is on PATH and tests/js/node_modules holds ical.js (does not install; see ensure_icaljs)."""
    return shutil.which("node") is not None and ICALJS_PACKAGE.is_file()


def ensure_icaljs() -> bool:
    """Install tests/js's locked packages (`npm ci`) where node_modules lacks ical.js and npm exists; True when ical.js
    is there afterwards. `make test` does the same before pytest; this covers running pytest directly on a fresh clone.
    A lock keeps parallel test processes from installing at the same time."""
    if ICALJS_PACKAGE.is_file():
        return True
    npm = shutil.which("npm")
    if npm is None:
        return False
    lock_name = "skotsel-npm-ci-" + hashlib.sha256(str(JS_DIR).encode()).hexdigest()[:12] + ".lock"
    with open(Path(tempfile.gettempdir()) / lock_name, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ICALJS_PACKAGE.is_file():
            result = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS_DIR, capture_output=True,
                                    text=True, timeout=300, check=False)
            if result.returncode != 0:
                raise RuntimeError(f"npm ci in {JS_DIR} failed:\n{result.stdout}\n{result.stderr}")
    return ICALJS_PACKAGE.is_file()


def require_node() -> None:
    """In a test: make sure ical.js can run (installing it if need be); otherwise skip with the reason, or fail when
    SKOTSEL_REQUIRE_NODE=1."""
    ensure_icaljs()
    if node_available():
        return
    if shutil.which("node") is None:
        reason = "node saknas: apt-get install nodejs npm (ical.js-jämförelsen körs inte)"
    else:
        reason = f"ical.js saknas i {ICALJS_PACKAGE.parent.parent}: kör `npm ci` i {JS_DIR} (npm saknas?)"
    if os.environ.get("SKOTSEL_REQUIRE_NODE") == "1":
        pytest.fail(f"{reason}; SKOTSEL_REQUIRE_NODE=1 kräver ical.js-testerna", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def icaljs() -> Callable[[bytes, date, date], list[Event]]:
    """expand_icaljs, after require_node(): import this fixture into a test module to skip/fail up front."""
    require_node()
    return expand_icaljs


def _run_icaljs(body: bytes, start: date, end: date) -> dict:
    require_node()
    try:
        result = subprocess.run(["node", str(EXPAND_SCRIPT), start.isoformat(), end.isoformat()], input=body,
                                capture_output=True, timeout=NODE_TIMEOUT_S, cwd=JS_DIR, check=False)
    except subprocess.TimeoutExpired as error:
        raise CalendarParseError("ical.js", f"node did not finish within {NODE_TIMEOUT_S} s") from error
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip() or f"node exited {result.returncode}"
        raise CalendarParseError("ical.js", message.removeprefix("ical.js: "))
    return json.loads(result.stdout)


def _parse_js_time(text: str) -> date | datetime:
    if len(text) == 10:
        return date.fromisoformat(text)
    if text.endswith("Z"):
        return datetime.fromisoformat(text[:-1]).replace(tzinfo=timezone.utc)
    return datetime.fromisoformat(text)


def expand_icaljs(body: bytes, start: date, end: date) -> list[Event]:
    """The occurrences in [start, end) as Mozilla's ical.js reads the body (node tests/js/expand.mjs). Skips the test
    (or fails it under SKOTSEL_REQUIRE_NODE=1) where node or ical.js is missing."""
    data = _run_icaljs(body, start, end)
    return _sorted(Event(uid=item["uid"], start=_parse_js_time(item["start"]), summary=item["summary"],
                         sequence=int(item["sequence"]), alarms=tuple(item["alarms"])) for item in data["events"])


# -- all three -----------------------------------------------------------------------------------------------------

EXPANDERS: dict[str, Callable[[bytes, date, date], list[Event]]] = {
    "icalendar": expand_icalendar, "vobject": expand_vobject, "ical.js": expand_icaljs}


def calendar_names(body: bytes) -> dict[str, str | None]:
    """X-WR-CALNAME as each parser reads it: {"icalendar": ..., "vobject": ..., "ical.js": ...} (None where absent)."""
    name = _icalendar_calendar(body).get("X-WR-CALNAME")
    vcal = _vobject_calendar(body)
    vname = vcal.contents["x-wr-calname"][0].value if "x-wr-calname" in vcal.contents else None
    day = date(2000, 1, 1)
    return {"icalendar": None if name is None else str(name), "vobject": vname,
            "ical.js": _run_icaljs(body, day, day)["name"]}


def expand_all(body: bytes, start: date, end: date) -> list[Event]:
    """Expand with all three parsers and return the common list. Raises CalendarParseError when every parser rejects
    the body, AssertionError (with each parser's answer) when they disagree in any way, including one rejecting it.
    Skips/fails like expand_icaljs where node is missing."""
    require_node()
    results: dict[str, list[Event] | CalendarParseError] = {}
    for name, expand in EXPANDERS.items():
        try:
            results[name] = expand(body, start, end)
        except CalendarParseError as error:
            results[name] = error
    errors = [result for result in results.values() if isinstance(result, CalendarParseError)]
    if len(errors) == len(results):
        raise CalendarParseError("all parsers", " | ".join(str(error) for error in errors))
    answers = list(results.values())
    if errors or any(answer != answers[0] for answer in answers[1:]):
        raise AssertionError("the iCalendar parsers disagree:\n" + describe(results))
    return answers[0]


def describe(results: dict[str, list[Event] | Exception]) -> str:
    """A readable side-by-side of parser answers, for assertion messages."""
    lines = []
    for name, result in results.items():
        if isinstance(result, Exception):
            lines.append(f"  {name}: ERROR {result}")
            continue
        lines.append(f"  {name}: {len(result)} occurrence(s)")
        lines.extend(f"    {_time_string(e.start)} {e.uid} {e.summary!r} seq={e.sequence} alarms={list(e.alarms)}"
                     for e in result)
    return "\n".join(lines)
