"""Admin pages for the outbox: the e-mail kept as .eml files when no SMTP server is configured (as under `make run`).

The folder is shared by the whole instance, so an admin sees only the messages sent for their own municipality
(each message names it in a header when it is written). Reviewers do not see the outbox: it holds invitation links.
"""
from __future__ import annotations

from flask import abort, current_app, render_template
from skotsel.services.mail import OutboxEntry, outbox_entries, outbox_entry, read_outbox
from skotsel.web import current_principal
from skotsel.web.admin import bp, municipality_id

#: The list shows the newest messages only; the outbox of a long-running demo grows every day.
LIST_LIMIT = 200


def _is_visible(entry: OutboxEntry) -> bool:
    return entry.municipality_id is not None and entry.municipality_id == municipality_id()


def _admins_only() -> None:
    if municipality_id() not in current_principal().admin_of:
        abort(403)


@bp.route("/outbox")
def outbox():
    _admins_only()
    entries: list[OutboxEntry] = [entry for entry in outbox_entries(current_app.config["OUTBOX_FOLDER"])
                                  if _is_visible(entry)]
    return render_template("admin/outbox/list.html", entries=entries[:LIST_LIMIT],
                           is_truncated=len(entries) > LIST_LIMIT, limit=LIST_LIMIT,
                           has_server=bool(current_app.config.get("MAIL_SERVER")))


@bp.route("/outbox/<name>")
def outbox_message(name: str):
    _admins_only()
    folder = current_app.config["OUTBOX_FOLDER"]
    try:
        entry = outbox_entry(folder, name)
        if not _is_visible(entry):
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
