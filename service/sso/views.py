"""Signing in with the university's account: off to the association's CAS server, back with
a ticket, then into the linked account, or to linking (with consent) or to applying."""

from __future__ import annotations

import time

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import logout_user

from service.audit.services import set_actor
from service.auth import second_factor, signing_in
from service.auth import services as accounts
from service.auth.models import User
from service.auth.principal import current_principal, principal_for_user, require
from service.auth.roles import Permission
from service.auth.views import safe_next
from service.extensions import csrf
from service.members.models import Member
from service.members.public import PREFILL
from service.security import allow_form_target
from service.sso import federation, oidc, services
from service.sso.forms import ConsentForm, ProviderSettingsForm, UnlinkForm
from service.sso.models import FederationSsoLink, ProviderKind, SsoLink
from tenants.db import db
from tenants.models import Association
from tenants.scope import Scope, use_scope

bp = Blueprint("sso", __name__, url_prefix="/sso")

STARTED = "sso_started"  # the association a sign-in was started for, and where to go after
ASSERTED = "sso_asserted"  # who the provider said signed in, until linked
REMEMBERED = "university"  # cookie: the university picked on this device
# In a session signed in through OIDC: the association and the ID token, for end-session.
SIGNED_IN_WITH = "sso_signed_in_with"
PENDING_SECONDS = 600


def _service_url(association_id: int) -> str:
    """Made here, never taken from the request: the ticket is bound to it."""
    return url_for("sso.cas_return", association_id=association_id, _external=True)


def _redirect_uri(association_id: int) -> str:
    """The OIDC redirect URI, made here like the CAS service URL; the association registers
    it with its provider."""
    return url_for("sso.oidc_return", association_id=association_id, _external=True)


@bp.get("/<int:association_id>/login")
def start(association_id: int):
    pending: dict = {}
    with use_scope(Scope.association(association_id)):
        provider = services.provider_of(association_id)
        if provider is None:
            abort(404)
        if provider.kind == ProviderKind.OIDC:
            try:
                target, pending = oidc.begin(provider, _redirect_uri(association_id))
            except services.SsoError as refusal:
                return render_template("sso/refused.html", refusal=str(refusal)), 503
        else:
            target = services.login_url(provider, _service_url(association_id))
    session[STARTED] = {
        "association": association_id,
        "next": safe_next(request.args.get("next")),
        "until": int(time.time()) + PENDING_SECONDS,
        **pending,
    }
    response = redirect(target)
    response.set_cookie(
        REMEMBERED,
        str(association_id),
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
    )
    return response


def _started_here(association_id: int) -> dict | None:
    started = session.get(STARTED)
    if (
        not isinstance(started, dict)
        or started.get("association") != association_id
        or started.get("until", 0) < time.time()
    ):
        return None
    return started


@bp.get("/<int:association_id>/cas")
def cas_return(association_id: int):
    started = _started_here(association_id)
    ticket = request.args.get("ticket", "")
    if started is None or not ticket:
        # Not started here (another tenant's page, a forged link): start again.
        return redirect(url_for("auth.login"))
    with use_scope(Scope.association(association_id)):
        provider = services.provider_of(association_id)
        if provider is None or provider.kind != ProviderKind.CAS:
            abort(404)
        try:
            assertion = services.validate(provider, _service_url(association_id), ticket)
        except services.SsoError as refusal:
            return render_template("sso/refused.html", refusal=str(refusal)), 403
        return _signed_in_at_provider(provider, assertion, ticket, started)


@bp.get("/<int:association_id>/oidc")
def oidc_return(association_id: int):
    """The OpenID Connect provider sends the browser back here with a code and the state."""
    started = _started_here(association_id)
    if started is None or "state" not in started:
        # Not started here (another tenant's page, a forged link): start again.
        return redirect(url_for("auth.login"))
    session.pop(STARTED, None)  # a state is good for one return only
    with use_scope(Scope.association(association_id)):
        provider = services.provider_of(association_id)
        if provider is None or provider.kind != ProviderKind.OIDC:
            abort(404)
        try:
            signed = oidc.finish(
                provider, _redirect_uri(association_id), started, request.args.to_dict()
            )
        except services.SsoError as refusal:
            return render_template("sso/refused.html", refusal=str(refusal)), 403
        farewell = {
            SIGNED_IN_WITH: {
                "association": association_id,
                "id_token": signed.id_token,
                "ends_at": oidc.end_session_origin(provider),
            }
        }
        handle = str(signed.claims.get("sid") or signed.claims.get("jti") or signed.id_token)
        return _signed_in_at_provider(
            provider, signed.assertion, handle, started, mfa=signed.mfa, carry=farewell
        )


