"""How often an agreed task recurs: the RRULE, its friendly form, seasons, quotas and the sentences people read."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from datetime import date, datetime

from dateutil.rrule import rrule, rrulestr

from skotsel.domain.errors import ValidationError

FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
PATTERNS = ("daily", "weekly", "monthly", "yearly", "custom")
MAX_INTERVAL = 52
#: The ordinals the friendly form offers: first to fifth, and -1 for "last".
FORM_ORDINALS = (1, 2, 3, 4, 5, -1)

# Leap-year lengths: a season or rule may name 29 February.
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# Any fixed start will do: dateutil is asked only whether the rule is well formed.
_PROBE_START = datetime(2025, 1, 1)
_SUPPORTED_PARTS = ("FREQ", "INTERVAL", "BYMONTH", "BYMONTHDAY", "BYDAY", "WKST")
# The agreement period and the season already bound every task, so a rule never needs its own end.
_ENDING_PARTS = ("COUNT", "UNTIL")
_UNSUPPORTED_PARTS = ("BYSETPOS", "BYHOUR", "BYMINUTE", "BYSECOND", "BYYEARDAY", "BYWEEKNO")
# [0-9], not \d: \d also matches other scripts' digits ("²", "٣"), which int() then refuses.
_WEEKDAY_TOKEN = re.compile(r"([+-]?[0-9]{1,2})?([A-Z]{2})")
_INTEGER = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True)
class Recurrence:
    """An RRULE reduced to the parts an agreement uses; always valid and in canonical order."""

    freq: str
    interval: int = 1
    #: Weekday codes, optionally with an ordinal within the month or year: "SA", "1SA", "-1SU".
    byweekday: tuple[str, ...] = ()
    bymonth: tuple[int, ...] = ()
    #: Days of the month; negative ones count from the end (-1 is the last day).
    bymonthday: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        # Normalising here makes equal rules compare equal however they were written.
        object.__setattr__(self, "freq", _checked_freq(self.freq))
        object.__setattr__(self, "interval", _checked_interval(self.interval))
        object.__setattr__(self, "byweekday", _checked_weekdays(self.byweekday))
        object.__setattr__(self, "bymonth", _checked_months(self.bymonth))
        object.__setattr__(self, "bymonthday", _checked_monthdays(self.bymonthday))
        self._check_combination()

    @classmethod
    def parse(cls, text: str) -> Recurrence:
        """Read an RFC 5545 RRULE value, with or without the "RRULE:" prefix."""
        parts = _split_rrule(text)
        interval, byweekday = _interval(parts), tuple(parts["BYDAY"].split(",")) if "BYDAY" in parts else ()
        bymonth, bymonthday = _integers(parts, "BYMONTH"), _integers(parts, "BYMONTHDAY")
        try:
            recurrence = cls(parts["FREQ"], interval, byweekday, bymonth, bymonthday)
        except ValidationError as error:
            raise _invalid(_lower_first(error.message_sv), _lower_first(error.message_en)) from error
        try:
            recurrence.to_dateutil(_PROBE_START)
        except ValueError as error:
            raise _invalid(f"dateutil kan inte läsa regeln ({error}).",
                           f"dateutil cannot read it ({error}).") from error
        return recurrence

    def to_rrule(self) -> str:
        """The canonical RRULE value, without the "RRULE:" prefix."""
        parts = [f"FREQ={self.freq}"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.bymonth:
            parts.append("BYMONTH=" + ",".join(map(str, self.bymonth)))
        if self.bymonthday:
            parts.append("BYMONTHDAY=" + ",".join(map(str, self.bymonthday)))
        if self.byweekday:
            parts.append("BYDAY=" + ",".join(self.byweekday))
        return ";".join(parts)

    def to_dateutil(self, dtstart: date | datetime) -> rrule:
        """The dateutil rule starting at dtstart; weeks start on Monday whatever the process locale says."""
        return rrulestr(f"{self.to_rrule()};WKST=MO", dtstart=dtstart)

    @classmethod
    def from_form(cls, form: RecurrenceForm) -> Recurrence:
        """Build the rule from the admin form's fields, naming the field that is wrong."""
        if form.pattern == "custom":
            return _parse_for_field(form.custom_rrule, "custom_rrule")
        if form.pattern not in _FORM_FIELDS:
            raise ValidationError("Välj hur ofta uppdraget upprepas.", "Choose how often the task recurs.",
                                  field="pattern")
        _reject_unused_fields(form)
        for day in form.weekdays:
            if day not in WEEKDAYS:
                raise _unknown_weekday(day)
        byweekday: tuple[str, ...] = tuple(form.weekdays)
        if form.pattern == "monthly":
            byweekday = _monthly_weekdays(form)
        return cls(freq=form.pattern.upper(), interval=form.interval, byweekday=byweekday,
                   bymonth=tuple(form.months), bymonthday=() if form.monthday is None else (form.monthday,))

    def to_form(self) -> RecurrenceForm:
        """The friendliest form that says exactly this rule; "custom" with the RRULE text otherwise."""
        pattern = self._friendly_pattern()
        if pattern == "custom":
            return RecurrenceForm(pattern="custom", custom_rrule=self.to_rrule())
        ordinal, weekdays = None, list(self.byweekday)
        if pattern == "monthly" and self.byweekday:
            ordinal, day = _split_weekday(self.byweekday[0])
            weekdays = [day]
        return RecurrenceForm(pattern=pattern, interval=self.interval, weekdays=weekdays, months=list(self.bymonth),
                              monthday=self.bymonthday[0] if self.bymonthday else None, ordinal=ordinal)

    def _friendly_pattern(self) -> str:
        if self.freq == "DAILY":
            fits = not (self.byweekday or self.bymonth or self.bymonthday)
        elif self.freq == "WEEKLY":
            fits = not self.bymonth
        elif self.freq == "MONTHLY":
            # The form offers one day of the month, or one weekday in order, or neither.
            one_day = len(self.bymonthday) == 1 and self.bymonthday[0] > 0 and not self.byweekday
            one_weekday = len(self.byweekday) == 1 and not self.bymonthday \
                and _split_weekday(self.byweekday[0])[0] in FORM_ORDINALS
            fits = not self.bymonth and (one_day or one_weekday or not (self.bymonthday or self.byweekday))
        else:
            fits = not (self.byweekday or self.bymonthday)
        return self.freq.lower() if fits else "custom"

    def _check_combination(self) -> None:
        has_ordinal = any(_split_weekday(token)[0] is not None for token in self.byweekday)
        if has_ordinal and self.freq in ("DAILY", "WEEKLY"):
            raise ValidationError(
                "Veckodag med ordningstal (t.ex. första lördagen, 1SA) går bara med månadsvis "
                "eller årlig upprepning.",
                "A weekday with an ordinal (e.g. first Saturday, 1SA) only works with monthly or yearly recurrence.",
                field="ordinal")
        if has_ordinal and any(_split_weekday(token)[0] is None for token in self.byweekday):
            # dateutil expands e.g. BYDAY=SA,1SU to nothing at all, so such a rule would never be scheduled.
            raise ValidationError(
                "Blanda inte veckodagar med och utan ordningstal (t.ex. varje lördag och första söndagen); "
                "lägg in dem som två skötselmoment.",
                "Do not mix weekdays with and without an ordinal (e.g. every Saturday and the first Sunday); "
                "add them as two agreed tasks.", field="ordinal")
        if self.bymonthday and self.freq == "WEEKLY":
            # RFC 5545 3.3.10: BYMONTHDAY must not be used with FREQ=WEEKLY.
            raise ValidationError("Dag i månaden går inte att kombinera med veckovis upprepning.",
                                  "A day of the month cannot be combined with weekly recurrence.", field="monthday")
        months = self.bymonth or tuple(range(1, 13))
        for day in self.bymonthday:
            if not any(abs(day) <= _DAYS_IN_MONTH[month - 1] for month in months):
                raise ValidationError(
                    f"Dagen {day} finns inte i de valda månaderna.",
                    f"Day {day} does not exist in the chosen months.", field="monthday")
        # Combinations such as "the 13th, if it is the fifth Friday" are well formed but never happen. Only a
        # weekday combined with a day of the month, or a fifth weekday, can miss, so only those ask dateutil.
        might_never_occur = (self.bymonthday and self.byweekday) or any(
            abs(_split_weekday(token)[0] or 0) == 5 for token in self.byweekday)
        # The probe ignores INTERVAL: which months or years an interval hits depends on where the schedule starts
        # (the agreement, the season), so only a rule that misses with every start is refused.
        every_period = ";".join(part for part in self.to_rrule().split(";") if not part.startswith("INTERVAL="))
        if might_never_occur and (not self._days_can_meet(months) or not _ever_occurs(every_period)):
            raise ValidationError("Regeln ger aldrig något tillfälle.", "The rule never occurs.",
                                  field="monthday" if self.bymonthday else "weekdays")

    def _days_can_meet(self, months: tuple[int, ...]) -> bool:
        """Whether some month of some length lets a chosen weekday fall on a chosen day: "the 15th, if it is the
        first Saturday" cannot (first Saturdays are the 1st–7th). Answers at once what dateutil would only find
        by scanning decades."""
        for month in months:
            for length in ((28, 29) if month == 2 else (_DAYS_IN_MONTH[month - 1],)):
                days = {d if d > 0 else length + d + 1 for d in self.bymonthday if abs(d) <= length} \
                    if self.bymonthday else None
                for token in self.byweekday:
                    n = _split_weekday(token)[0]
                    first = 1 if n is None else 7 * (n - 1) + 1 if n > 0 else length + 7 * n + 1
                    span = range(max(first, 1), min(first + (length if n is None else 7), length + 1))
                    if span and (days is None or days.intersection(span)):
                        return True
        return False


