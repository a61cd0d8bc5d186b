"""Säsongsavstämning pages: one agreement's settlement for a year, its decision, and its exports (CSV, XLSX, PDF)
as the basis for payment.

Staff (admin and reviewer) compute, approve and reject; the agreement's association reads it; anyone else gets a
404, since the agreement is loaded through the access helper.
"""
from __future__ import annotations

import csv
import io
import re

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from fpdf import FPDF
from fpdf.fonts import FontFace
from wtforms import TextAreaField
from wtforms.validators import Length

from skotsel.domain.errors import ValidationError
from skotsel.domain.settlement import format_kronor, ore_as_decimal
from skotsel.extensions import login_manager
from skotsel.models import Agreement, Settlement
from skotsel.services import clock
from skotsel.services.access import can_create, can_write, load, require_create
from skotsel.services.settlements import (
    approve_settlement,
    compute_settlement,
    proposal,
    reject_settlement,
    settlement_for,
)
from skotsel.services.signs import latin1
from skotsel.web import current_principal
from skotsel.web.forms import error_message, show_error

bp = Blueprint("settlements", __name__, url_prefix="/settlements")

SETTLEMENT_STATUS_LABELS = {
    "proposed": _l("Förslag"),
    "approved": _l("Godkänd"),
    "rejected": _l("Underkänd"),
}
#: Cells a spreadsheet would run as a formula get a leading quote (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ComputeForm(FlaskForm):
    pass


class ApproveForm(FlaskForm):
    approve_reason = TextAreaField(_l("Motivering (frivillig)"), validators=[Length(max=2000)])


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Motivering"), validators=[Length(max=2000)])


@bp.before_request
def signed_in_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def _year(agreement: Agreement) -> int:
    """`?year=2026`; by default this year, or the nearest year of the agreement. Anything else: 404."""
    text = request.args.get("year", "").strip()
    first, last = agreement.starts_on.year, agreement.ends_on.year
    if not text:
        return min(max(clock.today().year, first), last)
    if not re.fullmatch(r"[0-9]{4}", text) or not first <= int(text) <= last:
        abort(404)
    return int(text)


def _agreement(agreement_id: int) -> tuple[Agreement, int]:
    agreement = load(current_principal(), Agreement, agreement_id)
    return agreement, _year(agreement)


def status_word(status: str) -> str:
    return str(SETTLEMENT_STATUS_LABELS[status])


def _lines(settlement: Settlement | None, preview) -> list[dict]:
    if settlement is not None:
        return settlement.breakdown.get("lines", [])
    return [line.as_dict() for line in preview.lines]


def _page(agreement: Agreement, year: int, *, approve_form=None, reject_form=None, message=None, status=200):
    principal = current_principal()
    settlement = settlement_for(agreement, year)
    preview = counts = None
    if settlement is None:
        preview, counts = proposal(agreement, year, today=clock.today())
    else:
        counts = settlement.breakdown.get("counts", {})
    staff = (can_write(principal, settlement) if settlement is not None
             else can_create(principal, Settlement, municipality_id=agreement.municipality_id))
    years = range(agreement.starts_on.year, agreement.ends_on.year + 1)
    return render_template(
        "settlements/show.html", agreement=agreement, year=year, years=years, settlement=settlement,
        preview=preview, counts=counts, lines=_lines(settlement, preview), staff=staff,
        compute_form=ComputeForm(), approve_form=approve_form or ApproveForm(),
        reject_form=reject_form or RejectForm(), message=message,
        status_word=status_word, kronor=format_kronor,
    ), status


@bp.route("/agreements/<int:agreement_id>", endpoint="show")
def show(agreement_id: int):
    agreement, year = _agreement(agreement_id)
    return _page(agreement, year)


