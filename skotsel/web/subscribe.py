"""Prenumerera på kalendern: the signed-in person's calendar links (../shared/CALENDAR.md, "Tokens" and the subscribe
page in "HTTP").

A link's token is stored hashed, so its URL can be shown only when it is made: creating and rotating render the
"your link" page directly (webcal and https links, Google's "add by URL" link, a QR code and notes per client on
turning reminders on) instead of redirecting. Every page here sends `Cache-Control: no-store` and
`Referrer-Policy: no-referrer`, since the link page holds the secret. The links themselves are a person's own: another
person's link id is not found, for admins too.
"""
from __future__ import annotations

from urllib.parse import quote

import segno
from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import RadioField

from skotsel.domain.errors import ValidationError
from skotsel.extensions import db, login_manager
from skotsel.models import Association, FeedToken, Municipality, Site
from skotsel.services import clock, feeds
from skotsel.services.access import NotFound, Principal, load, visible
from skotsel.web import current_principal
from skotsel.web.forms import DeleteForm, error_message, optional_int

bp = Blueprint("subscribe", __name__, url_prefix="/calendar")

#: Each kind of calendar link in words.
KIND_LABELS = {
    "personal": _l("Personlig kalender"),
    "association": _l("Föreningens kalender"),
    "site": _l("Skötselobjektets kalender"),
    "staff": _l("Kommunens uppföljning"),
}


class NewLinkForm(FlaskForm):
    # The choices are built per person; the service decides what they may have (anything else is not found).
    feed = RadioField(_l("Vilken kalender?"), validate_choice=False)


@bp.before_request
def signed_in_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.after_request
def keep_secret(response: Response) -> Response:
    # The link page holds the secret URL: no cache may keep it and no link followed from here may carry it on.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# --- helpers -------------------------------------------------------------------------------------------------


def _choice_value(kind: str, object_id: int | None = None) -> str:
    return kind if object_id is None else f"{kind}-{object_id}"


def _parse_choice(value: str | None) -> tuple[str, int | None] | None:
    """("association", 7) from "association-7"; None for anything that names no kind of link."""
    kind, _sep, number = (value or "").partition("-")
    if kind in ("personal", "staff") and not number:
        return kind, None
    if kind in ("association", "site"):
        object_id = optional_int(number)
        if object_id is not None and object_id > 0:
            return kind, object_id
    return None


def _preselected_site(principal: Principal) -> Site | None:
    """The site in `?site=<id>`, if the person may see it (a link from a site's page)."""
    site_id = optional_int(request.args.get("site"))
    if site_id is None:
        return None
    try:
        return load(principal, Site, site_id)
    except NotFound:
        return None


def _offers(principal: Principal) -> list[tuple[str, str]]:
    """(value, label) of every link the person may create here: personal and one per association for people in an
    association, the sites of their associations (and the one asked for in ?site=), the staff feed for staff."""
    pairs: list[tuple[str, str]] = []
    if principal.associations:
        pairs.append((_choice_value("personal"), _("Personlig: allt i mina föreningar")))
        for association in db.session.scalars(
            visible(principal, Association).where(Association.id.in_(sorted(principal.associations)))
            .order_by(Association.name, Association.id)
        ):
            pairs.append((_choice_value("association", association.id),
                          _("Föreningen %(name)s", name=association.name)))
    sites = list(db.session.scalars(
        visible(principal, Site).where(Site.association_id.in_(sorted(principal.associations)))
        .order_by(Site.name, Site.id)
    )) if principal.associations else []
    extra = _preselected_site(principal)
    if extra is not None and extra.id not in {site.id for site in sites}:
        sites.append(extra)
    for site in sites:
        pairs.append((_choice_value("site", site.id), _("Skötselobjektet %(name)s", name=site.name)))
    if principal.staff_of:
        municipality = db.session.get(Municipality, principal.home_municipality_id)
        pairs.append((_choice_value("staff"),
                      _("Kommunens besiktningar och avvikelser (%(name)s)", name=municipality.name)))
    return pairs


def _default_choice(pairs: list[tuple[str, str]]) -> str | None:
    values = [value for value, _label in pairs]
    for wanted in (
        _choice_value("site", optional_int(request.args.get("site"))) if request.args.get("site") else None,
        _choice_value("association", optional_int(request.args.get("association")))
        if request.args.get("association") else None,
    ):
        if wanted in values:
            return wanted
    return values[0] if values else None


