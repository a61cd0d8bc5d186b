from datetime import date, datetime
from itertools import islice, product

import pytest

from skotsel.domain.errors import ValidationError
from skotsel.domain.recurrence import (
    FREQUENCIES,
    Quota,
    Recurrence,
    RecurrenceForm,
    Season,
    agreed_level_sentence,
    describe,
    describe_quota,
    english_ordinal,
    swedish_ordinal,
)

GRASS_SEASON = Season.parse("05-15", "09-30")


def named(rows, columns=1):
    """One test per row, named after its leading columns, so a failure says which rule broke."""
    return [pytest.param(*row, id=" ".join(_name(value) for value in row[:columns])) for row in rows]


def _name(value):
    if isinstance(value, RecurrenceForm):
        defaults = RecurrenceForm()
        changed = [f"{key}={getattr(value, key)!r}" for key in ("interval", "weekdays", "months", "monthday",
                                                                 "ordinal", "custom_rrule")
                   if getattr(value, key) != getattr(defaults, key)]
        return " ".join([value.pattern, *changed])
    return str(value).replace("\n", " ") or "empty"



@pytest.mark.parametrize(("rrule", "swedish", "english"), named([
    ("FREQ=DAILY", "dagligen", "daily"),
    ("FREQ=DAILY;INTERVAL=2", "varannan dag", "every other day"),
    ("FREQ=DAILY;INTERVAL=3", "var tredje dag", "every 3 days"),
    ("FREQ=WEEKLY", "varje vecka", "every week"),
    ("FREQ=WEEKLY;INTERVAL=2", "varannan vecka", "every other week"),
    ("FREQ=WEEKLY;INTERVAL=3", "var tredje vecka", "every 3 weeks"),
    ("FREQ=WEEKLY;INTERVAL=13", "var 13:e vecka", "every 13 weeks"),
    ("FREQ=WEEKLY;BYDAY=SA", "varje lördag", "every Saturday"),
    ("FREQ=WEEKLY;BYDAY=MO,TH", "varje måndag och torsdag", "every Monday and Thursday"),
    ("FREQ=WEEKLY;BYDAY=MO,WE,FR", "varje måndag, onsdag och fredag", "every Monday, Wednesday and Friday"),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=SA", "varannan lördag", "every other Saturday"),
    ("FREQ=WEEKLY;INTERVAL=3;BYDAY=SA", "var tredje lördag", "every 3 weeks on Saturdays"),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH", "varannan vecka på måndagar och torsdagar",
     "every other week on Mondays and Thursdays"),
    ("FREQ=MONTHLY", "varje månad", "every month"),
    ("FREQ=MONTHLY;INTERVAL=2", "varannan månad", "every other month"),
    ("FREQ=MONTHLY;BYMONTHDAY=15", "den 15:e varje månad", "on the 15th of every month"),
    ("FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=1", "den 1:a varannan månad", "on the 1st of every other month"),
    ("FREQ=MONTHLY;BYDAY=1SA", "första lördagen varje månad", "first Saturday of every month"),
    ("FREQ=MONTHLY;BYDAY=-1SU", "sista söndagen varje månad", "last Sunday of every month"),
    ("FREQ=MONTHLY;BYDAY=-2FR", "näst sista fredagen varje månad", "second to last Friday of every month"),
    ("FREQ=MONTHLY;INTERVAL=3;BYDAY=2TU", "andra tisdagen var tredje månad", "second Tuesday of every 3 months"),
    ("FREQ=YEARLY", "en gång per år", "once a year"),
    ("FREQ=YEARLY;INTERVAL=2", "en gång vartannat år", "once every other year"),
    ("FREQ=YEARLY;INTERVAL=3", "en gång vart tredje år", "once every 3 years"),
    ("FREQ=YEARLY;BYMONTH=8", "en gång i augusti", "once in August"),
    ("FREQ=YEARLY;BYMONTH=6,9", "i juni och september", "in June and September"),
    ("FREQ=YEARLY;INTERVAL=2;BYMONTH=8", "en gång i augusti vartannat år", "once in August every other year"),
]))
def test_describe_reads_the_friendly_rules_in_both_languages(rrule, swedish, english):
    recurrence = Recurrence.parse(rrule)

    assert describe(recurrence) == swedish
    assert describe(recurrence, "sv") == swedish
    assert describe(recurrence, "en") == english


