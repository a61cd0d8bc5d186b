"""The Älmhult demo data of DOMAIN.md: villages, associations, sites, agreements and the demo accounts.

Get-or-create throughout, keyed by names and e-mail addresses, so loading twice changes nothing and a later
version of this module can add what a new feature needs to an existing demo database.
"""
from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from PIL import Image, ImageDraw
from sqlalchemy import select

from skotsel import config
from skotsel.domain.recurrence import Quota, Recurrence, Season
from skotsel.extensions import db
from skotsel.models import AgreedTask, Agreement, Association, Completion, Deviation, Membership, Municipality, \
    Occurrence, Site, TaskType, User, Village
from skotsel.services import audit, clock, deviations, inspections, photos, schedule, settlements, transaction
from skotsel.services.access import Principal
from skotsel.services.agreements import add_agreed_task, attach_document, create_agreement
from skotsel.services.associations import create_association
from skotsel.services.catalogue import seed_catalogue
from skotsel.services.documents import sample_pdf
from skotsel.services.sites import create_site
from skotsel.services.villages import create_village

DEMO_PASSWORD = "skotsel-demo-2026"
MUNICIPALITY = ("Älmhult kommun", "0765")


@dataclass(frozen=True)
class DemoSite:
    name: str
    kind: str
    lat: float
    lon: float
    area_m2: int
    #: Catalogue codes with the agreed level; a (count, gap) tuple in place of a code's default makes it a quota.
    tasks: tuple[tuple[int, str] | tuple[int, str, tuple[int, int]], ...]
    polygon: bool = False
    notes: str = ""


@dataclass(frozen=True)
class DemoAssociation:
    village: str
    lat: float
    lon: float
    name: str
    org_number: str
    contact: str
    compensation: tuple[str, str, str | None]
    sites: tuple[DemoSite, ...]


GREEN = ((1, "Högst 10 cm, klipps till 6–7 cm, inga klipphögar"), (6, "Tydliga kantlinjer mot gång och rabatt"),
         (7, "Inga överfulla papperskorgar"), (19, "Grus, skräp och vinterskador åtgärdade"))
BEACH = ((9, "Krattad sand, inget skräp eller glas"), (10, "Livboj med 25 m lina hel, fel anmäls direkt"),
         (12, "Inga lösa plank eller spikar"), (13, "Förankrad och i våg"), (14, "Upptagen, skador noterade"),
         (7, "Inga överfulla papperskorgar"))
PLAYGROUND = ((16, "Inga trasiga delar, inget glas i sanden"), (17, "Bultar, kedjor och underlag kontrollerade"),
              (7, "Inga överfulla papperskorgar"))

