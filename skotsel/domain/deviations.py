"""Avvikelser: how a deviation moves, who may move it, and how long it has been open. Pure: no database, no clock.

    open ──fix (association)──▶ fixed ──verify (municipality)──▶ verified
                                  │
    reopened ◀──reopen (municipality)
        └──fix (association)──▶ fixed

Verified is final. Anything else is refused with a ValidationError (Swedish and English).
"""
from __future__ import annotations

from datetime import date

from skotsel.domain.errors import ValidationError

ASSOCIATION = "association"
MUNICIPALITY = "municipality"
ACTORS = (ASSOCIATION, MUNICIPALITY)

STATUSES = ("open", "fixed", "verified", "reopened")
ACTIONS = ("fix", "verify", "reopen")
#: Statuses in which the association still has something to put right.
OPEN_STATUSES = frozenset({"open", "reopened"})
#: The deviation is closed: nothing more happens to it.
CLOSED_STATUSES = frozenset({"verified"})

#: (status, action) → (new status, who may do it).
TRANSITIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("open", "fix"): ("fixed", ASSOCIATION),
    ("reopened", "fix"): ("fixed", ASSOCIATION),
    ("fixed", "verify"): ("verified", MUNICIPALITY),
    ("fixed", "reopen"): ("reopened", MUNICIPALITY),
}

_ACTION_SV = {"fix": "markeras som åtgärdad", "verify": "verifieras", "reopen": "återöppnas"}
_ACTION_EN = {"fix": "be marked as fixed", "verify": "be verified", "reopen": "be reopened"}
_STATUS_SV = {"open": "öppen", "fixed": "åtgärdad", "verified": "verifierad", "reopened": "återöppnad"}
_STATUS_EN = {"open": "open", "fixed": "fixed", "verified": "verified", "reopened": "reopened"}
_ACTOR_SV = {ASSOCIATION: "föreningen", MUNICIPALITY: "kommunen"}
_ACTOR_EN = {ASSOCIATION: "the association", MUNICIPALITY: "the municipality"}


def transition(status: str, action: str, actor: str) -> str:
    """The status after `actor` does `action` to a deviation in `status`; ValidationError if not allowed."""
    if status not in STATUSES or action not in ACTIONS or actor not in ACTORS:
        raise ValueError(f"unknown status, action or actor: {status!r}, {action!r}, {actor!r}")
    step = TRANSITIONS.get((status, action))
    if step is None:
        raise ValidationError(
            f"En avvikelse som är {_STATUS_SV[status]} kan inte {_ACTION_SV[action]}.",
            f"A deviation that is {_STATUS_EN[status]} cannot {_ACTION_EN[action]}.",
        )
    new_status, allowed_actor = step
    if actor != allowed_actor:
        raise ValidationError(
            f"Bara {_ACTOR_SV[allowed_actor]} kan göra så att avvikelsen {_ACTION_SV[action]}.",
            f"Only {_ACTOR_EN[allowed_actor]} can make the deviation {_ACTION_EN[action]}.",
        )
    return new_status


def allowed_actions(status: str, actor: str) -> list[str]:
    """What `actor` may do to a deviation in `status`, in the order of ACTIONS."""
    return [action for action in ACTIONS if TRANSITIONS.get((status, action), (None, None))[1] == actor]


def days_open(opened_on: date, today: date, closed_on: date | None = None) -> int:
    """Whole days from when the deviation was raised until today, or until it was verified; never negative."""
    end = closed_on if closed_on is not None and closed_on < today else today
    return max(0, (end - opened_on).days)
