"""Skötselavtal and their agreed tasks: create, change, end and remove, each change audited."""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from flask import current_app
from sqlalchemy import exists, select

from skotsel.domain.errors import ValidationError
from skotsel.domain.recurrence import Quota, Recurrence, Season, agreed_level_sentence, check_rule
from skotsel.extensions import db
from skotsel.models import AgreedTask, Agreement, Association, Completion, Occurrence, Site, TaskType
from skotsel.models.agreements import AGREEMENT_STATUSES, COMPENSATION_MODELS
from skotsel.models.catalogue import PERFORMERS
from skotsel.services import audit, clock, documents, ensure_unique, transaction

AGREEMENT_FIELDS = ("title", "association_id", "starts_on", "ends_on", "status", "compensation_model",
                    "compensation_amount", "compensation_cap", "signed_on", "notes", "deduction_per_missed_ore",
                    "deduction_per_open_deviation_ore")
#: The settlement's deduction rules, typed in kronor (form names) and stored in öre (column names).
DEDUCTION_FIELDS = {"deduction_per_missed": "deduction_per_missed_ore",
                    "deduction_per_open_deviation": "deduction_per_open_deviation_ore"}
# agreement_id is in the create and delete entries so that the agreement's log still finds a removed task.
TASK_FIELDS = ("agreement_id", "site_id", "task_type_id", "level_text", "rrule", "quota_count", "quota_gap_days",
               "season_start", "season_end", "reminder_lead_days", "performed_by", "deviation_when_missed")
MAX_LEAD_DAYS = 60


def rule_of(task: AgreedTask | TaskType) -> Recurrence | Quota:
    """The stored recurrence of an agreed task (or a task type's default) as a domain value."""
    if isinstance(task, TaskType):
        if task.default_rrule:
            return Recurrence.parse(task.default_rrule)
        return Quota(task.default_quota_count, task.default_quota_gap_days or 0)
    if task.rrule:
        return Recurrence.parse(task.rrule)
    return Quota(task.quota_count, task.quota_gap_days or 0)


def season_of(task: AgreedTask | TaskType) -> Season | None:
    return Season.parse(task.season_start, task.season_end) if task.season_start else None


def describe_agreed_task(task: AgreedTask, locale: str = "sv") -> str:
    """The agreed level as a sentence a person reads, generated from the stored rule."""
    return agreed_level_sentence(task.task_type.name(locale), rule_of(task), season_of(task), task.level_text, locale)


def _amount(value, field: str, *, required: bool) -> Decimal | None:
    if value is None or value == "":
        return Decimal("0") if required else None
    try:
        amount = Decimal(str(value))
    except InvalidOperation as error:
        raise ValidationError("Ange beloppet i kronor, t.ex. 10000 eller 0,28.",
                              "Give the amount in kronor, e.g. 10000 or 0.28.", field=field) from error
    if not amount.is_finite() or amount < 0:
        raise ValidationError("Beloppet kan inte vara negativt.", "The amount cannot be negative.", field=field)
    if amount >= Decimal("10000000000"):
        raise ValidationError("Beloppet är för stort.", "The amount is too large.", field=field)
    return amount.quantize(Decimal("0.01"))


