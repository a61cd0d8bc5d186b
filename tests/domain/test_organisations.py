import pytest

from skotsel.domain.errors import ValidationError
from skotsel.domain.organisations import complete_org_number, format_org_number, normalise_org_number

# Numbers whose last digit is the Luhn check digit of the first nine (computed, not looked up).
VALID_NUMBERS = ["5560360793", "2120000746", "2021005448", "2321000016", "5565475489", "8020006436"]


WRITTEN = [
    ("556036-0793", "5560360793"),
    ("5560360793", "5560360793"),
    ("556036 0793", "5560360793"),
    (" 556 036-07 93 ", "5560360793"),
    ("556036–0793", "5560360793"),
    ("16556036-0793", "5560360793"),
    ("165560360793", "5560360793"),
    ("195560360793", "5560360793"),
    ("20802000-6436", "8020006436"),
    ("802000-6436", "8020006436"),
]


@pytest.mark.parametrize(("typed", "digits"), WRITTEN, ids=[typed for typed, _ in WRITTEN])
def test_normalise_accepts_the_ways_people_write_an_organisation_number(typed, digits):
    assert normalise_org_number(typed) == digits


@pytest.mark.parametrize("digits", VALID_NUMBERS)
def test_normalise_accepts_a_number_with_the_right_check_digit(digits):
    assert normalise_org_number(format_org_number(digits)) == digits


@pytest.mark.parametrize("digits", VALID_NUMBERS)
def test_normalise_refuses_every_wrong_check_digit(digits):
    for wrong in set("0123456789") - {digits[-1]}:
        with pytest.raises(ValidationError) as caught:
            normalise_org_number(digits[:-1] + wrong)
        assert (str(caught.value), caught.value.field) == ("Organisationsnumret har fel kontrollsiffra.", "org_number")


REFUSED = [
    ("802000-6432", "Organisationsnumret har fel kontrollsiffra."),
    ("556036-0794", "Organisationsnumret har fel kontrollsiffra."),
    ("16556036-0794", "Organisationsnumret har fel kontrollsiffra."),
    ("", "Organisationsnumret ska ha 10 siffror."),
    ("556036-079", "Organisationsnumret ska ha 10 siffror."),
    ("556036-07930", "Organisationsnumret ska ha 10 siffror."),
    ("17556036-0793", "Organisationsnumret ska ha 10 siffror."),
    ("1655603607930", "Organisationsnumret ska ha 10 siffror."),
    ("556036-079X", "Organisationsnumret får bara innehålla siffror och bindestreck."),
    ("SE556036079301", "Organisationsnumret får bara innehålla siffror och bindestreck."),
    ("556036/0793", "Organisationsnumret får bara innehålla siffror och bindestreck."),
    ("５５６０３６０７９３", "Organisationsnumret får bara innehålla siffror och bindestreck."),
]


@pytest.mark.parametrize(("typed", "message"), REFUSED, ids=[typed or "empty" for typed, _ in REFUSED])
def test_normalise_refuses_wrong_numbers_with_a_swedish_message(typed, message):
    with pytest.raises(ValidationError) as caught:
        normalise_org_number(typed)

    assert (str(caught.value), caught.value.field) == (message, "org_number")


def test_normalise_explains_in_english_too():
    with pytest.raises(ValidationError) as caught:
        normalise_org_number("556036-0794")

    assert caught.value.message_en == "The organisation number has the wrong check digit."


@pytest.mark.parametrize(("digits", "written"), [("5560360793", "556036-0793"), ("8020006436", "802000-6436")])
def test_format_writes_six_digits_a_hyphen_and_four(digits, written):
    assert format_org_number(digits) == written


@pytest.mark.parametrize("first_nine, digits", [("556036079", "5560360793"), (802000001, "8020000017"),
                                                ("1", "0000000018")])
def test_complete_adds_the_check_digit_that_normalise_accepts(first_nine, digits):
    assert complete_org_number(first_nine) == digits
    assert normalise_org_number(digits) == digits