def _signed_in_at_provider(
    provider, assertion, handle: str, started: dict, mfa: bool = False, carry: dict | None = None
):
    """Into the linked account, or on to linking (a record matches) or to applying."""
    association_id = provider.tenant_id
    user = services.linked_user(assertion, handle)
    if user is not None:
        return _sign_in(user, started["next"], provider.id, mfa, carry or {})
    member = services.matching_member(provider, assertion)
    session.pop(STARTED, None)
    session[ASSERTED] = {
        "association": association_id,
        "provider": provider.id,
        "subject": assertion.subject,
        "member": member.id if member else None,
        "prefill": services.prefill(assertion),
        "ticket": services.ticket_hash(handle),
        "next": started["next"],
        "until": int(time.time()) + PENDING_SECONDS,
        "carry": carry or {},
    }
    if member is None:
        return redirect(url_for(".no_record", association_id=association_id))
    return redirect(url_for(".link", association_id=association_id))


@bp.post("/<int:association_id>/cas")
@csrf.exempt  # the CAS server posts here, server to server; the ticket is the credential
def cas_logout(association_id: int):
    """CAS single logout: the university's server says a sign-in ended."""
    ticket = services.session_index(request.form.get("logoutRequest", ""))
    if not ticket:
        return "", 400
    set_actor(f"sso:single-logout association {association_id}")
    with use_scope(Scope.association(association_id)):
        provider = services.provider_of(association_id, enabled_only=False)
        if provider is None or provider.kind != ProviderKind.CAS:
            return "", 404
        services.single_logout(association_id, ticket)
    return "", 200


@bp.post("/<int:association_id>/oidc/logout")
@csrf.exempt  # the provider posts here, server to server; the signed logout token is the proof
def oidc_logout(association_id: int):
    """OpenID Connect back-channel logout: the university's provider posts a logout token
    when a sign-in there ended, and the linked account's sessions end here."""
    token = request.form.get("logout_token", "")
    set_actor(f"sso:back-channel logout association {association_id}")
    with use_scope(Scope.association(association_id)):
        provider = services.provider_of(association_id, enabled_only=False)
        if provider is None or provider.kind != ProviderKind.OIDC:
            return no_store({"error": "invalid_request"}, 404)
        try:
            ended = oidc.logout_token(provider, token)
        except services.SsoError as refusal:
            return no_store({"error": "invalid_request", "error_description": str(refusal)}, 400)
        services.backchannel_logout(provider, ended.subject, ended.sid)
    return no_store({}, 200)


def no_store(body: dict, status: int):
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _sign_in(user, target: str, provider_id: int, mfa: bool, carry: dict):
    """A privileged account is asked for its second factor, unless the provider asserted
    MFA and the association counts it. `carry` goes into the signed-in session."""
    if second_factor.asked_at_sign_in(user) and not mfa:
        enrol = not second_factor.is_enrolled(user)
        return signing_in.hold(user, False, target, enrol, carry=carry)
    details = {"sso": provider_id}
    if mfa and second_factor.asked_at_sign_in(user):
        details["second_factor"] = "provider"
    return signing_in.complete(user, False, lambda: _carried(carry, target), **details)


def _carried(carry: dict, target: str):
    session.update(carry)
    return redirect(target)


def _asserted_here(association_id: int) -> dict | None:
    asserted = session.get(ASSERTED)
    if (
        not isinstance(asserted, dict)
        or asserted.get("association") != association_id
        or asserted.get("until", 0) < time.time()
    ):
        return None
    return asserted


@bp.route("/<int:association_id>/link", methods=["GET", "POST"])
def link(association_id: int):
    """The record found for the university account, and the person's consent to link it."""
    asserted = _asserted_here(association_id)
    if asserted is None or asserted.get("member") is None:
        return redirect(url_for("auth.login"))
    with use_scope(Scope.association(association_id)):
        member = db.session.scalar(
            sa.select(Member).where(
                Member.id == asserted["member"], Member.tenant_id == association_id
            )
        )
        association = db.session.get(Association, association_id)
        if member is None or not services.linkable(member):
            session.pop(ASSERTED, None)
            return redirect(url_for("auth.login"))
        form = ConsentForm()
        if form.validate_on_submit():
            assertion = services.Assertion(
                asserted["provider"], association_id, asserted["subject"], {}
            )
            set_actor(f"sso:{asserted['provider']} {asserted['subject']}")
            user = services.link_member(assertion, member, asserted["ticket"])
            db.session.flush()
            set_actor(principal_for_user(user).audit_label)
            session.pop(ASSERTED, None)
            return signing_in.complete(
                user,
                False,
                lambda: _carried(asserted.get("carry") or {}, asserted["next"]),
                sso=asserted["provider"],
            )
        page = render_template("sso/link.html", form=form, member=member, association=association)
        return page, 400 if form.errors else 200


