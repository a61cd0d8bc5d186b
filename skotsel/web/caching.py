"""What a worker process keeps in memory between requests: rendered pages and feed bodies, by a key that names
everything they were built from (the data versions of skotsel.models.versions among it), so that nothing stale is
ever served and nothing needs invalidating — a change makes a new key, and the old entry ages out.

A kept page (`kept_page`) is rendered with stand-ins for the session's CSRF token and for the forms' submission
keys, which are filled in each time it is served."""
from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict
from datetime import datetime
from typing import Any, Callable

from flask import g, session
from flask_wtf.csrf import generate_csrf


class MemoryCache:
    """Values by key up to `limit` bytes (as the caller measures them), least recently used out first."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._items: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: str, value: Any, size: int) -> None:
        with self._lock:
            if key in self._items or size > self.limit:
                return
            self._items[key] = (value, size)
            self.size += size
            while self.size > self.limit and self._items:
                _key, (_value, dropped) = self._items.popitem(last=False)
                self.size -= dropped

    def discard(self, key: str) -> None:
        with self._lock:
            found = self._items.pop(key, None)
            if found is not None:
                self.size -= found[1]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.size = 0


# --- pages ----------------------------------------------------------------------------------------------------

#: Stand-ins for what must differ between sessions and renderings: a page kept for later holds these, and each
#: serving puts in the session's CSRF token and a fresh submission key per form. Random per process, so no text
#: in the data can look like them.
_CSRF_MARK = "csrf-" + secrets.token_hex(16)
_SUBMISSION_MARK = "submission-" + secrets.token_hex(16)


def _rendering_for_later() -> bool:
    return bool(g.get("rendering_for_later"))


def csrf_token() -> str:
    """The templates' csrf_token(): the session's token, or its stand-in while a page is rendered for keeping."""
    return _CSRF_MARK if _rendering_for_later() else generate_csrf()


def submission_key() -> str:
    """A fresh submission key for a form (sending it twice finds what the first sending saved), or its stand-in."""
    return _SUBMISSION_MARK if _rendering_for_later() else secrets.token_urlsafe(16)


def kept_page(cache: MemoryCache, key: str, render: Callable[[], tuple[str, datetime | None]], *,
              now: datetime) -> str:
    """The page `render` makes, kept in `cache` under `key` until `render`'s own expiry (None: until the key
    changes). `key` must name everything the page is built from but the session's CSRF token and the submission
    keys. A session with a message waiting to be shown once (a flash) gets a page of its own, not kept."""
    if session.get("_flashes"):
        return render()[0]
    found = cache.get(key)
    if found is None or (found[1] is not None and now >= found[1]):
        g.rendering_for_later = True
        try:
            html, expires = render()
        finally:
            g.rendering_for_later = False
        if generate_csrf() in html:  # a form rendered its token past csrf_token(): this page cannot be kept
            return html
        found = (html, expires)
        cache.put(key, found, len(html))
    html = found[0].replace(_CSRF_MARK, generate_csrf())
    return _SUBMISSION_PATTERN.sub(lambda _match: secrets.token_urlsafe(16), html)


_SUBMISSION_PATTERN = re.compile(re.escape(_SUBMISSION_MARK))