ASSOCIATIONS = (
    DemoAssociation("Hallaryd", 56.4856, 13.8856, "Hallaryds sockenråd", "8020043116", "Karin Svensson",
                    ("fixed_per_year", "12000", None), (
        DemoSite("Hembygdsparken vid Helge å", "green_space", 56.4862, 13.8871, 4200,
                 GREEN + ((8, "Ingen synlig nedskräpning", (6, 10)),), polygon=True),
        DemoSite("Mötesplats Hallaryd med lekplats", "playground", 56.4849, 13.8838, 900, PLAYGROUND,
                 notes="Planerad mötesplats med lekplats och utegym."),
    )),
    DemoAssociation("Delary", 56.54889, 13.95361, "Delary byalag", "8020043223", "Lars Persson",
                    ("per_m2", "0.28", None), (
        DemoSite("Delary badplats", "beach", 56.5494, 13.9551, 2600, BEACH[:4] + ((11, "Rent, papper påfyllt"),),
                 polygon=True),
        DemoSite("Bruksparken", "green_space", 56.5479, 13.9522, 5100, GREEN[:3]),
    )),
    DemoAssociation("Eneryda", 56.69, 14.32, "Eneryda byalag", "8020043330", "Sofia Berg",
                    ("fixed_per_year", "8000", None), (
        DemoSite("Torget i Eneryda", "green_space", 56.6903, 14.3205, 1500, GREEN[:3] + ((20, "Löv bortforslade"),)),
        DemoSite("Lekplatsen i Eneryda", "playground", 56.6911, 14.3188, 700, PLAYGROUND),
    )),
    DemoAssociation("Pjätteryd", 56.63861, 14.02417, "Pjätteryds hembygdsförening", "8020043447", "Nils Håkansson",
                    ("per_occurrence", "150", "9000"), (
        DemoSite("Grönytan vid skolan", "green_space", 56.6391, 14.0249, 3000, GREEN),
        DemoSite("Lekplatsen vid skolan", "playground", 56.6384, 14.0236, 600, PLAYGROUND),
    )),
    DemoAssociation("Göteryd", 56.58, 13.88, "Göteryds hembygdsförening", "8020043553", "Eva Lindgren",
                    ("fixed_per_year", "10000", None), (
        DemoSite("Hembygdsparken i Göteryd", "green_space", 56.5806, 13.8812, 3800, GREEN),
        DemoSite("Ramnäs badplats vid Römningen", "beach", 56.5712, 13.8695, 2100, BEACH, polygon=True),
    )),
    DemoAssociation("Virestad", 56.62361, 14.34, "Virestads hembygdsförening", "8020043660", "Maria Johansson",
                    ("components_with_cap", "2000", "6000"), (
        DemoSite("Välje badplats vid Virestadsjön", "beach", 56.6221, 14.3431, 3400,
                 BEACH[:4] + ((11, "Torrtoaletterna rena, papper påfyllt"), (22, "Prov taget, resultatet anslaget")),
                 polygon=True,
                 notes="Cirka 70 m brygga, torrtoaletter."),
        DemoSite("Hembygdsgården Virestad", "green_space", 56.6243, 14.3392, 2500, GREEN[:3]),
    )),
    DemoAssociation("Liatorp", 56.66, 14.28, "Liatorps intresseförening", "8020043777", "Johan Andersson",
                    ("fixed_per_year", "6000", None), (
        DemoSite("Grönytan vid affären", "green_space", 56.6604, 14.2807, 1100, GREEN[:3]),
        DemoSite("Lekplatsen i Liatorp", "playground", 56.6612, 14.2789, 500, PLAYGROUND),
    )),
    DemoAssociation("Härlunda", 56.47, 14.43, "Härlunda intresseförening", "8020043884", "Birgitta Olsson",
                    ("fixed_per_year", "10000", None), (
        DemoSite("Härlunda badplats", "beach", 56.4712, 14.4321, 1900, BEACH[:5], polygon=True),
        DemoSite("Tomten vid Handelsboden", "green_space", 56.4697, 14.4288, 1400, GREEN[:3]),
    )),
)

#: Kept by the municipality itself, so it has no agreement.
MOCKELN = DemoSite("Möckelns badplats", "beach", 56.58061, 14.15356, 6000, (), polygon=True)

USERS = (
    ("admin@almhult.example", "Åsa Lindqvist", "admin", None),
    ("granskare@almhult.example", "Gunnar Ek", "reviewer", None),
    ("samordnare@hallaryd.example", "Karin Svensson", "coordinator", "Hallaryds sockenråd"),
    ("medlem@hallaryd.example", "Erik Nilsson", "member", "Hallaryds sockenråd"),
    ("samordnare@virestad.example", "Maria Johansson", "coordinator", "Virestads hembygdsförening"),
)


def _geometry(site: DemoSite) -> dict:
    """A point, or a small square of about 60 × 60 m around it for beaches and parks drawn as areas."""
    if not site.polygon:
        return {"type": "Point", "coordinates": [site.lon, site.lat]}
    dlat, dlon = 0.00027, 0.00049
    ring = [[site.lon - dlon, site.lat - dlat], [site.lon + dlon, site.lat - dlat],
            [site.lon + dlon, site.lat + dlat], [site.lon - dlon, site.lat + dlat], [site.lon - dlon, site.lat - dlat]]
    return {"type": "Polygon", "coordinates": [ring]}


