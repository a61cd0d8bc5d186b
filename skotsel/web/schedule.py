"""Schedule pages: an agreement's or a site's occurrences as a list and as a month calendar, one occurrence with its
completions, and the municipality admin's changes to it (stryk, ångra strykning, flytta, generera schemat).

Staff of the municipality and people in the agreement's association read these pages; only municipality admins
write. Every object is loaded through the access helper, so anything else is a 404 (or a 403 for a reviewer's POST).
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload
from wtforms import DateField, TextAreaField
from wtforms.validators import Optional

from skotsel.domain.errors import ValidationError
from skotsel.domain.schedule import Status
from skotsel.extensions import db, login_manager
from skotsel.models import AgreedTask, Agreement, Completion, Occurrence, Site
from skotsel.services import audit, clock
from skotsel.services.access import can_write, load, read_scope, visible
from skotsel.services.agreements import describe_agreed_task
from skotsel.services.schedule import (
    OccurrenceState,
    excuse_occurrence,
    generate_for_agreement,
    move_occurrence,
    restore_occurrence,
    state_of,
    states,
)
from skotsel.web import current_principal
from skotsel.web.forms import error_message, show_error

bp = Blueprint("schedule", __name__, url_prefix="/schedule")

#: The glossary's words for each status; "försenad" is a due occurrence whose due date has passed.
STATUS_LABELS = {
    Status.UPCOMING: _l("Kommande"),
    Status.DUE: _l("Att göra"),
    Status.DONE: _l("Utförd"),
    Status.DONE_LATE: _l("Utförd sent"),
    Status.MISSED: _l("Missad"),
    Status.EXCUSED: _l("Struken"),
}
OVERDUE = "overdue"
OVERDUE_LABEL = _l("Försenad")
#: The values `?status=` accepts, in the order the filter shows them.
STATUS_FILTERS = ("upcoming", "due", OVERDUE, "done", "done_late", "missed", "excused")
#: Years a `?year=` or `?month=` may name; anything else is a typing mistake, not a schedule.
YEARS = range(1900, 3000)


class BadParameter(Exception):
    """A query parameter the page cannot use; shown as a 400 page with the reason in words."""

    def __init__(self, reason: str, back_url: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.back_url = back_url


class DayField(DateField):
    """A date typed as 2026-06-15; anything else gets the reason in Swedish, and an empty field is None."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        if not valuelist[0].strip():
            self.data = None
            return
        try:
            super().process_formdata([valuelist[0].strip()])
        except ValueError as error:
            raise ValueError(_("Ange ett datum, t.ex. 2026-06-15.")) from error


class ExcuseForm(FlaskForm):
    reason = TextAreaField(_l("Varför stryks tillfället?"))


class MoveForm(FlaskForm):
    due_on = DayField(_l("Ny förfallodag"), validators=[Optional()])
    reason = TextAreaField(_l("Varför flyttas tillfället?"))


class ActionForm(FlaskForm):
    """Only the CSRF token: for buttons that need nothing typed."""


@bp.before_request
def signed_in_only():
    """The schedule is for people who sign in; everyone else is sent to the login page first."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.errorhandler(BadParameter)
def bad_parameter(error: BadParameter):
    return render_template("schedule/bad_request.html", reason=error.reason, back_url=error.back_url), 400


@bp.context_processor
def status_words() -> dict:
    return {"status_word": status_word, "status_class": status_class, "day_label": day_label}


def status_word(state: OccurrenceState) -> str:
    return str(OVERDUE_LABEL if state.overdue else STATUS_LABELS[state.status])


def status_class(state: OccurrenceState) -> str:
    return f"status-{OVERDUE if state.overdue else state.status.value}"


def day_label(day: date) -> str:
    """"ons 2026-06-10": the weekday in the reader's language before the ISO date the other pages use."""
    return f"{format_date(day, 'EEE')} {day.isoformat()}"


def _locale() -> str:
    return str(get_locale())


# --- reading occurrences -------------------------------------------------------------------------------------


