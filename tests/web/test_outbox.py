"""The admin outbox: e-mail kept as .eml files when no SMTP server is configured, readable by a municipality's admins
for the messages sent for their own municipality only, never rendered as HTML."""
import pytest
from sqlalchemy import select

from skotsel.extensions import db
from skotsel.models import Membership, User
from skotsel.services.mail import Mail, build_message, deliver
from tests.conftest import login

EXPLANATION = "Ingen e-postserver är inställd: meddelanden som skulle ha skickats sparas här"


@pytest.fixture
def outbox(app, tmp_path, monkeypatch):
    """No SMTP server; the outbox is a fresh folder."""
    folder = tmp_path / "outbox"
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    monkeypatch.setitem(app.config, "OUTBOX_FOLDER", str(folder))
    return folder


def _deliver(app, to_address, *, to_name="Mia Medlem", subject="Påminnelse: Klippning bruksgräsmatta – Park A",
             text="Hej Mia!\n<script>alert(1)</script>\n", html="<p>Hej <b>HTML-hemlis</b></p>") -> str:
    """Write a message as the jobs do: for the municipality the person has a role in (none for a stranger)."""
    membership = db.session.scalar(select(Membership).join(User).where(User.email == to_address).limit(1))
    mail = Mail(to_name=to_name, to_address=to_address, subject=subject, text=text, html=html,
                municipality_id=membership.municipality_id if membership else None)
    return deliver(app.config, build_message(app.config, mail))


def _page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return response.get_data(as_text=True)


def test_an_admin_sees_the_messages_to_people_of_the_municipality_with_the_explanation(app, client, world, outbox):
    mine = _deliver(app, "medlem@a.example")
    _deliver(app, "admin@other.example", to_name="Olle Admin", subject="Till Osby")
    _deliver(app, "okand@example.org", to_name="Okänd", subject="Till ingen användare")
    login(client, "admin@home.example")
    page = _page(client, "/admin/outbox")
    assert EXPLANATION in page
    assert "Påminnelse: Klippning bruksgräsmatta – Park A" in page and "Mia Medlem &lt;medlem@a.example&gt;" in page
    assert f'href="/admin/outbox/{mine}"' in page
    assert "Till Osby" not in page and "Till ingen användare" not in page


def test_the_time_is_shown_in_swedish_time(app, client, world, outbox):
    name = _deliver(app, "medlem@a.example")
    summer = "20260612T080000Z-" + name.split("-")[1]
    (outbox / name).rename(outbox / summer)
    login(client, "admin@home.example")
    page = _page(client, "/admin/outbox")
    assert "2026-06-12 10:00" in page
    assert "2026-06-12 10:00:00" in _page(client, f"/admin/outbox/{summer}")


def test_messages_are_listed_newest_first(app, client, world, outbox):
    for stamp, subject in (("20260101T080000Z", "Januari"), ("20260301T080000Z", "Mars"),
                           ("20260201T080000Z", "Februari")):
        name = _deliver(app, "medlem@a.example", subject=subject)
        (outbox / name).rename(outbox / f"{stamp}-{name.split('-')[1]}")
    login(client, "admin@home.example")
    page = _page(client, "/admin/outbox")
    assert page.index("Mars") < page.index("Februari") < page.index("Januari")