@lru_cache(maxsize=1024)
def _ever_occurs(rrule_text: str) -> bool:
    """Whether dateutil finds any occurrence in 28 years, the whole cycle of weekdays and leap years.

    A rule that occurs is usually found within months; one that never does costs the whole scan (about half a
    second for a monthly rule), which only an admin's odd custom rule pays, once per process."""
    rule = rrulestr(f"{rrule_text};WKST=MO", dtstart=_PROBE_START)
    return rule.replace(until=_PROBE_START.replace(year=_PROBE_START.year + 28)).after(
        _PROBE_START, inc=True) is not None


@dataclass
class RecurrenceForm:
    """The admin form: a pattern and the few fields it needs, or free RRULE text for "custom"."""

    pattern: str = "weekly"
    interval: int = 1
    weekdays: list[str] = field(default_factory=list)
    months: list[int] = field(default_factory=list)
    monthday: int | None = None
    #: 1–5 or -1 ("last"), together with exactly one weekday, for the monthly pattern.
    ordinal: int | None = None
    custom_rrule: str = ""


# Which structured fields each pattern reads; a value in any other is a misunderstanding worth showing.
_FORM_FIELDS = {
    "daily": ("interval",),
    "weekly": ("interval", "weekdays"),
    "monthly": ("interval", "weekdays", "monthday", "ordinal"),
    "yearly": ("interval", "months"),
}
_UNUSED_FIELD_MESSAGES = {
    "weekdays": ("Veckodagar kan bara väljas för veckovis eller månadsvis upprepning.",
                 "Weekdays can only be chosen for weekly or monthly recurrence."),
    "months": ("Månader kan bara väljas för årlig upprepning.", "Months can only be chosen for yearly recurrence."),
    "monthday": ("Dag i månaden kan bara väljas för månadsvis upprepning.",
                 "A day of the month can only be chosen for monthly recurrence."),
    "ordinal": ("Veckodag i ordning (t.ex. första lördagen) kan bara väljas för månadsvis upprepning.",
                "A weekday in order (e.g. first Saturday) can only be chosen for monthly recurrence."),
}


