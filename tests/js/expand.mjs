// Test support: parse an iCalendar body with Mozilla's ical.js and print every event occurrence in a window as JSON,
// so tests/calendar_parsers.py can compare ical.js with the two Python parsers.
//
//   node tests/js/expand.mjs 2026-03-01 2026-12-31 < feed.ics
//
// The window is [start, end): an all-day occurrence counts when its date is in it, a timed one when its start,
// taken in UTC, is at or after start 00:00Z and before end 00:00Z (floating times: the same, without a zone).
// Output: {"name": X-WR-CALNAME or null, "errors": [...], "events": [{uid, start, summary, sequence, alarms}]}
// with start "YYYY-MM-DD" (date), "YYYY-MM-DDTHH:MM:SSZ" (timed, in UTC) or "YYYY-MM-DDTHH:MM:SS" (floating), and
// alarms the sorted triggers: a duration in seconds-exact form ("-PT15M", "-P1D", "-P1DT2H"; ";RELATED=END" added
// when related to the end) or an absolute UTC time ("2026-03-01T09:00:00Z").
// A body that ical.js cannot parse, or one with errors (see below), prints the message on stderr and exits 1.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const MAX_OCCURRENCES = 100000;

function fail(message) {
  process.stderr.write(`ical.js: ${message}\n`);
  process.exit(1);
}

const [startArg, endArg] = process.argv.slice(2);
const DAY = /^\d{4}-\d{2}-\d{2}$/;
if (!DAY.test(startArg ?? "") || !DAY.test(endArg ?? "")) {
  fail("usage: node expand.mjs START END < body.ics  (dates as YYYY-MM-DD)");
}

const pad = (n, width = 2) => String(n).padStart(width, "0");
const dayString = (t) => `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}`;
const clockString = (t) => `${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`;

function timeString(time) {
  if (time.isDate) return dayString(time);
  if (time.zone === ICAL.Timezone.localTimezone) return `${dayString(time)}T${clockString(time)}`;  // floating
  const utc = time.convertToZone(ICAL.Timezone.utcTimezone);
  return `${dayString(utc)}T${clockString(utc)}Z`;
}

function durationString(seconds) {
  const sign = seconds < 0 ? "-" : "";
  let rest = Math.abs(seconds);
  const days = Math.floor(rest / 86400);
  rest -= days * 86400;
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  const secs = rest - minutes * 60;
  let text = `${sign}P${days ? `${days}D` : ""}`;
  if (hours || minutes || secs || !days) {
    text += `T${hours ? `${hours}H` : ""}${minutes ? `${minutes}M` : ""}${secs || (!hours && !minutes) ? `${secs}S` : ""}`;
  }
  return text;
}

function triggerString(property) {
  const value = property.getFirstValue();
  if (value instanceof ICAL.Duration) {
    const related = String(property.getParameter("related") ?? "START").toUpperCase();
    return durationString(value.toSeconds()) + (related === "END" ? ";RELATED=END" : "");
  }
  if (value instanceof ICAL.Time) return timeString(value);
  return String(value);
}

let body;
try {
  body = readFileSync(0, "utf8");
} catch (error) {
  fail(`cannot read stdin: ${error.message}`);
}

let root;
try {
  root = new ICAL.Component(ICAL.parse(body));
} catch (error) {
  fail(`parse error: ${error.message}`);
}
if (root.name !== "vcalendar") fail(`expected VCALENDAR, got ${root.name.toUpperCase()}`);

const errors = [];
const windowStart = { date: startArg, timed: `${startArg}T00:00:00Z`, floating: `${startArg}T00:00:00` };
const windowEnd = { date: endArg, timed: `${endArg}T00:00:00Z`, floating: `${endArg}T00:00:00` };
const kindOf = (text) => (text.length === 10 ? "date" : text.endsWith("Z") ? "timed" : "floating");
const inWindow = (text) => text >= windowStart[kindOf(text)] && text < windowEnd[kindOf(text)];
const afterWindow = (text) => text >= windowEnd[kindOf(text)];

const definedZones = new Set(root.getAllSubcomponents("vtimezone").map((z) => z.getFirstPropertyValue("tzid")));

function eventRecord(component, uid, start) {
  return {
    uid,
    start,
    summary: component.getFirstPropertyValue("summary") ?? null,
    sequence: Number(component.getFirstPropertyValue("sequence") ?? 0),
    alarms: component.getAllSubcomponents("valarm")
      .filter((alarm) => alarm.hasProperty("trigger"))
      .map((alarm) => triggerString(alarm.getFirstProperty("trigger")))
      .sort(),
  };
}

// Overridden instances (RECURRENCE-ID) replace the master's occurrence at that instant.
const vevents = root.getAllSubcomponents("vevent");
const overrides = new Map();  // uid -> Set of recurrence-id strings
for (const component of vevents) {
  if (component.hasProperty("recurrence-id")) {
    const uid = component.getFirstPropertyValue("uid");
    if (!overrides.has(uid)) overrides.set(uid, new Set());
    overrides.get(uid).add(timeString(component.getFirstPropertyValue("recurrence-id")));
  }
}

const events = [];
for (const component of vevents) {
  const uid = component.getFirstPropertyValue("uid");
  if (!uid) {
    errors.push("VEVENT without UID");
    continue;
  }
  if (!component.hasProperty("dtstart")) {
    errors.push(`VEVENT ${uid} without DTSTART`);
    continue;
  }
  for (const name of ["dtstart", "dtend", "recurrence-id", "exdate", "rdate"]) {
    for (const property of component.getAllProperties(name)) {
      const tzid = property.getParameter("tzid");
      if (tzid && !definedZones.has(tzid)) errors.push(`VEVENT ${uid}: TZID ${tzid} has no VTIMEZONE`);
    }
  }
  let event;
  try {
    event = new ICAL.Event(component);
    if (component.hasProperty("recurrence-id") || !event.isRecurring()) {
      const start = timeString(event.startDate);
      if (inWindow(start)) events.push(eventRecord(component, uid, start));
      continue;
    }
    const skip = overrides.get(uid) ?? new Set();
    const iterator = event.iterator();
    let count = 0;
    for (let next = iterator.next(); next; next = iterator.next()) {
      if (++count > MAX_OCCURRENCES) {
        errors.push(`VEVENT ${uid}: more than ${MAX_OCCURRENCES} occurrences before the window ends`);
        break;
      }
      const start = timeString(next);
      if (afterWindow(start)) break;
      if (inWindow(start) && !skip.has(start)) events.push(eventRecord(component, uid, start));
    }
  } catch (error) {
    errors.push(`VEVENT ${uid}: ${error.message}`);
  }
}

events.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
const result = { name: root.getFirstPropertyValue("x-wr-calname") ?? null, errors, events };
if (errors.length) {
  process.stderr.write(`ical.js: ${errors.join("; ")}\n`);
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exit(1);
}
process.stdout.write(JSON.stringify(result) + "\n");
