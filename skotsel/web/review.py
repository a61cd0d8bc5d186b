"""Uppföljning for municipality staff: the season's compliance tree with a weekly chart and a site map, the overdue
list, and the same numbers as CSV, XLSX and GeoJSON.

Admins and reviewers of the municipality read these pages; anyone signed in without a staff role gets a 404, and
anyone not signed in is sent to the login page. Every number comes from skotsel.services.compliance, which asks the
one status function.
"""
from __future__ import annotations

import csv
import io
import json
import re

import pygal
from flask import Blueprint, Response, abort, current_app, render_template, request, send_file
from flask_babel import get_locale, gettext as _, lazy_gettext as _l, pgettext
from flask_login import current_user
from markupsafe import Markup
from openpyxl import Workbook
from openpyxl.styles import Font
from pygal.style import Style
from sqlalchemy import select

from skotsel.extensions import db, login_manager
from skotsel.models import Municipality, TaskType, Village
from skotsel.models.versions import versions
from skotsel.services import clock, compliance
from skotsel.services.compliance import OPEN_DEVIATION_STATUSES, OVERDUE, SeasonReport
from skotsel.web import current_principal
from skotsel.web.caching import MemoryCache
from skotsel.web.dagbok import safe_cell
from skotsel.web.schedule import OVERDUE_LABEL, STATUS_LABELS, YEARS
from skotsel.web.vocabulary import DEVIATION_STATUS_LABELS, SITE_KIND_LABELS

bp = Blueprint("review", __name__, url_prefix="/review")

LEVEL_LABELS = {"municipality": _l("Kommun"), "village": _l("Ort"), "association": _l("Förening"),
                "agreement": _l("Avtal"), "site": _l("Skötselobjekt"), "task": _l("Skötselmoment")}
STATUS_FILTER_LABELS = {"missed": _l("Med missade tillfällen"), "late": _l("Med tillfällen utförda sent"),
                        "overdue": _l("Med försenade tillfällen"), "deviations": _l("Med öppna avvikelser")}
NO_STATUS_LABEL = _l("Inga tillfällen")


@bp.before_request
def staff_only():
    """Municipality staff only: not signed in → the login page; signed in without a staff role → not found."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_principal().is_staff:
        abort(404)
    return None


def municipality_id() -> int:
    return current_principal().home_municipality_id


def status_label(key: str | None) -> str:
    """The glossary's word for a status key of skotsel.services.compliance."""
    if key is None:
        return str(NO_STATUS_LABEL)
    if key == OVERDUE:
        return str(OVERDUE_LABEL)
    return str(next(label for status, label in STATUS_LABELS.items() if status.value == key))


def rate_text(rate: float | None) -> str:
    return "–" if rate is None else f"{round(rate * 100)} %"


@bp.app_template_filter("review_rate")
def _rate_filter(rate):
    return rate_text(rate)


def _year() -> int:
    raw = request.args.get("year", "").strip()
    if not raw:
        return clock.today().year
    if not raw.isdigit() or int(raw) not in YEARS:
        abort(400)
    return int(raw)


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _filters() -> dict:
    kind = request.args.get("kind") or None
    status = request.args.get("status") or None
    return {
        "village_id": _int_arg("village"),
        "site_kind": kind if kind in SITE_KIND_LABELS else None,
        "task_type_id": _int_arg("task_type"),
        "status": status if status in compliance.STATUS_FILTERS else None,
    }


def _report(year: int, *, with_filters: bool = True, sort: str = "name") -> SeasonReport:
    municipality = db.session.get(Municipality, municipality_id())
    return compliance.season_report(municipality_id=municipality.id, municipality_name=municipality.name, year=year,
                                    today=clock.today(), sort=sort, **(_filters() if with_filters else {}))


# --- the dashboard -------------------------------------------------------------------------------------------


def chart_svg(weeks) -> Markup:
    """The on-time rate per ISO week as an inline SVG: rendered here, no script, no outside reference."""
    style = Style(background="transparent", plot_background="transparent", font_family="inherit",
                  colors=("#1d6b3a",))
    chart = pygal.Bar(js=[], style=style, show_legend=False, range=(0, 100), width=800, height=320,
                      disable_xml_declaration=True, explicit_size=False, print_values=False,
                      title=_("Andel i tid per vecka (%)"), y_title="%", x_title=_("Vecka"))
    chart.x_labels = [str(week) for week, _result in weeks]
    chart.add(_("Andel i tid"), [round(result.rate * 100) for _week, result in weeks])
    svg = chart.render(is_unicode=True)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)  # pygal's comments name its web site
    # pygal writes its configuration for its (disabled) tooltips script as an inline script: no script on the page.
    svg = re.sub(r"<script\b.*?</script>", "", svg, flags=re.S)
    svg = svg.replace("<svg ", '<svg role="img" aria-labelledby="chart-title" ', 1)
    svg = re.sub(r"(<svg[^>]*>)", r'\1<title id="chart-title">' + _("Andel i tid per vecka") + "</title>", svg,
                 count=1)
    return Markup(svg)


def _map_markers(sites) -> str:
    markers = []
    for site, node in sites:
        if site.lat is None or site.lon is None:
            continue
        key = node.worst if node else None
        markers.append({"lat": site.lat, "lon": site.lon, "name": site.name, "status": key or "none",
                        "label": status_label(key)})
    return json.dumps(markers, ensure_ascii=False)


#: Rendered dashboard contents kept per process (a municipality's season is some 100 kB of HTML).
PAGE_CACHE_BYTES = 32 * 1024 * 1024
pages = MemoryCache(PAGE_CACHE_BYTES)