def _agreement_values(municipality_id: int, exclude_id: int | None, values: dict) -> dict:
    title = (values.get("title") or "").strip()
    if not title:
        raise ValidationError("Ange avtalets namn.", "Enter the agreement's title.", field="title")
    if len(title) > 200:
        raise ValidationError("Namnet får vara högst 200 tecken.", "The title may be at most 200 characters.",
                              field="title")
    association = db.session.get(Association, values.get("association_id") or 0)
    if association is None or association.municipality_id != municipality_id:
        raise ValidationError("Välj en förening i kommunen.", "Choose an association in the municipality.",
                              field="association_id")
    starts_on: date | None = values.get("starts_on")
    ends_on: date | None = values.get("ends_on")
    if starts_on is None or ends_on is None:
        raise ValidationError("Ange avtalstidens start och slut.", "Enter when the agreement starts and ends.",
                              field="starts_on" if starts_on is None else "ends_on")
    if ends_on <= starts_on:
        raise ValidationError("Avtalet måste sluta efter att det börjar.", "The agreement must end after it starts.",
                              field="ends_on")
    status = values.get("status") or "draft"
    if status not in AGREEMENT_STATUSES:
        raise ValidationError("Okänd status.", "Unknown status.", field="status")
    model = values.get("compensation_model") or "none"
    if model not in COMPENSATION_MODELS:
        raise ValidationError("Okänd ersättningsmodell.", "Unknown compensation model.", field="compensation_model")
    amount = _amount(values.get("compensation_amount"), "compensation_amount", required=True)
    cap = _amount(values.get("compensation_cap"), "compensation_cap", required=False)
    ensure_unique(Agreement, Agreement.title, title, municipality_id=municipality_id, exclude_id=exclude_id,
                  message_sv="Det finns redan ett avtal med det namnet.",
                  message_en="There is already an agreement with that title.", field="title")
    # Deductions are set only when given, so a caller that does not know them leaves them as they are.
    deductions = {column: int(_amount(values[name], name, required=True) * 100)
                  for name, column in DEDUCTION_FIELDS.items() if name in values}
    return deductions | {
        "title": title,
        "association_id": association.id,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "status": status,
        "compensation_model": model,
        "compensation_amount": amount,
        "compensation_cap": cap,
        "signed_on": values.get("signed_on"),
        "notes": (values.get("notes") or "").strip(),
    }


def create_agreement(*, actor_id: int | None, municipality_id: int, **values) -> Agreement:
    cleaned = _agreement_values(municipality_id, None, values)
    with transaction():
        agreement = Agreement(municipality_id=municipality_id, **cleaned)
        db.session.add(agreement)
        audit.record_create(actor_id=actor_id, obj=agreement, label=agreement.title, fields=AGREEMENT_FIELDS)
    return agreement


def update_agreement(*, actor_id: int | None, agreement: Agreement, **values) -> None:
    cleaned = _agreement_values(agreement.municipality_id, agreement.id, values)
    if cleaned["association_id"] != agreement.association_id and agreement.tasks:
        raise ValidationError("Avtalet har skötselmoment; ta bort dem innan du byter förening.",
                              "The agreement has agreed tasks; remove them before changing the association.",
                              field="association_id")
    with transaction():
        changes = audit.apply_changes(agreement, cleaned)
        if changes:
            audit.record(actor_id=actor_id, action="update", obj=agreement, label=agreement.title, changes=changes)
        if {"status", "starts_on", "ends_on"} & changes.keys():
            today = clock.today()
            if "status" in changes and agreement.status == "active" and today > agreement.starts_on:
                _plan_unplanned_from(agreement.tasks, today)
            _replan(agreement.tasks, today=today)


def delete_agreement(*, actor_id: int | None, agreement: Agreement, upload_folder: str | None = None) -> None:
    """Remove a draft agreement with its agreed tasks; an agreement in force is ended instead.
    Its document, if any, is removed from `upload_folder` once the agreement is gone."""
    if agreement.status != "draft":
        raise ValidationError("Bara utkast kan tas bort. Sätt status Avslutat för ett avtal som har gällt.",
                              "Only drafts can be removed. Set an agreement that has been in force to Ended.")
    if _has_completions(agreement.tasks):
        raise ValidationError("Avtalet har utfört arbete rapporterat och kan inte tas bort. Sätt status Avslutat.",
                              "Work has been logged under the agreement, so it cannot be removed. Set it to Ended.")
    document_key = agreement.document_key
    with transaction():
        for task in agreement.tasks:
            audit.record_delete(actor_id=actor_id, obj=task, label=_task_label(task), fields=TASK_FIELDS,
                                parent=agreement)
        audit.record_delete(actor_id=actor_id, obj=agreement, label=agreement.title,
                            fields=AGREEMENT_FIELDS + (("document_name",) if document_key else ()))
        db.session.delete(agreement)
    if upload_folder:
        documents.discard(document_key, upload_folder=upload_folder)