@bp.route("/agreements/<int:agreement_id>/compute", methods=["POST"], endpoint="compute")
def compute(agreement_id: int):
    agreement, year = _agreement(agreement_id)
    principal = current_principal()
    existing = settlement_for(agreement, year)
    if existing is not None:
        load(principal, Settlement, existing.id, "write")
    else:
        require_create(principal, Settlement, municipality_id=agreement.municipality_id)
    if ComputeForm().validate_on_submit():
        try:
            compute_settlement(actor_id=principal.user_id, agreement=agreement, year=year, today=clock.today())
        except ValidationError as error:
            flash(error_message(error), "error")
        else:
            flash(_("Säsongsavstämningen är beräknad."), "success")
    return redirect(url_for("settlements.show", agreement_id=agreement.id, year=year))


def _decide(agreement_id: int, action: str):
    agreement, year = _agreement(agreement_id)
    existing = settlement_for(agreement, year)
    if existing is None:
        abort(404)
    settlement = load(current_principal(), Settlement, existing.id, "write")
    form = ApproveForm() if action == "approve" else RejectForm()
    if not form.validate_on_submit():
        return _page(agreement, year, **{f"{action}_form": form})
    decide = approve_settlement if action == "approve" else reject_settlement
    reason = form.approve_reason.data if action == "approve" else form.reason.data
    try:
        decide(actor_id=current_principal().user_id, settlement=settlement, reason=reason or "")
    except ValidationError as error:
        return _page(agreement, year, message=show_error(form, error), **{f"{action}_form": form})
    if action == "approve":
        flash(_("Säsongsavstämningen är godkänd."), "success")
    else:
        flash(_("Säsongsavstämningen är underkänd."), "success")
    return redirect(url_for("settlements.show", agreement_id=agreement.id, year=year))


@bp.route("/agreements/<int:agreement_id>/approve", methods=["POST"], endpoint="approve")
def approve(agreement_id: int):
    return _decide(agreement_id, "approve")


@bp.route("/agreements/<int:agreement_id>/reject", methods=["POST"], endpoint="reject")
def reject(agreement_id: int):
    return _decide(agreement_id, "reject")


# --- exports -------------------------------------------------------------------------------------------------


def _exported(agreement_id: int) -> tuple[Agreement, Settlement]:
    """The stored settlement, proposed or approved; a rejected or never computed one has no export (404)."""
    agreement, year = _agreement(agreement_id)
    settlement = settlement_for(agreement, year)
    if settlement is None or settlement.status == "rejected":
        abort(404)
    return agreement, settlement


def _file_name(settlement: Settlement, extension: str) -> str:
    return f"avstamning-{settlement.agreement_id}-{settlement.year}.{extension}"


def _heading(agreement: Agreement, settlement: Settlement) -> list[str]:
    """What every export states first: what it is, for whom, and its status."""
    texts = [
        _("Underlag för utbetalning"),
        _("Säsongsavstämning %(year)s: %(title)s", year=settlement.year, title=agreement.title),
        _("Förening: %(name)s", name=agreement.association.name),
        _("Status: %(status)s", status=status_word(settlement.status)),
    ]
    if settlement.decided_at is not None:
        texts.append(_("Beslutad %(day)s av %(name)s", day=settlement.decided_at.date().isoformat(),
                       name=settlement.decided_by.name if settlement.decided_by else "-"))
    if settlement.reason:
        texts.append(_("Motivering: %(reason)s", reason=settlement.reason))
    return texts


def _columns() -> list[str]:
    return [_("Rad"), _("Antal"), _("À-pris (kr)"), _("Belopp (kr)")]


def _text(line: dict) -> str:
    return line["text_en"] if str(get_locale()) == "en" else line["text_sv"]


def _totals(settlement: Settlement) -> list[tuple[str, int]]:
    return [(_("Ersättning före avdrag"), settlement.base_ore), (_("Avdrag"), -settlement.deductions_ore),
            (_("Att betala"), settlement.total_ore)]


def _comma(ore: int | None) -> str:
    return "" if ore is None else str(ore_as_decimal(ore)).replace(".", ",")


