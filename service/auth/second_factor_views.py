"""Pages of the second factor: the code at sign-in, enrolment (on the way in, or later from
the account), new recovery codes, and the operator's reset."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from service.audit.services import set_actor
from service.auth import alerts, devices, second_factor, services, signing_in, throttle
from service.auth.forms import SecondFactorForm, SecondFactorResetForm
from service.auth.models import User
from service.auth.principal import current_principal, principal_for_user, require
from service.auth.roles import Permission
from service.auth.views import safe_next
from service.extensions import limiter
from service.i18n import gettext as _
from service.unit_of_work import keep_despite_refusal

bp = Blueprint("second_factor", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _signed_in_user() -> User | None:
    return services.account_of(current_principal())


def _address() -> str:
    return request.remote_addr or "-"


@bp.route("/login/second-factor", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def challenge():
    held = signing_in.held()
    if held is None:
        return redirect(url_for("auth.login"))
    user, pending = held
    form = SecondFactorForm()
    if not form.validate_on_submit():
        status = 400 if form.errors else 200
        return render_template("auth/second_factor.html", form=form), status
    wait = throttle.wait_before(user.username, _address(), devices.knows(user))
    if wait:
        form.code.errors.append(
            _("Too many failed sign-ins. Try again in %(seconds)s seconds.", seconds=wait)
        )
        page = render_template("auth/second_factor.html", form=form)
        return page, 429, {"Retry-After": str(wait)}
    how = second_factor.verify(user, form.code.data)
    if how is None:
        _count_failure(user)
        form.code.errors.append(_("The code is wrong or used already. Try the next one."))
        return render_template("auth/second_factor.html", form=form), 401
    throttle.succeeded(user.username, _address())
    target = safe_next(pending.get("next"))
    return signing_in.complete(
        user, pending.get("remember", False), lambda: redirect(target), second_factor=how
    )


def _count_failure(user: User) -> None:
    """A wrong code counts as a failed sign-in of the account: paced like a password."""
    reached = throttle.failed(user.username, _address())
    if reached:
        alerts.record_failures(user, reached)
    keep_despite_refusal()  # the page refuses the code; the count stands


@bp.route("/account/second-factor", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def enrol():
    """Set up the second factor: on the way in (a held sign-in of an account that must have
    one), or signed in, from the account menu."""
    held = signing_in.held()
    user = held[0] if held else _signed_in_user()
    if user is None:
        abort(401)
    if held:  # not yet signed in: the log names the account whose key is made
        set_actor(principal_for_user(user).audit_label)
    if second_factor.is_enrolled(user):
        if held:  # enrolled meanwhile (another tab): the code is asked for instead
            return redirect(url_for(".challenge"))
        return _status(user, SecondFactorForm(), 200)
    enrolment = second_factor.start_enrolment(user)
    keep_despite_refusal()  # the key is kept from the first look: a reload shows the same one
    form = SecondFactorForm()
    if form.validate_on_submit():
        try:
            codes = second_factor.confirm_enrolment(user, form.code.data)
        except second_factor.SecondFactorError as exc:
            form.code.errors.append(str(exc))
        else:
            return _enrolled(user, codes, held[1] if held else None)
    status = 400 if form.errors else 200
    page = render_template(
        "auth/second_factor_enrol.html",
        form=form,
        enrolment=enrolment,
        qr=enrolment.qr_svg(user.username),
        held=held is not None,
    )
    return page, status


def _enrolled(user: User, codes: list[str], pending: dict | None):
    """Show the recovery codes, once; a held sign-in completes here."""
    if pending is None:
        return render_template("auth/recovery_codes.html", codes=codes, target=None), 201
    target = safe_next(pending.get("next"))

    def respond():
        page = render_template("auth/recovery_codes.html", codes=codes, target=target)
        return make_response(page, 201)

    return signing_in.complete(
        user, pending.get("remember", False), respond, second_factor="enrolled"
    )


def _status(user: User, form: SecondFactorForm, status: int):
    page = render_template(
        "auth/second_factor_status.html",
        user=user,
        form=form,
        left=second_factor.unused_recovery_codes(user),
        required=second_factor.required(user),
    )
    return page, status


@bp.post("/account/second-factor/recovery-codes")
@limiter.limit(_login_limit)
def renew_recovery_codes():
    user = _signed_in_user()
    if user is None:
        abort(401)
    if not second_factor.is_enrolled(user):
        return redirect(url_for(".enrol"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        try:
            codes = second_factor.renew_recovery_codes(user, form.code.data)
        except second_factor.SecondFactorError as exc:
            form.code.errors.append(str(exc))
        else:
            return render_template("auth/recovery_codes.html", codes=codes, target=None), 201
    return _status(user, form, 400)


@bp.route("/account-recovery/second-factor", methods=["GET", "POST"])
@require(Permission.RECOVER_ACCOUNTS)
def reset():
    """The platform operator removes a holder's second factor (authenticator and recovery
    codes lost): the holder is told and the log records it."""
    form = SecondFactorResetForm()
    done = None
    if form.validate_on_submit():
        user = services.account_named(form.username.data.strip())
        if user is None:
            form.username.errors.append(_("No account has this username."))
        elif user.id == current_principal().id:
            form.username.errors.append(_("Another operator resets your own second factor."))
        else:
            try:
                emailed_to = second_factor.operator_reset(user)
            except second_factor.SecondFactorError as exc:
                form.username.errors.append(str(exc))
            else:
                done = {"username": user.username, "emailed_to": emailed_to}
    status = 400 if form.errors else 200
    return render_template("auth/second_factor_reset.html", form=form, done=done), status
