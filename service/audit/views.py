"""The audit log page."""

from __future__ import annotations

from flask import Blueprint, render_template

from service.audit.queries import page_for
from service.auth.principal import current_principal, require
from service.auth.roles import Permission

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.get("/")
@require(Permission.VIEW_AUDIT)
def index():
    page, lines = page_for(current_principal())
    return render_template("audit/index.html", page=page, events=lines)