def _get(model, **keys):
    return db.session.scalar(select(model).filter_by(**keys))


def load_demo_data(*, upload_folder: str, today: date | None = None) -> bool:
    """Load the demo in one transaction (all of it or nothing); return True if anything was added.

    The history (occurrences before `today` with their completions, a few missed or excused, the deviations the
    missed ones raised) is made relative to the day the demo is loaded, so every page has something true to show
    in any month.
    """
    with transaction():
        return _load(upload_folder, today or clock.today())


def _load(upload_folder: str, today: date) -> bool:
    name, code = MUNICIPALITY
    municipality = _get(Municipality, name=name)
    added = municipality is None
    if municipality is None:
        municipality = Municipality(name=name, code=code)
        db.session.add(municipality)
        db.session.flush()
    mid = municipality.id
    added |= seed_catalogue(municipality_id=mid) > 0
    task_types = {t.code: t for t in db.session.scalars(select(TaskType).where(TaskType.municipality_id == mid))}

    if _get(Village, municipality_id=mid, name="Älmhult") is None:
        create_village(actor_id=None, municipality_id=mid, name="Älmhult", lat=56.5511, lon=14.1372)
        added = True
    added |= _site(mid, MOCKELN, village_id=_get(Village, municipality_id=mid, name="Älmhult").id,
                   association_id=None) is not None

    new_tasks: list[AgreedTask] = []
    for demo in ASSOCIATIONS:
        village = _get(Village, municipality_id=mid, name=demo.village)
        if village is None:
            village = create_village(actor_id=None, municipality_id=mid, name=demo.village, lat=demo.lat, lon=demo.lon)
            added = True
        association = _get(Association, municipality_id=mid, name=demo.name)
        if association is None:
            slug = demo.village.lower().replace("ä", "a").replace("ö", "o").replace("å", "a")
            association = create_association(
                actor_id=None, municipality_id=mid, name=demo.name, org_number=demo.org_number,
                village_id=village.id, contact_name=demo.contact, email=f"kontakt@{slug}.example",
                phone="0476-55 00 00",
            )
            added = True
        sites = [_site(mid, s, village_id=village.id, association_id=association.id) for s in demo.sites]
        added |= any(s is not None for s in sites)
        new_tasks += _agreement(mid, association, demo, task_types, upload_folder)

    added |= _users(mid)
    if new_tasks:
        _history(new_tasks, today, upload_folder)
        added = True
    return added


def _site(mid: int, demo: DemoSite, *, village_id: int, association_id: int | None) -> Site | None:
    """Create the site unless it exists; return it only when created."""
    if _get(Site, municipality_id=mid, name=demo.name) is not None:
        return None
    return create_site(actor_id=None, municipality_id=mid, name=demo.name, kind=demo.kind, village_id=village_id,
                       association_id=association_id, geometry=_geometry(demo), area_m2=demo.area_m2,
                       notes=demo.notes)


