"""Association pages: coordinators and members see their own association, its agreements, sites and members."""
import pytest

from skotsel.extensions import db
from skotsel.models import AuditEvent, Membership, Site
from skotsel.services.agreements import describe_agreed_task
from tests.conftest import login, query_count


def _pages(world, key="a") -> list[str]:
    association = getattr(world, key)
    base = f"/association/{association.id}"
    return [f"{base}/", f"{base}/members", f"{base}/agreements/{getattr(world, f'agreement_{key}').id}",
            f"{base}/sites/{getattr(world, f'site_{key}').id}"]


def test_a_member_with_one_association_lands_on_it(client, world):
    login(client, "medlem@a.example")
    response = client.get("/association/")
    assert response.headers["Location"] == f"/association/{world.a.id}/"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Hallaryds sockenråd" in page and "Hallaryd" in page
    assert "Kim Kontakt" in page and "0476-12 34 56" in page
    assert "Avtal A" in page and "2025-01-01 – 2027-12-31" in page and "Gällande" in page
    assert "Park A" in page and "Grönyta" in page and "1\xa0200 m²" in page
    assert "Avtal B" not in page and "Park B" not in page


def test_someone_in_two_associations_sees_both_and_opens_each(client, world, make):
    make.agreement(world.b, title="Avtal B2", status="draft")
    membership = Membership(user_id=world.member_a.id, municipality_id=world.home.id, association_id=world.b.id,
                            role="coordinator")
    db.session.add(membership)
    db.session.commit()
    login(client, "medlem@a.example")
    page = client.get("/association/").get_data(as_text=True)
    assert "Hallaryds sockenråd" in page and "Virestads hembygdsförening" in page
    assert "Lönsboda byalag" not in page
    assert "Medlem" in page and "Samordnare" in page
    detail = client.get(f"/association/{world.b.id}/").get_data(as_text=True)
    assert "Avtal B2" in detail and "Utkast" in detail and "Avtal A" not in detail


