"""Admin pages for associations."""
from flask import render_template

from skotsel.web.admin import bp


@bp.route("/associations")
def associations():
    return render_template("admin/overview.html", counts={})
