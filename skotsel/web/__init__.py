"""Web layer: blueprints, the current user's access principal, locale and error pages."""
from __future__ import annotations

from flask import Flask, current_app, g, render_template, request, send_from_directory, session
from flask_babel import get_locale
from flask_login import current_user

from skotsel.extensions import db, login_manager
from skotsel.services.access import Forbidden, NotFound, Principal
from skotsel.web.vocabulary import template_labels


def current_principal() -> Principal:
    """The signed-in user's access principal, read once per request."""
    if "principal" not in g:
        g.principal = Principal.of(current_user if current_user.is_authenticated else None)
    return g.principal


def select_locale() -> str:
    """Swedish unless the person chose English (language switch, kept in the session, or their profile)."""
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app: Flask) -> None:
    from skotsel.models import User
    from skotsel.web import admin, association, auth, public

    for module in (public, auth, admin, association):
        app.register_blueprint(module.bp)

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
            **template_labels(),
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
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.endpoint != "leaflet_static":
            response.headers.setdefault("Cache-Control", "no-store" if current_user.is_authenticated else "no-cache")
        return response
