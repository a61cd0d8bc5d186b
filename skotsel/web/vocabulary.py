"""The words the UI shows for stored codes (site kinds, roles, agreement statuses, compensation), in Swedish,
translated by Babel, and numbers in the reader's format."""
from decimal import Decimal

from flask_babel import format_decimal, gettext as _, lazy_gettext as _l, ngettext

SITE_KIND_LABELS = {"green_space": _l("Grönyta"), "beach": _l("Badplats"), "playground": _l("Lekplats"),
                    "other": _l("Övrigt")}
ROLE_LABELS = {"admin": _l("Administratör"), "reviewer": _l("Granskare"), "coordinator": _l("Samordnare"),
               "member": _l("Medlem")}
AGREEMENT_STATUS_LABELS = {"draft": _l("Utkast"), "active": _l("Gällande"), "ended": _l("Avslutat")}
DEVIATION_STATUS_LABELS = {"open": _l("Öppen"), "fixed": _l("Åtgärdad"), "verified": _l("Verifierad"),
                           "reopened": _l("Återöppnad")}


def deviation_count_text(status: str, count: int) -> str:
    """'1 öppen', '2 öppna', '3 åtgärdade ej verifierade' … for the split of a row's open deviations."""
    if status == "open":
        return ngettext("%(num)d öppen", "%(num)d öppna", count)
    if status == "fixed":
        return ngettext("%(num)d åtgärdad ej verifierad", "%(num)d åtgärdade ej verifierade", count)
    if status == "reopened":
        return ngettext("%(num)d återöppnad", "%(num)d återöppnade", count)
    return ngettext("%(num)d verifierad", "%(num)d verifierade", count)


SETTLEMENT_STATUS_LABELS = {"proposed": _l("Förslag"), "approved": _l("Godkänd"), "rejected": _l("Underkänd")}


COMPENSATION_MODEL_LABELS = {
    "fixed_per_year": _l("fast belopp per år"),
    "per_m2": _l("per m²"),
    "per_occurrence": _l("per utfört tillfälle"),
    "components_with_cap": _l("delbelopp med tak"),
    "none": _l("ingen ersättning"),
}


def number(value: Decimal | int | float | None) -> str:
    """A number in the reader's format, without decimals when there are none: 10 000 or 0,28."""
    return format_decimal(value or 0, format="#,##0.##")


def compensation_text(agreement) -> str:
    """"10 000 kr per år", "2 000 kr per delbelopp, högst 6 000 kr per år", "ingen ersättning"."""
    amount = number(agreement.compensation_amount)
    text = {
        "fixed_per_year": _("%(amount)s kr per år", amount=amount),
        "per_m2": _("%(amount)s kr per m²", amount=amount),
        "per_occurrence": _("%(amount)s kr per utfört tillfälle", amount=amount),
        "components_with_cap": _("%(amount)s kr per delbelopp", amount=amount),
        "none": _("ingen ersättning"),
    }.get(agreement.compensation_model, "")
    if agreement.compensation_cap is not None and agreement.compensation_model != "none":
        text += _(", högst %(cap)s kr per år", cap=number(agreement.compensation_cap))
    return text


def template_globals() -> dict:
    return {"site_kind_labels": SITE_KIND_LABELS, "role_labels": ROLE_LABELS, "status_labels": AGREEMENT_STATUS_LABELS,
            "deviation_status_labels": DEVIATION_STATUS_LABELS, "compensation_text": compensation_text,
            "deviation_count_text": deviation_count_text,
            "number": number,
            # The log shows any object's stored status code in words; the codes of the kinds never clash.
            "logged_status_labels": {**AGREEMENT_STATUS_LABELS, **DEVIATION_STATUS_LABELS,
                                     **SETTLEMENT_STATUS_LABELS}}
