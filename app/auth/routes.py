from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.auth import bp
from app.clock import utcnow
from app.countries import country_name
from app.enums import OrganisationType, Role
from app.extensions import db, limiter
from app.languages import N_
from app.models import User
from app.queries.membership import INVITATION_GONE, open_invitation
from app.services.accounts import authenticate
from app.services.passwords import (
    RESET_LINK_GONE,
    request_password_reset,
    reset_lifetime,
    reset_password,
    user_for_reset_token,
)
from app.services.registration import (
    CONFIRMATION_LINK_GONE,
    Registration,
    confirm_registration,
    confirmation_lifetime,
    register_applicant,
    register_invited,
    resend_confirmation,
    user_for_confirmation_token,
)
from app.services.two_factor import WRONG_CODE, verify_second_factor
from app.translation import current_language as language
from app.translation import gettext as _
from app.web.locale import LANGUAGE_COOKIE
from app.web.sessions import complete_login, end_login
from app.web.transaction import command
from forms.auth import ConfirmRegistrationForm, LoginForm, RegistrationForm
from forms.security import PasswordResetForm, PasswordResetRequestForm
from forms.two_factor import SecondFactorForm

LOGIN_FAILED = N_("Those credentials did not work. Check the e-mail address and the password.")
# Between the password and the code: whose log-in waits, where it goes next, how many wrong codes so far.
PENDING_LOG_IN = "pending_log_in"
PENDING_SECONDS = 5 * 60
PENDING_WRONG_CODES = 5
# After the right password of an account whose address is not confirmed yet: whose link may be sent again, and since.
AWAITING_CONFIRMATION = "awaiting_confirmation"
REGISTRATION_SENT = N_("Almost done: we have e-mailed a link to %(email)s. Open it within %(hours)d hours to confirm "
                       "the address and log in. Nothing came? Check the address and your spam folder, or register "
                       "again.")
UNCONFIRMED = N_("Confirm your e-mail address first: open the link we e-mailed when you registered. It works for "
                 "%(hours)d hours; you can have it sent again.")


def _home_for_user() -> str:
    if current_user.has_role(Role.OFFICER, Role.ADMIN):
        return url_for("manage.dashboard")
    if current_user.has_role(Role.EVALUATOR):
        return url_for("review.dashboard")
    if current_user.has_role(Role.APPLICANT):
        return url_for("applicant.dashboard")
    return url_for("public.index")


def _safe_next(target: str | None) -> str | None:
    # Only local paths: never redirect a fresh login to another site.
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login() -> str | Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(_home_for_user())
    form = LoginForm()
    if form.validate_on_submit():
        # Committed whether or not the credentials work: a failed attempt counts for the lockout rule.
        with command() as outcome:
            user = authenticate(form.email.data or "", form.password.data or "", address=request.remote_addr or "")
        if not outcome.ok:  # locked out
            return render_template("auth/login.html", form=form), outcome.status
        if user is None:
            flash(_(LOGIN_FAILED), "error")
            return render_template("auth/login.html", form=form), 200
        if not user.is_confirmed:  # said only to whoever knows the password
            session[AWAITING_CONFIRMATION] = {"user": user.id, "since": int(utcnow().timestamp())}
            return render_template("auth/login.html", form=form, unconfirmed=_(
                UNCONFIRMED, hours=_confirmation_hours())), 403
        next_url = _safe_next(request.args.get("next"))
        if user.has_two_factor:
            session.clear()
            session[PENDING_LOG_IN] = {"user": user.id, "next": next_url, "wrong": 0,
                                       "since": int(utcnow().timestamp())}
            return redirect(url_for("auth.second_factor"))
        return complete_log_in(user, next_url)
    return render_template("auth/login.html", form=form)


def complete_log_in(user: User, next_url: str | None) -> Response:
    """The one place a log-in completes, once every factor is checked: a fresh session (no fixation) that holds
    the user, then their page."""
    complete_login(user)  # a fresh cookie (no fixation) and a new server-side session
    return redirect(next_url or _home_for_user())


