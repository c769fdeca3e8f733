"""The public page where a person applies to join an association (no account needed)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, session

from service.extensions import limiter
from service.members import applications
from service.members.forms import ApplicationForm
from service.members.services import MembershipError
from tenants.scope import Scope, use_scope

bp = Blueprint("join", __name__, url_prefix="/join")
# What a university sign-in that matched no member record tells the form (service/sso).
PREFILL = "join_prefill"


def _limit() -> str:
    return current_app.config["APPLICATION_RATE_LIMIT"]


@bp.route("/<int:association_id>", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"])
def apply(association_id: int):
    # The visitor has no credential; the association in the URL is the only tenant this
    # request may touch, and only to read its name and policy and to file the application.
    with use_scope(Scope.association(association_id)):
        association, policy = applications.open_for_applications(
            association_id, request.args.get("code")
        )
        form = ApplicationForm(data=session.pop(PREFILL, None) if request.method == "GET" else None)
        if form.validate_on_submit():
            try:
                applications.submit(policy, form.data)
            except MembershipError as refused:
                form.phone.errors.append(str(refused))
            else:
                return render_template("members/applied.html", association=association)
        return render_template(
            "members/apply.html", form=form, association=association, policy=policy
        ), (400 if form.errors else 200)
