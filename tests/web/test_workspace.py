"""The association workspace: "Mina uppgifter" with deviations first, then overdue, due and upcoming by site;
"Klart" with one tap (never twice), "Mer" with details and photos, ad hoc work, several at once, on behalf of a
member; correcting and withdrawing within the window; marking a deviation fixed; and who sees none of it."""
from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

import pytest
from PIL import Image
from sqlalchemy import func, select

from skotsel.domain.schedule import Status
from skotsel.extensions import db
from skotsel.models import AuditEvent, Completion, Deviation, Occurrence, Photo
from skotsel.services.schedule import regenerate, state_of
from tests.conftest import login, query_count

D = date.fromisoformat
TODAY = D("2026-06-10")  # a Wednesday in the grass season


@pytest.fixture
def today(app, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", TODAY.isoformat())


def occurrence_of(task, planned_on: date) -> Occurrence:
    return db.session.scalar(select(Occurrence).filter_by(agreed_task_id=task.id, planned_on=planned_on))


def count(model=Completion) -> int:
    return db.session.scalar(select(func.count(model.id)))


def text(response) -> str:
    return response.get_data(as_text=True)


def token(html: str, occurrence_id: int | None = None) -> str:
    """The submission key of the "Klart" form of an occurrence (or of the page's only form)."""
    if occurrence_id is not None:
        html = html[html.index(f"/workspace/occurrences/{occurrence_id}/done"):]
    return re.search(r'name="token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="token"', html).group(1) or ""


def form_token(html: str) -> str:
    found = re.search(r'<input[^>]*id="token"[^>]*>', html).group(0)
    return re.search(r'value="([^"]*)"', found).group(1)


@pytest.fixture
def plan(world, make, today):
    """Park A (association A) on 10 June 2026: mowing every other week (due 14 June, window from 1 June) and a daily
    life-saving gear check in June (8 and 9 June overdue, 10 June due); an open deviation; Park B is B's."""
    check_type = make.task_type(world.home, "Kontroll livräddningsutrustning")
    daily = make.agreed_task(world.agreement_a, world.site_a, check_type, rrule="FREQ=DAILY",
                             season=("06-01", "06-30"))
    regenerate([world.task_a, world.task_b, daily], today=TODAY)
    deviation = Deviation(municipality_id=world.home.id, source="inspection", agreement_id=world.agreement_a.id,
                          site_id=world.site_a.id, description="Livbojen saknas vid bryggan",
                          fix_by_on=D("2026-06-20"), status="open")
    db.session.add(deviation)
    db.session.commit()
    return SimpleNamespace(mowing=world.task_a, daily=daily, due=occurrence_of(world.task_a, D("2026-06-14")),
                           overdue=occurrence_of(daily, D("2026-06-08")),
                           upcoming=occurrence_of(daily, D("2026-06-20")),
                           b_due=occurrence_of(world.task_b, D("2026-06-14")), deviation=deviation)


def png_bytes(color="green") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, "PNG")
    return out.getvalue()


def jpeg_taken(taken: str) -> bytes:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = taken
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(out, "JPEG", exif=exif)
    return out.getvalue()


def klart(client, occurrence, page_html: str | None = None, key: str | None = None):
    page_html = page_html or text(client.get("/workspace/"))
    return client.submit(f"/workspace/occurrences/{occurrence.id}/done",
                         {"token": key or token(page_html, occurrence.id)}, page="/workspace/")


# --- Mina uppgifter ------------------------------------------------------------------------------------------


def test_the_member_sees_deviations_first_then_overdue_due_and_upcoming_by_site(client, plan):
    login(client, "medlem@a.example")
    html = text(client.get("/workspace/"))
    deviation, overdue, due, upcoming = (html.index("Livbojen saknas vid bryggan"), html.index("Försenad"),
                                         html.index("Att göra"), html.index("Kommande två veckor"))
    assert deviation < overdue < due < upcoming
    assert 'datetime="2026-06-08"' in html and 'datetime="2026-06-14"' in html
    assert "Park A" in html and "Park B" not in html
    assert "Klippning bruksgräsmatta varannan vecka 15 maj–30 sep · högst 10 cm" in html  # the level in words
    upcoming_part = html[upcoming:html.index("Rapportera annat arbete")]
    assert 'datetime="2026-06-20"' in upcoming_part and "/done" not in upcoming_part
    assert 'datetime="2026-06-25"' not in html  # beyond two weeks
    assert f'/workspace/occurrences/{plan.overdue.id}/done' in html
    assert f'/workspace/deviations/{plan.deviation.id}/fix' in html


