"""Web layer: blueprints, the current user's access principal, locale and error pages."""
from __future__ import annotations

import base64
import hashlib
import logging
import re
import secrets
import time
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, render_template, request, send_from_directory, session, url_for
from flask.globals import request_ctx
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import IntegerConverter

from skotsel.extensions import db, login_manager
from skotsel.services.access import Forbidden, NotFound, Principal
from skotsel.web.vocabulary import template_globals


def current_principal() -> Principal:
    """The signed-in user's access principal, read once per request."""
    if "principal" not in g:
        g.principal = Principal.of(current_user if current_user.is_authenticated else None)
    return g.principal


def external_url(endpoint: str, **values) -> str:
    """An absolute link for e-mails, on BASE_URL: never built from the Host header a request happened to send."""
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def select_locale() -> str:
    """Swedish unless the person chose English (language switch, kept in the session, or their profile)."""
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


_STYLE_ELEMENT = re.compile(r"<style>(.*?)</style>", re.S)


def style_hashes(response) -> list[str]:
    """CSP hashes of the <style> elements of a self-contained HTML page made in code (the API's docs page), so that
    page keeps its look without allowing inline styles anywhere else."""
    if response.mimetype != "text/html" or response.direct_passthrough or response.is_streamed:
        return []
    return [f"'sha256-{base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()}'"
            for css in _STYLE_ELEMENT.findall(response.get_data(as_text=True))]


def content_security_policy(config, style_hashes: list[str] = ()) -> str:
    """Scripts, styles and everything else from this site only (no inline script or style, no eval); images also
    from the map tile server; never inside a frame."""
    images = ["'self'", "data:"]
    tiles = urlsplit(str(config.get("TILE_URL") or ""))
    if tiles.scheme in ("http", "https") and tiles.hostname:
        host = tiles.netloc.replace("{s}", "*")  # Leaflet's {s} subdomains
        images.append(f"{tiles.scheme}://{host}")
    return "; ".join((
        "default-src 'self'", "script-src 'self'", " ".join(("style-src 'self'", *style_hashes)),
        " ".join(("img-src", *images)), "connect-src 'self'", "font-src 'self'", "object-src 'none'",
        "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
    ))


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: ids beyond the database's integer range are simply not found (404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    from skotsel.models import User
    from skotsel.web import (admin, association, auth, dagbok, feeds, followup, logs, photos, profile, public, review,
                             schedule, settlements, sites_public, subscribe, workspace)

    app.url_map.converters["int"] = IdConverter
    app.jinja_env.globals.update(template_globals())  # globals, so imported macros see them too
    from skotsel.web import caching

    # Flask-WTF's, but with a stand-in while a page is rendered to be kept (skotsel.web.caching.kept_page); Flask-WTF
    # puts its own in every template's context too, which a later context processor overrides.
    app.jinja_env.globals["csrf_token"] = caching.csrf_token
    app.context_processor(lambda: {"csrf_token": caching.csrf_token})
    for module in (public, auth, admin, association, schedule, profile, dagbok, sites_public, photos, workspace,
                   settlements, review, followup, feeds, subscribe):
        app.register_blueprint(module.bp)
    logs.install(app)
    from skotsel.api import init_api

    init_api(app)

    @app.before_request
    def refuse_nul_bytes():
        """A NUL byte is in no name or text a person types; PostgreSQL refuses it with an error, so stop it here."""
        if any("\x00" in key or "\x00" in value
               for values in (request.args, request.form) for key in values for value in values.getlist(key)):
            abort(400)

    from skotsel.config import secure_cookies

    app.config["SESSION_COOKIE_SECURE"] = secure_cookies(app.config)

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        """The signed-in user, if the session is still good: the account active, its session_version the one the
        session was given at sign-in (sign-out, a new password and deactivation raise it), and the session used
        within SESSION_IDLE_MINUTES. A session that is not good is emptied."""
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        now = int(time.time())
        seen = session.get("last_seen")
        idle = int(current_app.config.get("SESSION_IDLE_MINUTES") or 480) * 60
        if (user is None or not user.is_active or session.get("session_version") != user.session_version
                or not isinstance(seen, int) or not 0 <= now - seen <= idle):
            locale = session.get("locale")
            session.clear()
            if locale:
                session["locale"] = locale
            return None
        if now - seen >= 60:  # the cookie is written again at most once a minute
            session["last_seen"] = now
        return user

    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    @app.route("/static/leaflet/<path:filename>", endpoint="leaflet_static")
    def leaflet_static(filename: str):
        import xstatic.pkg.leaflet

        return send_from_directory(xstatic.pkg.leaflet.BASE_DIR, filename)

    @app.context_processor
    def inject_globals() -> dict:
        return {
            "principal": current_principal(),
            "current_locale": str(get_locale()),
            "languages": app.config["LANGUAGES"],
        }

    @app.errorhandler(NotFound)
    @app.errorhandler(404)
    def not_found(error):
        return render_template("errors/404.html"), 404

    @app.errorhandler(Forbidden)
    @app.errorhandler(403)
    def forbidden(error):
        return render_template("errors/403.html"), 403

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        return render_template("errors/400.html", reason="csrf"), 400

    @app.errorhandler(400)
    def bad_request(error):
        if request_ctx.url_adapter is None:  # the host name itself was refused: no page can link anywhere
            return "Felaktig begäran / Bad request\n", 400, {"Content-Type": "text/plain; charset=utf-8"}
        return render_template("errors/400.html", reason=None), 400

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error):
        return render_template("errors/413.html"), 413

    @app.errorhandler(405)
    def method_not_allowed(error):
        return render_template("errors/404.html"), 405

    @app.errorhandler(500)
    def server_error(error):
        """An incident id, logged with the traceback and shown on the page, so a report can be matched to it."""
        incident = secrets.token_hex(4)
        original = getattr(error, "original_exception", None) or error
        path = re.sub(r"^/(password/reset|invitation)/[^/]*", r"/\1/[hemlig]", logs.redact(request.path))
        logging.getLogger("skotsel.incident").error(
            "incident %s: %s %s", incident, request.method, path,
            exc_info=(type(original), original, original.__traceback__))
        try:
            db.session.rollback()
            return render_template("errors/500.html", incident=incident), 500
        except Exception:  # the page itself failed (the database is gone): plain text, still with the id
            logging.getLogger("skotsel.incident").exception("incident %s: the error page failed too", incident)
            return (f"Något gick fel. Incident-id: {incident}\nSomething went wrong. Incident id: {incident}\n", 500,
                    {"Content-Type": "text/plain; charset=utf-8"})

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.path.startswith(("/feeds/", "/password/reset/", "/invitation/")):
            # A calendar URL, a reset or an invitation link is a secret, even a mistyped one: it must never travel
            # on as a Referer.
            response.headers["Referrer-Policy"] = "no-referrer"
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        # A view may send a stricter policy of its own (a photo: sandboxed, nothing loaded).
        if "Content-Security-Policy" not in response.headers:
            inline_styles = style_hashes(response) if request.path.startswith("/api/") else []
            response.headers["Content-Security-Policy"] = content_security_policy(app.config, inline_styles)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint != "leaflet_static":
            response.headers.setdefault("Cache-Control", "no-store" if current_user.is_authenticated else "no-cache")
        return response
