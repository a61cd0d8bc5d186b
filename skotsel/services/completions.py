"""Utföranden: work an association logs as done — for one occurrence, ad hoc on a site, or several occurrences in
one go — its correction and withdrawal, the association marking a deviation fixed, and what the association's
workspace shows (what to do, what to fix, what was logged lately).

Logging is idempotent. Every form carries a submission key made when the page was drawn; a double tap or a retry
on a bad connection finds the completion the first request made (by that key, or because the occurrence already
has one) instead of making a second. The database's unique constraints (one completion per occurrence, unique
submission keys) back this up when two requests race: the loser finds the winner's completion.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Callable, Sequence

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload

from skotsel.domain import deviations as flow
from skotsel.domain.errors import ValidationError
from skotsel.domain.schedule import Status
from skotsel.extensions import db
from skotsel.models import AgreedTask, Agreement, Completion, Deviation, Membership, Occurrence, Site, TaskType, User
from skotsel.services import audit, transaction
from skotsel.services.access import Forbidden, Principal, can_create, can_write, visible
from skotsel.services.catalogue import MAX_GRACE_DAYS
from skotsel.services.photos import Uploads, delete_photo_files, store_photo
from skotsel.services.schedule import OccurrenceState, states

MAX_NOTES = 2000
MAX_HOURS = Decimal("1000")
MAX_PEOPLE = 500
#: The days ahead "Mina uppgifter" shows as upcoming.
UPCOMING_DAYS = 14
#: A quota occurrence stays due until its season ends, so the workspace looks back a whole season for those.
QUOTA_LOOKBACK_DAYS = 366
#: How far back the several-at-once form offers occurrences that are still open (due, or missed and unlogged).
LOG_MANY_LOOKBACK_DAYS = 60
OPEN_DEVIATION_STATUSES = ("open", "reopened")
COMPLETION_FIELDS = ("occurrence_id", "site_id", "task_type_id", "completed_on", "user_id", "recorded_by_id",
                     "notes", "hours", "people")
DEVIATION_FIX_FIELDS = ("status", "fixed_note", "fixed_at", "fixed_by_id")
#: A form's submission key (secrets.token_urlsafe); short enough that "<key>-<occurrence id>" fits the column.
SUBMISSION_KEY = re.compile(r"[A-Za-z0-9_-]{16,43}")


@dataclass
class Logged:
    """What a log did: the completions it made, those it found instead (the same form sent again, or an occurrence
    that was already logged), and the photo warnings to show."""

    created: list[Completion] = field(default_factory=list)
    existing: list[Completion] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def completion(self) -> Completion:
        return (self.created or self.existing)[0]

    @property
    def is_repeat(self) -> bool:
        """Nothing new was made: the work had been logged already."""
        return not self.created


# --- checks shared by every way to log -----------------------------------------------------------------------


def clean_submission_key(text: str | None) -> str | None:
    """The form's key if it looks like one we made; anything else counts as no key."""
    text = (text or "").strip()
    return text if SUBMISSION_KEY.fullmatch(text) else None


def _require_logger(principal: Principal, *, municipality_id: int, association_id: int | None) -> None:
    """Only people in the association (and the municipality's admins) log work for it."""
    if association_id is None or not can_create(principal, Completion, municipality_id=municipality_id,
                                                association_id=association_id):
        raise Forbidden("Completion")


def _check_task(task: AgreedTask) -> None:
    if task.performed_by != "association":
        raise ValidationError("Det här skötselmomentet utförs av kommunen, inte av föreningen.",
                              "This task is carried out by the municipality, not by the association.")
    if task.agreement.status == "draft":
        raise ValidationError("Avtalet gäller inte ännu, så inget arbete kan rapporteras på det.",
                              "The agreement is not in force yet, so no work can be logged on it.")


