"""Reminder e-mails before an occurrence is due, and the weekly digests for coordinators and reviewers.

Each message is sent exactly once: its Notification key — (occurrence or digest period, kind, recipient) — is
claimed and committed before the message is handed over, so neither a second run nor a second process sends it
again. A temporary refusal is tried again on a later run while the message still matters; a permanent one is kept
as "failed" and shown to the association's coordinators.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Callable, Iterable, Mapping

from flask import current_app
from flask_babel import force_locale, format_date, gettext as _
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload

from skotsel.domain.schedule import Status
from skotsel.extensions import db
from skotsel.models import AgreedTask, Agreement, Association, Membership, Notification, Occurrence, User
from skotsel.services import transaction
from skotsel.services.access import Principal, visible
from skotsel.services.agreements import MAX_LEAD_DAYS, describe_agreed_task
from skotsel.services.mail import (
    DeliveryError,
    Mail,
    PermanentFailure,
    TemporaryFailure,
    build_message,
    deliver,
    header_text,
)
from skotsel.services.schedule import OccurrenceState, states

log = logging.getLogger(__name__)

#: How far back an occurrence may still be due: a scheduler that was down catches up on reminders within this.
LOOKBACK_DAYS = 60
#: How far ahead a reminder can be due: the longest lead an agreed task may have.
LOOKAHEAD_DAYS = MAX_LEAD_DAYS
#: The digests list what became overdue or was missed within this many days.
DIGEST_LOOKBACK_DAYS = 30
#: A claim still "sending" after this long was left by a crash and is tried again. Shorter would risk a
#: duplicate while a slow server is still taking the message; at-most-once beats a second copy.
STALE_CLAIM = timedelta(hours=1)
#: Keys looked up per query, well under SQLite's limit on bound parameters.
KEY_CHUNK = 500

#: Statuses in which an occurrence is still worth a reminder: not done, excused or missed.
REMINDABLE = frozenset({Status.UPCOMING, Status.DUE})


@dataclass
class DeliveryCounts:
    """What a job that sends one kind of e-mail did; the jobs' summaries say it in their own words."""

    sent: int = 0
    failed: int = 0
    retrying: int = 0

    @property
    def anything(self) -> bool:
        return bool(self.sent or self.failed or self.retrying)


@dataclass
class ReminderSummary:
    reminders: int = 0
    coordinator_digests: int = 0
    reviewer_digests: int = 0
    failed: int = 0
    retrying: int = 0

    @property
    def digests(self) -> int:
        return self.coordinator_digests + self.reviewer_digests

    def __str__(self) -> str:
        reminders = "påminnelse skickad" if self.reminders == 1 else "påminnelser skickade"
        digests = "sammanfattning" if self.digests == 1 else "sammanfattningar"
        failed = "misslyckad" if self.failed == 1 else "misslyckade"
        return (f"{self.reminders} {reminders}, {self.digests} {digests}, {self.failed} {failed}, "
                f"{self.retrying} försöks igen")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Outgoing:
    """One message the job wants to exist: its key, who gets it, and how to write it (called with the reader's
    language forced, so that _() and the dates speak it)."""

    key: str
    kind: str
    municipality_id: int
    association_id: int | None
    occurrence_id: int | None
    user: User
    compose: Callable[[], Rendered] = field(compare=False)


@dataclass(frozen=True)
class _Claimable:
    """An outgoing message that may be sent now: never claimed, waiting for a retry, or abandoned by a crash."""

    outgoing: Outgoing
    mail: Mail
    subject: str
    #: Read before the first commit expires the User row.
    user_id: int
    #: None for a new key; else the row to take over and the status it must still have.
    notification_id: int | None = None
    status: str | None = None


