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
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from flask import Blueprint, Response, current_app, request
from werkzeug.http import http_date

from skotsel.models.versions import versions
from skotsel.services import clock, feeds
from skotsel.services.secret_tokens import hash_token, well_formed
from skotsel.web import calendar
from skotsel.web.caching import MemoryCache

bp = Blueprint("feeds", __name__)

#: CALENDAR.md: Cache-Control for a feed.
CACHE_CONTROL = "private, max-age=300"
#: Bytes of serialised bodies kept per process; the least recently used go first.
BODY_CACHE_BYTES = 64 * 1024 * 1024


#: Serialised bodies as (etag, body), by the key they were built from (poll_key) and by their facts.
bodies = MemoryCache(BODY_CACHE_BYTES)
#: What feeds.glance read per link (by the token's hash), at most this many links.
polls = MemoryCache(50_000)


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
    now, today = clock.now(), clock.today()
    poll = _glance(token)
    if poll is not None:
        key = feeds.poll_key(poll, poll.principal, data=poll.data, today=today, locale=_locale(poll.user_locale),
                             settings=_settings())
        if poll.body_key == key and poll.body_etag and poll.body_changed_at:
            # Nothing the body is built from has changed since it was last served: answer from what was stored.
            if _not_modified(poll.body_etag, poll.body_changed_at, now):
                _mark_polled(token, poll, now)
                return Response(status=304, headers=_headers(poll.body_etag, poll.body_changed_at))
            cached = bodies.get(key)
            if cached is not None and cached[0] == poll.body_etag:
                _mark_polled(token, poll, now)
                return _body(poll.body_etag, poll.body_changed_at, cached[1])
    polls.discard(hash_token(token))  # what it knew is about to change (the stored body, its key)
    found = feeds.find(token)
    if found is None:
        return _not_found()
    row, principal = found
    locale = _locale(row.user.locale)
    # What the body is built from, the data versions read before the events (a body never filed under a newer one).
    key = feeds.poll_key(row, principal, data=feeds.data_versions(row), today=today, locale=locale,
                         settings=_settings())
    events = feeds.facts_for(row, principal, today=today)
    published = feeds.sync_events(events, now=now)
    name = feeds.title_for(row)
    bumps, locale_changed_at = feeds.note_locale(row, locale, now)
    if bumps or locale_changed_at:
        published = {uid: feeds.Published(value.sequence + bumps, max(value.changed_at, locale_changed_at or
                                                                      value.changed_at))
                     for uid, value in published.items()}
    facts_key = hashlib.sha256(json.dumps([
        row.kind, name, locale, _settings(),
        [[item.kind, item.object_id, item.fingerprint, published[item.uid_key].sequence,
          published[item.uid_key].changed_at.isoformat()] for item in events],
    ]).encode("utf-8")).hexdigest()
    cached = bodies.get(facts_key)
    if cached is None:
        body = calendar.build(kind=row.kind, name=name, events=events, published=published, locale=locale)
        etag = hashlib.sha256(body).hexdigest()[:40]
        bodies.put(facts_key, (etag, body), len(body))
    else:
        etag, body = cached
    changed_at = feeds.record_body(row, etag, now, key=key)
    bodies.put(key, (etag, body), len(body))
    feeds.mark_used(row, now)
    if _not_modified(etag, changed_at, now):
        return Response(status=304, headers=_headers(etag, changed_at))
    return _body(etag, changed_at, body)


def _glance(token: str) -> feeds.Poll | None:
    """feeds.glance, remembered per link in this process while the data versions it read stay the same: revoking
    the link, deactivating its owner or changing their memberships raises them, so the next poll looks again."""
    if not well_formed(token):
        return None
    token_hash = hash_token(token)
    known = polls.get(token_hash)
    if known is not None and versions(known.data) == known.data:
        return known
    poll = feeds.glance(token)
    if poll is not None:
        polls.put(token_hash, poll, 1)
    return poll


def _mark_polled(token: str, poll: feeds.Poll, now: datetime) -> None:
    if feeds.mark_polled(poll, now):
        polls.put(hash_token(token), replace(poll, last_used_at=now), 1)


def _settings() -> tuple:
    """What a body is rendered with besides its data: the links' base, the UID domain, and the code that renders
    (a new version of skotsel or of its translations builds new bodies, though the data did not change)."""
    config = current_app.config
    return config.get("BASE_URL"), config.get("FEED_UID_DOMAIN"), _BUILD


def _build_id() -> str:
    """A digest of the modules and message catalogues that shape a feed's text."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent.parent
    for path in sorted([Path(calendar.__file__), Path(feeds.__file__), *root.glob("translations/*/LC_MESSAGES/*.mo")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


_BUILD = _build_id()


def _headers(etag: str, changed_at: datetime) -> dict:
    return {"ETag": f'"{etag}"', "Last-Modified": http_date(changed_at), "Cache-Control": CACHE_CONTROL}


def _body(etag: str, changed_at: datetime, body: bytes) -> Response:
    headers = _headers(etag, changed_at)
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
