"""Signing in with a federation's own account (its officers and education supervisors): off
to the federation's CAS server or OpenID Connect provider, back into the linked account, or
to confirming the link of an existing account found by its e-mail address. No account is
ever made here, and no role is given.

Every step is bound to the federation in the URL and to the sign-in started in this
session, under their own session keys: a sign-in started for an association (or another
federation) is nothing here."""

from __future__ import annotations

import time

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from service.audit.services import set_actor
from service.auth import second_factor, signing_in
from service.auth.models import User
from service.auth.principal import current_principal, principal_for_user, require
from service.auth.roles import Permission
from service.auth.views import safe_next
from service.extensions import csrf
from service.sso import federation, oidc, services
from service.sso.forms import FederationConfirmForm, FederationProviderForm
from service.sso.models import ProviderKind
from service.sso.views import PENDING_SECONDS, SIGNED_IN_WITH, no_store
from tenants.db import db
from tenants.models import Federation
from tenants.scope import Scope, use_scope

bp = Blueprint("sso_federation", __name__, url_prefix="/sso/federation")

STARTED = "sso_federation_started"
ASSERTED = "sso_federation_asserted"


def _service_url(federation_id: int) -> str:
    """Made here, never taken from the request: the ticket is bound to it."""
    return url_for("sso_federation.cas_return", federation_id=federation_id, _external=True)


def _redirect_uri(federation_id: int) -> str:
    return url_for("sso_federation.oidc_return", federation_id=federation_id, _external=True)


@bp.get("/<int:federation_id>/login")
def start(federation_id: int):
    pending: dict = {}
    with use_scope(Scope.federation(federation_id)):
        provider = federation.provider_of(federation_id)
        if provider is None:
            abort(404)
        if provider.kind == ProviderKind.OIDC:
            try:
                target, pending = oidc.begin(provider, _redirect_uri(federation_id))
            except services.SsoError as refusal:
                return render_template("sso/refused.html", refusal=str(refusal)), 503
        else:
            target = services.login_url(provider, _service_url(federation_id))
    session[STARTED] = {
        "federation": federation_id,
        "next": safe_next(request.args.get("next")),
        "until": int(time.time()) + PENDING_SECONDS,
        **pending,
    }
    return redirect(target)


def _started_here(federation_id: int) -> dict | None:
    started = session.get(STARTED)
    if (
        not isinstance(started, dict)
        or started.get("federation") != federation_id
        or started.get("until", 0) < time.time()
    ):
        return None
    return started


@bp.get("/<int:federation_id>/cas")
def cas_return(federation_id: int):
    started = _started_here(federation_id)
    ticket = request.args.get("ticket", "")
    if started is None or not ticket:
        return redirect(url_for("auth.login"))
    session.pop(STARTED, None)
    with use_scope(Scope.federation(federation_id)):
        provider = federation.provider_of(federation_id)
        if provider is None or provider.kind != ProviderKind.CAS:
            abort(404)
        try:
            assertion = services.validate(provider, _service_url(federation_id), ticket)
        except services.SsoError as refusal:
            return render_template("sso/refused.html", refusal=str(refusal)), 403
        return _signed_in_at_provider(provider, assertion, ticket, started)


