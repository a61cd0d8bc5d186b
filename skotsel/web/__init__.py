"""Web layer: blueprints, the current user's access principal, locale and error pages."""
from __future__ import annotations

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

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        return user if user is not None and user.is_active else None

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
        db.session.rollback()
        return render_template("errors/500.html"), 500

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.path.startswith("/feeds/"):
            # A calendar URL is a secret, even a mistyped one: it must never travel on as a Referer.
            response.headers["Referrer-Policy"] = "no-referrer"
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.endpoint != "leaflet_static":
            response.headers.setdefault("Cache-Control", "no-store" if current_user.is_authenticated else "no-cache")
        return response
