"""Season settlement arithmetic per compensation model, in exact öre: cap, proration and its rounding, deductions
(also bigger than the base → 0) and the unpaid model."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from skotsel.domain.settlement import (
    covered_days,
    divide_half_up,
    format_kronor,
    kronor_to_ore,
    settle,
)

D = date.fromisoformat
FULL = {"year": 2026, "starts_on": D("2025-01-01"), "ends_on": D("2027-12-31")}


@pytest.mark.parametrize("case, kwargs, base, deductions, total", [
    ("fixed, whole year", dict(model="fixed_per_year", amount_ore=1_000_000, cap_ore=None), 1_000_000, 0, 1_000_000),
    ("fixed, capped", dict(model="fixed_per_year", amount_ore=1_000_000, cap_ore=600_000), 600_000, 0, 600_000),
    # 1 June–31 Dec 2026 = 214 of 365 days: 10 000 kr × 214 / 365 = 5 863,0136… kr → 586 301 öre
    ("fixed, prorated from June", dict(model="fixed_per_year", amount_ore=1_000_000, cap_ore=None,
                                       starts_on=D("2026-06-01")), 586_301, 0, 586_301),
    # 1 Jan–2 Jan 2026: 2 days; 73 öre × 2 / 365 = 0.4 → 0 öre
    ("fixed, prorated rounds down", dict(model="fixed_per_year", amount_ore=73, cap_ore=None,
                                         starts_on=D("2025-01-01"), ends_on=D("2026-01-02")), 0, 0, 0),
    # 1 Jan–2 Jul 2026: 183 days; 1 öre × 183 / 365 = 0.501 → 1 öre
    ("fixed, prorated rounds up", dict(model="fixed_per_year", amount_ore=1, cap_ore=None,
                                       starts_on=D("2025-01-01"), ends_on=D("2026-07-02")), 1, 0, 1),
    # exactly half an öre rounds up: 1 öre × 183 / 366 (1 Jan–1 Jul 2028) = 0.5 → 1 öre
    ("fixed, half an öre rounds up", dict(model="fixed_per_year", amount_ore=1, cap_ore=None, year=2028,
                                          starts_on=D("2027-01-01"), ends_on=D("2028-07-01")), 1, 0, 1),
    # leap year 2028: 1 Jan–30 Jun 2028 = 182 of 366 days; 366 öre × 182 / 366 = 182 öre exactly
    ("fixed, leap year", dict(model="fixed_per_year", amount_ore=366, cap_ore=None, year=2028,
                              starts_on=D("2027-01-01"), ends_on=D("2028-06-30")), 182, 0, 182),
    ("per m², sites summed", dict(model="per_m2", amount_ore=28, cap_ore=None, site_areas_m2=[1200, 3456, None]),
     130_368, 0, 130_368),
    ("per m², capped", dict(model="per_m2", amount_ore=28, cap_ore=100_000, site_areas_m2=[1200, 3456]),
     100_000, 0, 100_000),
    ("per occurrence", dict(model="per_occurrence", amount_ore=15_050, cap_ore=None, completed=7),
     105_350, 0, 105_350),
    ("components with cap, under cap", dict(model="components_with_cap", amount_ore=200_000, cap_ore=600_000,
                                            components=2), 400_000, 0, 400_000),
    ("components with cap, capped", dict(model="components_with_cap", amount_ore=200_000, cap_ore=600_000,
                                         components=4), 600_000, 0, 600_000),
    ("deductions", dict(model="per_occurrence", amount_ore=50_000, cap_ore=None, completed=10, missed=3,
                        open_deviations=2, deduction_per_missed_ore=10_000, deduction_per_open_deviation_ore=25_050),
     500_000, 80_100, 419_900),
    ("deductions after the cap", dict(model="components_with_cap", amount_ore=200_000, cap_ore=600_000,
                                      components=4, missed=1, deduction_per_missed_ore=50_000),
     600_000, 50_000, 550_000),
    ("deductions bigger than base → 0", dict(model="per_occurrence", amount_ore=10_000, cap_ore=None, completed=2,
                                            missed=5, deduction_per_missed_ore=10_000), 20_000, 50_000, 0),
    ("missed without a deduction rule", dict(model="fixed_per_year", amount_ore=1_000_000, cap_ore=None,
                                             missed=4, open_deviations=3), 1_000_000, 0, 1_000_000),
    ("none → 0", dict(model="none", amount_ore=1_000_000, cap_ore=None, completed=9, missed=5,
                      deduction_per_missed_ore=100), 0, 0, 0),
])
def test_settlement_per_model(case, kwargs, base, deductions, total):
    result = settle(**{**FULL, **kwargs})
    assert (result.base_ore, result.deductions_ore, result.total_ore) == (base, deductions, total)
    # the breakdown lines always add up to what is paid
    assert sum(line.amount_ore for line in result.lines) == total
    assert all(isinstance(line.amount_ore, int) for line in result.lines)


def test_breakdown_lines_say_what_was_counted():
    result = settle(**FULL, model="per_occurrence", amount_ore=15_000, cap_ore=None, completed=4, missed=1,
                    deduction_per_missed_ore=5_000)
    first, deduction = result.lines
    assert (first.quantity, first.unit_ore, first.amount_ore) == (4, 15_000, 60_000)
    assert first.text_sv.startswith("Ersättning per utfört tillfälle") and first.text_en
    assert (deduction.text_sv, deduction.quantity, deduction.unit_ore, deduction.amount_ore) == (
        "Avdrag för missade tillfällen", 1, 5_000, -5_000)


def test_prorated_line_states_the_days():
    line = settle(**{**FULL, "starts_on": D("2026-06-01")}, model="fixed_per_year", amount_ore=1_000_000,
                  cap_ore=None).lines[0]
    assert "214 av 365 dagar" in line.text_sv and line.quantity == 214


@pytest.mark.parametrize("kronor, ore", [(Decimal("10000"), 1_000_000), (Decimal("0.28"), 28),
                                         (Decimal("2000.50"), 200_050), ("0.005", 1), (None, None), (0, 0)])
def test_kronor_to_ore(kronor, ore):
    assert kronor_to_ore(kronor) == ore


@pytest.mark.parametrize("numerator, denominator, result", [(1, 2, 1), (3, 2, 2), (5, 2, 3), (1, 3, 0), (2, 3, 1),
                                                            (0, 7, 0)])
def test_divide_half_up(numerator, denominator, result):
    assert divide_half_up(numerator, denominator) == result


@pytest.mark.parametrize("starts_on, ends_on, days", [
    ("2025-01-01", "2027-12-31", 365), ("2026-06-01", "2027-01-01", 214), ("2027-01-01", "2027-12-31", 0),
    ("2026-12-31", "2027-05-01", 1),
])
def test_covered_days(starts_on, ends_on, days):
    assert covered_days(2026, D(starts_on), D(ends_on)) == days


@pytest.mark.parametrize("ore, text", [(1_234_550, "12 345,50 kr"), (5, "0,05 kr"), (0, "0,00 kr"),
                                       (100_000_000, "1 000 000,00 kr"), (-50_000, "-500,00 kr")])
def test_format_kronor(ore, text):
    assert format_kronor(ore) == text


@pytest.mark.parametrize("kwargs", [dict(model="per_hour"), dict(missed=-1), dict(amount_ore=-1)])
def test_refuses_unknown_model_and_negative_numbers(kwargs):
    with pytest.raises(ValueError):
        settle(**{**FULL, "model": "per_occurrence", "amount_ore": 100, "cap_ore": None, **kwargs})