def _check_not_excused(occurrence: Occurrence) -> None:
    if occurrence.excused_reason is not None:
        raise ValidationError("Tillfället är struket av kommunen och ska inte rapporteras. Rapportera arbetet som "
                              "arbete utanför schemat om det ändå gjordes.",
                              "The municipality excused this occurrence. Log the work as work outside the plan if it "
                              "was done anyway.")


def _check_date(completed_on: date | None, *, today: date, starts_on: date | None, ends_on: date | None = None,
                window_starts_on: date | None = None, field_name: str = "completed_on") -> date:
    if completed_on is None:
        raise ValidationError("Ange dagen då arbetet gjordes, t.ex. 2026-06-15.",
                              "Give the day the work was done, e.g. 2026-06-15.", field=field_name)
    if completed_on > today:
        raise ValidationError("Datumet kan inte vara i framtiden. Ange dagen då arbetet gjordes.",
                              "The date cannot be in the future. Give the day the work was done.", field=field_name)
    if starts_on is not None and completed_on < starts_on:
        raise ValidationError(f"Datumet ligger före avtalets start {starts_on.isoformat()}.",
                              f"The date is before the agreement starts on {starts_on.isoformat()}.",
                              field=field_name)
    if ends_on is not None and completed_on > ends_on:
        raise ValidationError(f"Datumet ligger efter avtalets slut {ends_on.isoformat()}.",
                              f"The date is after the agreement ended on {ends_on.isoformat()}.", field=field_name)
    if window_starts_on is not None and completed_on < window_starts_on:
        raise ValidationError(
            f"Arbete före {window_starts_on.isoformat()} räknas inte för det här tillfället. "
            f"Ange ett senare datum.",
            f"Work before {window_starts_on.isoformat()} does not count for this occurrence. Give a later date.",
            field=field_name)
    return completed_on


def _details(*, notes: str | None, hours: Decimal | int | float | str | None, people: int | None) -> dict:
    """Notes, hours and people as stored, or the reason they cannot be."""
    notes = (notes or "").strip()
    if len(notes) > MAX_NOTES:
        raise ValidationError(f"Skriv högst {MAX_NOTES} tecken.", f"Write at most {MAX_NOTES} characters.",
                              field="notes")
    if hours is not None and hours != "":
        try:
            hours = Decimal(str(hours).replace(",", "."))
        except InvalidOperation as error:
            raise ValidationError("Ange antal timmar som ett tal, t.ex. 1,5.",
                                  "Give the hours as a number, e.g. 1.5.", field="hours") from error
        if not hours.is_finite() or not 0 <= hours <= MAX_HOURS:
            raise ValidationError(f"Ange antal timmar mellan 0 och {MAX_HOURS}.",
                                  f"Give the hours between 0 and {MAX_HOURS}.", field="hours")
        hours = hours.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    else:
        hours = None
    if people is not None and not 1 <= people <= MAX_PEOPLE:
        raise ValidationError(f"Ange antal personer mellan 1 och {MAX_PEOPLE}.",
                              f"Give the number of people between 1 and {MAX_PEOPLE}.", field="people")
    return {"notes": notes, "hours": hours, "people": people}


def _performer(principal: Principal, *, municipality_id: int, association_id: int,
               performed_by_id: int | None) -> tuple[int | None, int | None]:
    """(user_id, recorded_by_id): who did the work, and who typed it in when that was someone else."""
    actor_id = principal.user_id
    if performed_by_id is None or performed_by_id == actor_id:
        return actor_id, None
    if association_id is None or (association_id not in principal.coordinator_of
                                  and municipality_id not in principal.admin_of):
        raise ValidationError("Bara föreningens samordnare kan rapportera åt en annan medlem.",
                              "Only the association's coordinator can log work on behalf of another member.",
                              field="performed_by_id")
    in_association = db.session.scalar(
        select(Membership.id).join(Membership.user)
        .where(Membership.user_id == performed_by_id, Membership.association_id == association_id,
               User.is_active.is_(True)).limit(1))
    if in_association is None:
        raise ValidationError("Välj en medlem i föreningen.", "Choose a member of the association.",
                              field="performed_by_id")
    return performed_by_id, actor_id