@bp.route("/")
def dashboard():
    year = _year()
    sort = request.args.get("sort") or "name"
    column, descending = compliance.parse_sort(sort)
    filters = _filters()
    # Everything the content is built from; a change to the municipality's data raises its version, so a new key.
    municipality = municipality_id()
    key = repr((municipality, versions([municipality])[municipality], year, column, descending,
                sorted(filters.items()), clock.today().isoformat(), str(get_locale())))
    content = pages.get(key)
    if content is None:
        content = Markup(_dashboard_content(year, sort, column, descending, filters))
        pages.put(key, content, len(content))
    return render_template("review/dashboard.html", year=year, content=content)


def _dashboard_content(year: int, sort: str, column: str, descending: bool, filters: dict) -> str:
    report = _report(year, sort=sort)
    all_sites = compliance.municipality_sites(municipality_id())
    site_rows = compliance.site_statuses(report, all_sites)
    if any(value is not None for value in filters.values()):
        shown = {node.obj.id for _depth, node in report.root.walk() if node.level == "site"}
        site_rows = [(site, node) for site, node in site_rows if site.id in shown]
    villages = db.session.scalars(select(Village).where(Village.municipality_id == municipality_id())
                                  .order_by(Village.name)).all()
    task_types = db.session.scalars(select(TaskType).where(TaskType.municipality_id == municipality_id())
                                    .order_by(TaskType.name_sv)).all()
    config = current_app.config
    return render_template(
        "review/dashboard_content.html", report=report, year=year, rows=list(report.root.walk()), filters=filters,
        sort_column=column, sort_descending=descending, villages=villages, task_types=task_types,
        site_rows=site_rows, markers=_map_markers(site_rows), chart=chart_svg(report.weeks) if report.weeks else None,
        level_labels=LEVEL_LABELS, status_filter_labels=STATUS_FILTER_LABELS, status_label=status_label,
        deviation_status_labels=DEVIATION_STATUS_LABELS, open_deviation_statuses=OPEN_DEVIATION_STATUSES,
        tile_url=config.get("TILE_URL"), tile_attribution=config.get("TILE_ATTRIBUTION"),
    )


@bp.route("/overdue")
def overdue():
    today = clock.today()
    items = compliance.overdue(municipality_id=municipality_id(), today=today)
    return render_template("review/dashboard_overdue.html", items=items, today=today, status_label=status_label,
                           overdue_key=OVERDUE)


# --- exports -------------------------------------------------------------------------------------------------


def export_header() -> list[str]:
    return [_("Ort"), _("Förening"), pgettext("singular", "Avtal"), pgettext("singular", "Skötselobjekt"),
            pgettext("singular", "Skötselmoment"), _("Förfallna hittills"), _("Utförda i tid"), _("Utförda sent"),
            _("Missade"), _("Strukna"), _("Andel i tid (%)"), _("Öppna avvikelser för momentet"),
            *(_("Skötselobjektets avvikelser: %(status)s", status=DEVIATION_STATUS_LABELS[status])
              for status in OPEN_DEVIATION_STATUSES)]


def export_rows(report: SeasonReport) -> list[list]:
    """One row per agreed task, in the tree's order; the rate as a whole percentage (empty when nothing is due).

    Deviations raised for one of the task's occurrences count for the task; the last three columns are all open
    deviations of the site under the agreement (also those from inspections and residents' reports), by status.
    """
    rows = []
    site_node = None
    for _depth, node in report.root.walk():
        if node.level == "site":
            site_node = node
        if node.level != "task":
            continue
        task = node.obj
        site, agreement = task.site, task.agreement
        c = node.compliance
        rows.append([site.village.name if site.village else "", agreement.association.name, agreement.title,
                     site.name, task.task_type.name_sv, node.due_so_far, c.on_time, c.late, c.missed, c.excused,
                     None if c.rate is None else round(c.rate * 100), node.open_deviations,
                     *(site_node.deviations[status] for status in OPEN_DEVIATION_STATUSES)])
    return rows


def _download_name(year: int, extension: str) -> str:
    return f"uppfoljning-{year}.{extension}"


@bp.route("/compliance.csv")
def compliance_csv():
    year = _year()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in export_header()])
    for row in export_rows(_report(year)):
        writer.writerow([safe_cell(cell) if isinstance(cell, str) else ("" if cell is None else cell) for cell in row])
    return send_file(io.BytesIO(out.getvalue().encode("utf-8-sig")), mimetype="text/csv", as_attachment=True,
                     download_name=_download_name(year, "csv"))


@bp.route("/compliance.xlsx")
def compliance_xlsx():
    year = _year()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(year)
    sheet.append(export_header())
    for row in export_rows(_report(year)):
        # Text is stored as text, never as a formula, even when it starts with "=".
        sheet.append([safe_cell(cell) if isinstance(cell, str) else cell for cell in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return send_file(out, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     as_attachment=True, download_name=_download_name(year, "xlsx"))


@bp.route("/sites.geojson")
def sites_geojson():
    year = _year()
    report = _report(year, with_filters=False)
    features = []
    for site, node in compliance.site_statuses(report, compliance.municipality_sites(municipality_id())):
        features.append({
            "type": "Feature",
            "id": site.id,
            "geometry": site.geometry,
            "properties": {
                "name": site.name,
                "kind": site.kind,
                "village": site.village.name if site.village else None,
                "association": site.association.name if site.association else None,
                "worst_status": node.worst if node else None,
                "on_time_rate": None if node is None or node.rate is None else round(node.rate, 4),
            },
        })
    body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
    return Response(body, mimetype="application/geo+json",
                    headers={"Content-Disposition": f'attachment; filename="{_download_name(year, "geojson")}"'})
