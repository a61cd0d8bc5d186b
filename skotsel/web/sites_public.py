"""The site's own page, where the QR code on its sign leads, and the sign itself as PNG and PDF.

The page is public: whoever stands at the site and scans the sign sees what the sign already says (the site, who
keeps it and how to reach them) and how to report a problem. People in the association that keeps the site also
get the quick log: the site's occurrences that are to do now, one tap from the workspace's log form.
The sign files are for municipality staff and the site's association, loaded through the access helper.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

from flask import Blueprint, abort, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.routing import BuildError

from skotsel.domain.schedule import Status
from skotsel.extensions import db, login_manager
from skotsel.models import AgreedTask, Agreement, Completion, Municipality, Occurrence, Site
from skotsel.services import clock
from skotsel.services.access import NotFound, can_create, load, visible
from skotsel.services.schedule import OccurrenceState, states
from skotsel.services.signs import SignContent, render_pdf, render_png, sign_filename
from skotsel.web import current_principal, external_url
from skotsel.web.schedule import day_label, status_class, status_word

bp = Blueprint("site_page", __name__)

#: How far back an occurrence may be due and still be open: a quota task's suggested dates stay to do until its
#: season ends, and a season is at most a year.
OPEN_LOOKBACK_DAYS = 366
#: Upcoming occurrences shown in the quick log: those that can be done within this many days.
UPCOMING_DAYS = 7


@dataclass(frozen=True)
class PublicSite:
    """What anyone may know about a site: what its sign says, plus its kind and village. Nothing else."""

    id: int
    name: str
    kind: str
    village_name: str | None
    municipality_id: int
    municipality_name: str
    association_id: int | None
    association_name: str | None
    contact_name: str
    phone: str
    email: str

    @classmethod
    def of(cls, site: Site, municipality_name: str) -> PublicSite:
        association = site.association
        return cls(
            id=site.id, name=site.name, kind=site.kind, village_name=site.village.name if site.village else None,
            municipality_id=site.municipality_id, municipality_name=municipality_name,
            association_id=association.id if association else None,
            association_name=association.name if association else None,
            contact_name=association.contact_name if association else "",
            phone=association.phone if association else "", email=association.email if association else "",
        )

    @property
    def url(self) -> str:
        """The page's address on BASE_URL, as the QR code has it; never built from the request's Host."""
        return external_url("site_page.show", site_id=self.id)

    def sign(self) -> SignContent:
        return SignContent(site_name=self.name, municipality_name=self.municipality_name, url=self.url,
                           association_name=self.association_name, contact_name=self.contact_name,
                           phone=self.phone, email=self.email)


@dataclass(frozen=True)
class QuickLogRow:
    state: OccurrenceState
    task_name: str
    status_word: str
    status_class: str
    log_url: str


def _public_site(site_id: int) -> PublicSite:
    # Deliberately not access.load: this is the page the QR code on the site's sign leads to, for anyone at the site,
    # signed in or not. Only the fields of PublicSite leave this function, and all of them are on the sign anyway;
    # the site's notes, area and agreements stay behind the access check on every other page.
    row = db.session.execute(
        select(Site, Municipality.name).join(Municipality, Municipality.id == Site.municipality_id)
        .where(Site.id == site_id).options(joinedload(Site.village), joinedload(Site.association))
    ).one_or_none()
    if row is None:
        abort(404)
    return PublicSite.of(*row)


def _workspace_url(endpoint: str, path: str, **values) -> str:
    """A link into the association workspace, built alongside this page: until its endpoint exists, the path it
    is specified to have."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return request.script_root + path


def _is_keeper(site: PublicSite) -> bool:
    """Whether the signed-in user belongs to the association that keeps the site (and so logs work on it)."""
    principal = current_principal()
    return (site.association_id is not None and site.association_id in principal.associations
            and can_create(principal, Completion, municipality_id=site.municipality_id,
                           association_id=site.association_id))


def _quick_log(site: PublicSite) -> list[QuickLogRow]:
    """The site's occurrences to do now for its association: overdue and due first, then the week's upcoming."""
    today = clock.today()
    occurrences = db.session.scalars(
        visible(current_principal(), Occurrence)
        .join(AgreedTask, Occurrence.agreed_task_id == AgreedTask.id)
        .join(Agreement, AgreedTask.agreement_id == Agreement.id)
        .where(AgreedTask.site_id == site.id, AgreedTask.performed_by == "association",
               Agreement.association_id == site.association_id,
               Occurrence.due_on >= today - timedelta(days=OPEN_LOOKBACK_DAYS),
               Occurrence.window_starts_on <= today + timedelta(days=UPCOMING_DAYS))
        .order_by(Occurrence.due_on, Occurrence.id)
    ).all()
    open_states = [state for state in states(occurrences, today=today)
                   if state.status in (Status.DUE, Status.UPCOMING)]
    open_states.sort(key=lambda state: (not state.overdue, state.status is not Status.DUE,
                                        state.occurrence.due_on, state.occurrence.id))
    locale = str(get_locale())
    return [
        QuickLogRow(
            state=state, task_name=state.occurrence.agreed_task.task_type.name(locale),
            status_word=status_word(state), status_class=status_class(state),
            log_url=_workspace_url("workspace.log", f"/workspace/occurrences/{state.occurrence.id}/log",
                                   occurrence_id=state.occurrence.id),
        )
        for state in open_states
    ]


def _may_print_sign(site_id: int) -> bool:
    """Staff of the municipality and the site's association may download its sign."""
    if not current_user.is_authenticated:
        return False
    try:
        load(current_principal(), Site, site_id)
    except NotFound:
        return False
    return True


@bp.route("/s/<int:site_id>")
def show(site_id: int):
    site = _public_site(site_id)
    keeper = _is_keeper(site)
    return render_template(
        "site_page/show.html", site=site,
        quick_log=_quick_log(site) if keeper else None,
        ad_hoc_url=_workspace_url("workspace.log_ad_hoc", f"/workspace/sites/{site.id}/log", site_id=site.id)
        if keeper else None,
        may_print_sign=_may_print_sign(site.id), day_label=day_label,
    )


def _sign_site(site_id: int) -> PublicSite:
    site = load(current_principal(), Site, site_id)
    return PublicSite.of(site, db.session.get(Municipality, site.municipality_id).name)


def _download(data: bytes, mimetype: str, filename: str):
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=filename)


@bp.route("/sites/<int:site_id>/sign.png")
def sign_png(site_id: int):
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    site = _sign_site(site_id)
    return _download(render_png(site.sign()), "image/png", sign_filename(site.name, "png"))


@bp.route("/sites/<int:site_id>/sign.pdf")
def sign_pdf(site_id: int):
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    site = _sign_site(site_id)
    return _download(render_pdf(site.sign()), "application/pdf", sign_filename(site.name, "pdf"))
