"""The association workspace, made for a phone at the site: "Mina uppgifter" (deviations to fix, what is overdue,
due and coming up), logging work with one tap or with details and photos, ad hoc work, several occurrences at once,
correcting or withdrawing a log, and marking a deviation fixed.

The pages are for people in an association; to anyone else they do not exist (404). The exceptions are editing and
withdrawing a completion, which municipality admins may do too (a reviewer gets a 403). Every object is loaded
through the access helper and must belong to one of the user's own associations.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import HiddenField, IntegerField, RadioField, SelectField, TextAreaField
from wtforms.validators import Optional

from skotsel.domain.errors import ValidationError
from skotsel.extensions import db, login_manager
from skotsel.models import AgreedTask, Completion, Deviation, Occurrence, Site, TaskType
from skotsel.services import clock
from skotsel.services.access import NotFound, load, visible
from skotsel.services.agreements import describe_agreed_task
from skotsel.services.completions import (
    Logged,
    change_refusal,
    fix_deviation as mark_fixed,
    loggable_tasks,
    members_of,
    open_occurrences,
    record_ad_hoc,
    record_completion,
    record_many,
    recent_completions,
    update_completion,
    withdraw_completion as take_back,
    workload,
)
from skotsel.services.documents import size_text
from skotsel.services.schedule import OccurrenceState, state_of
from skotsel.models.versions import versions
from skotsel.web import current_principal
from skotsel.web.caching import MemoryCache, kept_page, submission_key
from skotsel.web.forms import (
    PHOTO_TYPES, DeleteForm, MultiCheckboxField, SwedishDecimalField, choices, error_message, optional_int,
    show_error, uploads_of,
)
from skotsel.web.schedule import DayField, day_label, status_class, status_word

bp = Blueprint("workspace", __name__, url_prefix="/workspace")

#: Pages municipality staff reach too: an admin may correct or withdraw any completion; a reviewer gets a 403.
STAFF_ENDPOINTS = frozenset({"workspace.edit_completion", "workspace.withdraw_completion"})


def HoursField(label) -> SwedishDecimalField:  # noqa: N802 - reads like the field class it makes
    return SwedishDecimalField(label, validators=[Optional()],
                               invalid_message=_l("Ange antal timmar som ett tal, t.ex. 1,5."))


class PeopleField(IntegerField):
    """A whole number of people, with the reason in Swedish when it is not one."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = int(valuelist[0].strip())
        except ValueError as error:
            self.data = None
            raise ValueError(_("Ange antal personer som ett heltal, t.ex. 3.")) from error


class DoneForm(FlaskForm):
    """"Klart": only the CSRF token and the submission key."""

    token = HiddenField()


class LogForm(FlaskForm):
    token = HiddenField()
    completed_on = DayField(_l("Datum"), validators=[Optional()])
    performed_by_id = SelectField(_l("Utfört av"), coerce=optional_int, validate_choice=False)
    notes = TextAreaField(_l("Anteckningar"))
    hours = HoursField(_l("Timmar"))
    people = PeopleField(_l("Antal personer"), validators=[Optional()])
    photos = MultipleFileField(_l("Bilder"), render_kw={"accept": PHOTO_TYPES})


class AdHocForm(LogForm):
    task_type_id = SelectField(_l("Skötselmoment"), coerce=optional_int, validate_choice=False)


class ManyForm(FlaskForm):
    token = HiddenField()
    occurrence_ids = MultiCheckboxField(_l("Tillfällen"), coerce=optional_int, validate_choice=False)
    dates = RadioField(_l("Datum"), default="due", validate_choice=False,
                       choices=choices([("due", _l("Varje tillfälle på sin förfallodag")),
                                        ("chosen", _l("Alla samma dag (ange datumet nedan)"))]))
    completed_on = DayField(_l("Datum för alla"), validators=[Optional()])
    performed_by_id = SelectField(_l("Utfört av"), coerce=optional_int, validate_choice=False)
    notes = TextAreaField(_l("Anteckningar"))
    hours = HoursField(_l("Timmar per tillfälle"))
    people = PeopleField(_l("Antal personer"), validators=[Optional()])


class EditForm(FlaskForm):
    completed_on = DayField(_l("Datum"), validators=[Optional()])
    performed_by_id = SelectField(_l("Utfört av"), coerce=optional_int, validate_choice=False)
    notes = TextAreaField(_l("Anteckningar"))
    hours = HoursField(_l("Timmar"))
    people = PeopleField(_l("Antal personer"), validators=[Optional()])
    photos = MultipleFileField(_l("Lägg till bilder"), render_kw={"accept": PHOTO_TYPES})


