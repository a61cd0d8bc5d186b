"""Reminder e-mails and weekly digests: each reaches its reader exactly once — however often the job runs, after a
crash, beside a second run — temporary refusals are tried again, permanent ones are shown to the coordinator."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from email import policy
from email.parser import BytesParser
from zoneinfo import ZoneInfo

import re

import pytest
from sqlalchemy import event, select

from skotsel.extensions import db
from skotsel.models import Completion, Notification, Occurrence
from skotsel.services import reminders
from skotsel.services.reminders import iso_week, send_reminders
from skotsel.services.schedule import regenerate
from tests.conftest import login
from tests.smtp import smtp  # noqa: F401

STOCKHOLM = ZoneInfo("Europe/Stockholm")
REMINDER_DAY = date(2026, 6, 10)  # Wednesday of week 24; the mowing due Friday 12 June is reminded two days before
DUE = date(2026, 6, 12)
SUBJECT = "Påminnelse: Klippning bruksgräsmatta, Välje badplats – senast fredag 12 juni"


def at(day: date, hour: int = 7) -> datetime:
    """The UTC moment of `hour` o'clock in Sweden on `day`, as the hourly job sees it."""
    return datetime.combine(day, time(hour), tzinfo=STOCKHOLM).astimezone(timezone.utc)


def run(app, day: date, hour: int = 7, *, now: datetime | None = None):
    return send_reminders(today=day, config=app.config, now=now or at(day, hour))


def received(smtp, prefix: str = "Påminnelse") -> list[tuple[str, str]]:
    """(recipient, subject) of each delivered message whose subject starts with `prefix`, in order."""
    return [(recipients[0], str(message["Subject"])) for message, recipients in zip(smtp.messages, smtp.recipients)
            if str(message["Subject"]).startswith(prefix)]


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def html_of(message) -> str:
    return message.get_body(("html",)).get_content()


def occurrence_due(task, day: date) -> Occurrence:
    return db.session.scalar(select(Occurrence).where(Occurrence.agreed_task_id == task.id, Occurrence.due_on == day))


def notifications(kind: str | None = None) -> list[Notification]:
    query = select(Notification).order_by(Notification.id)
    if kind:
        query = query.where(Notification.kind == kind)
    db.session.expire_all()
    return list(db.session.scalars(query))


@pytest.fixture
def scene(make):
    """Virestads hembygdsförening mows Välje badplats every other Friday from 15 May (reminded 2 days before,
    2 days' grace); Hallaryds sockenråd has nothing to do. A coordinator, a member, a member who opted out and a
    former member who is no longer active; the municipality's reviewer and admin."""
    from types import SimpleNamespace

    home = make.municipality("Älmhult kommun", "0765")
    village = make.village(home, "Virestad")
    virestad = make.association(home, "Virestads hembygdsförening", village=village)
    hallaryd = make.association(home, "Hallaryds sockenråd", village=village)
    mowing = make.task_type(home, "Klippning bruksgräsmatta")
    beach = make.site(home, virestad, name="Välje badplats", kind="beach")
    agreement = make.agreement(virestad, title="Skötselavtal Virestad 2026–2027", starts_on=date(2026, 1, 1))
    task = make.agreed_task(agreement, beach, mowing, rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=FR",
                            level_text="högst 10 cm, klipps till 6–7 cm")
    regenerate([task], today=date(2026, 5, 1), until=date(2026, 9, 30))
    db.session.commit()
    s = SimpleNamespace(home=home, village=village, virestad=virestad, hallaryd=hallaryd, mowing=mowing, beach=beach,
                        agreement=agreement, task=task)
    s.coordinator = make.user("asa@virestad.example", role="coordinator", association=virestad, name="Åsa Öberg")
    s.member = make.user("mia@virestad.example", role="member", association=virestad, name="Mia Medlem")
    s.opted_out = make.user("olle@virestad.example", role="member", association=virestad, name="Olle Utan")
    s.opted_out.wants_reminders = False
    s.former = make.user("fia@virestad.example", role="member", association=virestad, name="Fia Förr", active=False)
    s.hallaryd_coordinator = make.user("sam@hallaryd.example", role="coordinator", association=hallaryd,
                                       name="Sam Samordnare")
    s.reviewer = make.user("granskare@almhult.example", role="reviewer", municipality=home, name="Gun Granskare")
    s.admin = make.user("admin@almhult.example", role="admin", municipality=home, name="Anna Admin")
    db.session.commit()
    return s