def members_of(association_id: int | None) -> list[User]:
    """The association's active people, by name: who a coordinator may log work for (none without one)."""
    if association_id is None:
        return []
    return list(db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.association_id == association_id, User.is_active.is_(True))
        .order_by(User.name, User.id)))


def _store_photos(uploads: Uploads | None, *, actor_id: int | None, site: Site, logged_on: date,
                  completion: Completion | None = None, deviation: Deviation | None = None) -> list:
    """Store each uploaded photo with the completion or deviation (in the caller's transaction: a refused photo
    rolls everything back)."""
    if uploads is None:
        return []
    photos = []
    for upload in uploads.files:
        try:
            photos.append(store_photo(
                file=upload, filename=getattr(upload, "filename", None), upload_folder=uploads.upload_folder,
                max_bytes=uploads.max_bytes, max_pixels=uploads.max_pixels, uploaded_by_id=actor_id,
                completion=completion, deviation=deviation, site=site, logged_on=logged_on))
        except ValidationError as error:
            raise ValidationError(error.message_sv, error.message_en, field="photos") from error
    return photos


def _warnings(photos: list) -> list[str]:
    """Each photo's warning (far from the site, days from the logged date), after the photo's name."""
    return [f"{photo.original_name}: {photo.warning}" for photo in photos if photo.warning]


def _photo_names(photos: list) -> str:
    return ", ".join(photo.original_name or str(photo.id) for photo in photos)


def _label(completion: Completion, task_type: TaskType | None, site: Site) -> str:
    what = task_type.name_sv if task_type is not None else "Arbete"
    return f"{what} på {site.name} {completion.completed_on.isoformat()}"


def _save(principal: Principal, completions: list[Completion], *, parent: Any, task_type: TaskType | None,
          site: Site, uploads: Uploads | None, find_again: Callable[[], list[Completion]],
          found: list[Completion] | None = None) -> Logged:
    """Insert the completions (the first gets the photos) and their audit entries in one transaction. When a
    concurrent request inserted the same first, answer with what it made."""
    try:
        with transaction():
            db.session.add_all(completions)
            db.session.flush()
            photos = _store_photos(uploads, actor_id=principal.user_id, site=site,
                                   logged_on=completions[0].completed_on, completion=completions[0])
            for index, completion in enumerate(completions):
                changes = {k: [None, v] for k, v in audit.snapshot(completion, COMPLETION_FIELDS).items()}
                if index == 0 and photos:
                    changes["photos"] = [None, _photo_names(photos)]
                audit.record(actor_id=principal.user_id, action="create", obj=completion,
                             label=_label(completion, task_type, site), changes=changes, parent=parent)
    except ValidationError as error:
        if isinstance(error.__cause__, IntegrityError):
            again = find_again()
            if again:
                return Logged(existing=again)
        raise
    return Logged(created=completions, existing=found or [],
                  warnings=_warnings(photos))


def _by_key_or_occurrence(key: str | None, occurrence_id: int | None) -> Completion | None:
    """The completion an earlier sending of the same form made, or the one the occurrence already has."""
    conditions = []
    if key is not None:
        conditions.append(Completion.submission_key == key)
    if occurrence_id is not None:
        conditions.append(Completion.occurrence_id == occurrence_id)
    if not conditions:
        return None
    found = db.session.scalars(select(Completion).where(or_(*conditions)).order_by(Completion.id)).all()
    if occurrence_id is not None and any(c.occurrence_id != occurrence_id for c in found):
        raise ValidationError(
            "Formuläret har redan använts för ett annat utförande. Ladda om sidan och försök igen.",
            "The form was already used for another completion. Reload the page and try again.")
    return found[0] if found else None


