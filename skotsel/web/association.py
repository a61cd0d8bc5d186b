"""Association pages for coordinators and members: their association, agreements, sites and members."""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from skotsel.web import current_principal

bp = Blueprint("association", __name__, url_prefix="/association")


@bp.before_request
def members_only():
    if not current_user.is_authenticated or not current_principal().associations:
        abort(404)


@bp.route("/")
def overview():
    return render_template("association/overview.html")