@bp.get("/<int:association_id>/no-record")
def no_record(association_id: int):
    """No member record matches: the person may apply to join, the form pre-filled."""
    asserted = _asserted_here(association_id)
    if asserted is None:
        return redirect(url_for("auth.login"))
    with use_scope(Scope.association(association_id)):
        association = db.session.get(Association, association_id)
    session[PREFILL] = asserted.get("prefill") or {}
    return render_template("sso/no_record.html", association=association)


def end_session_target() -> str | None:
    """Signing out of a session that came from OIDC: the provider's end-session address,
    with this sign-in's ID token as the hint and the login page to come back to."""
    signed_in_with = session.get(SIGNED_IN_WITH)
    if not isinstance(signed_in_with, dict):
        return None
    federation_id = signed_in_with.get("federation")
    if isinstance(federation_id, int):
        back = url_for("auth.login", _external=True)
        return federation.end_session_url(
            federation_id, str(signed_in_with.get("id_token", "")), back
        )
    association_id = signed_in_with.get("association")
    if not isinstance(association_id, int):
        return None
    with use_scope(Scope.association(association_id)):
        provider = services.provider_of(association_id, enabled_only=False)
        if provider is None or provider.kind != ProviderKind.OIDC:
            return None
        return oidc.end_session_url(
            provider,
            str(signed_in_with.get("id_token", "")),
            url_for("auth.login", _external=True),
        )


def remembered_university() -> int | None:
    value = request.cookies.get(REMEMBERED, "")
    return int(value) if value.isdigit() else None


@bp.app_context_processor
def _sign_out_target() -> dict:
    """A page with the sign-out button, in a session from OIDC: signing out goes on to the
    provider's end-session, which the page's form-action must admit."""
    signed_in_with = session.get(SIGNED_IN_WITH)
    if isinstance(signed_in_with, dict) and isinstance(signed_in_with.get("ends_at"), str):
        allow_form_target(signed_in_with["ends_at"])
    return {}


def login_choices() -> dict:
    """For the login page: the universities to pick from, and the one picked before. The
    picker's form leads to their sign-in addresses, which the page's form-action admits."""
    universities = services.universities()
    for address in services.sign_in_addresses():
        allow_form_target(address)
    remembered = remembered_university()
    picked = next((u for u in universities if u[0] == remembered), None)
    return {
        "universities": universities,
        "picked": picked,
        "federation_sign_ins": federation.federations(),
    }


@bp.get("/pick")
def pick():
    """The login page's search box: the university by its name, then off to its sign-in."""
    name = request.args.get("university", "").strip()
    chosen = next((u for u in services.universities() if u[1] == name), None)
    if chosen is None:
        flash(_("Pick your university from the list."), "error")
        return redirect(url_for("auth.login"))
    return redirect(url_for(".start", association_id=chosen[0], next=request.args.get("next")))


@bp.route("/settings", methods=["GET", "POST"])
@require(Permission.CONFIGURE_SIGN_IN)
def settings():
    """The association admin sets the university's CAS server or OIDC provider."""
    return _settings_page(current_principal().association_id, url_for(".settings"), True)


@bp.route("/associations/<int:association_id>/settings", methods=["GET", "POST"])
@require(Permission.PROVISION)
def settings_for(association_id: int):
    """The platform operator sets an association's university sign-in on its behalf."""
    with use_scope(Scope.association(association_id)):
        if db.session.get(Association, association_id) is None:
            abort(404)
        # The operator sees how many accounts are linked, never whose: member data is the
        # association's own.
        return _settings_page(
            association_id, url_for(".settings_for", association_id=association_id), False
        )


def _settings_data(provider) -> dict:
    oidc_kind = provider.kind == ProviderKind.OIDC
    return {
        "kind": provider.kind,
        "name": provider.name,
        "server_url": "" if oidc_kind else provider.server_url,
        "version": str(provider.cas_version),
        "discovery_url": provider.server_url if oidc_kind else "",
        "client_id": provider.client_id or "",
        "mfa_counts": provider.mfa_counts,
        "mfa_acr_values": provider.mfa_acr_values,
        "match_field": provider.match_field,
        "match_attribute": provider.match_attribute,
        "members_without_password": provider.members_without_password,
    }


def _save(association_id: int, form: ProviderSettingsForm) -> None:
    common = {
        "name": form.name.data,
        "match_field": form.match_field.data,
        "match_attribute": form.match_attribute.data,
        "members_without_password": form.members_without_password.data,
    }
    if form.kind.data == ProviderKind.OIDC:
        oidc.configure_oidc(
            association_id,
            discovery_url=form.discovery_url.data,
            client_id=form.client_id.data,
            client_secret=form.client_secret.data,
            mfa_counts=form.mfa_counts.data,
            mfa_acr_values=form.mfa_acr_values.data or "",
            **common,
        )
    else:
        services.configure_cas(
            association_id, server_url=form.server_url.data, version=int(form.version.data),
            **common,
        )  # fmt: skip