# --- logging -------------------------------------------------------------------------------------------------


def record_completion(*, principal: Principal, occurrence: Occurrence, today: date, completed_on: date | None,
                      notes: str | None = "", hours: Decimal | None = None, people: int | None = None,
                      performed_by_id: int | None = None, submission_key: str | None = None,
                      uploads: Uploads | None = None) -> Logged:
    """Log one occurrence as done ("Klart": today, by the actor; "Mer": with the details typed).

    Sending the same form again, or logging an occurrence that already has its completion, returns that completion
    and changes nothing.
    """
    task = occurrence.agreed_task
    agreement = task.agreement
    _require_logger(principal, municipality_id=occurrence.municipality_id, association_id=agreement.association_id)
    key = clean_submission_key(submission_key)
    earlier = _by_key_or_occurrence(key, occurrence.id)
    if earlier is not None:
        return Logged(existing=[earlier])
    _check_task(task)
    _check_not_excused(occurrence)
    completed_on = _check_date(completed_on, today=today,
                               starts_on=agreement.starts_on, ends_on=agreement.ends_on,
                               window_starts_on=occurrence.window_starts_on)
    values = _details(notes=notes, hours=hours, people=people)
    user_id, recorded_by_id = _performer(principal, municipality_id=occurrence.municipality_id,
                                         association_id=agreement.association_id, performed_by_id=performed_by_id)
    completion = Completion(municipality_id=occurrence.municipality_id, occurrence_id=occurrence.id,
                            association_id=agreement.association_id, site_id=task.site_id,
                            task_type_id=task.task_type_id, completed_on=completed_on,
                            user_id=user_id, recorded_by_id=recorded_by_id, submission_key=key, **values)

    def find_again() -> list[Completion]:
        again = db.session.scalar(select(Completion).where(or_(
            Completion.occurrence_id == occurrence.id,
            Completion.submission_key == key if key else false())).order_by(Completion.id).limit(1))
        return [again] if again is not None else []

    return _save(principal, [completion], parent=agreement, task_type=task.task_type, site=task.site,
                 uploads=uploads, find_again=find_again)


def _ad_hoc_starts_on(association_id: int) -> date | None:
    return db.session.scalar(select(func.min(Agreement.starts_on)).where(
        Agreement.association_id == association_id, Agreement.status != "draft"))


def record_ad_hoc(*, principal: Principal, site: Site, today: date, completed_on: date | None,
                  task_type_id: int | None = None, notes: str | None = "", hours: Decimal | None = None,
                  people: int | None = None, performed_by_id: int | None = None, submission_key: str | None = None,
                  uploads: Uploads | None = None) -> Logged:
    """Log work on a site that no occurrence asked for (after a storm, a clean-up day): a completion without one.

    Dated no later than today and no earlier than the association's first agreement started.
    """
    _require_logger(principal, municipality_id=site.municipality_id, association_id=site.association_id)
    key = clean_submission_key(submission_key)
    earlier = _by_key_or_occurrence(key, None)
    if earlier is not None:
        return Logged(existing=[earlier])
    starts_on = _ad_hoc_starts_on(site.association_id)
    if starts_on is None:
        raise ValidationError("Föreningen har inget avtal som arbetet kan rapporteras på.",
                              "The association has no agreement the work could be logged on.")
    completed_on = _check_date(completed_on, today=today, starts_on=starts_on)
    task_type = None
    if task_type_id is not None:
        task_type = db.session.get(TaskType, task_type_id)
        if task_type is None or task_type.municipality_id != site.municipality_id:
            raise ValidationError("Välj ett skötselmoment i listan.", "Choose a task type from the list.",
                                  field="task_type_id")
    values = _details(notes=notes, hours=hours, people=people)
    user_id, recorded_by_id = _performer(principal, municipality_id=site.municipality_id,
                                         association_id=site.association_id, performed_by_id=performed_by_id)
    completion = Completion(municipality_id=site.municipality_id, occurrence_id=None,
                            association_id=site.association_id, site_id=site.id, task_type_id=task_type.id if task_type else None, completed_on=completed_on,
                            user_id=user_id, recorded_by_id=recorded_by_id, submission_key=key, **values)

    def find_again() -> list[Completion]:
        again = db.session.scalar(select(Completion).where(Completion.submission_key == key)) if key else None
        return [again] if again is not None else []

    return _save(principal, [completion], parent=site, task_type=task_type, site=site, uploads=uploads,
                 find_again=find_again)


