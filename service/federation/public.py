"""The federation's public page of exemplars: readable without signing in, once published."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from service.activities import talent
from service.federation import exemplars
from tenants.scope import Scope, use_scope

bp = Blueprint("federation_public", __name__, url_prefix="/public/federations")


@bp.get("/<code>/exemplars")
def exemplar_page(code: str):
    """A federation's published exemplars; 404 for an unknown code or an unpublished page.

    The visitor has no credential: the federation of the code is the only scope this request
    reads under, and only the exemplars published one by one are shown, with the awards won
    by nominees who consented to be named.
    """
    federation = exemplars.public_federation(code)
    if federation is None:
        abort(404)
    with use_scope(Scope.federation(federation.id)):
        entries = exemplars.recognised(federation.id, public_only=True)
        awards = talent.public_awards()
        return render_template(
            "federation/public_exemplars.html",
            federation=federation,
            entries=entries,
            awards=awards,
        )
