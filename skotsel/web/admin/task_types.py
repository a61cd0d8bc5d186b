"""Admin pages for the task-type catalogue (skötselmoment), and the rule fields agreed tasks share with it."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from skotsel.domain.catalogue import SITE_KINDS
from skotsel.domain.errors import ValidationError
from skotsel.domain.recurrence import (
    Quota,
    Recurrence,
    RecurrenceForm,
    Season,
    agreed_level_sentence,
    describe,
    describe_quota,
)
from skotsel.extensions import db
from skotsel.models import TaskType
from skotsel.services import audit
from skotsel.services.access import load, visible
from skotsel.services.agreements import rule_of, season_of
from skotsel.services.catalogue import create_task_type, delete_task_type, update_task_type
from skotsel.web import current_principal
from skotsel.web.admin import bp, municipality_id, require_admin
from skotsel.web.forms import DeleteForm, MultiCheckboxField, choices, error_message, optional_int, show_error
from skotsel.web.vocabulary import SITE_KIND_LABELS

PATTERN_CHOICES = [
    ("daily", _l("dagligen")),
    ("weekly", _l("varje vecka")),
    ("monthly", _l("varje månad")),
    ("yearly", _l("en gång per år")),
    ("custom", _l("egen regel (RRULE)")),
]
WEEKDAY_CHOICES = [("MO", _l("må")), ("TU", _l("ti")), ("WE", _l("on")), ("TH", _l("to")), ("FR", _l("fr")),
                   ("SA", _l("lö")), ("SU", _l("sö"))]
MONTH_CHOICES = [(1, _l("jan")), (2, _l("feb")), (3, _l("mar")), (4, _l("apr")), (5, _l("maj")), (6, _l("jun")),
                 (7, _l("jul")), (8, _l("aug")), (9, _l("sep")), (10, _l("okt")), (11, _l("nov")), (12, _l("dec"))]
ORDINAL_CHOICES = [("", "—"), (1, _l("första")), (2, _l("andra")), (3, _l("tredje")), (4, _l("fjärde")),
                   (5, _l("femte")), (-1, _l("sista"))]
KIND_CHOICES = [("recurrence", _l("återkommande")), ("quota", _l("antal gånger"))]
PERFORMER_CHOICES = [("association", _l("föreningen")), ("municipality", _l("kommunen"))]
PERFORMER_LABELS = dict(PERFORMER_CHOICES)


#: Domain error fields whose form field has another name.
_FIELD_NAMES = {"rrule": "custom_rrule"}


class RuleFields(FlaskForm):
    """How often and when: a recurrence (the friendly fields of RecurrenceForm) or a quota, and a season.

    Field names are the domain's own (RecurrenceForm, Season, Quota), so its errors land where they belong."""

    kind = RadioField(_l("Hur ofta"), choices=choices(KIND_CHOICES), default="recurrence", validate_choice=False)
    pattern = SelectField(_l("Upprepning"), choices=choices(PATTERN_CHOICES), default="weekly", validate_choice=False)
    interval = IntegerField(_l("Intervall (var … :e)"), default=1, validators=[Optional()])
    weekdays = MultiCheckboxField(_l("Veckodagar"), choices=choices(WEEKDAY_CHOICES))
    months = MultiCheckboxField(_l("Månader"), choices=choices(MONTH_CHOICES), coerce=int)
    monthday = IntegerField(_l("Dag i månaden"), validators=[Optional()])
    ordinal = SelectField(_l("Vilken i ordningen"), choices=choices(ORDINAL_CHOICES), coerce=optional_int,
                          validate_choice=False)
    custom_rrule = StringField(_l("Egen regel (RRULE)"), validators=[Length(max=200)])
    quota_count = IntegerField(_l("Minst antal gånger"), validators=[Optional()])
    quota_min_gap_days = IntegerField(_l("Minst antal dagar emellan"), validators=[Optional()])
    season_start = StringField(_l("Säsongen börjar (MM-DD)"))
    season_end = StringField(_l("Säsongen slutar (MM-DD)"))


