"""Home page per role, the operator's federation list, language switch, health checks."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from service.activities import services as activities
from service.associations import services as associations
from service.associations.models import STATUS_LABELS
from service.auth import services as auth
from service.auth.models import ApiToken
from service.auth.principal import current_principal, require
from service.auth.roles import Level, Permission
from service.auth.views import safe_next
from service.federation import categories, guidance_views
from service.governance import compliance, reminders
from service.suggestions import services as suggestions
from tenants.db import db
from tenants.models import Association, Federation, utcnow
from tenants.scope import system_scope

bp = Blueprint("web", __name__)

LANGUAGES = {"zh": "zh_Hans_CN", "en": "en"}


@bp.get("/")
def home():
    principal = current_principal()
    if not principal.is_authenticated:
        return redirect(url_for("auth.login"))
    if principal.level is Level.PLATFORM:
        return redirect(url_for(".operator_home"))
    soon = utcnow() + timedelta(days=14)
    expiring = []
    if principal.can(Permission.MANAGE_TOKENS):
        expiring = db.session.scalars(
            auth.tokens_visible_to(principal).where(
                ApiToken.revoked_at.is_(None), ApiToken.expires_at < soon
            )
        ).all()
    if principal.level is Level.FEDERATION:
        return _federation_home(principal, expiring)
    profile = associations.access_profile(principal.association_id)
    to_do = []
    if principal.can(Permission.VIEW_GOVERNANCE):
        findings = compliance.evaluate(principal.association_id, date.today())
        to_do = sorted(
            (f for f in findings if f.status is not compliance.Status.OK),
            key=lambda f: compliance.SEVERITY.index(f.status),
        )
    return render_template(
        "home_association.html",
        profile=profile,
        governance_to_do=to_do,
        rule_labels={r.code: r.label for r in compliance.RULES},
        period_label=compliance.period_label,
        reminders=reminders.for_association(principal.association_id)
        if principal.can(Permission.VIEW_GOVERNANCE)
        else [],
        missing=associations.missing_fields(profile),
        expiring=expiring,
        staff_count=_user_count(principal) if principal.can(Permission.MANAGE_USERS) else None,
        held_not_reported=_count(activities.activities_query(status="held"))
        if principal.can(Permission.RECORD_ACTIVITIES)
        else 0,
        suggestions_waiting=suggestions.state_counts().get("received", 0)
        if principal.can(Permission.HANDLE_SUGGESTIONS)
        else 0,
        guidance=guidance_views.for_home(principal.association_id)
        if principal.can(Permission.VIEW_GUIDANCE)
        else [],
    )


def _count(query) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    )


def _user_count(principal) -> int:
    query = auth.users_visible_to(principal)
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))


def _federation_home(principal, expiring):
    federation = db.session.scalar(
        sa.select(Federation).where(Federation.id == principal.federation_id)
    )
    profiles = db.session.scalars(associations.profiles_in_scope()).all()
    incomplete = [p for p in profiles if associations.missing_fields(p)]
    return render_template(
        "home_federation.html",
        federation=federation,
        total=len(profiles),
        by_category=associations.counts_by_category(),
        by_status=associations.counts_by_status(),
        categories=categories.labels(principal.federation_id),
        statuses=STATUS_LABELS,
        incomplete=incomplete,
        expiring=expiring,
    )


@bp.get("/operator")
@require(Permission.PROVISION)
def operator_home():
    # The directory of tenants (names and counts), not their data.
    with system_scope("operator lists federations and association counts"):
        rows = db.session.execute(
            sa.select(Federation, sa.func.count(Association.id))
            .outerjoin(Association, Association.federation_id == Federation.id)
            .group_by(Federation.id)
            .order_by(Federation.code)
        ).all()
    return render_template("home_operator.html", rows=rows)


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
