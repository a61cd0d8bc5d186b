"""Kalenderflöden: what a calendar subscription carries, the secret tokens behind the URLs, and the change tracking
that makes SEQUENCE and LAST-MODIFIED rise exactly when something visible in an event changes.

An event's *facts* (EventFacts) are everything it shows, in Swedish and English, independent of who reads it. Their
fingerprint is compared with the one stored in FeedEvent the last time the event was published: a different
fingerprint raises SEQUENCE and stamps the change; the same fingerprint changes nothing, so an unchanged feed is the
same bytes on every poll. `sync_events` is called when a feed is built (the first poll after a change stamps it) and
by the nightly job over every municipality's window (a status that flips because a date passed is stamped then).

Rendering the facts as iCalendar is the web layer's (skotsel.web.calendar); this module knows no words but the facts.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass, fields
from functools import cached_property
from datetime import date, datetime, timedelta

from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload, selectinload

from skotsel.domain.errors import ValidationError
from skotsel.extensions import db
from skotsel.models.versions import DataVersion, versions
from skotsel.models import (
    AgreedTask,
    Agreement,
    Association,
    Completion,
    Deviation,
    FeedEvent,
    FeedToken,
    Inspection,
    Membership,
    Municipality,
    Occurrence,
    Site,
    User,
)
from skotsel.services import audit, transaction
from skotsel.services import secret_tokens
from skotsel.services.secret_tokens import hash_token, new_token
from skotsel.services.access import Forbidden, NotFound, Principal, can_write, load
from skotsel.services.agreements import describe_agreed_task
from skotsel.services.schedule import states

#: The published window: the past 60 days and the next 13 months (CALENDAR.md: Google refuses feeds over 1 MB).
PAST_DAYS = 60
FUTURE_MONTHS = 13
#: A poll writes last_used_at at most this often, so that polling stays a read.
USED_RESOLUTION = timedelta(hours=1)
#: Words that look like an e-mail address or a phone number are left out of every feed (a resident may have typed
#: theirs into a report).
_EMAIL = re.compile(r"[^\s@<>()\[\],;:]+@[^\s@<>()\[\],;:]+\.[^\s@<>()\[\],;:]+")
#: A run of digits with the separators people type in phone numbers: 070-123 45 67, (070) 123.45.67, +46 70/123…
_PHONE = re.compile(r"(?<![\w])(?:\+|00)?\(?\d[\d\s.\-/()]*\d(?![\w])")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: So many digits make a phone number (a Swedish one has at least 7 after the area code's 0).
PHONE_DIGITS = 7
MAX_DETAIL = 300
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def window(today: date) -> tuple[date, date]:
    """The first and last day a feed covers."""
    return today - timedelta(days=PAST_DAYS), today + relativedelta(months=FUTURE_MONTHS)


# --- tokens ----------------------------------------------------------------------------------------------------


def _check_scope(principal: Principal, kind: str, *, association_id: int | None, site_id: int | None) -> int:
    """The municipality a feed of this kind and scope belongs to, if the principal may have it; else NotFound."""
    if kind == "personal":
        if not principal.associations:
            raise NotFound("personal feed without an association")
        return min(principal.association_municipality.values())
    if kind == "staff":
        if not principal.staff_of:
            raise NotFound("staff feed for someone who is not staff")
        return principal.home_municipality_id
    if kind == "association":
        return load(principal, Association, association_id).municipality_id
    if kind == "site":
        return load(principal, Site, site_id).municipality_id
    raise NotFound(f"feed kind {kind!r}")


def create_token(*, principal: Principal, kind: str, association_id: int | None = None,
                 site_id: int | None = None) -> tuple[FeedToken, str]:
    """A new calendar link for the principal; returns the row and the token, which is shown once and never stored."""
    if principal.user_id is None:
        raise Forbidden("FeedToken")
    association_id = association_id if kind == "association" else None
    site_id = site_id if kind == "site" else None
    municipality_id = _check_scope(principal, kind, association_id=association_id, site_id=site_id)
    token = new_token()
    with transaction():
        row = FeedToken(municipality_id=municipality_id, user_id=principal.user_id, kind=kind,
                        association_id=association_id, site_id=site_id, token_hash=hash_token(token))
        db.session.add(row)
        db.session.flush()
        audit.record_create(actor_id=principal.user_id, obj=row, label=f"Kalenderlänk ({kind})",
                            fields=("kind", "association_id", "site_id"))
    return row, token


def revoke_token(*, principal: Principal, feed_token: FeedToken, now: datetime) -> None:
    """Turn a calendar link off: the next poll gets 404."""
    if not can_write(principal, feed_token):
        raise NotFound(f"FeedToken {feed_token.id}")
    if feed_token.revoked_at is not None:
        raise ValidationError("Kalenderlänken är redan återkallad.", "The calendar link is already revoked.")
    with transaction():
        changes = audit.apply_changes(feed_token, {"revoked_at": now})
        audit.record(actor_id=principal.user_id, action="update", obj=feed_token,
                     label=f"Kalenderlänk ({feed_token.kind}) återkallad", changes=changes)


def rotate_token(*, principal: Principal, feed_token: FeedToken, now: datetime) -> tuple[FeedToken, str]:
    """Replace a calendar link with a new one of the same kind and scope (the old one stops working)."""
    with transaction():
        revoke_token(principal=principal, feed_token=feed_token, now=now)
        return create_token(principal=principal, kind=feed_token.kind, association_id=feed_token.association_id,
                            site_id=feed_token.site_id)


def tokens_of(principal: Principal) -> list[FeedToken]:
    """The principal's calendar links that still work, newest first."""
    if principal.user_id is None:
        return []
    return list(db.session.scalars(
        select(FeedToken).where(FeedToken.user_id == principal.user_id, FeedToken.revoked_at.is_(None))
        .options(joinedload(FeedToken.association), joinedload(FeedToken.site))
        .order_by(FeedToken.created_at.desc(), FeedToken.id.desc())))