def record_many(*, principal: Principal, task: AgreedTask, occurrences: Sequence[Occurrence], today: date,
                completed_on: date | None = None, notes: str | None = "", hours: Decimal | None = None,
                people: int | None = None, performed_by_id: int | None = None,
                submission_key: str | None = None) -> Logged:
    """Log several occurrences of one agreed task at once (a week of daily beach checks): each on its own due date,
    or all on `completed_on`. All or nothing: one date that does not fit and none is saved.

    Occurrences that already have their completion are left as they are and returned as found.
    """
    if not occurrences:
        raise ValidationError("Välj minst ett tillfälle.", "Choose at least one occurrence.", field="occurrence_ids")
    if any(occurrence.agreed_task_id != task.id for occurrence in occurrences):
        raise ValidationError("Välj tillfällen av samma skötselmoment.", "Choose occurrences of the same task.",
                              field="occurrence_ids")
    agreement = task.agreement
    _require_logger(principal, municipality_id=task.municipality_id, association_id=agreement.association_id)
    _check_task(task)
    occurrences = sorted(occurrences, key=lambda o: (o.due_on, o.id))
    key = clean_submission_key(submission_key)
    keys = {occurrence.id: f"{key}-{occurrence.id}" if key else None for occurrence in occurrences}

    def already_logged() -> dict[int, Completion]:
        found = db.session.scalars(select(Completion).where(
            Completion.occurrence_id.in_([occurrence.id for occurrence in occurrences]))).all()
        return {completion.occurrence_id: completion for completion in found}

    done = already_logged()
    todo = [occurrence for occurrence in occurrences if occurrence.id not in done]
    if not todo:
        return Logged(existing=list(done.values()))
    values = _details(notes=notes, hours=hours, people=people)
    user_id, recorded_by_id = _performer(principal, municipality_id=task.municipality_id,
                                         association_id=agreement.association_id, performed_by_id=performed_by_id)
    for occurrence in todo:
        _check_not_excused(occurrence)
    completions = []
    for occurrence in todo:
        day = completed_on if completed_on is not None else occurrence.due_on
        try:
            _check_date(day, today=today, starts_on=agreement.starts_on, ends_on=agreement.ends_on,
                        window_starts_on=occurrence.window_starts_on)
        except ValidationError as error:
            due = occurrence.due_on.isoformat()
            if completed_on is None and day > today:
                raise ValidationError(
                    f"Tillfället med förfallodag {due} har inte kommit än. Ta bort bocken eller välj ett datum.",
                    f"The occurrence due {due} has not come yet. Untick it or choose a date.",
                    field="occurrence_ids") from error
            raise ValidationError(f"Tillfället med förfallodag {due}: {error.message_sv}",
                                  f"The occurrence due {due}: {error.message_en}",
                                  field="completed_on" if completed_on is not None else "occurrence_ids") from error
        completions.append(Completion(
            municipality_id=occurrence.municipality_id, occurrence_id=occurrence.id,
            association_id=task.agreement.association_id, site_id=task.site_id,
            task_type_id=task.task_type_id, completed_on=day, user_id=user_id, recorded_by_id=recorded_by_id,
            submission_key=keys[occurrence.id], **values))

    def find_again() -> list[Completion]:
        again = already_logged()
        return list(again.values()) if len(again) == len(occurrences) else []

    return _save(principal, completions, parent=agreement, task_type=task.task_type, site=task.site, uploads=None,
                 find_again=find_again, found=list(done.values()))


