"""Every signed-in person's own page: name, language, which e-mail they want, and their API tokens."""
from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField

from skotsel.domain.errors import ValidationError
from skotsel.services import api_tokens, clock, gdpr
from skotsel.services.profile import EMAIL_CHOICES, email_choices_for, update_profile
from skotsel.web import current_principal
from skotsel.web.forms import DeleteForm, choices, error_message, show_error

bp = Blueprint("profile", __name__, url_prefix="/profile")


class ProfileForm(FlaskForm):
    # The service checks name and language, so that its Swedish messages are the ones shown.
    name = StringField(_l("Namn"))
    # Each language named in itself, as language switches do.
    locale = RadioField(_l("Språk"), choices=choices([("sv", "Svenska"), ("en", "English")]), validate_choice=False)
    wants_reminders = BooleanField(_l("Påminnelser innan ett tillfälle förfaller"))
    wants_coordinator_digest = BooleanField(_l("Veckosammanfattning för samordnare"))
    wants_reviewer_digest = BooleanField(_l("Veckosammanfattning över försenade tillfällen"))


@bp.route("", methods=["GET", "POST"])
@login_required
def edit():
    user = current_user._get_current_object()
    offered = email_choices_for(current_principal())
    form = ProfileForm(obj=user)
    for choice in EMAIL_CHOICES:
        if choice not in offered:
            delattr(form, choice)  # a kind the person's roles do not bring keeps its stored value
    if not form.is_submitted() and form.locale.data not in ("sv", "en"):
        form.locale.data = current_app.config["BABEL_DEFAULT_LOCALE"]
    message = None
    if form.validate_on_submit():
        try:
            update_profile(user=user, name=form.name.data, locale=form.locale.data,
                           **{choice: form[choice].data if choice in offered else None for choice in EMAIL_CHOICES})
        except ValidationError as error:
            message = show_error(form, error)
        else:
            session["locale"] = user.locale  # the choice applies at once, over an earlier language switch
            flash(_("Dina inställningar är sparade."), "success")
            return redirect(url_for("profile.edit"))
    return render_template("profile/edit.html", form=form, offered=offered, message=message)


# --- API tokens ------------------------------------------------------------------------------------------------


class ApiTokenForm(FlaskForm):
    name = StringField(_l("Namn på nyckeln"))


@bp.after_request
def never_cached(response):
    # A new token is on the page once: keep it out of every cache and every Referer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/api-tokens", methods=["GET", "POST"])
@login_required
def api_tokens_page():
    principal = current_principal()
    form = ApiTokenForm()
    message = None
    if form.validate_on_submit():
        try:
            row, token = api_tokens.create_token(principal=principal, name=form.name.data)
        except ValidationError as error:
            message = show_error(form, error)
        else:
            return render_template("profile/api_token_created.html", row=row, token=token)
    return render_template("profile/api_tokens.html", form=form, message=message,
                           tokens=api_tokens.tokens_of(principal), revoke_form=DeleteForm())


@bp.route("/api-tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_api_token(token_id: int):
    principal = current_principal()
    row = api_tokens.load_own(principal, token_id)
    if not DeleteForm().validate_on_submit():
        abort(400)
    try:
        api_tokens.revoke_token(principal=principal, api_token=row, now=clock.now())
    except ValidationError as error:
        flash(error_message(error), "error")
    else:
        flash(_("API-nyckeln ”%(name)s” är återkallad.", name=row.name), "success")
    return redirect(url_for("profile.api_tokens_page"))


# --- the person's own data (GDPR) -------------------------------------------------------------------------------


@bp.route("/data.json")
@login_required
def data_export():
    user = current_user._get_current_object()
    body = json.dumps(gdpr.export_person(user), ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="skotsel-personuppgifter-{user.id}.json"',
        "Cache-Control": "no-store",
    })
