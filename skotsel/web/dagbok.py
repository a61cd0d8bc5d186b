"""Skötseldagbok pages: one agreement's season log as a printable page, a CSV for Swedish Excel and a PDF the
association hands in with its claim for compensation.

Staff of the municipality and people in the agreement's association read it; the agreement is loaded through the
access helper, so anyone else gets a 404 for the page, the CSV and the PDF alike.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask import Blueprint, render_template, request, send_file, url_for
from flask_babel import get_locale, gettext as _, pgettext
from flask_login import current_user
from fpdf import FPDF
from fpdf.fonts import FontFace
from werkzeug.routing import BuildError

from skotsel.extensions import login_manager
from skotsel.models import Agreement, Completion
from skotsel.services import clock
from skotsel.services.access import load
from skotsel.services.dagbok import Entry, SeasonLog, Totals, agreement_years, person_hours, season_log
from skotsel.web import current_principal
from skotsel.web.schedule import YEARS, status_class, status_word
from skotsel.web.vocabulary import number

bp = Blueprint("dagbok", __name__, url_prefix="/dagbok")

#: Cells that Excel (or LibreOffice) would read as a formula; such text is prefixed with a quote (OWASP CSV
#: injection), so a note "=HYPERLINK(…)" stays a note.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class BadYear(Exception):
    """`?year=` names no season of the agreement; shown as a 400 page with the reason in words."""

    def __init__(self, reason: str, back_url: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.back_url = back_url


@bp.before_request
def signed_in_only():
    """The log is for people who sign in; everyone else is sent to the login page first."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.errorhandler(BadYear)
def bad_year(error: BadYear):
    return render_template("dagbok/bad_request.html", reason=error.reason, back_url=error.back_url), 400


def _year(agreement: Agreement, today: date) -> int:
    """`?year=2026`; by default this year, or the nearest year of the agreement period when it is not in it."""
    years = agreement_years(agreement)
    back_url = url_for("dagbok.show", agreement_id=agreement.id)
    text = request.args.get("year", "").strip()
    if not text:
        return min(max(today.year, years[0]), years[-1])
    if not re.fullmatch(r"[0-9]{4}", text) or int(text) not in YEARS:
        raise BadYear(_("Ange året med fyra siffror, t.ex. %(year)s.", year=years[0]), back_url)
    if int(text) not in years:
        raise BadYear(_("Avtalet gäller %(starts)s – %(ends)s. Välj ett år från %(first)s till %(last)s.",
                        starts=agreement.starts_on.isoformat(), ends=agreement.ends_on.isoformat(),
                        first=years[0], last=years[-1]), back_url)
    return int(text)


def _log(agreement_id: int) -> SeasonLog:
    principal = current_principal()
    agreement = load(principal, Agreement, agreement_id)
    today = clock.today()
    return season_log(principal=principal, agreement=agreement, year=_year(agreement, today), today=today)


# --- words shared by the page, the CSV and the PDF -----------------------------------------------------------


def who(completion: Completion) -> str:
    """The person who did the work; "för X av Y" when a coordinator logged it on behalf of a member."""
    name = completion.user.name if completion.user else _("okänd")
    if completion.recorded_by_id is not None and completion.recorded_by_id != completion.user_id:
        recorder = completion.recorded_by.name if completion.recorded_by else _("okänd")
        return _("för %(member)s av %(recorder)s", member=name, recorder=recorder)
    return name


def entry_status(entry: Entry) -> str:
    return status_word(entry.state) if entry.state else _("Utanför schemat")


def entry_class(entry: Entry) -> str:
    return status_class(entry.state) if entry.state else "status-ad-hoc"


def task_name(entry: Entry) -> str:
    if entry.task_type is None:
        return ""
    name = entry.task_type.name(_locale())
    return _("%(task)s (utförs av kommunen)", task=name) if entry.performed_by_municipality else name