def iso_week(day: date) -> str:
    """The digest period a day belongs to, e.g. "2026-W24" (ISO year and week, Monday to Sunday)."""
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def send_reminders(*, today: date, config: Mapping, now: datetime | None = None) -> ReminderSummary:
    """The reminders job: remind members of what is coming due, then send this week's digests not yet sent.

    Safe to run as often as wanted (the scheduler runs it every hour): every message goes out once.
    """
    if db.session.info.get("transaction_depth", 0):
        # Inside another use case's transaction the claims would only commit after sending: no longer once.
        raise RuntimeError("send_reminders commits each claim before sending; call it outside a transaction")
    now = now or datetime.now(timezone.utc)
    occurrence_states = _states_around(today)
    base_url = config["BASE_URL"].rstrip("/")
    reminder_states = _remindable(occurrence_states, today)
    week_items, late_items = _digest_items(occurrence_states, today)
    people = _people(
        association_ids={state.occurrence.agreed_task.agreement.association_id
                         for state in reminder_states + week_items + late_items},
        municipality_ids={state.occurrence.municipality_id for state in late_items},
    )
    outgoing = [
        *_reminders(reminder_states, people, base_url=base_url, config=config),
        *_coordinator_digests(week_items, late_items, people, today=today, base_url=base_url, config=config),
        *_reviewer_digests(late_items, people, today=today, base_url=base_url, config=config),
    ]
    # Everything a message needs is read and written into it before the first commit: committing expires the
    # loaded rows, and reading them again would cost a query per message.
    claimable = _claimable(outgoing, now=now, config=config)
    summary = ReminderSummary()
    for item in claimable:
        _send(item, config=config, now=now, summary=summary)
    return summary


# --- what is due, and who hears of it ------------------------------------------------------------------------


def _states_around(today: date) -> list[OccurrenceState]:
    """The states of the association's occurrences in active agreements due near today, in one pass."""
    occurrences = db.session.scalars(
        select(Occurrence).join(Occurrence.agreed_task).join(AgreedTask.agreement)
        .where(AgreedTask.performed_by == "association", Agreement.status == "active",
               Occurrence.due_on >= today - timedelta(days=LOOKBACK_DAYS),
               Occurrence.due_on <= today + timedelta(days=LOOKAHEAD_DAYS))
        .options(
            contains_eager(Occurrence.agreed_task).contains_eager(AgreedTask.agreement)
            .joinedload(Agreement.association).joinedload(Association.municipality),
            contains_eager(Occurrence.agreed_task).joinedload(AgreedTask.task_type),
            contains_eager(Occurrence.agreed_task).joinedload(AgreedTask.site),
        )
        .order_by(Occurrence.due_on, Occurrence.id)
    ).unique().all()
    return states(occurrences, today=today)


def _remindable(occurrence_states: list[OccurrenceState], today: date) -> list[OccurrenceState]:
    """Occurrences whose reminder day has come and that are still to do: a scheduler that was down catches up,
    but nothing is reminded once it is done, excused or missed."""
    return [state for state in occurrence_states
            if state.status in REMINDABLE
            and state.occurrence.due_on - timedelta(days=state.occurrence.agreed_task.reminder_lead_days) <= today]


def _is_late(state: OccurrenceState) -> bool:
    return state.overdue or state.status is Status.MISSED


def _digest_items(occurrence_states: list[OccurrenceState], today: date
                  ) -> tuple[list[OccurrenceState], list[OccurrenceState]]:
    """(still to do this week, Monday to Sunday; overdue or missed in the last DIGEST_LOOKBACK_DAYS days)."""
    monday = today - timedelta(days=today.weekday())
    sunday = monday + timedelta(days=6)
    since = today - timedelta(days=DIGEST_LOOKBACK_DAYS)
    late = [state for state in occurrence_states if _is_late(state) and since <= state.occurrence.due_on <= today]
    week = [state for state in occurrence_states
            if not _is_late(state) and state.status in REMINDABLE and monday <= state.occurrence.due_on <= sunday]
    return week, late


@dataclass
class _People:
    #: association id → active users with a coordinator or member role there
    members: dict[int, list[User]] = field(default_factory=lambda: defaultdict(list))
    coordinators: dict[int, list[User]] = field(default_factory=lambda: defaultdict(list))
    #: municipality id → active reviewers
    reviewers: dict[int, list[User]] = field(default_factory=lambda: defaultdict(list))


def _people(*, association_ids: set[int], municipality_ids: set[int]) -> _People:
    """Who could get a message, in one query; ordered by name so a batch goes out in a stable order."""
    people = _People()
    if not association_ids and not municipality_ids:
        return people
    memberships = db.session.scalars(
        select(Membership).join(Membership.user)
        .where(User.is_active.is_(True), or_(
            and_(Membership.association_id.in_(sorted(association_ids)),
                 Membership.role.in_(("coordinator", "member"))),
            and_(Membership.association_id.is_(None), Membership.role == "reviewer",
                 Membership.municipality_id.in_(sorted(municipality_ids))),
        ))
        .options(contains_eager(Membership.user))
        .order_by(User.name, User.email, Membership.id)
    ).all()
    for membership in memberships:
        if membership.role == "reviewer":
            people.reviewers[membership.municipality_id].append(membership.user)
        else:
            people.members[membership.association_id].append(membership.user)
            if membership.role == "coordinator":
                people.coordinators[membership.association_id].append(membership.user)
    return people


