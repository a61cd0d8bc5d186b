"""Säsongsavstämning: the arithmetic of one agreement's compensation for one season (calendar year), in öre.

Pure: integers in, integers out; no database, no clock. The rules (decided for skotsel, shown on every settlement):

- Money is whole öre (int) throughout. Kronor amounts on the agreement (Numeric(12, 2)) convert exactly
  (`kronor_to_ore`). The only division is the proration of a fixed yearly amount, rounded half up to whole öre;
  nothing is rounded to whole kronor (the payment is made to the öre).
- fixed_per_year (Stigtomta): the yearly amount, prorated by days when the agreement covers only part of the year:
  amount × covered days ÷ days in the year (365 or 366), both ends of the agreement counted.
- per_m2 (Falkenberg): price per m² × the summed area of the sites of the agreement's agreed tasks, each site counted
  once (a site without a recorded area counts 0 m²).
- per_occurrence: price × occurrences completed — done on time OR done late (the work was done; lateness is not
  deducted, only missed occurrences are).
- components_with_cap (Boden): price × components earned. A component is one agreed task of the agreement; it is
  earned for the season when it had at least one occurrence due in the year, none of them is missed or still open
  (kommande/att göra), and at least one was done (on time or late) — excused (strukna) occurrences neither earn
  nor lose it.
- none (brukarsamverkan): nothing is paid and nothing is deducted: total 0.
- The cap (tak per år), when set, limits the base of every model (before deductions).
- Deductions: missed occurrences × deduction per missed occurrence + deviations still unresolved at settlement
  (status open or reopened; a deviation marked fixed by the association but not yet verified is NOT deducted)
  × deduction per open deviation.
- total = max(0, base − deductions).
"""
from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

MODELS = ("fixed_per_year", "per_m2", "per_occurrence", "components_with_cap", "none")


@dataclass(frozen=True)
class Line:
    """One line of the breakdown; deductions and the cap have negative amounts."""

    text_sv: str
    text_en: str
    quantity: int | None
    unit_ore: int | None
    amount_ore: int

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Result:
    base_ore: int
    deductions_ore: int
    total_ore: int
    lines: list[Line] = field(default_factory=list)


def kronor_to_ore(kronor: Decimal | int | str | None) -> int | None:
    """Kronor (at most two decimals as stored) to whole öre, rounding half up any finer fraction."""
    if kronor is None:
        return None
    return int((Decimal(str(kronor)) * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def divide_half_up(numerator: int, denominator: int) -> int:
    """numerator ÷ denominator rounded half up, for non-negative integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def covered_days(year: int, starts_on: date, ends_on: date) -> int:
    """How many days of `year` lie within starts_on … ends_on (both included)."""
    first = max(starts_on, date(year, 1, 1))
    last = min(ends_on, date(year, 12, 31))
    return max(0, (last - first).days + 1)


def days_in_year(year: int) -> int:
    return 366 if calendar.isleap(year) else 365


def format_kronor(ore: int) -> str:
    """12345 50 öre → "12 345,50 kr": space between thousands, decimal comma, always two decimals."""
    sign = "-" if ore < 0 else ""
    kronor, rest = divmod(abs(ore), 100)
    return f"{sign}{kronor:,}".replace(",", " ") + f",{rest:02d} kr"


def ore_as_decimal(ore: int) -> Decimal:
    """Öre as a kronor Decimal with two decimals (for spreadsheets)."""
    return (Decimal(ore) / 100).quantize(Decimal("0.01"))


def settle(*, model: str, amount_ore: int, cap_ore: int | None, year: int, starts_on: date, ends_on: date,
           site_areas_m2: list[int | None] = (), completed: int = 0, components: int = 0, missed: int = 0,
           open_deviations: int = 0, deduction_per_missed_ore: int = 0,
           deduction_per_open_deviation_ore: int = 0) -> Result:
    """The season settlement by the rules in this module's docstring."""
    if model not in MODELS:
        raise ValueError(f"unknown compensation model {model!r}")
    if min(amount_ore, cap_ore or 0, completed, components, missed, open_deviations, deduction_per_missed_ore,
           deduction_per_open_deviation_ore) < 0:
        raise ValueError("amounts and counts cannot be negative")
    lines: list[Line] = []
    if model == "none":
        lines.append(Line("Ingen ersättning (brukarsamverkan)", "No compensation (unpaid user partnership)",
                          None, None, 0))
        return Result(0, 0, 0, lines)
    if model == "fixed_per_year":
        days, year_days = covered_days(year, starts_on, ends_on), days_in_year(year)
        if days == year_days:
            base = amount_ore
            lines.append(Line("Fast ersättning per år", "Fixed compensation per year", 1, amount_ore, base))
        else:
            base = divide_half_up(amount_ore * days, year_days)
            lines.append(Line(f"Fast ersättning per år, avtalet gäller {days} av {year_days} dagar "
                              f"(avrundat till helt öre)",
                              f"Fixed compensation per year, the agreement covers {days} of {year_days} days "
                              f"(rounded to whole öre)", days, amount_ore, base))
    elif model == "per_m2":
        area = sum(a or 0 for a in site_areas_m2)
        base = area * amount_ore
        lines.append(Line(f"Ersättning per m² ({len(list(site_areas_m2))} skötselobjekt)",
                          f"Compensation per m² ({len(list(site_areas_m2))} sites)", area, amount_ore, base))
    elif model == "per_occurrence":
        base = completed * amount_ore
        lines.append(Line("Ersättning per utfört tillfälle (i tid eller sent)",
                          "Compensation per completed occurrence (on time or late)", completed, amount_ore, base))
    else:  # components_with_cap
        base = components * amount_ore
        lines.append(Line("Ersättning per uppfyllt delbelopp (skötselmoment)",
                          "Compensation per fulfilled component (agreed task)", components, amount_ore, base))
    if cap_ore is not None and base > cap_ore:
        lines.append(Line("Begränsat till taket per år", "Limited to the yearly cap", None, cap_ore, cap_ore - base))
        base = cap_ore
    deductions = 0
    if missed and deduction_per_missed_ore:
        amount = missed * deduction_per_missed_ore
        deductions += amount
        lines.append(Line("Avdrag för missade tillfällen", "Deduction for missed occurrences", missed,
                          deduction_per_missed_ore, -amount))
    if open_deviations and deduction_per_open_deviation_ore:
        amount = open_deviations * deduction_per_open_deviation_ore
        deductions += amount
        lines.append(Line("Avdrag för olösta avvikelser", "Deduction for unresolved deviations", open_deviations,
                          deduction_per_open_deviation_ore, -amount))
    total = max(0, base - deductions)
    if deductions > base:
        lines.append(Line("Avdragen är större än ersättningen: inget betalas",
                          "The deductions exceed the compensation: nothing is paid", None, None, deductions - base))
    return Result(base, deductions, total, lines)
