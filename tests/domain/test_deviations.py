"""The deviation flow: every move, allowed and refused, by who makes it; and days open."""
from datetime import date

import pytest

from skotsel.domain.deviations import (
    ACTIONS,
    ACTORS,
    ASSOCIATION,
    MUNICIPALITY,
    STATUSES,
    allowed_actions,
    days_open,
    transition,
)
from skotsel.domain.errors import ValidationError

ALLOWED = {
    ("open", "fix", ASSOCIATION): "fixed",
    ("reopened", "fix", ASSOCIATION): "fixed",
    ("fixed", "verify", MUNICIPALITY): "verified",
    ("fixed", "reopen", MUNICIPALITY): "reopened",
}
EVERY_MOVE = [(status, action, actor) for status in STATUSES for action in ACTIONS for actor in ACTORS]


@pytest.mark.parametrize(("status", "action", "actor"), list(ALLOWED))
def test_an_allowed_move(status, action, actor):
    assert transition(status, action, actor) == ALLOWED[(status, action, actor)]


@pytest.mark.parametrize(("status", "action", "actor"), [move for move in EVERY_MOVE if move not in ALLOWED])
def test_every_other_move_is_refused_in_swedish_and_english(status, action, actor):
    with pytest.raises(ValidationError) as refused:
        transition(status, action, actor)
    assert refused.value.message_sv and refused.value.message_en
    assert refused.value.message_sv != refused.value.message_en


@pytest.mark.parametrize(("status", "action", "actor", "message_sv"), [
    ("verified", "reopen", MUNICIPALITY, "En avvikelse som är verifierad kan inte återöppnas."),
    ("open", "verify", MUNICIPALITY, "En avvikelse som är öppen kan inte verifieras."),
    ("fixed", "fix", ASSOCIATION, "En avvikelse som är åtgärdad kan inte markeras som åtgärdad."),
    ("fixed", "verify", ASSOCIATION, "Bara kommunen kan göra så att avvikelsen verifieras."),
    ("fixed", "reopen", ASSOCIATION, "Bara kommunen kan göra så att avvikelsen återöppnas."),
    ("open", "fix", MUNICIPALITY, "Bara föreningen kan göra så att avvikelsen markeras som åtgärdad."),
])
def test_the_refusal_says_why(status, action, actor, message_sv):
    with pytest.raises(ValidationError, match=message_sv):
        transition(status, action, actor)


def test_unknown_codes_are_a_programming_error():
    with pytest.raises(ValueError):
        transition("closed", "fix", ASSOCIATION)
    with pytest.raises(ValueError):
        transition("open", "fix", "resident")


@pytest.mark.parametrize(("status", "actor", "actions"), [
    ("open", ASSOCIATION, ["fix"]), ("open", MUNICIPALITY, []),
    ("fixed", ASSOCIATION, []), ("fixed", MUNICIPALITY, ["verify", "reopen"]),
    ("reopened", ASSOCIATION, ["fix"]), ("reopened", MUNICIPALITY, []),
    ("verified", ASSOCIATION, []), ("verified", MUNICIPALITY, []),
])
def test_allowed_actions(status, actor, actions):
    assert allowed_actions(status, actor) == actions


@pytest.mark.parametrize(("opened_on", "today", "closed_on", "days"), [
    (date(2026, 6, 1), date(2026, 6, 1), None, 0),
    (date(2026, 6, 1), date(2026, 6, 15), None, 14),
    (date(2026, 5, 30), date(2026, 6, 2), None, 3),  # across a month
    (date(2026, 6, 1), date(2026, 6, 30), date(2026, 6, 10), 9),  # verified: the count stops
    (date(2026, 6, 1), date(2026, 6, 5), date(2026, 6, 10), 4),  # a closing date after today counts to today
    (date(2026, 6, 10), date(2026, 6, 1), None, 0),  # never negative
])
def test_days_open(opened_on, today, closed_on, days):
    assert days_open(opened_on, today, closed_on) == days