def rate_text(totals: Totals) -> str:
    """"60 % (3 av 5)", or a dash while nothing has come due; the percentage rounded half up."""
    on_time, counted = totals.compliance.on_time, totals.compliance.counted
    if not counted:
        return "–"
    percent = (Decimal(on_time) * 100 / counted).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return _("%(percent)s %% (%(on_time)s av %(counted)s)", percent=percent, on_time=on_time, counted=counted)


def totals_rows(totals: Totals) -> list[tuple[str, str]]:
    """The totals as label/value pairs, in the order the page shows them."""
    c = totals.compliance
    rows = [
        (_("Tillfällen under säsongen"), str(totals.occurrences)),
        (_("Tillfällen hittills (utförda, missade eller strukna)"), str(totals.due_so_far)),
        (_("Utförda i tid"), str(c.on_time)),
        (_("Utförda sent"), str(c.late)),
        (_("Missade"), str(c.missed)),
        (_("Strukna"), str(c.excused)),
        (_("Öppna (kommande eller att göra)"), str(c.open)),
        (_("Andel i tid"), rate_text(totals)),
        (_("Timmar"), number(totals.hours)),
    ]
    if totals.has_people:
        rows.append((_("Persontimmar"), number(totals.person_hours)))
    rows += [
        (_("Utföranden"), str(totals.completions)),
        (_("varav utanför schemat"), str(totals.ad_hoc)),
        (_("Foton"), str(totals.photos)),
    ]
    return rows


def photo_thumbnail_url(photo_id: int) -> str:
    """The thumbnail route of the photos blueprint (which checks access again when the image is fetched)."""
    try:
        return url_for("photos.thumbnail", photo_id=photo_id)
    except BuildError:
        return f"/photos/{photo_id}/thumb"


def photo_url(photo_id: int) -> str:
    """The photo itself, for the link around its thumbnail."""
    try:
        return url_for("photos.show", photo_id=photo_id)
    except BuildError:
        return f"/photos/{photo_id}"


def _locale() -> str:
    return str(get_locale())


def _file_name(log: SeasonLog, extension: str) -> str:
    plain = "".join(char for char in unicodedata.normalize("NFKD", log.agreement.title.lower())
                    if not unicodedata.combining(char))
    slug = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")
    return f"skotseldagbok-{slug or log.agreement.id}-{log.year}.{extension}"


# --- the page ------------------------------------------------------------------------------------------------


@bp.route("/agreements/<int:agreement_id>")
def show(agreement_id: int):
    log = _log(agreement_id)
    agreement = log.agreement
    principal = current_principal()
    if agreement.municipality_id in principal.staff_of:
        home_link = url_for("admin.agreement_detail", agreement_id=agreement.id)
    else:
        home_link = url_for("association.agreement", association_id=agreement.association_id,
                            agreement_id=agreement.id)
    return render_template(
        "dagbok/show.html", log=log, years=agreement_years(agreement), home_link=home_link,
        totals_rows=totals_rows, who=who, entry_status=entry_status, entry_class=entry_class, task_name=task_name,
        photo_thumbnail_url=photo_thumbnail_url, photo_url=photo_url, person_hours=person_hours,
    )


# --- CSV -----------------------------------------------------------------------------------------------------


