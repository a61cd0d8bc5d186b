"""Signing in and out, and accepting an invitation to an association."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from skotsel.domain.errors import ValidationError
from skotsel.services.memberships import accept_invitation, pending_invitation
from skotsel.services.users import authenticate
from skotsel.web.forms import DeleteForm, safe_next, show_error

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField(_l("E-post"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Lösenord"), validators=[DataRequired()])


class AcceptInvitationForm(FlaskForm):
    name = StringField(_l("Namn"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("Välj lösenord"), validators=[DataRequired()])
    confirm = PasswordField(
        _l("Upprepa lösenordet"), validators=[DataRequired(), EqualTo("password", message=_l("Lösenorden är olika."))]
    )


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("public.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(safe_next(request.args.get("next")) or url_for("public.index"))
        form.password.errors = [_("Fel e-postadress eller lösenord.")]
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    if DeleteForm().validate_on_submit():
        logout_user()
        flash(_("Du är utloggad."), "info")
    return redirect(url_for("public.index"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def invitation(token: str):
    now = datetime.now(timezone.utc)
    found = pending_invitation(token, now=now)
    if found is None:
        return render_template("auth/invitation_invalid.html"), 404
    form = AcceptInvitationForm(name=found.name)
    if form.validate_on_submit():
        try:
            user = accept_invitation(
                invitation=found,
                name=form.name.data,
                password=form.password.data,
                now=now,
                min_password_length=current_app.config["PASSWORD_MIN_LENGTH"],
            )
        except ValidationError as error:
            message = show_error(form, error)
            if message:
                flash(message, "error")
        else:
            login_user(user)
            flash(_("Välkommen till %(name)s!", name=found.association.name), "success")
            return redirect(url_for("association.overview"))
    return render_template("auth/invitation.html", form=form, invitation=found)

