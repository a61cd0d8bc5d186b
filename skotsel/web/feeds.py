"""GET /feeds/<token>.ics: the calendar a member, an association, a site's keepers or the municipality's staff
subscribe to (../shared/CALENDAR.md, HTTP part).

No sign-in: the secret token is the key. A malformed, unknown or revoked token, a deactivated owner or a scope that is
no longer theirs all get the same 404. The serialised body is kept in memory keyed on everything it shows, so a poll
that finds nothing changed costs the queries, not the serialising; 304 answers a matching If-None-Match or, without
one, an If-Modified-Since no older than the body's last change. The token never reaches a log (skotsel.web.logs).
"""
from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from datetime import datetime

from flask import Blueprint, Response, current_app, request
from werkzeug.http import http_date

from skotsel.services import clock, feeds
from skotsel.web import calendar

bp = Blueprint("feeds", __name__)

#: CALENDAR.md: Cache-Control for a feed.
CACHE_CONTROL = "private, max-age=300"
#: Bytes of serialised bodies kept per process; the least recently used go first.
BODY_CACHE_BYTES = 64 * 1024 * 1024


class BodyCache:
    """Serialised feed bodies by the hash of everything they show, least recently used out first."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._items: OrderedDict[str, tuple[str, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[str, bytes] | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: str, etag: str, body: bytes) -> None:
        with self._lock:
            if key in self._items:
                return
            self._items[key] = (etag, body)
            self.size += len(body)
            while self.size > self.limit and self._items:
                _key, (_etag, dropped) = self._items.popitem(last=False)
                self.size -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.size = 0


bodies = BodyCache(BODY_CACHE_BYTES)


def _not_found() -> Response:
    return Response("Kalenderlänken finns inte eller har återkallats.\n"
                    "The calendar link does not exist or has been revoked.\n",
                    404, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"})


def _locale(language: str | None) -> str:
    config = current_app.config
    return language if language in config["LANGUAGES"] else config["BABEL_DEFAULT_LOCALE"]


# merge_slashes=False: "/feeds//<token>.ics" is a 404, not a redirect whose Location repeats the token.
@bp.route("/feeds/<token>.ics", merge_slashes=False)
def feed(token: str):
    found = feeds.find(token)
    if found is None:
        return _not_found()
    row, principal = found
    now = clock.now()
    events = feeds.facts_for(row, principal, today=clock.today())
    published = feeds.sync_events(events, now=now)
    name = feeds.title_for(row)
    locale = _locale(row.user.locale)
    bumps, locale_changed_at = feeds.note_locale(row, locale, now)
    if bumps or locale_changed_at:
        published = {key: feeds.Published(value.sequence + bumps, max(value.changed_at, locale_changed_at or
                                                                      value.changed_at))
                     for key, value in published.items()}
    key = hashlib.sha256(json.dumps([
        row.kind, name, locale, current_app.config.get("BASE_URL"), current_app.config.get("FEED_UID_DOMAIN"),
        [[item.kind, item.object_id, item.fingerprint, published[item.uid_key].sequence,
          published[item.uid_key].changed_at.isoformat()] for item in events],
    ]).encode("utf-8")).hexdigest()
    cached = bodies.get(key)
    if cached is None:
        body = calendar.build(kind=row.kind, name=name, events=events, published=published, locale=locale)
        etag = hashlib.sha256(body).hexdigest()[:40]
        bodies.put(key, etag, body)
    else:
        etag, body = cached
    changed_at = feeds.record_body(row, etag, now)
    feeds.mark_used(row, now)
    headers = {"ETag": f'"{etag}"', "Last-Modified": http_date(changed_at), "Cache-Control": CACHE_CONTROL}
    if _not_modified(etag, changed_at, now):
        return Response(status=304, headers=headers)
    headers["Content-Disposition"] = 'inline; filename="skotsel.ics"'
    return Response(body, 200, headers, content_type="text/calendar; charset=utf-8")


def _not_modified(etag: str, changed_at: datetime, now: datetime) -> bool:
    """304 only for a validator that matches: If-None-Match decides when sent (RFC 9110 §13.2.2), else
    If-Modified-Since; an unparseable date, or one in the future (RFC 9110 §13.1.3: invalid), is no match."""
    if "If-None-Match" in request.headers:
        tags = request.if_none_match
        return tags.star_tag or tags.contains_weak(etag)
    since = request.if_modified_since
    return since is not None and since <= max(now, changed_at) and changed_at <= since
