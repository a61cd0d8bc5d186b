"""Municipality pages: admins register and edit; reviewers read. One module per noun."""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user
from sqlalchemy import func, select

from skotsel.extensions import db
from skotsel.models import Agreement, Association, Site, Village
from skotsel.services.access import Forbidden, read_scope, require_create
from skotsel.web import current_principal

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def staff_only():
    """Only municipality staff have these pages; to anyone else they do not exist."""
    if not current_user.is_authenticated or not current_principal().is_staff:
        abort(404)


def municipality_id() -> int:
    """The municipality whose pages the staff member works in."""
    return current_principal().home_municipality_id


def require_admin(model: type) -> None:
    """Raise Forbidden unless the user may add `model` rows to their municipality."""
    require_create(current_principal(), model, municipality_id=municipality_id())


def is_admin() -> bool:
    return municipality_id() in current_principal().admin_of


@bp.app_context_processor
def admin_flags() -> dict:
    principal = current_principal()
    return {"is_admin": bool(principal.admin_of) and principal.home_municipality_id in principal.admin_of}


@bp.route("/")
def overview():
    principal = current_principal()
    counts = {
        model.__tablename__: db.session.scalar(
            select(func.count(model.id)).where(read_scope(principal, model), model.municipality_id == municipality_id())
        )
        for model in (Village, Association, Site, Agreement)
    }
    return render_template("admin/overview.html", counts=counts)


from skotsel.web.admin import agreements, associations, sites, task_types, villages  # noqa: E402,F401
from skotsel.web.admin import outbox  # noqa: E402,F401
from skotsel.web.admin import people  # noqa: E402,F401

__all__ = ["Forbidden", "bp", "is_admin", "municipality_id", "require_admin"]