def test_the_nav_links_to_the_workspace(client, plan):
    login(client, "medlem@a.example")
    assert 'href="/workspace/"' in text(client.get("/association/", follow_redirects=True))


def test_the_page_runs_the_same_number_of_queries_however_much_there_is(client, world, make, plan):
    def add(n: int) -> None:
        """A site with a daily and a quota task, an open deviation and a completion."""
        site = make.site(world.home, world.a, name=f"Extra {n}")
        kind = make.task_type(world.home, f"Moment {n}", rrule="FREQ=DAILY")
        task = make.agreed_task(world.agreement_a, site, kind, rrule="FREQ=DAILY", season=("06-01", "06-30"))
        quota = make.agreed_task(world.agreement_a, site, kind, rrule=None, quota_count=4, quota_gap_days=7)
        regenerate([task, quota], today=TODAY)
        db.session.add(Deviation(municipality_id=world.home.id, source="inspection",
                                 agreement_id=world.agreement_a.id, site_id=site.id, description=f"Fel {n}",
                                 status="open"))
        occurrence = occurrence_of(task, D("2026-06-09"))
        db.session.add(Completion(municipality_id=world.home.id, occurrence_id=occurrence.id, site_id=site.id,
                                  task_type_id=kind.id, completed_on=TODAY, user_id=world.member_a.id))
        db.session.commit()

    add(0)
    login(client, "samordnare@a.example")
    few = query_count(client, "/workspace/")
    for n in range(1, 5):
        add(n)
    many = query_count(client, "/workspace/")
    assert many == few


def test_a_user_in_two_associations_sees_both(client, world, make, plan):
    make.user("dubbel@a.example", role="member", association=world.a)
    from skotsel.models import Membership, User
    user = db.session.scalar(select(User).filter_by(email="dubbel@a.example"))
    db.session.add(Membership(user_id=user.id, municipality_id=world.home.id, association_id=world.b.id,
                              role="member"))
    db.session.commit()
    login(client, "dubbel@a.example")
    html = text(client.get("/workspace/"))
    assert "Park A" in html and "Park B" in html


# --- Klart ---------------------------------------------------------------------------------------------------


def test_klart_records_a_completion_for_today_by_the_member(client, world, plan):
    login(client, "medlem@a.example")
    response = klart(client, plan.due)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#site-{world.site_a.id}")
    completion = db.session.scalar(select(Completion))
    assert (completion.occurrence_id, completion.completed_on, completion.user_id) == (
        plan.due.id, TODAY, world.member_a.id)
    assert state_of(plan.due, today=TODAY).status is Status.DONE
    assert "är rapporterat" in text(client.get("/workspace/"))


def test_a_double_tap_or_retry_makes_one_completion(client, plan):
    login(client, "medlem@a.example")
    html = text(client.get("/workspace/"))
    klart(client, plan.due, html)
    client.get("/workspace/")  # the first flash
    response = klart(client, plan.due, html)  # the same form, the same key, again
    assert response.status_code == 302
    assert "Redan rapporterat" in text(client.get("/workspace/"))
    assert count() == 1


def test_a_second_klart_with_a_new_key_on_a_done_occurrence_still_makes_one(client, plan):
    login(client, "medlem@a.example")
    klart(client, plan.due)
    klart(client, plan.due, key="y" * 22)
    assert count() == 1


def test_klart_before_the_occurrences_window_opens_is_refused_with_the_reason(client, plan):
    login(client, "medlem@a.example")
    response = klart(client, plan.upcoming, key="z" * 22)
    assert response.status_code == 302
    assert "Arbete före 2026-06-20 räknas inte för det här tillfället." in text(client.get("/workspace/"))
    assert count() == 0


# --- Mer -----------------------------------------------------------------------------------------------------


def test_the_log_form_saves_date_notes_hours_and_people(client, world, plan):
    login(client, "medlem@a.example")
    url = f"/workspace/occurrences/{plan.due.id}/log"
    html = text(client.get(url))
    assert 'value="2026-06-10"' in html and "Utfört av" not in html  # today; members log for themselves
    response = client.submit(url, {"token": form_token(html), "completed_on": "2026-06-09", "notes": "Klippt",
                                   "hours": "1,5", "people": "3"})
    assert response.status_code == 302
    completion = db.session.scalar(select(Completion))
    assert (completion.completed_on, completion.notes, completion.hours, completion.people) == (
        D("2026-06-09"), "Klippt", Decimal("1.50"), 3)