def members_page(app, email: str, association) -> str:
    client = app.test_client()
    login(client, email)
    response = client.get(f"/association/{association.id}/members")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def no_digests(*users) -> None:
    for user in users:
        user.wants_coordinator_digest = False
        user.wants_reviewer_digest = False
    db.session.commit()


# --- reminders ---------------------------------------------------------------------------------------------------


def test_each_member_gets_the_reminder_once_however_often_the_job_runs(app, scene, smtp):
    first = run(app, REMINDER_DAY, 7)
    second = run(app, REMINDER_DAY, 8)
    run(app, REMINDER_DAY + timedelta(days=1))

    assert sorted(received(smtp)) == [("asa@virestad.example", SUBJECT), ("mia@virestad.example", SUBJECT)]
    assert first.reminders == 2 and second.reminders == 0
    rows = notifications("reminder")
    occurrence = occurrence_due(scene.task, DUE)
    assert {(row.key, row.status, row.attempts) for row in rows} == {
        (f"reminder:{occurrence.id}:{scene.coordinator.id}", "sent", 1),
        (f"reminder:{occurrence.id}:{scene.member.id}", "sent", 1),
    }
    assert all(row.sent_at == at(REMINDER_DAY, 7) and row.outbox_file is None for row in rows)
    assert all(row.association_id == scene.virestad.id and row.occurrence_id == occurrence.id for row in rows)


def test_nothing_is_reminded_before_the_reminder_day(app, scene, smtp):
    run(app, REMINDER_DAY - timedelta(days=1))
    assert received(smtp) == []


def test_the_reminder_says_what_when_and_to_which_level_with_links(app, scene, smtp):
    run(app, REMINDER_DAY)
    occurrence = occurrence_due(scene.task, DUE)
    message = next(m for m in smtp.messages if m["To"].addresses[0].addr_spec == "mia@virestad.example"
                   and str(m["Subject"]).startswith("Påminnelse"))
    assert message["To"].addresses[0].display_name == "Mia Medlem"
    text = text_of(message)
    assert "Hej Mia Medlem!" in text
    assert "Klippning bruksgräsmatta på Välje badplats, som ska göras senast fredag 12 juni" in text
    assert "Kan göras från: lördag 30 maj" in text
    assert "Räknas som i tid till och med: söndag 14 juni" in text
    assert "högst 10 cm, klipps till 6–7 cm" in text
    assert "Enligt Skötselavtal Virestad 2026–2027 med Virestads hembygdsförening." in text
    assert re.findall(r"https?://\S+", text) == [f"http://127.0.0.1:5000/schedule/occurrences/{occurrence.id}",
                                                 "http://127.0.0.1:5000/profile"]
    assert "försenat" not in text
    html = html_of(message)
    assert f'href="http://127.0.0.1:5000/schedule/occurrences/{occurrence.id}"' in html
    assert 'href="http://127.0.0.1:5000/profile"' in html and 'lang="sv"' in html


def test_a_member_who_opted_out_or_left_gets_no_reminder_and_staff_get_none(app, scene, smtp):
    run(app, REMINDER_DAY)
    addresses = {address for address, _ in received(smtp)}
    assert "olle@virestad.example" not in addresses  # opted out
    assert "fia@virestad.example" not in addresses  # no longer active
    assert not addresses & {"granskare@almhult.example", "admin@almhult.example", "sam@hallaryd.example"}


