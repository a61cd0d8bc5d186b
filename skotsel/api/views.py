"""The API's endpoints. Every object is read through skotsel.services.access (invisible → 404) and every write goes
through the same service as the web page that does it."""
from __future__ import annotations

import hashlib
import hmac
import json
from collections import defaultdict
from datetime import date
from http import HTTPStatus
from urllib.parse import urlencode

from flask import Response, current_app, g, request, url_for
from flask_smorest import Blueprint
from marshmallow import RAISE
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from skotsel.api import schemas as s
from skotsel.api.problems import problem
from skotsel.domain import deviations as flow
from skotsel.domain import schedule as plan
from skotsel.extensions import db
from skotsel.models import AgreedTask, Agreement, Completion, Deviation, Inspection, Municipality, Occurrence, Site
from skotsel.models.api import IdempotencyRecord
from skotsel.services import clock, completions, compliance, deviations, inspections
from skotsel.services.access import Forbidden, NotFound, load, visible
from skotsel.services.schedule import OccurrenceState, states

bp = Blueprint("api", __name__, url_prefix="/api/v1",
               description="Skötselavtal, skötselobjekt, tillfällen, utföranden, avvikelser och besiktningar")

#: With a status filter the occurrences are read this many at a time (the status is computed, not stored).
STATUS_CHUNK = 500
MAX_STATUS_SPAN_DAYS = 366


def _principal():
    return g.api_principal


def problems(*codes):
    """Document the problem+json responses an endpoint can give (401 and 429 always)."""
    def decorate(view):
        for code in sorted({401, 429, *codes}, reverse=True):
            view = bp.alt_response(code, response=HTTPStatus(code).name)(view)
        return view
    return decorate


def _page(query, model, args) -> tuple[list, int | None]:
    """One page of `query` in id order after the cursor, and the cursor of the next page."""
    limit = args["limit"]
    rows = list(db.session.scalars(query.where(model.id > args["after"]).order_by(model.id).limit(limit + 1))
                .unique())
    return _cut(rows, limit, lambda row: row.id)


def _cut(rows: list, limit: int, id_of) -> tuple[list, int | None]:
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, id_of(rows[-1])
    return rows, None


def _envelope(items: list, next_after: int | None, args) -> dict:
    if next_after is not None:
        # The query is encoded as given (not passed to url_for, where "endpoint" or "_anchor" mean something else).
        query = [(key, value) for key, value in request.args.items(multi=True) if key != "after"]
        g.api_next_link = f"{request.path}?{urlencode([*query, ('after', next_after)])}"
    return {"items": items, "next_after": next_after, "limit": args["limit"]}


@bp.after_request
def _link_header(response: Response) -> Response:
    link = g.pop("api_next_link", None)
    if link:
        response.headers["Link"] = f'<{link}>; rel="next"'
    response.headers["Cache-Control"] = "no-store"
    return response


# --- agreements -------------------------------------------------------------------------------------------------


@bp.route("/agreements")
@bp.arguments(s.AgreementArgs, location="query", unknown=RAISE)
@bp.response(200, s.page_of(s.AgreementSchema, "AgreementPage"))
@problems(422)
def list_agreements(args):
    """Skötselavtal the caller may read"""
    query = visible(_principal(), Agreement)
    if "association_id" in args:
        query = query.where(Agreement.association_id == args["association_id"])
    if "status" in args:
        query = query.where(Agreement.status == args["status"])
    return _envelope(*_page(query, Agreement, args), args)


@bp.route("/agreements/<int:agreement_id>")
@bp.response(200, s.AgreementSchema)
@problems(404)
def get_agreement(agreement_id: int):
    """One skötselavtal"""
    return load(_principal(), Agreement, agreement_id)


# --- sites ------------------------------------------------------------------------------------------------------


def _site_query(args):
    query = visible(_principal(), Site)
    for name in ("association_id", "village_id", "kind"):
        if name in args:
            query = query.where(getattr(Site, name) == args[name])
    return query


@bp.route("/sites")
@bp.arguments(s.SiteArgs, location="query", unknown=RAISE)
@bp.response(200, s.page_of(s.SiteSchema, "SitePage"))
@problems(422)
def list_sites(args):
    """Skötselobjekt the caller may read"""
    return _envelope(*_page(_site_query(args), Site, args), args)


def _feature(site: Site) -> dict:
    return {"type": "Feature", "id": site.id, "geometry": site.geometry,
            "properties": {"name": site.name, "kind": site.kind, "village_id": site.village_id,
                           "association_id": site.association_id, "area_m2": site.area_m2}}


