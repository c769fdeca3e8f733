"""The per-association metrics the dashboards show, in one registry.

Each metric computes, for a batch of associations and a year, one number per association
under the current scope. The rollup job, the associations table, the category view and the
trends iterate over `METRICS`: a new metric (activities per task, when activities land) is
one more entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from service.activities import aggregates
from service.governance import compliance
from service.governance import statistics as governance_statistics
from service.i18n import lazy_gettext as _l
from service.members import statistics as members_statistics
from service.sql import one_of
from tenants.db import db
from tenants.models import Association

Compute = Callable[[list[int], int, date], dict[int, float]]


@dataclass(frozen=True)
class Metric:
    code: str
    label: object  # a lazy gettext string
    compute: Compute
    # The health score rewards more of it, or less (findings).
    higher_is_better: bool = True
    # Counted over the year (meetings), or a state at the year's end (members).
    over_the_year: bool = False
    default_weight: int = 0


def year_end(year: int, today: date) -> date:
    """The day a year's snapshot stands for: 31 December, or today for the current year."""
    return min(date(year, 12, 31), today)


def _grouped(query: sa.Select) -> dict[int, float]:
    return {tenant: float(n) for tenant, n in db.session.execute(query)}


def _floats(counts: dict[int, int]) -> dict[int, float]:
    return {a: float(n) for a, n in counts.items()}


def members_individual(ids: list[int], year: int, today: date) -> dict[int, float]:
    """Members as at the year's end, from their dated history (the annual report's count)."""
    return _floats(members_statistics.individual_members_on(ids, year_end(year, today)))


def members_group(ids: list[int], year: int, today: date) -> dict[int, float]:
    """Group members as at the year's end: joined by then and active on that day."""
    return _floats(members_statistics.group_members_on(ids, year_end(year, today)))


def _held_in(body: governance_statistics.Body | None = None) -> Compute:
    """Congresses (no `body`) or meetings of `body` held in the year."""

    def compute(ids: list[int], year: int, today: date) -> dict[int, float]:
        return _floats(governance_statistics.held_in_year(ids, year, body))

    return compute


def compliance_issues(ids: list[int], year: int, today: date) -> dict[int, float]:
    """Rules not in order, from the stored findings (the compliance job keeps them current)."""
    return _floats(governance_statistics.findings_not_in_order(ids))


def _rule_finding(rule: str) -> Compute:
    def compute(ids: list[int], year: int, today: date) -> dict[int, float]:
        return dict.fromkeys(governance_statistics.breaking_rule(ids, rule), 1.0)

    return compute


def active(ids: list[int], year: int, today: date) -> dict[int, float]:
    return _grouped(
        sa.select(Association.id, sa.literal(1)).where(
            one_of(Association.id, ids), Association.status == "active"
        )
    )


def _activity_figure(aggregate: Callable, figure: str) -> Compute:
    """One figure of one task's aggregate (the same function the reports use)."""

    def compute(ids: list[int], year: int, today: date) -> dict[int, float]:
        return {a: float(f.get(figure, 0)) for a, f in aggregate(ids, year).items()}

    return compute


# The events of each of the five tasks over the year.
TASK_EVENTS = (
    ("academic_events", aggregates.academic),
    ("popularisation_events", aggregates.popularisation),
    ("talent_events", aggregates.talent),
    ("integrity_lectures", aggregates.integrity),
    ("student_activities", aggregates.student_practice),
)

METRICS: tuple[Metric, ...] = (
    Metric("members_individual", _l("Individual members"), members_individual, default_weight=2),
    Metric("members_group", _l("Group members"), members_group, default_weight=1),
    Metric(
        "congresses",
        _l("Congresses held"),
        _held_in(),
        over_the_year=True,
    ),
    Metric(
        "committee_meetings",
        _l("Committee meetings"),
        _held_in(governance_statistics.Body.COMMITTEE),
        over_the_year=True,
        default_weight=1,
    ),
    Metric(
        "standing_meetings",
        _l("Standing committee meetings"),
        _held_in(governance_statistics.Body.STANDING_COMMITTEE),
        over_the_year=True,
    ),
    Metric(
        "compliance_issues",
        _l("Governance rules not in order"),
        compliance_issues,
        higher_is_better=False,
        default_weight=3,
    ),
    Metric("active", _l("Active"), active),
    *(
        Metric(
            figure,
            aggregates.FIGURE_LABELS[figure],
            _activity_figure(aggregate, figure),
            over_the_year=True,
            default_weight=1,
        )
        for figure, aggregate in TASK_EVENTS
    ),
    *(
        Metric(f"finding:{rule.code}", rule.label, _rule_finding(rule.code), higher_is_better=False)
        for rule in compliance.RULES
    ),
)
BY_CODE = {m.code: m for m in METRICS}
# What the table, the category view and the trends offer (the per-rule flags feed the
# overview's "findings by rule" chart instead, and the status has its own column and chart).
DASHBOARD_METRICS = tuple(
    m for m in METRICS if not m.code.startswith("finding:") and m.code != "active"
)
# What the association table sorts by, on the page and over the API.
SORTS = ("name", "category", "compliance", "health", *(m.code for m in DASHBOARD_METRICS))


def compute_all(
    ids: list[int], year: int, today: date | None = None
) -> dict[int, dict[str, float]]:
    """Every metric, live, for these associations: what the rollups must agree with."""
    today = today or date.today()
    out: dict[int, dict[str, float]] = {a: {} for a in ids}
    for metric in METRICS:
        values = metric.compute(ids, year, today) if ids else {}
        for association_id in ids:
            out[association_id][metric.code] = values.get(association_id, 0.0)
    return out