def _occurrences(owner_filter, starts_on: date, ends_on: date) -> list[Occurrence]:
    """The visible occurrences due in [starts_on, ends_on] of one agreement or site, with everything a row shows
    loaded in the same query."""
    query = (
        visible(current_principal(), Occurrence).join(Occurrence.agreed_task)
        .where(owner_filter, Occurrence.due_on >= starts_on, Occurrence.due_on <= ends_on)
        .options(contains_eager(Occurrence.agreed_task).options(
            joinedload(AgreedTask.task_type), joinedload(AgreedTask.site), joinedload(AgreedTask.agreement)))
        .order_by(Occurrence.due_on, Occurrence.id)
    )
    return list(db.session.scalars(query))


def _neighbour_years(owner_filter, year: int) -> tuple[int | None, int | None]:
    """The nearest earlier and later years that have occurrences, in one round trip."""
    def bound(aggregate, condition):
        return (select(aggregate(Occurrence.due_on)).select_from(Occurrence)
                .join(AgreedTask, Occurrence.agreed_task_id == AgreedTask.id)
                .where(read_scope(current_principal(), Occurrence), owner_filter, condition).scalar_subquery())

    earlier, later = db.session.execute(select(
        bound(func.max, Occurrence.due_on < date(year, 1, 1)),
        bound(func.min, Occurrence.due_on > date(year, 12, 31)),
    )).one()
    return (_as_date(earlier).year if earlier else None, _as_date(later).year if later else None)


def _as_date(value) -> date:
    """MAX()/MIN() of a date column comes back as text from SQLite."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class Owner:
    """What a schedule page is of: an agreement (rows name their site) or a site (rows name their agreement)."""

    kind: str
    obj: Agreement | Site
    owner_filter: object

    @property
    def endpoint(self) -> str:
        return f"schedule.{self.kind}"

    @property
    def args(self) -> dict:
        return {f"{self.kind}_id": self.obj.id}

    @property
    def title(self) -> str:
        return self.obj.title if self.kind == "agreement" else self.obj.name


def _agreement_owner(agreement_id: int) -> Owner:
    agreement = load(current_principal(), Agreement, agreement_id)
    return Owner("agreement", agreement, AgreedTask.agreement_id == agreement.id)


def _site_owner(site_id: int) -> Owner:
    site = load(current_principal(), Site, site_id)
    return Owner("site", site, AgreedTask.site_id == site.id)


def _home_link(owner: Owner) -> str | None:
    """The owner's own page: the admin page for staff, the association page for its people."""
    principal = current_principal()
    obj = owner.obj
    if obj.municipality_id in principal.staff_of:
        if owner.kind == "agreement":
            return url_for("admin.agreement_detail", agreement_id=obj.id)
        return url_for("admin.site_detail", site_id=obj.id)
    if obj.association_id in principal.associations:
        if owner.kind == "agreement":
            return url_for("association.agreement", association_id=obj.association_id, agreement_id=obj.id)
        return url_for("association.site", association_id=obj.association_id, site_id=obj.id)
    return None


def _year(today: date, back_url: str) -> int:
    text = request.args.get("year", "").strip()
    if not text:
        return today.year
    if not re.fullmatch(r"[0-9]{4}", text) or int(text) not in YEARS:
        raise BadParameter(_("Ange året med fyra siffror, t.ex. %(year)s.", year=today.year), back_url)
    return int(text)


def _status_filter(back_url: str) -> str | None:
    text = request.args.get("status", "").strip()
    if not text:
        return None
    if text not in STATUS_FILTERS:
        raise BadParameter(_("Det finns ingen status som heter så. Välj en status i listan."), back_url)
    return text


def _matches(state: OccurrenceState, wanted: str | None) -> bool:
    if wanted is None:
        return True
    if wanted == OVERDUE:
        return state.overdue
    return state.status.value == wanted


def _filter_labels() -> list[tuple[str, str]]:
    labels = {status.value: str(label) for status, label in STATUS_LABELS.items()}
    labels[OVERDUE] = str(OVERDUE_LABEL)
    return [(value, labels[value]) for value in STATUS_FILTERS]