class FixForm(FlaskForm):
    note = TextAreaField(_l("Vad har gjorts?"))
    photos = MultipleFileField(_l("Bilder"), render_kw={"accept": PHOTO_TYPES})


@bp.before_request
def association_people_only():
    """Sign in first; then the workspace exists only for people in an association (and, for correcting a
    completion, for municipality staff)."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    principal = current_principal()
    if principal.associations or (request.endpoint in STAFF_ENDPOINTS and principal.is_staff):
        return None
    abort(404)


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(error: RequestEntityTooLarge):
    """Photos larger together than a request may be: say so on the form instead of an error page."""
    if request.endpoint not in ("workspace.log", "workspace.log_ad_hoc", "workspace.edit_completion",
                                "workspace.fix_deviation"):
        return error
    flash(_("Bilderna var för stora tillsammans (högst %(size)s per gång). Skicka färre bilder åt gången.",
            size=size_text(current_app.config["MAX_CONTENT_LENGTH"])), "error")
    return redirect(request.path)


@bp.context_processor
def words() -> dict:
    return {"status_word": status_word, "status_class": status_class, "day_label": day_label,
            "max_photo_size": size_text(current_app.config["MAX_PHOTO_BYTES"])}


# --- helpers -------------------------------------------------------------------------------------------------


def _locale() -> str:
    return str(get_locale())


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _own(association_id: int | None) -> None:
    """The object must belong to one of the user's own associations; anything else is not found."""
    if association_id is None or association_id not in current_principal().associations:
        raise NotFound(f"Association {association_id}")


def _performer_field(form, *, association_id: int | None, municipality_id: int, current: int | None) -> None:
    """Coordinators (and municipality admins) choose who did the work among the association's people; for everyone
    else, and for work no association did, the field is not there."""
    principal = current_principal()
    if association_id is None or (association_id not in principal.coordinator_of
                                  and municipality_id not in principal.admin_of):
        del form.performed_by_id
        return
    pairs = [(person.id, person.name) for person in members_of(association_id)]
    if principal.user_id not in {person_id for person_id, _name in pairs}:
        pairs.insert(0, (principal.user_id, current_user.name))
    form.performed_by_id.choices = choices(pairs)
    if form.performed_by_id.data is None:
        form.performed_by_id.data = current


def _performed_by(form) -> int | None:
    field = getattr(form, "performed_by_id", None)
    return field.data if field is not None else None


def _flash_logged(logged: Logged, success: str) -> None:
    for photo_warning in logged.warnings:
        flash(photo_warning, "warning")
    if logged.is_repeat:
        flash(_("Redan rapporterat: arbetet var redan sparat, inget har lagts till."), "info")
    else:
        flash(success, "success")


def _task_name(task: AgreedTask) -> str:
    return task.task_type.name(_locale())


def _by_site(rows: list[OccurrenceState], sentences: dict[int, str]) -> list[tuple[Site, list]]:
    """The rows to do grouped by site (sites with something overdue first), in the order given, each with its
    agreed level in words and a fresh submission key for its "Klart" form."""
    groups: dict[int, tuple[Site, list]] = {}
    for state in rows:
        task = state.occurrence.agreed_task
        groups.setdefault(task.site_id, (task.site, []))[1].append((state, _sentence(task, sentences), submission_key()))
    return sorted(groups.values(), key=lambda group: (not any(row[0].overdue for row in group[1]), group[0].name,
                                                      group[0].id))


def _upcoming_by_site(rows: list[OccurrenceState], sentences: dict[int, str]) -> list[tuple[Site, list]]:
    """The upcoming rows grouped by site and then by agreed task: a daily check is one card with its next date and
    the later ones listed, not fourteen cards."""
    groups: dict[int, tuple[Site, dict[int, list[OccurrenceState]]]] = {}
    for state in sorted(rows, key=lambda state: (state.occurrence.due_on, state.occurrence.id)):
        task = state.occurrence.agreed_task
        groups.setdefault(task.site_id, (task.site, {}))[1].setdefault(task.id, []).append(state)
    return [
        (site, [(states[0], _sentence(states[0].occurrence.agreed_task, sentences), states[1:])
                for states in by_task.values()])
        for site, by_task in sorted(groups.values(), key=lambda group: (group[0].name, group[0].id))
    ]


