"""The API's schemas: they validate the requests and, through flask-smorest and apispec, are the OpenAPI document.

Dates are ISO 8601 days (2026-06-15); times ISO 8601 with their UTC offset. Money is a decimal string in kronor.
"""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from skotsel.domain.deviations import STATUSES as DEVIATION_STATUSES
from skotsel.domain.schedule import Status
from skotsel.models.agreements import AGREEMENT_STATUSES
from skotsel.models.review import INSPECTION_RESULTS
from skotsel.models.sites import SITE_KINDS

MAX_ID = 2**31 - 1
#: An id in a JSON body (a number, not a string of digits) …
Id = lambda **kw: fields.Integer(strict=True, validate=validate.Range(1, MAX_ID), **kw)  # noqa: E731
#: … and in a query string (where everything is text).
QueryId = lambda **kw: fields.Integer(validate=validate.Range(1, MAX_ID), **kw)  # noqa: E731
OCCURRENCE_STATUSES = tuple(status.value for status in Status) + ("overdue",)
#: Idempotency-Key: printable, no spaces; long enough to be unique to the client that made it.
IDEMPOTENCY_KEY = r"^[A-Za-z0-9_.:-]{8,128}$"
MAX_LIMIT = 100


class Strict(Schema):
    class Meta:
        unknown = "raise"


# --- problems and pages -----------------------------------------------------------------------------------------


class ProblemSchema(Schema):
    """RFC 9457 problem details, with the title and detail in Swedish and in English."""

    type = fields.String(metadata={"example": "about:blank"})
    title = fields.String(required=True, metadata={"description": "Svensk rubrik"})
    title_en = fields.String(required=True, metadata={"description": "English title"})
    status = fields.Integer(required=True)
    detail = fields.String(metadata={"description": "Svensk förklaring"})
    detail_en = fields.String(metadata={"description": "English explanation"})
    instance = fields.String()
    errors = fields.Dict(metadata={"description": "Field → messages for values that were refused"})


class PageArgs(Schema):
    """Cursor pagination: in id order; pass the `next_after` of one page as `after` to get the next."""

    limit = fields.Integer(load_default=50, validate=validate.Range(1, MAX_LIMIT),
                           metadata={"description": f"Items per page, 1–{MAX_LIMIT}"})
    after = fields.Integer(load_default=0, validate=validate.Range(0, MAX_ID),
                           metadata={"description": "Only items with a greater id (the cursor)"})


def page_of(item_schema: type[Schema], name: str) -> type[Schema]:
    """The envelope of one page of `item_schema` items."""
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item_schema), required=True),
        "next_after": fields.Integer(allow_none=True, required=True,
                                     metadata={"description": "The cursor of the next page; null on the last"}),
        "limit": fields.Integer(required=True),
    }, name=name)


def _date_range(data: dict) -> None:
    if data.get("from_") and data.get("to") and data["from_"] > data["to"]:
        raise ValidationError("'from' måste vara före 'to' / 'from' must not be after 'to'", "from")


# --- reads ------------------------------------------------------------------------------------------------------


class AgreementSchema(Schema):
    id = fields.Integer()
    association_id = fields.Integer()
    title = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    status = fields.String(validate=validate.OneOf(AGREEMENT_STATUSES))
    compensation_model = fields.String()
    compensation_amount = fields.Decimal(as_string=True, places=2,
                                         metadata={"type": "string", "description": "Kronor, e.g. \"10000.00\""})
    signed_on = fields.Date(allow_none=True)


class AgreementArgs(PageArgs):
    association_id = QueryId(metadata={"description": "Only this association's agreements"})
    status = fields.String(validate=validate.OneOf(AGREEMENT_STATUSES))


class SiteSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String(validate=validate.OneOf(SITE_KINDS))
    village_id = fields.Integer(allow_none=True)
    association_id = fields.Integer(allow_none=True)
    lat = fields.Float()
    lon = fields.Float()
    area_m2 = fields.Integer(allow_none=True)
    geometry = fields.Dict(metadata={"description": "GeoJSON geometry (WGS 84)"})


class SiteArgs(PageArgs):
    association_id = QueryId()
    village_id = QueryId()
    kind = fields.String(validate=validate.OneOf(SITE_KINDS))


class FeatureSchema(Schema):
    type = fields.String(validate=validate.Equal("Feature"))
    id = fields.Integer()
    geometry = fields.Dict()
    properties = fields.Dict()