def _reject_unused_fields(form: RecurrenceForm) -> None:
    given = {"weekdays": bool(form.weekdays), "months": bool(form.months),
             "monthday": form.monthday is not None, "ordinal": form.ordinal is not None}
    for name, is_given in given.items():
        if is_given and name not in _FORM_FIELDS[form.pattern]:
            raise ValidationError(*_UNUSED_FIELD_MESSAGES[name], field=name)


def _monthly_weekdays(form: RecurrenceForm) -> tuple[str, ...]:
    if form.monthday is not None and (form.ordinal is not None or form.weekdays):
        raise ValidationError("Välj antingen en dag i månaden eller en veckodag i ordning, inte båda.",
                              "Choose either a day of the month or a weekday in order, not both.", field="monthday")
    if form.monthday is not None and not (_is_int(form.monthday) and 1 <= form.monthday <= 31):
        raise ValidationError("Dagen i månaden ska vara mellan 1 och 31.",
                              "The day of the month must be between 1 and 31.", field="monthday")
    if form.ordinal is None:
        if form.weekdays:
            raise ValidationError("Välj vilken i ordningen veckodagen är, t.ex. första eller sista.",
                                  "Choose which one in the month the weekday is, e.g. first or last.", field="ordinal")
        return ()
    if not (_is_int(form.ordinal) and form.ordinal in FORM_ORDINALS):
        raise ValidationError("Välj första, andra, tredje, fjärde, femte eller sista.",
                              "Choose first, second, third, fourth, fifth or last.", field="ordinal")
    if len(form.weekdays) != 1:
        raise ValidationError("Välj exakt en veckodag, t.ex. lördag för första lördagen.",
                              "Choose exactly one weekday, e.g. Saturday for the first Saturday.", field="weekdays")
    return (f"{form.ordinal}{form.weekdays[0]}",)


def _parse_for_field(text: str, field_name: str) -> Recurrence:
    try:
        return Recurrence.parse(text)
    except ValidationError as error:
        raise ValidationError(error.message_sv, error.message_en, field=field_name) from error


def _split_rrule(text: str) -> dict[str, str]:
    if not isinstance(text, str) or not text.strip():
        raise _invalid("regeln är tom.", "the rule is empty.")
    value = text.strip()
    if "\n" in value or "\r" in value:
        raise _invalid("skriv bara själva regeln på en rad, utan DTSTART.",
                       "give only the rule itself on one line, without DTSTART.")
    value = re.sub(r"\s+", "", value).upper()
    if value.startswith("RRULE:"):
        value = value[len("RRULE:"):]
    parts: dict[str, str] = {}
    for piece in filter(None, value.split(";")):
        name, equals, part_value = piece.partition("=")
        if not equals or not part_value:
            raise _invalid(f"{piece} saknar värde (skriv NAMN=VÄRDE).", f"{piece} has no value (write NAME=VALUE).")
        if name in _ENDING_PARTS:
            raise _invalid(f"{name} stöds inte – avtalstiden och säsongen avgör när uppdraget slutar.",
                           f"{name} is not supported – the agreement period and season decide when the task ends.")
        if name in _UNSUPPORTED_PARTS:
            raise _invalid(f"{name} stöds inte.", f"{name} is not supported.")
        if name not in _SUPPORTED_PARTS:
            raise _invalid(f"okänd del {name}.", f"unknown part {name}.")
        if name in parts:
            raise _invalid(f"{name} står mer än en gång.", f"{name} appears more than once.")
        parts[name] = part_value
    if "FREQ" not in parts:
        raise _invalid("FREQ saknas.", "FREQ is missing.")
    if parts["FREQ"] not in FREQUENCIES:
        raise _invalid(f"FREQ={parts['FREQ']} stöds inte; använd DAILY, WEEKLY, MONTHLY eller YEARLY.",
                       f"FREQ={parts['FREQ']} is not supported; use DAILY, WEEKLY, MONTHLY or YEARLY.")
    if parts.get("WKST", "MO") != "MO":
        raise _invalid(f"WKST={parts['WKST']} stöds inte; veckan börjar på måndag.",
                       f"WKST={parts['WKST']} is not supported; the week starts on Monday.")
    return parts


