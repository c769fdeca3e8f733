"""Problems the federation follows: open, assign, move on, resolve."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for

from service.audit.services import current_actor
from service.auth.principal import current_principal, require
from service.auth.roles import Permission
from service.federation import categories, problems, scope
from service.federation.forms import ProblemFindingForm, ProblemForm, ProblemUpdateForm
from service.federation.models import PROBLEM_STATE_LABELS
from service.federation.scope import federation_id
from service.governance import compliance
from service.i18n import gettext as _

bp = Blueprint("problems", __name__, url_prefix="/federation/problems")


def _names(fed: int) -> dict[int, str]:
    return {a.id: a.name for a in scope.associations(fed)}


@bp.get("/")
@require(Permission.VIEW_FEDERATION)
def index():
    fed = federation_id()
    return render_template(
        "federation/problems.html",
        items=problems.of_federation(fed),
        names=_names(fed),
        users={u.id: u.display_name for u in problems.officers(fed)},
        categories=categories.labels(fed),
        can_manage=current_principal().can(Permission.MANAGE_FEDERATION),
    )


@bp.route("/new", methods=["GET", "POST"])
@require(Permission.MANAGE_FEDERATION)
def new():
    fed = federation_id()
    form = ProblemForm(
        categories=categories.labels(fed),
        associations=scope.associations(fed),
        users=problems.officers(fed),
    )
    if form.validate_on_submit():
        problem = problems.open_problem(
            fed,
            title=form.title.data.strip(),
            description=form.description.data.strip(),
            association_id=form.association_id.data or None,
            category=form.category.data or None,
            assignee_id=form.assignee_id.data or None,
            actor=current_actor(),
        )
        flash(_("The problem is recorded."), "success")
        return redirect(url_for(".detail", problem_id=problem.id))
    status = 400 if form.errors else 200
    return render_template("federation/problem_form.html", form=form), status


@bp.get("/<int:problem_id>")
@require(Permission.VIEW_FEDERATION)
def detail(problem_id: int):
    fed = federation_id()
    problem = problems.access_problem(problem_id, fed)
    users = problems.officers(fed)
    form = ProblemUpdateForm(users=users, state=problem.state, assignee_id=problem.assignee_id or 0)
    return _detail(fed, problem, form, users)


@bp.post("/<int:problem_id>")
@require(Permission.MANAGE_FEDERATION)
def update(problem_id: int):
    fed = federation_id()
    problem = problems.access_problem(problem_id, fed)
    users = problems.officers(fed)
    form = ProblemUpdateForm(users=users)
    if form.validate_on_submit():
        try:
            problems.update(
                problem,
                state=form.state.data,
                assignee_id=form.assignee_id.data or None,
                note=(form.note.data or "").strip(),
                actor=current_actor(),
            )
        except problems.ProblemRefused as refused:  # checked before anything is written
            form.state.errors = [*form.state.errors, str(refused.message)]
        else:
            flash(_("The problem is updated."), "success")
            return redirect(url_for(".detail", problem_id=problem.id))
    return _detail(fed, problem, form, users, 400)


@bp.post("/<int:problem_id>/findings")
@require(Permission.MANAGE_FEDERATION)
def link_finding(problem_id: int):
    """Link one of the province's open compliance findings to the problem."""
    fed = federation_id()
    problem = problems.access_problem(problem_id, fed)
    users = problems.officers(fed)
    link_form = ProblemFindingForm()
    if link_form.validate_on_submit():
        finding = compliance.access_finding(link_form.finding_id.data)
        try:
            problems.link_finding(problem, finding, current_actor())
        except problems.ProblemRefused as refused:  # checked before anything is written
            link_form.finding_id.errors = [*link_form.finding_id.errors, str(refused.message)]
        else:
            flash(_("The finding is linked to the problem."), "success")
            return redirect(url_for(".detail", problem_id=problem.id))
    form = ProblemUpdateForm(users=users, state=problem.state, assignee_id=problem.assignee_id or 0)
    return _detail(fed, problem, form, users, 400, link_form)


def _detail(fed, problem, form, users, status: int = 200, link_form=None):
    return render_template(
        "federation/problem_detail.html",
        problem=problem,
        form=form,
        names=_names(fed),
        users={u.id: u.display_name for u in users},
        states=PROBLEM_STATE_LABELS,
        categories=categories.labels(fed),
        can_manage=current_principal().can(Permission.MANAGE_FEDERATION),
        findings=problems.findings(problem),
        candidates=problems.candidates(problem),
        link_form=link_form or ProblemFindingForm(),
    ), status