def _list_page(owner: Owner):
    today = clock.today()
    back_url = url_for(owner.endpoint, **owner.args)
    year = _year(today, back_url)
    wanted = _status_filter(back_url)
    all_states = states(_occurrences(owner.owner_filter, date(year, 1, 1), date(year, 12, 31)), today=today)
    counts = {value: sum(1 for state in all_states if _matches(state, value)) for value in STATUS_FILTERS}
    earlier, later = _neighbour_years(owner.owner_filter, year)
    month = today.strftime("%Y-%m") if year == today.year else f"{year:04d}-01"
    can_generate = owner.kind == "agreement" and can_write(current_principal(), owner.obj)
    return render_template(
        "schedule/list.html", owner=owner, year=year, wanted=wanted, today=today,
        rows=[state for state in all_states if _matches(state, wanted)], total=len(all_states), counts=counts,
        filters=_filter_labels(), earlier=earlier, later=later, month=month, home_link=_home_link(owner),
        locale=_locale(), generate_form=ActionForm() if can_generate else None,
    )


@bp.route("/agreements/<int:agreement_id>")
def agreement(agreement_id: int):
    return _list_page(_agreement_owner(agreement_id))


@bp.route("/sites/<int:site_id>")
def site(site_id: int):
    return _list_page(_site_owner(site_id))


# --- the month calendar --------------------------------------------------------------------------------------


def _month(today: date, back_url: str) -> date:
    """The first day of the month named by `?month=2026-06` (default: this month)."""
    text = request.args.get("month", "").strip()
    if not text:
        return today.replace(day=1)
    found = re.fullmatch(r"([0-9]{4})-([0-9]{2})", text)
    if not found or int(found[1]) not in YEARS or not 1 <= int(found[2]) <= 12:
        raise BadParameter(_("Ange månaden som ÅÅÅÅ-MM, t.ex. %(month)s.", month=today.strftime("%Y-%m")),
                           back_url)
    return date(int(found[1]), int(found[2]), 1)