@pytest.mark.parametrize("values, message", [
    pytest.param({"completed_on": "2026-06-11"}, "Datumet kan inte vara i framtiden.", id="future"),
    pytest.param({"completed_on": "2024-12-31"}, "Datumet ligger före avtalets start 2025-01-01.", id="early"),
    pytest.param({"completed_on": "2026-05-20"}, "Arbete före 2026-06-01 räknas inte", id="before-window"),
    pytest.param({"completed_on": "10 juni"}, "Ange ett datum, t.ex. 2026-06-15.", id="not-a-date"),
    pytest.param({"completed_on": ""}, "Ange dagen då arbetet gjordes", id="no-date"),
    pytest.param({"hours": "en timme"}, "Ange antal timmar som ett tal, t.ex. 1,5.", id="hours-text"),
    pytest.param({"hours": "1001"}, "Ange antal timmar mellan 0 och 1000.", id="hours-too-many"),
    pytest.param({"hours": "-2"}, "Ange antal timmar mellan 0 och 1000.", id="hours-negative"),
    pytest.param({"people": "tre"}, "Ange antal personer som ett heltal, t.ex. 3.", id="people-text"),
    pytest.param({"people": "0"}, "Ange antal personer mellan 1 och 500.", id="people-zero"),
    pytest.param({"people": "501"}, "Ange antal personer mellan 1 och 500.", id="people-too-many"),
    pytest.param({"notes": "x" * 2001}, "Skriv högst 2000 tecken.", id="notes-too-long"),
])
def test_the_log_form_refuses_with_the_reason_and_keeps_what_was_typed(client, plan, values, message):
    login(client, "medlem@a.example")
    url = f"/workspace/occurrences/{plan.due.id}/log"
    data = {"token": form_token(text(client.get(url))), "completed_on": "2026-06-09", "notes": "Mina anteckningar",
            **values}
    response = client.submit(url, data)
    html = text(response)
    assert response.status_code == 200
    assert message in html and 'aria-invalid="true"' in html
    if "notes" not in values:
        assert "Mina anteckningar" in html
    assert count() == 0


