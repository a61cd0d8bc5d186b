"""Admin pages for associations: list, register, edit and the association's page, with errors in Swedish."""
import pytest

from skotsel.extensions import db
from skotsel.models import Association, AuditEvent
from tests.smtp import smtp  # noqa: F401
from tests.conftest import login, luhn_org_number, query_count

NEW = "/admin/associations/new"


def _form(world, **changes) -> dict:
    data = {"name": "Delary byalag", "org_number": "802004-3116", "village_id": str(world.village.id),
            "contact_name": "Dag Delary", "email": "Kontakt@Delary.example", "phone": "0476-100 00"}
    data.update(changes)
    return data


def test_the_list_shows_name_village_formatted_org_number_and_contact(client, world):
    login(client, "granskare@home.example")
    page = client.get("/admin/associations").get_data(as_text=True)
    org = world.a.org_number
    assert "Hallaryds sockenråd" in page and "Virestads hembygdsförening" in page
    assert f"{org[:6]}-{org[6:]}" in page
    assert "Kim Kontakt" in page and "Hallaryd" in page
    assert "Lönsboda byalag" not in page


def test_admin_registers_an_association(client, world):
    login(client, "admin@home.example")
    response = client.submit(NEW, _form(world))
    association = db.session.scalar(db.select(Association).filter_by(name="Delary byalag"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/associations/{association.id}"
    assert association.org_number == "8020043116"
    assert association.municipality_id == world.home.id and association.village_id == world.village.id
    assert association.email == "kontakt@delary.example"
    event = db.session.scalar(db.select(AuditEvent).filter_by(object_type="Association", object_id=association.id))
    assert event.action == "create" and event.actor_id == world.admin.id


@pytest.mark.parametrize(("changes", "message"), [
    ({"name": "Hallaryds sockenråd"}, "Det finns redan en förening med det namnet."),
    ({"org_number": "802004-3117"}, "Organisationsnumret har fel kontrollsiffra."),
    ({"org_number": "80200431"}, "Organisationsnumret ska ha 10 siffror."),
    ({"org_number": "802004-311"}, "Organisationsnumret ska ha 10 siffror."),
    ({"org_number": "80200A-3116"}, "Organisationsnumret får bara innehålla siffror och bindestreck."),
    ({"org_number": ""}, "Ange organisationsnumret."),
    ({"name": ""}, "Ange föreningens namn."),
    ({"email": "kontakt.delary.example"}, "Ange en giltig e-postadress"),
])
def test_broken_input_is_refused_on_its_field_and_kept_in_the_form(client, world, changes, message):
    login(client, "admin@home.example")
    data = _form(world, **changes)
    response = client.submit(NEW, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert 'aria-invalid="true"' in page
    assert 'value="Dag Delary"' in page
    assert db.session.scalar(db.select(db.func.count(Association.id))) == 3


def test_a_duplicate_org_number_is_refused(client, world):
    login(client, "admin@home.example")
    response = client.submit(NEW, _form(world, org_number=world.a.org_number))
    assert "Det finns redan en förening med det organisationsnumret." in response.get_data(as_text=True)


def test_the_same_org_number_may_exist_in_another_municipality(client, world):
    login(client, "admin@home.example")
    response = client.submit(NEW, _form(world, org_number=world.c.org_number))
    assert response.status_code == 302


def test_the_village_select_offers_only_the_municipalitys_villages(client, world):
    login(client, "admin@home.example")
    page = client.get(NEW).get_data(as_text=True)
    assert f'<option value="{world.village.id}">Hallaryd</option>' in page
    assert "Lönsboda" not in page


def test_a_village_of_another_municipality_posted_by_id_is_refused(client, world):
    login(client, "admin@home.example")
    response = client.submit(NEW, _form(world, village_id=str(world.other_village.id)))
    assert "Välj en ort i kommunen." in response.get_data(as_text=True)
    assert db.session.scalar(db.select(Association).filter_by(name="Delary byalag")) is None


def test_edit_shows_the_formatted_org_number_and_audits_old_and_new(client, world):
    login(client, "admin@home.example")
    url = f"/admin/associations/{world.a.id}/edit"
    org = world.a.org_number
    assert f'value="{org[:6]}-{org[6:]}"' in client.get(url).get_data(as_text=True)
    response = client.submit(url, {"name": "Hallaryds sockenråd ek. för.", "org_number": org, "village_id": "",
                                   "contact_name": "Kim Kontakt", "email": world.a.email, "phone": world.a.phone})
    assert response.status_code == 302
    association = db.session.get(Association, world.a.id)
    assert association.name == "Hallaryds sockenråd ek. för." and association.village_id is None
    event = db.session.scalar(db.select(AuditEvent).filter_by(object_type="Association", action="update"))
    assert event.changes == {"name": ["Hallaryds sockenråd", "Hallaryds sockenråd ek. för."],
                             "village_id": ["Hallaryd", None]}
    assert event.actor_id == world.admin.id


def test_editing_may_keep_the_associations_own_name_and_org_number(client, world):
    login(client, "admin@home.example")
    url = f"/admin/associations/{world.a.id}/edit"
    response = client.submit(url, {"name": world.a.name, "org_number": world.a.org_number,
                                   "village_id": str(world.village.id), "contact_name": "Ny Kontakt"})
    assert response.status_code == 302
    assert db.session.get(Association, world.a.id).contact_name == "Ny Kontakt"


def test_editing_to_another_associations_name_is_refused(client, world):
    login(client, "admin@home.example")
    url = f"/admin/associations/{world.a.id}/edit"
    response = client.submit(url, {"name": world.b.name, "org_number": world.a.org_number})
    assert "Det finns redan en förening med det namnet." in response.get_data(as_text=True)
    assert db.session.get(Association, world.a.id).name == "Hallaryds sockenråd"


def test_the_detail_page_shows_facts_sites_agreements_members_and_log(client, world):
    login(client, "admin@home.example")
    client.submit(f"/admin/associations/{world.a.id}/edit",
                  {"name": world.a.name, "org_number": world.a.org_number, "phone": "0476-99 99 99"})
    page = client.get(f"/admin/associations/{world.a.id}").get_data(as_text=True)
    assert "Park A" in page and f"/admin/sites/{world.site_a.id}" in page
    assert "Avtal A" in page and f"/admin/agreements/{world.agreement_a.id}" in page
    assert "Sam A" in page and "samordnare@a.example" in page and "Samordnare" in page
    assert "Mia Medlem" in page and "Medlem" in page
    assert "Sam B" not in page and "Park B" not in page
    assert "Händelselogg" in page and "0476-99 99 99" in page


def test_reviewer_reads_but_cannot_change(client, world):
    login(client, "granskare@home.example")
    page = client.get(f"/admin/associations/{world.a.id}").get_data(as_text=True)
    assert "Hallaryds sockenråd" in page and "Händelselogg" not in page
    assert "Ändra föreningen" not in page
    assert client.get(NEW).status_code == 403
    assert client.get(f"/admin/associations/{world.a.id}/edit").status_code == 403
    response = client.submit(f"/admin/associations/{world.a.id}/edit", {"name": "X"}, page="/admin/associations")
    assert response.status_code == 403
    assert db.session.get(Association, world.a.id).name == "Hallaryds sockenråd"


@pytest.mark.parametrize("path", ["/admin/associations/{id}", "/admin/associations/{id}/edit"])
def test_another_municipalitys_association_is_not_found(client, world, path):
    login(client, "admin@home.example")
    assert client.get(path.format(id=world.c.id)).status_code == 404


@pytest.mark.parametrize("email", ["samordnare@a.example", "medlem@a.example"])
@pytest.mark.parametrize("path", ["/admin/associations", "/admin/associations/new", "/admin/associations/{id}",
                                  "/admin/associations/{id}/edit"])
def test_association_people_have_no_admin_pages(client, world, email, path):
    login(client, email)
    assert client.get(path.format(id=world.a.id)).status_code == 404


def test_luhn_helper_agrees_with_the_example_number():
    assert luhn_org_number(802004311) == "8020043116"




def test_the_association_pages_need_a_fixed_number_of_queries(client, world, make):
    login(client, "admin@home.example")
    urls = ["/admin/associations", f"/admin/associations/{world.a.id}", f"/admin/associations/{world.a.id}/edit"]
    before = [query_count(client, url) for url in urls]
    for n in range(4):
        make.association(world.home, f"Förening {n}", village=make.village(world.home, f"By {n}"))
        make.site(world.home, world.a, name=f"Extra {n}")
        make.agreement(world.a)
        make.user(role="member", association=world.a)
    edit = client.submit(f"/admin/associations/{world.a.id}/edit",
                         {"name": world.a.name, "org_number": world.a.org_number, "phone": "0476-1"})
    assert edit.status_code == 302
    assert [query_count(client, url) for url in urls] == before


def test_admins_see_membership_changes_on_the_association_page_even_after_removal(client, world):
    from skotsel.models import Membership
    from skotsel.services.memberships import remove_membership

    membership = db.session.scalar(db.select(Membership).filter_by(user_id=world.member_a.id))
    remove_membership(actor_id=world.coordinator_a.id, membership=membership)
    login(client, "admin@home.example")
    page = client.get(f"/admin/associations/{world.a.id}").get_data(as_text=True)
    assert "Händelselogg" in page and "tog bort Mia Medlem" in page and "Sam A" in page
    client.submit("/logout", page="/admin/")
    login(client, "granskare@home.example")
    assert "Händelselogg" not in client.get(f"/admin/associations/{world.a.id}").get_data(as_text=True)


def test_an_admin_invites_the_first_coordinator_of_a_new_association(client, world, make, smtp):
    from skotsel.models import Invitation

    fresh = make.association(world.home, "Nya byalaget")
    login(client, "admin@home.example")
    response = client.submit(f"/admin/associations/{fresh.id}/invitations",
                             {"name": "Nora Ny", "email": "nora@ny.example", "role": "coordinator"},
                             page=f"/admin/associations/{fresh.id}")
    assert response.status_code == 302
    invitation = db.session.scalar(db.select(Invitation).filter_by(association_id=fresh.id))
    assert (invitation.email, invitation.role) == ("nora@ny.example", "coordinator")
    assert smtp.messages and smtp.messages[0]["To"] == "nora@ny.example"


def test_a_reviewer_cannot_invite(client, world):
    login(client, "granskare@home.example")
    page = client.get(f"/admin/associations/{world.a.id}").get_data(as_text=True)
    assert "Skicka inbjudan" not in page
    response = client.submit(f"/admin/associations/{world.a.id}/invitations",
                             {"name": "X", "email": "x@ny.example", "role": "coordinator"},
                             page="/admin/associations")
    assert response.status_code == 403


def test_an_invitation_with_a_bad_address_re_renders_the_page_with_the_reason(client, world, smtp):
    login(client, "admin@home.example")
    response = client.submit(f"/admin/associations/{world.a.id}/invitations",
                             {"name": "Nora", "email": "inte-en-adress", "role": "coordinator"},
                             page=f"/admin/associations/{world.a.id}")
    assert response.status_code == 200
    assert 'value="inte-en-adress"' in response.get_data(as_text=True)
    assert smtp.messages == []