@pytest.mark.parametrize(("rrule", "swedish", "english"), named([
    ("FREQ=DAILY;BYMONTH=6,7", "dagligen i juni och juli", "daily in June and July"),
    ("FREQ=DAILY;BYDAY=SA,SU", "varje lördag och söndag", "every Saturday and Sunday"),
    ("FREQ=DAILY;BYMONTHDAY=1", "den 1:a varje månad", "on the 1st of every month"),
    ("FREQ=DAILY;INTERVAL=2;BYMONTHDAY=1;BYDAY=SA", "varannan dag, om det är den 1:a och en lördag",
     "every other day, if it is the 1st and a Saturday"),
    ("FREQ=WEEKLY;BYMONTH=6,7,8;BYDAY=SA", "varje lördag i juni, juli och augusti",
     "every Saturday in June, July and August"),
    ("FREQ=MONTHLY;BYMONTHDAY=1,15,-1", "den 1:a, 15:e och sista dagen varje månad",
     "on the 1st, 15th and the last day of every month"),
    ("FREQ=MONTHLY;BYMONTHDAY=-2", "näst sista dagen varje månad", "on the second to last day of every month"),
    ("FREQ=MONTHLY;BYMONTHDAY=13;BYDAY=FR", "den 13:e varje månad, om det är en fredag",
     "on the 13th of every month, if it is a Friday"),
    ("FREQ=MONTHLY;BYDAY=1SA,3SA,-1SU", "första och tredje lördagen och sista söndagen varje månad",
     "first and third Saturday and last Sunday of every month"),
    ("FREQ=MONTHLY;BYDAY=SA", "varje lördag", "every Saturday"),
    ("FREQ=MONTHLY;INTERVAL=2;BYDAY=SA", "varje lördag varannan månad", "every Saturday every other month"),
    ("FREQ=MONTHLY;BYMONTH=6", "en gång i juni", "once in June"),
    ("FREQ=MONTHLY;BYMONTH=6,7,8", "i juni, juli och augusti", "in June, July and August"),
    ("FREQ=MONTHLY;INTERVAL=2;BYMONTH=6,7", "varannan månad i juni och juli", "every other month in June and July"),
    ("FREQ=MONTHLY;BYMONTH=6,7;BYDAY=1SA", "första lördagen i juni och juli", "first Saturday of June and July"),
    ("FREQ=YEARLY;BYMONTH=8;BYMONTHDAY=15", "den 15 augusti varje år", "on 15 August every year"),
    ("FREQ=YEARLY;INTERVAL=2;BYMONTH=8;BYMONTHDAY=1,15", "den 1 och 15 augusti vartannat år",
     "on 1 and 15 August every other year"),
    ("FREQ=YEARLY;BYMONTH=6,9;BYMONTHDAY=15", "den 15:e i juni och september varje år",
     "on the 15th of June and September every year"),
    ("FREQ=YEARLY;BYMONTHDAY=15", "den 15:e varje månad", "on the 15th of every month"),
    ("FREQ=YEARLY;INTERVAL=2;BYMONTHDAY=-1", "sista dagen varje månad vartannat år",
     "on the last day of every month every other year"),
    ("FREQ=YEARLY;BYDAY=1SA", "första lördagen varje år", "first Saturday of every year"),
    ("FREQ=YEARLY;BYMONTH=8;BYDAY=1SA", "första lördagen i augusti varje år", "first Saturday of August every year"),
    ("FREQ=YEARLY;BYMONTH=8;BYDAY=SA", "varje lördag i augusti", "every Saturday in August"),
    ("FREQ=YEARLY;BYMONTH=8;BYMONTHDAY=13;BYDAY=FR", "den 13:e i augusti varje år, om det är en fredag",
     "on the 13th of August every year, if it is a Friday"),
]))
def test_describe_gives_odd_combinations_a_plainer_but_correct_sentence(rrule, swedish, english):
    recurrence = Recurrence.parse(rrule)

    assert (describe(recurrence, "sv"), describe(recurrence, "en")) == (swedish, english)


@pytest.mark.parametrize(("day", "phrase"), named([
    (1, "den 1:a varje månad"), (2, "den 2:a varje månad"), (3, "den 3:e varje månad"),
    (11, "den 11:e varje månad"), (12, "den 12:e varje månad"), (21, "den 21:a varje månad"),
    (22, "den 22:a varje månad"), (23, "den 23:e varje månad"), (31, "den 31:a varje månad"),
]))
def test_describe_uses_the_swedish_ordinal_suffix_for_days_of_the_month(day, phrase):
    assert describe(Recurrence("MONTHLY", bymonthday=(day,))) == phrase


@pytest.mark.parametrize(("number", "swedish", "english"), named([
    (1, "1:a", "1st"), (2, "2:a", "2nd"), (3, "3:e", "3rd"), (4, "4:e", "4th"), (11, "11:e", "11th"),
    (12, "12:e", "12th"), (13, "13:e", "13th"), (21, "21:a", "21st"), (22, "22:a", "22nd"), (23, "23:e", "23rd"),
    (31, "31:a", "31st"), (101, "101:a", "101st"), (111, "111:e", "111th"),
]))
def test_ordinal_suffixes(number, swedish, english):
    assert (swedish_ordinal(number), english_ordinal(number)) == (swedish, english)


@pytest.mark.parametrize("locale", ["en_GB", "EN", "en-US"])
def test_describe_treats_any_english_locale_as_english(locale):
    assert describe(Recurrence.parse("FREQ=WEEKLY;INTERVAL=2"), locale) == "every other week"


@pytest.mark.parametrize("locale", ["sv_SE", "de", ""])
def test_describe_falls_back_to_swedish_for_other_locales(locale):
    assert describe(Recurrence.parse("FREQ=WEEKLY;INTERVAL=2"), locale) == "varannan vecka"



@pytest.mark.parametrize(("text", "canonical"), named([
    ("FREQ=WEEKLY;INTERVAL=2", "FREQ=WEEKLY;INTERVAL=2"),
    ("RRULE:FREQ=WEEKLY;INTERVAL=2", "FREQ=WEEKLY;INTERVAL=2"),
    ("rrule:freq=weekly;interval=2", "FREQ=WEEKLY;INTERVAL=2"),
    ("  FREQ = WEEKLY ; INTERVAL = 2 ;  ", "FREQ=WEEKLY;INTERVAL=2"),
    ("INTERVAL=2;FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2"),
    ("FREQ=WEEKLY;INTERVAL=2;WKST=MO", "FREQ=WEEKLY;INTERVAL=2"),
    ("FREQ=WEEKLY;INTERVAL=1", "FREQ=WEEKLY"),
    ("FREQ=WEEKLY;BYDAY=SU,TH,MO,MO", "FREQ=WEEKLY;BYDAY=MO,TH,SU"),
    ("FREQ=YEARLY;BYMONTH=9,6", "FREQ=YEARLY;BYMONTH=6,9"),
    ("FREQ=MONTHLY;BYDAY=+1SA", "FREQ=MONTHLY;BYDAY=1SA"),
    ("FREQ=MONTHLY;BYDAY=-1SA,1SA,3SA", "FREQ=MONTHLY;BYDAY=1SA,3SA,-1SA"),
    ("FREQ=MONTHLY;BYMONTHDAY=-1,15,1", "FREQ=MONTHLY;BYMONTHDAY=1,15,-1"),
    ("FREQ=YEARLY;BYDAY=1SA;BYMONTHDAY=1,2,3,4,5,6,7;BYMONTH=8;INTERVAL=2",
     "FREQ=YEARLY;INTERVAL=2;BYMONTH=8;BYMONTHDAY=1,2,3,4,5,6,7;BYDAY=1SA"),
]))
def test_parse_accepts_any_spelling_and_to_rrule_writes_the_canonical_one(text, canonical):
    assert Recurrence.parse(text).to_rrule() == canonical


