"""The municipality's follow-up of deviations: verify a fix or reopen it (with a note), and remind the
association once when a deviation's fix-by date has passed.

The moves themselves are skotsel.domain.deviations' table; the e-mail goes out exactly once through the claim-then-send
helpers of skotsel.services.reminders (private there, imported here on purpose: one implementation of "once").
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Mapping

from flask import current_app
from flask_babel import format_date, gettext as _
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from skotsel.domain import deviations as flow
from skotsel.domain.errors import ValidationError
from skotsel.extensions import db
from skotsel.models import Agreement, Deviation
from skotsel.services import audit, transaction
from skotsel.services.access import Forbidden, Principal, can_write
from skotsel.services.reminders import (  # private helpers, reused so that "exactly once" has one implementation
    DeliveryCounts,
    Outgoing,
    Rendered,
    ReminderSummary,
    _claimable,
    _common,
    _locale,
    _people,
    _send,
)

MAX_NOTE = 2000


def _municipality_may(principal: Principal, deviation: Deviation) -> None:
    if not can_write(principal, deviation) or deviation.municipality_id not in principal.staff_of:
        raise Forbidden(f"Deviation {deviation.id}")


def _clean_note(note: str | None, *, required: bool) -> str:
    note = (note or "").strip()
    if required and not note:
        raise ValidationError("Skriv varför avvikelsen återöppnas.", "Say why the deviation is reopened.",
                              field="note")
    if len(note) > MAX_NOTE:
        raise ValidationError(f"Anteckningen får vara högst {MAX_NOTE} tecken.",
                              f"The note may be at most {MAX_NOTE} characters.", field="note")
    return note


def _with_note(description: str, heading: str, note: str) -> str:
    """The description with the municipality's note added last, so the association reads it where it fixes."""
    line = f"{heading}: {note}"
    return f"{description.rstrip()}\n\n{line}" if description.strip() else line


def fix_own(*, principal: Principal, deviation: Deviation, note: str | None, now: datetime) -> None:
    """The municipality puts right a deviation on a site no association keeps (a resident's report on a site the
    municipality keeps itself): it does the keeper's step, then verifies as usual. A deviation an association keeps
    is the association's to fix (skotsel.services.completions.fix_deviation)."""
    _municipality_may(principal, deviation)
    if deviation.association_id is not None:
        raise Forbidden(f"Deviation {deviation.id} is kept by an association")
    new_status = flow.transition(deviation.status, "fix", flow.ASSOCIATION)  # the keeper's move
    note = (note or "").strip()
    if not note:
        raise ValidationError("Skriv vad som har gjorts.", "Say what was done.", field="note")
    note = _clean_note(note, required=False)
    with transaction():
        changes = audit.apply_changes(deviation, {"status": new_status, "fixed_note": note, "fixed_at": now,
                                                  "fixed_by_id": principal.user_id})
        audit.record(actor_id=principal.user_id, action="update", obj=deviation,
                     label=f"Avvikelse på {deviation.site.name}", changes=changes, parent=deviation.site)


def keeper_actions(deviation: Deviation) -> list[str]:
    """What the municipality may do to a deviation as the keeper of its site: ["fix"] while a deviation on a site
    no association keeps is open or reopened, otherwise nothing."""
    if deviation.association_id is None and deviation.status in flow.OPEN_STATUSES:
        return ["fix"]
    return []


def verify(*, principal: Principal, deviation: Deviation, note: str | None, now: datetime) -> None:
    """The municipality accepts the association's fix: the deviation is closed (verifierad)."""
    _municipality_may(principal, deviation)
    note = _clean_note(note, required=False)
    new_status = flow.transition(deviation.status, "verify", flow.MUNICIPALITY)
    with transaction():
        values = {"status": new_status, "verified_at": now, "verified_by_id": principal.user_id}
        if note:
            values["description"] = _with_note(deviation.description, f"Verifierad {now.date().isoformat()}", note)
        changes = audit.apply_changes(deviation, values)
        changes["note"] = [None, note or None]
        audit.record(actor_id=principal.user_id, action="update", obj=deviation,
                     label=f"Avvikelse på {deviation.site.name}", changes=changes,
                     parent=deviation.agreement or deviation.site)