def _agreement(mid: int, association: Association, demo: DemoAssociation, task_types: dict,
               upload_folder: str) -> list[AgreedTask]:
    """Get or create the association's agreement and each of its agreed tasks; return the tasks it added."""
    title = f"Skötselavtal {demo.name} 2025–2027"
    agreement = _get(Agreement, municipality_id=mid, title=title)
    added = []
    if agreement is None:
        model, amount, cap = demo.compensation
        agreement = create_agreement(
            actor_id=None, municipality_id=mid, association_id=association.id, title=title,
            starts_on=date(2025, 1, 1), ends_on=date(2027, 12, 31), status="active", compensation_model=model,
            compensation_amount=Decimal(amount), compensation_cap=Decimal(cap) if cap else None,
            signed_on=date(2024, 12, 10), notes="Demo: påhittat avtal för att visa skotsel.",
            deduction_per_missed=Decimal("50") if model != "none" else Decimal("0"),
            deduction_per_open_deviation=Decimal("200") if model != "none" else Decimal("0"),
        )
        # One agreement carries its signed document, so the download shows on first start.
        if demo.village == "Hallaryd":
            pdf = sample_pdf(title, (f"Parter: Älmhult kommun och {demo.name}", "Avtalstid: 2025-01-01 – 2027-12-31",
                                     "Demo: påhittat avtal för att visa skotsel."))
            attach_document(actor_id=None, agreement=agreement, file=io.BytesIO(pdf), filename=f"{title}.pdf",
                            upload_folder=upload_folder, max_bytes=len(pdf))
    for demo_site in demo.sites:
        site = _get(Site, municipality_id=mid, name=demo_site.name)
        for spec in demo_site.tasks:
            code, level = spec[0], spec[1]
            task_type = task_types[code]
            if _get(AgreedTask, agreement_id=agreement.id, site_id=site.id, task_type_id=task_type.id) is not None:
                continue
            season = Season.parse(task_type.season_start, task_type.season_end) if task_type.season_start else None
            if len(spec) == 3:
                count, gap = spec[2]
                rule = Quota(count, gap)
                season = Season.parse("05-15", "09-30")
            elif task_type.default_rrule:
                rule = Recurrence.parse(task_type.default_rrule)
            else:
                rule = Quota(task_type.default_quota_count, task_type.default_quota_gap_days or 0)
            added.append(add_agreed_task(
                actor_id=None, agreement=agreement, site_id=site.id, task_type_id=task_type.id, level_text=level,
                rule=rule, season=season, reminder_lead_days=2, performed_by=task_type.performed_by,
                deviation_when_missed=code in FOLLOWED_UP, plan_from_start=True))
    return added


#: Safety checks: a missed life-saving gear check or playground check raises a deviation for the municipality.
FOLLOWED_UP = (10, 16)
NOTES = ("Allt i ordning.", "Blött i gräset, klippte ändå.", "Mycket skräp efter helgen.",
         "Bytte trasig kedja på gungan.", "Livbojen var flyttad, satt tillbaka den.", "Två fulla säckar.",
         "Gjorde det tillsammans med skolklassen.", "Grenar nedblåsta efter stormen, röjda.")
EXCUSES = ("Badplatsen stängd på grund av algblomning.", "Inställt: åska och skyfall hela veckan.",
           "Kommunens entreprenör gjorde det i samband med annat arbete.")


def _history(tasks: list[AgreedTask], today: date, upload_folder: str) -> None:
    """Past occurrences get what a real season leaves behind: most done on time, some late, a few missed or
    excused, one moved; then the status pass raises the deviations the missed safety checks call for."""
    by_association = {}
    for membership in db.session.scalars(select(Membership).where(Membership.association_id.is_not(None))):
        by_association.setdefault(membership.association_id, membership.user_id)
    admin = _get(User, email=USERS[0][0])
    task_ids = [task.id for task in tasks]
    occurrences = db.session.scalars(
        select(Occurrence).where(Occurrence.agreed_task_id.in_(task_ids)).order_by(Occurrence.id)).all()
    tasks_by_id = {task.id: task for task in tasks}
    for occurrence in occurrences:
        task = tasks_by_id[occurrence.agreed_task_id]
        chance = random.Random(f"{task.site.name}/{task.task_type.code}/{occurrence.planned_on}")
        if occurrence.window_starts_on >= today:
            continue
        roll = chance.random()
        if occurrence.due_on < today and roll < 0.02:
            occurrence.excused_reason = chance.choice(EXCUSES)
            continue
        grace = timedelta(days=task.task_type.grace_days)
        if occurrence.due_on + grace < today and roll < 0.10:
            continue  # missed
        if roll < 0.22:
            done_on = occurrence.due_on + grace + timedelta(days=chance.randint(1, 6))
        else:
            span = (min(occurrence.due_on, today - timedelta(days=1)) - occurrence.window_starts_on).days
            done_on = occurrence.window_starts_on + timedelta(days=chance.randint(0, max(span, 0)))
        if done_on >= today or (occurrence.due_on >= today and roll < 0.5):
            continue  # still to do
        user_id = admin.id if task.performed_by == "municipality" else by_association.get(task.agreement.association_id)
        db.session.add(Completion(
            municipality_id=occurrence.municipality_id, occurrence_id=occurrence.id,
            site_id=task.site_id,
            task_type_id=task.task_type_id, completed_on=done_on, user_id=user_id,
            notes=chance.choice(NOTES) if chance.random() < 0.25 else "",
            hours=Decimal(chance.choice(("0.5", "1", "1.5", "2", "3"))) if chance.random() < 0.6 else None))
    db.session.flush()
    schedule.status_pass(today=today)
    _photos_and_fixes(tasks, today, upload_folder)
    _follow_up(today)