ALL_KINDS_OF_RULES = [
    "FREQ=DAILY", "FREQ=DAILY;INTERVAL=3", "FREQ=DAILY;BYMONTH=6,7", "FREQ=DAILY;BYDAY=SA,SU",
    "FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=52", "FREQ=WEEKLY;BYDAY=MO,TH", "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA",
    "FREQ=WEEKLY;BYMONTH=6;BYDAY=SA", "FREQ=MONTHLY", "FREQ=MONTHLY;BYMONTHDAY=31", "FREQ=MONTHLY;BYMONTHDAY=-1",
    "FREQ=MONTHLY;BYDAY=5FR", "FREQ=MONTHLY;BYDAY=-5MO", "FREQ=MONTHLY;BYMONTH=6,7,8", "FREQ=MONTHLY;BYDAY=SA",
    "FREQ=YEARLY", "FREQ=YEARLY;BYMONTH=1,2,3,4,5,6,7,8,9,10,11,12", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
    "FREQ=YEARLY;BYMONTH=8;BYDAY=-1SU", "FREQ=YEARLY;BYMONTHDAY=13;BYDAY=FR",
]


@pytest.mark.parametrize("rrule", ALL_KINDS_OF_RULES)
def test_to_rrule_is_stable_and_readable_by_dateutil(rrule):
    recurrence = Recurrence.parse(rrule)

    assert recurrence.to_rrule() == rrule
    assert Recurrence.parse(recurrence.to_rrule()) == recurrence
    assert next(iter(recurrence.to_dateutil(datetime(2025, 1, 1)))) >= datetime(2025, 1, 1)