def find(token: str) -> tuple[FeedToken, Principal] | None:
    """The working calendar link behind `token` and its owner's rights today, or None: malformed, unknown, revoked,
    its owner deactivated, or the scope no longer theirs (a member who left the association)."""
    row = secret_tokens.find_by_token(FeedToken, token, FeedToken.revoked_at.is_(None),
                                      options=[joinedload(FeedToken.user).selectinload(User.memberships)])
    if row is None:
        return None
    principal = Principal.of(row.user)
    try:
        municipality_id = _check_scope(principal, row.kind, association_id=row.association_id, site_id=row.site_id)
    except NotFound:
        return None
    if row.kind == "staff" and municipality_id != row.municipality_id:
        return None  # staff of another municipality now
    return row, principal


def mark_used(row: FeedToken, now: datetime) -> None:
    """Remember when the link was last polled, at most once an hour (a poll should not be a write)."""
    secret_tokens.mark_used(row, now, every=USED_RESOLUTION)


@dataclass(frozen=True)
class Poll:
    """What a poll knows before reading a single event: the link's stored state, its owner's rights and the data
    versions of the municipalities it can show — read with one plain query (`glance`)."""

    id: int
    last_used_at: datetime | None
    body_etag: str | None
    body_changed_at: datetime | None
    body_key: str | None
    user_locale: str | None
    principal: Principal
    data: dict[int, int]


# Built once: a poll that finds nothing changed should cost little more than its one query — the link, its owner,
# and a row per membership with that municipality's data version.
_GLANCE = (
    select(FeedToken.id, FeedToken.municipality_id, FeedToken.token_hash, FeedToken.last_used_at,
           FeedToken.body_etag, FeedToken.body_changed_at, FeedToken.body_key, FeedToken.user_id,
           User.locale.label("user_locale"), User.is_active,
           Membership.municipality_id.label("membership_municipality_id"),
           Membership.association_id.label("membership_association_id"), Membership.role, DataVersion.version)
    .join(User, User.id == FeedToken.user_id)
    .outerjoin(Membership, Membership.user_id == User.id)
    .outerjoin(DataVersion, DataVersion.municipality_id == Membership.municipality_id)
    .where(FeedToken.token_hash == bindparam("token_hash"), FeedToken.revoked_at.is_(None))
)


@dataclass(frozen=True)
class _Membership:
    municipality_id: int
    association_id: int | None
    role: str