@bp.route("/sites.geojson")
@bp.arguments(s.SiteArgs, location="query", unknown=RAISE)
@bp.response(200, s.FeatureCollectionSchema, content_type="application/geo+json",
             description="A GeoJSON FeatureCollection (RFC 7946), one page of sites")
@problems(422)
def sites_geojson(args):
    """Skötselobjekt as GeoJSON"""
    sites, next_after = _page(_site_query(args), Site, args)
    envelope = _envelope([], next_after, args)
    body = {"type": "FeatureCollection", "features": [_feature(site) for site in sites],
            "next_after": envelope["next_after"]}
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/geo+json")


@bp.route("/sites/<int:site_id>")
@bp.response(200, s.SiteSchema)
@problems(404)
def get_site(site_id: int):
    """One skötselobjekt"""
    return load(_principal(), Site, site_id)


# --- agreed tasks -----------------------------------------------------------------------------------------------


@bp.route("/agreed-tasks")
@bp.arguments(s.AgreedTaskArgs, location="query", unknown=RAISE)
@bp.response(200, s.page_of(s.AgreedTaskSchema, "AgreedTaskPage"))
@problems(422)
def list_agreed_tasks(args):
    """Agreed tasks (the agreed level per site and task type)"""
    query = (visible(_principal(), AgreedTask).join(AgreedTask.agreement)
             .options(contains_eager(AgreedTask.agreement), joinedload(AgreedTask.task_type)))
    if "agreement_id" in args:
        query = query.where(AgreedTask.agreement_id == args["agreement_id"])
    if "site_id" in args:
        query = query.where(AgreedTask.site_id == args["site_id"])
    if "association_id" in args:
        query = query.where(Agreement.association_id == args["association_id"])
    return _envelope(*_page(query, AgreedTask, args), args)


@bp.route("/agreed-tasks/<int:task_id>")
@bp.response(200, s.AgreedTaskSchema)
@problems(404)
def get_agreed_task(task_id: int):
    """One agreed task"""
    return load(_principal(), AgreedTask, task_id)


# --- occurrences ------------------------------------------------------------------------------------------------


def _occurrence(state: OccurrenceState) -> dict:
    occurrence = state.occurrence
    task = occurrence.agreed_task
    return {
        "id": occurrence.id, "agreed_task_id": task.id, "agreement_id": task.agreement_id,
        "association_id": task.agreement.association_id, "site_id": task.site_id, "task_type_id": task.task_type_id,
        "planned_on": occurrence.planned_on, "due_on": occurrence.due_on,
        "window_starts_on": occurrence.window_starts_on, "status": state.status.value, "overdue": state.overdue,
        "on_time_until": state.on_time_until, "completed_on": state.completed_on,
        "excused_reason": occurrence.excused_reason, "moved_reason": occurrence.moved_reason,
    }


def _status_matches(state: OccurrenceState, wanted: str) -> bool:
    if wanted == "overdue":
        return state.overdue
    return state.status.value == wanted


@bp.route("/occurrences")
@bp.arguments(s.OccurrenceArgs, location="query", unknown=RAISE)
@bp.response(200, s.page_of(s.OccurrenceSchema, "OccurrencePage"))
@problems(422)
def list_occurrences(args):
    """Tillfällen, filtered by due date, status today, site, association, agreement or agreed task"""
    today = clock.today()
    query = (visible(_principal(), Occurrence).join(Occurrence.agreed_task).join(AgreedTask.agreement)
             .options(contains_eager(Occurrence.agreed_task).contains_eager(AgreedTask.agreement)))
    first, last = args.get("from_"), args.get("to")
    if "status" in args:
        first = first or date(today.year, 1, 1)
        last = last or max(first, date(today.year, 12, 31))
        if (last - first).days > MAX_STATUS_SPAN_DAYS:
            return problem(422, f"Med status får from–to omfatta högst {MAX_STATUS_SPAN_DAYS} dagar.",
                           f"With a status, from–to may span at most {MAX_STATUS_SPAN_DAYS} days.",
                           errors={"to": ["range too long"]})
    if first is not None:
        query = query.where(Occurrence.due_on >= first)
    if last is not None:
        query = query.where(Occurrence.due_on <= last)
    for name, column in (("site_id", AgreedTask.site_id), ("association_id", Agreement.association_id),
                         ("agreement_id", AgreedTask.agreement_id), ("agreed_task_id", Occurrence.agreed_task_id)):
        if name in args:
            query = query.where(column == args[name])
    limit = args["limit"]
    if "status" not in args:
        rows, next_after = _page(query, Occurrence, args)
        return _envelope([_occurrence(state) for state in states(rows, today=today)], next_after, args)
    found: list[OccurrenceState] = []
    after = args["after"]
    while len(found) <= limit:
        chunk = list(db.session.scalars(query.where(Occurrence.id > after).order_by(Occurrence.id)
                                        .limit(STATUS_CHUNK)).unique())
        if not chunk:
            break
        found.extend(state for state in states(chunk, today=today) if _status_matches(state, args["status"]))
        after = chunk[-1].id
    found, next_after = _cut(found, limit, lambda state: state.occurrence.id)
    return _envelope([_occurrence(state) for state in found], next_after, args)