def attach_document(*, actor_id: int | None, agreement: Agreement, file: BinaryIO | None, filename: str | None,
                    upload_folder: str, max_bytes: int) -> None:
    """Keep the signed agreement (a PDF) with the agreement, replacing the one it had.

    The new file is written whole before the row points at it, and removed again if the row cannot be saved;
    the old file goes only after the commit, so the row never points at a missing or half-written file.
    """
    data = documents.read_pdf(file, max_bytes=max_bytes)
    name = documents.clean_name(filename, fallback=agreement.title)
    old_name, old_key = agreement.document_name, agreement.document_key
    key = documents.store(data, upload_folder=upload_folder)
    try:
        with transaction():
            agreement.document_name, agreement.document_key = name, key
            audit.record(actor_id=actor_id, action="update", obj=agreement, label=agreement.title,
                         changes={"document_name": [old_name, name]})
    except BaseException:
        documents.discard(key, upload_folder=upload_folder)
        raise
    documents.discard(old_key, upload_folder=upload_folder)


def remove_document(*, actor_id: int | None, agreement: Agreement, upload_folder: str) -> None:
    """Take the document off the agreement and delete its file (after the commit)."""
    if agreement.document_key is None:
        raise ValidationError("Avtalet har inget avtalsdokument.", "The agreement has no document.")
    old_name, old_key = agreement.document_name, agreement.document_key
    with transaction():
        agreement.document_name = agreement.document_key = None
        audit.record(actor_id=actor_id, action="update", obj=agreement, label=agreement.title,
                     changes={"document_name": [old_name, None]})
    documents.discard(old_key, upload_folder=upload_folder)


def _task_label(task: AgreedTask) -> str:
    return f"{task.task_type.name_sv} på {task.site.name} ({task.agreement.title})"


def _task_values(agreement: Agreement, values: dict) -> dict:
    municipality_id = agreement.municipality_id
    site = db.session.get(Site, values.get("site_id") or 0)
    if site is None or site.municipality_id != municipality_id:
        raise ValidationError("Välj ett skötselobjekt i kommunen.", "Choose a site in the municipality.",
                              field="site_id")
    if site.association_id != agreement.association_id:
        raise ValidationError("Skötselobjektet sköts inte av avtalets förening.",
                              "The site is not kept by the agreement's association.", field="site_id")
    task_type = db.session.get(TaskType, values.get("task_type_id") or 0)
    if task_type is None or task_type.municipality_id != municipality_id:
        raise ValidationError("Välj ett skötselmoment.", "Choose a task type.", field="task_type_id")
    if task_type.site_kinds and site.kind not in task_type.site_kinds:
        raise ValidationError(
            "Skötselmomentet gäller inte den sortens skötselobjekt. Välj ett annat moment, eller lägg till sorten "
            "för momentet i katalogen.",
            "The task type does not apply to this kind of site. Choose another task type, or add the kind to the "
            "task type in the catalogue.", field="task_type_id")
    season: Season | None = values.get("season")
    rule = check_rule(values.get("rule"), season)
    lead_days = values.get("reminder_lead_days")
    lead_days = 0 if lead_days is None else lead_days
    if not isinstance(lead_days, int) or not 0 <= lead_days <= MAX_LEAD_DAYS:
        raise ValidationError(f"Påminnelsen kan komma 0–{MAX_LEAD_DAYS} dagar före.",
                              f"Reminders can come 0–{MAX_LEAD_DAYS} days before.", field="reminder_lead_days")
    performed_by = values.get("performed_by") or "association"
    if performed_by not in PERFORMERS:
        raise ValidationError("Välj vem som utför momentet.", "Choose who performs the task.", field="performed_by")
    return {
        "site_id": site.id,
        "task_type_id": task_type.id,
        "level_text": (values.get("level_text") or "").strip(),
        "rrule": rule.to_rrule() if isinstance(rule, Recurrence) else None,
        "quota_count": rule.count if isinstance(rule, Quota) else None,
        "quota_gap_days": rule.min_gap_days if isinstance(rule, Quota) else None,
        "season_start": season.start_text if season else None,
        "season_end": season.end_text if season else None,
        "reminder_lead_days": lead_days,
        "performed_by": performed_by,
        **({"deviation_when_missed": bool(values["deviation_when_missed"])} if "deviation_when_missed" in values
           else {}),
    }


