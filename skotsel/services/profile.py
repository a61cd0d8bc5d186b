"""A person's own settings: their name, their language and which e-mail from skotsel they want."""
from __future__ import annotations

from skotsel.domain.errors import ValidationError
from skotsel.models import User
from skotsel.services import transaction
from skotsel.services.access import Principal

LOCALES = ("sv", "en")
#: The User flag of each kind of e-mail a person may turn off.
EMAIL_CHOICES = ("wants_reminders", "wants_coordinator_digest", "wants_reviewer_digest")


def email_choices_for(principal: Principal) -> tuple[str, ...]:
    """The e-mail a person's roles bring: reminders to coordinators and members, each digest to its readers."""
    applies = {
        "wants_reminders": bool(principal.associations),
        "wants_coordinator_digest": bool(principal.coordinator_of),
        "wants_reviewer_digest": bool(principal.reviewer_of),
    }
    return tuple(choice for choice in EMAIL_CHOICES if applies[choice])


def update_profile(*, user: User, name: str, locale: str, wants_reminders: bool | None,
                   wants_coordinator_digest: bool | None, wants_reviewer_digest: bool | None) -> None:
    """Save the person's name, language and e-mail choices; a choice given as None keeps its stored value."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("Ange ditt namn.", "Enter your name.", field="name")
    if len(name) > 200:
        raise ValidationError("Namnet får vara högst 200 tecken.", "The name can be at most 200 characters.",
                              field="name")
    if locale not in LOCALES:
        raise ValidationError("Välj svenska eller engelska.", "Choose Swedish or English.", field="locale")
    choices = {"wants_reminders": wants_reminders, "wants_coordinator_digest": wants_coordinator_digest,
               "wants_reviewer_digest": wants_reviewer_digest}
    with transaction():
        user.name = name
        user.locale = locale
        for attribute, wanted in choices.items():
            if wanted is not None:
                setattr(user, attribute, bool(wanted))
