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
from skotsel.services.memberships import accept_invitation, existing_account, pending_invitation
from skotsel.services.users import authenticate
from skotsel.web.forms import DeleteForm, safe_next, show_error

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField(_l("E-post"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Lösenord"), validators=[DataRequired()])


class JoinForm(FlaskForm):
    """Only the CSRF token: a person who already has an account confirms that it joins."""


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
    account = existing_account(found)
    form = JoinForm() if account else AcceptInvitationForm(name=found.name)
    if form.validate_on_submit():
        association_id, association_name = found.association_id, found.association.name
        try:
            user = accept_invitation(
                invitation=found,
                now=now,
                min_password_length=current_app.config["PASSWORD_MIN_LENGTH"],
                name=None if account else form.name.data,
                password=None if account else form.password.data,
            )
        except ValidationError as error:
            if error.field is None:  # a second click used the link a moment ago
                return render_template("auth/invitation_invalid.html"), 404
            show_error(form, error)
        else:
            if account and current_user.get_id() != str(user.id):
                # The link proves the mailbox, not the password: an existing account still signs in itself.
                flash(_("Du är nu med i %(name)s. Logga in som vanligt.", name=association_name), "success")
                return redirect(url_for("auth.login", next=url_for("association.detail",
                                                                    association_id=association_id)))
            login_user(user)
            flash(_("Välkommen till %(name)s!", name=association_name), "success")
            return redirect(url_for("association.detail", association_id=association_id))
    return render_template("auth/invitation.html", form=form, invitation=found, account=account)