def _sentence(task: AgreedTask, sentences: dict[int, str]) -> str:
    if task.id not in sentences:
        sentences[task.id] = describe_agreed_task(task, _locale())
    return sentences[task.id]


def _home_after(completion_site: Site, occurrence_id: int | None) -> str:
    """Where to go after correcting a completion: the workspace for the association's people, else the schedule."""
    if completion_site.association_id in current_principal().associations:
        return url_for("workspace.tasks")
    if occurrence_id is not None:
        return url_for("schedule.occurrence", occurrence_id=occurrence_id)
    return url_for("schedule.site", site_id=completion_site.id)


def _refused(error: ValidationError, back_url: str):
    return render_template("workspace/refused.html", reason=error_message(error), back_url=back_url), 403


# --- Mina uppgifter ------------------------------------------------------------------------------------------


#: Rendered task lists kept per process, by person and everything their page is built from.
PAGE_CACHE_BYTES = 32 * 1024 * 1024
pages = MemoryCache(PAGE_CACHE_BYTES)


@bp.route("/")
def tasks():
    principal = current_principal()
    today = clock.today()
    # Everything the page is built from: whose it is, their rights, their municipalities' data versions (raised by
    # any change there, the person's own name and language included), the day, the language and the address.
    key = repr((current_user.id, principal, sorted(versions(principal.municipalities).items()), today.isoformat(),
                _locale(), request.full_path, current_app.config["COMPLETION_EDIT_HOURS"]))
    return kept_page(pages, key, lambda: _render_tasks(principal, today), now=_now())


def _render_tasks(principal, today: date) -> tuple[str, datetime | None]:
    """The page, and when it goes stale by itself: when the first of the member's "Ändra" links runs out."""
    association_ids = sorted(principal.associations)
    work = workload(principal, association_ids, today=today)
    sentences: dict[int, str] = {}
    recent = recent_completions(principal, association_ids)
    now, hours = _now(), current_app.config["COMPLETION_EDIT_HOURS"]
    changeable = {completion.id for completion in recent
                  if change_refusal(principal, completion, now=now, edit_hours=hours) is None}
    # A member's own completion can be changed for `hours` after it was logged; later its link must go.
    runs_out = [completion.created_at + timedelta(hours=hours) for completion in recent
                if completion.id in changeable and completion.created_at + timedelta(hours=hours) > now]
    sites = db.session.scalars(
        visible(principal, Site).where(Site.association_id.in_(association_ids)).order_by(Site.name, Site.id)
    ).all()
    html = render_template(
        "workspace/tasks.html", today=today, deviations=work.deviations,
        due=_by_site(work.due, sentences), upcoming=_upcoming_by_site(work.upcoming, sentences),
        recent=recent, changeable=changeable, sites=sites, locale=_locale(),
    )
    return html, min(runs_out) if runs_out else None


@bp.route("/occurrences/<int:occurrence_id>/done", methods=["POST"])
def done(occurrence_id: int):
    principal = current_principal()
    occurrence = load(principal, Occurrence, occurrence_id)
    task = occurrence.agreed_task
    _own(task.agreement.association_id)
    form = DoneForm()
    anchor = f"site-{task.site_id}"
    if form.validate_on_submit():
        try:
            today = clock.today()
            logged = record_completion(principal=principal, occurrence=occurrence, today=today, completed_on=today,
                                       submission_key=form.token.data)
        except ValidationError as error:
            flash(error_message(error), "error")
        else:
            _flash_logged(logged, _("Klart: %(task)s på %(site)s är rapporterat för %(day)s.", task=_task_name(task),
                                    site=task.site.name, day=day_label(logged.completion.completed_on)))
    return redirect(url_for("workspace.tasks", _anchor=anchor))


# --- logging with details ------------------------------------------------------------------------------------


def _existing_completion(occurrence: Occurrence) -> Completion | None:
    return db.session.scalar(visible(current_principal(), Completion).where(Completion.occurrence_id == occurrence.id))


