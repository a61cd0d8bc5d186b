"""The national catalogue of task types (DOMAIN.md) that a municipality's own catalogue is seeded from."""
from __future__ import annotations

from dataclasses import dataclass

from skotsel.domain.recurrence import Quota, Recurrence, Season

SITE_KINDS = ("green_space", "beach", "playground", "other")
PERFORMERS = ("association", "municipality")

_ALL = SITE_KINDS
_GREEN = ("green_space",)
_BEACH = ("beach",)
_GREEN_AND_BEACH = ("green_space", "beach")
_PLAYGROUND = ("playground",)


@dataclass(frozen=True)
class CatalogueEntry:
    """One task type: what is done, how often by default, when, where, by whom and to what level."""

    code: int
    name_sv: str
    name_en: str
    #: "Done to the agreed level", written to follow the task in a sentence: "… · inga överfulla korgar".
    standard_sv: str
    standard_en: str
    #: Canonical RRULE, or None when the task is a quota.
    rrule: str | None
    quota: Quota | None
    #: "MM-DD"; both None means all year.
    season_start: str | None
    season_end: str | None
    site_kinds: tuple[str, ...]
    performed_by: str = "association"

    @property
    def recurrence(self) -> Recurrence | None:
        return Recurrence.parse(self.rrule) if self.rrule else None

    @property
    def season(self) -> Season | None:
        return Season.parse(self.season_start, self.season_end) if self.season_start and self.season_end else None

    @property
    def grace_days(self) -> int:
        return default_grace_days(self.recurrence or self.quota)

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_sv

    def standard(self, locale: str) -> str:
        return self.standard_en if locale == "en" else self.standard_sv


#: Days after the due date that still count as on time, by how often a task comes round: a daily check has no
#: slack, a weekly cut a weekend, a yearly job a week. A quota already counts until its season ends.
_GRACE_BY_FREQUENCY = {"DAILY": 0, "WEEKLY": 2, "MONTHLY": 5, "YEARLY": 7}


def default_grace_days(rule: Recurrence | Quota | None) -> int:
    if isinstance(rule, Recurrence):
        return _GRACE_BY_FREQUENCY[rule.freq]
    return 0


def _entry(code: int, name_sv: str, name_en: str, standard_sv: str, standard_en: str, rrule: str,
           season: tuple[str, str] | None, site_kinds: tuple[str, ...],
           performed_by: str = "association") -> CatalogueEntry:
    start, end = season or (None, None)
    return CatalogueEntry(code, name_sv, name_en, standard_sv, standard_en, rrule, None, start, end, site_kinds,
                          performed_by)


_GRASS_SEASON = ("05-15", "09-30")  # Strängnäs/Tierp: the green season starts mid-May.
_MAY_SEP = ("05-01", "09-30")
_APR_OCT = ("04-01", "10-31")
_BATHING_SEASON = ("06-01", "08-31")  # Kungsbacka and Höör: beaches ready 1 June–31 August.