def attach_error(form: FlaskForm, error: ValidationError) -> str | None:
    """show_error() after translating the domain's field name to the form's."""
    if error.field in _FIELD_NAMES:
        error = ValidationError(error.message_sv, error.message_en, field=_FIELD_NAMES[error.field])
    return show_error(form, error)


def build_rule(form: RuleFields, *, attach: bool = True) -> tuple[Recurrence | Quota | None, Season | None, bool]:
    """The domain rule and season from the form; every broken one lands on its field when `attach`."""
    errors: list[ValidationError] = []
    rule = season = None
    try:
        if form.kind.data == "quota":
            gap = form.quota_min_gap_days.data
            rule = Quota(form.quota_count.data, 0 if gap is None else gap)
        else:
            rule = Recurrence.from_form(RecurrenceForm(
                pattern=form.pattern.data or "",
                interval=1 if form.interval.data is None else form.interval.data,
                weekdays=list(form.weekdays.data or []),
                months=list(form.months.data or []),
                monthday=form.monthday.data,
                ordinal=form.ordinal.data,
                custom_rrule=form.custom_rrule.data or "",
            ))
    except ValidationError as error:
        errors.append(error)
    start, end = (form.season_start.data or "").strip(), (form.season_end.data or "").strip()
    if start or end:
        try:
            if not (start and end):
                raise ValidationError("Ange både när säsongen börjar och slutar, eller ingen av dem för hela året.",
                                      "Give both the start and the end of the season, or neither for all year.",
                                      field="season_end" if start else "season_start")
            season = Season.parse(start, end)
        except ValidationError as error:
            errors.append(error)
    if attach:
        for error in errors:
            message = attach_error(form, error)
            if message:
                form.form_errors.append(message)
    return rule, season, not errors


def rule_data(rule: Recurrence | Quota, season: Season | None) -> dict:
    """The form's values for a stored rule and season (Recurrence.to_form for a recurrence)."""
    data = {"season_start": season.start_text if season else "", "season_end": season.end_text if season else ""}
    if isinstance(rule, Quota):
        data.update(kind="quota", quota_count=rule.count, quota_min_gap_days=rule.min_gap_days)
        return data
    friendly = rule.to_form()
    data.update(kind="recurrence", pattern=friendly.pattern, interval=friendly.interval,
                weekdays=list(friendly.weekdays), months=list(friendly.months), monthday=friendly.monthday,
                ordinal=friendly.ordinal, custom_rrule=friendly.custom_rrule)
    return data


def locale() -> str:
    return str(get_locale())


def rule_text(rule: Recurrence | Quota, season: Season | None) -> str:
    return describe_quota(rule, season, locale()) if isinstance(rule, Quota) else describe(rule, locale())


def season_text(season: Season | None) -> str:
    return season.describe(locale()) if season else _("hela året")


class TaskTypeForm(RuleFields):
    name_sv = StringField(_l("Namn på svenska"), validators=[Length(max=120)])
    name_en = StringField(_l("Namn på engelska"), validators=[Length(max=120)])
    standard_sv = TextAreaField(_l("Utfört enligt överenskommen nivå (svenska)"))
    standard_en = TextAreaField(_l("Utfört enligt överenskommen nivå (engelska)"))
    site_kinds = MultiCheckboxField(_l("Gäller för"), choices=choices(SITE_KIND_LABELS.items()))
    performed_by = RadioField(_l("Utförs av"), choices=choices(PERFORMER_CHOICES), default="association",
                              validate_choice=False)
    grace_days = IntegerField(_l("Räknas som i tid, dagar efter förfallodagen"), default=2, validators=[Optional()])