@bp.route("/occurrences/<int:occurrence_id>/log", methods=["GET", "POST"])
def log(occurrence_id: int):
    principal = current_principal()
    occurrence = load(principal, Occurrence, occurrence_id)
    task = occurrence.agreed_task
    association_id = task.agreement.association_id
    _own(association_id)
    today = clock.today()
    form = LogForm()
    _performer_field(form, association_id=association_id, municipality_id=occurrence.municipality_id,
                     current=principal.user_id)
    message = None
    if request.method == "GET":
        form.token.data = submission_key()
        form.completed_on.data = today
    elif form.validate_on_submit():
        try:
            logged = record_completion(
                principal=principal, occurrence=occurrence, today=today, completed_on=form.completed_on.data,
                notes=form.notes.data, hours=form.hours.data, people=form.people.data,
                performed_by_id=_performed_by(form), submission_key=form.token.data, uploads=uploads_of(form.photos))
        except ValidationError as error:
            message = show_error(form, error)
        else:
            _flash_logged(logged, _("%(task)s på %(site)s är rapporterat för %(day)s.", task=_task_name(task),
                                    site=task.site.name, day=day_label(logged.completion.completed_on)))
            return redirect(url_for("workspace.tasks", _anchor=f"site-{task.site_id}"))
    existing = _existing_completion(occurrence) if request.method == "GET" else None
    return render_template(
        "workspace/log.html", form=form, message=message, occurrence=occurrence, task=task,
        state=state_of(occurrence, today=today), sentence=describe_agreed_task(task, _locale()), existing=existing,
        locale=_locale(),
    )


def _task_type_choices(site: Site) -> list:
    types = db.session.scalars(
        visible(current_principal(), TaskType).where(TaskType.municipality_id == site.municipality_id)
    ).all()
    locale = _locale()
    fitting = sorted((t for t in types if not t.site_kinds or site.kind in t.site_kinds), key=lambda t: t.name(locale))
    return choices([("", _("Inget särskilt skötselmoment"))] + [(t.id, t.name(locale)) for t in fitting])


@bp.route("/sites/<int:site_id>/log", methods=["GET", "POST"])
def log_ad_hoc(site_id: int):
    principal = current_principal()
    site = load(principal, Site, site_id)
    _own(site.association_id)
    today = clock.today()
    form = AdHocForm()
    form.task_type_id.choices = _task_type_choices(site)
    _performer_field(form, association_id=site.association_id, municipality_id=site.municipality_id,
                     current=principal.user_id)
    message = None
    if request.method == "GET":
        form.token.data = submission_key()
        form.completed_on.data = today
    elif form.validate_on_submit():
        try:
            logged = record_ad_hoc(
                principal=principal, site=site, today=today, completed_on=form.completed_on.data,
                task_type_id=form.task_type_id.data, notes=form.notes.data, hours=form.hours.data,
                people=form.people.data, performed_by_id=_performed_by(form), submission_key=form.token.data,
                uploads=uploads_of(form.photos))
        except ValidationError as error:
            message = show_error(form, error)
        else:
            _flash_logged(logged, _("Arbetet på %(site)s är rapporterat för %(day)s.", site=site.name,
                                    day=day_label(logged.completion.completed_on)))
            return redirect(url_for("workspace.tasks"))
    return render_template("workspace/log_ad_hoc.html", form=form, message=message, site=site, locale=_locale())


@bp.route("/log-many", methods=["GET", "POST"])
def log_many():
    principal = current_principal()
    task_id = optional_int(request.args.get("task_id"))
    if task_id is None:
        tasks_by_site: dict[int, tuple[Site, list]] = {}
        for task in loggable_tasks(principal, sorted(principal.associations)):
            tasks_by_site.setdefault(task.site_id, (task.site, []))[1].append(task)
        return render_template("workspace/log_many_choose.html", groups=list(tasks_by_site.values()),
                               locale=_locale())
    task = load(principal, AgreedTask, task_id)
    _own(task.agreement.association_id)
    today = clock.today()
    rows = open_occurrences(principal, task, today=today)
    form = ManyForm()
    form.occurrence_ids.choices = choices([
        (state.occurrence.id, f"{day_label(state.occurrence.due_on)} · {status_word(state)}") for state in rows])
    _performer_field(form, association_id=task.agreement.association_id, municipality_id=task.municipality_id,
                     current=principal.user_id)
    message = None
    if request.method == "GET":
        form.token.data = submission_key()
    elif form.validate_on_submit():
        chosen = [value for value in (form.occurrence_ids.data or []) if value is not None]
        occurrences = db.session.scalars(
            visible(principal, Occurrence).where(Occurrence.id.in_(chosen), Occurrence.agreed_task_id == task.id)
            .order_by(Occurrence.due_on)
        ).all() if chosen else []
        try:
            if len(occurrences) != len(set(chosen)):
                raise NotFound("Occurrence")
            if form.dates.data == "chosen" and form.completed_on.data is None:
                raise ValidationError("Ange datumet för alla, t.ex. 2026-06-15.", "Give the date for all, e.g. "
                                      "2026-06-15.", field="completed_on")
            logged = record_many(
                principal=principal, task=task, occurrences=occurrences, today=today,
                completed_on=form.completed_on.data if form.dates.data == "chosen" else None,
                notes=form.notes.data, hours=form.hours.data, people=form.people.data,
                performed_by_id=_performed_by(form), submission_key=form.token.data)
        except ValidationError as error:
            message = show_error(form, error)
        else:
            if logged.is_repeat:
                flash(_("Redan rapporterat: arbetet var redan sparat, inget har lagts till."), "info")
            elif logged.existing:
                flash(_("%(count)s tillfällen är rapporterade; %(already)s var redan rapporterade.",
                        count=len(logged.created), already=len(logged.existing)), "success")
            else:
                flash(_("%(count)s tillfällen är rapporterade.", count=len(logged.created)), "success")
            return redirect(url_for("workspace.tasks", _anchor=f"site-{task.site_id}"))
    return render_template("workspace/log_many.html", form=form, message=message, task=task, rows=rows,
                           sentence=describe_agreed_task(task, _locale()), locale=_locale())


