"""The pages of a sign-in through a provider, one set for both kinds of owner: an
association's university provider (views.py: blueprint `sso`, /sso/<association_id>/...)
and a federation's own (federation_views.py: blueprint `sso_federation`,
/sso/federation/<federation_id>/...). What differs between the two is their `Owner`: the
scope the provider is read under, its lookups, the session keys a sign-in is kept under,
what follows once the provider has vouched for the person, and the settings.

Every step is bound to the owner in the URL and to the sign-in started in this session,
under the owner's own session keys: a sign-in started for an association (or another
federation) is nothing for a federation, and the other way round. The provider is always
read under the owner's scope, never from the request."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from service.audit.services import set_actor
from service.auth import second_factor, signing_in
from service.auth.models import User
from service.auth.principal import current_principal, require
from service.auth.roles import Permission
from service.auth.signing_in import safe_next
from service.extensions import csrf
from service.sso import oidc, services
from service.sso.models import ProviderKind
from tenants.db import db
from tenants.scope import Scope, use_scope

# In a session signed in through OIDC: the owner and the ID token, for end-session.
SIGNED_IN_WITH = "sso_signed_in_with"
PENDING_SECONDS = 600
REMEMBERED = "university"  # cookie: the university picked on this device


@dataclass(frozen=True)
class Owner:
    """Whose provider a set of sign-in pages serves, and all the pages do differently for
    it. The URL's id is `<kind>_id`; the sign-in records in the session name the owner by
    `kind`."""

    blueprint: str  # "sso", "sso_federation": the endpoints' prefix
    kind: str  # "association", "federation"
    scope: Callable[[int], Scope]
    provider_of: Callable[..., Any]  # (owner id, enabled_only=True) -> provider or None
    single_logout: Callable[[int, str], object]  # (owner id, ticket)
    backchannel_logout: Callable[[Any, str | None, str | None], object]  # (provider, sub, sid)
    # Once the provider vouched: (provider, assertion, handle, started, mfa, carry) -> page.
    vouched: Callable[..., ResponseReturnValue]
    record: type  # Association, Federation: whose settings a page shows
    settings_permission: Permission
    settings_for_rule: str  # the operator's settings page for one owner
    settings_form: type[FlaskForm]
    save: Callable[[int, FlaskForm], None]
    # The settings page's own part: (owner id, by the operator) -> template context.
    settings_context: Callable[[int, bool], dict]
    title: object  # lazy strings: the settings page's title, its explanation, its flash
    hint: object
    saved: object
    remembers_choice: bool = False  # the device keeps the owner picked (the REMEMBERED cookie)

    @property
    def key(self) -> str:
        return f"{self.kind}_id"

    @property
    def started_key(self) -> str:
        """The session key of a sign-in started here: the owner and where to go after."""
        return f"{self.blueprint}_started"

    @property
    def asserted_key(self) -> str:
        """The session key of who the provider said signed in, until linked."""
        return f"{self.blueprint}_asserted"

    @property
    def sign_in_detail(self) -> str:
        """The provider's name in the audit record of the sign-in."""
        return self.blueprint

    def url(self, endpoint: str, owner_id: int, **values: Any) -> str:
        return url_for(f"{self.blueprint}.{endpoint}", **{self.key: owner_id}, **values)


PUBLIC = "public"
# Posted by the provider, server to server, never from a page: the ticket or the signed
# token is the credential, so no CSRF token is asked for.
SERVER_TO_SERVER = "server to server"


def register(bp: Blueprint, owner: Owner) -> None:
    """The shared pages on the owner's blueprint, under the owner's endpoint names, each
    with who may call it: anyone (the sign-in itself), the provider's server, or a role."""
    at = f"/<int:{owner.key}>"
    for rule, view, methods, who in (
        (f"{at}/login", start, ["GET"], PUBLIC),
        (f"{at}/cas", cas_return, ["GET"], PUBLIC),
        (f"{at}/oidc", oidc_return, ["GET"], PUBLIC),
        (f"{at}/cas", cas_logout, ["POST"], SERVER_TO_SERVER),
        (f"{at}/oidc/logout", oidc_logout, ["POST"], SERVER_TO_SERVER),
        ("/settings", settings, ["GET", "POST"], owner.settings_permission),
        (owner.settings_for_rule, settings_for, ["GET", "POST"], Permission.PROVISION),
    ):
        endpoint = _bound(owner, view)
        if who == SERVER_TO_SERVER:
            endpoint = csrf.exempt(endpoint)
        elif isinstance(who, Permission):
            endpoint = require(who)(endpoint)
        bp.add_url_rule(rule, view.__name__, endpoint, methods=methods)


