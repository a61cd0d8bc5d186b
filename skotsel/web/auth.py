"""Signing in and out, accepting an invitation to an association, and passwords: changing one's own, and resetting
a forgotten one by e-mail.

A session is bound to the account's `session_version` (see skotsel.web.load_user): signing out, a new password, a
reset and deactivation raise it, and every cookie issued before stops working, even a copied one.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from skotsel.domain.errors import ValidationError
from skotsel.models import User
from skotsel.services import clock, sign_in as sign_in_service
from skotsel.services.memberships import accept_invitation, existing_account, pending_invitation
from skotsel.web import external_url
from skotsel.web.forms import DeleteForm, safe_next, show_error

bp = Blueprint("auth", __name__)

#: Session keys: the account's session_version at sign-in, and when the session was last used (Unix seconds).
SESSION_VERSION = "session_version"
LAST_SEEN = "last_seen"


def start_session(user: User) -> None:
    """Sign `user` in with a fresh session (nothing from before signing in carries over but the language)."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    login_user(user)
    session[SESSION_VERSION] = user.session_version
    session[LAST_SEEN] = int(time.time())


def end_session() -> None:
    logout_user()
    session.clear()


class LoginForm(FlaskForm):
    email = EmailField(_l("E-post"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Lösenord"), validators=[DataRequired()])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-post"), validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("Nytt lösenord"), validators=[DataRequired()],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(
        _l("Upprepa lösenordet"),
        validators=[DataRequired(), EqualTo("password", message=_l("Lösenorden är olika."))],
        render_kw={"autocomplete": "new-password"},
    )


class ChangePasswordForm(ResetPasswordForm):
    current_password = PasswordField(_l("Nuvarande lösenord"), validators=[DataRequired()],
                                     render_kw={"autocomplete": "current-password"})


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
        result = sign_in_service.sign_in(form.email.data, form.password.data, request.remote_addr,
                                         now=clock.now(), config=current_app.config)
        if result.user is not None:
            start_session(result.user)
            return redirect(safe_next(request.args.get("next")) or url_for("public.index"))
        if result.throttled:
            # The same words for every address, known or not: they only say that guessing has to wait.
            form.password.errors = [_("För många misslyckade inloggningar. Vänta en kvart och försök igen, "
                                      "eller välj ett nytt lösenord via ”Glömt lösenordet?”.")]
            return render_template("auth/login.html", form=form), 429
        form.password.errors = [_("Fel e-postadress eller lösenord.")]
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    if DeleteForm().validate_on_submit():
        # Ends every session of the account, so that a copy of this cookie is worth nothing either.
        sign_in_service.end_all_sessions(current_user._get_current_object())
        end_session()
        flash(_("Du är utloggad."), "info")
    return redirect(url_for("public.index"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    user = current_user._get_current_object()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            sign_in_service.change_password(user, current=form.current_password.data, new=form.password.data,
                                            min_password_length=current_app.config["PASSWORD_MIN_LENGTH"])
        except ValidationError as error:
            show_error(form, error)
        else:
            session[SESSION_VERSION] = user.session_version  # this session goes on; every other one has ended
            flash(_("Ditt lösenord är bytt. Du är utloggad på alla andra enheter."), "success")
            return redirect(url_for("profile.edit"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        sign_in_service.request_password_reset(
            form.email.data, now=clock.now(), config=current_app.config,
            link_for=lambda token: external_url("auth.reset_password", token=token))
        return render_template("auth/forgot_password_sent.html")
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    now = clock.now()
    reset = sign_in_service.valid_reset(token, now=now)
    if reset is None:
        return render_template("auth/reset_invalid.html"), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            sign_in_service.complete_password_reset(
                reset, form.password.data, now=now, min_password_length=current_app.config["PASSWORD_MIN_LENGTH"])
        except ValidationError as error:
            if error.field is None:  # used by another request a moment ago
                return render_template("auth/reset_invalid.html"), 404
            show_error(form, error)
        else:
            if current_user.is_authenticated:
                end_session()
            flash(_("Ditt lösenord är bytt. Logga in med det nya lösenordet."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


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
            start_session(user)
            flash(_("Välkommen till %(name)s!", name=association_name), "success")
            return redirect(url_for("association.detail", association_id=association_id))
    return render_template("auth/invitation.html", form=form, invitation=found, account=account)