def _interval(parts: dict[str, str]) -> int:
    text = parts.get("INTERVAL", "1")
    if not re.fullmatch(r"[0-9]+", text):
        raise _invalid("INTERVAL ska vara ett heltal.", "INTERVAL must be a whole number.")
    return int(text)


def _integers(parts: dict[str, str], name: str) -> tuple[int, ...]:
    if name not in parts:
        return ()
    items = parts[name]
    if not all(_INTEGER.fullmatch(item) for item in items.split(",")):
        raise _invalid(f"{name} ska vara heltal åtskilda med komma.",
                       f"{name} must be whole numbers separated by commas.")
    return tuple(int(item) for item in items.split(","))


def _invalid(reason_sv: str, reason_en: str) -> ValidationError:
    return ValidationError(f"Ogiltig RRULE: {reason_sv}", f"Invalid RRULE: {reason_en}", field="rrule")


def _lower_first(text: str) -> str:
    # "Intervallet ska …" reads on after "Ogiltig RRULE:", but a part name like "BYDAY" keeps its capitals.
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _checked_freq(value: str) -> str:
    if not isinstance(value, str) or value.upper() not in FREQUENCIES:
        raise ValidationError("Upprepningen ska vara daglig, veckovis, månadsvis eller årlig.",
                              "The recurrence must be daily, weekly, monthly or yearly.", field="pattern")
    return value.upper()


def _checked_interval(value: int) -> int:
    if not (_is_int(value) and 1 <= value <= MAX_INTERVAL):
        raise ValidationError(f"Intervallet ska vara ett heltal mellan 1 och {MAX_INTERVAL}.",
                              f"The interval must be a whole number from 1 to {MAX_INTERVAL}.", field="interval")
    return value


def _checked_months(values: tuple[int, ...]) -> tuple[int, ...]:
    for month in values:
        if not (_is_int(month) and 1 <= month <= 12):
            raise ValidationError(f"Månaden {month} finns inte; ange 1–12.",
                                  f"Month {month} does not exist; use 1–12.", field="months")
    return tuple(sorted(set(values)))


def _checked_monthdays(values: tuple[int, ...]) -> tuple[int, ...]:
    for day in values:
        if not (_is_int(day) and day != 0 and -31 <= day <= 31):
            raise ValidationError(
                f"Dagen {day} går inte; ange 1–31, eller -1 till -31 för att räkna från månadens slut.",
                f"Day {day} is not possible; use 1–31, or -1 to -31 to count from the end of the month.",
                field="monthday")
    return tuple(sorted(set(values), key=_ordinal_order))


def _checked_weekdays(values: tuple[str, ...]) -> tuple[str, ...]:
    parsed = set()
    for token in values:
        match = _WEEKDAY_TOKEN.fullmatch(token.upper()) if isinstance(token, str) else None
        if not match or match[2] not in WEEKDAYS:
            raise _unknown_weekday(token)
        ordinal = int(match[1]) if match[1] else None
        if ordinal is not None and not (ordinal != 0 and -5 <= ordinal <= 5):
            raise ValidationError(
                f"Ordningstalet i {token} går inte; ange 1–5, eller -1 till -5 räknat från slutet.",
                f"The ordinal in {token} is not possible; use 1–5, or -1 to -5 counting from the end.",
                field="ordinal")
        parsed.add((ordinal, match[2]))
    ordered = sorted(parsed, key=lambda item: (WEEKDAYS.index(item[1]), _ordinal_order(item[0])))
    return tuple(f"{'' if ordinal is None else ordinal}{day}" for ordinal, day in ordered)


def _unknown_weekday(token: object) -> ValidationError:
    return ValidationError(f'Okänd veckodag "{token}"; använd MO, TU, WE, TH, FR, SA eller SU.',
                           f'Unknown weekday "{token}"; use MO, TU, WE, TH, FR, SA or SU.', field="weekdays")


def _ordinal_order(number: int | None) -> tuple[int, int]:
    # Counting from the start first, then from the end: "1st, 15th and last" reads in that order.
    if number is None:
        return (0, 0)
    return (1, number) if number > 0 else (2, -number)


def _split_weekday(token: str) -> tuple[int | None, str]:
    return (int(token[:-2]) if token[:-2] else None), token[-2:]


def _join(items: list[str], conjunction: str) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