# --- editing and withdrawing ---------------------------------------------------------------------------------


def _association_of(completion: Completion) -> int | None:
    """The association a completion belongs to: the one that logged it (as the access rules say), even after the
    site has passed to another association."""
    return completion.association_id


def change_refusal(principal: Principal, completion: Completion, *, now: datetime,
                   edit_hours: int) -> ValidationError | None:
    """Why the principal may not edit or withdraw the completion (None: they may).

    Municipality admins and the association's coordinators always may; a member only their own, for
    `edit_hours` after they logged it. Anyone else (a reviewer) is Forbidden outright.
    """
    association_id = _association_of(completion)
    if can_write(principal, completion) or association_id in principal.coordinator_of:
        return None
    if association_id not in principal.associations:
        raise Forbidden(f"Completion {completion.id}")
    if principal.user_id not in (completion.user_id, completion.recorded_by_id):
        return ValidationError(
            "Du kan bara ändra eller ta tillbaka utföranden som du själv har rapporterat. "
            "Be föreningens samordnare om hjälp.",
            "You can only edit or withdraw completions you logged yourself. Ask the association's coordinator.")
    if now - completion.created_at > timedelta(hours=edit_hours):
        return ValidationError(
            f"Utförandet rapporterades för mer än {edit_hours} timmar sedan och kan inte längre ändras eller tas "
            f"tillbaka av dig. Be föreningens samordnare om hjälp.",
            f"The completion was logged more than {edit_hours} hours ago and you can no longer edit or withdraw it. "
            f"Ask the association's coordinator.")
    return None


def _require_changeable(principal: Principal, completion: Completion, *, now: datetime, edit_hours: int) -> None:
    refusal = change_refusal(principal, completion, now=now, edit_hours=edit_hours)
    if refusal is not None:
        raise refusal


def _parent(completion: Completion):
    return completion.occurrence.agreed_task.agreement if completion.occurrence_id is not None else completion.site


def update_completion(*, principal: Principal, completion: Completion, now: datetime, today: date, edit_hours: int,
                      completed_on: date | None, notes: str | None = "", hours: Decimal | None = None,
                      people: int | None = None, performed_by_id: int | None = None,
                      uploads: Uploads | None = None) -> list[str]:
    """Correct a completion (date, notes, hours, people; who did it, for a coordinator) and add photos to it.
    Returns the photo warnings."""
    _require_changeable(principal, completion, now=now, edit_hours=edit_hours)
    occurrence = completion.occurrence
    if occurrence is not None:
        agreement = occurrence.agreed_task.agreement
        completed_on = _check_date(completed_on, today=today, starts_on=agreement.starts_on,
                                   ends_on=agreement.ends_on, window_starts_on=occurrence.window_starts_on)
    else:
        completed_on = _check_date(completed_on, today=today,
                                   starts_on=_ad_hoc_starts_on(completion.site.association_id))
    values = {"completed_on": completed_on, **_details(notes=notes, hours=hours, people=people)}
    if performed_by_id is not None and performed_by_id != completion.user_id:
        values["user_id"], values["recorded_by_id"] = _performer(
            principal, municipality_id=completion.municipality_id, association_id=_association_of(completion),
            performed_by_id=performed_by_id)
    with transaction():
        changes = audit.apply_changes(completion, values)
        photos = _store_photos(uploads, actor_id=principal.user_id, site=completion.site,
                               logged_on=completion.completed_on, completion=completion)
        if photos:
            changes["photos"] = [None, _photo_names(photos)]
        if changes:
            audit.record(actor_id=principal.user_id, action="update", obj=completion,
                         label=_label(completion, completion.task_type, completion.site), changes=changes,
                         parent=_parent(completion))
    return _warnings(photos)


