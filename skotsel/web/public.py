"""Pages anyone may open: the start page, the health check and the language switch."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import text

from skotsel.extensions import db
from skotsel.web import current_principal
from skotsel.web.forms import LanguageForm, safe_next

bp = Blueprint("public", __name__)


@bp.route("/healthz")
def healthz():
    db.session.execute(text("SELECT 1"))
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


@bp.route("/")
def index():
    """Send a signed-in person to where their work is."""
    if not current_user.is_authenticated:
        return render_template("public/index.html")
    principal = current_principal()
    if principal.is_staff:
        return redirect(url_for("admin.overview"))
    if principal.associations:
        return redirect(url_for("association.overview"))
    return render_template("public/index.html")


@bp.route("/language", methods=["POST"])
def language():
    form = LanguageForm()
    if form.validate_on_submit() and form.locale.data in current_app.config["LANGUAGES"]:
        session["locale"] = form.locale.data
    return redirect(safe_next(request.form.get("next")) or url_for("public.index"))