# --- the messages --------------------------------------------------------------------------------------------


def _locale(user: User, config: Mapping) -> str:
    return user.locale if user.locale in config.get("LANGUAGES", ("sv", "en")) else config["BABEL_DEFAULT_LOCALE"]


def _render(template: str, **context) -> str:
    """An e-mail template from templates/email/; .html ones are autoescaped. Rendered without a request, as the
    scheduler has none (so no context processors, which ask for the signed-in user)."""
    return current_app.jinja_env.get_template(f"email/{template}").render(**context)


def _day(day: date) -> str:
    """"fredag 12 juni" in the language forced for the message."""
    return format_date(day, "EEEE d MMMM")


def _short_day(day: date) -> str:
    return format_date(day, "EEE d MMM")


def _status_word(state: OccurrenceState) -> str:
    if state.overdue:
        return _("försenad")
    return {Status.UPCOMING: _("kommande"), Status.DUE: _("att göra"), Status.MISSED: _("missad")}.get(
        state.status, str(state.status))


def _occurrence_link(base_url: str, occurrence: Occurrence) -> str:
    return f"{base_url}/schedule/occurrences/{occurrence.id}"


def _common(user: User, locale: str, base_url: str) -> dict:
    return {"name": user.name, "lang": locale, "profile_link": f"{base_url}/profile"}


def _reminders(reminder_states: list[OccurrenceState], people: _People, *, base_url: str,
               config: Mapping) -> Iterable[Outgoing]:
    for state in reminder_states:
        occurrence = state.occurrence
        task = occurrence.agreed_task
        agreement = task.agreement
        for user in people.members.get(agreement.association_id, ()):
            if not user.wants_reminders:
                continue
            yield Outgoing(
                key=f"reminder:{occurrence.id}:{user.id}", kind="reminder",
                municipality_id=occurrence.municipality_id, association_id=agreement.association_id,
                occurrence_id=occurrence.id, user=user,
                compose=lambda state=state, user=user: _reminder(state, user, base_url=base_url, config=config),
            )


def _reminder(state: OccurrenceState, user: User, *, base_url: str, config: Mapping) -> Rendered:
    occurrence = state.occurrence
    task = occurrence.agreed_task
    locale = _locale(user, config)
    task_name = task.task_type.name(locale)
    subject = _("Påminnelse: %(task)s, %(site)s – senast %(day)s", task=task_name, site=task.site.name,
                day=_day(occurrence.due_on))
    context = {
        **_common(user, locale, base_url), "subject": subject, "task": task_name, "site": task.site.name,
        "association": task.agreement.association.name, "agreement": task.agreement.title,
        "due": _day(occurrence.due_on), "window_start": _day(occurrence.window_starts_on),
        "on_time_until": _day(state.on_time_until) if state.on_time_until != occurrence.due_on else None,
        "overdue": state.overdue, "level": describe_agreed_task(task, locale),
        "standard": task.task_type.standard(locale).strip(), "link": _occurrence_link(base_url, occurrence),
    }
    return Rendered(subject, _render("reminder.txt", **context), _render("reminder.html", **context))


@dataclass(frozen=True)
class DigestLine:
    """One occurrence in a digest, written out in the reader's language."""

    due: str
    task: str
    site: str
    status: str
    is_late: bool
    link: str


def _lines(items: Iterable[OccurrenceState], locale: str, base_url: str) -> list[DigestLine]:
    return [DigestLine(due=_short_day(state.occurrence.due_on),
                       task=state.occurrence.agreed_task.task_type.name(locale),
                       site=state.occurrence.agreed_task.site.name, status=_status_word(state),
                       is_late=_is_late(state), link=_occurrence_link(base_url, state.occurrence))
            for state in items]


def _by_association(items: Iterable[OccurrenceState]) -> dict[int, list[OccurrenceState]]:
    grouped: dict[int, list[OccurrenceState]] = defaultdict(list)
    for state in items:
        grouped[state.occurrence.agreed_task.agreement.association_id].append(state)
    return grouped


