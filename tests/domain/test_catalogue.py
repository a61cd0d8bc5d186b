import pytest

from skotsel.domain.catalogue import CATALOGUE, PERFORMERS, SITE_KINDS, entry_by_code
from skotsel.domain.recurrence import Recurrence, Season, agreed_level_sentence, describe

EVERY_ENTRY = [pytest.param(entry, id=f"{entry.code:02d}-{entry.name_en}") for entry in CATALOGUE]


def test_catalogue_has_the_24_task_types_of_domain_md_numbered_in_order():
    assert [entry.code for entry in CATALOGUE] == list(range(1, 25))


@pytest.mark.parametrize("attribute", ["name_sv", "name_en"])
def test_catalogue_names_are_unique(attribute):
    names = [getattr(entry, attribute) for entry in CATALOGUE]

    assert len(set(names)) == len(names)


@pytest.mark.parametrize("entry", EVERY_ENTRY)
def test_entry_rrule_is_canonical_and_survives_the_form_round_trip(entry):
    recurrence = Recurrence.parse(entry.rrule)

    assert recurrence.to_rrule() == entry.rrule
    assert Recurrence.from_form(recurrence.to_form()).to_rrule() == entry.rrule
    assert entry.quota is None


@pytest.mark.parametrize("entry", EVERY_ENTRY)
def test_entry_reads_as_a_sentence_in_both_languages(entry):
    swedish, english = describe(entry.recurrence, "sv"), describe(entry.recurrence, "en")

    assert swedish and english and swedish != english


@pytest.mark.parametrize("entry", EVERY_ENTRY)
def test_entry_agreed_level_sentence_names_the_task_and_its_season(entry):
    sentence = agreed_level_sentence(entry.name_sv, entry.recurrence, entry.season, entry.standard_sv)

    rule, season = entry.recurrence, entry.season
    says_its_months = bool(rule.bymonth) and all(season.covers_month(month) for month in rule.bymonth)
    if season and not says_its_months:
        assert sentence == f"{entry.name_sv} {describe(rule)} {season.describe()} · {entry.standard_sv}"
    else:
        assert sentence == f"{entry.name_sv} {describe(rule)} · {entry.standard_sv}"


@pytest.mark.parametrize("entry", EVERY_ENTRY)
def test_entry_season_parses_or_is_all_year(entry):
    assert (entry.season_start is None) == (entry.season_end is None)
    if entry.season_start:
        season = Season.parse(entry.season_start, entry.season_end)
        assert (season.start_text, season.end_text) == (entry.season_start, entry.season_end)
        assert not season.is_all_year


@pytest.mark.parametrize("entry", EVERY_ENTRY)
def test_entry_applies_to_known_site_kinds_and_performers_with_a_standard_in_both_languages(entry):
    assert entry.site_kinds and set(entry.site_kinds) <= set(SITE_KINDS)
    assert entry.performed_by in PERFORMERS
    for standard in (entry.standard_sv, entry.standard_en):
        # The standard follows "·" in a sentence, so it starts in lower case and has no full stop.
        assert standard and standard == standard.strip() and standard[0].islower() and not standard.endswith(".")


# All-year tasks have no season, "all" is every site kind, and the municipality does #18 and #22.
AGREED_CHOICES = [
    (1, "FREQ=WEEKLY;INTERVAL=2", "05-15", "09-30", ("green_space", "beach"), "association"),
    (7, "FREQ=WEEKLY", None, None, ("green_space", "beach", "playground", "other"), "association"),
    (8, "FREQ=WEEKLY", "04-01", "10-31", ("green_space", "beach", "playground", "other"), "association"),
    (9, "FREQ=WEEKLY", "06-01", "08-31", ("beach",), "association"),
    (10, "FREQ=DAILY", "06-01", "08-31", ("beach",), "association"),
    (11, "FREQ=WEEKLY;BYDAY=MO,TH", "06-01", "08-31", ("beach",), "association"),
    (16, "FREQ=WEEKLY", None, None, ("playground",), "association"),
    (18, "FREQ=YEARLY;BYMONTH=4", "04-01", "05-31", ("playground",), "municipality"),
    (21, "FREQ=YEARLY;BYMONTH=5", "05-01", "05-31", ("beach",), "association"),
    (22, "FREQ=MONTHLY", "06-01", "08-31", ("beach",), "municipality"),
    (24, "FREQ=YEARLY;BYMONTH=9", "09-01", "09-30", ("green_space", "beach", "playground", "other"), "association"),
]


@pytest.mark.parametrize(("code", "rrule", "season_start", "season_end", "site_kinds", "performed_by"), AGREED_CHOICES,
                         ids=[f"#{row[0]}" for row in AGREED_CHOICES])
def test_entry_takes_the_agreed_concrete_choices(code, rrule, season_start, season_end, site_kinds, performed_by):
    entry = entry_by_code(code)

    assert (entry.rrule, entry.season_start, entry.season_end, entry.site_kinds, entry.performed_by) == \
        (rrule, season_start, season_end, site_kinds, performed_by)


def test_only_the_annual_inspection_and_the_water_sample_are_done_by_the_municipality():
    assert [entry.code for entry in CATALOGUE if entry.performed_by == "municipality"] == [18, 22]


AGREED_SENTENCES = [
    (1, "sv", "Klippning bruksgräsmatta varannan vecka 15 maj–30 sep · "
              "högst 10 cm, klipps till 6–7 cm, inga högar av gräsklipp"),
    (1, "en", "Mow utility lawn every other week 15 May–30 Sep · "
              "at most 10 cm, cut to 6–7 cm, no piles of clippings"),
    (7, "sv", "Tömning papperskorgar varje vecka · inga överfulla korgar"),
    (11, "sv", "Städning toalett/latrin varje måndag och torsdag juni–aug · rent, papper påfyllt"),
    # The rule already names its month, so the season would only repeat it.
    (13, "sv", "Iläggning brygga en gång i maj · förankrad och i våg"),
    (5, "en", "Flail mow in June and September · whole area cut"),
]


@pytest.mark.parametrize(("code", "locale", "sentence"), AGREED_SENTENCES,
                         ids=[f"#{code}-{locale}" for code, locale, _ in AGREED_SENTENCES])
def test_entry_sentences_read_as_agreed(code, locale, sentence):
    entry = entry_by_code(code)

    assert agreed_level_sentence(entry.name(locale), entry.recurrence, entry.season, entry.standard(locale),
                                 locale) == sentence


def test_entry_by_code_refuses_an_unknown_number():
    with pytest.raises(LookupError):
        entry_by_code(25)
