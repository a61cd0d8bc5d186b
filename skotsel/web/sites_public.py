"""The site's own page, where the QR code on its sign leads, and the sign itself as PNG and PDF.

The page is public: whoever stands at the site and scans the sign sees what the sign already says (the site, who
keeps it and how to reach them) and how to report a problem. People in the association that keeps the site also
get the quick log: the site's occurrences that are to do now, one tap from the workspace's log form. Everyone
else gets the problem-report form (felanmälan), which needs no login; a report becomes a deviation
(skotsel.services.reports), and the page then says only that it was received and its reference number.
The sign files are for municipality staff and the site's association, loaded through the access helper.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.routing import BuildError

from skotsel.domain.errors import ValidationError
from skotsel.domain.schedule import Status
from skotsel.extensions import db, login_manager
from skotsel.models import AgreedTask, Agreement, Completion, Municipality, Occurrence, Site
from skotsel.services import clock
from skotsel.services.access import NotFound, can_create, load, visible
from skotsel.services.documents import size_text
from skotsel.services.reports import CATEGORY_LABELS, TEXT_MAX, TooManyReports, reference, submit_report
from skotsel.services.schedule import OccurrenceState, states
from skotsel.services.signs import SignContent, render_pdf, render_png, sign_filename
from skotsel.web import current_principal, external_url
from skotsel.web.forms import PHOTO_TYPES, choices, error_message, show_error
from skotsel.web.schedule import day_label, status_class, status_word

bp = Blueprint("site_page", __name__)

#: How far back an occurrence may be due and still be open: a quota task's suggested dates stay to do until its
#: season ends, and a season is at most a year.
OPEN_LOOKBACK_DAYS = 366
#: Upcoming occurrences shown in the quick log: those that can be done within this many days.
UPCOMING_DAYS = 7


class ReportForm(FlaskForm):
    """Felanmälan. The rules (category known, text 5–2000 characters, a usable e-mail address) are the service's,
    so that every message is its Swedish sentence; the form only carries the fields and the CSRF token."""

    category = SelectField(_l("Vad gäller det?"), validate_choice=False)
    text = TextAreaField(_l("Beskriv vad som behöver åtgärdas"), render_kw={"maxlength": TEXT_MAX, "rows": 5})
    photo = FileField(_l("Bild (om du vill)"), render_kw={"accept": PHOTO_TYPES})
    email = StringField(_l("Din e-postadress (om du vill få besked när det är åtgärdat)"),
                        render_kw={"type": "email", "autocomplete": "email", "inputmode": "email"})
    #: Honeypot: hidden from people (and from screen readers), filled in by form-filling bots.
    website = StringField(_l("Lämna det här fältet tomt"), render_kw={"autocomplete": "off", "tabindex": "-1"})

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.category.choices = choices([("", _("Välj …")), *CATEGORY_LABELS.items()])


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


def _render_show(site: PublicSite, *, form: ReportForm | None = None, message: str | None = None,
                 status: int = 200):
    keeper = _is_keeper(site)
    return render_template(
        "site_page/show.html", site=site,
        quick_log=_quick_log(site) if keeper else None,
        ad_hoc_url=_workspace_url("workspace.log_ad_hoc", f"/workspace/sites/{site.id}/log", site_id=site.id)
        if keeper else None,
        may_print_sign=_may_print_sign(site.id), day_label=day_label,
        report_form=form or ReportForm(), report_message=message,
        max_photo_size=size_text(current_app.config["MAX_PHOTO_BYTES"]),
    ), status


@bp.route("/s/<int:site_id>")
def show(site_id: int):
    return _render_show(_public_site(site_id))


@bp.route("/s/<int:site_id>/report", methods=["POST"])
def report(site_id: int):
    """A resident's report: no login (the CSRF token works for anonymous sessions), limited per address."""
    public_site = _public_site(site_id)
    form = ReportForm()
    message = None
    if form.validate_on_submit():
        if form.website.data:
            # A bot filled in the hidden field: answer as if received, store nothing.
            flash(_("Tack! Din felanmälan är mottagen."), "success")
            return redirect(url_for("site_page.show", site_id=site_id, _anchor="felanmalan"))
        upload = form.photo.data if getattr(form.photo.data, "filename", None) else None
        try:
            # Deliberately not access.load: anyone may report on any site that has a public page.
            deviation = submit_report(
                site=db.session.get(Site, public_site.id), category=form.category.data, text=form.text.data,
                email=form.email.data, photo=upload.stream if upload else None,
                photo_name=upload.filename if upload else None, remote_addr=request.remote_addr,
                today=clock.today(), config=current_app.config)
        except TooManyReports as error:
            return _render_show(public_site, form=form, message=error_message(error), status=429)
        except ValidationError as error:
            message = show_error(form, error)
        else:
            flash(_("Tack! Din felanmälan är mottagen. Referensnummer: %(reference)s.",
                    reference=reference(deviation)), "success")
            return redirect(url_for("site_page.show", site_id=site_id, _anchor="felanmalan"))
    return _render_show(public_site, form=form, message=message)


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
