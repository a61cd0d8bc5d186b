"""The rule fields (recurrence_form.js) in a real browser, on the task-type form and the agreed-task form: only the
fields the chosen kind and pattern use show (the rest are disabled, so they are not sent); choosing a task type
fills in its defaults; a quota task saved in the browser reads as its sentence on the agreement page; and without
scripts every field shows and saving still works."""
import pytest
from playwright.sync_api import expect

from skotsel.extensions import db
from skotsel.models import AgreedTask, TaskType
from tests.browser.conftest import log_in

RULE_FIELDS = {
    "pattern": "#pattern", "interval": "#interval", "weekdays": "#weekdays-0", "monthday": "#monthday",
    "ordinal": "#ordinal", "months": "#months-0", "custom_rrule": "#custom_rrule", "quota_count": "#quota_count",
    "quota_min_gap_days": "#quota_min_gap_days", "season_start": "#season_start", "season_end": "#season_end",
}
SEASON = {"season_start", "season_end"}
QUOTA_SENTENCE = "Klippning bruksgräsmatta minst 6 gånger mellan 15 maj och 30 sep, minst 10 dagar isär"


def shown_fields(page) -> set[str]:
    """The rule fields that show; each one that does not is disabled too, so a leftover value is not sent."""
    # One round trip for all fields; "shows" as Playwright means it: a box on the page and not visibility:hidden.
    state = page.evaluate("""selectors => Object.fromEntries(Object.entries(selectors).map(([name, selector]) => {
        const field = document.querySelector(selector);
        const shows = field.getClientRects().length > 0 && getComputedStyle(field).visibility !== "hidden";
        return [name, {shows, disabled: field.disabled}];
    }))""", RULE_FIELDS)
    for name, field in state.items():
        assert field["disabled"] != field["shows"], (
            f"{name} shows but cannot be filled in" if field["shows"] else f"{name} is hidden but would be sent")
    return {name for name, field in state.items() if field["shows"]}


def new_task_url(world) -> str:
    return f"/admin/agreements/{world.agreement_a.id}/tasks/new"


@pytest.fixture
def green(make, world):
    """A second green space of association A, without tasks, so the new task's sentence is the only one there."""
    return make.site(world.home, world.a, name="Bollplan Hallaryd")


@pytest.mark.parametrize("form", ["task-type", "agreed-task"])
def test_only_the_fields_of_the_chosen_kind_and_pattern_show(page, world, form):
    log_in(page, "admin@home.example")
    page.goto(new_task_url(world) if form == "agreed-task" else "/admin/task-types/new")
    assert shown_fields(page) == {"pattern", "interval", "weekdays"} | SEASON  # varje vecka is the default
    for pattern, fields in [
        ("daily", {"interval"}),
        ("monthly", {"interval", "weekdays", "monthday", "ordinal"}),
        ("yearly", {"interval", "months"}),
        ("custom", {"custom_rrule"}),
        ("weekly", {"interval", "weekdays"}),
        ("yearly", {"interval", "months"}),
    ]:
        page.select_option("#pattern", pattern)
        assert shown_fields(page) == {"pattern"} | fields | SEASON, pattern
    page.get_by_role("radio", name="antal gånger").check()
    assert shown_fields(page) == {"quota_count", "quota_min_gap_days"} | SEASON
    page.get_by_role("radio", name="återkommande").check()  # back to the pattern chosen before
    assert shown_fields(page) == {"pattern", "interval", "months"} | SEASON


def test_choosing_a_task_type_fills_in_its_defaults(page, world, make, green):
    haymaking = make.task_type(world.home, "Slåtter", rrule="FREQ=YEARLY;BYMONTH=7,8")
    log_in(page, "admin@home.example")
    page.goto(new_task_url(world))
    page.select_option("#site_id", str(green.id))
    with page.expect_navigation():
        page.select_option("#task_type_id", str(haymaking.id))
    expect(page.locator("#task_type_id")).to_have_value(str(haymaking.id))
    expect(page.locator("#site_id")).to_have_value(str(green.id))  # what was chosen before stays
    expect(page.locator("#level_text")).to_have_value("Klart")
    expect(page.locator("#pattern")).to_have_value("yearly")
    expect(page.get_by_label("jul", exact=True)).to_be_checked()
    expect(page.get_by_label("aug", exact=True)).to_be_checked()
    expect(page.get_by_label("jun", exact=True)).not_to_be_checked()
    expect(page.locator("#season_start")).to_have_value("05-15")
    expect(page.locator("#season_end")).to_have_value("09-30")
    assert shown_fields(page) == {"pattern", "interval", "months"} | SEASON
    assert db.session.scalar(db.select(db.func.count(AgreedTask.id)).filter_by(site_id=green.id)) == 0