@bp.route("/occurrences/<int:occurrence_id>")
@bp.response(200, s.OccurrenceSchema)
@problems(404)
def get_occurrence(occurrence_id: int):
    """One tillfälle with its status today"""
    occurrence = load(_principal(), Occurrence, occurrence_id)
    return _occurrence(states([occurrence], today=clock.today())[0])


# --- completions ------------------------------------------------------------------------------------------------


@bp.route("/completions")
@bp.arguments(s.CompletionArgs, location="query", unknown=RAISE)
@bp.response(200, s.page_of(s.CompletionSchema, "CompletionPage"))
@problems(422)
def list_completions(args):
    """Utföranden (logged work) the caller may read"""
    query = visible(_principal(), Completion)
    if args.get("from_") is not None:
        query = query.where(Completion.completed_on >= args["from_"])
    if args.get("to") is not None:
        query = query.where(Completion.completed_on <= args["to"])
    for name in ("site_id", "association_id", "occurrence_id"):
        if name in args:
            query = query.where(getattr(Completion, name) == args[name])
    return _envelope(*_page(query, Completion, args), args)


@bp.route("/completions/<int:completion_id>")
@bp.response(200, s.CompletionSchema)
@problems(404)
def get_completion(completion_id: int):
    """One utförande"""
    return load(_principal(), Completion, completion_id)


def _request_hash() -> str:
    body = request.get_json(silent=True)
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode("utf-8")).hexdigest()


def _submission_key(user_id: int, key: str) -> str:
    """The completion's own submission key for an Idempotency-Key: the service's unique key then also catches two
    copies of the request racing each other. Keyed with SECRET_KEY, so nobody can make (or block) another person's
    key by guessing their Idempotency-Key."""
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return "api" + hmac.new(secret, f"{user_id}:{key}".encode("utf-8"), hashlib.sha256).hexdigest()[:40]


def _replay(record: IdempotencyRecord, request_hash: str) -> Response:
    if record.request_hash != request_hash:
        return problem(422, "Idempotency-Key har redan använts för en annan begäran.",
                       "The Idempotency-Key was already used for a different request.",
                       errors={"Idempotency-Key": ["already used for a different request"]})
    response = Response(json.dumps(record.response_body, ensure_ascii=False), status=record.response_status,
                        mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.route("/completions", methods=["POST"])
@bp.arguments(s.IdempotencyHeader, location="headers")
@bp.arguments(s.CompletionCreate, location="json")
@bp.response(201, s.CompletionSchema, description="Recorded (or, for a retry, the first result again)")
@bp.alt_response(200, schema=s.CompletionSchema,
                 description="The occurrence was already logged: the completion it has")
@problems(403, 404, 409, 415, 422)
def create_completion(headers, data):
    """Record a completion of an occurrence. Send an Idempotency-Key: a retry with the same key and body returns
    the first result and records nothing more; the same key with another body is refused (422)."""
    principal = _principal()
    key = headers["idempotency_key"]
    request_hash = _request_hash()
    record = db.session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.user_id == principal.user_id,
                                                               IdempotencyRecord.key == key))
    if record is not None:
        return _replay(record, request_hash)
    occurrence = load(principal, Occurrence, data["occurrence_id"])
    submission_key = _submission_key(principal.user_id, key)
    logged = completions.record_completion(
        principal=principal, occurrence=occurrence, today=clock.today(),
        completed_on=data.get("completed_on") or clock.today(), notes=data["notes"],
        hours=None if data["hours"] is None else str(data["hours"]), people=data["people"],
        performed_by_id=data["performed_by_id"], submission_key=submission_key)
    completion = logged.completion
    if completion.occurrence_id != occurrence.id:
        # The same key raced in with another occurrence and won: this request is not the one the key stands for.
        return problem(422, "Idempotency-Key har redan använts för en annan begäran.",
                       "The Idempotency-Key was already used for a different request.",
                       errors={"Idempotency-Key": ["already used for a different request"]})
    first = bool(logged.created) or completion.submission_key == submission_key
    status = 201 if first else 200
    body = s.CompletionSchema().dump(completion)
    try:
        db.session.add(IdempotencyRecord(user_id=principal.user_id, key=key, request_hash=request_hash,
                                         response_status=status, response_body=body))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # the same key, sent twice at once: answer with what the first stored
        record = db.session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.user_id == principal.user_id,
                                                                   IdempotencyRecord.key == key))
        if record is not None:
            return _replay(record, request_hash)
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json",
                    headers={"Location": url_for("api.get_completion", completion_id=completion.id)})