def test_the_log_form_with_photos_keeps_them_and_shows_a_photo_warning(client, plan):
    login(client, "medlem@a.example")
    url = f"/workspace/occurrences/{plan.due.id}/log"
    response = client.submit(url, {
        "token": form_token(text(client.get(url))), "completed_on": "2026-06-10",
        "photos": [(io.BytesIO(png_bytes()), "gräset.png"),
                   (io.BytesIO(jpeg_taken("2026:05:01 12:00:00")), "maj.jpg")],
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    completion = db.session.scalar(select(Completion))
    assert sorted(photo.original_name for photo in completion.photos) == ["gräset.png", "maj.jpg"]
    html = text(client.get("/workspace/"))
    assert "flash-warning" in html and "maj.jpg: Bilden är tagen 2026-05-01" in html


def test_a_refused_photo_re_renders_the_form_and_saves_nothing(client, plan):
    login(client, "medlem@a.example")
    url = f"/workspace/occurrences/{plan.due.id}/log"
    response = client.submit(url, {
        "token": form_token(text(client.get(url))), "completed_on": "2026-06-10", "notes": "Med bilder",
        "photos": [(io.BytesIO(png_bytes()), "bra.png"), (io.BytesIO(b"<html>inte en bild</html>"), "fel.png")],
    }, content_type="multipart/form-data")
    html = text(response)
    assert response.status_code == 200
    assert "Filen är ingen bild i JPEG, PNG eller WebP." in html and "Med bilder" in html
    assert count() == 0 and count(Photo) == 0 and count(AuditEvent) == 0


def test_photos_too_large_together_for_one_request_are_refused_on_the_form(client, app, plan, monkeypatch):
    login(client, "medlem@a.example")
    url = f"/workspace/occurrences/{plan.due.id}/log"
    data = {"token": form_token(text(client.get(url))), "completed_on": "2026-06-10",
            "photos": [(io.BytesIO(b"\xff" * 5000), "stor.jpg")]}
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    response = client.submit(url, data, content_type="multipart/form-data")
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    assert "Bilderna var för stora tillsammans" in text(client.get(url))
    assert count() == 0


def test_the_log_page_of_a_done_occurrence_says_so(client, plan):
    login(client, "medlem@a.example")
    klart(client, plan.due)
    html = text(client.get(f"/workspace/occurrences/{plan.due.id}/log"))
    assert "Redan rapporterat" in html and "/edit" in html and 'name="notes"' not in html


def test_a_coordinator_logs_on_behalf_of_a_member(client, world, plan):
    login(client, "samordnare@a.example")
    url = f"/workspace/occurrences/{plan.due.id}/log"
    html = text(client.get(url))
    assert "Utfört av" in html and "Mia Medlem" in html and "Sam B" not in html
    client.submit(url, {"token": form_token(html), "completed_on": "2026-06-10",
                        "performed_by_id": str(world.member_a.id)})
    completion = db.session.scalar(select(Completion))
    assert (completion.user_id, completion.recorded_by_id) == (world.member_a.id, world.coordinator_a.id)


def test_a_member_cannot_slip_in_someone_else_as_performer(client, world, plan):
    login(client, "medlem@a.example")
    url = f"/workspace/occurrences/{plan.due.id}/log"
    client.submit(url, {"token": form_token(text(client.get(url))), "completed_on": "2026-06-10",
                        "performed_by_id": str(world.coordinator_a.id)})
    assert db.session.scalar(select(Completion)).user_id == world.member_a.id  # the field is not there for members


def test_the_log_form_sent_twice_makes_one_completion(client, plan):
    login(client, "medlem@a.example")
    url = f"/workspace/occurrences/{plan.due.id}/log"
    data = {"token": form_token(text(client.get(url))), "completed_on": "2026-06-10"}
    client.submit(url, data)
    client.get("/workspace/")
    client.submit(url, data, page="/workspace/")
    assert "Redan rapporterat" in text(client.get("/workspace/"))
    assert count() == 1


# --- ad hoc and several at once ------------------------------------------------------------------------------


def test_ad_hoc_work_on_a_site(client, world, plan):
    login(client, "medlem@a.example")
    url = f"/workspace/sites/{world.site_a.id}/log"
    html = text(client.get(url))
    assert "Klippning bruksgräsmatta" in html  # a task type may be chosen …
    client.submit(url, {"token": form_token(html), "completed_on": "2026-06-09", "task_type_id": "",
                        "notes": "Röjt efter stormen", "hours": "4", "people": "6"})  # … but need not be
    completion = db.session.scalar(select(Completion))
    assert (completion.occurrence_id, completion.task_type_id, completion.notes, completion.people) == (
        None, None, "Röjt efter stormen", 6)
    assert db.session.scalar(select(AuditEvent).filter_by(object_type="Completion")).parent_type == "Site"


def test_ad_hoc_with_a_date_in_the_future_is_refused(client, world, plan):
    login(client, "medlem@a.example")
    url = f"/workspace/sites/{world.site_a.id}/log"
    response = client.submit(url, {"token": form_token(text(client.get(url))), "completed_on": "2026-07-01"})
    assert "Datumet kan inte vara i framtiden." in text(response) and count() == 0


def test_several_at_once_from_choosing_the_task_to_saving(client, world, plan):
    login(client, "medlem@a.example")
    choose = text(client.get("/workspace/log-many"))
    assert f"/workspace/log-many?task_id={plan.daily.id}" in choose
    url = f"/workspace/log-many?task_id={plan.daily.id}"
    html = text(client.get(url))
    ids = {day: occurrence_of(plan.daily, D(day)).id for day in ("2026-06-01", "2026-06-08", "2026-06-09",
                                                                  "2026-06-10")}
    assert all(f'value="{i}"' in html for i in ids.values())
    assert f'value="{plan.upcoming.id}"' not in html  # not open yet
    data = {"token": form_token(html), "occurrence_ids": [str(ids["2026-06-08"]), str(ids["2026-06-09"])],
            "dates": "due", "hours": "0,5"}
    assert client.submit(url, data).status_code == 302
    assert sorted(c.completed_on for c in db.session.scalars(select(Completion))) == [D("2026-06-08"),
                                                                                     D("2026-06-09")]
    client.submit(url, data)  # sent again
    assert count() == 2


@pytest.mark.parametrize("days, values, message", [
    pytest.param((), {"dates": "due"}, "Välj minst ett tillfälle.", id="none"),
    pytest.param(("2026-06-09", "2026-06-10"), {"dates": "chosen", "completed_on": "2026-06-09"},
                 "Tillfället med förfallodag 2026-06-10: Arbete före 2026-06-10", id="before-window"),
    pytest.param(("2026-06-09",), {"dates": "chosen", "completed_on": ""}, "Ange datumet för alla", id="no-date"),
])
def test_several_at_once_is_all_or_nothing(client, plan, days, values, message):
    login(client, "medlem@a.example")
    url = f"/workspace/log-many?task_id={plan.daily.id}"
    ids = [str(occurrence_of(plan.daily, D(day)).id) for day in days]
    response = client.submit(url, {"token": form_token(text(client.get(url))), "occurrence_ids": ids, **values})
    assert response.status_code == 200 and message in text(response)
    assert count() == 0


# --- edit and withdraw ---------------------------------------------------------------------------------------


def logged(world, occurrence, user, hours_ago: float) -> Completion:
    completion = Completion(municipality_id=world.home.id, occurrence_id=occurrence.id, site_id=world.site_a.id,
                            task_type_id=occurrence.agreed_task.task_type_id, completed_on=TODAY, user_id=user.id,
                            created_at=datetime.now(timezone.utc) - timedelta(hours=hours_ago))
    db.session.add(completion)
    db.session.commit()
    return completion


def test_a_member_edits_their_own_completion_within_the_window(client, world, plan):
    completion = logged(world, plan.due, world.member_a, 23)
    login(client, "medlem@a.example")
    url = f"/workspace/completions/{completion.id}/edit"
    assert client.get(url).status_code == 200
    response = client.submit(url, {"completed_on": "2026-06-09", "notes": "Rättat", "hours": "2", "people": "1"})
    assert response.status_code == 302
    assert db.session.get(Completion, completion.id).notes == "Rättat"
    event = db.session.scalar(select(AuditEvent).filter_by(object_type="Completion", action="update"))
    assert event.changes["notes"] == ["", "Rättat"] and event.actor_id == world.member_a.id


def test_a_member_cannot_edit_after_the_window(client, world, plan):
    completion = logged(world, plan.due, world.member_a, 25)
    login(client, "medlem@a.example")
    response = client.get(f"/workspace/completions/{completion.id}/edit")
    assert response.status_code == 403 and "för mer än 24 timmar sedan" in text(response)
    response = client.submit(f"/workspace/completions/{completion.id}/withdraw", page="/workspace/")
    assert response.status_code == 403 and count() == 1


def test_a_member_cannot_edit_another_members_completion(client, world, plan, make):
    other = make.user("annan@a.example", role="member", association=world.a)
    completion = logged(world, plan.due, other, 1)
    login(client, "medlem@a.example")
    response = client.get(f"/workspace/completions/{completion.id}/edit")
    assert response.status_code == 403 and "som du själv har rapporterat" in text(response)


def test_a_coordinator_edits_any_of_the_associations_completions_at_any_time(client, world, plan):
    completion = logged(world, plan.due, world.member_a, 24 * 20)
    login(client, "samordnare@a.example")
    url = f"/workspace/completions/{completion.id}/edit"
    response = client.submit(url, {"completed_on": "2026-06-10", "notes": "Samordnaren rättade",
                                   "performed_by_id": str(world.coordinator_a.id)})
    assert response.status_code == 302
    completion = db.session.get(Completion, completion.id)
    assert completion.notes == "Samordnaren rättade" and completion.user_id == world.coordinator_a.id


def test_the_recent_list_offers_edit_only_where_it_is_allowed(client, world, plan, make):
    own = logged(world, plan.due, world.member_a, 1)
    other = make.user("annan@a.example", role="member", association=world.a)
    theirs = logged(world, plan.overdue, other, 1)
    login(client, "medlem@a.example")
    html = text(client.get("/workspace/"))
    assert f"/workspace/completions/{own.id}/edit" in html
    assert f"/workspace/completions/{theirs.id}/edit" not in html


def test_withdrawing_puts_the_occurrence_back_and_is_audited(client, world, plan):
    completion = logged(world, plan.due, world.member_a, 1)
    login(client, "medlem@a.example")
    response = client.submit(f"/workspace/completions/{completion.id}/withdraw",
                             page=f"/workspace/completions/{completion.id}/edit")
    assert response.status_code == 302
    assert count() == 0
    assert state_of(plan.due, today=TODAY).status is Status.DUE
    assert db.session.scalar(select(AuditEvent).filter_by(object_type="Completion", action="delete")) is not None
    assert f"/workspace/occurrences/{plan.due.id}/done" in text(client.get("/workspace/"))


def test_withdrawing_removes_the_photos_too(client, world, plan):
    login(client, "medlem@a.example")
    url = f"/workspace/occurrences/{plan.due.id}/log"
    client.submit(url, {"token": form_token(text(client.get(url))), "completed_on": "2026-06-10",
                        "photos": [(io.BytesIO(png_bytes()), "a.png")]}, content_type="multipart/form-data")
    completion = db.session.scalar(select(Completion))
    photo_id = completion.photos[0].id
    html = text(client.get(f"/workspace/completions/{completion.id}/edit"))
    assert f"/photos/{photo_id}/thumb" in html
    client.submit(f"/workspace/completions/{completion.id}/withdraw",
                  page=f"/workspace/completions/{completion.id}/edit")
    assert count() == 0 and count(Photo) == 0


def test_a_municipality_admin_may_correct_a_completion(client, world, plan):
    completion = logged(world, plan.due, world.member_a, 24 * 20)
    login(client, "admin@home.example")
    assert client.get("/workspace/").status_code == 404  # the workspace itself is the association's
    url = f"/workspace/completions/{completion.id}/edit"
    response = client.submit(url, {"completed_on": "2026-06-10", "notes": "Kommunen rättade"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/schedule/occurrences/{plan.due.id}")


def test_a_reviewer_cannot_correct_a_completion(client, world, plan):
    completion = logged(world, plan.due, world.member_a, 1)
    login(client, "granskare@home.example")
    assert client.get("/workspace/").status_code == 404
    assert client.get(f"/workspace/completions/{completion.id}/edit").status_code == 403
    response = client.post(f"/workspace/completions/{completion.id}/withdraw",
                           data={"csrf_token": client.csrf_token("/profile")})
    assert response.status_code == 403 and count() == 1


# --- deviations ----------------------------------------------------------------------------------------------


def test_a_member_marks_a_deviation_fixed_with_a_note_and_a_photo(client, world, plan):
    login(client, "medlem@a.example")
    url = f"/workspace/deviations/{plan.deviation.id}/fix"
    assert "Livbojen saknas vid bryggan" in text(client.get(url))
    response = client.submit(url, {"note": "Ny livboj på plats", "photos": [(io.BytesIO(png_bytes()), "boj.png")]},
                             content_type="multipart/form-data")
    assert response.status_code == 302
    deviation = db.session.get(Deviation, plan.deviation.id)
    assert (deviation.status, deviation.fixed_note, deviation.fixed_by_id) == ("fixed", "Ny livboj på plats",
                                                                              world.member_a.id)
    assert deviation.fixed_at is not None and [p.original_name for p in deviation.photos] == ["boj.png"]
    assert db.session.scalar(select(AuditEvent).filter_by(object_type="Deviation")).changes["status"] == [
        "open", "fixed"]
    assert "Livbojen saknas vid bryggan" not in text(client.get("/workspace/"))


def test_marking_fixed_needs_a_note(client, plan):
    login(client, "samordnare@a.example")
    response = client.submit(f"/workspace/deviations/{plan.deviation.id}/fix", {"note": " "})
    assert response.status_code == 200 and "Skriv vad som har gjorts." in text(response)
    assert db.session.get(Deviation, plan.deviation.id).status == "open"


def test_a_fixed_deviation_cannot_be_marked_fixed_again(client, plan):
    plan.deviation.status = "fixed"
    db.session.commit()
    login(client, "samordnare@a.example")
    url = f"/workspace/deviations/{plan.deviation.id}/fix"
    assert "Avvikelsen är redan markerad som åtgärdad." in text(client.get(url))
    response = client.submit(url, {"note": "Igen"})
    assert "Avvikelsen är redan markerad som åtgärdad." in text(response)
    assert count(AuditEvent) == 0


# --- who sees none of it -------------------------------------------------------------------------------------


def pages(world, plan, completion) -> list[tuple[str, str]]:
    return [
        ("GET", "/workspace/"),
        ("GET", f"/workspace/occurrences/{plan.due.id}/log"),
        ("POST", f"/workspace/occurrences/{plan.due.id}/log"),
        ("POST", f"/workspace/occurrences/{plan.due.id}/done"),
        ("GET", f"/workspace/sites/{world.site_a.id}/log"),
        ("POST", f"/workspace/sites/{world.site_a.id}/log"),
        ("GET", f"/workspace/log-many?task_id={plan.daily.id}"),
        ("POST", f"/workspace/log-many?task_id={plan.daily.id}"),
        ("GET", f"/workspace/completions/{completion.id}/edit"),
        ("POST", f"/workspace/completions/{completion.id}/edit"),
        ("POST", f"/workspace/completions/{completion.id}/withdraw"),
        ("GET", f"/workspace/deviations/{plan.deviation.id}/fix"),
        ("POST", f"/workspace/deviations/{plan.deviation.id}/fix"),
    ]


def test_another_associations_people_get_404_on_every_page_and_post(client, world, plan):
    completion = logged(world, plan.due, world.member_a, 1)
    login(client, "samordnare@b.example")
    csrf = client.csrf_token("/workspace/")
    for method, url in pages(world, plan, completion)[1:]:
        response = client.get(url) if method == "GET" else client.post(url, data={
            "csrf_token": csrf, "token": "q" * 22, "completed_on": "2026-06-10", "note": "x", "notes": "x",
            "occurrence_ids": [str(plan.overdue.id)], "dates": "due"})
        assert response.status_code == 404, (method, url)
    assert count() == 1 and db.session.get(Deviation, plan.deviation.id).status == "open"


def test_another_municipalitys_admin_gets_404(client, world, plan):
    completion = logged(world, plan.due, world.member_a, 1)
    login(client, "admin@other.example")
    for method, url in pages(world, plan, completion):
        if method == "GET":
            assert client.get(url).status_code == 404, url


def test_anonymous_visitors_are_sent_to_log_in(client, world, plan):
    completion = logged(world, plan.due, world.member_a, 1)
    csrf = client.csrf_token("/login")
    for method, url in pages(world, plan, completion):
        response = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": csrf})
        assert response.status_code == 302 and "/login" in response.headers["Location"], (method, url)
    assert count() == 1


# --- whose work it is ----------------------------------------------------------------------------------------


def test_work_stays_with_the_association_that_logged_it_when_the_site_passes_to_another(client, world, plan):
    completion = logged(world, plan.due, world.member_a, 1)
    world.agreement_a.status = "ended"
    world.site_a.association_id = world.b.id  # the site is handed to Virestad after Hallaryd's agreement ended
    db.session.commit()
    assert db.session.get(Completion, completion.id).association_id == world.a.id
    login(client, "samordnare@b.example")
    assert client.get(f"/workspace/completions/{completion.id}/edit").status_code == 404
    assert client.post(f"/workspace/completions/{completion.id}/withdraw").status_code in (400, 404)
    assert db.session.get(Completion, completion.id) is not None
    client.submit("/logout", page="/profile")
    login(client, "samordnare@a.example")
    assert client.get(f"/workspace/completions/{completion.id}/edit").status_code == 200


def test_no_one_outside_the_association_can_be_named_as_having_done_the_work(client, world, plan):
    completion = logged(world, plan.due, world.member_a, 1)
    world.site_a.association_id = None  # the municipality takes the site back
    completion.association_id = None
    db.session.commit()
    login(client, "admin@home.example")
    url = f"/workspace/completions/{completion.id}/edit"
    assert 'name="performed_by_id"' not in client.get(url).get_data(as_text=True)
    response = client.submit(url, {"completed_on": "2026-06-09", "notes": "", "performed_by_id":
                                   str(world.admin.id + 1000)})
    assert db.session.get(Completion, completion.id).user_id == world.member_a.id


def test_an_excused_occurrence_cannot_be_logged(client, world, plan):
    plan.due.excused_reason = "Badplatsen stängd"
    db.session.commit()
    login(client, "medlem@a.example")
    url = f"/workspace/occurrences/{plan.due.id}/log"
    response = client.submit(url, {"completed_on": "2026-06-09", "notes": "Gjort ändå"}, page=url)
    assert "struket av kommunen" in text(response)
    assert count() == 0