def glance(token: str) -> Poll | None:
    """The link behind `token` as far as a poll that finds nothing changed needs it, or None: a malformed, unknown
    or revoked token, or one whose owner is deactivated (the full lookup, `find`, then says 404 with its reason).
    The owner's rights are not checked against the scope here: they are part of the key the stored body was built
    from (`poll_key`), and any change to them — a membership, a site passing to another association — raises a
    data version, so the key no longer matches and the poll takes the full way."""
    if not secret_tokens.well_formed(token):
        return None
    rows = db.session.execute(_GLANCE, {"token_hash": hash_token(token)}).all()
    if not rows or not secret_tokens.matches(rows[0].token_hash, token) or not rows[0].is_active:
        return None
    row = rows[0]
    memberships = [_Membership(item.membership_municipality_id, item.membership_association_id, item.role)
                   for item in rows if item.membership_municipality_id is not None]
    data = {item.membership_municipality_id: item.version or 0 for item in rows
            if item.membership_municipality_id is not None}
    if row.municipality_id not in data:
        return None  # not theirs any more: the full lookup says so
    return Poll(row.id, row.last_used_at, row.body_etag, row.body_changed_at, row.body_key, row.user_locale,
                Principal.of_memberships(row.user_id, memberships), data)


def mark_polled(poll: Poll, now: datetime) -> bool:
    """mark_used for a poll answered from what was stored; whether it wrote."""
    if poll.last_used_at is None or now - poll.last_used_at >= USED_RESOLUTION:
        db.session.execute(update(FeedToken).where(FeedToken.id == poll.id).values(last_used_at=now)
                           .execution_options(bookkeeping=True))
        db.session.commit()
        return True
    return False


def data_versions(row: FeedToken) -> dict[int, int]:
    """The data versions of the municipalities a link can show (raised by every change to their data,
    skotsel.models.versions). Read them before the events, so a body is never filed under a newer version."""
    return versions({row.municipality_id} | {membership.municipality_id for membership in row.user.memberships})


def poll_key(row: FeedToken | Poll, principal: Principal, *, data: dict[int, int], today: date, locale: str,
             settings: tuple) -> str:
    """Everything a link's body is built from, short of reading its events: the link (its kind and scope never
    change), the `data` versions, the day (statuses and the window follow it), the reader's rights and language
    (the SEQUENCE bumps of a language switch follow the language), and `settings` (what else the web layer renders
    with). While the key stays the same, so does the body."""
    return hashlib.sha256(json.dumps([
        row.id, sorted(principal.associations), sorted(principal.staff_of), sorted(data.items()), today.isoformat(),
        locale, list(settings),
    ], default=str).encode("utf-8")).hexdigest()


def record_body(row: FeedToken, etag: str, now: datetime, *, key: str | None = None) -> datetime:
    """The time the link's body last changed (the Last-Modified header, whole seconds): now if `etag` differs from
    the body served before — and always at least a second after the previous change, so that an If-Modified-Since
    from the same second as the old body cannot match the new one. `key` is what the body was built from."""
    if row.body_etag == etag and row.body_changed_at is not None:
        if row.body_key != key:
            db.session.execute(update(FeedToken).where(FeedToken.id == row.id).values(body_key=key)
                               .execution_options(bookkeeping=True))
            db.session.commit()
        return row.body_changed_at
    changed_at = now.replace(microsecond=0)
    if row.body_changed_at is not None and changed_at <= row.body_changed_at:
        changed_at = row.body_changed_at.replace(microsecond=0) + timedelta(seconds=1)
    db.session.execute(update(FeedToken).where(FeedToken.id == row.id)
                       .values(body_etag=etag, body_changed_at=changed_at, body_key=key)
                       .execution_options(bookkeeping=True))
    db.session.commit()
    return changed_at


def note_locale(row: FeedToken, locale: str, now: datetime) -> tuple[int, datetime | None]:
    """Every event's text changes with the reader's language, so a new language raises each event's published
    SEQUENCE by one more (`locale_bumps`) and stamps the change. Returns (bumps, when the language last changed)."""
    if row.served_locale == locale:
        return row.locale_bumps, row.locale_changed_at
    if row.served_locale is None:  # the first poll: nothing to compare with
        values = {"served_locale": locale}
    else:
        values = {"served_locale": locale, "locale_bumps": FeedToken.locale_bumps + 1, "locale_changed_at": now}
    db.session.execute(update(FeedToken).where(FeedToken.id == row.id).values(**values)
                       .execution_options(bookkeeping=True))
    db.session.commit()
    db.session.refresh(row)
    return row.locale_bumps, row.locale_changed_at