class _Swedish:
    daily = "dagligen"
    all_year = "hela året"
    month_abbreviations = ("jan", "feb", "mars", "apr", "maj", "juni", "juli", "aug", "sep", "okt", "nov", "dec")
    _months = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
               "november", "december")
    # singular, plural, definite
    _weekdays = {"MO": ("måndag", "måndagar", "måndagen"), "TU": ("tisdag", "tisdagar", "tisdagen"),
                 "WE": ("onsdag", "onsdagar", "onsdagen"), "TH": ("torsdag", "torsdagar", "torsdagen"),
                 "FR": ("fredag", "fredagar", "fredagen"), "SA": ("lördag", "lördagar", "lördagen"),
                 "SU": ("söndag", "söndagar", "söndagen")}
    _ordinal_words = ("första", "andra", "tredje", "fjärde", "femte", "sjätte", "sjunde", "åttonde", "nionde",
                      "tionde", "elfte", "tolfte")
    _units = {"day": "dag", "week": "vecka", "month": "månad", "year": "år"}

    def every(self, unit: str, n: int) -> str:
        return f"{self._every_word(n, neuter=unit == 'year')} {self._units[unit]}"

    def once_a_year(self, n: int) -> str:
        return "en gång per år" if n == 1 else f"en gång {self.every('year', n)}"

    def each_weekday(self, days: list[str]) -> str:
        return "varje " + _join([self._weekdays[day][0] for day in days], "och")

    def weekday_every(self, day: str, n: int) -> str:
        return f"{self._every_word(n, neuter=False)} {self._weekdays[day][0]}"

    def weekdays_every_weeks(self, days: list[str], n: int) -> str:
        return f"{self.every('week', n)} på " + _join([self._weekdays[day][1] for day in days], "och")

    def in_months(self, months: tuple[int, ...]) -> str:
        return " i " + self.months(months)

    def months(self, months: tuple[int, ...]) -> str:
        return _join([self._months[month - 1] for month in months], "och")

    def once_in(self, months: tuple[int, ...]) -> str:
        return f"en gång i {self.months(months)}" if len(months) == 1 else f"i {self.months(months)}"

    def monthdays(self, days: tuple[int, ...], conjunction: str = "och") -> str:
        positive = [swedish_ordinal(day) for day in days if day > 0]
        if positive:
            positive[0] = f"den {positive[0]}"
        from_end = [f"{self._from_end(-day)} dagen" for day in days if day < 0]
        return _join(positive + from_end, conjunction)

    def monthday_anchor(self, days: tuple[int, ...]) -> str:
        return self.monthdays(days)

    def monthday_alternatives(self, days: tuple[int, ...]) -> str:
        return self.monthdays(days, "eller")

    def date_in_month(self, days: tuple[int, ...], month: int) -> str:
        return f"den {_join([str(day) for day in days], 'och')} {self._months[month - 1]}"

    def weekday_anchor(self, plain: list[str], nth: dict[str, list[int]]) -> str:
        items = [self.each_weekday(plain)] if plain else []
        items += [f"{_join([self._nth(n) for n in numbers], 'och')} {self._weekdays[day][2]}"
                  for day, numbers in nth.items()]
        return _join(items, "och")

    def weekday_alternatives(self, plain: list[str], nth: dict[str, list[int]]) -> str:
        items = [f"en {self._weekdays[day][0]}" for day in plain]
        items += [f"{self._nth(n)} {self._weekdays[day][2]}" for day, numbers in nth.items() for n in numbers]
        return _join(items, "eller")

    def anchor_every(self, anchor: str, unit: str, n: int) -> str:
        return f"{anchor} {self.every(unit, n)}"

    def anchor_in_months(self, anchor: str, months: tuple[int, ...]) -> str:
        return f"{anchor} i {self.months(months)}"

    def condition(self, alternatives: list[str]) -> str:
        return ", om det är " + " och ".join(alternatives)

    def day_month(self, month: int, day: int) -> str:
        return f"{day} {self.month_abbreviations[month - 1]}"

    def between(self, start: tuple[int, int], end: tuple[int, int]) -> str:
        return f"mellan {self.day_month(*start)} och {self.day_month(*end)}"

    def _every_word(self, n: int, neuter: bool) -> str:
        if n == 1:
            return "varje"
        if n == 2:
            return "vartannat" if neuter else "varannan"
        number = self._ordinal_words[n - 1] if n <= len(self._ordinal_words) else swedish_ordinal(n)
        return f"{'vart' if neuter else 'var'} {number}"

    def _nth(self, n: int) -> str:
        return self._ordinal_words[n - 1] if n > 0 else self._from_end(-n)

    def _from_end(self, n: int) -> str:
        if n in (1, 2):
            return ("sista", "näst sista")[n - 1]
        word = self._ordinal_words[n - 1] if n <= len(self._ordinal_words) else swedish_ordinal(n)
        return f"{word} sista"


