"""The one place that reads the clock: today in Europe/Stockholm, or the configured TODAY for demos and tests."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def today() -> date:
    """The current date in Sweden; the domain core never reads the clock, it is handed this."""
    configured = current_app.config.get("TODAY")
    if configured:
        return configured if isinstance(configured, date) else date.fromisoformat(str(configured))
    return datetime.now(STOCKHOLM).date()