def add_agreed_task(*, actor_id: int | None, agreement: Agreement, plan_from_start: bool = False,
                    **values) -> AgreedTask:
    """Add an agreed task; `rule` is a Recurrence or a Quota, `season` a Season or None (all year).

    Added to an agreement already running, it is planned from today, so the weeks before it was entered do not
    count as missed — unless `plan_from_start` says the past is to be followed up too (the demo's history).
    """
    cleaned = _task_values(agreement, values)
    today = clock.today()
    with transaction():
        task = AgreedTask(municipality_id=agreement.municipality_id, agreement=agreement, **cleaned)
        task.scheduled_from = today if today > agreement.starts_on and not plan_from_start else None
        db.session.add(task)
        db.session.flush()
        audit.record_create(actor_id=actor_id, obj=task, label=_task_label(task), fields=TASK_FIELDS,
                            parent=agreement)
        _replan([task], today=today)
    return task


def update_agreed_task(*, actor_id: int | None, task: AgreedTask, **values) -> None:
    cleaned = _task_values(task.agreement, values)
    with transaction():
        changes = audit.apply_changes(task, cleaned)
        if changes:
            db.session.flush()
            audit.record(actor_id=actor_id, action="update", obj=task, label=_task_label(task), changes=changes,
                         parent=task.agreement)
            _replan([task])


def _replan(tasks: list[AgreedTask], today: date | None = None) -> None:
    """Regenerate the future occurrences of changed tasks at once, inside the caller's transaction."""
    from skotsel.services import schedule  # schedule reads rules through this module

    config = current_app.config
    schedule.regenerate(tasks, today=today or clock.today(), seasons_ahead=config["SCHEDULE_HORIZON_SEASONS"])


def _plan_unplanned_from(tasks: list[AgreedTask], today: date) -> None:
    """A draft made active after its start date: tasks never planned start from today, not from the agreement's
    start, so the weeks before it was agreed in skotsel do not show up as missed."""
    task_ids = [task.id for task in tasks]
    planned = set(db.session.scalars(select(Occurrence.agreed_task_id).where(Occurrence.agreed_task_id.in_(task_ids))))
    for task in tasks:
        if task.id not in planned:
            task.scheduled_from = max(task.scheduled_from or today, today)


def _has_completions(tasks: list[AgreedTask]) -> bool:
    task_ids = [task.id for task in tasks]
    return bool(task_ids) and db.session.scalar(
        select(exists().where(Completion.occurrence_id == Occurrence.id, Occurrence.agreed_task_id.in_(task_ids))))


def delete_agreed_task(*, actor_id: int | None, task: AgreedTask) -> None:
    if _has_completions([task]):
        raise ValidationError("Momentet har utfört arbete rapporterat och kan inte tas bort. Avsluta avtalet eller "
                              "ändra momentet i stället.",
                              "Work has been logged for the task, so it cannot be removed. End the agreement or "
                              "change the task instead.")
    with transaction():
        audit.record_delete(actor_id=actor_id, obj=task, label=_task_label(task), fields=TASK_FIELDS,
                            parent=task.agreement)
        db.session.delete(task)