class _English:
    daily = "daily"
    all_year = "all year"
    month_abbreviations = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    _months = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December")
    _weekdays = {"MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday", "FR": "Friday",
                 "SA": "Saturday", "SU": "Sunday"}
    _ordinal_words = ("first", "second", "third", "fourth", "fifth")

    def every(self, unit: str, n: int) -> str:
        return {1: f"every {unit}", 2: f"every other {unit}"}.get(n) or f"every {n} {unit}s"

    def once_a_year(self, n: int) -> str:
        return "once a year" if n == 1 else f"once {self.every('year', n)}"

    def each_weekday(self, days: list[str]) -> str:
        return "every " + _join([self._weekdays[day] for day in days], "and")

    def weekday_every(self, day: str, n: int) -> str:
        return f"every other {self._weekdays[day]}" if n == 2 else f"every {n} weeks on {self._weekdays[day]}s"

    def weekdays_every_weeks(self, days: list[str], n: int) -> str:
        return f"{self.every('week', n)} on " + _join([f"{self._weekdays[day]}s" for day in days], "and")

    def in_months(self, months: tuple[int, ...]) -> str:
        return " in " + self.months(months)

    def months(self, months: tuple[int, ...]) -> str:
        return _join([self._months[month - 1] for month in months], "and")

    def once_in(self, months: tuple[int, ...]) -> str:
        return f"once in {self.months(months)}" if len(months) == 1 else f"in {self.months(months)}"

    def monthdays(self, days: tuple[int, ...], conjunction: str = "and") -> str:
        positive = [english_ordinal(day) for day in days if day > 0]
        if positive:
            positive[0] = f"the {positive[0]}"
        from_end = [f"the {self._from_end(-day)} day" for day in days if day < 0]
        return _join(positive + from_end, conjunction)

    def monthday_anchor(self, days: tuple[int, ...]) -> str:
        return f"on {self.monthdays(days)}"

    def monthday_alternatives(self, days: tuple[int, ...]) -> str:
        return self.monthdays(days, "or")

    def date_in_month(self, days: tuple[int, ...], month: int) -> str:
        return f"on {_join([str(day) for day in days], 'and')} {self._months[month - 1]}"

    def weekday_anchor(self, plain: list[str], nth: dict[str, list[int]]) -> str:
        items = [self.each_weekday(plain)] if plain else []
        items += [f"{_join([self._nth(n) for n in numbers], 'and')} {self._weekdays[day]}"
                  for day, numbers in nth.items()]
        return _join(items, "and")

    def weekday_alternatives(self, plain: list[str], nth: dict[str, list[int]]) -> str:
        items = [f"a {self._weekdays[day]}" for day in plain]
        items += [f"the {self._nth(n)} {self._weekdays[day]}" for day, numbers in nth.items() for n in numbers]
        return _join(items, "or")

    def anchor_every(self, anchor: str, unit: str, n: int) -> str:
        return f"{anchor} of {self.every(unit, n)}"

    def anchor_in_months(self, anchor: str, months: tuple[int, ...]) -> str:
        return f"{anchor} of {self.months(months)}"

    def condition(self, alternatives: list[str]) -> str:
        return ", if it is " + " and ".join(alternatives)

    def day_month(self, month: int, day: int) -> str:
        return f"{day} {self.month_abbreviations[month - 1]}"

    def between(self, start: tuple[int, int], end: tuple[int, int]) -> str:
        return f"between {self.day_month(*start)} and {self.day_month(*end)}"

    def _nth(self, n: int) -> str:
        return self._ordinal_words[n - 1] if n > 0 else self._from_end(-n)

    def _from_end(self, n: int) -> str:
        if n == 1:
            return "last"
        word = self._ordinal_words[n - 1] if n <= len(self._ordinal_words) else english_ordinal(n)
        return f"{word} to last"


_Words = _Swedish | _English
_SWEDISH, _ENGLISH = _Swedish(), _English()


def _words(locale: str) -> _Words:
    # Anything that is not English gets Swedish, the product's default language.
    return _ENGLISH if str(locale).lower().startswith("en") else _SWEDISH


def swedish_ordinal(number: int) -> str:
    """1:a, 2:a, 3:e … 11:e, 12:e … 21:a, 22:a, 31:a."""
    suffix = "a" if number % 10 in (1, 2) and number % 100 not in (11, 12) else "e"
    return f"{number}:{suffix}"