def _coordinator_digests(week_items: list[OccurrenceState], late_items: list[OccurrenceState], people: _People, *,
                         today: date, base_url: str, config: Mapping) -> Iterable[Outgoing]:
    period = iso_week(today)
    week_by_association, late_by_association = _by_association(week_items), _by_association(late_items)
    for association_id in sorted(set(week_by_association) | set(late_by_association)):
        week, late = week_by_association.get(association_id, []), late_by_association.get(association_id, [])
        association = (week or late)[0].occurrence.agreed_task.agreement.association
        for user in people.coordinators.get(association_id, ()):
            if not user.wants_coordinator_digest:
                continue
            yield Outgoing(
                key=f"coordinator_digest:{association_id}:{period}:{user.id}", kind="coordinator_digest",
                municipality_id=association.municipality_id, association_id=association_id, occurrence_id=None,
                user=user,
                compose=lambda user=user, association=association, week=week, late=late: _coordinator_digest(
                    user, association, week, late, today=today, base_url=base_url, config=config),
            )


def _coordinator_digest(user: User, association: Association, week: list[OccurrenceState],
                        late: list[OccurrenceState], *, today: date, base_url: str, config: Mapping) -> Rendered:
    locale = _locale(user, config)
    week_number = today.isocalendar()[1]
    subject = _("Veckosammanfattning vecka %(week)s: %(association)s", week=week_number,
                association=association.name)
    monday = today - timedelta(days=today.weekday())
    context = {
        **_common(user, locale, base_url), "subject": subject, "association": association.name,
        "week": week_number, "monday": _short_day(monday), "sunday": _short_day(monday + timedelta(days=6)),
        "days": DIGEST_LOOKBACK_DAYS, "this_week": _lines(week, locale, base_url),
        "late": _lines(late, locale, base_url), "association_link": f"{base_url}/association/{association.id}/",
    }
    return Rendered(subject, _render("coordinator_digest.txt", **context),
                    _render("coordinator_digest.html", **context))


def _reviewer_digests(late_items: list[OccurrenceState], people: _People, *, today: date, base_url: str,
                      config: Mapping) -> Iterable[Outgoing]:
    period = iso_week(today)
    by_municipality: dict[int, list[OccurrenceState]] = defaultdict(list)
    for state in late_items:
        by_municipality[state.occurrence.municipality_id].append(state)
    for municipality_id in sorted(by_municipality):
        late = by_municipality[municipality_id]
        for user in people.reviewers.get(municipality_id, ()):
            if not user.wants_reviewer_digest:
                continue
            yield Outgoing(
                key=f"reviewer_digest:{municipality_id}:{period}:{user.id}", kind="reviewer_digest",
                municipality_id=municipality_id, association_id=None, occurrence_id=None, user=user,
                compose=lambda user=user, late=late: _reviewer_digest(user, late, today=today, base_url=base_url,
                                                                      config=config),
            )


def _reviewer_digest(user: User, late: list[OccurrenceState], *, today: date, base_url: str,
                     config: Mapping) -> Rendered:
    locale = _locale(user, config)
    municipality = late[0].occurrence.agreed_task.agreement.association.municipality
    week_number = today.isocalendar()[1]
    subject = _("Försenade och missade tillfällen vecka %(week)s: %(municipality)s", week=week_number,
                municipality=municipality.name)
    grouped = _by_association(late)
    associations = sorted((states_[0].occurrence.agreed_task.agreement.association for states_ in grouped.values()),
                          key=lambda association: association.name.casefold())
    context = {
        **_common(user, locale, base_url), "subject": subject, "municipality": municipality.name,
        "week": week_number, "days": DIGEST_LOOKBACK_DAYS,
        "groups": [(association.name, _lines(grouped[association.id], locale, base_url))
                   for association in associations],
    }
    return Rendered(subject, _render("reviewer_digest.txt", **context), _render("reviewer_digest.html", **context))


# --- exactly once: claim, deliver, record ----------------------------------------------------------------------


def _known(keys: list[str]) -> dict[str, tuple[int, str, datetime]]:
    """key → (id, status, updated_at) of the notifications that already exist for these keys."""
    found = {}
    for start in range(0, len(keys), KEY_CHUNK):
        rows = db.session.execute(
            select(Notification.key, Notification.id, Notification.status, Notification.updated_at)
            .where(Notification.key.in_(keys[start:start + KEY_CHUNK]))
        )
        for key, notification_id, status, updated_at in rows:
            found[key] = (notification_id, status, updated_at)
    return found