# --- facts -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventFacts:
    """Everything one published event shows; two events with the same facts look the same in every calendar."""

    kind: str  # occurrence, deviation or inspection
    object_id: int
    day: date
    #: The status key: an occurrence's (upcoming, due, overdue, done, done_late, missed, excused), a deviation's
    #: (open, fixed, verified, reopened) or "inspection".
    status: str
    title_sv: str
    title_en: str
    site: str = ""
    place: str = ""
    lat: float | None = None
    lon: float | None = None
    done_on: date | None = None
    done_by: str = ""
    level_sv: str = ""
    level_en: str = ""
    detail: str = ""
    #: Days before the event the reminder goes off; None: no reminder (done, closed, or past).
    alarm_days: int | None = None
    #: The page the event links to, as an endpoint name and its id.
    link: tuple[str, int] = ("", 0)

    @property
    def uid_key(self) -> tuple[str, int]:
        return self.kind, self.object_id

    @cached_property
    def fingerprint(self) -> str:
        values = [getattr(self, item.name) for item in fields(self)]
        return hashlib.sha256(json.dumps(values, default=str, ensure_ascii=False).encode("utf-8")).hexdigest()


def scrub(text: str | None) -> str:
    """Text without e-mail addresses or phone numbers (each becomes "…"); dates and amounts stay."""
    return _PHONE.sub(_mask_phone, _EMAIL.sub("…", text or ""))


def _mask_phone(found: re.Match) -> str:
    run = found.group(0)
    if _ISO_DATE.fullmatch(run.strip()) or sum(char.isdigit() for char in run) < PHONE_DIGITS:
        return run
    return "…"


def clean_detail(text: str | None) -> str:
    """Free text fit for a feed: scrubbed, one paragraph, at most MAX_DETAIL characters."""
    text = " ".join(scrub(text).split())
    return text if len(text) <= MAX_DETAIL else text[:MAX_DETAIL - 1].rstrip() + "…"


def _place(site: Site) -> str:
    return site.village.name if site.village is not None else ""


def _occurrence_facts(occurrences: list[Occurrence], *, today: date) -> list[EventFacts]:
    if not occurrences:
        return []
    found = states(occurrences, today=today)  # loads the agreed tasks with their task types and agreements
    task_ids = {occurrence.agreed_task_id for occurrence in occurrences}
    site_ids = {occurrence.agreed_task.site_id for occurrence in occurrences}
    sites = {site.id: site for site in db.session.scalars(
        select(Site).where(Site.id.in_(site_ids)).options(joinedload(Site.village)))}
    # Completions from the earliest day any of these occurrences could be done on.
    since = min(occurrence.window_starts_on for occurrence in occurrences)
    # Who did it: the completion logged against the occurrence on the counted date; for a quota, whose counted
    # completion may be logged against a sibling, the first completion of the task on that date.
    by_occurrence: dict[tuple[int, date], str] = {}
    by_task: dict[tuple[int, date], str] = {}
    for occurrence_id, task_id, completed_on, name in db.session.execute(
        select(Completion.occurrence_id, Occurrence.agreed_task_id, Completion.completed_on, User.name)
        .join(Completion.occurrence).outerjoin(User, User.id == Completion.user_id)
        .where(Occurrence.agreed_task_id.in_(task_ids), Completion.completed_on >= since)
        .order_by(Completion.id)
    ):
        by_occurrence.setdefault((occurrence_id, completed_on), name or "")
        by_task.setdefault((task_id, completed_on), name or "")
    levels: dict[int, tuple[str, str]] = {}
    facts = []
    for state in found:
        occurrence = state.occurrence
        task = occurrence.agreed_task
        site = sites[task.site_id]
        if task.id not in levels:
            levels[task.id] = (scrub(describe_agreed_task(task, "sv")), scrub(describe_agreed_task(task, "en")))
        status = "overdue" if state.overdue else state.status.value
        settled = status in ("done", "done_late", "missed", "excused")
        facts.append(EventFacts(
            kind="occurrence", object_id=occurrence.id, day=occurrence.due_on, status=status,
            title_sv=task.task_type.name_sv, title_en=task.task_type.name_en, site=site.name, place=_place(site),
            lat=site.lat, lon=site.lon, done_on=state.completed_on,
            done_by=_performer(by_occurrence, by_task, occurrence, state.completed_on),
            level_sv=levels[task.id][0], level_en=levels[task.id][1],
            alarm_days=None if settled or occurrence.due_on < today else task.reminder_lead_days,
            link=("schedule.occurrence", occurrence.id),
        ))
    return facts


def _performer(by_occurrence: dict, by_task: dict, occurrence: Occurrence, completed_on: date | None) -> str:
    if completed_on is None:
        return ""
    found = by_occurrence.get((occurrence.id, completed_on))
    return found if found is not None else by_task.get((occurrence.agreed_task_id, completed_on), "")


def _local_day(moment: datetime | None) -> date | None:
    return moment.astimezone(STOCKHOLM).date() if moment is not None else None


