"""Problems the federation follows to resolution, about one association or a category."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from service.access import owned_by_federation
from service.associations import services as associations
from service.auth import services as accounts
from service.errors import Conflict
from service.federation.models import Problem, ProblemEvent, ProblemFinding, ProblemState
from service.governance import compliance
from service.i18n import lazy_gettext as _l
from tenants.db import db

if TYPE_CHECKING:  # hints only: accounts and findings are read through their services
    from service.auth.models import User
    from service.governance.models import ComplianceFinding


class ProblemRefused(Conflict):
    """A change the problem's state or findings do not allow; `message` says why, to the
    officer. Raised before anything is written."""


def officers(federation_id: int) -> list[User]:
    """Who a problem can be assigned to: the federation's officers."""
    return accounts.federation_officers(federation_id)


def _assignee(federation_id: int, user_id: int | None) -> int | None:
    if not user_id:
        return None
    if user_id not in {u.id for u in officers(federation_id)}:
        raise ValueError("the assignee is not an officer of the federation")
    return user_id


def open_problem(
    federation_id: int,
    *,
    title: str,
    description: str,
    association_id: int | None,
    category: str | None,
    assignee_id: int | None,
    actor: str,
) -> Problem:
    problem = Problem(
        federation_id=federation_id,
        title=title,
        description=description,
        association_id=association_id or None,
        category=category or None,
        assignee_id=_assignee(federation_id, assignee_id),
        opened_by=actor,
    )
    db.session.add(problem)
    db.session.flush()
    db.session.add(
        ProblemEvent(
            problem_id=problem.id,
            to_state=problem.state,
            assignee_id=problem.assignee_id,
            actor=actor,
        )
    )
    return problem


def update(
    problem: Problem, *, state: str, assignee_id: int | None, note: str | None, actor: str
) -> None:
    """Move a problem on (or reassign it), keeping each step in its history."""
    new_state = ProblemState(state).value
    new_assignee = _assignee(problem.federation_id, assignee_id)
    if new_state == ProblemState.RESOLVED.value and new_state != problem.state:
        standing = open_findings(problem)
        if standing:
            raise ProblemRefused(
                _l(
                    "The problem cannot be resolved while a linked compliance finding is open:"
                    " %(findings)s. Have the finding explained, or wait until it is archived.",
                    findings="; ".join(f"{f.label} ({f.period_label})" for _a, f in standing),
                )
            )
    if new_state == problem.state and new_assignee == problem.assignee_id and not note:
        return
    db.session.add(
        ProblemEvent(
            problem_id=problem.id,
            from_state=problem.state,
            to_state=new_state,
            assignee_id=new_assignee,
            note=note or None,
            actor=actor,
        )
    )
    problem.state = new_state
    problem.assignee_id = new_assignee


def of_federation(
    federation_id: int, *, open_only: bool = False, category: str | None = None
) -> list[Problem]:
    """The federation's problems, newest first; with `category`, those about the category
    or about one of its associations."""
    query = sa.select(Problem).where(Problem.federation_id == federation_id)
    if open_only:
        query = query.where(Problem.state != ProblemState.RESOLVED.value)
    if category:
        in_category = associations.ids_in_scope([category])
        query = query.where(
            sa.or_(Problem.category == category, Problem.association_id.in_(in_category))
        )
    return list(db.session.scalars(query.order_by(Problem.opened_at.desc(), Problem.id.desc())))


def findings(problem: Problem) -> list[tuple[int, compliance.Finding]]:
    """(association id, finding) of every finding linked to the problem, open or closed."""
    links = db.session.execute(
        sa.select(ProblemFinding.association_id, ProblemFinding.finding_id)
        .where(ProblemFinding.problem_id == problem.id)
        .order_by(ProblemFinding.id)
    ).all()
    found = compliance.findings_by_id([finding_id for _a, finding_id in links])
    return [
        found[finding_id]
        for association_id, finding_id in links
        if finding_id in found and found[finding_id][0] == association_id
    ]


def open_findings(problem: Problem) -> list[tuple[int, compliance.Finding]]:
    """The linked findings that still stand: the problem cannot be resolved while any does."""
    return [(a, f) for a, f in findings(problem) if f.is_open]


def candidates(problem: Problem) -> list[tuple[int, compliance.Finding]]:
    """Open findings the problem may be linked to: of its association, or of the province."""
    if problem.association_id:
        ids = [problem.association_id]
    elif problem.category:
        ids = list(db.session.scalars(associations.ids_in_scope([problem.category])))
    else:
        ids = list(db.session.scalars(associations.ids_in_scope()))
    linked = {f.id for _a, f in findings(problem)}
    return [(a, f) for a, f in compliance.open_findings(ids) if f.id not in linked]


def link_finding(problem: Problem, finding: ComplianceFinding, actor: str) -> None:
    """Link a finding (already fetched in the caller's scope) to the problem. The page offers
    the open ones; one in order may be linked too, and never blocks the problem."""
    if problem.state == ProblemState.RESOLVED.value:
        raise ProblemRefused(_l("The problem is resolved; reopen it to link a finding."))
    if problem.association_id and finding.tenant_id != problem.association_id:
        raise ProblemRefused(_l("The finding is about another association than the problem."))
    if any(f.id == finding.id for _a, f in findings(problem)):
        return
    db.session.add(
        ProblemFinding(
            federation_id=problem.federation_id,
            problem_id=problem.id,
            association_id=finding.tenant_id,
            finding_id=finding.id,
            linked_by=actor,
        )
    )
    db.session.flush()


def access_problem(problem_id: int, federation_id: int) -> Problem:
    """A problem `federation_id` follows. NotFound for a missing problem and another
    federation's alike."""
    return owned_by_federation(Problem, problem_id, federation_id)
