"""The profile page: every signed-in person sets their name, language and the e-mail their roles bring."""
import re

import pytest

from skotsel.extensions import db
from skotsel.models import Membership, User
from tests.conftest import login

REMINDERS = "Påminnelser innan ett tillfälle förfaller"
COORDINATOR_DIGEST = "Veckosammanfattning för samordnare"
REVIEWER_DIGEST = "Veckosammanfattning över försenade tillfällen"


def _user(email: str) -> User:
    return db.session.scalar(db.select(User).filter_by(email=email))


def _checkbox(page: str, name: str) -> str | None:
    """The <input> tag of a checkbox, or None when the page has none."""
    found = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    return found.group(0) if found else None


def _save(client, **values):
    data = {"name": "Sam A", "locale": "sv", **values}
    return client.submit("/profile", {key: value for key, value in data.items() if value is not None})


def test_signing_in_is_required(client, world):
    response = client.get("/profile")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("email,shown", [
    ("admin@home.example", []),
    ("granskare@home.example", [REVIEWER_DIGEST]),
    ("samordnare@a.example", [REMINDERS, COORDINATOR_DIGEST]),
    ("medlem@a.example", [REMINDERS]),
])
def test_each_role_is_offered_only_the_email_it_gets(client, world, email, shown):
    login(client, email)
    page = client.get("/profile").get_data(as_text=True)
    for label in (REMINDERS, COORDINATOR_DIGEST, REVIEWER_DIGEST):
        assert (label in page) == (label in shown), label
    if not shown:
        assert "Dina roller ger inga e-postutskick att välja bland." in page
    assert f'value="{_user(email).name}"' in page and email in page


def test_a_reviewer_who_is_also_coordinator_is_offered_all_three(client, world):
    world.coordinator_a.memberships.append(Membership(municipality_id=world.home.id, role="reviewer"))
    db.session.commit()
    login(client, "samordnare@a.example")
    page = client.get("/profile").get_data(as_text=True)
    assert REMINDERS in page and COORDINATOR_DIGEST in page and REVIEWER_DIGEST in page


def test_an_opt_out_is_saved_and_shown_unchecked(client, world):
    login(client, "samordnare@a.example")
    response = _save(client, wants_coordinator_digest="y")
    assert response.status_code == 302 and response.headers["Location"] == "/profile"
    user = _user("samordnare@a.example")
    assert (user.wants_reminders, user.wants_coordinator_digest) == (False, True)
    page = client.get("/profile").get_data(as_text=True)
    assert "Dina inställningar är sparade." in page
    assert "checked" not in _checkbox(page, "wants_reminders")
    assert "checked" in _checkbox(page, "wants_coordinator_digest")
    _save(client, wants_reminders="y")
    user = _user("samordnare@a.example")
    assert (user.wants_reminders, user.wants_coordinator_digest) == (True, False)


def test_a_kind_the_roles_do_not_bring_keeps_its_stored_value(client, world):
    world.member_a.wants_reviewer_digest = False
    world.member_a.wants_coordinator_digest = False
    db.session.commit()
    login(client, "medlem@a.example")
    _save(client, name="Mia Medlem", wants_reviewer_digest="y", wants_coordinator_digest="y")
    user = _user("medlem@a.example")
    assert (user.wants_reminders, user.wants_coordinator_digest, user.wants_reviewer_digest) == (False, False, False)


def test_an_admin_without_choices_changes_name_and_keeps_every_flag(client, world):
    login(client, "admin@home.example")
    _save(client, name="  Anna Andersson  ")
    user = _user("admin@home.example")
    assert user.name == "Anna Andersson"
    assert (user.wants_reminders, user.wants_coordinator_digest, user.wants_reviewer_digest) == (True, True, True)


def test_the_language_applies_at_once(client, world):
    login(client, "medlem@a.example")
    client.submit("/language", {"locale": "sv", "next": "/profile"}, page="/profile")
    _save(client, name="Mia Medlem", locale="en", wants_reminders="y")
    assert _user("medlem@a.example").locale == "en"
    assert '<html lang="en">' in client.get("/profile").get_data(as_text=True)


@pytest.mark.parametrize("values,message,kept", [
    ({"name": "   "}, "Ange ditt namn.", None),
    ({"name": "Å" * 201}, "Namnet får vara högst 200 tecken.", 'value="' + "Å" * 201 + '"'),
    ({"locale": "de", "name": "Sam Andersson"}, "Välj svenska eller engelska.", 'value="Sam Andersson"'),
    ({"locale": None, "name": "Sam Andersson"}, "Välj svenska eller engelska.", 'value="Sam Andersson"'),
])
def test_bad_input_re_renders_with_the_reason_and_saves_nothing(client, world, values, message, kept):
    login(client, "samordnare@a.example")
    response = _save(client, **values)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page and 'class="error"' in page
    if kept:
        assert kept in page
    assert "checked" not in _checkbox(page, "wants_reminders")  # the unticked box stays unticked
    user = _user("samordnare@a.example")
    assert (user.name, user.locale, user.wants_reminders) == ("Sam A", None, True)


def test_a_post_without_the_csrf_token_is_refused(client, world):
    login(client, "samordnare@a.example")
    response = client.post("/profile", data={"name": "Intrång", "locale": "en"})
    assert response.status_code == 400
    user = _user("samordnare@a.example")
    assert (user.name, user.locale) == ("Sam A", None)