def reopen(*, principal: Principal, deviation: Deviation, note: str | None, now: datetime) -> None:
    """The municipality does not accept the fix: the association has to fix it again. A note says why."""
    _municipality_may(principal, deviation)
    new_status = flow.transition(deviation.status, "reopen", flow.MUNICIPALITY)
    note = _clean_note(note, required=True)
    with transaction():
        changes = audit.apply_changes(deviation, {
            "status": new_status, "reopened_count": deviation.reopened_count + 1,
            "fixed_note": "", "fixed_at": None, "fixed_by_id": None,
            "description": _with_note(deviation.description, f"Återöppnad {now.date().isoformat()}", note),
        })
        changes["note"] = [None, note]
        audit.record(actor_id=principal.user_id, action="update", obj=deviation,
                     label=f"Avvikelse på {deviation.site.name}", changes=changes,
                     parent=deviation.agreement or deviation.site)


# --- the fix-by reminder ---------------------------------------------------------------------------------------


@dataclass
class DeviationReminderSummary(DeliveryCounts):
    def __str__(self) -> str:
        reminders = "påminnelse om avvikelse skickad" if self.sent == 1 else "påminnelser om avvikelser skickade"
        failed = "misslyckad" if self.failed == 1 else "misslyckade"
        return f"{self.sent} {reminders}, {self.failed} {failed}, {self.retrying} försöks igen"


def fix_link(base_url: str, deviation: Deviation) -> str:
    return f"{base_url}/workspace/deviations/{deviation.id}/fix"


def _due(today: date) -> list[Deviation]:
    """Deviations still to fix whose fix-by date has passed, of agreements with an association."""
    return list(db.session.scalars(
        select(Deviation).join(Deviation.agreement).join(Deviation.site)
        .where(Deviation.status.in_(sorted(flow.OPEN_STATUSES)), Deviation.fix_by_on < today)
        .options(contains_eager(Deviation.agreement).joinedload(Agreement.association),
                 contains_eager(Deviation.site))
        .order_by(Deviation.fix_by_on, Deviation.id)
    ).unique())


def _message(deviation: Deviation, user, *, base_url: str, config: Mapping) -> Rendered:
    locale = _locale(user, config)
    site = deviation.site.name
    subject = _("Avvikelse att åtgärda: %(site)s – skulle vara klar %(day)s", site=site,
                day=format_date(deviation.fix_by_on, "d MMMM"))
    context = {
        **_common(user, locale, base_url), "subject": subject, "site": site,
        "association": deviation.agreement.association.name, "agreement": deviation.agreement.title,
        "description": deviation.description, "fix_by": format_date(deviation.fix_by_on, "EEEE d MMMM"),
        "link": fix_link(base_url, deviation),
    }
    env = current_app.jinja_env
    return Rendered(subject, env.get_template("followup/email/deviation_due.txt").render(**context),
                    env.get_template("followup/email/deviation_due.html").render(**context))


def remind_due_deviations(*, today: date, config: Mapping, now: datetime | None = None) -> DeviationReminderSummary:
    """E-mail the association's coordinators once per deviation whose fix-by date has passed while it is still
    open or reopened. Safe to run as often as wanted: the Notification key makes each message go out once."""
    if db.session.info.get("transaction_depth", 0):
        raise RuntimeError("remind_due_deviations commits each claim before sending; call it outside a transaction")
    now = now or datetime.now(timezone.utc)
    base_url = config["BASE_URL"].rstrip("/")
    due = _due(today)
    people = _people(association_ids={deviation.agreement.association_id for deviation in due}, municipality_ids=set())
    outgoing = []
    for deviation in due:
        association_id = deviation.agreement.association_id
        for user in people.coordinators.get(association_id, ()):
            outgoing.append(Outgoing(
                key=f"deviation_due:{deviation.id}:{user.id}", kind="deviation_due",
                municipality_id=deviation.municipality_id, association_id=association_id, occurrence_id=None,
                user=user,
                compose=lambda deviation=deviation, user=user: _message(deviation, user, base_url=base_url,
                                                                        config=config),
            ))
    counted = ReminderSummary()
    for item in _claimable(outgoing, now=now, config=config):
        _send(item, config=config, now=now, summary=counted)
    # _send counts every kind it does not know as a reviewer digest: here that is what was sent.
    return DeviationReminderSummary(sent=counted.reminders + counted.digests, failed=counted.failed,
                                    retrying=counted.retrying)