def save_quota_task(page, world, green) -> AgreedTask:
    """With the task type's defaults filled in (varannan vecka 15 maj–30 sep, "Klart"): antal gånger, at least
    6 times 10 days apart; save, and read the sentence on the agreement page."""
    expect(page.locator("#season_start")).to_have_value("05-15")
    page.get_by_role("radio", name="antal gånger").check()
    page.fill("#quota_count", "6")
    page.fill("#quota_min_gap_days", "10")
    page.get_by_role("button", name="Spara", exact=True).click()
    page.wait_for_url(f"**/admin/agreements/{world.agreement_a.id}")
    expect(page.get_by_text("Skötselmomentet är sparat.")).to_be_visible()
    sentence = page.locator(".site-tasks", has_text="Bollplan Hallaryd").locator(".sentence")
    expect(sentence).to_contain_text(QUOTA_SENTENCE)
    task = db.session.scalar(db.select(AgreedTask).filter_by(site_id=green.id))
    assert (task.rrule, task.quota_count, task.quota_gap_days) == (None, 6, 10)
    assert (task.season_start, task.season_end, task.level_text) == ("05-15", "09-30", "Klart")
    return task


def test_a_quota_task_saved_in_the_browser_shows_as_its_sentence(page, world, green):
    log_in(page, "admin@home.example")
    page.goto(new_task_url(world))
    page.select_option("#site_id", str(green.id))
    with page.expect_navigation():  # choosing the task type fetches its defaults
        page.select_option("#task_type_id", str(world.task_type.id))
    assert shown_fields(page) == {"pattern", "interval", "weekdays"} | SEASON
    task = save_quota_task(page, world, green)
    # Its edit page opens with the quota fields showing.
    page.goto(f"/admin/agreed-tasks/{task.id}/edit")
    assert shown_fields(page) == {"quota_count", "quota_min_gap_days"} | SEASON
    expect(page.locator("#quota_count")).to_have_value("6")


def test_without_scripts_every_rule_field_shows_and_a_quota_task_saves(open_page, world, green):
    page = open_page(javascript=False)
    log_in(page, "admin@home.example")
    page.goto(new_task_url(world))
    assert shown_fields(page) == set(RULE_FIELDS)
    page.select_option("#site_id", str(green.id))
    page.select_option("#task_type_id", str(world.task_type.id))
    with page.expect_navigation():
        page.get_by_role("button", name="Fyll i från skötselmomentet").click()
    expect(page.locator("#level_text")).to_have_value("Klart")
    expect(page.locator("#interval")).to_have_value("2")
    assert shown_fields(page) == set(RULE_FIELDS)
    save_quota_task(page, world, green)


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
def test_a_yearly_task_type_is_saved(open_page, world, javascript):
    page = open_page(javascript=javascript)
    log_in(page, "admin@home.example")
    page.goto("/admin/task-types/new")
    page.fill("#name_sv", "Slåtter av äng")
    page.fill("#standard_sv", "Slaget och hässjat")
    page.select_option("#pattern", "yearly")
    page.get_by_label("jul", exact=True).check()
    page.get_by_label("aug", exact=True).check()
    page.fill("#season_start", "07-01")
    page.fill("#season_end", "08-31")
    page.get_by_role("button", name="Spara", exact=True).click()
    page.wait_for_url("**/admin/task-types")
    expect(page.get_by_text("Skötselmomentet Slåtter av äng är sparat.")).to_be_visible()
    task_type = db.session.scalar(db.select(TaskType).filter_by(name_sv="Slåtter av äng"))
    assert task_type.default_rrule == "FREQ=YEARLY;BYMONTH=7,8"
    assert (task_type.season_start, task_type.season_end) == ("07-01", "08-31")
