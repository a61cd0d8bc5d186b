"""Admin pages for skötselavtal and their agreed tasks (avtalade skötselmoment)."""
from __future__ import annotations

from decimal import Decimal

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy.orm import selectinload
from wtforms import BooleanField, DateField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional
from werkzeug.exceptions import RequestEntityTooLarge

from skotsel.domain.errors import ValidationError
from skotsel.domain.recurrence import agreed_level_sentence
from skotsel.extensions import db
from skotsel.models import AgreedTask, Agreement, Association, Site, TaskType
from skotsel.services import audit, documents
from skotsel.services.access import Forbidden, NotFound, load, visible
from skotsel.services.agreements import (
    add_agreed_task,
    attach_document,
    create_agreement,
    delete_agreed_task,
    delete_agreement,
    describe_agreed_task,
    remove_document,
    rule_of,
    season_of,
    update_agreed_task,
    update_agreement,
)
from skotsel.web import current_principal
from skotsel.web.admin import bp, municipality_id, require_admin
from skotsel.web.admin.task_types import (
    PERFORMER_CHOICES,
    RuleFields,
    attach_error,
    build_rule,
    locale,
    rule_data,
)
from skotsel.web.forms import DeleteForm, SwedishDecimalField, choices, error_message, optional_int, show_error
from skotsel.web.vocabulary import AGREEMENT_STATUS_LABELS, COMPENSATION_MODEL_LABELS, compensation_text

STATUS_CHOICES = list(AGREEMENT_STATUS_LABELS.items())
COMPENSATION_CHOICES = list(COMPENSATION_MODEL_LABELS.items())
DEFAULT_LEAD_DAYS = 2
#: Room for the multipart framing and the CSRF token around an agreement document of the largest size.
FORM_OVERHEAD_BYTES = 64 * 1024


def KronorField(label) -> SwedishDecimalField:  # noqa: N802 - reads like the field class it makes
    """An amount in kronor typed the Swedish way too: "10 000", "0,28", "2000 kr"."""
    return SwedishDecimalField(label, validators=[Optional()], unit="kr",
                               invalid_message=_l("Ange beloppet i kronor, t.ex. 10000 eller 0,28."))