def english_ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th … 11th, 12th, 13th … 21st."""
    suffix = "th" if number % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def describe(recurrence: Recurrence, locale: str = "sv") -> str:
    """The rule as a phrase a person reads, e.g. "varannan vecka" or "första lördagen varje månad"."""
    return _phrase(recurrence, _words(locale))


def _phrase(rule: Recurrence, words: _Words) -> str:
    n = rule.interval
    plain: list[str] = []
    nth: dict[str, list[int]] = {}
    for ordinal, day in map(_split_weekday, rule.byweekday):
        if ordinal is None:
            plain.append(day)
        else:
            nth.setdefault(day, []).append(ordinal)
    in_months = words.in_months(rule.bymonth) if rule.bymonth else ""
    if rule.freq == "DAILY":
        if n == 1 and (rule.byweekday or rule.bymonthday):
            # Filtering every day by weekday or day of month picks the very days the monthly rule picks.
            return _phrase(replace(rule, freq="MONTHLY"), words)
        alternatives = [words.monthday_alternatives(rule.bymonthday)] if rule.bymonthday else []
        alternatives += [words.weekday_alternatives(plain, nth)] if plain else []
        return (words.daily if n == 1 else words.every("day", n)) + in_months + \
            (words.condition(alternatives) if alternatives else "")
    if rule.freq == "WEEKLY":
        if not plain:
            return words.every("week", n) + in_months
        if n == 1:
            return words.each_weekday(plain) + in_months
        if len(plain) == 1:
            return words.weekday_every(plain[0], n) + in_months
        return words.weekdays_every_weeks(plain, n) + in_months
    return _monthly_or_yearly(rule, words, plain, nth)


def _monthly_or_yearly(rule: Recurrence, words: _Words, plain: list[str], nth: dict[str, list[int]]) -> str:
    n, unit = rule.interval, "month" if rule.freq == "MONTHLY" else "year"
    condition = ""
    if rule.bymonthday:
        anchor = words.monthday_anchor(rule.bymonthday)
        if rule.byweekday:
            condition = words.condition([words.weekday_alternatives(plain, nth)])
    elif nth:
        anchor = words.weekday_anchor(plain, nth)
    elif plain:
        text = words.each_weekday(plain) + (words.in_months(rule.bymonth) if rule.bymonth else "")
        return text if n == 1 else f"{text} {words.every(unit, n)}"
    elif not rule.bymonth:
        return words.every("month", n) if unit == "month" else words.once_a_year(n)
    elif unit == "month" and n > 1:
        return words.every("month", n) + words.in_months(rule.bymonth)
    else:
        # Monthly in chosen months, once a month, is the same as yearly in those months.
        text = words.once_in(rule.bymonth)
        return text if n == 1 else f"{text} {words.every('year', n)}"

    if unit == "year" and len(rule.bymonth) == 1 and not rule.byweekday and all(day > 0 for day in rule.bymonthday):
        text = f"{words.date_in_month(rule.bymonthday, rule.bymonth[0])} {words.every('year', n)}"
    elif rule.bymonth:
        text = words.anchor_in_months(anchor, rule.bymonth)
        text += f" {words.every(unit, n)}" if unit == "year" or n > 1 else ""
    elif unit == "year" and rule.bymonthday:
        # A yearly rule with days of the month but no months falls in every month of the year.
        text = words.anchor_every(anchor, "month", 1) + (f" {words.every('year', n)}" if n > 1 else "")
    else:
        text = words.anchor_every(anchor, unit, n)
    return text + condition


@dataclass(frozen=True)
class Season:
    """The part of every year a task applies to, as (month, day) pairs; it may wrap the year end."""

    start: tuple[int, int]
    end: tuple[int, int]

    def __post_init__(self) -> None:
        _check_month_day(self.start, "season_start")
        _check_month_day(self.end, "season_end")
        object.__setattr__(self, "start", tuple(self.start))
        object.__setattr__(self, "end", tuple(self.end))

    @classmethod
    def parse(cls, start_text: str, end_text: str) -> Season:
        """Read "MM-DD" texts, e.g. Season.parse("05-15", "09-30")."""
        return cls(_parse_month_day(start_text, "season_start"), _parse_month_day(end_text, "season_end"))

    @property
    def start_text(self) -> str:
        return f"{self.start[0]:02d}-{self.start[1]:02d}"

    @property
    def end_text(self) -> str:
        return f"{self.end[0]:02d}-{self.end[1]:02d}"

    @property
    def is_all_year(self) -> bool:
        return self.start == (1, 1) and self.end == (12, 31)

    @property
    def wraps_year_end(self) -> bool:
        return self.start > self.end

    def contains(self, day: date) -> bool:
        return self._contains((day.month, day.day))

    def covers_month(self, month: int) -> bool:
        return all(self._contains((month, day)) for day in range(1, _DAYS_IN_MONTH[month - 1] + 1))

    def touches_month(self, month: int) -> bool:
        return any(self._contains((month, day)) for day in range(1, _DAYS_IN_MONTH[month - 1] + 1))

    def length_days(self) -> int:
        """Days in the season in a year without 29 February."""
        leap_days = (_leap_year_day(self.end) - _leap_year_day(self.start)) % 366 + 1
        return leap_days - (1 if self._contains((2, 29)) else 0)

    def describe(self, locale: str = "sv") -> str:
        """In words: "15 maj–30 sep"; whole months collapse to "maj–sep"; 1 Jan–31 Dec is "hela året"."""
        words = _words(locale)
        if self.is_all_year:
            return words.all_year
        if self.start[1] == 1 and self.end[1] == _DAYS_IN_MONTH[self.end[0] - 1]:
            first, last = (words.month_abbreviations[month - 1] for month in (self.start[0], self.end[0]))
            return first if self.start[0] == self.end[0] else f"{first}–{last}"
        return f"{words.day_month(*self.start)}–{words.day_month(*self.end)}"

    def _contains(self, month_day: tuple[int, int]) -> bool:
        if self.wraps_year_end:
            return month_day >= self.start or month_day <= self.end
        return self.start <= month_day <= self.end


def _check_month_day(value: tuple[int, int], field_name: str) -> None:
    if not (isinstance(value, (tuple, list)) and len(value) == 2 and all(map(_is_int, value))
            and 1 <= value[0] <= 12 and 1 <= value[1] <= _DAYS_IN_MONTH[value[0] - 1]):
        raise ValidationError(f"Datumet {value} finns inte.", f"The date {value} does not exist.", field=field_name)


def _parse_month_day(text: str, field_name: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d{1,2})-(\d{1,2})\s*", text) if isinstance(text, str) else None
    if not match:
        raise ValidationError("Skriv datumet som MM-DD, t.ex. 05-15.", "Write the date as MM-DD, e.g. 05-15.",
                              field=field_name)
    month, day = int(match[1]), int(match[2])
    if not (1 <= month <= 12 and 1 <= day <= _DAYS_IN_MONTH[month - 1]):
        raise ValidationError(f"Datumet {text.strip()} finns inte.", f"The date {text.strip()} does not exist.",
                              field=field_name)
    return month, day


def _leap_year_day(month_day: tuple[int, int]) -> int:
    return date(2024, *month_day).timetuple().tm_yday


@dataclass(frozen=True)
class Quota:
    """At least `count` times within the season, at least `min_gap_days` apart ("minst 6 gånger 15 maj–30 sep")."""

    count: int
    min_gap_days: int = 0

    def __post_init__(self) -> None:
        if not (_is_int(self.count) and 1 <= self.count <= 366):
            raise ValidationError("Antalet gånger ska vara mellan 1 och 366.",
                                  "The number of times must be between 1 and 366.", field="quota_count")
        if not (_is_int(self.min_gap_days) and 0 <= self.min_gap_days <= 365):
            raise ValidationError("Antalet dagar emellan ska vara mellan 0 och 365.",
                                  "The days apart must be between 0 and 365.", field="quota_min_gap_days")

    def validate_fits(self, season: Season | None) -> None:
        """Refuse a quota that no one could meet within the season (None means all year)."""
        length = season.length_days() if season else 365
        # One visit a day at most; the first visit on the first day leaves length - 1 days for the gaps.
        if (self.count - 1) * max(self.min_gap_days, 1) <= length - 1:
            return
        gap_sv = f" med minst {_days_sv(self.min_gap_days)} emellan" if self.min_gap_days else ""
        gap_en = f" at least {_days_en(self.min_gap_days)} apart" if self.min_gap_days else ""
        raise ValidationError(
            f"{_times_sv(self.count)}{gap_sv} ryms inte {_within(season, _SWEDISH, 'på ett år')}.",
            f"{_times_en(self.count)}{gap_en} do not fit {_within(season, _ENGLISH, 'in a year')}.",
            field="quota_count")


def _times_sv(count: int) -> str:
    return f"{count} {'gång' if count == 1 else 'gånger'}"


def _times_en(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def _days_sv(days: int) -> str:
    return f"{days} {'dag' if days == 1 else 'dagar'}"


def _days_en(days: int) -> str:
    return f"{days} {'day' if days == 1 else 'days'}"


def _within(season: Season | None, words: _Words, whole_year: str) -> str:
    return whole_year if season is None or season.is_all_year else words.between(season.start, season.end)


def describe_quota(quota: Quota, season: Season | None, locale: str = "sv") -> str:
    """The quota in words: "minst 6 gånger mellan 15 maj och 30 sep, minst 10 dagar isär"."""
    if _words(locale) is _ENGLISH:
        gap = f", at least {_days_en(quota.min_gap_days)} apart" if quota.min_gap_days else ""
        return f"at least {_times_en(quota.count)} {_within(season, _ENGLISH, 'a year')}{gap}"
    gap = f", minst {_days_sv(quota.min_gap_days)} isär" if quota.min_gap_days else ""
    return f"minst {_times_sv(quota.count)} {_within(season, _SWEDISH, 'per år')}{gap}"


def _names_months_within(rule: Recurrence, season: Season) -> bool:
    # "en gång i maj" already says when; adding the season "maj" would only repeat it.
    return bool(rule.bymonth) and all(season.covers_month(month) for month in rule.bymonth)


def agreed_level_sentence(task_name: str, rule: Recurrence | Quota, season: Season | None, level_text: str,
                          locale: str = "sv") -> str:
    """One line for an agreed task: name, how often, when, and the level it is done to."""
    if isinstance(rule, Quota):
        sentence = f"{task_name} {describe_quota(rule, season, locale)}"
    else:
        sentence = f"{task_name} {describe(rule, locale)}"
        if season is not None and not season.is_all_year and not _names_months_within(rule, season):
            sentence += f" {season.describe(locale)}"
    level = (level_text or "").strip()
    return f"{sentence} · {level}" if level else sentence


def check_rule(rule: object, season: Season | None) -> Recurrence | Quota:
    """Refuse a rule that cannot be kept within its season: a quota without one or too large for it,
    or a rule tied to months that all lie outside it ("i augusti" with the season juni–juli)."""
    if isinstance(rule, Quota):
        if season is None:
            raise ValidationError("Ett antal gånger kräver en säsong att räkna inom.",
                                  "A quota needs a season to count within.", field="season_start")
        rule.validate_fits(season)
        return rule
    if not isinstance(rule, Recurrence):
        raise ValidationError("Ange hur ofta momentet ska göras.", "Say how often the task is done.", field="pattern")
    if season is not None and rule.bymonth and not any(season.touches_month(m) for m in rule.bymonth):
        raise ValidationError(
            f"Regeln faller i {_SWEDISH.months(rule.bymonth)}, utanför säsongen {season.describe('sv')}.",
            f"The rule falls in {_ENGLISH.months(rule.bymonth)}, outside the season {season.describe('en')}.",
            field="season_start")
    return rule
