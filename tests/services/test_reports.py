"""Residents' reports (felanmälan): a report becomes one open deviation for whoever keeps the site, limited per
address; the reporter hears once when it is fixed; their e-mail address goes 90 days after the fix is verified."""
from __future__ import annotations

import io
import os
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import func, select

from skotsel.domain.errors import ValidationError
from skotsel.extensions import db
from skotsel.models import Deviation, Notification, Photo
from skotsel.services.reports import (
    TooManyReports,
    address_hash,
    forget_reporters,
    notify_reporters,
    reference,
    submit_report,
)
from tests.smtp import smtp  # noqa: F401

STOCKHOLM = ZoneInfo("Europe/Stockholm")
TODAY = date(2026, 6, 10)
NOW = datetime(2026, 6, 10, 10, 0, tzinfo=timezone.utc)
ADDRESS = "203.0.113.7"


@pytest.fixture
def folder(app, tmp_path, monkeypatch) -> str:
    path = str(tmp_path / "uploads")
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", path)
    return path


def report(app, site, *, category="litter", text="Mycket skräp vid grillplatsen", email=None, photo=None,
           photo_name=None, remote_addr=ADDRESS, now=NOW) -> Deviation:
    return submit_report(site=site, category=category, text=text, email=email, photo=photo, photo_name=photo_name,
                         remote_addr=remote_addr, today=TODAY, config=app.config, now=now)


def deviation_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Deviation))


def jpeg() -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(out, "JPEG")
    out.seek(0)
    return out


# --- a report ----------------------------------------------------------------------------------------------


def test_a_report_becomes_an_open_deviation_for_the_association_keeping_the_site(app, world):
    deviation = report(app, world.site_a, email="  Anna.Boende@Example.SE ")
    db.session.expire_all()
    stored = db.session.get(Deviation, deviation.id)
    assert (stored.source, stored.status, stored.category) == ("report", "open", "litter")
    assert stored.description == "Mycket skräp vid grillplatsen"
    assert stored.site_id == world.site_a.id and stored.agreement_id == world.agreement_a.id
    assert stored.association_id == world.a.id and stored.municipality_id == world.home.id
    assert stored.fix_by_on == date(2026, 6, 17)
    assert stored.reporter_email == "anna.boende@example.se"
    assert stored.reporter_ip_hash == address_hash("test-secret", ADDRESS) and len(stored.reporter_ip_hash) == 64
    assert ADDRESS not in stored.reporter_ip_hash
    assert reference(stored) == f"F-{stored.id}"


def test_text_is_stored_as_typed(app, world):
    deviation = report(app, world.site_a, text="<script>alert(1)</script> & \"citat\"")
    db.session.expire_all()
    assert db.session.get(Deviation, deviation.id).description == "<script>alert(1)</script> & \"citat\""


def test_a_site_the_municipality_keeps_gets_a_deviation_without_agreement(app, world, make):
    site = make.site(world.home, None, name="Möckelns badplats", kind="beach")
    deviation = report(app, site)
    assert deviation.agreement_id is None and deviation.site_id == site.id and deviation.reporter_email is None


def test_only_an_active_agreement_makes_the_association_responsible(app, world, make):
    world.agreement_a.status = "ended"
    db.session.commit()
    assert report(app, world.site_a).agreement_id is None
    newer = make.agreement(world.a, title="Nytt avtal", starts_on=date(2026, 1, 1))
    make.agreed_task(newer, world.site_a, world.task_type)
    assert report(app, world.site_a).agreement_id == newer.id


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"category": None}, "category", "Välj vad felanmälan gäller."),
    ({"category": "fire"}, "category", "Välj vad felanmälan gäller."),
    ({"text": "   "}, "text", "Beskriv vad som behöver åtgärdas."),
    ({"text": "Skr"}, "text", "Beskriv problemet med minst 5 tecken."),
    ({"text": "x" * 2001}, "text", "Beskrivningen får vara högst 2000 tecken (nu 2001)."),
    ({"email": "inte en adress"}, "email", "Ange en giltig e-postadress"),
])
def test_a_broken_rule_stores_nothing(app, world, values, field, message):
    with pytest.raises(ValidationError) as raised:
        report(app, world.site_a, **values)
    assert raised.value.field == field and raised.value.message_sv.startswith(message)
    assert deviation_count() == 0


def test_the_longest_text_allowed_is_accepted(app, world):
    assert len(report(app, world.site_a, text="x" * 2000).description) == 2000


def test_a_photo_goes_with_the_deviation(app, world, folder):
    deviation = report(app, world.site_a, photo=jpeg(), photo_name="skräp.jpg")
    photos = db.session.scalars(select(Photo)).all()
    assert [(photo.deviation_id, photo.uploaded_by_id) for photo in photos] == [(deviation.id, None)]


def test_a_bad_photo_stores_nothing(app, world, folder):
    with pytest.raises(ValidationError) as raised:
        report(app, world.site_a, photo=io.BytesIO(b"<html><script>alert(1)</script></html>"),
               photo_name="bild.jpg")
    assert raised.value.field == "photo" and raised.value.message_sv
    assert deviation_count() == 0
    assert db.session.scalar(select(func.count()).select_from(Photo)) == 0
    photo_folder = os.path.join(folder, "photos")
    assert not os.path.isdir(photo_folder) or os.listdir(photo_folder) == []


# --- flooding ----------------------------------------------------------------------------------------------