def safe_cell(value: str) -> str:
    """Text as a spreadsheet shows it, never run as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def decimal_comma(value: Decimal | None) -> str:
    """2.50 → "2,5": the decimal comma Swedish Excel reads as a number; no thousands separator."""
    if value is None:
        return ""
    text = format(Decimal(value).quantize(Decimal("0.01")), "f")
    return text.rstrip("0").rstrip(".").replace(".", ",") if "." in text else text


def csv_header() -> list[str]:
    return [pgettext("singular", "Skötselobjekt"), pgettext("singular", "Skötselmoment"), _("Förfallodag"),
            _("Status"), _("Utförd"), _("Utförd av"), _("Registrerad av"), _("Timmar"), _("Personer"),
            _("Persontimmar"), _("Anteckningar"), _("Foton")]


def csv_rows(log: SeasonLog) -> list[list[str]]:
    """One row per completion, and one for each occurrence without a completion."""
    rows = []
    for entry in log.entries:
        due_on = entry.state.occurrence.due_on.isoformat() if entry.state else ""
        first = [entry.site.name, task_name(entry), due_on, entry_status(entry)]
        if not entry.completions:
            rows.append(first + [""] * 8)
        for completion in entry.completions:
            on_behalf = completion.recorded_by_id is not None and completion.recorded_by_id != completion.user_id
            rows.append(first + [
                completion.completed_on.isoformat(),
                completion.user.name if completion.user else "",
                (completion.recorded_by.name if completion.recorded_by else "") if on_behalf else "",
                decimal_comma(completion.hours),
                str(completion.people) if completion.people else "",
                decimal_comma(person_hours(completion)) if completion.hours is not None else "",
                completion.notes or "",
                str(len(completion.photos)),
            ])
    return [[safe_cell(cell) for cell in row] for row in rows]


def build_csv(log: SeasonLog) -> bytes:
    """UTF-8 with a byte order mark (so Excel reads å, ä and ö), `;` between fields as Swedish Excel expects."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in csv_header()])
    writer.writerows(csv_rows(log))
    return out.getvalue().encode("utf-8-sig")


@bp.route("/agreements/<int:agreement_id>.csv", endpoint="csv")
def csv_file(agreement_id: int):
    log = _log(agreement_id)
    return send_file(io.BytesIO(build_csv(log)), mimetype="text/csv", as_attachment=True,
                     download_name=_file_name(log, "csv"))


# --- PDF -----------------------------------------------------------------------------------------------------

#: What the core font Helvetica (latin-1) cannot show, in the nearest characters it can.
LATIN1_REPLACEMENTS = {
    "–": "-", "—": "-", "‒": "-", "−": "-", "‐": "-", "‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"',
    "…": "...", "•": "-", "→": "->", "←": "<-", "⚠": "!", "✓": "v", "€": "EUR", "\u00a0": " ", "\u202f": " ",
    "\u2009": " ", "\u200b": "",
}


def latin1(text: object) -> str:
    """Text the core font can draw: common typography replaced, anything else outside latin-1 as "?"."""
    text = unicodedata.normalize("NFC", str(text))
    text = "".join(LATIN1_REPLACEMENTS.get(char, char) for char in text)
    text = "".join(" " if unicodedata.category(char) == "Cc" and char != "\n" else char for char in text)
    return text.encode("latin-1", "replace").decode("latin-1")


class LogPdf(FPDF):
    """A4 landscape with the page number in the footer."""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.set_text_color(90, 90, 90)
        # "{nb}" is fpdf2's alias for the page count, filled in when the document is finished.
        self.cell(0, 6, latin1(_("Sida %(page)s av %(pages)s", page=self.page_no(), pages="{nb}")), align="C")


def pdf_title(log: SeasonLog) -> str:
    return _("Skötseldagbok %(title)s %(year)s", title=log.agreement.title, year=log.year)


def _summary_values(totals: Totals) -> list[str]:
    c = totals.compliance
    return [str(totals.occurrences), str(totals.due_so_far), str(c.on_time), str(c.late), str(c.missed),
            str(c.excused), str(c.open), rate_text(totals), number(totals.hours),
            number(totals.person_hours) if totals.has_people else "-", str(totals.completions), str(totals.photos)]


def _pdf_summary(pdf: FPDF, log: SeasonLog) -> None:
    """One table of the totals: a row per site and one for the whole agreement."""
    headings = [pgettext("singular", "Skötselobjekt"), _("Tillfällen"), _("Hittills"), _("I tid"), _("Sent"),
                _("Missade"), _("Strukna"), _("Öppna"), _("Andel i tid"), _("Timmar"), _("Persontimmar"),
                _("Utföranden"), _("Foton")]
    style = FontFace(emphasis="BOLD", fill_color=(230, 238, 232))
    with pdf.table(col_widths=(50, 17, 15, 13, 13, 15, 15, 14, 28, 16, 24, 19, 13), headings_style=style,
                   text_align=("LEFT",) + ("RIGHT",) * 12, line_height=5, padding=1) as table:
        row = table.row()
        for heading in headings:
            row.cell(latin1(heading))
        for site_log in log.sites:
            row = table.row()
            for value in [site_log.site.name, *_summary_values(site_log.totals)]:
                row.cell(latin1(value))
        row = table.row(style=FontFace(emphasis="BOLD"))
        for value in [_("Hela avtalet"), *_summary_values(log.totals)]:
            row.cell(latin1(value))


