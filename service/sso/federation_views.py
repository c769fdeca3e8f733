"""Signing in with a federation's own account (its officers and education supervisors): off
to the federation's CAS server or OpenID Connect provider, back into the linked account, or
to confirming the link of an existing account found by its e-mail address. No account is
ever made here, and no role is given.

Every step is bound to the federation in the URL and to the sign-in started in this
session, under their own session keys: a sign-in started for an association (or another
federation) is nothing here. The steps shared with the associations' sign-in (start,
return, logout, settings) are in sign_in_views.py, for the federation as `FEDERATION`; the
matching and confirming of an account is here."""

from __future__ import annotations

import time

from flask import Blueprint, redirect, render_template, session, url_for

from service.audit.services import set_actor
from service.auth.principal import principal_for_user
from service.auth.roles import Permission
from service.i18n import gettext as _
from service.i18n import lazy_gettext as _l
from service.sso import federation, services
from service.sso.forms import FederationConfirmForm, FederationProviderForm
from service.sso.sign_in_views import (
    PENDING_SECONDS,
    Owner,
    pending,
    register,
    service_url,
    sign_in,
)
from tenants.db import db
from tenants.models import Federation
from tenants.scope import Scope, use_scope

bp = Blueprint("sso_federation", __name__, url_prefix="/sso/federation")


def _vouched(
    provider, assertion, handle: str, started: dict, mfa: bool = False, carry: dict | None = None
):
    """Into the linked account, or on to confirming the link of the matching account; with
    no matching account, nothing."""
    federation_id = provider.federation_id
    user = federation.linked_user(provider, assertion, handle)
    if user is not None:
        return sign_in(FEDERATION, user, started["next"], provider.id, mfa, carry or {})
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


def _save(federation_id: int, form: FederationProviderForm) -> None:
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


def _settings_context(federation_id: int, _by_operator: bool) -> dict:
    """The addresses the federation gives its staff and its CAS server, and the accounts
    linked (federation accounts: the operator manages them too)."""
    return {
        "linked": federation.links(federation_id),
        "login_url": FEDERATION.url("start", federation_id, _external=True),
        "service_url": service_url(FEDERATION, federation_id),
    }


FEDERATION = Owner(
    blueprint="sso_federation",
    kind="federation",
    scope=Scope.federation,
    provider_of=federation.provider_of,
    single_logout=federation.single_logout,
    backchannel_logout=federation.backchannel_logout,
    vouched=_vouched,
    record=Federation,
    settings_permission=Permission.MANAGE_FEDERATION,
    settings_for_rule="/<int:federation_id>/settings",
    settings_form=FederationProviderForm,
    save=_save,
    settings_context=_settings_context,
    title=_l("Federation sign-in"),
    hint=_l(
        "The federation's officers and education supervisors may sign in through the"
        " federation's own CAS server or OpenID Connect provider. It never makes an account"
        " and never grants a role: at the first sign-in, an existing account of this"
        " federation is found by its e-mail address and linked once its holder confirms."
    ),
    saved=_l("The federation's sign-in is saved."),
)
register(bp, FEDERATION)
ASSERTED = FEDERATION.asserted_key


def _asserted_here(federation_id: int) -> dict | None:
    return pending(FEDERATION, ASSERTED, federation_id)


@bp.route("/<int:federation_id>/link", methods=["GET", "POST"])
def link(federation_id: int):
    """The existing account found for the federation's sign-in, and the person's
    confirmation that it is theirs."""
    asserted = _asserted_here(federation_id)
    if asserted is None:
        return redirect(url_for("auth.login"))
    with use_scope(Scope.federation(federation_id)):
        provider = federation.provider_of(federation_id)
        user = federation.account_in(federation_id, asserted["user"])
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
            return sign_in(
                FEDERATION, user, asserted["next"], provider.id, bool(asserted.get("mfa")),
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
