"""Admin pages for sites."""
from flask import render_template

from skotsel.web.admin import bp


@bp.route("/sites")
def sites():
    return render_template("admin/overview.html", counts={})