def _settings_page(association_id: int, here: str, show_linked: bool):
    provider = services.provider_of(association_id, enabled_only=False)
    form = ProviderSettingsForm()
    if request.method == "GET" and provider is not None:
        form.process(data=_settings_data(provider))
    if form.validate_on_submit():
        try:
            _save(association_id, form)
        except oidc.MissingSecret as exc:
            form.client_secret.errors.append(str(exc))
        except services.SsoError as exc:
            address = form.discovery_url if form.kind.data == "oidc" else form.server_url
            address.errors.append(str(exc))
        else:
            flash(_("The university sign-in is saved."), "success")
            return redirect(here)
    page = render_template(
        "sso/settings.html",
        form=form,
        provider=provider,
        links=services.link_count(association_id),
        linked=services.links(association_id) if show_linked else [],
        association=db.session.get(Association, association_id),
        redirect_uri=_redirect_uri(association_id),
        post_logout_uri=url_for("auth.login", _external=True),
        backchannel_logout_uri=url_for(
            "sso.oidc_logout", association_id=association_id, _external=True
        ),
    )
    return page, 400 if form.errors else 200


# --- a link, seen and undone -----------------------------------------------------------


def _signed_in_account() -> User:
    principal = current_principal()
    if not principal.is_authenticated or principal.kind != "user":
        abort(401)
    user = db.session.scalar(sa.select(User).where(User.id == principal.id))
    if user is None:
        abort(401)
    return user


def _link_of(user: User) -> SsoLink | FederationSsoLink | None:
    """The account's link: to its association's provider, or to its federation's (read
    under the scope of the account's own level)."""
    if user.federation_id is not None:
        with use_scope(Scope.federation(user.federation_id)):
            return federation.link_of(user)
    if user.association_id is not None:
        with use_scope(Scope.association(user.association_id)):
            return services.link_of(user)
    return None


def _provider_name(user: User) -> str | None:
    if user.federation_id is not None:
        with use_scope(Scope.federation(user.federation_id)):
            provider = federation.provider_of(user.federation_id, enabled_only=False)
    else:
        provider = services.provider_of(user.association_id, enabled_only=False)
    return provider.name if provider else None


def _unlink(user: User, link, by_holder: bool) -> None:
    if isinstance(link, FederationSsoLink):
        with use_scope(Scope.federation(user.federation_id)):
            federation.unlink(user, link, by_holder)
            db.session.flush()
    else:
        with use_scope(Scope.association(user.association_id)):
            services.unlink(user, link, by_holder)
            db.session.flush()


@bp.get("/account")
def account():
    """Whether the signed-in account is linked to a university's (or federation's) sign-in."""
    user = _signed_in_account()
    link = _link_of(user)
    return render_template(
        "sso/account.html",
        link=link,
        provider_name=_provider_name(user) if link else None,
        form=UnlinkForm(),
    )


@bp.post("/account/unlink")
def unlink_own():
    """The holder unlinks their account, once they confirm; they are signed out."""
    user = _signed_in_account()
    link = _link_of(user)
    if link is None:
        flash(_("Your account is not linked to a sign-in of a university or federation."), "info")
        return redirect(url_for(".account"))
    form = UnlinkForm()
    if not form.validate_on_submit():
        page = render_template(
            "sso/account.html", link=link, provider_name=_provider_name(user), form=form
        )
        return page, 400
    _unlink(user, link, by_holder=True)
    logout_user()
    session.clear()
    flash(
        _(
            "Your account is unlinked and you are signed out. Signing in with the"
            " university's account again asks you to link it again."
        ),
        "success",
    )
    return redirect(url_for("auth.login"))


@bp.post("/accounts/<int:user_id>/unlink")
@require(Permission.MANAGE_USERS)
def unlink_account(user_id: int):
    """An administrator unlinks an account they manage (the association admin a member's,
    the operator a federation officer's); the account's sessions end."""
    user = accounts.access_user(current_principal(), user_id)
    if user is None:
        abort(404)
    link = _link_of(user)
    if link is None:
        flash(_("This account is not linked to a sign-in of a university or federation."), "info")
    elif request.form.get("confirm") != "y":
        flash(_("Tick the box to unlink the accounts."), "error")
    else:
        _unlink(user, link, by_holder=False)
        flash(_("The account is unlinked; its sessions are ended."), "success")
    if user.federation_id is not None:
        return redirect(url_for("sso_federation.settings_for", federation_id=user.federation_id))
    return redirect(url_for(".settings"))
