"""Admin pages for agreements and their agreed tasks: forms, the generated sentences, the log and who may do what."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser

import pytest

from skotsel.domain.catalogue import CATALOGUE
from skotsel.extensions import db
from skotsel.models import AgreedTask, Agreement, AuditEvent, TaskType
from tests.conftest import login


class _FormValues(HTMLParser):
    """What a browser would send for the first POST form on a page with its submit button not pressed."""

    def __init__(self) -> None:
        super().__init__()
        self.values: list[tuple[str, str]] = []
        self._in_form = self._done = False
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self._done:
            return
        if tag == "form" and a.get("method") == "post" and "novalidate" in a:
            self._in_form = True
        if not self._in_form:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.values.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self._select, self._options = a["name"], []
        elif tag == "option" and self._select:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self._textarea, self._text = a["name"], ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag):
        if not self._in_form or self._done:
            return
        if tag == "select" and self._select:
            chosen = [value for value, selected in self._options if selected] or [self._options[0][0]]
            self.values.append((self._select, chosen[0]))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # Browsers drop the one newline that follows <textarea>.
            self.values.append((self._textarea, self._text.removeprefix("\r\n").removeprefix("\n")))
            self._textarea = None
        elif tag == "form":
            self._done = True


def form_values(html: str) -> dict[str, list[str]]:
    parser = _FormValues()
    parser.feed(html)
    values: dict[str, list[str]] = {}
    for name, value in parser.values:
        values.setdefault(name, []).append(value)
    return values


def error_of(page: str, field: str) -> str:
    found = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.S)
    return found.group(1) if found else ""


def agreement_data(world, **changes) -> dict:
    data = {"title": "Skötselavtal Hallaryd 2026–2028", "association_id": str(world.a.id),
            "starts_on": "2026-01-01", "ends_on": "2028-12-31", "status": "draft",
            "compensation_model": "fixed_per_year", "compensation_amount": "12000", "compensation_cap": "",
            "signed_on": "2025-12-15", "notes": "Karta bifogad."}
    data.update(changes)
    return data


def task_data(world, **changes) -> dict:
    data = {"site_id": str(world.site_a.id), "task_type_id": str(world.task_type.id), "level_text": "högst 10 cm",
            "kind": "recurrence", "pattern": "weekly", "interval": "2", "monthday": "", "ordinal": "",
            "custom_rrule": "", "quota_count": "", "quota_min_gap_days": "", "season_start": "05-15",
            "season_end": "09-30", "reminder_lead_days": "3", "performed_by": "association"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def count(model, **filters) -> int:
    return db.session.scalar(db.select(db.func.count(model.id)).filter_by(**filters))


# Agreements

def test_the_list_shows_title_association_period_status_in_words_and_compensation(client, world, make):
    make.agreement(world.b, title="Avtal Virestad utkast", status="draft")
    login(client, "admin@home.example")
    page = client.get("/admin/agreements").get_data(as_text=True)
    assert "Avtal A" in page and "Hallaryds sockenråd" in page and "2025-01-01 – 2027-12-31" in page
    assert '<span class="badge badge-active">Gällande</span>' in page
    assert '<span class="badge badge-draft">Utkast</span>' in page
    assert "10\u00a0000 kr per år" in page
    assert "Avtal C" not in page  # another municipality's
    assert "Nytt avtal" in page


def test_admin_creates_an_agreement_and_lands_on_its_page(client, world):
    login(client, "admin@home.example")
    response = client.submit("/admin/agreements/new", agreement_data(
        world, compensation_model="components_with_cap", compensation_amount="2 000", compensation_cap="6000,50"))
    agreement = db.session.scalar(db.select(Agreement).filter_by(title="Skötselavtal Hallaryd 2026–2028"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/agreements/{agreement.id}"
    assert agreement.municipality_id == world.home.id and agreement.association_id == world.a.id
    assert (agreement.starts_on, agreement.ends_on, agreement.signed_on) == (
        date(2026, 1, 1), date(2028, 12, 31), date(2025, 12, 15))
    assert (agreement.compensation_amount, agreement.compensation_cap) == (Decimal("2000"), Decimal("6000.50"))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2\u00a0000 kr per delbelopp, högst 6\u00a0000,5 kr per år" in page
    assert '<span class="badge badge-draft">Utkast</span>' in page
    event = db.session.scalar(db.select(AuditEvent).filter_by(object_type="Agreement", object_id=agreement.id))
    assert event.action == "create" and event.changes["title"] == [None, "Skötselavtal Hallaryd 2026–2028"]


@pytest.mark.parametrize("changes,field,message", [
    ({"ends_on": "2025-12-31"}, "ends_on", "Avtalet måste sluta efter att det börjar."),
    ({"ends_on": "2026-01-01"}, "ends_on", "Avtalet måste sluta efter att det börjar."),
    ({"compensation_amount": "-100"}, "compensation_amount", "Beloppet kan inte vara negativt."),
    ({"compensation_cap": "-1"}, "compensation_cap", "Beloppet kan inte vara negativt."),
    ({"compensation_amount": "tiotusen"}, "compensation_amount", "Ange beloppet i kronor, t.ex. 10000 eller 0,28."),
    ({"title": "Avtal B"}, "title", "Det finns redan ett avtal med det namnet."),
    ({"title": "  "}, "title", "Ange avtalets namn."),
    ({"starts_on": ""}, "starts_on", "Ange avtalstidens start och slut."),
    ({"association_id": "OTHER"}, "association_id", "Välj en förening i kommunen."),
    ({"association_id": ""}, "association_id", "Välj en förening i kommunen."),
])
def test_a_broken_agreement_is_refused_on_its_field_and_keeps_what_was_typed(client, world, changes, field, message):
    if changes.get("association_id") == "OTHER":
        changes = {"association_id": str(world.c.id)}
    login(client, "admin@home.example")
    response = client.submit("/admin/agreements/new", agreement_data(world, **changes))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert error_of(page, field) == message
    assert "Karta bifogad." in page
    assert count(Agreement, municipality_id=world.home.id) == 2


def test_edit_is_audited_with_old_and_new_values(client, world):
    login(client, "admin@home.example")
    url = f"/admin/agreements/{world.agreement_a.id}/edit"
    values = form_values(client.get(url).get_data(as_text=True))
    assert values["compensation_amount"] == ["10000"] and values["association_id"] == [str(world.a.id)]
    values.update(status=["ended"], compensation_amount=["12 500,50"])
    response = client.submit(url, values)
    assert response.status_code == 302
    agreement = db.session.get(Agreement, world.agreement_a.id)
    assert agreement.status == "ended" and agreement.compensation_amount == Decimal("12500.50")
    event = db.session.scalar(db.select(AuditEvent).filter_by(object_type="Agreement", action="update"))
    assert event.changes == {"status": ["active", "ended"], "compensation_amount": ["10000.00", "12500.50"]}
    assert event.actor_id == world.admin.id


def test_the_association_cannot_change_while_the_agreement_has_tasks(client, world):
    login(client, "admin@home.example")
    url = f"/admin/agreements/{world.agreement_a.id}/edit"
    values = form_values(client.get(url).get_data(as_text=True))
    values["association_id"] = [str(world.b.id)]
    page = client.submit(url, values).get_data(as_text=True)
    assert "ta bort dem innan du byter förening" in error_of(page, "association_id")


def test_a_draft_is_deleted_with_its_tasks_and_the_deletes_are_logged(client, world, make):
    draft = make.agreement(world.a, title="Utkast Hallaryd", status="draft")
    task = make.agreed_task(draft, world.site_a, world.task_type)
    draft_id, task_id = draft.id, task.id
    login(client, "admin@home.example")
    response = client.submit(f"/admin/agreements/{draft_id}/delete", page=f"/admin/agreements/{draft_id}")
    assert response.headers["Location"] == "/admin/agreements"
    assert db.session.get(Agreement, draft_id) is None and db.session.get(AgreedTask, task_id) is None
    deleted = {(e.object_type, e.object_id) for e in db.session.scalars(db.select(AuditEvent).filter_by(
        action="delete"))}
    assert deleted == {("Agreement", draft_id), ("AgreedTask", task_id)}


def test_an_agreement_in_force_is_not_deleted(client, world):
    login(client, "admin@home.example")
    url = f"/admin/agreements/{world.agreement_a.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Ta bort utkastet" not in page
    response = client.submit(f"{url}/delete", page=url, follow_redirects=True)
    assert "Bara utkast kan tas bort." in response.get_data(as_text=True)
    assert db.session.get(Agreement, world.agreement_a.id) is not None


# The agreement page

def test_the_page_shows_facts_and_site_by_site_the_agreed_tasks_as_sentences(client, world, make):
    second_site = make.site(world.home, world.a, name="Badplats Hallaryd", kind="beach")
    make.agreed_task(world.agreement_a, second_site, world.task_type, rrule=None, quota_count=6,
                     quota_gap_days=10, level_text="")
    login(client, "granskare@home.example")
    page = client.get(f"/admin/agreements/{world.agreement_a.id}").get_data(as_text=True)
    assert "Hallaryds sockenråd" in page and "10\u00a0000 kr per år" in page
    assert page.index("Badplats Hallaryd") < page.index("Park A")
    assert "Klippning bruksgräsmatta minst 6 gånger mellan 15 maj och 30 sep, minst 10 dagar isär" in page
    assert "Klippning bruksgräsmatta varannan vecka 15 maj–30 sep · högst 10 cm" in page
    assert "Påminnelse 2 dagar före" in page
    assert "Lägg till skötselmoment" not in page and "Händelselogg" not in page


@pytest.fixture
def catalogue_world(make):
    """A municipality with the whole catalogue, an association with a green space, a beach and a playground."""
    from types import SimpleNamespace

    home = make.municipality("Älmhult kommun", "0765", catalogue=True)
    association = make.association(home, "Hallaryds sockenråd")
    w = SimpleNamespace(
        home=home, association=association,
        green=make.site(home, association, name="Hembygdsparken"),
        beach=make.site(home, association, name="Välje badplats", kind="beach"),
        playground=make.site(home, association, name="Lekplatsen", kind="playground"),
        agreement=make.agreement(association, title="Skötselavtal Hallaryd"),
        admin=make.user("admin@home.example", role="admin", municipality=home),
    )
    w.types = {t.code: t for t in db.session.scalars(db.select(TaskType).filter_by(municipality_id=home.id))}
    return w


def add_from_defaults(client, w, code: int, site) -> None:
    """Add a catalogue task type to the agreement through the form, prefilled from the type, unchanged."""
    url = f"/admin/agreements/{w.agreement.id}/tasks/new?task_type_id={w.types[code].id}&site_id={site.id}"
    values = form_values(client.get(url).get_data(as_text=True))
    response = client.post(url, data=values)
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.mark.parametrize("code,site,sentence", [
    (1, "green", "Klippning bruksgräsmatta varannan vecka 15 maj–30 sep · högst 10 cm, klipps till 6–7 cm, "
                 "inga högar av gräsklipp"),
    (7, "green", "Tömning papperskorgar varje vecka · inga överfulla korgar"),
    (11, "beach", "Städning toalett/latrin varje måndag och torsdag juni–aug · rent, papper påfyllt"),
    (10, "beach", "Kontroll livräddningsutrustning dagligen juni–aug · livboj och 25 m lina hela, "
                  "fel rapporterade direkt"),
])
def test_the_page_shows_the_exact_sentence_for_catalogue_defaults(client, catalogue_world, code, site, sentence):
    login(client, "admin@home.example")
    add_from_defaults(client, catalogue_world, code, getattr(catalogue_world, site))
    page = client.get(f"/admin/agreements/{catalogue_world.agreement.id}").get_data(as_text=True)
    assert f'<p class="sentence">{sentence}</p>' in page


def test_a_task_the_municipality_does_itself_says_so(client, catalogue_world):
    login(client, "admin@home.example")
    add_from_defaults(client, catalogue_world, 22, catalogue_world.beach)
    page = client.get(f"/admin/agreements/{catalogue_world.agreement.id}").get_data(as_text=True)
    assert "Badvattenprov varje månad juni–aug · prov taget, resultatet anslaget" in page
    assert "utförs av kommunen" in page


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda entry: f"{entry.code}-{entry.name_sv}")
def test_every_catalogue_default_survives_form_and_save_unchanged(client, catalogue_world, entry):
    w = catalogue_world
    site = next(site for site in (w.green, w.beach, w.playground) if site.kind in entry.site_kinds)
    login(client, "admin@home.example")
    add_from_defaults(client, w, entry.code, site)
    task = db.session.scalar(db.select(AgreedTask).filter_by(agreement_id=w.agreement.id))
    assert (task.rrule, task.season_start, task.season_end) == (entry.rrule, entry.season_start, entry.season_end)
    assert task.performed_by == entry.performed_by and task.level_text == entry.standard_sv

    url = f"/admin/agreed-tasks/{task.id}/edit"
    values = form_values(client.get(url).get_data(as_text=True))
    assert client.post(url, data=values).status_code == 302
    task = db.session.get(AgreedTask, task.id)
    assert task.rrule == entry.rrule
    assert count(AuditEvent, object_type="AgreedTask", action="update") == 0


# Agreed tasks

def test_a_task_type_for_another_kind_of_site_is_refused(client, catalogue_world):
    w = catalogue_world
    login(client, "admin@home.example")
    ornamental_lawn = w.types[2]  # Klippning prydnadsgräsmatta: green spaces only
    response = client.submit(f"/admin/agreements/{w.agreement.id}/tasks/new", {
        "site_id": w.beach.id, "task_type_id": ornamental_lawn.id, "kind": "recurrence", "pattern": "weekly",
        "interval": "1", "season_start": "05-15", "season_end": "09-30", "reminder_lead_days": "2",
        "performed_by": "association"})
    assert response.status_code == 200
    assert "Skötselmomentet gäller inte den sortens skötselobjekt." in response.get_data(as_text=True)
    assert count(AgreedTask, agreement_id=w.agreement.id) == 0


def test_admin_adds_an_agreed_task_with_a_custom_rule(client, world):
    login(client, "admin@home.example")
    url = f"/admin/agreements/{world.agreement_a.id}/tasks/new"
    response = client.submit(url, task_data(world, pattern="custom", custom_rrule="rrule:freq=monthly;byday=1sa",
                                            interval=""))
    assert response.headers["Location"] == f"/admin/agreements/{world.agreement_a.id}"
    task = db.session.scalar(db.select(AgreedTask).filter_by(agreement_id=world.agreement_a.id,
                                                             rrule="FREQ=MONTHLY;BYDAY=1SA"))
    assert task.reminder_lead_days == 3 and task.site_id == world.site_a.id
    page = client.get(f"/admin/agreements/{world.agreement_a.id}").get_data(as_text=True)
    assert "Klippning bruksgräsmatta första lördagen varje månad 15 maj–30 sep · högst 10 cm" in page


def test_an_agreed_task_can_ask_for_a_deviation_when_an_occurrence_is_missed(client, world):
    login(client, "admin@home.example")
    url = f"/admin/agreements/{world.agreement_a.id}/tasks/new"
    client.submit(url, task_data(world, pattern="custom", custom_rrule="FREQ=WEEKLY;BYDAY=MO",
                                 deviation_when_missed="y"))
    task = db.session.scalar(db.select(AgreedTask).filter_by(rrule="FREQ=WEEKLY;BYDAY=MO"))
    assert task.deviation_when_missed is True
    edit = f"/admin/agreed-tasks/{task.id}/edit"
    checkbox = re.search(r'<input[^>]*name="deviation_when_missed"[^>]*>', client.get(edit).get_data(as_text=True))
    assert "checked" in checkbox.group(0)
    client.submit(edit, task_data(world, pattern="custom", custom_rrule="FREQ=WEEKLY;BYDAY=MO"))
    db.session.expire_all()
    assert db.session.get(AgreedTask, task.id).deviation_when_missed is False


def test_a_monthly_rule_from_the_friendly_fields(client, world):
    login(client, "admin@home.example")
    client.submit(f"/admin/agreements/{world.agreement_a.id}/tasks/new",
                  task_data(world, pattern="monthly", interval="1", ordinal="-1", weekdays="SU"))
    assert count(AgreedTask, rrule="FREQ=MONTHLY;BYDAY=-1SU") == 1


def test_admin_adds_a_quota_task(client, world):
    login(client, "admin@home.example")
    client.submit(f"/admin/agreements/{world.agreement_a.id}/tasks/new",
                  task_data(world, kind="quota", quota_count="6", quota_min_gap_days="10"))
    task = db.session.scalar(db.select(AgreedTask).filter_by(quota_count=6))
    assert task.rrule is None and task.quota_gap_days == 10 and task.season_start == "05-15"


@pytest.mark.parametrize("changes,field,message", [
    ({"pattern": "custom", "custom_rrule": "FREQ=SOMETIMES"}, "custom_rrule",
     "Ogiltig RRULE: FREQ=SOMETIMES stöds inte; använd DAILY, WEEKLY, MONTHLY eller YEARLY."),
    ({"pattern": "custom", "custom_rrule": "FREQ=WEEKLY;COUNT=5"}, "custom_rrule",
     "Ogiltig RRULE: COUNT stöds inte – avtalstiden och säsongen avgör när uppdraget slutar."),
    ({"pattern": "custom", "custom_rrule": "FREQ=MONTHLY;BYSETPOS=1"}, "custom_rrule",
     "Ogiltig RRULE: BYSETPOS stöds inte."),
    ({"pattern": "monthly", "interval": "1", "ordinal": "1", "weekdays": ["MO", "TU"]}, "weekdays",
     "Välj exakt en veckodag, t.ex. lördag för första lördagen."),
    ({"pattern": "weekly", "months": "6"}, "months", "Månader kan bara väljas för årlig upprepning."),
    ({"interval": "0"}, "interval", "Intervallet ska vara ett heltal mellan 1 och 52."),
    ({"kind": "quota", "quota_count": "6", "season_start": "", "season_end": ""}, "season_start",
     "Ett antal gånger kräver en säsong att räkna inom."),
    ({"kind": "quota", "quota_count": "20", "quota_min_gap_days": "10", "season_start": "06-01",
      "season_end": "08-31"}, "quota_count",
     "20 gånger med minst 10 dagar emellan ryms inte mellan 1 juni och 31 aug."),
    ({"kind": "quota", "quota_count": ""}, "quota_count", "Antalet gånger ska vara mellan 1 och 366."),
    ({"pattern": "yearly", "interval": "1", "months": "8", "season_start": "06-01", "season_end": "07-31"},
     "season_start", "Regeln faller i augusti, utanför säsongen juni–juli."),
    ({"season_end": ""}, "season_end", "Ange både när säsongen börjar och slutar, eller ingen av dem för hela året."),
    ({"season_start": "02-30"}, "season_start", "Datumet 02-30 finns inte."),
    ({"season_start": "maj"}, "season_start", "Skriv datumet som MM-DD, t.ex. 05-15."),
    ({"site_id": "SITE_B"}, "site_id", "Skötselobjektet sköts inte av avtalets förening."),
    ({"site_id": "SITE_C"}, "site_id", "Välj ett skötselobjekt i kommunen."),
    ({"task_type_id": "OTHER_TYPE"}, "task_type_id", "Välj ett skötselmoment."),
    ({"reminder_lead_days": "61"}, "reminder_lead_days", "Påminnelsen kan komma 0–60 dagar före."),
    ({"reminder_lead_days": "-1"}, "reminder_lead_days", "Påminnelsen kan komma 0–60 dagar före."),
])
def test_a_broken_agreed_task_is_refused_on_its_field(client, world, changes, field, message):
    ids = {"SITE_B": str(world.site_b.id), "SITE_C": str(world.site_c.id), "OTHER_TYPE": str(world.other_task_type.id)}
    changes = {key: ids.get(value, value) if isinstance(value, str) else value for key, value in changes.items()}
    login(client, "admin@home.example")
    response = client.submit(f"/admin/agreements/{world.agreement_a.id}/tasks/new", task_data(world, **changes))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert error_of(page, field) == message
    assert "högst 10 cm</textarea>" in page
    assert count(AgreedTask, agreement_id=world.agreement_a.id) == 1


def test_typed_rrule_is_kept_after_an_error(client, world):
    login(client, "admin@home.example")
    page = client.submit(f"/admin/agreements/{world.agreement_a.id}/tasks/new",
                         task_data(world, pattern="custom", custom_rrule="FREQ=WEEKLY;UNTIL=20261231")).get_data(
        as_text=True)
    assert 'value="FREQ=WEEKLY;UNTIL=20261231"' in page


def test_a_task_type_chosen_by_link_prefills_rule_season_level_and_performer(client, catalogue_world):
    w = catalogue_world
    login(client, "admin@home.example")
    page = client.get(f"/admin/agreements/{w.agreement.id}/tasks/new?task_type_id={w.types[4].id}").get_data(
        as_text=True)
    values = form_values(page)
    assert values["task_type_id"] == [str(w.types[4].id)]
    assert values["pattern"] == ["yearly"] and values["months"] == ["8"]
    assert (values["season_start"], values["season_end"]) == (["07-01"], ["09-30"])
    assert values["level_text"] == ["höet bortforslat inom en vecka"]
    assert "Så här blir det:</strong> Ängsslåtter med upptag en gång i augusti" in page


def test_the_prefill_button_fills_in_the_chosen_type_and_keeps_the_site(client, catalogue_world):
    w = catalogue_world
    login(client, "admin@home.example")
    url = f"/admin/agreements/{w.agreement.id}/tasks/new"
    values = form_values(client.get(url).get_data(as_text=True))
    values.update(site_id=[str(w.beach.id)], task_type_id=[str(w.types[18].id)], prefill=["1"])
    page = client.post(url, data=values).get_data(as_text=True)
    values = form_values(page)
    assert values["site_id"] == [str(w.beach.id)]
    assert values["months"] == ["4"] and values["performed_by"] == ["municipality"]
    assert count(AgreedTask) == 0


def test_preview_shows_the_sentence_without_saving(client, world):
    login(client, "admin@home.example")
    response = client.submit(f"/admin/agreements/{world.agreement_a.id}/tasks/new",
                             task_data(world, pattern="weekly", interval="1", weekdays=["MO", "TH"], preview="1"))
    assert response.status_code == 200
    assert ("Så här blir det:</strong> Klippning bruksgräsmatta varje måndag och torsdag 15 maj–30 sep · högst 10 cm"
            in response.get_data(as_text=True))
    assert count(AgreedTask, agreement_id=world.agreement_a.id) == 1


@pytest.mark.parametrize("rrule,expected", [
    ("FREQ=MONTHLY;BYDAY=1SA", {"pattern": ["monthly"], "ordinal": ["1"], "weekdays": ["SA"]}),
    ("FREQ=MONTHLY;BYMONTHDAY=15", {"pattern": ["monthly"], "monthday": ["15"]}),
    ("FREQ=YEARLY;BYMONTH=6,9", {"pattern": ["yearly"], "months": ["6", "9"]}),
    ("FREQ=MONTHLY;BYMONTHDAY=-1", {"pattern": ["custom"], "custom_rrule": ["FREQ=MONTHLY;BYMONTHDAY=-1"]}),
])
def test_the_edit_form_shows_the_stored_rule_in_the_friendly_fields(client, world, make, rrule, expected):
    task = make.agreed_task(world.agreement_a, world.site_a, world.task_type, rrule=rrule, season=None)
    login(client, "admin@home.example")
    values = form_values(client.get(f"/admin/agreed-tasks/{task.id}/edit").get_data(as_text=True))
    assert {key: values.get(key) for key in expected} == expected
    assert values["season_start"] == [""]


def test_edit_and_delete_of_an_agreed_task_are_audited_and_shown_to_admins_only(client, world):
    task_id = world.task_a.id
    login(client, "admin@home.example")
    url = f"/admin/agreed-tasks/{task_id}/edit"
    values = form_values(client.get(url).get_data(as_text=True))
    values.update(interval=["1"], reminder_lead_days=["5"])
    assert client.post(url, data=values).status_code == 302
    event = db.session.scalar(db.select(AuditEvent).filter_by(object_type="AgreedTask", action="update"))
    assert event.changes == {"rrule": ["FREQ=WEEKLY;INTERVAL=2", "FREQ=WEEKLY"], "reminder_lead_days": ["2", "5"]}

    detail = f"/admin/agreements/{world.agreement_a.id}"
    client.submit(f"/admin/agreed-tasks/{task_id}/delete", page=detail)
    assert db.session.get(AgreedTask, task_id) is None
    page = client.get(detail).get_data(as_text=True)
    assert "Händelselogg" in page
    assert "tog bort Klippning bruksgräsmatta på Park A (Avtal A)" in page
    assert "FREQ=WEEKLY;INTERVAL=2 → FREQ=WEEKLY" in page

    client.post("/logout", data={"csrf_token": client.csrf_token(detail)})
    login(client, "granskare@home.example")
    assert "Händelselogg" not in client.get(detail).get_data(as_text=True)


def test_the_log_of_one_agreement_leaves_out_other_agreements(client, world):
    login(client, "admin@home.example")
    client.submit(f"/admin/agreements/{world.agreement_b.id}/tasks/new",
                  task_data(world, site_id=str(world.site_b.id)))
    assert "Händelselogg" in client.get(f"/admin/agreements/{world.agreement_b.id}").get_data(as_text=True)
    assert "Händelselogg" not in client.get(f"/admin/agreements/{world.agreement_a.id}").get_data(as_text=True)


# Who may do what

def write_pages(world) -> list[str]:
    return ["/admin/agreements/new", f"/admin/agreements/{world.agreement_a.id}/edit",
            f"/admin/agreements/{world.agreement_a.id}/tasks/new", f"/admin/agreed-tasks/{world.task_a.id}/edit"]


def test_reviewer_reads_but_gets_403_on_write_pages(client, world):
    login(client, "granskare@home.example")
    assert client.get(f"/admin/agreements/{world.agreement_a.id}").status_code == 200
    assert "Nytt avtal" not in client.get("/admin/agreements").get_data(as_text=True)
    for url in write_pages(world):
        assert client.get(url).status_code == 403, url
    token = client.csrf_token("/admin/agreements")
    for url in (f"/admin/agreements/{world.agreement_a.id}/delete", f"/admin/agreed-tasks/{world.task_a.id}/delete",
                f"/admin/agreements/{world.agreement_a.id}/tasks/new"):
        assert client.post(url, data={"csrf_token": token}).status_code == 403, url
    assert db.session.get(AgreedTask, world.task_a.id) is not None


def test_another_municipalitys_admin_gets_404(client, world):
    login(client, "admin@other.example")
    for url in [f"/admin/agreements/{world.agreement_a.id}", *write_pages(world)[1:]]:
        assert client.get(url).status_code == 404, url
    assert "Avtal A" not in client.get("/admin/agreements").get_data(as_text=True)


def test_another_municipalitys_admin_cannot_add_a_home_site_to_their_agreement(client, world):
    login(client, "admin@other.example")
    response = client.submit(f"/admin/agreements/{world.agreement_c.id}/tasks/new",
                             task_data(world, site_id=str(world.site_a.id), task_type_id=str(world.other_task_type.id)))
    assert error_of(response.get_data(as_text=True), "site_id") == "Välj ett skötselobjekt i kommunen."


@pytest.mark.parametrize("email", ["samordnare@a.example", "medlem@a.example"])
def test_association_people_get_404(client, world, email):
    login(client, email)
    for url in ["/admin/agreements", f"/admin/agreements/{world.agreement_a.id}", *write_pages(world)]:
        assert client.get(url).status_code == 404, url


def test_a_site_that_has_passed_to_another_association_cannot_stay_in_the_agreement(client, world):
    world.site_a.association_id = world.b.id
    db.session.commit()
    login(client, "admin@home.example")
    url = f"/admin/agreed-tasks/{world.task_a.id}/edit"
    values = form_values(client.get(url).get_data(as_text=True))
    assert values["site_id"] == [str(world.site_a.id)]
    page = client.post(url, data=values).get_data(as_text=True)
    assert error_of(page, "site_id") == "Skötselobjektet sköts inte av avtalets förening."