@pytest.mark.parametrize("settle", ["done", "done_late_but_still_in_grace", "excused"])
def test_no_reminder_for_an_occurrence_that_is_done_or_excused(app, scene, smtp, settle):
    occurrence = occurrence_due(scene.task, DUE)
    if settle == "excused":
        occurrence.excused_reason = "Badplatsen är stängd för muddring."
    else:
        completed_on = date(2026, 6, 9) if settle == "done" else date(2026, 6, 1)
        db.session.add(Completion(municipality_id=scene.home.id, occurrence_id=occurrence.id,
                                  site_id=scene.beach.id, task_type_id=scene.mowing.id, completed_on=completed_on))
    db.session.commit()
    run(app, REMINDER_DAY)
    assert received(smtp) == []
    assert notifications("reminder") == []


@pytest.mark.parametrize("change", ["performed_by_municipality", "agreement_ended"])
def test_no_reminder_for_the_municipality_s_own_tasks_or_an_agreement_no_longer_active(app, scene, smtp, change):
    if change == "performed_by_municipality":
        scene.task.performed_by = "municipality"
    else:
        scene.agreement.status = "ended"
    db.session.commit()
    run(app, REMINDER_DAY)
    assert received(smtp) == []


def test_a_missed_occurrence_is_never_reminded(app, scene, smtp):
    # The scheduler was down from before the reminder day until after the grace period: too late to remind.
    run(app, date(2026, 6, 15))
    assert received(smtp) == []


def test_after_the_scheduler_was_down_for_three_days_each_due_reminder_goes_out_exactly_once(app, make, smtp):
    home = make.municipality("Älmhult kommun", "0765")
    association = make.association(home, "Delary byalag")
    site = make.site(home, association, name="Delary badplats", kind="beach")
    litter = make.task_type(home, "Tömning papperskorgar")
    agreement = make.agreement(association, starts_on=date(2026, 6, 1), ends_on=date(2026, 12, 31))
    task = make.agreed_task(agreement, site, litter, rrule="FREQ=WEEKLY;BYDAY=MO,WE,FR", season=None)
    regenerate([task], today=date(2026, 6, 1), until=date(2026, 6, 30))
    member = make.user("mia@delary.example", role="member", association=association, name="Mia Medlem")
    no_digests(member)

    run(app, date(2026, 6, 7))  # Sunday; then down Monday to Wednesday
    run(app, date(2026, 6, 11))  # Thursday: one run catches up
    run(app, date(2026, 6, 11), 8)

    reminded = sorted(row.occurrence_id for row in notifications("reminder"))
    due = {occurrence.id: occurrence.due_on for occurrence in
           db.session.scalars(select(Occurrence).where(Occurrence.agreed_task_id == task.id))}
    # Wed 3 June was missed by the first run; Mon 8 June was reminded on Sunday; Mon 15 June's day (13th) is ahead.
    assert [due[occurrence_id] for occurrence_id in reminded] == [
        date(2026, 6, 5), date(2026, 6, 8), date(2026, 6, 10), date(2026, 6, 12)]
    assert len(received(smtp)) == 4
    assert [row.status for row in notifications("reminder")] == ["sent"] * 4


def test_a_run_beside_another_that_is_sending_sends_nothing_until_the_claim_is_an_hour_old(app, scene, smtp):
    occurrence = occurrence_due(scene.task, DUE)
    no_digests(scene.coordinator, scene.reviewer)
    # Another run claimed Mia's reminder five minutes ago and is sending it (or crashed while doing so).
    claimed_at = at(REMINDER_DAY, 7) - timedelta(minutes=5)
    db.session.add(Notification(
        municipality_id=scene.home.id, key=f"reminder:{occurrence.id}:{scene.member.id}", kind="reminder",
        user_id=scene.member.id, association_id=scene.virestad.id, occurrence_id=occurrence.id,
        recipient="mia@virestad.example", status="sending", attempts=1, created_at=claimed_at, updated_at=claimed_at))
    db.session.commit()

    run(app, REMINDER_DAY, now=at(REMINDER_DAY, 7))
    run(app, REMINDER_DAY, now=claimed_at + timedelta(minutes=59))
    assert received(smtp) == [("asa@virestad.example", SUBJECT)]

    run(app, REMINDER_DAY, now=claimed_at + timedelta(hours=1, minutes=1))  # the claim was left by a crash
    assert received(smtp) == [("asa@virestad.example", SUBJECT), ("mia@virestad.example", SUBJECT)]
    row = next(row for row in notifications("reminder") if row.user_id == scene.member.id)
    assert (row.status, row.attempts) == ("sent", 2)