def _bound(owner: Owner, view: Callable) -> Callable:
    """`view` for this owner, taking the owner's id from the URL. Named for the owner too,
    so that a mark on one owner's page (the CSRF exemption, by module and name) is not one
    on the other's."""

    def endpoint(**values: int) -> ResponseReturnValue:
        return view(owner, *values.values())

    endpoint.__name__ = endpoint.__qualname__ = f"{owner.blueprint}_{view.__name__}"
    endpoint.__doc__ = view.__doc__
    return endpoint


def service_url(owner: Owner, owner_id: int) -> str:
    """Made here, never taken from the request: the ticket is bound to it."""
    return owner.url("cas_return", owner_id, _external=True)


def redirect_uri(owner: Owner, owner_id: int) -> str:
    """The OIDC redirect URI, made here like the CAS service URL; the owner registers it
    with its provider."""
    return owner.url("oidc_return", owner_id, _external=True)


def start(owner: Owner, owner_id: int):
    pending: dict = {}
    with use_scope(owner.scope(owner_id)):
        provider = owner.provider_of(owner_id)
        if provider is None:
            abort(404)
        if provider.kind == ProviderKind.OIDC:
            try:
                target, pending = oidc.begin(provider, redirect_uri(owner, owner_id))
            except services.SsoError as refusal:
                return render_template("sso/refused.html", refusal=str(refusal)), 503
        else:
            target = services.login_url(provider, service_url(owner, owner_id))
    session[owner.started_key] = {
        owner.kind: owner_id,
        "next": safe_next(request.args.get("next")),
        "until": int(time.time()) + PENDING_SECONDS,
        **pending,
    }
    response = redirect(target)
    if owner.remembers_choice:
        response.set_cookie(
            REMEMBERED,
            str(owner_id),
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
    return response


def pending(owner: Owner, key: str, owner_id: int) -> dict | None:
    """The sign-in kept in the session under `key`, if it is for this owner and not yet
    expired; None otherwise (another owner's, a forged link, a stale one)."""
    kept = session.get(key)
    if (
        not isinstance(kept, dict)
        or kept.get(owner.kind) != owner_id
        or kept.get("until", 0) < time.time()
    ):
        return None
    return kept


def cas_return(owner: Owner, owner_id: int):
    started = pending(owner, owner.started_key, owner_id)
    ticket = request.args.get("ticket", "")
    if started is None or not ticket:
        # Not started here (another owner's page, a forged link): start again.
        return redirect(url_for("auth.login"))
    session.pop(owner.started_key, None)  # a sign-in started is good for one return only
    with use_scope(owner.scope(owner_id)):
        provider = owner.provider_of(owner_id)
        if provider is None or provider.kind != ProviderKind.CAS:
            abort(404)
        try:
            assertion = services.validate(provider, service_url(owner, owner_id), ticket)
        except services.SsoError as refusal:
            return render_template("sso/refused.html", refusal=str(refusal)), 403
        return owner.vouched(provider, assertion, ticket, started)


def oidc_return(owner: Owner, owner_id: int):
    """The OpenID Connect provider sends the browser back here with a code and the state."""
    started = pending(owner, owner.started_key, owner_id)
    if started is None or "state" not in started:
        # Not started here (another owner's page, a forged link): start again.
        return redirect(url_for("auth.login"))
    session.pop(owner.started_key, None)  # a state is good for one return only
    with use_scope(owner.scope(owner_id)):
        provider = owner.provider_of(owner_id)
        if provider is None or provider.kind != ProviderKind.OIDC:
            abort(404)
        try:
            signed = oidc.finish(
                provider, redirect_uri(owner, owner_id), started, request.args.to_dict()
            )
        except services.SsoError as refusal:
            return render_template("sso/refused.html", refusal=str(refusal)), 403
        farewell = {
            SIGNED_IN_WITH: {
                owner.kind: owner_id,
                "id_token": signed.id_token,
                "ends_at": oidc.end_session_origin(provider),
            }
        }
        handle = str(signed.claims.get("sid") or signed.claims.get("jti") or signed.id_token)
        return owner.vouched(
            provider, signed.assertion, handle, started, mfa=signed.mfa, carry=farewell
        )


def sign_in(owner: Owner, user: User, target: str, provider_id: int, mfa: bool, carry: dict):
    """A privileged account is asked for its second factor, unless the provider asserted
    MFA and the owner counts it. `carry` goes into the signed-in session."""
    if second_factor.asked_at_sign_in(user) and not mfa:
        enrol = not second_factor.is_enrolled(user)
        return signing_in.hold(user, False, target, enrol, carry=carry)
    details = {owner.sign_in_detail: provider_id}
    if mfa and second_factor.asked_at_sign_in(user):
        details["second_factor"] = "provider"
    return signing_in.complete(user, False, lambda: carried(carry, target), **details)


def carried(carry: dict, target: str):
    session.update(carry)
    return redirect(target)


def cas_logout(owner: Owner, owner_id: int):
    """CAS single logout: the owner's server says a sign-in ended."""
    ticket = services.session_index(request.form.get("logoutRequest", ""))
    if not ticket:
        return "", 400
    set_actor(f"sso:single-logout {owner.kind} {owner_id}")
    with use_scope(owner.scope(owner_id)):
        provider = owner.provider_of(owner_id, enabled_only=False)
        if provider is None or provider.kind != ProviderKind.CAS:
            return "", 404
        owner.single_logout(owner_id, ticket)
    return "", 200


def oidc_logout(owner: Owner, owner_id: int):
    """OpenID Connect back-channel logout: the owner's provider posts a logout token when a
    sign-in there ended, and the linked account's sessions end here."""
    token = request.form.get("logout_token", "")
    set_actor(f"sso:back-channel logout {owner.kind} {owner_id}")
    with use_scope(owner.scope(owner_id)):
        provider = owner.provider_of(owner_id, enabled_only=False)
        if provider is None or provider.kind != ProviderKind.OIDC:
            return no_store({"error": "invalid_request"}, 404)
        try:
            ended = oidc.logout_token(provider, token)
        except services.SsoError as refusal:
            return no_store({"error": "invalid_request", "error_description": str(refusal)}, 400)
        owner.backchannel_logout(provider, ended.subject, ended.sid)
    return no_store({}, 200)


def no_store(body: dict, status: int):
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


# --- settings --------------------------------------------------------------------------


def settings(owner: Owner):
    """The owner's own administrator sets its CAS server or OIDC provider."""
    owner_id = getattr(current_principal(), owner.key)
    return _settings_page(owner, owner_id, url_for(f"{owner.blueprint}.settings"), False)


def settings_for(owner: Owner, owner_id: int):
    """The platform operator sets an owner's sign-in on its behalf."""
    with use_scope(owner.scope(owner_id)):
        if db.session.get(owner.record, owner_id) is None:
            abort(404)
        return _settings_page(owner, owner_id, owner.url("settings_for", owner_id), True)


# Settings shown in the form as the provider keeps them, where the owner's form has them.
KEPT_AS_THEY_ARE = (
    "name",
    "mfa_counts",
    "mfa_acr_values",
    "match_field",
    "match_attribute",
    "members_without_password",
)


def _settings_data(provider, form: FlaskForm) -> dict:
    oidc_kind = provider.kind == ProviderKind.OIDC
    return {
        "kind": provider.kind,
        "server_url": "" if oidc_kind else provider.server_url,
        "version": str(provider.cas_version),
        "discovery_url": provider.server_url if oidc_kind else "",
        "client_id": provider.client_id or "",
        **{name: getattr(provider, name) for name in KEPT_AS_THEY_ARE if name in form},
    }


def _settings_page(owner: Owner, owner_id: int, here: str, by_operator: bool):
    provider = owner.provider_of(owner_id, enabled_only=False)
    form = owner.settings_form()
    if request.method == "GET" and provider is not None:
        form.process(data=_settings_data(provider, form))
    if form.validate_on_submit():
        try:
            owner.save(owner_id, form)
        except oidc.MissingSecret as exc:
            form.client_secret.errors.append(str(exc))
        except services.SsoError as exc:
            address = form.discovery_url if form.kind.data == "oidc" else form.server_url
            address.errors.append(str(exc))
        else:
            flash(str(owner.saved), "success")
            return redirect(here)
    page = render_template(
        "sso/settings.html",
        form=form,
        provider=provider,
        title=owner.title,
        hint=owner.hint,
        holder=db.session.get(owner.record, owner_id),
        redirect_uri=redirect_uri(owner, owner_id),
        post_logout_uri=url_for("auth.login", _external=True),
        backchannel_logout_uri=owner.url("oidc_logout", owner_id, _external=True),
        **owner.settings_context(owner_id, by_operator),
    )
    return page, 400 if form.errors else 200