def _photo(chance: random.Random, taken: datetime, lat: float, lon: float) -> bytes:
    """A JPEG as a phone would send it: a park under a summer sky, with the capture time and place in EXIF."""
    image = Image.new("RGB", (960, 720), (135, 190, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 380, 960, 720), fill=(86, 150, 70))
    for _ in range(6):
        x, y, r = chance.randint(0, 960), chance.randint(330, 420), chance.randint(40, 110)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(40 + chance.randint(0, 40), 110, 50))
    draw.rectangle((430, 470, 500, 580), fill=(60, 60, 65))  # a litter bin
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
    position = exif.get_ifd(0x8825)
    position.update({1: "N", 2: _dms(lat), 3: "E", 4: _dms(lon)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80, exif=exif)
    return out.getvalue()


def _dms(value: float) -> tuple[float, float, float]:
    seconds = round(value * 3600, 2)
    return float(seconds // 3600), float(seconds % 3600 // 60), round(seconds % 60, 2)


def _photos_and_fixes(tasks: list[AgreedTask], today: date, upload_folder: str) -> None:
    """A few recent completions of the demo accounts' associations get photos (one taken far from its site, so the
    warning shows); one is logged by the coordinator on a member's behalf; one deviation is marked fixed."""
    hallaryd, virestad = (_get(Association, name=name) for name in ("Hallaryds sockenråd", "Virestads hembygdsförening"))
    coordinator, member = _get(User, email="samordnare@hallaryd.example"), _get(User, email="medlem@hallaryd.example")
    site_ids = [site.id for site in db.session.scalars(
        select(Site).where(Site.association_id.in_([hallaryd.id, virestad.id])))]
    recent = db.session.scalars(
        select(Completion).where(Completion.site_id.in_(site_ids), Completion.task_type_id.is_not(None))
        .order_by(Completion.completed_on.desc(), Completion.id)).all()
    chosen, seen = [], set()
    for completion in recent:
        if (completion.site_id, completion.task_type_id) not in seen:
            seen.add((completion.site_id, completion.task_type_id))
            chosen.append(completion)
    for index, completion in enumerate(chosen[:6]):
        chance = random.Random(f"photo/{completion.site.name}/{completion.completed_on}")
        far = 0.02 if index == 3 else 0.0  # about 2 km off: shown with a warning, never refused
        taken = datetime.combine(completion.completed_on, time(10 + index, 15))
        data = _photo(chance, taken, completion.site.lat + far, completion.site.lon)
        photos.store_photo(file=io.BytesIO(data), filename=f"IMG_20{index:02d}.jpg", upload_folder=upload_folder,
                           max_bytes=config.MAX_PHOTO_BYTES, max_pixels=config.MAX_PHOTO_PIXELS,
                           uploaded_by_id=completion.user_id, completion=completion)
    hallaryd_done = [c for c in chosen if c.site.association_id == hallaryd.id and c.user_id == coordinator.id]
    if hallaryd_done:
        hallaryd_done[0].user_id, hallaryd_done[0].recorded_by_id = member.id, coordinator.id
    deviation = db.session.scalar(
        select(Deviation).join(Agreement).where(Agreement.association_id == hallaryd.id).order_by(Deviation.id))
    if deviation is not None:
        deviation.status, deviation.fixed_by_id = "fixed", coordinator.id
        deviation.fixed_note = "Kontrollerat hela lekplatsen, bytt trasig kedja på gungan och krattat sanden."
        deviation.fixed_at = datetime.combine(today - timedelta(days=2), time(16, 30), tzinfo=timezone.utc)
        site = deviation.site
        photos.store_photo(file=io.BytesIO(_photo(random.Random("fixed"), datetime.combine(
                               today - timedelta(days=2), time(17, 0)), site.lat, site.lon)),
                           filename="gungan.jpg", upload_folder=upload_folder, max_bytes=config.MAX_PHOTO_BYTES,
                           max_pixels=config.MAX_PHOTO_PIXELS, uploaded_by_id=coordinator.id, deviation=deviation,
                           logged_on=today - timedelta(days=2))


def _follow_up(today: date) -> None:
    """The municipality's side: an inspection with an open deviation (Hallaryd) and one whose deviation the
    association fixed and the reviewer verified (Virestad); and the 2025 season settled and approved."""
    reviewer = Principal.of(_get(User, email="granskare@almhult.example"))
    cases = (("Hallaryds sockenråd", 20, "Gungkedjan sliten, byt före helgen."),
             ("Virestads hembygdsförening", 60, "Livbojens lina trasig."))
    for name, days_ago, remark in cases:
        agreement = _get(Agreement, title=f"Skötselavtal {name} 2025–2027")
        inspected_on = max(agreement.starts_on, today - timedelta(days=days_ago))
        first, *others = inspections.sites_of(agreement)
        results = [inspections.SiteResult(first.id, "remark", remark, inspected_on + timedelta(days=7))]
        results += [inspections.SiteResult(site.id, "approved", "Välskött.") for site in others]
        inspection = inspections.record_inspection(principal=reviewer, agreement=agreement, inspected_on=inspected_on,
                                                   notes="Uppföljningsbesök enligt avtalet.", results=results,
                                                   today=today)
        if days_ago == 60:
            for deviation in inspections.deviations_of(inspection):
                deviation.status, deviation.fixed_note = "fixed", "Ny lina monterad."
                deviation.fixed_at = datetime.combine(inspected_on + timedelta(days=3), time(9), tzinfo=timezone.utc)
                deviation.fixed_by_id = _get(User, email="samordnare@virestad.example").id
                db.session.flush()
                deviations.verify(principal=reviewer, deviation=deviation, note="Kontrollerat på plats.",
                                  now=datetime.combine(inspected_on + timedelta(days=5), time(10), tzinfo=timezone.utc))
    if today.year > 2025:
        decided = datetime.combine(date(2026, 1, 20), time(10), tzinfo=timezone.utc)
        for agreement in db.session.scalars(select(Agreement).order_by(Agreement.id)):
            settlement = settlements.compute_settlement(actor_id=reviewer.user_id, agreement=agreement, year=2025,
                                                        today=today)
            settlements.approve_settlement(actor_id=reviewer.user_id, settlement=settlement,
                                           reason="Enligt skötseldagboken.", now=decided)


def _users(mid: int) -> bool:
    added = False
    for email, name, role, association_name in USERS:
        user = _get(User, email=email)
        if user is None:
            user = User(email=email, name=name)
            user.set_password(DEMO_PASSWORD)
            db.session.add(user)
            added = True
        association = _get(Association, municipality_id=mid, name=association_name) if association_name else None
        association_id = association.id if association else None
        if not any(m.association_id == association_id and m.municipality_id == mid for m in user.memberships):
            membership = Membership(municipality_id=mid, association_id=association_id, role=role)
            user.memberships.append(membership)
            audit.record_create(actor_id=None, obj=membership, label=f"{name} <{email}> som {role}",
                                fields=("role",), parent=association)
            added = True
    return added