def test_a_key_claimed_between_looking_and_claiming_is_skipped_silently(app, scene, smtp, monkeypatch):
    no_digests(scene.coordinator, scene.reviewer)
    run(app, REMINDER_DAY)
    # The second run looks before the first has committed its claims: it sees nothing and then loses every insert.
    monkeypatch.setattr(reminders, "_known", lambda keys: {})
    summary = run(app, REMINDER_DAY, 8)
    assert len(received(smtp)) == 2
    assert summary.reminders == 0 and summary.failed == 0
    assert [row.status for row in notifications()] == ["sent", "sent"]


def test_a_temporary_refusal_is_tried_again_and_delivered_once(app, scene, smtp):
    no_digests(scene.coordinator, scene.reviewer)
    scene.coordinator.wants_reminders = False
    db.session.commit()
    smtp.rcpt_replies = ["451 4.3.0 Try again later", "451 4.3.0 Try again later"]

    first = run(app, REMINDER_DAY, 7)
    [row] = notifications("reminder")
    assert (row.status, row.attempts, row.last_error) == ("retry", 1, "451 4.3.0 Try again later")
    assert str(first) == "0 påminnelser skickade, 0 sammanfattningar, 0 misslyckade, 1 försöks igen"
    run(app, REMINDER_DAY, 8)
    run(app, REMINDER_DAY, 9)
    run(app, REMINDER_DAY, 10)

    assert received(smtp) == [("mia@virestad.example", SUBJECT)]
    [row] = notifications("reminder")
    assert (row.status, row.attempts, row.last_error, row.sent_at) == ("sent", 3, "", at(REMINDER_DAY, 9))


def test_a_retry_stops_once_the_occurrence_is_missed(app, scene, smtp):
    no_digests(scene.coordinator, scene.reviewer)
    scene.coordinator.wants_reminders = False
    db.session.commit()
    smtp.rcpt_replies = ["451 4.3.0 Try again later"]
    run(app, REMINDER_DAY)
    run(app, date(2026, 6, 15))  # grace ended on the 14th: reminding now would only confuse
    assert received(smtp) == []
    assert [(row.status, row.attempts) for row in notifications("reminder")] == [("retry", 1)]


def test_a_permanent_refusal_is_recorded_the_batch_goes_on_and_the_coordinator_sees_it(app, scene, smtp, make):
    anna = make.user("anna@virestad.example", role="member", association=scene.virestad, name="Anna Andersson")
    smtp.rcpt_replies = ["550 5.1.1 Mailbox unavailable"]  # the first message: Anna's, as names sort first

    summary = run(app, REMINDER_DAY)

    assert sorted(received(smtp)) == [("asa@virestad.example", SUBJECT), ("mia@virestad.example", SUBJECT)]
    assert received(smtp, "Veckosammanfattning") and received(smtp, "Försenade")  # the digests went out too
    failed = next(row for row in notifications("reminder") if row.user_id == anna.id)
    assert (failed.status, failed.last_error, failed.sent_at) == ("failed", "550 5.1.1 Mailbox unavailable", None)
    assert str(summary) == "2 påminnelser skickade, 2 sammanfattningar, 1 misslyckad, 0 försöks igen"

    run(app, REMINDER_DAY, 8)  # a failed message is not tried again
    assert len(received(smtp)) == 2

    expected = ("E-post till Anna Andersson (anna@virestad.example) kunde inte levereras 2026-06-10: "
                "550 5.1.1 Mailbox unavailable")
    assert expected in members_page(app, "asa@virestad.example", scene.virestad)
    assert SUBJECT in members_page(app, "asa@virestad.example", scene.virestad)
    assert "kunde inte levereras" not in members_page(app, "mia@virestad.example", scene.virestad)  # members don't
    assert "kunde inte levereras" not in members_page(app, "sam@hallaryd.example", scene.hallaryd)  # nor others