def test_with_a_server_configured_the_page_says_so(app, client, world, outbox, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.org")
    login(client, "admin@home.example")
    page = _page(client, "/admin/outbox")
    assert EXPLANATION not in page and "Utkorgen är tom." in page


def test_a_message_shows_its_headers_and_its_text_escaped_never_its_html(app, client, world, outbox):
    name = _deliver(app, "medlem@a.example")
    login(client, "admin@home.example")
    page = _page(client, f"/admin/outbox/{name}")
    assert "Påminnelse: Klippning bruksgräsmatta – Park A" in page
    assert "Mia Medlem &lt;medlem@a.example&gt;" in page and "noreply@skotsel.invalid" in page
    assert "@skotsel.invalid&gt;" in page  # the Message-ID
    assert "Hej Mia!" in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "HTML-hemlis" not in page and "HTML-version" in page


def test_an_invitation_to_someone_without_an_account_is_readable_with_its_link(app, client, world, outbox):
    login(client, "admin@home.example")
    response = client.submit(f"/admin/associations/{world.a.id}/invitations",
                             {"name": "Nora Ny", "email": "nora@ny.example", "role": "coordinator"},
                             page=f"/admin/associations/{world.a.id}")
    assert response.status_code == 302
    page = _page(client, "/admin/outbox")
    assert "nora@ny.example" in page and "Inbjudan till Hallaryds sockenråd" in page
    [name] = [path.name for path in outbox.iterdir()]
    assert "http://127.0.0.1:5000/invitation/" in _page(client, f"/admin/outbox/{name}")


def test_a_reviewer_does_not_see_the_outbox_with_its_invitation_links(app, client, world, outbox):
    name = _deliver(app, "samordnare@b.example", to_name="Sam B", subject="Veckosammanfattning")
    login(client, "granskare@home.example")
    assert client.get("/admin/outbox").status_code == 403
    assert client.get(f"/admin/outbox/{name}").status_code == 403
    assert "/admin/outbox" not in _page(client, "/admin/")


def test_an_invitation_sent_by_another_municipality_stays_hidden_even_to_the_same_address(app, client, world,
                                                                                           outbox):
    """Inviting the same address does not open another municipality's invitation (with its link) to you."""
    other = _deliver(app, "admin@other.example", subject="Inbjudan till Lönsboda byalag")
    login(client, "admin@home.example")
    client.submit(f"/admin/associations/{world.a.id}/invite",
                  {"name": "Olle", "email": "admin@other.example", "role": "coordinator"},
                  page=f"/admin/associations/{world.a.id}")
    assert client.get(f"/admin/outbox/{other}").status_code == 404
    assert "Lönsboda" not in _page(client, "/admin/outbox")


@pytest.mark.parametrize("address", ["admin@other.example", "okand@example.org"])
def test_a_message_to_someone_outside_the_municipality_is_not_found(app, client, world, outbox, address):
    name = _deliver(app, address)
    login(client, "admin@home.example")
    assert client.get(f"/admin/outbox/{name}").status_code == 404


def test_another_municipalitys_admin_sees_only_their_own_people(app, client, world, outbox):
    home = _deliver(app, "medlem@a.example", subject="Till Älmhult")
    other = _deliver(app, "admin@other.example", to_name="Olle Admin", subject="Till Osby")
    login(client, "admin@other.example")
    page = _page(client, "/admin/outbox")
    assert "Till Osby" in page and "Till Älmhult" not in page
    assert client.get(f"/admin/outbox/{home}").status_code == 404
    assert client.get(f"/admin/outbox/{other}").status_code == 200


@pytest.mark.parametrize("who", ["samordnare@a.example", "medlem@a.example", None])
def test_association_people_and_strangers_have_no_outbox(app, client, world, outbox, who):
    name = _deliver(app, "medlem@a.example")
    if who:
        login(client, who)
    assert client.get("/admin/outbox").status_code == 404
    assert client.get(f"/admin/outbox/{name}").status_code == 404


@pytest.mark.parametrize("name", ["x.eml", "..%2Fx.eml", "..%2F..%2Fetc%2Fpasswd", "20261127T120301Z-0000000b.eml",
                                  "20261127T120301Z-0000000b.eml.part", "%2Eeml"])
def test_a_name_the_server_did_not_make_is_not_found(app, client, world, outbox, name):
    _deliver(app, "medlem@a.example")
    (outbox.parent / "x.eml").write_bytes((outbox / next(outbox.iterdir()).name).read_bytes())
    login(client, "admin@home.example")
    assert client.get(f"/admin/outbox/{name}").status_code == 404