def _pending_user() -> User | None:
    """The account whose password was right and whose code is awaited (None when nothing waits or it expired)."""
    pending = session.get(PENDING_LOG_IN)
    if not isinstance(pending, dict) or int(utcnow().timestamp()) - int(pending.get("since", 0)) > PENDING_SECONDS:
        session.pop(PENDING_LOG_IN, None)
        return None
    user = db.session.get(User, int(pending["user"]))
    return user if user is not None and user.is_active and user.has_two_factor else None


@bp.route("/two-factor", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def second_factor() -> str | Response | tuple[str, int]:
    """The log-in's second step: a code from the authenticator app or a recovery code, after the password."""
    if current_user.is_authenticated:
        return redirect(_home_for_user())
    user = _pending_user()
    form = SecondFactorForm()
    if user is None:  # nothing waits for a code (never logged in, or more than 5 minutes ago)
        return render_template("auth/second_factor.html", form=form, waiting=False), 200
    if form.validate_on_submit():
        with command() as outcome:
            accepted = verify_second_factor(user, form.code.data or "")
        if not outcome.ok:  # too many wrong codes for this account
            session.pop(PENDING_LOG_IN, None)
            return render_template("auth/second_factor.html", form=form, waiting=False), outcome.status
        if accepted:
            return complete_log_in(user, session[PENDING_LOG_IN].get("next"))
        pending = dict(session[PENDING_LOG_IN], wrong=int(session[PENDING_LOG_IN]["wrong"]) + 1)
        if pending["wrong"] >= PENDING_WRONG_CODES:
            session.pop(PENDING_LOG_IN, None)
            flash(_("%(count)d wrong codes: log in again with your password.", count=PENDING_WRONG_CODES), "error")
            return redirect(url_for("auth.login"))
        session[PENDING_LOG_IN] = pending
        form.code.errors = [_(WRONG_CODE)]
        return render_template("auth/second_factor.html", form=form, waiting=True), 200
    return render_template("auth/second_factor.html", form=form, waiting=True)


@bp.post("/logout")
def logout() -> Response:
    end_login()
    flash(_("You are logged out."), "info")
    return redirect(url_for("public.index"))


def _confirmation_hours() -> int:
    return int(confirmation_lifetime().total_seconds() // 3600)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def register() -> str | Response | tuple[str, int]:
    """Self-registration: without an invitation the answer is the same whether the address has an account or not
    (app/services/registration.py); with one, the account is ready at once."""
    if current_user.is_authenticated:
        return redirect(_home_for_user())
    form = RegistrationForm()
    if request.method == "GET" and request.args.get("invitation"):
        form.invitation.data = request.args["invitation"]
    invitation = open_invitation(form.invitation.data or "")
    if form.invitation.data and invitation is None:
        flash(_(INVITATION_GONE), "error")
        form.invitation.data = ""
    if form.validate_on_submit():
        with command(form) as outcome:
            if form.invitation.data:
                registration = register_invited(
                    email=form.email.data or "", password=form.password.data or "",
                    full_name=form.full_name.data or "", invitation_token=form.invitation.data,
                    language=request.cookies.get(LANGUAGE_COOKIE))
            else:
                register_applicant(
                    email=form.email.data or "", password=form.password.data or "",
                    full_name=form.full_name.data or "", organisation_name=form.organisation_name.data or "",
                    country=form.country.data or "", organisation_type=OrganisationType(form.organisation_type.data),
                    # The visitor's choice in the switcher, if any, goes with the account (e-mails, letters, devices).
                    language=request.cookies.get(LANGUAGE_COOKIE))
        if not outcome.ok:
            return render_template("auth/register.html", form=form, invitation=invitation), 200
        if not form.invitation.data:
            flash(_(REGISTRATION_SENT, email=form.email.data, hours=_confirmation_hours()), "info")
            return redirect(url_for("auth.login"))
        return _welcome(registration)
    return render_template("auth/register.html", form=form, invitation=invitation)


def _welcome(registration: Registration) -> Response:
    """Sign the new applicant in and say where they stand with their organisation."""
    complete_login(registration.user)
    organisation = registration.organisation
    if not registration.is_member:
        # Tells that the organisation exists (it must, to ask its members), never who they are.
        flash(_("Your account is ready. %(organisation)s is already registered in %(country)s: your request to "
                "join it waits for one of its members. You will see its proposals once a member approves.",
                organisation=organisation.name, country=country_name(organisation.country, locale=language())),
              "info")
        return redirect(url_for("applicant.organisation"))
    flash(_("Welcome to Eurogrants. Your account is ready, as a member of %(organisation)s.",
            organisation=organisation.name), "success")
    return redirect(url_for("applicant.dashboard"))


@bp.route("/confirm/<confirmation_token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def confirm(confirmation_token: str) -> str | Response | tuple[str, int]:
    """Where the registration's link lands: the password chosen then confirms the address and logs in."""
    user = user_for_confirmation_token(confirmation_token)
    if user is None:
        return render_template("auth/confirm.html", form=None, message=_(CONFIRMATION_LINK_GONE)), 410
    form = ConfirmRegistrationForm()
    if form.validate_on_submit():
        with command(form) as outcome:
            registration = confirm_registration(confirmation_token, password=form.password.data or "")
        if outcome.ok:
            return _welcome(registration)
    return render_template("auth/confirm.html", form=form, user=user, message=None), 422 if form.errors else 200


@bp.post("/confirm/resend")
@limiter.limit("5 per hour")
def resend_confirmation_link() -> Response:
    """Send the confirmation link again, for the account whose right password was just given at log-in."""
    awaiting = session.pop(AWAITING_CONFIRMATION, None)
    user = None
    if isinstance(awaiting, dict) and int(utcnow().timestamp()) - int(awaiting.get("since", 0)) <= PENDING_SECONDS:
        user = db.session.get(User, int(awaiting["user"]))
    if user is None:
        flash(_("Log in with your e-mail address and password first: the link is then sent again on request."), "error")
        return redirect(url_for("auth.login"))
    with command():
        resend_confirmation(user)
    flash(_(REGISTRATION_SENT, email=user.email, hours=_confirmation_hours()), "info")
    return redirect(url_for("auth.login"))


@bp.get("/invitations/<token>")
def invitation(token: str) -> str | Response | tuple[str, int]:
    """Where an invitation link lands: answer it when signed in, else register or log in first."""
    found = open_invitation(token)
    if found is None:
        return render_template("auth/invitation.html", invitation=None), 404
    if current_user.is_authenticated and current_user.has_role(Role.APPLICANT):
        return redirect(url_for("applicant.invitation", token=token))
    return render_template("auth/invitation.html", invitation=found, token=token)


RESET_REQUESTED = N_("If an account uses this address, we have e-mailed it a link to choose a new password. It "
                     "works once, within %(minutes)d minutes. Nothing came? Check the address and your spam folder, "
                     "or ask again.")


@bp.route("/password-reset", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def password_reset() -> str | Response | tuple[str, int]:
    """Ask for a link to choose a new password; the answer is the same whether the address has an account or not."""
    form = PasswordResetRequestForm()
    if form.validate_on_submit():
        request_password_reset(form.email.data or "")
        flash(_(RESET_REQUESTED, minutes=int(reset_lifetime().total_seconds() // 60)), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/password_reset.html", form=form), 422 if form.errors else 200


@bp.route("/password-reset/<reset_token>", methods=["GET", "POST"])
def password_reset_link(reset_token: str) -> str | Response | tuple[str, int]:
    """Where a reset link lands: choose the new password; every session of the account ends."""
    if user_for_reset_token(reset_token) is None:
        return render_template("auth/password_reset_link.html", form=None, message=_(RESET_LINK_GONE)), 410
    form = PasswordResetForm()
    if form.validate_on_submit():
        with command(form) as outcome:
            reset_password(reset_token, new_password=form.password.data or "")
        if outcome.ok:
            if current_user.is_authenticated:
                end_login()
            flash(_("Your password is changed and every session of your account has ended. Log in with the new "
                    "password."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/password_reset_link.html", form=form, message=None), 422 if form.errors else 200
