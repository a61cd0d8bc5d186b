"""The one place that reads the clock: today in Europe/Stockholm, or the configured TODAY for demos and tests."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def today() -> date:
    """The current date in Sweden; the domain core never reads the clock, it is handed this."""
    configured = current_app.config.get("TODAY")
    if configured:
        return configured if isinstance(configured, date) else date.fromisoformat(str(configured))
    return datetime.now(STOCKHOLM).date()


def now() -> datetime:
    """The current time in UTC, or the configured NOW (an aware datetime or ISO text) for tests."""
    configured = current_app.config.get("NOW")
    if configured:
        value = configured if isinstance(configured, datetime) else datetime.fromisoformat(str(configured))
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.now(timezone.utc)
