"""The audit log page."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template, request

from service.audit import presentation
from service.audit.queries import AuditFilters, actor_choices, page_for
from service.auth.principal import current_principal, require
from service.auth.roles import Permission
from service.i18n import gettext as _
from service.sorting import by_pinyin

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.get("/")
@require(Permission.VIEW_AUDIT)
def index():
    principal = current_principal()
    filters, errors = _filters()
    page, lines = page_for(principal, filters=filters)
    return render_template(
        "audit/index.html",
        page=page,
        events=lines,
        filters=filters,
        errors=errors,
        actors=actor_choices(principal),
        actions={k: str(v) for k, v in presentation.ACTION_LABELS.items()},
        entities=dict(
            by_pinyin(
                ((k, str(v)) for k, v in presentation.ENTITY_LABELS.items()), lambda kv: kv[1]
            )
        ),
        query_args={k: v for k, v in request.args.items() if k != "page" and v},
    )


def _filters() -> tuple[AuditFilters, list[str]]:
    """The filters the query string asks for; a date that is no date is reported, not used."""
    errors = []
    dates = {}
    for arg in ("from", "to"):
        raw = request.args.get(arg, "").strip()
        try:
            dates[arg] = date.fromisoformat(raw) if raw else None
        except ValueError:
            dates[arg] = None
            errors.append(_("“%(value)s” is not a date (YYYY-MM-DD).", value=raw[:20]))
    action = request.args.get("action") or None
    entity = request.args.get("entity") or None
    filters = AuditFilters(
        start=dates["from"],
        end=dates["to"],
        actor=request.args.get("actor") or None,
        action=action if action in presentation.ACTION_LABELS else None,
        entity=entity if entity in presentation.ENTITY_LABELS else None,
    )
    return filters, errors