@pytest.mark.parametrize(("text", "message"), named([
    ("", "Ogiltig RRULE: regeln är tom."),
    ("RRULE:", "Ogiltig RRULE: FREQ saknas."),
    ("INTERVAL=2", "Ogiltig RRULE: FREQ saknas."),
    ("FREQ", "Ogiltig RRULE: FREQ saknar värde (skriv NAMN=VÄRDE)."),
    ("FREQ=", "Ogiltig RRULE: FREQ= saknar värde (skriv NAMN=VÄRDE)."),
    ("DTSTART:20250101T000000\nRRULE:FREQ=WEEKLY",
     "Ogiltig RRULE: skriv bara själva regeln på en rad, utan DTSTART."),
    ("FREQ=HOURLY", "Ogiltig RRULE: FREQ=HOURLY stöds inte; använd DAILY, WEEKLY, MONTHLY eller YEARLY."),
    ("FREQ=WEEKLY;FREQ=DAILY", "Ogiltig RRULE: FREQ står mer än en gång."),
    ("FREQ=WEEKLY;COLOUR=RED", "Ogiltig RRULE: okänd del COLOUR."),
    ("FREQ=WEEKLY;COUNT=10",
     "Ogiltig RRULE: COUNT stöds inte – avtalstiden och säsongen avgör när uppdraget slutar."),
    ("FREQ=WEEKLY;UNTIL=20251231T000000Z",
     "Ogiltig RRULE: UNTIL stöds inte – avtalstiden och säsongen avgör när uppdraget slutar."),
    ("FREQ=MONTHLY;BYDAY=SA;BYSETPOS=1", "Ogiltig RRULE: BYSETPOS stöds inte."),
    ("FREQ=DAILY;BYHOUR=8", "Ogiltig RRULE: BYHOUR stöds inte."),
    ("FREQ=DAILY;BYMINUTE=30", "Ogiltig RRULE: BYMINUTE stöds inte."),
    ("FREQ=DAILY;BYSECOND=0", "Ogiltig RRULE: BYSECOND stöds inte."),
    ("FREQ=YEARLY;BYYEARDAY=100", "Ogiltig RRULE: BYYEARDAY stöds inte."),
    ("FREQ=YEARLY;BYWEEKNO=20", "Ogiltig RRULE: BYWEEKNO stöds inte."),
    ("FREQ=WEEKLY;WKST=SU", "Ogiltig RRULE: WKST=SU stöds inte; veckan börjar på måndag."),
    ("FREQ=WEEKLY;INTERVAL=0", "Ogiltig RRULE: intervallet ska vara ett heltal mellan 1 och 52."),
    ("FREQ=WEEKLY;INTERVAL=53", "Ogiltig RRULE: intervallet ska vara ett heltal mellan 1 och 52."),
    ("FREQ=WEEKLY;INTERVAL=-1", "Ogiltig RRULE: INTERVAL ska vara ett heltal."),
    ("FREQ=WEEKLY;INTERVAL=two", "Ogiltig RRULE: INTERVAL ska vara ett heltal."),
    ("FREQ=YEARLY;BYMONTH=13", "Ogiltig RRULE: månaden 13 finns inte; ange 1–12."),
    ("FREQ=YEARLY;BYMONTH=0", "Ogiltig RRULE: månaden 0 finns inte; ange 1–12."),
    ("FREQ=YEARLY;BYMONTH=6,,9", "Ogiltig RRULE: BYMONTH ska vara heltal åtskilda med komma."),
    ("FREQ=MONTHLY;BYMONTHDAY=0",
     "Ogiltig RRULE: dagen 0 går inte; ange 1–31, eller -1 till -31 för att räkna från månadens slut."),
    ("FREQ=MONTHLY;BYMONTHDAY=32",
     "Ogiltig RRULE: dagen 32 går inte; ange 1–31, eller -1 till -31 för att räkna från månadens slut."),
    ("FREQ=MONTHLY;BYMONTHDAY=-32",
     "Ogiltig RRULE: dagen -32 går inte; ange 1–31, eller -1 till -31 för att räkna från månadens slut."),
    ("FREQ=WEEKLY;BYDAY=XX", 'Ogiltig RRULE: okänd veckodag "XX"; använd MO, TU, WE, TH, FR, SA eller SU.'),
    ("FREQ=WEEKLY;BYDAY=SA,", 'Ogiltig RRULE: okänd veckodag ""; använd MO, TU, WE, TH, FR, SA eller SU.'),
    ("FREQ=MONTHLY;BYDAY=6SA",
     "Ogiltig RRULE: ordningstalet i 6SA går inte; ange 1–5, eller -1 till -5 räknat från slutet."),
    ("FREQ=MONTHLY;BYDAY=0SA",
     "Ogiltig RRULE: ordningstalet i 0SA går inte; ange 1–5, eller -1 till -5 räknat från slutet."),
    ("FREQ=MONTHLY;BYDAY=-6SA",
     "Ogiltig RRULE: ordningstalet i -6SA går inte; ange 1–5, eller -1 till -5 räknat från slutet."),
    ("FREQ=WEEKLY;BYDAY=1SA", "Ogiltig RRULE: veckodag med ordningstal (t.ex. första lördagen, 1SA) går bara med "
                              "månadsvis eller årlig upprepning."),
    ("FREQ=DAILY;BYDAY=-1SU", "Ogiltig RRULE: veckodag med ordningstal (t.ex. första lördagen, 1SA) går bara med "
                              "månadsvis eller årlig upprepning."),
    ("FREQ=WEEKLY;BYMONTHDAY=1", "Ogiltig RRULE: dag i månaden går inte att kombinera med veckovis upprepning."),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "Ogiltig RRULE: dagen 30 finns inte i de valda månaderna."),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30,1", "Ogiltig RRULE: dagen 30 finns inte i de valda månaderna."),
    ("FREQ=MONTHLY;BYMONTH=4,6,9,11;BYMONTHDAY=-31", "Ogiltig RRULE: dagen -31 finns inte i de valda månaderna."),
    ("FREQ=MONTHLY;BYDAY=5FR;BYMONTHDAY=13", "Ogiltig RRULE: regeln ger aldrig något tillfälle."),
    ("FREQ=MONTHLY;BYDAY=SA,1SU", "Ogiltig RRULE: blanda inte veckodagar med och utan ordningstal (t.ex. varje "
                                  "lördag och första söndagen); lägg in dem som två skötselmoment."),
    ("FREQ=WEEKLY;INTERVAL=²", "Ogiltig RRULE: INTERVAL ska vara ett heltal."),
    ("FREQ=MONTHLY;BYMONTHDAY=٣", "Ogiltig RRULE: BYMONTHDAY ska vara heltal åtskilda med komma."),
]))
def test_parse_rejects_what_an_agreement_cannot_use_naming_the_part(text, message):
    with pytest.raises(ValidationError) as caught:
        Recurrence.parse(text)

    assert (str(caught.value), caught.value.message_sv, caught.value.field) == (message, message, "rrule")


def test_parse_explains_in_english_too():
    with pytest.raises(ValidationError) as caught:
        Recurrence.parse("FREQ=WEEKLY;INTERVAL=0")

    assert caught.value.message_en == "Invalid RRULE: the interval must be a whole number from 1 to 52."


def test_rules_written_differently_but_meaning_the_same_are_equal():
    assert Recurrence("weekly", byweekday=["th", "mo"]) == Recurrence.parse("FREQ=WEEKLY;BYDAY=MO,TH")


@pytest.mark.parametrize(("arguments", "field"), [
    ({"freq": "HOURLY"}, "pattern"),
    ({"freq": "WEEKLY", "interval": True}, "interval"),
    ({"freq": "WEEKLY", "interval": 2.0}, "interval"),
    ({"freq": "YEARLY", "bymonth": ("6",)}, "months"),
    ({"freq": "WEEKLY", "byweekday": (1,)}, "weekdays"),
], ids=["unknown-frequency", "bool-interval", "float-interval", "text-month", "number-weekday"])
def test_constructing_an_invalid_rule_names_the_form_field(arguments, field):
    with pytest.raises(ValidationError) as caught:
        Recurrence(**arguments)

    assert caught.value.field == field