def _claimable(outgoing: list[Outgoing], *, now: datetime, config: Mapping) -> list[_Claimable]:
    """The messages that may go out now, each written in its reader's language."""
    known = _known([item.key for item in outgoing])
    result = []
    for item in outgoing:
        notification_id, status = None, None
        if item.key in known:
            notification_id, status, updated_at = known[item.key]
            if status == "sent" or status == "failed":
                continue
            if status == "sending" and updated_at > now - STALE_CLAIM:
                continue  # another run is sending it right now, or crashed a moment ago: leave it
        with force_locale(_locale(item.user, config)):
            rendered = item.compose()
        mail = Mail(to_name=item.user.name, to_address=item.user.email, subject=rendered.subject,
                    text=rendered.text, html=rendered.html, municipality_id=item.municipality_id)
        result.append(_Claimable(item, mail, header_text(rendered.subject)[:300], item.user.id, notification_id,
                                 status))
    return result


def _claim(item: _Claimable, *, now: datetime) -> int | None:
    """Take the message's key, committed, so nobody else sends it; None when someone else has it."""
    outgoing = item.outgoing
    with transaction():
        if item.notification_id is None:
            row = Notification(
                municipality_id=outgoing.municipality_id, key=outgoing.key, kind=outgoing.kind,
                user_id=item.user_id, association_id=outgoing.association_id,
                occurrence_id=outgoing.occurrence_id, recipient=item.mail.to_address, subject=item.subject,
                status="sending", attempts=1, created_at=now, updated_at=now,
            )
            try:
                with db.session.begin_nested():
                    db.session.add(row)
            except IntegrityError:
                return None  # another run or process claimed the key first
            return row.id
        # A retry, or a claim a crash left behind: take it over only if it is still as we saw it.
        condition = [Notification.id == item.notification_id, Notification.status == item.status]
        if item.status == "sending":
            condition.append(Notification.updated_at <= now - STALE_CLAIM)
        taken = db.session.execute(
            update(Notification).where(*condition)
            .values(status="sending", attempts=Notification.attempts + 1, recipient=item.mail.to_address,
                    subject=item.subject, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return item.notification_id if taken.rowcount == 1 else None


def _record(notification_id: int, *, now: datetime, **values) -> None:
    with transaction():
        db.session.execute(
            update(Notification).where(Notification.id == notification_id).values(updated_at=now, **values)
            .execution_options(synchronize_session=False)
        )


def _send(item: _Claimable, *, config: Mapping, now: datetime, summary: ReminderSummary) -> None:
    notification_id = _claim(item, now=now)
    if notification_id is None:
        return
    try:
        try:
            outbox_file = deliver(config, build_message(config, item.mail))
        except OSError as error:  # the outbox folder could not be written: worth another try
            raise TemporaryFailure(None, str(error) or type(error).__name__) from error
    except TemporaryFailure as error:
        log.warning("E-mail %s not delivered, will try again: %s", item.outgoing.key, error)
        _record(notification_id, now=now, status="retry", last_error=_error_text(error))
        summary.retrying += 1
    except PermanentFailure as error:
        log.warning("E-mail %s cannot be delivered: %s", item.outgoing.key, error)
        _record(notification_id, now=now, status="failed", last_error=_error_text(error))
        summary.failed += 1
    else:
        _record(notification_id, now=now, status="sent", sent_at=now, outbox_file=outbox_file, last_error="")
        if item.outgoing.kind == "reminder":
            summary.reminders += 1
        elif item.outgoing.kind == "coordinator_digest":
            summary.coordinator_digests += 1
        else:
            summary.reviewer_digests += 1


def _error_text(error: DeliveryError) -> str:
    """"550 5.1.1 Mailbox unavailable": the reply code first, as a coordinator would quote it to the person."""
    return header_text(str(error))[:1000]


# --- for the association's pages ---------------------------------------------------------------------------


def delivery_failures(principal: Principal, association_id: int, *, limit: int = 20) -> list[Notification]:
    """The association's e-mails that could not be delivered, newest first, as far as the principal may see them
    (its coordinators and the municipality's admins)."""
    return list(db.session.scalars(
        visible(principal, Notification)
        .where(Notification.association_id == association_id, Notification.status == "failed")
        .options(joinedload(Notification.user))
        .order_by(Notification.updated_at.desc(), Notification.id.desc()).limit(limit)
    ))
