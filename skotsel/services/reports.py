"""Residents' reports (felanmälan): anyone at a site reports a problem from the page its QR sign leads to.

A report becomes a Deviation (source "report") for the association whose active agreement covers the site (or for
the municipality when it keeps the site itself), to be fixed within REPORT_FIX_DAYS days. Reports are limited per
address: the address is never stored, only a hash of it with the app's secret key, which is what the limits count.
A reporter who left an e-mail address hears once that the problem is fixed; the address (and the hash) are deleted
FORGET_AFTER_DAYS days after the municipality verified the fix. Nothing about the reporter is ever shown publicly.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta, timezone
from typing import BinaryIO, Mapping
from zoneinfo import ZoneInfo

from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import joinedload

from skotsel.domain.errors import ValidationError
from skotsel.extensions import db
from skotsel.models import AgreedTask, Agreement, Deviation, Municipality, Site
from skotsel.services import transaction
from skotsel.services.mail import Mail, header_text
from skotsel.services.photos import store_photo
# The exactly-once machinery of the reminders job (_known, _Claimable and _send, which claims, delivers and
# records), reused as it is: these helpers are private to that module and imported deliberately rather than
# copied, so that both jobs claim, retry and record in the same way.
from skotsel.services.reminders import STALE_CLAIM, DeliveryCounts, Outgoing, ReminderSummary, _Claimable, _known
from skotsel.services.reminders import _send as _send_once
from skotsel.services.users import is_email_address, normalise_email

STOCKHOLM = ZoneInfo("Europe/Stockholm")

#: The categories a resident chooses from: stored code → label (Swedish source text).
CATEGORY_LABELS = {
    "litter": _l("Skräp eller nedskräpning"),
    "broken": _l("Trasig utrustning"),
    "lifesaving": _l("Livräddningsutrustning saknas"),
    "toilet": _l("Toalett"),
    "jetty": _l("Brygga eller badstege"),
    "vandalism": _l("Klotter eller skadegörelse"),
    "other": _l("Annat"),
}
TEXT_MIN = 5
TEXT_MAX = 2000
#: A report is to be fixed within this many days.
REPORT_FIX_DAYS = 7
#: At most this many reports per address within the hour, and within the last 24 hours.
MAX_PER_HOUR = 5
MAX_PER_DAY = 20
#: The reporter's e-mail address and address hash are deleted this many days after the fix was verified.
FORGET_AFTER_DAYS = 90
#: The deviation statuses the reporter hears about: fixed by the association, or verified by the municipality.
NOTIFY_STATUSES = ("fixed", "verified")


class TooManyReports(ValidationError):
    """The address has sent as many reports as it may for now (the view answers 429)."""


def reference(deviation: Deviation) -> str:
    """The number a resident quotes when asking about their report, e.g. "F-42"."""
    return f"F-{deviation.id}"


def address_hash(secret_key: str, remote_addr: str | None) -> str:
    """sha256(SECRET_KEY + address) in hex: counts reports per address without keeping the address."""
    return hashlib.sha256(f"{secret_key}{remote_addr or ''}".encode("utf-8")).hexdigest()


def responsible_agreement(site: Site) -> Agreement | None:
    """The active agreement whose agreed tasks include the site (the site's own association's first), or None when
    the municipality keeps the site itself."""
    if site.association_id is None:
        return None
    return db.session.scalar(
        select(Agreement).join(AgreedTask, AgreedTask.agreement_id == Agreement.id)
        .where(Agreement.status == "active", AgreedTask.site_id == site.id,
               Agreement.municipality_id == site.municipality_id)
        .order_by(case((Agreement.association_id == site.association_id, 0), else_=1),
                  Agreement.starts_on.desc(), Agreement.id.desc())
        .limit(1)
    )


def _check(*, category: str | None, text: str, email: str) -> None:
    if category not in CATEGORY_LABELS:
        raise ValidationError("Välj vad felanmälan gäller.", "Choose what the report is about.", field="category")
    if not text:
        raise ValidationError("Beskriv vad som behöver åtgärdas.", "Describe what needs to be done.", field="text")
    if len(text) < TEXT_MIN:
        raise ValidationError(f"Beskriv problemet med minst {TEXT_MIN} tecken.",
                              f"Describe the problem in at least {TEXT_MIN} characters.", field="text")
    if len(text) > TEXT_MAX:
        raise ValidationError(f"Beskrivningen får vara högst {TEXT_MAX} tecken (nu {len(text)}).",
                              f"The description may be at most {TEXT_MAX} characters (now {len(text)}).",
                              field="text")
    if email and not is_email_address(email):
        raise ValidationError("Ange en giltig e-postadress, till exempel namn@example.se, eller lämna fältet tomt.",
                              "Enter a valid e-mail address, e.g. name@example.se, or leave the field empty.",
                              field="email")


def _check_rate(ip_hash: str, now: datetime) -> None:
    hour, day = db.session.execute(
        select(func.count().filter(Deviation.created_at > now - timedelta(hours=1)), func.count())
        .where(Deviation.reporter_ip_hash == ip_hash, Deviation.created_at > now - timedelta(days=1))
    ).one()
    if hour >= MAX_PER_HOUR or day >= MAX_PER_DAY:
        raise TooManyReports(
            "Det har kommit många felanmälningar från din anslutning på kort tid. Försök igen senare, eller "
            "kontakta kommunen direkt.",
            "Many reports have come from your connection in a short time. Try again later, or contact the "
            "municipality directly.")


def submit_report(*, site: Site, category: str | None, text: str | None, email: str | None,
                  photo: BinaryIO | None, photo_name: str | None, remote_addr: str | None, today: date,
                  config: Mapping, now: datetime | None = None) -> Deviation:
    """A resident's report about `site`, as a new open deviation, in one transaction.

    Raises ValidationError (field category, text, email or photo) for a broken rule and TooManyReports when the
    address has reported too much lately; in both cases nothing is stored. `config` gives SECRET_KEY and the photo
    settings (UPLOAD_FOLDER, MAX_PHOTO_BYTES, MAX_PHOTO_PIXELS)."""
    now = now or datetime.now(timezone.utc)
    text = (text or "").strip()
    email = normalise_email(email or "") if (email or "").strip() else ""
    _check(category=category, text=text, email=email)
    ip_hash = address_hash(config["SECRET_KEY"], remote_addr)
    with transaction():
        _check_rate(ip_hash, now)
        deviation = Deviation(
            municipality_id=site.municipality_id, source="report", category=category, description=text,
            site_id=site.id, agreement=responsible_agreement(site), status="open",
            fix_by_on=today + timedelta(days=REPORT_FIX_DAYS), reporter_email=email or None,
            reporter_ip_hash=ip_hash, created_at=now, updated_at=now,
        )
        db.session.add(deviation)
        db.session.flush()
        if photo is not None:
            try:
                store_photo(file=photo, filename=photo_name, upload_folder=config["UPLOAD_FOLDER"],
                            max_bytes=config["MAX_PHOTO_BYTES"], max_pixels=config["MAX_PHOTO_PIXELS"],
                            uploaded_by_id=None, deviation=deviation, site=site)
            except ValidationError as error:  # the report form has one photo field
                raise ValidationError(error.message_sv, error.message_en, field="photo") from error
    return deviation


# --- telling the reporter -----------------------------------------------------------------------------------


@dataclass
class ReportSummary(DeliveryCounts):
    def __str__(self) -> str:
        sent = "besked till anmälare skickat" if self.sent == 1 else "besked till anmälare skickade"
        return f"{self.sent} {sent}, {self.failed} misslyckade, {self.retrying} försöks igen"


@dataclass
class ForgetSummary:
    forgotten: int = 0

    @property
    def anything(self) -> bool:
        return bool(self.forgotten)

    def __str__(self) -> str:
        word = "felanmälan" if self.forgotten == 1 else "felanmälningar"
        return f"anmälarens e-post borttagen från {self.forgotten} {word}"


def _message(deviation: Deviation, municipality_name: str, status: str) -> tuple[str, str]:
    """(subject, text) of the update: what was reported, where, and that it is fixed; nothing else."""
    site_name = deviation.site.name
    category = str(CATEGORY_LABELS.get(deviation.category or "other", CATEGORY_LABELS["other"]))
    subject = _("Din felanmälan %(reference)s är åtgärdad", reference=reference(deviation))
    done = (_("Kommunen har kontrollerat att det är åtgärdat.") if status == "verified"
            else _("Den som sköter platsen har meddelat att det är åtgärdat."))
    text = "\n\n".join([
        _("Hej!"),
        _("Du gjorde en felanmälan (referensnummer %(reference)s) om %(site)s i %(municipality)s: %(category)s.",
          reference=reference(deviation), site=site_name, municipality=municipality_name, category=category),
        done,
        _("Tack för att du hörde av dig! Det här är det enda meddelandet du får om felanmälan. Din e-postadress "
          "tas bort %(days)s dagar efter att ärendet har avslutats.", days=FORGET_AFTER_DAYS),
        municipality_name,
    ]) + "\n"
    return subject, text


def notify_reporters(*, today: date, config: Mapping, now: datetime | None = None) -> ReportSummary:
    """E-mail each reporter who left an address, once, when their report is fixed or verified.

    One message per report: its Notification key is report_update:<deviation id>:<status it had when first seen
    fixed>, claimed and committed before sending (the reminders job's helpers), so neither a second run nor the
    later verification sends another. The notification has no association, so the reporter's address never shows
    in the association's list of failed e-mails."""
    if db.session.info.get("transaction_depth", 0):
        raise RuntimeError("notify_reporters commits each claim before sending; call it outside a transaction")
    now = now or datetime.now(timezone.utc)
    rows = db.session.execute(
        select(Deviation, Municipality.name).join(Municipality, Municipality.id == Deviation.municipality_id)
        .where(Deviation.source == "report", Deviation.reporter_email.is_not(None),
               Deviation.status.in_(NOTIFY_STATUSES))
        .options(joinedload(Deviation.site))
        .order_by(Deviation.id)
    ).all()
    keys = [f"report_update:{deviation.id}:{status}" for deviation, _name in rows for status in NOTIFY_STATUSES]
    known = _known(keys)
    claimable = []
    locale = config.get("BABEL_DEFAULT_LOCALE", "sv")
    for deviation, municipality_name in rows:
        existing = [(key, *known[key]) for key in (f"report_update:{deviation.id}:{status}"
                                                   for status in NOTIFY_STATUSES) if key in known]
        notification_id, status, key = None, None, f"report_update:{deviation.id}:{deviation.status}"
        if existing:
            key, notification_id, status, updated_at = existing[0]
            if status in ("sent", "failed"):
                continue
            if status == "sending" and updated_at > now - STALE_CLAIM:
                continue
        with force_locale(locale):
            subject, text = _message(deviation, municipality_name, deviation.status)
        outgoing = Outgoing(key=key, kind="report_update", municipality_id=deviation.municipality_id,
                            association_id=None, occurrence_id=None, user=None, compose=lambda: None)
        mail = Mail(to_name="", to_address=deviation.reporter_email, subject=subject, text=text,
                    municipality_id=deviation.municipality_id)
        claimable.append(_Claimable(outgoing, mail, header_text(subject)[:300], None, notification_id, status))
    summary = ReportSummary()
    for item in claimable:
        _send(item, config=config, now=now, summary=summary)
    return summary


def _send(item: _Claimable, *, config: Mapping, now: datetime, summary: ReportSummary) -> None:
    """Claim, deliver and record one message with the reminders job's own _send; count what became of it."""
    counted = ReminderSummary()
    _send_once(item, config=config, now=now, summary=counted)
    summary.failed += counted.failed
    summary.retrying += counted.retrying
    # Whatever else it counted (under the kinds it knows) went out.
    summary.sent += sum(getattr(counted, f.name) for f in fields(counted)) - counted.failed - counted.retrying


def forget_reporters(*, today: date) -> ForgetSummary:
    """Delete the reporter's e-mail address and address hash from reports verified more than FORGET_AFTER_DAYS
    days before `today` (Swedish days). Not audited: an audit entry would keep the address it removes."""
    cutoff = datetime.combine(today - timedelta(days=FORGET_AFTER_DAYS), time.min, tzinfo=STOCKHOLM)
    with transaction():
        result = db.session.execute(
            update(Deviation)
            .where(Deviation.verified_at.is_not(None), Deviation.verified_at < cutoff.astimezone(timezone.utc),
                   or_(Deviation.reporter_email.is_not(None), Deviation.reporter_ip_hash.is_not(None)))
            .values(reporter_email=None, reporter_ip_hash=None)
            .execution_options(synchronize_session=False)
        )
    return ForgetSummary(forgotten=result.rowcount)