def _safe(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


@bp.route("/agreements/<int:agreement_id>.csv", endpoint="csv")
def csv_file(agreement_id: int):
    """UTF-8 with a BOM, `;` between fields, amounts in kronor with a decimal comma and no thousands separator."""
    agreement, settlement = _exported(agreement_id)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for text in _heading(agreement, settlement):
        writer.writerow([_safe(text)])
    writer.writerow([])
    writer.writerow(_columns())
    for line in settlement.breakdown.get("lines", []):
        writer.writerow([_safe(_text(line)), "" if line["quantity"] is None else str(line["quantity"]),
                         _comma(line["unit_ore"]), _comma(line["amount_ore"])])
    for text, ore in _totals(settlement):
        writer.writerow([text, "", "", _comma(ore)])
    return send_file(io.BytesIO(out.getvalue().encode("utf-8-sig")), mimetype="text/csv", as_attachment=True,
                     download_name=_file_name(settlement, "csv"))


KRONOR_FORMAT = '#,##0.00 "kr"'


@bp.route("/agreements/<int:agreement_id>.xlsx", endpoint="xlsx")
def xlsx_file(agreement_id: int):
    """One sheet: the heading, the breakdown and the totals; amounts are numbers (kronor) with a kronor format."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    agreement, settlement = _exported(agreement_id)
    book = Workbook()
    sheet = book.active
    sheet.title = str(settlement.year)
    for text in _heading(agreement, settlement):
        sheet.append([_safe(text)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    sheet.append(_columns())
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for line in settlement.breakdown.get("lines", []):
        sheet.append([_safe(_text(line)), line["quantity"],
                      None if line["unit_ore"] is None else ore_as_decimal(line["unit_ore"]),
                      ore_as_decimal(line["amount_ore"])])
        for cell in sheet[sheet.max_row][2:4]:
            cell.number_format = KRONOR_FORMAT
    for text, ore in _totals(settlement):
        sheet.append([text, None, None, ore_as_decimal(ore)])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
        sheet.cell(row=sheet.max_row, column=4).number_format = KRONOR_FORMAT
    sheet.column_dimensions["A"].width = 70
    for column in "BCD":
        sheet.column_dimensions[column].width = 16
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return send_file(out, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     as_attachment=True, download_name=_file_name(settlement, "xlsx"))


def build_pdf(agreement: Agreement, settlement: Settlement) -> bytes:
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(latin1(_heading(agreement, settlement)[1]))
    pdf.set_creator("skotsel")
    pdf.set_margins(15, 15, 15)
    pdf.add_page()
    heading = _heading(agreement, settlement)
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 8, latin1(heading[0]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 12)
    pdf.multi_cell(0, 7, latin1(heading[1]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for text in heading[2:]:
        pdf.multi_cell(0, 5.5, latin1(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    style = FontFace(emphasis="BOLD", fill_color=(230, 238, 232))
    with pdf.table(col_widths=(100, 20, 30, 30), headings_style=style, line_height=5.5, padding=1,
                   text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT")) as table:
        row = table.row()
        for column in _columns():
            row.cell(latin1(column))
        for line in settlement.breakdown.get("lines", []):
            row = table.row()
            row.cell(latin1(_text(line)))
            row.cell("" if line["quantity"] is None else str(line["quantity"]))
            row.cell(latin1(format_kronor(line["unit_ore"])) if line["unit_ore"] is not None else "")
            row.cell(latin1(format_kronor(line["amount_ore"])))
        for text, ore in _totals(settlement):
            row = table.row(style=FontFace(emphasis="BOLD"))
            row.cell(latin1(text))
            row.cell("")
            row.cell("")
            row.cell(latin1(format_kronor(ore)))
    return bytes(pdf.output())


@bp.route("/agreements/<int:agreement_id>.pdf", endpoint="pdf")
def pdf_file(agreement_id: int):
    agreement, settlement = _exported(agreement_id)
    return send_file(io.BytesIO(build_pdf(agreement, settlement)), mimetype="application/pdf", as_attachment=True,
                     download_name=_file_name(settlement, "pdf"))