def _deviation_facts(deviations: list[Deviation], *, today: date) -> list[EventFacts]:
    facts = []
    for deviation in deviations:
        site = deviation.site
        still_open = deviation.status in ("open", "reopened")
        facts.append(EventFacts(
            kind="deviation", object_id=deviation.id, day=deviation.fix_by_on, status=deviation.status,
            title_sv="Avvikelse", title_en="Deviation", site=site.name, place=_place(site), lat=site.lat,
            lon=site.lon, done_on=_local_day(deviation.fixed_at),
            done_by=deviation.fixed_by.name if deviation.fixed_by else "",
            detail=clean_detail(deviation.description),
            alarm_days=1 if still_open and deviation.fix_by_on >= today else None,
            link=("followup.deviation", deviation.id),
        ))
    return facts


def _inspection_facts(inspections: list[Inspection]) -> list[EventFacts]:
    facts = []
    for inspection in inspections:
        counts = defaultdict(int)
        for result in inspection.results:
            counts[result.result] += 1
        agreement = inspection.agreement
        facts.append(EventFacts(
            kind="inspection", object_id=inspection.id, day=inspection.inspected_on, status="inspection",
            title_sv="Besiktning", title_en="Inspection", site=agreement.title, place=agreement.association.name,
            done_by=inspection.inspector.name if inspection.inspector else "",
            detail=" ".join(f"{key}={counts[key]}" for key in ("approved", "remark", "failed")),
            link=("followup.inspection", inspection.id),
        ))
    return facts


def _occurrences(condition, first: date, last: date) -> list[Occurrence]:
    return list(db.session.scalars(
        select(Occurrence).join(Occurrence.agreed_task).join(AgreedTask.agreement)
        .where(condition, Occurrence.due_on >= first, Occurrence.due_on <= last)
        .order_by(Occurrence.due_on, Occurrence.id)
    ))


def _deviations(condition, first: date, last: date) -> list[Deviation]:
    return list(db.session.scalars(
        select(Deviation).outerjoin(Deviation.agreement)
        .where(condition, Deviation.fix_by_on.is_not(None), Deviation.fix_by_on >= first, Deviation.fix_by_on <= last)
        .options(joinedload(Deviation.site).joinedload(Site.village), joinedload(Deviation.fixed_by))
        .order_by(Deviation.fix_by_on, Deviation.id)
    ).unique())


def _inspections(municipality_id: int, first: date, last: date) -> list[Inspection]:
    return list(db.session.scalars(
        select(Inspection)
        .where(Inspection.municipality_id == municipality_id, Inspection.inspected_on >= first,
               Inspection.inspected_on <= last)
        .options(selectinload(Inspection.results), joinedload(Inspection.inspector),
                 joinedload(Inspection.agreement).joinedload(Agreement.association))
        .order_by(Inspection.inspected_on, Inspection.id)
    ).unique())


def facts_for(row: FeedToken, principal: Principal, *, today: date) -> list[EventFacts]:
    """The events a calendar link carries today, in date order."""
    first, last = window(today)
    if row.kind == "staff":
        # The municipality's inspections and the deadlines it set for deviations.
        return sorted(_inspection_facts(_inspections(row.municipality_id, first, last))
                      + _deviation_facts(_deviations(Deviation.municipality_id == row.municipality_id, first, last),
                                         today=today), key=_order)
    if row.kind == "personal":
        associations = sorted(principal.associations)
        occurrences = Agreement.association_id.in_(associations)
        deviations = Agreement.association_id.in_(associations)
    elif row.kind == "association":
        occurrences = deviations = Agreement.association_id == row.association_id
    else:
        # A site's events that are the reader's to see: all for the municipality's staff, the association's own for
        # its people (another association's agreement on the same site stays theirs).
        occurrences = and_(AgreedTask.site_id == row.site_id,
                           or_(Occurrence.municipality_id.in_(sorted(principal.staff_of)),
                               Agreement.association_id.in_(sorted(principal.associations))))
        deviations = and_(Deviation.site_id == row.site_id,
                          or_(Deviation.municipality_id.in_(sorted(principal.staff_of)),
                              Agreement.association_id.in_(sorted(principal.associations))))
    return sorted(_occurrence_facts(_occurrences(occurrences, first, last), today=today)
                  + _deviation_facts(_deviations(deviations, first, last), today=today), key=_order)


def _order(facts: EventFacts) -> tuple:
    return facts.day, facts.kind, facts.object_id