def scope_name(row: FeedToken) -> str:
    """What a link covers, in words."""
    if row.kind == "association":
        return row.association.name
    if row.kind == "site":
        return row.site.name
    if row.kind == "staff":
        municipality = db.session.get(Municipality, row.municipality_id)
        return municipality.name if municipality is not None else ""
    return _("Alla mina föreningar")


def _https_url(token: str) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + url_for("feeds.feed", token=token)


def webcal_url(https_url: str) -> str:
    """The same address with the webcal scheme, which calendar apps open as a subscription."""
    _scheme, _sep, rest = https_url.partition("://")
    return "webcal://" + rest


def google_url(webcal: str) -> str:
    """Google Calendar's "add by URL" link for the calendar."""
    return "https://calendar.google.com/calendar/r?cid=" + quote(webcal, safe="")


def qr_svg(url: str) -> Markup:
    """The URL as a QR code (a full QR symbol, never a Micro QR), inline SVG with a white quiet zone."""
    code = segno.make_qr(url, error="m")
    return Markup(code.svg_inline(scale=5, border=4, dark="#000", light="#fff", svgclass="qr-code",
                                  title=_("QR-kod för kalenderlänken")))


def _show_link(row: FeedToken, token: str, *, rotated: bool) -> str:
    https = _https_url(token)
    webcal = webcal_url(https)
    return render_template("subscribe/link.html", row=row, kind_label=KIND_LABELS[row.kind],
                           scope=scope_name(row), https_url=https, webcal_url=webcal, google_url=google_url(webcal),
                           qr=qr_svg(https), rotated=rotated)


def _own_link(token_id: int) -> FeedToken:
    """One of the person's own links; anyone else's (or a missing one) is not found."""
    return load(current_principal(), FeedToken, token_id, "write")


# --- pages ---------------------------------------------------------------------------------------------------


def _index(form: NewLinkForm, pairs: list[tuple[str, str]], message: str | None = None, status: int = 200):
    links = feeds.tokens_of(current_principal())
    return render_template("subscribe/index.html", form=form, offers=pairs, message=message, action_form=DeleteForm(),
                           links=[(row, KIND_LABELS[row.kind], scope_name(row)) for row in links]), status


@bp.route("/")
def index():
    principal = current_principal()
    pairs = _offers(principal)
    form = NewLinkForm()
    form.feed.choices = pairs
    form.feed.data = _default_choice(pairs)
    return _index(form, pairs)


@bp.route("/new", methods=["POST"])
def new():
    principal = current_principal()
    pairs = _offers(principal)
    form = NewLinkForm()
    form.feed.choices = pairs
    if not form.validate_on_submit():
        return _index(form, pairs, status=400)
    chosen = _parse_choice(form.feed.data)
    if chosen is None:
        form.feed.errors = [_("Välj vilken kalender du vill prenumerera på.")]
        return _index(form, pairs, status=400)
    kind, object_id = chosen
    # The service checks the scope: an association or site that is not the person's, or a staff feed for someone
    # who is not staff, is not found.
    row, token = feeds.create_token(principal=principal, kind=kind,
                                    association_id=object_id if kind == "association" else None,
                                    site_id=object_id if kind == "site" else None)
    return _show_link(row, token, rotated=False)


@bp.route("/<int:token_id>/rotate", methods=["POST"])
def rotate(token_id: int):
    row = _own_link(token_id)
    if not DeleteForm().validate_on_submit():
        return redirect(url_for("subscribe.index"))
    try:
        new_row, token = feeds.rotate_token(principal=current_principal(), feed_token=row, now=clock.now())
    except ValidationError as error:
        flash(error_message(error), "error")
        return redirect(url_for("subscribe.index"))
    except NotFound:
        # The calendar is no longer the person's (they left the association): nothing to replace it with, and the
        # old link already gets 404. The rotation was rolled back as a whole.
        flash(_("Du har inte längre tillgång till den här kalendern, så länken kan inte bytas ut. "
                "Återkalla den."), "error")
        return redirect(url_for("subscribe.index"))
    return _show_link(new_row, token, rotated=True)


@bp.route("/<int:token_id>/revoke", methods=["POST"])
def revoke(token_id: int):
    row = _own_link(token_id)
    if DeleteForm().validate_on_submit():
        try:
            feeds.revoke_token(principal=current_principal(), feed_token=row, now=clock.now())
        except ValidationError as error:
            flash(error_message(error), "error")
        else:
            flash(_("Kalenderlänken är återkallad. Kalendrar som prenumererar på den får inga fler "
                    "uppdateringar."), "success")
    return redirect(url_for("subscribe.index"))