class FeatureCollectionSchema(Schema):
    type = fields.String(validate=validate.Equal("FeatureCollection"))
    features = fields.List(fields.Nested(FeatureSchema))
    next_after = fields.Integer(allow_none=True)


class AgreedTaskSchema(Schema):
    id = fields.Integer()
    agreement_id = fields.Integer()
    site_id = fields.Integer()
    task_type_id = fields.Integer()
    task_type_sv = fields.String(attribute="task_type.name_sv")
    task_type_en = fields.String(attribute="task_type.name_en")
    level_text = fields.String()
    rrule = fields.String(allow_none=True)
    quota_count = fields.Integer(allow_none=True)
    season_start = fields.String(allow_none=True, metadata={"description": "MM-DD"})
    season_end = fields.String(allow_none=True, metadata={"description": "MM-DD"})
    performed_by = fields.String(validate=validate.OneOf(("association", "municipality")))


class AgreedTaskArgs(PageArgs):
    agreement_id = QueryId()
    site_id = QueryId()
    association_id = QueryId()


class OccurrenceSchema(Schema):
    id = fields.Integer()
    agreed_task_id = fields.Integer()
    agreement_id = fields.Integer()
    association_id = fields.Integer()
    site_id = fields.Integer()
    task_type_id = fields.Integer()
    planned_on = fields.Date()
    due_on = fields.Date()
    window_starts_on = fields.Date()
    status = fields.String(validate=validate.OneOf(tuple(status.value for status in Status)))
    overdue = fields.Boolean(metadata={"description": "Due, and its last on-time day has passed"})
    on_time_until = fields.Date()
    completed_on = fields.Date(allow_none=True)
    excused_reason = fields.String(allow_none=True)
    moved_reason = fields.String(allow_none=True)


class OccurrenceArgs(PageArgs):
    from_ = fields.Date(data_key="from", metadata={"description": "Due on or after this day"})
    to = fields.Date(metadata={"description": "Due on or before this day"})
    status = fields.String(validate=validate.OneOf(OCCURRENCE_STATUSES),
                           metadata={"description": "Status today; with it, from–to spans at most 366 days "
                                                    "(default: this year)"})
    site_id = QueryId()
    association_id = QueryId()
    agreement_id = QueryId()
    agreed_task_id = QueryId()

    @validates_schema
    def _range(self, data, **kwargs):
        _date_range(data)


class CompletionSchema(Schema):
    id = fields.Integer()
    occurrence_id = fields.Integer(allow_none=True)
    site_id = fields.Integer()
    association_id = fields.Integer(allow_none=True)
    task_type_id = fields.Integer(allow_none=True)
    completed_on = fields.Date()
    user_id = fields.Integer(allow_none=True)
    recorded_by_id = fields.Integer(allow_none=True)
    notes = fields.String()
    hours = fields.Float(allow_none=True)
    people = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime()


class CompletionArgs(PageArgs):
    from_ = fields.Date(data_key="from", metadata={"description": "Done on or after this day"})
    to = fields.Date(metadata={"description": "Done on or before this day"})
    site_id = QueryId()
    association_id = QueryId()
    occurrence_id = QueryId()

    @validates_schema
    def _range(self, data, **kwargs):
        _date_range(data)


class DeviationSchema(Schema):
    id = fields.Integer()
    source = fields.String()
    agreement_id = fields.Integer(allow_none=True)
    association_id = fields.Integer(allow_none=True)
    site_id = fields.Integer()
    occurrence_id = fields.Integer(allow_none=True)
    inspection_result_id = fields.Integer(allow_none=True)
    category = fields.String(allow_none=True)
    description = fields.String()
    fix_by_on = fields.Date(allow_none=True)
    status = fields.String(validate=validate.OneOf(DEVIATION_STATUSES))
    fixed_note = fields.String()
    fixed_at = fields.AwareDateTime(allow_none=True)
    fixed_by_id = fields.Integer(allow_none=True)
    verified_at = fields.AwareDateTime(allow_none=True)
    reopened_count = fields.Integer()
    created_at = fields.AwareDateTime()


class DeviationArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(DEVIATION_STATUSES))
    site_id = QueryId()
    association_id = QueryId()
    agreement_id = QueryId()


class InspectionResultSchema(Schema):
    id = fields.Integer()
    site_id = fields.Integer()
    result = fields.String(validate=validate.OneOf(INSPECTION_RESULTS))
    notes = fields.String()