class AgreementForm(FlaskForm):
    title = StringField(_l("Avtalets namn"), validators=[Length(max=200)])
    association_id = SelectField(_l("Förening"), coerce=optional_int, validate_choice=False)
    starts_on = DateField(_l("Gäller från"), validators=[Optional()])
    ends_on = DateField(_l("Gäller till och med"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=choices(STATUS_CHOICES), default="draft", validate_choice=False)
    compensation_model = SelectField(_l("Ersättningsmodell"), choices=choices(COMPENSATION_CHOICES),
                                     default="fixed_per_year", validate_choice=False)
    compensation_amount = KronorField(_l("Belopp i kronor"))
    compensation_cap = KronorField(_l("Tak i kronor per år"))
    deduction_per_missed = KronorField(_l("Avdrag i kronor per missat tillfälle"))
    deduction_per_open_deviation = KronorField(_l("Avdrag i kronor per olöst avvikelse"))
    signed_on = DateField(_l("Undertecknat"), validators=[Optional()])
    notes = TextAreaField(_l("Anteckningar"))


class DocumentForm(FlaskForm):
    document = FileField(_l("Avtalsdokument (PDF)"), render_kw={"accept": "application/pdf,.pdf"})


def _association_choices() -> list:
    associations = db.session.scalars(
        visible(current_principal(), Association).where(Association.municipality_id == municipality_id())
        .order_by(Association.name)
    ).all()
    return choices([("", _("Välj förening"))] + [(association.id, association.name) for association in associations])


def _agreement_values(form: AgreementForm) -> dict:
    return {name: getattr(form, name).data for name in (
        "title", "association_id", "starts_on", "ends_on", "status", "compensation_model", "compensation_amount",
        "compensation_cap", "signed_on", "notes", "deduction_per_missed", "deduction_per_open_deviation")}


@bp.route("/agreements")
def agreements():
    rows = db.session.scalars(
        visible(current_principal(), Agreement).where(Agreement.municipality_id == municipality_id())
        .options(selectinload(Agreement.association))
        .order_by(Agreement.starts_on.desc(), Agreement.title)
    ).all()
    return render_template("admin/agreements/list.html", agreements=rows)


@bp.route("/agreements/new", methods=["GET", "POST"])
def agreement_new():
    require_admin(Agreement)
    form = AgreementForm(data={"association_id": optional_int(request.args.get("association_id"))})
    form.association_id.choices = _association_choices()
    message = None
    if form.validate_on_submit():
        try:
            agreement = create_agreement(actor_id=current_principal().user_id, municipality_id=municipality_id(),
                                         **_agreement_values(form))
        except ValidationError as error:
            message = attach_error(form, error)
        else:
            flash(_("Avtalet %(title)s är sparat.", title=agreement.title), "success")
            return redirect(url_for("admin.agreement_detail", agreement_id=agreement.id))
    return render_template("admin/agreements/form.html", form=form, agreement=None, message=message)


@bp.route("/agreements/<int:agreement_id>/edit", methods=["GET", "POST"])
def agreement_edit(agreement_id: int):
    agreement = load(current_principal(), Agreement, agreement_id, "write")
    form = AgreementForm(obj=agreement)
    if not form.is_submitted():  # stored in öre, typed in kronor
        form.deduction_per_missed.data = Decimal(agreement.deduction_per_missed_ore or 0) / 100
        form.deduction_per_open_deviation.data = Decimal(agreement.deduction_per_open_deviation_ore or 0) / 100
    form.association_id.choices = _association_choices()
    message = None
    if form.validate_on_submit():
        try:
            update_agreement(actor_id=current_principal().user_id, agreement=agreement, **_agreement_values(form))
        except ValidationError as error:
            message = attach_error(form, error)
        else:
            flash(_("Avtalet %(title)s är sparat.", title=agreement.title), "success")
            return redirect(url_for("admin.agreement_detail", agreement_id=agreement.id))
    return render_template("admin/agreements/form.html", form=form, agreement=agreement, message=message)


@bp.route("/agreements/<int:agreement_id>/delete", methods=["POST"])
def agreement_delete(agreement_id: int):
    agreement = load(current_principal(), Agreement, agreement_id, "write")
    if DeleteForm().validate_on_submit():
        try:
            delete_agreement(actor_id=current_principal().user_id, agreement=agreement,
                             upload_folder=current_app.config["UPLOAD_FOLDER"])
        except ValidationError as error:
            flash(error_message(error), "error")
            return redirect(url_for("admin.agreement_detail", agreement_id=agreement_id))
        flash(_("Avtalet är borttaget."), "success")
    return redirect(url_for("admin.agreements"))


@bp.route("/agreements/<int:agreement_id>")
def agreement_detail(agreement_id: int):
    return _detail_page(load(current_principal(), Agreement, agreement_id))


def _detail_page(agreement: Agreement, document_form: DocumentForm | None = None, message: str | None = None):
    principal = current_principal()
    tasks = db.session.scalars(
        visible(principal, AgreedTask).where(AgreedTask.agreement_id == agreement.id)
        .options(selectinload(AgreedTask.site), selectinload(AgreedTask.task_type))
        .order_by(AgreedTask.id)
    ).all()
    sites = db.session.scalars(
        visible(principal, Site).where(Site.association_id == agreement.association_id,
                                       Site.municipality_id == agreement.municipality_id)
    ).all()
    by_site: dict[int, dict] = {site.id: {"site": site, "tasks": []} for site in sites}
    for task in tasks:
        by_site.setdefault(task.site_id, {"site": task.site, "tasks": []})["tasks"].append(
            {"task": task, "sentence": describe_agreed_task(task, locale())})
    groups = sorted(by_site.values(), key=lambda group: group["site"].name.casefold())
    # formdata=None: the page is also shown when the posted body was too large to read.
    return render_template("admin/agreements/detail.html", agreement=agreement, groups=groups,
                           compensation=compensation_text(agreement),
                           events=audit.events_for(principal, agreement), delete_form=DeleteForm(formdata=None),
                           document_form=document_form or DocumentForm(formdata=None), message=message,
                           max_document_size=documents.size_text(current_app.config["MAX_DOCUMENT_BYTES"]))


@bp.url_value_preprocessor
def limit_document_upload(endpoint: str | None, values: dict | None) -> None:
    """Cap the body of a document upload before anything reads it. This runs ahead of every before_request
    function, the CSRF check among them, which would otherwise take in a body of any size first."""
    if endpoint == "admin.agreement_document_upload":
        request.max_content_length = current_app.config["MAX_DOCUMENT_BYTES"] + FORM_OVERHEAD_BYTES


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(error: RequestEntityTooLarge):
    """Say on the upload field that the file was too large, instead of an error page.
    Nothing has checked access yet (the body was refused first), so check it here."""
    principal = current_principal()
    if request.endpoint != "admin.agreement_document_upload" or not principal.is_staff:
        return error
    try:
        agreement = load(principal, Agreement, (request.view_args or {}).get("agreement_id"), "write")
    except (NotFound, Forbidden):
        return error
    form = DocumentForm(formdata=None)
    show_error(form, documents.too_large(current_app.config["MAX_DOCUMENT_BYTES"]))
    return _detail_page(agreement, document_form=form), 413


@bp.route("/agreements/<int:agreement_id>/document", methods=["POST"])
def agreement_document_upload(agreement_id: int):
    agreement = load(current_principal(), Agreement, agreement_id, "write")
    form = DocumentForm()
    message = None
    if form.validate_on_submit():
        upload = form.document.data
        try:
            attach_document(actor_id=current_principal().user_id, agreement=agreement,
                            file=upload.stream if upload else None, filename=upload.filename if upload else None,
                            upload_folder=current_app.config["UPLOAD_FOLDER"],
                            max_bytes=current_app.config["MAX_DOCUMENT_BYTES"])
        except ValidationError as error:
            message = show_error(form, error)
        else:
            flash(_("Avtalsdokumentet %(name)s är sparat.", name=agreement.document_name), "success")
            return redirect(url_for("admin.agreement_detail", agreement_id=agreement.id))
    return _detail_page(agreement, document_form=form, message=message)


@bp.route("/agreements/<int:agreement_id>/document/delete", methods=["POST"])
def agreement_document_delete(agreement_id: int):
    agreement = load(current_principal(), Agreement, agreement_id, "write")
    if DeleteForm().validate_on_submit():
        try:
            remove_document(actor_id=current_principal().user_id, agreement=agreement,
                            upload_folder=current_app.config["UPLOAD_FOLDER"])
        except ValidationError as error:
            flash(error_message(error), "error")
        else:
            flash(_("Avtalsdokumentet är borttaget."), "success")
    return redirect(url_for("admin.agreement_detail", agreement_id=agreement_id))


@bp.route("/agreements/<int:agreement_id>/document")
def agreement_document(agreement_id: int):
    return send_document(load(current_principal(), Agreement, agreement_id))


def send_document(agreement: Agreement):
    """The agreement's PDF as a download: never shown inline, never sniffed as something else, never cached
    on the way; 404 when it has none."""
    if agreement.document_key is None:
        abort(404)
    path = documents.path_of(agreement.document_key, upload_folder=current_app.config["UPLOAD_FOLDER"])
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype="application/pdf", as_attachment=True,
                         download_name=agreement.document_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


class AgreedTaskForm(RuleFields):
    site_id = SelectField(lazy_pgettext("singular", "Skötselobjekt"), coerce=optional_int, validate_choice=False)
    task_type_id = SelectField(lazy_pgettext("singular", "Skötselmoment"), coerce=optional_int, validate_choice=False)
    level_text = TextAreaField(_l("Överenskommen skötselnivå"))
    reminder_lead_days = IntegerField(_l("Påminnelse, dagar före"), default=DEFAULT_LEAD_DAYS,
                                      validators=[Optional()])
    performed_by = RadioField(_l("Utförs av"), choices=choices(PERFORMER_CHOICES), default="association",
                              validate_choice=False)
    deviation_when_missed = BooleanField(_l("Skapa en avvikelse när ett tillfälle missas"))


def _task_types() -> list[TaskType]:
    task_types = db.session.scalars(
        visible(current_principal(), TaskType).where(TaskType.municipality_id == municipality_id())
    ).all()
    return sorted(task_types, key=lambda task_type: task_type.name(locale()).casefold())


def _task_form(agreement: Agreement, *, data: dict, from_request: bool = True,
               task: AgreedTask | None = None) -> AgreedTaskForm:
    """The form with the agreement's sites and the municipality's task types; `data` fills what was not posted."""
    form = AgreedTaskForm(data=data) if from_request else AgreedTaskForm(formdata=None, data=data)
    sites = db.session.scalars(
        visible(current_principal(), Site).where(Site.association_id == agreement.association_id,
                                                 Site.municipality_id == agreement.municipality_id)
        .order_by(Site.name)
    ).all()
    if task is not None and task.site not in sites:
        # The site has since passed to another association: show it, and let saving say why it cannot stay.
        sites.append(task.site)
    form.site_id.choices = choices([("", _("Välj skötselobjekt"))] + [(site.id, site.name) for site in sites])
    form.task_type_id.choices = choices([("", _("Välj skötselmoment"))] + [
        (task_type.id, task_type.name(locale())) for task_type in _task_types()])
    return form


def _task_type(task_type_id) -> TaskType | None:
    """One of the municipality's task types, or None (an id from elsewhere is treated as no choice)."""
    task_type_id = optional_int(task_type_id)
    if task_type_id is None:
        return None
    return db.session.scalar(visible(current_principal(), TaskType).where(
        TaskType.id == task_type_id, TaskType.municipality_id == municipality_id()))


def defaults_of(task_type: TaskType) -> dict:
    """What choosing a task type fills in: its rule, season, level (in Swedish, the agreement's language) and
    who does it."""
    return {"task_type_id": task_type.id, "level_text": task_type.standard_sv,
            "performed_by": task_type.performed_by, **rule_data(rule_of(task_type), season_of(task_type))}


def _task_data(task: AgreedTask) -> dict:
    return {"site_id": task.site_id, "task_type_id": task.task_type_id, "level_text": task.level_text,
            "reminder_lead_days": task.reminder_lead_days, "performed_by": task.performed_by,
            "deviation_when_missed": task.deviation_when_missed, **rule_data(rule_of(task), season_of(task))}


def _save_task(form: AgreedTaskForm, agreement: Agreement, task: AgreedTask | None):
    """Prefill, preview, or validate and save; returns the response to send."""
    message = None
    if form.is_submitted() and "prefill" in request.form:
        task_type = _task_type(form.task_type_id.data)
        if task_type is not None:
            kept = {"site_id": form.site_id.data, "reminder_lead_days": form.reminder_lead_days.data}
            form = _task_form(agreement, data={**kept, **defaults_of(task_type)}, from_request=False, task=task)
        else:
            form.task_type_id.errors = [_("Välj ett skötselmoment först.")]
    elif form.validate_on_submit():
        rule, season, ok = build_rule(form)
        if ok and "preview" not in request.form:
            values = {"site_id": form.site_id.data, "task_type_id": form.task_type_id.data,
                      "level_text": form.level_text.data, "rule": rule, "season": season,
                      "reminder_lead_days": form.reminder_lead_days.data, "performed_by": form.performed_by.data,
                      "deviation_when_missed": form.deviation_when_missed.data}
            try:
                if task is None:
                    add_agreed_task(actor_id=current_principal().user_id, agreement=agreement, **values)
                else:
                    update_agreed_task(actor_id=current_principal().user_id, task=task, **values)
            except ValidationError as error:
                message = attach_error(form, error)
            else:
                flash(_("Skötselmomentet är sparat."), "success")
                return redirect(url_for("admin.agreement_detail", agreement_id=agreement.id))
    return render_template("admin/agreements/task_form.html", form=form, agreement=agreement, task=task,
                           message=message, preview=_preview(form))


def _preview(form: AgreedTaskForm) -> str | None:
    """The sentence the agreement page will show, if the rule and the task type are valid."""
    task_type = _task_type(form.task_type_id.data)
    rule, season, ok = build_rule(form, attach=False)
    if task_type is None or not ok:
        return None
    return agreed_level_sentence(task_type.name(locale()), rule, season, form.level_text.data or "", locale())


@bp.route("/agreements/<int:agreement_id>/tasks/new", methods=["GET", "POST"])
def agreed_task_new(agreement_id: int):
    agreement = load(current_principal(), Agreement, agreement_id, "write")
    data = {"site_id": optional_int(request.args.get("site_id"))}
    task_type = _task_type(request.args.get("task_type_id"))
    if task_type is not None:
        data.update(defaults_of(task_type))
    return _save_task(_task_form(agreement, data=data), agreement, None)


@bp.route("/agreed-tasks/<int:task_id>/edit", methods=["GET", "POST"])
def agreed_task_edit(task_id: int):
    task = load(current_principal(), AgreedTask, task_id, "write")
    return _save_task(_task_form(task.agreement, data=_task_data(task), task=task), task.agreement, task)


@bp.route("/agreed-tasks/<int:task_id>/delete", methods=["POST"])
def agreed_task_delete(task_id: int):
    task = load(current_principal(), AgreedTask, task_id, "write")
    agreement_id = task.agreement_id
    if DeleteForm().validate_on_submit():
        try:
            delete_agreed_task(actor_id=current_principal().user_id, task=task)
        except ValidationError as error:  # work has been reported on it: shown, not a server error
            db.session.rollback()
            flash(error_message(error), "error")
        else:
            flash(_("Skötselmomentet är borttaget ur avtalet."), "success")
    return redirect(url_for("admin.agreement_detail", agreement_id=agreement_id))