def test_the_sixth_report_within_the_hour_from_one_address_is_refused(app, world):
    for minute in range(5):
        report(app, world.site_a, now=NOW - timedelta(minutes=50 - minute))
    with pytest.raises(TooManyReports) as raised:
        report(app, world.site_b, now=NOW)
    assert "Försök igen senare" in raised.value.message_sv
    assert deviation_count() == 5
    # Another address is not limited, and this one may report again once its first report is an hour old.
    report(app, world.site_a, remote_addr="198.51.100.1", now=NOW)
    report(app, world.site_a, now=NOW + timedelta(minutes=11))
    assert deviation_count() == 7


def test_at_most_twenty_reports_a_day_from_one_address(app, world):
    for n in range(20):
        report(app, world.site_a, now=NOW - timedelta(hours=23, minutes=30) + timedelta(hours=n))
    with pytest.raises(TooManyReports):
        report(app, world.site_a, now=NOW)
    assert deviation_count() == 20
    report(app, world.site_a, now=NOW + timedelta(minutes=31))  # the first has left the 24 hours
    assert deviation_count() == 21


# --- telling the reporter ------------------------------------------------------------------------------------


def reported(app, site, *, status="open", email="boende@example.se", verified_days_ago=None, category="broken"):
    deviation = report(app, site, email=email, category=category, remote_addr=f"192.0.2.{deviation_count() + 1}")
    deviation.status = status
    if verified_days_ago is not None:
        verified_on = TODAY - timedelta(days=verified_days_ago)
        deviation.verified_at = datetime.combine(verified_on, time(15), tzinfo=STOCKHOLM).astimezone(timezone.utc)
    db.session.commit()
    return deviation


def test_the_reporter_hears_once_when_the_report_is_fixed(app, world, make, smtp):
    fixed = reported(app, world.site_a, status="fixed", email="fixad@example.se")
    verified = reported(app, world.site_b, status="verified", email="verifierad@example.se", verified_days_ago=1)
    reported(app, world.site_a, status="open", email="oppen@example.se")
    reported(app, world.site_a, status="reopened", email="ater@example.se")
    reported(app, world.site_a, status="fixed", email=None)

    first = notify_reporters(today=TODAY, config=app.config, now=NOW)
    second = notify_reporters(today=TODAY, config=app.config, now=NOW + timedelta(hours=1))

    assert (first.sent, second.sent) == (2, 0) and first.anything and not second.anything
    assert sorted(recipients[0] for recipients in smtp.recipients) == ["fixad@example.se", "verifierad@example.se"]
    by_recipient = {recipients[0]: message for message, recipients in zip(smtp.messages, smtp.recipients)}
    message = by_recipient["fixad@example.se"]
    body = message.get_body(("plain",)).get_content()
    assert str(message["Subject"]) == f"Din felanmälan {reference(fixed)} är åtgärdad"
    assert "Trasig utrustning" in body and "Park A" in body and "Älmhult kommun" in body
    assert "Mycket skräp" not in body and "fixad@example.se" not in body  # nothing but what and where
    assert "kontrollerat" in by_recipient["verifierad@example.se"].get_body(("plain",)).get_content()
    rows = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    assert [(row.kind, row.key, row.user_id, row.association_id, row.status) for row in rows] == [
        ("report_update", f"report_update:{fixed.id}:fixed", None, None, "sent"),
        ("report_update", f"report_update:{verified.id}:verified", None, None, "sent"),
    ]


def test_a_report_fixed_then_verified_is_told_only_once(app, world, smtp):
    deviation = reported(app, world.site_a, status="fixed")
    notify_reporters(today=TODAY, config=app.config, now=NOW)
    deviation.status = "verified"
    deviation.verified_at = NOW
    db.session.commit()
    notify_reporters(today=TODAY + timedelta(days=1), config=app.config, now=NOW + timedelta(days=1))
    assert len(smtp.messages) == 1


def test_a_refused_message_is_tried_again_on_the_next_run(app, world, smtp):
    reported(app, world.site_a, status="fixed")
    smtp.rcpt_replies = ["451 4.3.0 Try again later"]
    assert notify_reporters(today=TODAY, config=app.config, now=NOW).retrying == 1
    assert notify_reporters(today=TODAY, config=app.config, now=NOW + timedelta(hours=1)).sent == 1
    assert len(smtp.messages) == 1


def test_no_message_after_the_address_is_forgotten(app, world, smtp):
    reported(app, world.site_a, status="verified", verified_days_ago=91)
    forget_reporters(today=TODAY)
    assert not notify_reporters(today=TODAY, config=app.config, now=NOW).anything
    assert smtp.messages == []


# --- forgetting the reporter -------------------------------------------------------------------------------


def test_the_address_is_deleted_more_than_90_days_after_verification(app, world):
    old = reported(app, world.site_a, status="verified", verified_days_ago=91)
    exactly = reported(app, world.site_a, status="verified", verified_days_ago=90)
    recent = reported(app, world.site_a, status="verified", verified_days_ago=89)
    fixed = reported(app, world.site_a, status="fixed")
    open_ = reported(app, world.site_a, status="open")

    summary = forget_reporters(today=TODAY)

    assert summary.forgotten == 1 and summary.anything
    db.session.expire_all()
    kept = {d.id: (d.reporter_email, d.reporter_ip_hash) for d in db.session.scalars(select(Deviation))}
    assert kept[old.id] == (None, None)
    for deviation in (exactly, recent, fixed, open_):
        assert kept[deviation.id][0] == "boende@example.se" and kept[deviation.id][1]
    assert db.session.get(Deviation, old.id).description == "Mycket skräp vid grillplatsen"
    assert forget_reporters(today=TODAY).forgotten == 0