def test_without_a_mail_server_the_messages_are_written_to_the_outbox(app, scene, tmp_path, monkeypatch):
    outbox = tmp_path / "outbox"
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    monkeypatch.setitem(app.config, "OUTBOX_FOLDER", str(outbox))

    summary = run(app, REMINDER_DAY)

    rows = notifications()
    assert summary.reminders == 2 and summary.digests == 2
    assert sorted(path.name for path in outbox.iterdir()) == sorted(row.outbox_file for row in rows)
    assert all(row.status == "sent" for row in rows)
    reminder = next(row for row in rows if row.kind == "reminder" and row.user_id == scene.member.id)
    with open(outbox / reminder.outbox_file, "rb") as fh:
        message = BytesParser(policy=policy.default).parse(fh)
    assert message["To"] == "Mia Medlem <mia@virestad.example>" and message["Subject"] == SUBJECT
    assert f"/schedule/occurrences/{reminder.occurrence_id}" in text_of(message)
    assert "Välje badplats" in html_of(message)


def test_an_english_reader_gets_the_dates_in_english(app, scene, smtp):
    scene.member.locale = "en"
    db.session.commit()
    run(app, REMINDER_DAY)
    [message] = [m for m in smtp.messages if m["To"].addresses[0].addr_spec == "mia@virestad.example"]
    assert "Friday 12 June" in str(message["Subject"])
    assert 'lang="en"' in html_of(message)


def test_a_name_with_a_line_break_adds_no_header(app, scene, smtp, make):
    no_digests(scene.coordinator, scene.reviewer)
    eve = make.user("eve@virestad.example", role="member", association=scene.virestad,
                    name="Eve\r\nBcc: evil@example.com")
    run(app, REMINDER_DAY)
    message = next(m for m, rcpt in zip(smtp.messages, smtp.recipients) if rcpt == ["eve@virestad.example"])
    assert message["Bcc"] is None
    assert message["To"].addresses[0].display_name == "Eve Bcc: evil@example.com"
    assert all(rcpt != ["evil@example.com"] for rcpt in smtp.recipients)
    assert "\n" not in next(row for row in notifications() if row.user_id == eve.id).recipient


def test_the_html_part_escapes_names(app, scene, smtp, make):
    no_digests(scene.reviewer)
    make.user("x@virestad.example", role="member", association=scene.virestad, name="<script>alert(1)</script>")
    scene.beach.name = "Välje <b>badplats</b>"
    db.session.commit()
    run(app, REMINDER_DAY)
    for message in smtp.messages:
        html = html_of(message)
        assert "<script>" not in html and "<b>" not in html
        assert "&lt;b&gt;badplats&lt;/b&gt;" in html
    mail_to_x = next(m for m, rcpt in zip(smtp.messages, smtp.recipients) if rcpt == ["x@virestad.example"])
    assert "Hej &lt;script&gt;alert(1)&lt;/script&gt;!" in html_of(mail_to_x)
    assert "Hej <script>alert(1)</script>!" in text_of(mail_to_x)  # plain text is not HTML


