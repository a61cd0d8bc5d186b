"""Some URLs carry a secret — calendar links, password reset links, invitations: every log line (the development
server's and gunicorn's access logs, the app's own error log) shows /feeds/[hemlig] instead of the token."""
from __future__ import annotations

import logging
import re

from flask import Flask

#: Everything after /feeds/ up to a space, quote, query or fragment: a token copied without ".ics", in capitals, behind
#: an extra slash or a "./" is as secret as the real path.
FEED_PATH = re.compile(r"(/feeds/|/password/reset/|/invitation/)[^\s\"'?#]*", re.IGNORECASE)
REDACTED = r"\1[hemlig]"
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


class RedactFeedTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format: leave it to the handler
            return True
        redacted = FEED_PATH.sub(REDACTED, message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def redact(text: str) -> str:
    return FEED_PATH.sub(REDACTED, text)


def install(app: Flask) -> None:
    """Put the filter on the loggers that write request paths, and on the root logger's handlers (so records that
    propagate there from anywhere are cleaned too)."""
    for logger in [logging.getLogger(name) for name in LOGGERS] + [app.logger]:
        if not any(isinstance(existing, RedactFeedTokens) for existing in logger.filters):
            logger.addFilter(RedactFeedTokens())
    for handler in logging.getLogger().handlers:
        if not any(isinstance(existing, RedactFeedTokens) for existing in handler.filters):
            handler.addFilter(RedactFeedTokens())