def test_the_agreement_page_reads_the_agreed_tasks_site_by_site(client, world, make):
    beach = make.site(world.home, world.a, name="Välje badplats", kind="beach")
    quota = make.agreed_task(world.agreement_a, beach, world.task_type, rrule=None, quota_count=6, quota_gap_days=7,
                             level_text="krattad, inget skräp")
    login(client, "medlem@a.example")
    response = client.get(f"/association/{world.a.id}/agreements/{world.agreement_a.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Avtal A" in page and "10\xa0000 kr per år" in page and "2025-01-01 – 2027-12-31" in page
    assert page.index("Park A") < page.index(describe_agreed_task(world.task_a, "sv")) \
        < page.index("Välje badplats") < page.index(describe_agreed_task(quota, "sv"))
    assert "<form" not in page.split("<main", 1)[1]  # read-only
    assert "Händelselogg" not in page


def test_the_site_page_shows_its_facts_position_and_tasks(client, world, make):
    polygon = {"type": "Polygon", "coordinates": [[[13.88, 56.48], [13.89, 56.48], [13.89, 56.49], [13.88, 56.48]]]}
    world.site_a.geometry = polygon
    world.site_a.notes = "Infart från kyrkan"
    db.session.commit()
    login(client, "samordnare@a.example")
    page = client.get(f"/association/{world.a.id}/sites/{world.site_a.id}").get_data(as_text=True)
    assert "Park A" in page and "Grönyta" in page and "Infart från kyrkan" in page
    assert "En yta med 3 hörn" in page and "56.480000, 13.880000" in page and "56.490000, 13.890000" in page
    assert describe_agreed_task(world.task_a, "sv") in page and "Avtal A" in page
    assert "data-site-map=\"view\"" in page  # site_map.js draws it when scripts run


def test_a_point_site_shows_its_coordinates(client, world):
    login(client, "medlem@a.example")
    page = client.get(f"/association/{world.a.id}/sites/{world.site_a.id}").get_data(as_text=True)
    assert "En punkt: 56.550000, 14.130000" in page


def test_members_see_the_member_list_without_buttons(client, world):
    login(client, "medlem@a.example")
    page = client.get(f"/association/{world.a.id}/members").get_data(as_text=True)
    assert "Sam A" in page and "samordnare@a.example" in page and "Samordnare" in page
    assert "Mia Medlem" in page and "medlem@a.example" in page
    assert "Sam B" not in page
    assert "Ta bort ur föreningen" not in page and "Skicka inbjudan" not in page and "Gör till" not in page


def test_coordinators_see_buttons_for_others_but_not_for_themselves(client, world):
    login(client, "samordnare@a.example")
    page = client.get(f"/association/{world.a.id}/members").get_data(as_text=True)
    assert page.count("Ta bort ur föreningen") == 1 and "Gör till samordnare" in page
    assert "Skicka inbjudan" in page and "Inga inbjudningar väntar på svar." in page
    assert f"/members/{world.coordinator_a.memberships[0].id}/remove" not in page


@pytest.mark.parametrize("email", ["samordnare@b.example", "admin@home.example", "granskare@home.example",
                                   "admin@other.example"])
def test_another_associations_pages_do_not_exist_for_others(client, world, email):
    login(client, email)
    for url in _pages(world, "a"):
        assert client.get(url).status_code == 404, url


def test_anonymous_visitors_find_nothing(client, world):
    for url in ["/association/", *_pages(world, "a")]:
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("kind", ["agreements", "sites"])
def test_an_object_of_another_association_under_ones_own_is_not_found(client, world, kind):
    login(client, "samordnare@a.example")
    other = world.agreement_b if kind == "agreements" else world.site_b
    assert client.get(f"/association/{world.a.id}/{kind}/{other.id}").status_code == 404
    other = world.agreement_c if kind == "agreements" else world.site_c
    assert client.get(f"/association/{world.a.id}/{kind}/{other.id}").status_code == 404


def test_the_coordinator_of_another_association_cannot_touch_members_here(client, world):
    membership_id = world.member_a.memberships[0].id
    login(client, "samordnare@b.example")
    for action in ("remove", "role"):
        response = client.submit(f"/association/{world.a.id}/members/{membership_id}/{action}", {"role": "member"},
                                 page=f"/association/{world.b.id}/members")
        assert response.status_code == 404
    # Nor through their own association's path.
    response = client.submit(f"/association/{world.b.id}/members/{membership_id}/remove",
                             page=f"/association/{world.b.id}/members")
    assert response.status_code == 404
    assert db.session.get(Membership, membership_id) is not None


def test_a_coordinator_removes_a_member_whose_next_request_is_not_found(app, client, world):
    member = app.test_client()
    login(member, "medlem@a.example")
    assert member.get(f"/association/{world.a.id}/").status_code == 200
    membership_id = world.member_a.memberships[0].id

    login(client, "samordnare@a.example")
    response = client.submit(f"/association/{world.a.id}/members/{membership_id}/remove",
                             page=f"/association/{world.a.id}/members", follow_redirects=True)
    assert "Mia Medlem är borttagen ur föreningen." in response.get_data(as_text=True)
    assert db.session.get(Membership, membership_id) is None
    event = db.session.scalar(db.select(AuditEvent).filter_by(object_type="Membership", action="delete"))
    assert event.actor_id == world.coordinator_a.id and event.object_label.startswith("Mia Medlem")

    for url in _pages(world, "a"):
        assert member.get(url).status_code == 404, url
    assert member.get("/association/").status_code == 404


def test_a_coordinator_cannot_remove_themselves(client, world):
    membership_id = world.coordinator_a.memberships[0].id
    login(client, "samordnare@a.example")
    response = client.submit(f"/association/{world.a.id}/members/{membership_id}/remove",
                             page=f"/association/{world.a.id}/members", follow_redirects=True)
    assert "Du kan inte ta bort dig själv ur föreningen." in response.get_data(as_text=True)
    assert db.session.get(Membership, membership_id) is not None


def test_a_coordinator_makes_a_member_coordinator_and_it_is_logged(client, world):
    membership_id = world.member_a.memberships[0].id
    login(client, "samordnare@a.example")
    response = client.submit(f"/association/{world.a.id}/members/{membership_id}/role", {"role": "coordinator"},
                             page=f"/association/{world.a.id}/members", follow_redirects=True)
    assert "Rollen för Mia Medlem är sparad." in response.get_data(as_text=True)
    assert db.session.get(Membership, membership_id).role == "coordinator"
    event = db.session.scalar(db.select(AuditEvent).filter_by(object_type="Membership", action="update"))
    assert event.changes == {"role": ["member", "coordinator"]} and event.actor_id == world.coordinator_a.id


@pytest.mark.parametrize("role,message", [
    ("admin", "Välj medlem eller samordnare."),
    ("member", "Du kan inte ändra din egen roll."),
])
def test_a_refused_role_change_says_why(client, world, role, message):
    membership_id = world.coordinator_a.memberships[0].id
    login(client, "samordnare@a.example")
    response = client.submit(f"/association/{world.a.id}/members/{membership_id}/role", {"role": role},
                             page=f"/association/{world.a.id}/members", follow_redirects=True)
    assert message in response.get_data(as_text=True)
    assert db.session.get(Membership, membership_id).role == "coordinator"


@pytest.mark.parametrize("action", ["remove", "role"])
def test_a_member_gets_403_on_the_write_routes(client, world, action):
    membership_id = world.coordinator_a.memberships[0].id
    login(client, "medlem@a.example")
    response = client.submit(f"/association/{world.a.id}/members/{membership_id}/{action}", {"role": "member"},
                             page=f"/association/{world.a.id}/members")
    assert response.status_code == 403
    membership = db.session.get(Membership, membership_id)
    assert membership is not None and membership.role == "coordinator"


def test_the_pages_need_a_fixed_number_of_queries(client, world, make):
    login(client, "samordnare@a.example")
    urls = _pages(world, "a")
    before = [query_count(client, url) for url in urls]
    for n in range(5):
        site = make.site(world.home, world.a, name=f"Extra {n}")
        make.agreed_task(world.agreement_a, site, world.task_type)
        make.user(role="member", association=world.a)
    assert [query_count(client, url) for url in urls] == before
    assert db.session.scalar(db.select(db.func.count(Site.id)).filter_by(association_id=world.a.id)) == 6