def withdraw_completion(*, principal: Principal, completion: Completion, now: datetime, edit_hours: int,
                        upload_folder: str | None = None) -> None:
    """Take a completion back (it was logged by mistake): the occurrence returns to the status its dates give it.
    Its photos go with it (their files too, once the database has let go of them)."""
    _require_changeable(principal, completion, now=now, edit_hours=edit_hours)
    photos = list(completion.photos)
    with transaction():
        changes = {k: [v, None] for k, v in audit.snapshot(completion, COMPLETION_FIELDS).items()}
        if photos:
            changes["photos"] = [_photo_names(photos), None]
        audit.record(actor_id=principal.user_id, action="delete", obj=completion,
                     label=_label(completion, completion.task_type, completion.site), changes=changes,
                     parent=_parent(completion))
        for photo in photos:
            db.session.delete(photo)
        db.session.delete(completion)
    if upload_folder is not None:
        for photo in photos:
            delete_photo_files(photo, upload_folder)


# --- deviations ----------------------------------------------------------------------------------------------


def fix_deviation(*, principal: Principal, deviation: Deviation, now: datetime, today: date, note: str | None,
                  uploads: Uploads | None = None) -> list[str]:
    """The association says a deviation is put right ("åtgärdad"), with what it did and optionally photos; the
    municipality then verifies or reopens it. Returns the photo warnings."""
    association_id = deviation.association_id
    if association_id is None or not can_create(principal, Completion, municipality_id=deviation.municipality_id,
                                                association_id=association_id):
        raise Forbidden(f"Deviation {deviation.id}")
    if deviation.status not in OPEN_DEVIATION_STATUSES:
        raise ValidationError("Avvikelsen är redan markerad som åtgärdad.",
                              "The deviation is already marked as fixed.")
    new_status = flow.transition(deviation.status, "fix", flow.ASSOCIATION)  # the one table of allowed moves
    note = (note or "").strip()
    if not note:
        raise ValidationError("Skriv vad som har gjorts.", "Say what was done.", field="note")
    if len(note) > MAX_NOTES:
        raise ValidationError(f"Skriv högst {MAX_NOTES} tecken.", f"Write at most {MAX_NOTES} characters.",
                              field="note")
    with transaction():
        changes = audit.apply_changes(deviation, {"status": new_status, "fixed_note": note, "fixed_at": now,
                                                  "fixed_by_id": principal.user_id})
        photos = _store_photos(uploads, actor_id=principal.user_id, site=deviation.site, logged_on=today,
                               deviation=deviation)
        if photos:
            changes["photos"] = [None, _photo_names(photos)]
        audit.record(actor_id=principal.user_id, action="update", obj=deviation,
                     label=f"Avvikelse på {deviation.site.name}", changes=changes,
                     parent=deviation.agreement or deviation.site)
    return _warnings(photos)


# --- what the workspace shows --------------------------------------------------------------------------------


@dataclass
class Workload:
    """"Mina uppgifter": deviations to fix, occurrences to do (overdue first), and those coming up."""

    deviations: list[Deviation]
    due: list[OccurrenceState]
    upcoming: list[OccurrenceState]


def open_deviations(principal: Principal, association_ids: Sequence[int]) -> list[Deviation]:
    """The associations' deviations still to fix, the most urgent first."""
    query = (
        visible(principal, Deviation).join(Deviation.agreement).join(Deviation.site)
        .where(Agreement.association_id.in_(sorted(association_ids)),
               Deviation.status.in_(OPEN_DEVIATION_STATUSES))
        .options(contains_eager(Deviation.agreement), contains_eager(Deviation.site))
        .order_by(Deviation.fix_by_on.is_(None), Deviation.fix_by_on, Deviation.id)
    )
    return list(db.session.scalars(query))