# --- deviations -------------------------------------------------------------------------------------------------


def _deviation_query():
    return visible(_principal(), Deviation).options(joinedload(Deviation.agreement))


@bp.route("/deviations")
@bp.arguments(s.DeviationArgs, location="query", unknown=RAISE)
@bp.response(200, s.page_of(s.DeviationSchema, "DeviationPage"))
@problems(422)
def list_deviations(args):
    """Avvikelser the caller may read"""
    query = _deviation_query()
    if "status" in args:
        query = query.where(Deviation.status == args["status"])
    if "site_id" in args:
        query = query.where(Deviation.site_id == args["site_id"])
    if "agreement_id" in args:
        query = query.where(Deviation.agreement_id == args["agreement_id"])
    if "association_id" in args:
        query = query.where(Deviation.agreement_id.in_(
            select(Agreement.id).where(Agreement.association_id == args["association_id"])))
    return _envelope(*_page(query, Deviation, args), args)


@bp.route("/deviations/<int:deviation_id>")
@bp.response(200, s.DeviationSchema)
@problems(404)
def get_deviation(deviation_id: int):
    """One avvikelse"""
    return load(_principal(), Deviation, deviation_id)


@bp.route("/deviations/<int:deviation_id>/fix", methods=["POST"])
@bp.arguments(s.DeviationFix, location="json")
@bp.response(200, s.DeviationSchema)
@problems(403, 404, 409, 415, 422)
def fix_deviation(data, deviation_id: int):
    """Mark a deviation fixed (åtgärdad): the association keeping the site says what it did. On a site no
    association keeps, the municipality does the keeper's step itself."""
    principal = _principal()
    deviation = load(principal, Deviation, deviation_id)
    if deviation.status not in flow.OPEN_STATUSES:
        return problem(409, "Avvikelsen är inte öppen och kan inte markeras som åtgärdad.",
                       "The deviation is not open and cannot be marked as fixed.")
    if deviation.association_id is None:
        deviations.fix_own(principal=principal, deviation=deviation, note=data["note"], now=clock.now())
    else:
        completions.fix_deviation(principal=principal, deviation=deviation, now=clock.now(), today=clock.today(),
                                  note=data["note"])
    return db.session.get(Deviation, deviation_id)


@bp.route("/deviations/<int:deviation_id>/status", methods=["POST"])
@bp.arguments(s.DeviationStatusChange, location="json")
@bp.response(200, s.DeviationSchema)
@problems(403, 404, 409, 415, 422)
def change_deviation_status(data, deviation_id: int):
    """Verify a fixed deviation, or reopen it with a note (municipality admins and reviewers)"""
    principal = _principal()
    deviation = load(principal, Deviation, deviation_id)
    if not (deviation.municipality_id in principal.staff_of):
        raise Forbidden(f"Deviation {deviation_id}")
    action = "verify" if data["status"] == "verified" else "reopen"
    if (deviation.status, action) not in flow.TRANSITIONS:
        return problem(409, f"En avvikelse med status {deviation.status} kan inte få status {data['status']}.",
                       f"A deviation with status {deviation.status} cannot become {data['status']}.")
    change = deviations.verify if action == "verify" else deviations.reopen
    change(principal=principal, deviation=deviation, note=data["note"], now=clock.now())
    return db.session.get(Deviation, deviation_id)


# --- inspections ------------------------------------------------------------------------------------------------