def _task_type_data(task_type: TaskType) -> dict:
    return {
        "name_sv": task_type.name_sv, "name_en": task_type.name_en, "standard_sv": task_type.standard_sv,
        "standard_en": task_type.standard_en, "site_kinds": list(task_type.site_kinds or []),
        "performed_by": task_type.performed_by, "grace_days": task_type.grace_days,
        **rule_data(rule_of(task_type), season_of(task_type)),
    }


@bp.route("/task-types")
def task_types():
    rows = []
    for task_type in db.session.scalars(
        visible(current_principal(), TaskType).where(TaskType.municipality_id == municipality_id())
    ):
        season = season_of(task_type)
        rows.append({"task_type": task_type, "name": task_type.name(locale()),
                     "rule": rule_text(rule_of(task_type), season), "season": season_text(season),
                     "site_kinds": [str(SITE_KIND_LABELS[kind]).lower() for kind in SITE_KINDS if kind in task_type.site_kinds],
                     "performed_by": PERFORMER_LABELS.get(task_type.performed_by, "")})
    rows.sort(key=lambda row: row["name"].casefold())
    return render_template("admin/task_types/list.html", rows=rows)


def _save_task_type(form: TaskTypeForm, task_type: TaskType | None):
    """Validate, show the sentence, and create or update; returns the response to send."""
    message = preview = None
    if form.validate_on_submit():
        rule, season, ok = build_rule(form)
        if ok and "preview" not in request.form:
            values = {"name_sv": form.name_sv.data, "name_en": form.name_en.data,
                      "standard_sv": form.standard_sv.data, "standard_en": form.standard_en.data,
                      "rule": rule, "season": season, "site_kinds": form.site_kinds.data,
                      "performed_by": form.performed_by.data, "grace_days": form.grace_days.data}
            try:
                if task_type is None:
                    task_type = create_task_type(actor_id=current_principal().user_id,
                                                 municipality_id=municipality_id(), **values)
                else:
                    update_task_type(actor_id=current_principal().user_id, task_type=task_type, **values)
            except ValidationError as error:
                message = attach_error(form, error)
            else:
                flash(_("Skötselmomentet %(name)s är sparat.", name=task_type.name_sv), "success")
                return redirect(url_for("admin.task_types"))
    if form.is_submitted():
        preview = _preview(form)
    events = audit.events_for(current_principal(), task_type) if task_type is not None else []
    return render_template("admin/task_types/form.html", form=form, task_type=task_type, message=message,
                           preview=preview, events=events, delete_form=DeleteForm())


def _preview(form: TaskTypeForm) -> str | None:
    rule, season, ok = build_rule(form, attach=False)
    name = (form.name_en.data if locale() == "en" and form.name_en.data else form.name_sv.data) or ""
    standard = form.standard_en.data if locale() == "en" and form.standard_en.data else form.standard_sv.data
    if not ok or not name.strip():
        return None
    return agreed_level_sentence(name.strip(), rule, season, standard or "", locale())


@bp.route("/task-types/new", methods=["GET", "POST"])
def task_type_new():
    require_admin(TaskType)
    return _save_task_type(TaskTypeForm(data={"site_kinds": ["green_space"]}), None)


@bp.route("/task-types/<int:task_type_id>/edit", methods=["GET", "POST"])
def task_type_edit(task_type_id: int):
    task_type = load(current_principal(), TaskType, task_type_id, "write")
    return _save_task_type(TaskTypeForm(data=_task_type_data(task_type)), task_type)


@bp.route("/task-types/<int:task_type_id>/delete", methods=["POST"])
def task_type_delete(task_type_id: int):
    task_type = load(current_principal(), TaskType, task_type_id, "write")
    if DeleteForm().validate_on_submit():
        try:
            delete_task_type(actor_id=current_principal().user_id, task_type=task_type)
        except ValidationError as error:
            flash(error_message(error), "error")
            return redirect(url_for("admin.task_type_edit", task_type_id=task_type_id))
        flash(_("Skötselmomentet är borttaget."), "success")
    return redirect(url_for("admin.task_types"))
