"""Admin pages for agreements."""
from flask import render_template

from skotsel.web.admin import bp


@bp.route("/agreements")
def agreements():
    return render_template("admin/overview.html", counts={})
