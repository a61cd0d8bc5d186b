"""Admin pages for task types."""
from flask import render_template

from skotsel.web.admin import bp


@bp.route("/task-types")
def task_types():
    return render_template("admin/overview.html", counts={})