def _association_occurrences(principal: Principal, association_ids: Sequence[int]):
    """The visible occurrences of the associations' own tasks in active agreements, with task, agreement and site
    loaded in the same query."""
    return (
        visible(principal, Occurrence).join(Occurrence.agreed_task).join(AgreedTask.agreement)
        .join(AgreedTask.site)
        .where(Agreement.association_id.in_(sorted(association_ids)), Agreement.status == "active",
               AgreedTask.performed_by == "association")
        .options(contains_eager(Occurrence.agreed_task).contains_eager(AgreedTask.agreement),
                 contains_eager(Occurrence.agreed_task).contains_eager(AgreedTask.site))
    )


def workload(principal: Principal, association_ids: Sequence[int], *, today: date,
             upcoming_days: int = UPCOMING_DAYS) -> Workload:
    """What the associations have to do, in a fixed number of queries however many occurrences there are."""
    ahead = today + timedelta(days=upcoming_days)
    query = _association_occurrences(principal, association_ids).where(
        Occurrence.excused_reason.is_(None),
        or_(Occurrence.due_on <= ahead, Occurrence.window_starts_on <= today),
        # Still due: within the longest grace period, or (a quota occurrence) until its season ends.
        or_(Occurrence.due_on >= today - timedelta(days=MAX_GRACE_DAYS),
            and_(AgreedTask.quota_count.is_not(None),
                 Occurrence.due_on >= today - timedelta(days=QUOTA_LOOKBACK_DAYS))),
    ).order_by(Site.name, Site.id, Occurrence.due_on, Occurrence.id)
    due, upcoming = [], []
    for state in states(db.session.scalars(query).all(), today=today):
        if state.status is Status.DUE:
            due.append(state)
        elif state.status is Status.UPCOMING and state.occurrence.due_on <= ahead:
            upcoming.append(state)
    due.sort(key=lambda state: (not state.overdue, state.occurrence.due_on))
    return Workload(open_deviations(principal, association_ids), due, upcoming)


def open_occurrences(principal: Principal, task: AgreedTask, *, today: date,
                     lookback_days: int = LOG_MANY_LOOKBACK_DAYS) -> list[OccurrenceState]:
    """The occurrences of one agreed task that can be logged now: their window has opened and nothing is logged
    for them (due, or missed in the last `lookback_days`)."""
    query = (
        visible(principal, Occurrence).where(
            Occurrence.agreed_task_id == task.id, Occurrence.window_starts_on <= today,
            Occurrence.due_on >= today - timedelta(days=lookback_days), Occurrence.excused_reason.is_(None),
            ~select(Completion.id).where(Completion.occurrence_id == Occurrence.id).exists())
        .order_by(Occurrence.due_on, Occurrence.id)
    )
    return [state for state in states(db.session.scalars(query).all(), today=today)
            if state.status in (Status.DUE, Status.MISSED)]


def loggable_tasks(principal: Principal, association_ids: Sequence[int]) -> list[AgreedTask]:
    """The agreed tasks the associations carry out in active agreements, by site: the choice for logging several."""
    return list(db.session.scalars(
        visible(principal, AgreedTask).join(AgreedTask.agreement).join(AgreedTask.site)
        .where(Agreement.association_id.in_(sorted(association_ids)), Agreement.status == "active",
               AgreedTask.performed_by == "association")
        .options(contains_eager(AgreedTask.agreement), contains_eager(AgreedTask.site),
                 joinedload(AgreedTask.task_type))
        .order_by(Site.name, Site.id, AgreedTask.id)))


def recent_completions(principal: Principal, association_ids: Sequence[int], *, limit: int = 10) -> list[Completion]:
    """The associations' latest logs, newest first, for checking and correcting them."""
    return list(db.session.scalars(
        visible(principal, Completion).join(Completion.site)
        .where(Site.association_id.in_(sorted(association_ids)))
        .options(contains_eager(Completion.site), joinedload(Completion.task_type), joinedload(Completion.user))
        .order_by(Completion.created_at.desc(), Completion.id.desc()).limit(limit)))
