"""The one error the domain and services raise when a rule is broken: a message in Swedish and English."""
from __future__ import annotations


class ValidationError(ValueError):
    """A broken rule, with the sentence to show (Swedish first) and the form field it concerns."""

    def __init__(self, message_sv: str, message_en: str = "", field: str | None = None) -> None:
        super().__init__(message_sv)
        self.message_sv = message_sv
        self.message_en = message_en or message_sv
        self.field = field