def _shift_month(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month_page(owner: Owner):
    today = clock.today()
    first = _month(today, url_for(f"{owner.endpoint}_month", **owner.args))
    weeks = calendar.Calendar(firstweekday=calendar.MONDAY).monthdatescalendar(first.year, first.month)
    by_day: dict[date, list[OccurrenceState]] = {}
    for state in states(_occurrences(owner.owner_filter, weeks[0][0], weeks[-1][-1]), today=today):
        by_day.setdefault(state.occurrence.due_on, []).append(state)
    monday = weeks[0][0]
    weekdays = [(format_date(monday + timedelta(days=n), "EEE"), format_date(monday + timedelta(days=n), "EEEE"))
                for n in range(7)]
    return render_template(
        "schedule/month.html", owner=owner, first=first, weeks=weeks, by_day=by_day, today=today,
        weekdays=weekdays, month_name=format_date(first, "LLLL yyyy"),
        previous_month=_shift_month(first, -1).strftime("%Y-%m"), next_month=_shift_month(first, 1).strftime("%Y-%m"),
        home_link=_home_link(owner), locale=_locale(),
    )


@bp.route("/agreements/<int:agreement_id>/month")
def agreement_month(agreement_id: int):
    return _month_page(_agreement_owner(agreement_id))


@bp.route("/sites/<int:site_id>/month")
def site_month(site_id: int):
    return _month_page(_site_owner(site_id))


# --- one occurrence ------------------------------------------------------------------------------------------


def _occurrence_page(occurrence: Occurrence, *, excuse_form: ExcuseForm | None = None,
                     move_form: MoveForm | None = None, message: str | None = None):
    principal = current_principal()
    task = occurrence.agreed_task
    completions = db.session.scalars(
        visible(principal, Completion).where(Completion.occurrence_id == occurrence.id)
        .options(joinedload(Completion.user), joinedload(Completion.recorded_by), selectinload(Completion.photos))
        .order_by(Completion.completed_on, Completion.id)
    ).all()
    can_edit = can_write(principal, occurrence)
    if can_edit:
        # The form that was not sent starts empty (formdata=None), not from the other form's POST.
        excuse_form = excuse_form or ExcuseForm(prefix="excuse", formdata=None)
        move_form = move_form or MoveForm(prefix="move", formdata=None, data={"due_on": occurrence.due_on})
    return render_template(
        "schedule/occurrence.html", occurrence=occurrence, task=task, state=state_of(occurrence, today=clock.today()),
        sentence=describe_agreed_task(task, _locale()), completions=completions, locale=_locale(),
        can_edit=can_edit, excuse_form=excuse_form, move_form=move_form, restore_form=ActionForm(prefix="restore"),
        message=message, events=audit.events_for(principal, occurrence),
    )


@bp.route("/occurrences/<int:occurrence_id>")
def occurrence(occurrence_id: int):
    return _occurrence_page(load(current_principal(), Occurrence, occurrence_id))


@bp.route("/occurrences/<int:occurrence_id>/excuse", methods=["POST"])
def excuse(occurrence_id: int):
    occurrence = load(current_principal(), Occurrence, occurrence_id, "write")
    form = ExcuseForm(prefix="excuse")
    message = None
    if form.validate_on_submit():
        try:
            excuse_occurrence(actor_id=current_principal().user_id, occurrence=occurrence, reason=form.reason.data)
        except ValidationError as error:
            message = show_error(form, error)
        else:
            flash(_("Tillfället är struket."), "success")
            return redirect(url_for("schedule.occurrence", occurrence_id=occurrence.id))
    return _occurrence_page(occurrence, excuse_form=form, message=message)


@bp.route("/occurrences/<int:occurrence_id>/restore", methods=["POST"])
def restore(occurrence_id: int):
    occurrence = load(current_principal(), Occurrence, occurrence_id, "write")
    if ActionForm(prefix="restore").validate_on_submit():
        try:
            restore_occurrence(actor_id=current_principal().user_id, occurrence=occurrence)
        except ValidationError as error:
            flash(error_message(error), "error")
        else:
            flash(_("Strykningen är ångrad: tillfället ska göras igen."), "success")
    return redirect(url_for("schedule.occurrence", occurrence_id=occurrence.id))


@bp.route("/occurrences/<int:occurrence_id>/move", methods=["POST"])
def move(occurrence_id: int):
    occurrence = load(current_principal(), Occurrence, occurrence_id, "write")
    form = MoveForm(prefix="move")
    message = None
    if form.validate_on_submit():
        try:
            move_occurrence(actor_id=current_principal().user_id, occurrence=occurrence, due_on=form.due_on.data,
                            reason=form.reason.data)
        except ValidationError as error:
            message = show_error(form, error)
        else:
            flash(_("Tillfället är flyttat till %(day)s.", day=day_label(occurrence.due_on)), "success")
            return redirect(url_for("schedule.occurrence", occurrence_id=occurrence.id))
    return _occurrence_page(occurrence, move_form=form, message=message)


# --- generating an agreement's schedule ----------------------------------------------------------------------


@bp.route("/agreements/<int:agreement_id>/generate", methods=["POST"])
def generate(agreement_id: int):
    agreement = load(current_principal(), Agreement, agreement_id, "write")
    if ActionForm().validate_on_submit():
        try:
            summary = generate_for_agreement(actor_id=current_principal().user_id, agreement=agreement,
                                             today=clock.today(),
                                             seasons_ahead=current_app.config["SCHEDULE_HORIZON_SEASONS"])
        except ValidationError as error:
            flash(error_message(error), "error")
        else:
            flash(_("Schemat är genererat: %(created)s nya tillfällen, %(deleted)s borttagna, %(updated)s ändrade "
                    "och %(kept)s oförändrade för %(tasks)s avtalade skötselmoment.",
                    created=summary.created, deleted=summary.deleted, updated=summary.updated, kept=summary.kept,
                    tasks=summary.tasks), "success")
    return redirect(url_for("schedule.agreement", agreement_id=agreement.id))