@bp.route("/inspections")
@bp.arguments(s.InspectionArgs, location="query", unknown=RAISE)
@bp.response(200, s.page_of(s.InspectionSchema, "InspectionPage"))
@problems(422)
def list_inspections(args):
    """Besiktningar the caller may read"""
    query = visible(_principal(), Inspection).options(selectinload(Inspection.results))
    if "agreement_id" in args:
        query = query.where(Inspection.agreement_id == args["agreement_id"])
    if args.get("from_") is not None:
        query = query.where(Inspection.inspected_on >= args["from_"])
    if args.get("to") is not None:
        query = query.where(Inspection.inspected_on <= args["to"])
    return _envelope(*_page(query, Inspection, args), args)


@bp.route("/inspections/<int:inspection_id>")
@bp.response(200, s.InspectionSchema)
@problems(404)
def get_inspection(inspection_id: int):
    """One besiktning with its results per site"""
    return load(_principal(), Inspection, inspection_id)


@bp.route("/inspections", methods=["POST"])
@bp.arguments(s.InspectionCreate, location="json")
@bp.response(201, s.InspectionSchema)
@problems(403, 404, 409, 415, 422)
def create_inspection(data):
    """Record an inspection of an agreement's sites (municipality admins and reviewers); a remark or a failure
    raises a deviation for the association to fix"""
    principal = _principal()
    agreement = load(principal, Agreement, data["agreement_id"])
    results = [inspections.SiteResult(site_id=item["site_id"], result=item["result"], notes=item["notes"],
                                      fix_by_on=item["fix_by_on"]) for item in data["results"]]
    if len({item.site_id for item in results}) != len(results):
        return problem(422, "Varje skötselobjekt får bara ett resultat.", "Each site may have one result only.",
                       errors={"results": ["duplicate site_id"]})
    inspection = inspections.record_inspection(principal=principal, agreement=agreement,
                                               inspected_on=data["inspected_on"], notes=data["notes"],
                                               results=results, today=clock.today())
    return db.session.get(Inspection, inspection.id), 201, {
        "Location": url_for("api.get_inspection", inspection_id=inspection.id)}


# --- compliance -------------------------------------------------------------------------------------------------


def _counts(statuses: list, keys: list, due_so_far: int, deviation_counts: dict) -> dict:
    tally = plan.compliance(statuses)
    return {"on_time": tally.on_time, "late": tally.late, "missed": tally.missed, "excused": tally.excused,
            "open": tally.open, "due_so_far": due_so_far, "rate": tally.rate,
            "overdue": keys.count(compliance.OVERDUE), "open_deviations": sum(deviation_counts.values())}


def _rows(report, level: str) -> list[dict]:
    """The report's rows of one level, one per association or agreement (an association in two villages is one
    row)."""
    merged: dict[int, dict] = {}
    for _depth, node in report.root.walk():
        if node.level != level:
            continue
        row = merged.setdefault(node.obj.id, {"name": node.name, "statuses": [], "keys": [], "due": 0,
                                              "deviations": defaultdict(int)})
        row["statuses"].extend(node.statuses)
        row["keys"].extend(node.keys)
        row["due"] += node.due_so_far
        for status, count in node.deviations.items():
            row["deviations"][status] += count
    return [{"level": level, "id": object_id, "name": row["name"], "worst": compliance.worst(row["keys"]),
             **_counts(row["statuses"], row["keys"], row["due"], row["deviations"])}
            for object_id, row in sorted(merged.items(), key=lambda item: (item[1]["name"].casefold(), item[0]))]


@bp.route("/compliance/<int:year>")
@bp.arguments(s.ComplianceArgs, location="query", unknown=RAISE)
@bp.response(200, s.ComplianceSchema)
@problems(404, 422)
def season_compliance(args, year: int):
    """The compliance summary of a season (municipality admins and reviewers): how well the agreed levels are
    kept, in total, per association, per agreement and per ISO week"""
    principal = _principal()
    municipality_id = args.get("municipality_id") or principal.home_municipality_id
    if municipality_id not in principal.staff_of or not 2000 <= year <= 2100:
        raise NotFound("compliance")
    municipality = db.session.get(Municipality, municipality_id)
    today = clock.today()
    report = compliance.season_report(municipality_id=municipality.id, municipality_name=municipality.name,
                                      year=year, today=today)
    root = report.root
    return {
        "year": year, "municipality_id": municipality.id, "today": today,
        "totals": _counts(root.statuses, root.keys, root.due_so_far, root.deviations),
        "associations": _rows(report, "association"),
        "agreements": _rows(report, "agreement"),
        "weeks": [{"week": week, "on_time": tally.on_time, "late": tally.late, "missed": tally.missed,
                   "rate": tally.rate} for week, tally in report.weeks],
    }
