"""Signing in with the university's account: off to the association's CAS server, back with
a ticket, then into the linked account, or to linking (with consent) or to applying."""

from __future__ import annotations

import time

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from service.audit.services import set_actor
from service.auth import second_factor, signing_in
from service.auth.principal import current_principal, principal_for_user, require
from service.auth.roles import Permission
from service.auth.views import safe_next
from service.extensions import csrf
from service.members.models import Member
from service.members.public import PREFILL
from service.sso import services
from service.sso.forms import CasSettingsForm, ConsentForm
from tenants.db import db
from tenants.models import Association
from tenants.scope import Scope, use_scope

bp = Blueprint("sso", __name__, url_prefix="/sso")

STARTED = "sso_started"  # the association a sign-in was started for, and where to go after
ASSERTED = "sso_asserted"  # who the provider said signed in, until linked
REMEMBERED = "university"  # cookie: the university picked on this device
PENDING_SECONDS = 600


def _service_url(association_id: int) -> str:
    """Made here, never taken from the request: the ticket is bound to it."""
    return url_for("sso.cas_return", association_id=association_id, _external=True)


@bp.get("/<int:association_id>/login")
def start(association_id: int):
    with use_scope(Scope.association(association_id)):
        provider = services.provider_of(association_id)
        if provider is None:
            abort(404)
        target = services.login_url(provider, _service_url(association_id))
    session[STARTED] = {
        "association": association_id,
        "next": safe_next(request.args.get("next")),
        "until": int(time.time()) + PENDING_SECONDS,
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
        if provider is None:
            abort(404)
        try:
            assertion = services.validate(provider, _service_url(association_id), ticket)
        except services.SsoError as refusal:
            return render_template("sso/refused.html", refusal=str(refusal)), 403
        user = services.linked_user(assertion, ticket)
        if user is not None:
            return _sign_in(user, started["next"], provider.id)
        member = services.matching_member(provider, assertion)
        session.pop(STARTED, None)
        session[ASSERTED] = {
            "association": association_id,
            "provider": provider.id,
            "subject": assertion.subject,
            "member": member.id if member else None,
            "prefill": services.prefill(assertion),
            "ticket": services.ticket_hash(ticket),
            "next": started["next"],
            "until": int(time.time()) + PENDING_SECONDS,
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
        if services.single_logout(association_id, ticket) is not None:
            db.session.commit()
    return "", 200


def _sign_in(user, target: str, provider_id: int):
    if second_factor.asked_at_sign_in(user):
        return signing_in.hold(user, False, target, not second_factor.is_enrolled(user))
    return signing_in.complete(user, False, lambda: redirect(target), sso=provider_id)


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
        if member is None or member.user_id is not None:
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
                user, False, lambda: redirect(asserted["next"]), sso=asserted["provider"]
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


def remembered_university() -> int | None:
    value = request.cookies.get(REMEMBERED, "")
    return int(value) if value.isdigit() else None


def login_choices() -> dict:
    """For the login page: the universities to pick from, and the one picked before."""
    universities = services.universities()
    remembered = remembered_university()
    picked = next((u for u in universities if u[0] == remembered), None)
    return {"universities": universities, "picked": picked}


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
    """The association admin sets the university's CAS server for the members."""
    association_id = current_principal().association_id
    provider = services.provider_of(association_id, enabled_only=False)
    form = CasSettingsForm(obj=None)
    if request.method == "GET" and provider is not None:
        form.process(
            data={
                "name": provider.name,
                "server_url": provider.server_url,
                "version": str(provider.cas_version),
                "match_field": provider.match_field,
                "match_attribute": provider.match_attribute,
                "members_without_password": provider.members_without_password,
            }
        )
    if form.validate_on_submit():
        try:
            services.configure_cas(
                association_id,
                name=form.name.data,
                server_url=form.server_url.data,
                version=int(form.version.data),
                match_field=form.match_field.data,
                match_attribute=form.match_attribute.data,
                members_without_password=form.members_without_password.data,
            )
        except services.SsoError as exc:
            form.server_url.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("The university sign-in is saved."), "success")
            return redirect(url_for(".settings"))
    links = services.link_count(association_id)
    page = render_template("sso/settings.html", form=form, provider=provider, links=links)
    return page, 400 if form.errors else 200