@pytest.mark.parametrize(("rrule", "start", "first_dates"), named([
    ("FREQ=MONTHLY;BYDAY=-1SU", date(2025, 1, 1), ["2025-01-26", "2025-02-23", "2025-03-30"]),
    ("FREQ=MONTHLY;BYDAY=1SA", date(2025, 5, 15), ["2025-06-07", "2025-07-05", "2025-08-02"]),
    # The week starts on Monday, so Sunday 12 January belongs with Monday 6 January.
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,SU", date(2025, 1, 6), ["2025-01-06", "2025-01-12", "2025-01-20"]),
    # RFC 5545: a month without the 31st has no occurrence.
    ("FREQ=MONTHLY;BYMONTHDAY=31", date(2025, 1, 1), ["2025-01-31", "2025-03-31", "2025-05-31"]),
    ("FREQ=MONTHLY;BYMONTHDAY=-1", date(2025, 1, 1), ["2025-01-31", "2025-02-28", "2025-03-31"]),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", date(2025, 1, 1), ["2028-02-29", "2032-02-29", "2036-02-29"]),
    ("FREQ=YEARLY;BYMONTH=6,9", date(2025, 5, 15), ["2025-06-15", "2025-09-15", "2026-06-15"]),
]))
def test_to_dateutil_yields_the_dates_the_sentence_promises(rrule, start, first_dates):
    dates = [moment.date().isoformat() for moment in islice(Recurrence.parse(rrule).to_dateutil(start), 3)]

    assert dates == first_dates



@pytest.mark.parametrize(("form", "rrule"), named([
    (RecurrenceForm("daily"), "FREQ=DAILY"),
    (RecurrenceForm("daily", interval=3), "FREQ=DAILY;INTERVAL=3"),
    (RecurrenceForm("weekly"), "FREQ=WEEKLY"),
    (RecurrenceForm("weekly", interval=2), "FREQ=WEEKLY;INTERVAL=2"),
    (RecurrenceForm("weekly", weekdays=["SA"]), "FREQ=WEEKLY;BYDAY=SA"),
    (RecurrenceForm("weekly", interval=2, weekdays=["TH", "MO"]), "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH"),
    (RecurrenceForm("monthly"), "FREQ=MONTHLY"),
    (RecurrenceForm("monthly", interval=2), "FREQ=MONTHLY;INTERVAL=2"),
    (RecurrenceForm("monthly", monthday=15), "FREQ=MONTHLY;BYMONTHDAY=15"),
    (RecurrenceForm("monthly", weekdays=["SA"], ordinal=1), "FREQ=MONTHLY;BYDAY=1SA"),
    (RecurrenceForm("monthly", interval=2, weekdays=["SU"], ordinal=-1), "FREQ=MONTHLY;INTERVAL=2;BYDAY=-1SU"),
    (RecurrenceForm("yearly"), "FREQ=YEARLY"),
    (RecurrenceForm("yearly", months=[8]), "FREQ=YEARLY;BYMONTH=8"),
    (RecurrenceForm("yearly", interval=2, months=[9, 6]), "FREQ=YEARLY;INTERVAL=2;BYMONTH=6,9"),
    (RecurrenceForm("custom", custom_rrule="rrule:freq=monthly;bymonthday=-1,1"), "FREQ=MONTHLY;BYMONTHDAY=1,-1"),
    # The free text is the whole rule; the structured fields behind the other patterns do not count.
    (RecurrenceForm("custom", interval=5, weekdays=["MO"], custom_rrule="FREQ=DAILY"), "FREQ=DAILY"),
    # And the free-text box, hidden behind a structured pattern, does not count either.
    (RecurrenceForm("weekly", custom_rrule="FREQ=DAILY"), "FREQ=WEEKLY"),
]))
def test_from_form_builds_the_rule(form, rrule):
    assert Recurrence.from_form(form).to_rrule() == rrule


@pytest.mark.parametrize(("form", "field", "message"), named([
    (RecurrenceForm("fortnightly"), "pattern", "Välj hur ofta uppdraget upprepas."),
    (RecurrenceForm("weekly", interval=0), "interval", "Intervallet ska vara ett heltal mellan 1 och 52."),
    (RecurrenceForm("weekly", interval=53), "interval", "Intervallet ska vara ett heltal mellan 1 och 52."),
    (RecurrenceForm("weekly", interval=None), "interval", "Intervallet ska vara ett heltal mellan 1 och 52."),
    (RecurrenceForm("weekly", weekdays=["XX"]), "weekdays",
     'Okänd veckodag "XX"; använd MO, TU, WE, TH, FR, SA eller SU.'),
    (RecurrenceForm("weekly", weekdays=["1SA"]), "weekdays",
     'Okänd veckodag "1SA"; använd MO, TU, WE, TH, FR, SA eller SU.'),
    (RecurrenceForm("weekly", weekdays=["SA"], ordinal=1), "ordinal",
     "Veckodag i ordning (t.ex. första lördagen) kan bara väljas för månadsvis upprepning."),
    (RecurrenceForm("weekly", months=[6]), "months", "Månader kan bara väljas för årlig upprepning."),
    (RecurrenceForm("daily", weekdays=["SA"]), "weekdays",
     "Veckodagar kan bara väljas för veckovis eller månadsvis upprepning."),
    (RecurrenceForm("yearly", monthday=15), "monthday", "Dag i månaden kan bara väljas för månadsvis upprepning."),
    (RecurrenceForm("yearly", months=[13]), "months", "Månaden 13 finns inte; ange 1–12."),
    (RecurrenceForm("monthly", ordinal=1), "weekdays",
     "Välj exakt en veckodag, t.ex. lördag för första lördagen."),
    (RecurrenceForm("monthly", weekdays=["SA", "SU"], ordinal=1), "weekdays",
     "Välj exakt en veckodag, t.ex. lördag för första lördagen."),
    (RecurrenceForm("monthly", weekdays=["SA"], ordinal=6), "ordinal",
     "Välj första, andra, tredje, fjärde, femte eller sista."),
    (RecurrenceForm("monthly", weekdays=["SA"], ordinal=-2), "ordinal",
     "Välj första, andra, tredje, fjärde, femte eller sista."),
    (RecurrenceForm("monthly", weekdays=["SA"]), "ordinal",
     "Välj vilken i ordningen veckodagen är, t.ex. första eller sista."),
    (RecurrenceForm("monthly", monthday=0), "monthday", "Dagen i månaden ska vara mellan 1 och 31."),
    (RecurrenceForm("monthly", monthday=32), "monthday", "Dagen i månaden ska vara mellan 1 och 31."),
    (RecurrenceForm("monthly", monthday=-1), "monthday", "Dagen i månaden ska vara mellan 1 och 31."),
    (RecurrenceForm("monthly", monthday=15, weekdays=["SA"], ordinal=1), "monthday",
     "Välj antingen en dag i månaden eller en veckodag i ordning, inte båda."),
    (RecurrenceForm("custom"), "custom_rrule", "Ogiltig RRULE: regeln är tom."),
    (RecurrenceForm("custom", custom_rrule="FREQ=WEEKLY;COUNT=3"), "custom_rrule",
     "Ogiltig RRULE: COUNT stöds inte – avtalstiden och säsongen avgör när uppdraget slutar."),
]))
def test_from_form_names_the_field_to_fix(form, field, message):
    with pytest.raises(ValidationError) as caught:
        Recurrence.from_form(form)

    assert (caught.value.field, str(caught.value)) == (field, message)