@bp.get("/<int:federation_id>/oidc")
def oidc_return(federation_id: int):
    """The federation's OpenID Connect provider sends the browser back here."""
    started = _started_here(federation_id)
    if started is None or "state" not in started:
        return redirect(url_for("auth.login"))
    session.pop(STARTED, None)  # a state is good for one return only
    with use_scope(Scope.federation(federation_id)):
        provider = federation.provider_of(federation_id)
        if provider is None or provider.kind != ProviderKind.OIDC:
            abort(404)
        try:
            signed = oidc.finish(
                provider, _redirect_uri(federation_id), started, request.args.to_dict()
            )
        except services.SsoError as refusal:
            return render_template("sso/refused.html", refusal=str(refusal)), 403
        farewell = {
            SIGNED_IN_WITH: {
                "federation": federation_id,
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
    """Into the linked account, or on to confirming the link of the matching account; with
    no matching account, nothing."""
    federation_id = provider.federation_id
    user = federation.linked_user(provider, assertion, handle)
    if user is not None:
        return _sign_in(user, started["next"], provider.id, mfa, carry or {})
    account = federation.matching_account(provider, assertion)
    if account is None:
        refusal = _(
            "No account of this federation has the e-mail address your sign-in carries. An"
            " account is made by the platform operator; ask them, then sign in again."
        )
        return render_template("sso/refused.html", refusal=refusal), 403
    session[ASSERTED] = {
        "federation": federation_id,
        "provider": provider.id,
        "subject": assertion.subject,
        "attributes": {provider.match_attribute: assertion.attribute(provider.match_attribute)},
        "user": account.id,
        "ticket": services.ticket_hash(handle),
        "mfa": mfa,
        "next": started["next"],
        "until": int(time.time()) + PENDING_SECONDS,
        "carry": carry or {},
    }
    return redirect(url_for(".link", federation_id=federation_id))


def _sign_in(user: User, target: str, provider_id: int, mfa: bool, carry: dict):
    """The second factor is asked of these privileged accounts, unless the provider
    asserted MFA and the federation counts it."""
    if second_factor.asked_at_sign_in(user) and not mfa:
        enrol = not second_factor.is_enrolled(user)
        return signing_in.hold(user, False, target, enrol, carry=carry)
    details = {"sso_federation": provider_id}
    if mfa and second_factor.asked_at_sign_in(user):
        details["second_factor"] = "provider"
    return signing_in.complete(user, False, lambda: _carried(carry, target), **details)


def _carried(carry: dict, target: str):
    session.update(carry)
    return redirect(target)


def _asserted_here(federation_id: int) -> dict | None:
    asserted = session.get(ASSERTED)
    if (
        not isinstance(asserted, dict)
        or asserted.get("federation") != federation_id
        or asserted.get("until", 0) < time.time()
    ):
        return None
    return asserted


@bp.route("/<int:federation_id>/link", methods=["GET", "POST"])
def link(federation_id: int):
    """The existing account found for the federation's sign-in, and the person's
    confirmation that it is theirs."""
    asserted = _asserted_here(federation_id)
    if asserted is None:
        return redirect(url_for("auth.login"))
    with use_scope(Scope.federation(federation_id)):
        provider = federation.provider_of(federation_id)
        user = db.session.scalar(
            sa.select(User).where(User.id == asserted["user"], User.federation_id == federation_id)
        )
        if provider is None or provider.id != asserted["provider"] or user is None:
            session.pop(ASSERTED, None)
            return redirect(url_for("auth.login"))
        form = FederationConfirmForm()
        if form.validate_on_submit():
            assertion = services.assertion_of(
                provider, asserted["subject"], asserted.get("attributes") or {}
            )
            set_actor(f"sso-federation:{provider.id} {asserted['subject']}")
            try:
                user = federation.link_account(provider, assertion, user.id, asserted["ticket"])
            except services.SsoError as refusal:
                session.pop(ASSERTED, None)
                return render_template("sso/refused.html", refusal=str(refusal)), 409
            db.session.flush()
            set_actor(principal_for_user(user).audit_label)
            session.pop(ASSERTED, None)
            return _sign_in(
                user, asserted["next"], provider.id, bool(asserted.get("mfa")),
                asserted.get("carry") or {},
            )  # fmt: skip
        page = render_template(
            "sso/federation_link.html",
            form=form,
            account=user,
            federation=db.session.get(Federation, federation_id),
            provider=provider,
        )
        return page, 400 if form.errors else 200


@bp.post("/<int:federation_id>/cas")
@csrf.exempt  # the CAS server posts here, server to server; the ticket is the credential
def cas_logout(federation_id: int):
    """CAS single logout: the federation's server says a sign-in ended."""
    ticket = services.session_index(request.form.get("logoutRequest", ""))
    if not ticket:
        return "", 400
    set_actor(f"sso:single-logout federation {federation_id}")
    with use_scope(Scope.federation(federation_id)):
        provider = federation.provider_of(federation_id, enabled_only=False)
        if provider is None or provider.kind != ProviderKind.CAS:
            return "", 404
        federation.single_logout(federation_id, ticket)
    return "", 200


@bp.post("/<int:federation_id>/oidc/logout")
@csrf.exempt  # the provider posts here, server to server; the signed logout token is the proof
def oidc_logout(federation_id: int):
    """OpenID Connect back-channel logout: the federation's provider says a sign-in ended."""
    token = request.form.get("logout_token", "")
    set_actor(f"sso:back-channel logout federation {federation_id}")
    with use_scope(Scope.federation(federation_id)):
        provider = federation.provider_of(federation_id, enabled_only=False)
        if provider is None or provider.kind != ProviderKind.OIDC:
            return no_store({"error": "invalid_request"}, 404)
        try:
            ended = oidc.logout_token(provider, token)
        except services.SsoError as refusal:
            return no_store({"error": "invalid_request", "error_description": str(refusal)}, 400)
        federation.backchannel_logout(provider, ended.subject, ended.sid)
    return no_store({}, 200)


# --- settings --------------------------------------------------------------------------


@bp.route("/settings", methods=["GET", "POST"])
@require(Permission.MANAGE_FEDERATION)
def settings():
    """The federation officer sets the federation's own CAS server or OIDC provider."""
    federation_id = current_principal().federation_id
    return _settings_page(federation_id, url_for(".settings"))


@bp.route("/<int:federation_id>/settings", methods=["GET", "POST"])
@require(Permission.PROVISION)
def settings_for(federation_id: int):
    """The platform operator sets a federation's sign-in on its behalf."""
    with use_scope(Scope.federation(federation_id)):
        if db.session.get(Federation, federation_id) is None:
            abort(404)
        return _settings_page(federation_id, url_for(".settings_for", federation_id=federation_id))


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
        "match_attribute": provider.match_attribute,
    }


def _settings_page(federation_id: int, here: str):
    provider = federation.provider_of(federation_id, enabled_only=False)
    form = FederationProviderForm()
    if request.method == "GET" and provider is not None:
        form.process(data=_settings_data(provider))
    if form.validate_on_submit():
        try:
            federation.configure(
                federation_id,
                kind=form.kind.data,
                name=form.name.data,
                server_url=form.server_url.data or "",
                version=int(form.version.data),
                discovery_url=form.discovery_url.data or "",
                client_id=form.client_id.data or "",
                client_secret=form.client_secret.data,
                mfa_counts=form.mfa_counts.data,
                mfa_acr_values=form.mfa_acr_values.data or "",
                match_attribute=form.match_attribute.data,
            )
        except oidc.MissingSecret as exc:
            form.client_secret.errors.append(str(exc))
        except services.SsoError as exc:
            address = form.discovery_url if form.kind.data == "oidc" else form.server_url
            address.errors.append(str(exc))
        else:
            flash(_("The federation's sign-in is saved."), "success")
            return redirect(here)
    page = render_template(
        "sso/federation_settings.html",
        form=form,
        provider=provider,
        linked=federation.links(federation_id),
        federation=db.session.get(Federation, federation_id),
        login_url=url_for(".start", federation_id=federation_id, _external=True),
        service_url=_service_url(federation_id),
        redirect_uri=_redirect_uri(federation_id),
        post_logout_uri=url_for("auth.login", _external=True),
        backchannel_logout_uri=url_for(
            "sso_federation.oidc_logout", federation_id=federation_id, _external=True
        ),
    )
    return page, 400 if form.errors else 200