# --- correcting and withdrawing ------------------------------------------------------------------------------


@bp.route("/completions/<int:completion_id>/edit", methods=["GET", "POST"])
def edit_completion(completion_id: int):
    principal = current_principal()
    completion = load(principal, Completion, completion_id)
    back_url = _home_after(completion.site, completion.occurrence_id)
    hours = current_app.config["COMPLETION_EDIT_HOURS"]
    refusal = change_refusal(principal, completion, now=_now(), edit_hours=hours)
    if refusal is not None:
        return _refused(refusal, back_url)
    form = EditForm(obj=completion)
    _performer_field(form, association_id=completion.association_id,
                     municipality_id=completion.municipality_id, current=completion.user_id)
    message = None
    if form.validate_on_submit():
        try:
            warnings = update_completion(
                principal=principal, completion=completion, now=_now(), today=clock.today(), edit_hours=hours,
                completed_on=form.completed_on.data, notes=form.notes.data, hours=form.hours.data,
                people=form.people.data, performed_by_id=_performed_by(form), uploads=uploads_of(form.photos))
        except ValidationError as error:
            message = show_error(form, error)
        else:
            for photo_warning in warnings:
                flash(photo_warning, "warning")
            flash(_("Utförandet är ändrat."), "success")
            return redirect(back_url)
    return render_template("workspace/edit_completion.html", form=form, message=message, completion=completion,
                           withdraw_form=DeleteForm(formdata=None), back_url=back_url, locale=_locale())


@bp.route("/completions/<int:completion_id>/withdraw", methods=["POST"])
def withdraw_completion(completion_id: int):
    principal = current_principal()
    completion = load(principal, Completion, completion_id)
    back_url = _home_after(completion.site, completion.occurrence_id)
    hours = current_app.config["COMPLETION_EDIT_HOURS"]
    refusal = change_refusal(principal, completion, now=_now(), edit_hours=hours)
    if refusal is not None:
        return _refused(refusal, back_url)
    if DeleteForm().validate_on_submit():
        try:
            take_back(principal=principal, completion=completion, now=_now(), edit_hours=hours,
                      upload_folder=current_app.config["UPLOAD_FOLDER"])
        except ValidationError as error:
            flash(error_message(error), "error")
        else:
            flash(_("Utförandet är borttaget. Tillfället räknas som inte utfört igen."), "success")
    return redirect(back_url)


# --- deviations ----------------------------------------------------------------------------------------------


@bp.route("/deviations/<int:deviation_id>/fix", methods=["GET", "POST"])
def fix_deviation(deviation_id: int):
    principal = current_principal()
    deviation = load(principal, Deviation, deviation_id)
    _own(deviation.association_id)
    form = FixForm()
    message = None
    if form.validate_on_submit():
        try:
            warnings = mark_fixed(principal=principal, deviation=deviation, now=_now(), today=clock.today(),
                                  note=form.note.data, uploads=uploads_of(form.photos))
        except ValidationError as error:
            message = show_error(form, error)
        else:
            for photo_warning in warnings:
                flash(photo_warning, "warning")
            flash(_("Avvikelsen är markerad som åtgärdad. Kommunen kontrollerar den."), "success")
            return redirect(url_for("workspace.tasks"))
    return render_template("workspace/fix_deviation.html", form=form, message=message, deviation=deviation,
                           today=clock.today(), locale=_locale())