@pytest.mark.parametrize(("rrule", "form"), named([
    ("FREQ=DAILY;INTERVAL=2", RecurrenceForm("daily", interval=2)),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH", RecurrenceForm("weekly", interval=2, weekdays=["MO", "TH"])),
    ("FREQ=MONTHLY;BYMONTHDAY=15", RecurrenceForm("monthly", monthday=15)),
    ("FREQ=MONTHLY;BYDAY=-1SU", RecurrenceForm("monthly", weekdays=["SU"], ordinal=-1)),
    ("FREQ=YEARLY;BYMONTH=6,9", RecurrenceForm("yearly", months=[6, 9])),
    # What the structured patterns cannot say falls back to the free text.
    ("FREQ=DAILY;BYDAY=SA", RecurrenceForm("custom", custom_rrule="FREQ=DAILY;BYDAY=SA")),
    ("FREQ=WEEKLY;BYMONTH=6;BYDAY=SA", RecurrenceForm("custom", custom_rrule="FREQ=WEEKLY;BYMONTH=6;BYDAY=SA")),
    ("FREQ=MONTHLY;BYDAY=-2SU", RecurrenceForm("custom", custom_rrule="FREQ=MONTHLY;BYDAY=-2SU")),
    ("FREQ=MONTHLY;BYDAY=SA", RecurrenceForm("custom", custom_rrule="FREQ=MONTHLY;BYDAY=SA")),
    ("FREQ=MONTHLY;BYMONTHDAY=-1", RecurrenceForm("custom", custom_rrule="FREQ=MONTHLY;BYMONTHDAY=-1")),
    ("FREQ=MONTHLY;BYMONTHDAY=1,15", RecurrenceForm("custom", custom_rrule="FREQ=MONTHLY;BYMONTHDAY=1,15")),
    ("FREQ=MONTHLY;BYMONTH=6", RecurrenceForm("custom", custom_rrule="FREQ=MONTHLY;BYMONTH=6")),
    ("FREQ=YEARLY;BYMONTH=8;BYMONTHDAY=15",
     RecurrenceForm("custom", custom_rrule="FREQ=YEARLY;BYMONTH=8;BYMONTHDAY=15")),
]))
def test_to_form_chooses_the_friendliest_pattern_that_says_exactly_the_rule(rrule, form):
    assert Recurrence.parse(rrule).to_form() == form


def _every_rule_the_fields_can_make():
    weekday_choices = [(), ("SA",), ("MO", "TH"), ("1SA",), ("-1SU",), ("1SA", "2SU"), ("5FR", "-5MO")]
    for freq, interval, byweekday, bymonth, bymonthday in product(
            FREQUENCIES, (1, 2, 3, 13), weekday_choices, ((), (8,), (2, 6, 9)), ((), (15,), (1, -1), (31,))):
        try:
            yield Recurrence(freq, interval, byweekday, bymonth, bymonthday)
        except ValidationError:
            continue
    # Every day of the month, counted from either end, gets its words (−13 once had no Swedish ordinal).
    for freq, day in product(("MONTHLY", "YEARLY"), [d for d in range(-31, 32) if d]):
        yield Recurrence(freq, 1, (), (), (day,))


def test_every_rule_round_trips_through_the_form_and_gets_a_sentence_in_both_languages():
    rules = list(_every_rule_the_fields_can_make())

    for rule in rules:
        assert Recurrence.from_form(rule.to_form()) == rule, rule.to_rrule()
        assert Recurrence.parse(rule.to_rrule()) == rule, rule.to_rrule()
        swedish, english = describe(rule, "sv"), describe(rule, "en")
        assert swedish and english and swedish != english, rule.to_rrule()
    assert len(rules) > 500



@pytest.mark.parametrize(("start", "end", "expected"), named([
    ("05-15", "09-30", ((5, 15), (9, 30))),
    ("5-1", "9-30", ((5, 1), (9, 30))),
    ("11-01", "03-31", ((11, 1), (3, 31))),
    ("02-29", "02-29", ((2, 29), (2, 29))),
], columns=2))
def test_season_parse_reads_month_and_day(start, end, expected):
    season = Season.parse(start, end)

    assert (season.start, season.end) == expected
    assert Season.parse(season.start_text, season.end_text) == season


