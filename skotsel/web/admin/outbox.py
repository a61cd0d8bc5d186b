"""Admin pages for the outbox: the e-mail kept as .eml files when no SMTP server is configured (as under `make run`).

The folder is shared by the whole instance, so a staff member sees only the messages addressed to people of their
own municipality: users with a role in it, and people invited to one of its associations.
"""
from __future__ import annotations

from flask import abort, current_app, render_template
from sqlalchemy import select, union

from skotsel.extensions import db
from skotsel.models import Invitation, Membership, User
from skotsel.services.access import read_scope
from skotsel.services.mail import OutboxEntry, outbox_entries, outbox_entry, read_outbox
from skotsel.web import current_principal
from skotsel.web.admin import bp, municipality_id

#: The list shows the newest messages only; the outbox of a long-running demo grows every day.
LIST_LIMIT = 200


def _municipality_addresses() -> set[str]:
    """The (lower-case) e-mail addresses of the people in the staff member's municipality, in one query."""
    principal, here = current_principal(), municipality_id()
    members = (select(User.email).join(Membership, Membership.user_id == User.id)
               .where(read_scope(principal, Membership), Membership.municipality_id == here))
    invited = select(Invitation.email).where(read_scope(principal, Invitation), Invitation.municipality_id == here)
    return {address.lower() for address in db.session.scalars(union(members, invited))}


def _is_visible(addresses: set[str], to_addresses: tuple[str, ...]) -> bool:
    return any(address in addresses for address in to_addresses)


@bp.route("/outbox")
def outbox():
    addresses = _municipality_addresses()
    entries: list[OutboxEntry] = [entry for entry in outbox_entries(current_app.config["OUTBOX_FOLDER"])
                                  if _is_visible(addresses, entry.to_addresses)]
    return render_template("admin/outbox/list.html", entries=entries[:LIST_LIMIT],
                           is_truncated=len(entries) > LIST_LIMIT, limit=LIST_LIMIT,
                           has_server=bool(current_app.config.get("MAIL_SERVER")))


@bp.route("/outbox/<name>")
def outbox_message(name: str):
    folder = current_app.config["OUTBOX_FOLDER"]
    try:
        entry = outbox_entry(folder, name)
        if not _is_visible(_municipality_addresses(), entry.to_addresses):
            abort(404)
        message = read_outbox(folder, name)
    except FileNotFoundError:
        abort(404)
    plain = message.get_body(preferencelist=("plain",))
    return render_template(
        "admin/outbox/show.html", entry=entry, message=message,
        text=plain.get_content() if plain is not None else None,
        has_html=message.get_body(preferencelist=("html",)) is not None,
    )