def title_for(row: FeedToken) -> str:
    """The calendar's name in the owner's feed (Swedish; the web layer translates the fixed words)."""
    if row.kind == "association":
        return row.association.name
    if row.kind == "site":
        return row.site.name
    return db.session.get(Municipality, row.municipality_id).name if row.kind == "staff" else ""


# --- change tracking -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    sequence: int
    changed_at: datetime


def sync_events(facts: list[EventFacts], *, now: datetime, chunk: int = 500) -> dict[tuple[str, int], Published]:
    """Store each event's fingerprint: a new event starts at SEQUENCE 0, a changed one goes up by one and is stamped
    `now`, an unchanged one keeps what it had. Safe under concurrent polls: only the first writer of a change bumps.
    Returns (kind, id) → its SEQUENCE and time of last change."""
    wanted = {item.uid_key: item.fingerprint for item in facts}
    stored = _stored(list(wanted), chunk)
    new = [key for key in wanted if key not in stored]
    changed = [key for key, fingerprint in wanted.items() if key in stored and stored[key][0] != fingerprint]
    if new or changed:
        if new:
            insert = (postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert)(FeedEvent)
            for start in range(0, len(new), chunk):
                db.session.execute(insert.values([
                    {"kind": kind, "object_id": object_id, "fingerprint": wanted[(kind, object_id)], "sequence": 0,
                     "changed_at": now} for kind, object_id in new[start:start + chunk]
                ]).on_conflict_do_nothing(index_elements=["kind", "object_id"]))
        if changed:
            table = FeedEvent.__table__
            db.session.execute(
                table.update()
                .where(table.c.kind == bindparam("event_kind"), table.c.object_id == bindparam("event_id"),
                       table.c.fingerprint == bindparam("old_fingerprint"))
                .values(fingerprint=bindparam("new_fingerprint"), sequence=table.c.sequence + 1, changed_at=now),
                [{"event_kind": kind, "event_id": object_id, "old_fingerprint": stored[(kind, object_id)][0],
                  "new_fingerprint": wanted[(kind, object_id)]} for kind, object_id in changed])
        db.session.commit()
        stored = _stored(list(wanted), chunk)
    return {key: Published(sequence, changed_at) for key, (_fingerprint, sequence, changed_at) in stored.items()}


def _stored(keys: list[tuple[str, int]], chunk: int) -> dict[tuple[str, int], tuple[str, int, datetime]]:
    by_kind: dict[str, list[int]] = defaultdict(list)
    for kind, object_id in keys:
        by_kind[kind].append(object_id)
    stored = {}
    for kind, ids in by_kind.items():
        for start in range(0, len(ids), chunk):
            for row in db.session.execute(
                select(FeedEvent.object_id, FeedEvent.fingerprint, FeedEvent.sequence, FeedEvent.changed_at)
                .where(FeedEvent.kind == kind, FeedEvent.object_id.in_(ids[start:start + chunk]))
            ):
                stored[(kind, row.object_id)] = (row.fingerprint, row.sequence, row.changed_at)
    return stored


@dataclass
class RefreshSummary:
    events: int = 0
    changed: int = 0

    def __str__(self) -> str:
        return f"{self.events} händelser i kalenderflödena, {self.changed} ändrade"


def refresh_all(*, today: date, now: datetime) -> RefreshSummary:
    """The nightly pass: every municipality's occurrences, deviations and inspections in the window get their
    fingerprints compared, so a status that flipped because a date passed is stamped now (not at the next poll)."""
    summary = RefreshSummary()
    first, last = window(today)
    for municipality_id in db.session.scalars(select(Municipality.id).order_by(Municipality.id)).all():
        facts = (_occurrence_facts(_occurrences(Occurrence.municipality_id == municipality_id, first, last),
                                   today=today)
                 + _deviation_facts(_deviations(Deviation.municipality_id == municipality_id, first, last),
                                    today=today)
                 + _inspection_facts(_inspections(municipality_id, first, last)))
        before = {key: published.sequence for key, published in _published(facts).items()}
        after = sync_events(facts, now=now)
        summary.events += len(facts)
        summary.changed += sum(1 for key, published in after.items()
                               if key in before and published.sequence != before[key])
        db.session.expire_all()
    return summary


def _published(facts: list[EventFacts]) -> dict[tuple[str, int], Published]:
    return {key: Published(sequence, changed_at)
            for key, (_f, sequence, changed_at) in _stored([item.uid_key for item in facts], 500).items()}
