"""Signing in with the university's account: off to the association's CAS server or OpenID
Connect provider, back with a ticket or a code, then into the linked account, or to linking
(with consent) or to applying. The steps both owners of a provider share (start, return,
logout, settings) are in sign_in_views.py, for the association as `ASSOCIATION`; what is
the association's own (matching a member record, linking it, applying) is here, with the
account's link seen and undone and the login page's choices."""

from __future__ import annotations

import time

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import logout_user

from service.audit.services import set_actor
from service.auth import services as accounts
from service.auth import signing_in
from service.auth.models import User
from service.auth.principal import current_principal, principal_for_user, require
from service.auth.roles import Permission
from service.i18n import gettext as _
from service.i18n import lazy_gettext as _l
from service.members import services as members
from service.members.public import PREFILL
from service.security import allow_form_target
from service.sso import federation, oidc, services
from service.sso.forms import ConsentForm, ProviderSettingsForm, UnlinkForm
from service.sso.models import FederationSsoLink, ProviderKind, SsoLink
from service.sso.sign_in_views import (
    PENDING_SECONDS,
    REMEMBERED,
    SIGNED_IN_WITH,
    Owner,
    carried,
    pending,
    register,
    sign_in,
)
from tenants.db import db
from tenants.models import Association
from tenants.scope import Scope, use_scope

bp = Blueprint("sso", __name__, url_prefix="/sso")


def _vouched(
    provider, assertion, handle: str, started: dict, mfa: bool = False, carry: dict | None = None
):
    """Into the linked account, or on to linking (a record matches) or to applying."""
    association_id = provider.tenant_id
    user = services.linked_user(assertion, handle)
    if user is not None:
        return sign_in(ASSOCIATION, user, started["next"], provider.id, mfa, carry or {})
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


def _settings_context(association_id: int, by_operator: bool) -> dict:
    # The operator sees how many accounts are linked, never whose: member data is the
    # association's own.
    return {
        "links": services.link_count(association_id),
        "linked": [] if by_operator else services.links(association_id),
    }


ASSOCIATION = Owner(
    blueprint="sso",
    kind="association",
    scope=Scope.association,
    provider_of=services.provider_of,
    single_logout=services.single_logout,
    backchannel_logout=services.backchannel_logout,
    vouched=_vouched,
    record=Association,
    settings_permission=Permission.CONFIGURE_SIGN_IN,
    settings_for_rule="/associations/<int:association_id>/settings",
    settings_form=ProviderSettingsForm,
    save=_save,
    settings_context=_settings_context,
    title=_l("University sign-in"),
    hint=_l(
        "Members sign in with the university's unified identity account (统一身份认证)"
        " through its CAS server or its OpenID Connect provider. At the first sign-in a"
        " member record is found by the attribute chosen here, and linked with the person's"
        " consent; without a match, the person may only apply to join. Roles above member"
        " are never taken from the university: grant them on the users page."
    ),
    saved=_l("The university sign-in is saved."),
    remembers_choice=True,
)
register(bp, ASSOCIATION)
STARTED, ASSERTED = ASSOCIATION.started_key, ASSOCIATION.asserted_key


def _asserted_here(association_id: int) -> dict | None:
    return pending(ASSOCIATION, ASSERTED, association_id)


@bp.route("/<int:association_id>/link", methods=["GET", "POST"])
def link(association_id: int):
    """The record found for the university account, and the person's consent to link it."""
    asserted = _asserted_here(association_id)
    if asserted is None or asserted.get("member") is None:
        return redirect(url_for("auth.login"))
    with use_scope(Scope.association(association_id)):
        member = members.member_or_none(asserted["member"])
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
                lambda: carried(asserted.get("carry") or {}, asserted["next"]),
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


# --- a link, seen and undone -----------------------------------------------------------


def _signed_in_account() -> User:
    principal = current_principal()
    if not principal.is_authenticated or principal.kind != "user":
        abort(401)
    user = accounts.account_of(principal)
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