def test_season_writes_month_day_texts_with_two_digits():
    season = Season.parse("5-1", "9-30")

    assert (season.start_text, season.end_text) == ("05-01", "09-30")


@pytest.mark.parametrize(("start", "end", "field", "message"), named([
    ("13-01", "09-30", "season_start", "Datumet 13-01 finns inte."),
    ("05-15", "02-30", "season_end", "Datumet 02-30 finns inte."),
    ("04-31", "09-30", "season_start", "Datumet 04-31 finns inte."),
    ("00-10", "09-30", "season_start", "Datumet 00-10 finns inte."),
    ("05/15", "09-30", "season_start", "Skriv datumet som MM-DD, t.ex. 05-15."),
    ("05-15", "", "season_end", "Skriv datumet som MM-DD, t.ex. 05-15."),
    ("2025-05-15", "09-30", "season_start", "Skriv datumet som MM-DD, t.ex. 05-15."),
], columns=2))
def test_season_parse_rejects_dates_that_do_not_exist(start, end, field, message):
    with pytest.raises(ValidationError) as caught:
        Season.parse(start, end)

    assert (caught.value.field, str(caught.value)) == (field, message)


@pytest.mark.parametrize(("start", "end", "swedish", "english"), named([
    ("05-15", "09-30", "15 maj–30 sep", "15 May–30 Sep"),
    ("05-01", "09-15", "1 maj–15 sep", "1 May–15 Sep"),
    ("05-01", "09-30", "maj–sep", "May–Sep"),
    ("06-01", "08-31", "juni–aug", "Jun–Aug"),
    ("03-01", "07-31", "mars–juli", "Mar–Jul"),
    ("06-01", "06-30", "juni", "Jun"),
    ("11-01", "03-31", "nov–mars", "Nov–Mar"),
    ("01-01", "12-31", "hela året", "all year"),
    ("11-01", "02-29", "nov–feb", "Nov–Feb"),
    # 28 February is not the end of February in a leap year.
    ("11-01", "02-28", "1 nov–28 feb", "1 Nov–28 Feb"),
    ("12-24", "12-26", "24 dec–26 dec", "24 Dec–26 Dec"),
], columns=2))
def test_season_describe(start, end, swedish, english):
    season = Season.parse(start, end)

    assert (season.describe(), season.describe("en")) == (swedish, english)


@pytest.mark.parametrize(("start", "end", "days"), named([
    ("05-15", "09-30", 139),
    ("01-01", "12-31", 365),
    ("06-01", "06-01", 1),
    ("11-01", "03-31", 151),
    ("12-31", "01-01", 2),
    ("02-01", "02-29", 28),
    ("02-29", "02-29", 0),
    ("03-01", "02-28", 365),
], columns=2))
def test_season_length_counts_days_in_a_year_without_29_february(start, end, days):
    assert Season.parse(start, end).length_days() == days


@pytest.mark.parametrize(("start", "end", "day", "inside"), named([
    ("05-15", "09-30", date(2025, 5, 14), False),
    ("05-15", "09-30", date(2025, 5, 15), True),
    ("05-15", "09-30", date(2025, 9, 30), True),
    ("05-15", "09-30", date(2025, 10, 1), False),
    ("11-01", "03-31", date(2025, 10, 31), False),
    ("11-01", "03-31", date(2025, 12, 31), True),
    ("11-01", "03-31", date(2026, 1, 1), True),
    ("11-01", "03-31", date(2024, 2, 29), True),
    ("11-01", "03-31", date(2026, 4, 1), False),
], columns=3))
def test_season_contains_its_edges_and_wraps_the_year_end(start, end, day, inside):
    assert Season.parse(start, end).contains(day) is inside



@pytest.mark.parametrize(("start", "end", "month", "covered"), named([
    ("05-01", "09-30", 5, True),
    ("05-01", "09-30", 9, True),
    ("05-01", "09-30", 4, False),
    ("05-15", "09-30", 5, False),
    ("11-01", "02-29", 12, True),
    ("11-01", "02-29", 2, True),
    ("11-01", "02-28", 2, False),
], columns=3))
def test_season_covers_a_month_only_from_its_first_day_to_its_last(start, end, month, covered):
    assert Season.parse(start, end).covers_month(month) is covered


@pytest.mark.parametrize(("count", "gap", "field"), named([
    (0, 0, "quota_count"), (367, 0, "quota_count"), (True, 0, "quota_count"),
    (6, -1, "quota_min_gap_days"), (6, 366, "quota_min_gap_days"),
], columns=2))
def test_quota_rejects_counts_and_gaps_out_of_range(count, gap, field):
    with pytest.raises(ValidationError) as caught:
        Quota(count, gap)

    assert caught.value.field == field


@pytest.mark.parametrize(("count", "gap", "season"), named([
    (6, 10, GRASS_SEASON),
    (14, 10, GRASS_SEASON),
    (2, 138, GRASS_SEASON),
    (139, 0, GRASS_SEASON),
    (365, 0, None),
    (1, 365, None),
], columns=2))
def test_quota_fits_when_the_first_visit_on_the_first_day_leaves_room_for_the_rest(count, gap, season):
    Quota(count, gap).validate_fits(season)