CATALOGUE: tuple[CatalogueEntry, ...] = (
    # Strängnäs: bruksgräsmatta at most 10 cm, cut to 6–7 cm; Halmstad cuts it every 12–14 days.
    _entry(1, "Klippning bruksgräsmatta", "Mow utility lawn",
           "högst 10 cm, klipps till 6–7 cm, inga högar av gräsklipp",
           "at most 10 cm, cut to 6–7 cm, no piles of clippings",
           "FREQ=WEEKLY;INTERVAL=2", _GRASS_SEASON, _GREEN_AND_BEACH),
    # Strängnäs: prydnadsgräsmatta at most 6 cm.
    _entry(2, "Klippning prydnadsgräsmatta", "Mow ornamental lawn",
           "högst 6 cm, kanterna klippta", "at most 6 cm, edges cut",
           "FREQ=WEEKLY", _GRASS_SEASON, _GREEN),
    # Halmstad: klippt långgräs monthly.
    _entry(3, "Klippning långgräs", "Mow long grass",
           "jämn höjd, gångarna fria", "even height, paths clear",
           "FREQ=MONTHLY", _MAY_SEP, _GREEN),
    # Göteborg: äng cut 1–3 times, hay removed within a week.
    _entry(4, "Ängsslåtter med upptag", "Meadow cut with removal",
           "höet bortforslat inom en vecka", "hay removed within a week",
           "FREQ=YEARLY;BYMONTH=8", ("07-01", "09-30"), _GREEN),
    # Halmstad: slaghack twice a season.
    _entry(5, "Slåtter/slaghack", "Flail mow",
           "hela ytan slagen", "whole area cut",
           "FREQ=YEARLY;BYMONTH=6,9", ("06-01", "09-30"), _GREEN),
    _entry(6, "Kantklippning", "Edge trimming",
           "tydliga kantlinjer", "clear edge lines",
           "FREQ=WEEKLY;INTERVAL=2", _MAY_SEP, _ALL),
    # Håbo: litter in residential areas weekly.
    _entry(7, "Tömning papperskorgar", "Empty litter bins",
           "inga överfulla korgar", "no overflowing bins",
           "FREQ=WEEKLY", None, _ALL),
    # Oskarshamn: beaches cleared of litter at least weekly.
    _entry(8, "Skräpplockning", "Litter picking",
           "ingen synlig nedskräpning", "no visible litter",
           "FREQ=WEEKLY", _APR_OCT, _ALL),
    # Nyköping cleans daily in season; weekly is the default for a small village beach.
    _entry(9, "Strandstädning/krattning", "Beach clean and rake",
           "krattad, inget skräp eller glas", "raked, no litter or glass",
           "FREQ=WEEKLY", _BATHING_SEASON, _BEACH),
    # Nyköping: life-saving equipment checked daily, anything missing reported at once.
    _entry(10, "Kontroll livräddningsutrustning", "Life-saving gear check",
           "livboj och 25 m lina hela, fel rapporterade direkt", "buoy and 25 m line intact, faults reported at once",
           "FREQ=DAILY", _BATHING_SEASON, _BEACH),
    # Höör visits beaches 2–3 times a week; Monday and Thursday spread two visits evenly.
    _entry(11, "Städning toalett/latrin", "Toilet clean",
           "rent, papper påfyllt", "clean, paper stocked",
           "FREQ=WEEKLY;BYDAY=MO,TH", _BATHING_SEASON, _BEACH),
    _entry(12, "Tillsyn brygga/badstege", "Jetty and ladder check",
           "inga lösa plankor eller spikar", "no loose planks or nails",
           "FREQ=WEEKLY", _BATHING_SEASON, _BEACH),
    _entry(13, "Iläggning brygga", "Put jetty in",
           "förankrad och i våg", "anchored and level",
           "FREQ=YEARLY;BYMONTH=5", ("05-01", "05-31"), _BEACH),
    _entry(14, "Upptagning brygga", "Take jetty out",
           "upplagd, skador noterade", "stored, damage logged",
           "FREQ=YEARLY;BYMONTH=9", ("09-01", "09-30"), _BEACH),
    _entry(15, "Vass-/slyröjning", "Reed and scrub clearing",
           "badområdet fritt", "swimming area open",
           "FREQ=YEARLY;BYMONTH=6", ("05-01", "06-30"), _GREEN_AND_BEACH),
    # SS-EN 1176-7: routine visual inspection of playgrounds daily to weekly.
    _entry(16, "Rutintillsyn lekplats", "Playground visual check",
           "inga trasiga delar", "no broken parts",
           "FREQ=WEEKLY", None, _PLAYGROUND),
    # SS-EN 1176-7: operational inspection every 1–3 months.
    _entry(17, "Funktionskontroll lekplats", "Playground functional check",
           "bultar, kedjor och underlag kontrollerade och noterade", "bolts, chains and surfacing checked and logged",
           "FREQ=MONTHLY;INTERVAL=2", _APR_OCT, _PLAYGROUND),
    # SS-EN 1176-7: annual main inspection by a certified inspector, so the municipality does it.
    _entry(18, "Årlig huvudbesiktning", "Annual main inspection",
           "certifierat besiktningsprotokoll", "certified inspection report",
           "FREQ=YEARLY;BYMONTH=4", ("04-01", "05-31"), _PLAYGROUND, performed_by="municipality"),
    _entry(19, "Vårstädning", "Spring clean-up",
           "grus och skräp borta, vinterskador åtgärdade", "grit and litter removed, winter damage fixed",
           "FREQ=YEARLY;BYMONTH=4", ("04-01", "04-30"), _ALL),
    _entry(20, "Lövhantering", "Leaf handling",
           "löven bortforslade", "leaves removed",
           "FREQ=YEARLY;BYMONTH=10", ("10-01", "11-30"), _GREEN),
    # Boden: signs name the responsible association, the position and the alarm routine.
    _entry(21, "Skyltkontroll", "Sign check",
           "skyltarna visar rätt kontaktuppgifter, position och larmrutin",
           "signs show the right contact, position and alarm routine",
           "FREQ=YEARLY;BYMONTH=5", ("05-01", "05-31"), _BEACH),
    # Badvattenförordningen (2008:218): samples at most a month apart in the bathing season, by the municipality.
    _entry(22, "Badvattenprov", "Bathing water sample",
           "prov taget, resultatet anslaget", "sample taken, result posted",
           "FREQ=MONTHLY", _BATHING_SEASON, _BEACH, performed_by="municipality"),
    _entry(23, "Städning grillplats", "Clean barbecue place",
           "aska och skräp borttagna", "ash and litter removed",
           "FREQ=WEEKLY", _MAY_SEP, _GREEN_AND_BEACH),
    # Sundsvall pays after an approved skötseldagbok with photos at the end of the season.
    _entry(24, "Säsongsrapport/skötseldagbok", "Season report",
           "dagbok med foton inlämnad", "log with photos submitted",
           "FREQ=YEARLY;BYMONTH=9", ("09-01", "09-30"), _ALL),
)


def entry_by_code(code: int) -> CatalogueEntry:
    """The catalogue entry with this number; LookupError if there is none."""
    for entry in CATALOGUE:
        if entry.code == code:
            return entry
    raise LookupError(f"No catalogue entry {code}")