def test_the_job_s_queries_do_not_grow_with_the_number_of_occurrences(app, make, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    monkeypatch.setitem(app.config, "OUTBOX_FOLDER", str(tmp_path))
    home = make.municipality("Älmhult kommun", "0765")
    litter = make.task_type(home, "Tömning papperskorgar")

    def association_with_tasks(count: int):
        association = make.association(home)
        agreement = make.agreement(association, starts_on=date(2026, 5, 1))
        tasks = [make.agreed_task(agreement, make.site(home, association), litter, rrule="FREQ=WEEKLY;BYDAY=MO,TH",
                                  season=None) for _ in range(count)]
        regenerate(tasks, today=date(2026, 5, 1), until=date(2026, 8, 31))
        make.user(role="coordinator", association=association)
        make.user(role="member", association=association)

    def statements_of_a_run() -> tuple[int, int]:
        """(SQL statements, messages sent) of one run."""
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            summary = run(app, date(2026, 6, 10))
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements), summary.reminders + summary.digests

    association_with_tasks(1)
    make.user(role="reviewer", municipality=home)
    sending, sent = statements_of_a_run()
    idle, nothing = statements_of_a_run()
    assert sent == 2 * 2 + 2 and nothing == 0  # Monday's (in grace) and Thursday's reminders to two; two digests
    per_message = (sending - idle) // sent
    assert per_message * sent == sending - idle

    association_with_tasks(4)
    association_with_tasks(2)
    sending, sent = statements_of_a_run()
    assert sent == 6 * 2 * 2 + 2  # the six new tasks' reminders, the two new coordinators' digests
    assert sending == idle + per_message * sent
    assert statements_of_a_run() == (idle, 0)


# --- digests -------------------------------------------------------------------------------------------------------


def test_iso_week_names_the_period_across_new_year():
    assert iso_week(date(2026, 6, 10)) == "2026-W24"
    assert iso_week(date(2027, 1, 1)) == "2026-W53"
    assert iso_week(date(2025, 12, 29)) == "2026-W01"


def test_each_coordinator_and_reviewer_gets_one_digest_a_week_however_often_the_job_runs(app, scene, smtp):
    for day in (date(2026, 6, 8) + timedelta(days=n) for n in range(7)):  # week 24, every hour of the job
        for hour in (7, 13, 20):
            run(app, day, hour)
    coordinator_digests = received(smtp, "Veckosammanfattning")
    reviewer_digests = received(smtp, "Försenade")
    assert coordinator_digests == [("asa@virestad.example",
                                    "Veckosammanfattning vecka 24: Virestads hembygdsförening")]
    assert reviewer_digests == [("granskare@almhult.example",
                                 "Försenade och missade tillfällen vecka 24: Älmhult kommun")]
    assert {row.key for row in notifications() if row.kind != "reminder"} == {
        f"coordinator_digest:{scene.virestad.id}:2026-W24:{scene.coordinator.id}",
        f"reviewer_digest:{scene.home.id}:2026-W24:{scene.reviewer.id}",
    }

    run(app, date(2026, 6, 15))  # Monday of week 25
    assert len(received(smtp, "Veckosammanfattning")) == 2 and len(received(smtp, "Försenade")) == 2


def test_the_coordinator_digest_lists_this_weeks_work_and_what_is_late(app, scene, smtp):
    run(app, date(2026, 6, 8))  # Monday of week 24
    [message] = [m for m in smtp.messages if str(m["Subject"]).startswith("Veckosammanfattning")]
    text = text_of(message)
    late, this_week = text.split("Att göra den här veckan:")
    assert "Försenade och missade de senaste 30 dagarna:" in late
    assert "fre 15 maj: Klippning bruksgräsmatta, Välje badplats (missad)" in late
    assert "fre 29 maj: Klippning bruksgräsmatta, Välje badplats (missad)" in late
    assert "fre 12 juni: Klippning bruksgräsmatta, Välje badplats (att göra)" in this_week
    assert "26 juni" not in text  # next fortnight is not this week
    occurrence = occurrence_due(scene.task, DUE)
    assert f"http://127.0.0.1:5000/schedule/occurrences/{occurrence.id}" in this_week
    assert f"http://127.0.0.1:5000/association/{scene.virestad.id}/" in text
    assert "http://127.0.0.1:5000/profile" in text