#: Widths in mm of the columns of a site's table (the landscape text width is 277 mm).
PDF_COLUMN_WIDTHS = (22, 45, 27, 22, 40, 15, 16, 12, 78)


def _pdf_entries(pdf: FPDF, entries: list[Entry]) -> None:
    headings = [_("Förfallodag"), pgettext("singular", "Skötselmoment"), _("Status"), _("Utförd"), _("Utförd av"),
                _("Timmar"), _("Personer"), _("Foton"), _("Anteckningar")]
    style = FontFace(emphasis="BOLD", fill_color=(230, 238, 232))
    with pdf.table(col_widths=PDF_COLUMN_WIDTHS, headings_style=style, line_height=5, padding=1, text_align="LEFT",
                   repeat_headings=1) as table:
        row = table.row()
        for heading in headings:
            row.cell(latin1(heading))
        for entry in entries:
            due_on = entry.state.occurrence.due_on.isoformat() if entry.state else ""
            for completion in entry.completions or [None]:
                row = table.row()
                row.cell(due_on)
                row.cell(latin1(task_name(entry) or "-"))
                row.cell(latin1(entry_status(entry)))
                if completion is None:
                    for _index in range(6):
                        row.cell("")
                    continue
                row.cell(completion.completed_on.isoformat())
                row.cell(latin1(who(completion)))
                row.cell(latin1(number(completion.hours)) if completion.hours is not None else "", align="RIGHT")
                row.cell(str(completion.people) if completion.people else "", align="RIGHT")
                row.cell(str(len(completion.photos)) if completion.photos else "", align="RIGHT")
                row.cell(latin1(completion.notes or ""))


def build_pdf(log: SeasonLog, *, compress: bool = True) -> bytes:
    """The log as an A4 landscape PDF: title, association, period, the totals, then a table per site."""
    pdf = LogPdf(orientation="L", unit="mm", format="A4")
    pdf.set_compression(compress)
    pdf.set_title(latin1(pdf_title(log)))
    pdf.set_creator("skotsel")
    pdf.set_auto_page_break(True, margin=15)
    pdf.set_margins(10, 10, 10)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 8, latin1(pdf_title(log)), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    pdf.multi_cell(0, 5.5, latin1(_("Förening: %(name)s", name=log.agreement.association.name)),
                   new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 5.5, latin1(_("Period: %(starts)s – %(ends)s (tillfällen med förfallodag under %(year)s)",
                                    starts=log.starts_on.isoformat(), ends=log.ends_on.isoformat(), year=log.year)),
                   new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 5.5, latin1(_("Status per %(day)s. Andel i tid är utförda i tid ÷ (tillfällen hittills − "
                                    "strukna). Persontimmar är timmar × personer; utan angivet antal räknas en "
                                    "person.", day=log.today.isoformat())),
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 7, latin1(_("Summering")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    _pdf_summary(pdf, log)
    for site_log in log.sites:
        pdf.ln(6)
        if pdf.will_page_break(30):  # a site's heading starts on the page its table starts on
            pdf.add_page()
        pdf.set_font("Helvetica", "B", 13)
        pdf.multi_cell(0, 7, latin1(site_log.site.name), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=9)
        if site_log.entries:
            _pdf_entries(pdf, site_log.entries)
        else:
            pdf.cell(0, 6, latin1(_("Inga tillfällen eller utföranden under %(year)s.", year=log.year)),
                     new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


@bp.route("/agreements/<int:agreement_id>.pdf", endpoint="pdf")
def pdf_file(agreement_id: int):
    log = _log(agreement_id)
    return send_file(io.BytesIO(build_pdf(log)), mimetype="application/pdf", as_attachment=True,
                     download_name=_file_name(log, "pdf"))
