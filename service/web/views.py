"""Home page per role, the operator's federation list, language switch, health checks."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from service.associations import services as associations
from service.auth.principal import current_principal, require
from service.auth.roles import ROLES, Level, Permission
from service.auth.signing_in import safe_next
from service.federation import categories, directory
from service.federation.forms import FederationForm
from service.federation.scope import current_federation
from service.governance import compliance, reminders
from service.i18n import gettext as _
from service.web import todo
from tenants.db import db

bp = Blueprint("web", __name__)

LANGUAGES = {"zh": "zh_Hans_CN", "en": "en"}


@bp.get("/")
def home():
    principal = current_principal()
    if not principal.is_authenticated:
        return redirect(url_for("auth.login"))
    if principal.level is Level.PLATFORM:
        return redirect(url_for(".operator_home"))
    if principal.level is Level.FEDERATION:
        return _federation_home(principal)
    profile = associations.access_profile(principal.association_id)
    return render_template(
        "home_association.html",
        profile=profile,
        to_do=todo.for_principal(principal),
        rule_labels={r.code: r.label for r in compliance.RULES},
        period_label=compliance.period_label,
        reminders=reminders.for_association(principal.association_id)
        if principal.can(Permission.VIEW_GOVERNANCE)
        else [],
    )


def _federation_home(principal):
    profiles = associations.every_profile_in_scope()
    return render_template(
        "home_federation.html",
        federation=current_federation(),
        total=len(profiles),
        by_category=associations.counts_by_category(),
        categories=categories.labels(principal.federation_id),
        to_do=todo.for_principal(principal),
        incomplete=[p for p in profiles if associations.missing_fields(p)],
    )


@bp.get("/operator")
@require(Permission.PROVISION)
def operator_home():
    return render_template(
        "home_operator.html",
        rows=directory.listing(),
        to_do=todo.for_principal(current_principal()),
    )


@bp.route("/operator/federations/new", methods=["GET", "POST"])
@require(Permission.PROVISION)
def new_federation():
    form = FederationForm()
    if form.validate_on_submit():
        try:
            federation = directory.create(form.code.data, form.name.data, form.province.data)
        except directory.DirectoryError as refused:
            getattr(form, refused.field).errors.append(refused.message)
        else:
            flash(_("The federation is created. Now make its supervisors' accounts."), "success")
            return redirect(url_for(".federation", federation_id=federation.id))
    status = 400 if form.errors else 200
    return render_template("operator/federation_new.html", form=form), status


@bp.get("/operator/federations/<int:federation_id>")
@require(Permission.PROVISION)
def federation(federation_id: int):
    return render_template(
        "operator/federation.html",
        summary=directory.access_federation(federation_id),
        roles=ROLES,
        statuses=associations.status_labels(),
    )


@bp.get("/language/<code>")
def language(code: str):
    if code in LANGUAGES:
        session["lang"] = LANGUAGES[code]
    return redirect(safe_next(request.args.get("next")))


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    checks = {"database": _database_ok(), "redis": _redis_ok()}
    ready = all(v in ("ok", "not configured") for v in checks.values())
    return {"status": "ok" if ready else "unavailable", "checks": checks}, 200 if ready else 503


def _database_ok() -> str:
    try:
        with db.engine.connect() as connection:
            connection.execute(sa.select(1))
        return "ok"
    except sa.exc.SQLAlchemyError:
        return "unreachable"


def _redis_ok() -> str:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "not configured"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
        return "ok"
    except redis.RedisError:
        return "unreachable"