@pytest.mark.parametrize(("count", "gap", "season", "message"), named([
    (15, 10, GRASS_SEASON, "15 gånger med minst 10 dagar emellan ryms inte mellan 15 maj och 30 sep."),
    (2, 139, GRASS_SEASON, "2 gånger med minst 139 dagar emellan ryms inte mellan 15 maj och 30 sep."),
    (140, 0, GRASS_SEASON, "140 gånger ryms inte mellan 15 maj och 30 sep."),
    (2, 1, Season.parse("06-01", "06-01"), "2 gånger med minst 1 dag emellan ryms inte mellan 1 juni och 1 juni."),
    (366, 0, None, "366 gånger ryms inte på ett år."),
    (2, 365, Season.parse("01-01", "12-31"), "2 gånger med minst 365 dagar emellan ryms inte på ett år."),
], columns=2))
def test_quota_that_no_one_could_meet_is_refused(count, gap, season, message):
    with pytest.raises(ValidationError) as caught:
        Quota(count, gap).validate_fits(season)

    assert (str(caught.value), caught.value.field) == (message, "quota_count")


def test_quota_refusal_reads_in_english_too():
    with pytest.raises(ValidationError) as caught:
        Quota(15, 10).validate_fits(GRASS_SEASON)

    assert caught.value.message_en == "15 times at least 10 days apart do not fit between 15 May and 30 Sep."


@pytest.mark.parametrize(("quota", "season", "swedish", "english"), [
    (Quota(6, 10), GRASS_SEASON, "minst 6 gånger mellan 15 maj och 30 sep, minst 10 dagar isär",
     "at least 6 times between 15 May and 30 Sep, at least 10 days apart"),
    (Quota(6, 0), GRASS_SEASON, "minst 6 gånger mellan 15 maj och 30 sep",
     "at least 6 times between 15 May and 30 Sep"),
    (Quota(1, 1), Season.parse("05-01", "09-30"), "minst 1 gång mellan 1 maj och 30 sep, minst 1 dag isär",
     "at least once between 1 May and 30 Sep, at least 1 day apart"),
    (Quota(4), Season.parse("11-01", "03-31"), "minst 4 gånger mellan 1 nov och 31 mars",
     "at least 4 times between 1 Nov and 31 Mar"),
    (Quota(12, 20), None, "minst 12 gånger per år, minst 20 dagar isär",
     "at least 12 times a year, at least 20 days apart"),
], ids=["with-gap", "no-gap", "singular", "winter", "all-year"])
def test_describe_quota(quota, season, swedish, english):
    assert (describe_quota(quota, season), describe_quota(quota, season, "en")) == (swedish, english)



@pytest.mark.parametrize(("task", "rule", "season", "level", "locale", "sentence"), [
    ("Klippning bruksgräsmatta", Recurrence.parse("FREQ=WEEKLY;INTERVAL=2"), GRASS_SEASON, "högst 10 cm", "sv",
     "Klippning bruksgräsmatta varannan vecka 15 maj–30 sep · högst 10 cm"),
    ("Tömning papperskorgar", Recurrence.parse("FREQ=WEEKLY"), None, "inga överfulla korgar", "sv",
     "Tömning papperskorgar varje vecka · inga överfulla korgar"),
    ("Tömning papperskorgar", Recurrence.parse("FREQ=WEEKLY"), Season.parse("01-01", "12-31"),
     "inga överfulla korgar", "sv", "Tömning papperskorgar varje vecka · inga överfulla korgar"),
    ("Skräpplockning", Quota(6, 10), GRASS_SEASON, "ingen synlig nedskräpning", "sv",
     "Skräpplockning minst 6 gånger mellan 15 maj och 30 sep, minst 10 dagar isär · ingen synlig nedskräpning"),
    ("Klippning bruksgräsmatta", Recurrence.parse("FREQ=WEEKLY;INTERVAL=2"), GRASS_SEASON, "", "sv",
     "Klippning bruksgräsmatta varannan vecka 15 maj–30 sep"),
    ("Klippning bruksgräsmatta", Recurrence.parse("FREQ=WEEKLY;INTERVAL=2"), GRASS_SEASON, "  ", "sv",
     "Klippning bruksgräsmatta varannan vecka 15 maj–30 sep"),
    ("Mow utility lawn", Recurrence.parse("FREQ=WEEKLY;INTERVAL=2"), GRASS_SEASON, "at most 10 cm", "en",
     "Mow utility lawn every other week 15 May–30 Sep · at most 10 cm"),
    ("Litter picking", Quota(6, 10), GRASS_SEASON, "no visible litter", "en",
     "Litter picking at least 6 times between 15 May and 30 Sep, at least 10 days apart · no visible litter"),
    ("Iläggning brygga", Recurrence.parse("FREQ=YEARLY;BYMONTH=5"), Season.parse("05-01", "05-31"),
     "förankrad och i våg", "sv", "Iläggning brygga en gång i maj · förankrad och i våg"),
    ("Ängsslåtter", Recurrence.parse("FREQ=YEARLY;BYMONTH=8"), Season.parse("08-15", "09-30"), "", "sv",
     "Ängsslåtter en gång i augusti 15 aug–30 sep"),
], ids=["rule-with-season", "all-year-as-none", "all-year-as-season", "quota", "no-level", "blank-level",
        "english-rule", "english-quota", "months-within-season-not-repeated", "months-partly-outside-season"])
def test_agreed_level_sentence(task, rule, season, level, locale, sentence):
    assert agreed_level_sentence(task, rule, season, level, locale) == sentence


@pytest.mark.parametrize("text", [
    "FREQ=YEARLY;BYMONTH=2;BYDAY=5MO",  # only in a leap year whose February begins on a Monday (2044)
    "FREQ=MONTHLY;INTERVAL=2;BYMONTH=8;BYDAY=5FR",  # hits August or not depending on where the schedule starts
    "FREQ=MONTHLY;BYMONTHDAY=13;BYDAY=FR",  # Friday the 13th
])
def test_rare_but_possible_rules_are_accepted(text):
    assert Recurrence.parse(text).to_rrule() == text