class InspectionSchema(Schema):
    id = fields.Integer()
    agreement_id = fields.Integer()
    inspected_on = fields.Date()
    inspector_id = fields.Integer(allow_none=True)
    notes = fields.String()
    results = fields.List(fields.Nested(InspectionResultSchema))
    created_at = fields.AwareDateTime()


class InspectionArgs(PageArgs):
    agreement_id = QueryId()
    from_ = fields.Date(data_key="from")
    to = fields.Date()

    @validates_schema
    def _range(self, data, **kwargs):
        _date_range(data)


class ComplianceCountsSchema(Schema):
    on_time = fields.Integer()
    late = fields.Integer()
    missed = fields.Integer()
    excused = fields.Integer()
    open = fields.Integer()
    due_so_far = fields.Integer()
    rate = fields.Float(allow_none=True, metadata={"description": "On time ÷ (on time + late + missed)"})
    overdue = fields.Integer()
    open_deviations = fields.Integer()


class ComplianceRowSchema(ComplianceCountsSchema):
    level = fields.String()
    id = fields.Integer(allow_none=True)
    name = fields.String()
    worst = fields.String(allow_none=True)


class ComplianceWeekSchema(Schema):
    week = fields.Integer()
    on_time = fields.Integer()
    late = fields.Integer()
    missed = fields.Integer()
    rate = fields.Float(allow_none=True)


class ComplianceSchema(Schema):
    year = fields.Integer()
    municipality_id = fields.Integer()
    today = fields.Date()
    totals = fields.Nested(ComplianceCountsSchema)
    associations = fields.List(fields.Nested(ComplianceRowSchema))
    agreements = fields.List(fields.Nested(ComplianceRowSchema))
    weeks = fields.List(fields.Nested(ComplianceWeekSchema))


class ComplianceArgs(Schema):
    municipality_id = QueryId(metadata={"description": "Default: the caller's own municipality"})


# --- writes -----------------------------------------------------------------------------------------------------


class IdempotencyHeader(Schema):
    # Unknown headers (there are always some) are ignored.
    idempotency_key = fields.String(
        data_key="Idempotency-Key", required=True, validate=validate.Regexp(IDEMPOTENCY_KEY),
        metadata={"description": "A key of your own making, unique per completion you mean to record; "
                                 "a retry with the same key and body returns the first result"})


class CompletionCreate(Strict):
    occurrence_id = Id(required=True)
    completed_on = fields.Date(metadata={"description": "Default: today"})
    notes = fields.String(validate=validate.Length(max=2000), load_default="")
    hours = fields.Float(allow_none=True, validate=validate.Range(0, 1000), load_default=None)
    people = fields.Integer(strict=True, allow_none=True, validate=validate.Range(1, 500), load_default=None)
    performed_by_id = Id(allow_none=True, load_default=None,
                         metadata={"description": "Coordinator only: the member who did the work"})


class DeviationFix(Strict):
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                         metadata={"description": "What was done"})


class DeviationStatusChange(Strict):
    status = fields.String(required=True, validate=validate.OneOf(("verified", "reopened")))
    note = fields.String(validate=validate.Length(max=2000), load_default="",
                         metadata={"description": "Required when reopening: why"})


class InspectionResultCreate(Strict):
    site_id = Id(required=True)
    result = fields.String(required=True, validate=validate.OneOf(INSPECTION_RESULTS))
    notes = fields.String(validate=validate.Length(max=5000), load_default="")
    fix_by_on = fields.Date(allow_none=True, load_default=None)


class InspectionCreate(Strict):
    agreement_id = Id(required=True)
    inspected_on = fields.Date(required=True)
    notes = fields.String(validate=validate.Length(max=5000), load_default="")
    results = fields.List(fields.Nested(InspectionResultCreate), required=True,
                          validate=validate.Length(min=1, max=500))


def _always_present(*schemas: type[Schema]) -> None:
    """A response carries every field of its schema (null where there is no value), so the OpenAPI document lists them
    all as `required` — and a response that leaves one out breaks the schema (Schemathesis checks that)."""
    for schema in schemas:
        for field in schema._declared_fields.values():
            field.required = True


_always_present(*(value for name, value in list(globals().items())
                  if name.endswith("Schema") and isinstance(value, type) and issubclass(value, Schema)
                  and value is not ProblemSchema))