def test_the_reviewer_digest_groups_what_is_late_by_association(app, scene, smtp, make):
    delary = make.association(scene.home, "Delary byalag")
    park = make.site(scene.home, delary, name="Bruksparken")
    agreement = make.agreement(delary, starts_on=date(2026, 5, 1))
    task = make.agreed_task(agreement, park, scene.mowing, rrule="FREQ=WEEKLY;BYDAY=MO", season=None)
    regenerate([task], today=date(2026, 5, 1), until=date(2026, 6, 30))
    run(app, date(2026, 6, 10))
    [message] = [m for m in smtp.messages if str(m["Subject"]).startswith("Försenade")]
    text = text_of(message)
    delary_part, virestad_part = text.split("Delary byalag:")[1].split("Virestads hembygdsförening:")
    assert "mån 1 juni: Klippning bruksgräsmatta, Bruksparken (missad)" in delary_part
    assert "mån 8 juni: Klippning bruksgräsmatta, Bruksparken (försenad)" in delary_part
    assert "mån 11 maj" in delary_part  # 30 days ago
    assert "mån 4 maj" not in delary_part  # more than 30 days ago
    assert "Välje badplats (missad)" in virestad_part and "Bruksparken" not in virestad_part
    assert "fre 12 juni" not in text  # not late yet
    assert received(smtp, "Veckosammanfattning vecka 24: Delary byalag") == []  # Delary has no coordinator


def test_an_empty_digest_is_not_sent(app, scene, smtp):
    # Week 19: the season starts next week, so nothing is due this week or late.
    run(app, date(2026, 5, 6))
    assert received(smtp, "Veckosammanfattning") == [] and received(smtp, "Försenade") == []
    assert notifications("coordinator_digest") == [] and notifications("reviewer_digest") == []
    # Hallaryd, with nothing to do, never gets one.
    run(app, date(2026, 6, 10))
    assert [address for address, _ in received(smtp, "Veckosammanfattning")] == ["asa@virestad.example"]


def test_a_recipient_who_opted_out_gets_no_digest(app, scene, smtp):
    scene.coordinator.wants_coordinator_digest = False
    scene.reviewer.wants_reviewer_digest = False
    db.session.commit()
    run(app, date(2026, 6, 10))
    assert received(smtp, "Veckosammanfattning") == [] and received(smtp, "Försenade") == []


@pytest.mark.parametrize("monday, dst_sunday", [
    (date(2026, 3, 23), date(2026, 3, 29)),  # week 13: clocks go forward on Sunday
    (date(2026, 10, 19), date(2026, 10, 25)),  # week 43: clocks go back on Sunday
])
def test_a_week_with_a_clock_change_still_gives_one_digest_per_recipient(app, make, smtp, monday, dst_sunday):
    home = make.municipality("Älmhult kommun", "0765")
    association = make.association(home, "Härlunda intresseförening")
    litter = make.task_type(home, "Tömning papperskorgar")
    agreement = make.agreement(association, starts_on=date(2026, 3, 1))
    task = make.agreed_task(agreement, make.site(home, association), litter, rrule="FREQ=WEEKLY;BYDAY=MO,TH",
                            season=None)
    regenerate([task], today=date(2026, 3, 1), until=date(2026, 11, 30))
    coordinator = make.user("samordnare@harlunda.example", role="coordinator", association=association)
    reviewer = make.user("granskare@almhult.example", role="reviewer", municipality=home)
    coordinator.wants_reminders = False
    db.session.commit()

    for day in (monday + timedelta(days=n) for n in range(7)):
        for hour in (0, 2, 3, 7, 20, 23):  # around midnight and the missing/doubled hour, in local time
            run(app, day, now=datetime.combine(day, time(hour), tzinfo=STOCKHOLM).astimezone(timezone.utc))
    run(app, dst_sunday, now=datetime.combine(dst_sunday, time(2, 30), tzinfo=STOCKHOLM).astimezone(timezone.utc))

    week = iso_week(monday)
    assert iso_week(dst_sunday) == week
    week_number = monday.isocalendar()[1]
    assert received(smtp, "Veckosammanfattning") == [
        ("samordnare@harlunda.example", f"Veckosammanfattning vecka {week_number}: Härlunda intresseförening")]
    assert [address for address, _ in received(smtp, "Försenade")] == ["granskare@almhult.example"]
    assert sorted(row.key for row in notifications()) == sorted([
        f"coordinator_digest:{association.id}:{week}:{coordinator.id}",
        f"reviewer_digest:{home.id}:{week}:{reviewer.id}",
    ])
