"""What the federation's dashboards show, read from the rollups: one function per view,
each returning plain data that the page, the API and the xlsx export all present."""

from __future__ import annotations

import bisect
import statistics
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from service.associations import statistics as associations_statistics
from service.federation import categories, problems, rollups
from service.federation.metrics import BY_CODE, DASHBOARD_METRICS, METRICS, TASK_EVENTS
from service.federation.models import (
    CategoryRollup,
    HealthWeight,
    MetricRollup,
    University,
)
from service.governance import compliance
from service.governance import statistics as governance_statistics
from service.sorting import pinyin_key
from service.sql import one_of
from service.unique_keys import SAVED_MEANWHILE, claimed
from tenants.db import db
from tenants.models import utcnow

# Every dashboard metric may count in the health score, by the federation's weight.
SCORED = DASHBOARD_METRICS


@dataclass(frozen=True)
class Row:
    """One association's line in the federation's table."""

    association_id: int
    name: str
    category: str
    category_label: str
    status: str
    compliance: str
    metrics: dict[str, float]
    health: float

    def as_dict(self) -> dict:
        return {
            "association_id": self.association_id,
            "name": self.name,
            "category": self.category,
            "category_label": self.category_label,
            "status": self.status,
            "compliance": self.compliance,
            "metrics": {m.code: self.metrics.get(m.code, 0.0) for m in DASHBOARD_METRICS},
            "health": self.health,
        }


def this_year() -> int:
    return date.today().year


def _associations(federation_id: int) -> list[tuple[int, str, str, str]]:
    """(id, name, category code, status) of the federation's associations in the scope."""
    return associations_statistics.of_federation(federation_id)


def _worst_findings(ids: list[int]) -> dict[int, str]:
    return governance_statistics.worst_findings(ids)


# --- health score ---------------------------------------------------------------------


def weights(federation_id: int) -> dict[str, int]:
    """The federation's weights, the defaults where it set none."""
    stored = dict(
        db.session.execute(
            sa.select(HealthWeight.metric, HealthWeight.weight).where(
                HealthWeight.federation_id == federation_id
            )
        ).all()
    )
    return {m.code: stored.get(m.code, m.default_weight) for m in SCORED}


def set_weights(federation_id: int, new: dict[str, int]) -> None:
    existing = {
        w.metric: w
        for w in db.session.scalars(
            sa.select(HealthWeight).where(HealthWeight.federation_id == federation_id)
        )
    }
    if unknown := [code for code in new if code not in BY_CODE]:
        raise ValueError(f"unknown metric {unknown[0]}")
    with claimed(HealthWeight, {"metric": SAVED_MEANWHILE}):  # flushed
        for code, weight in new.items():
            row = existing.get(code)
            if row is None:
                row = HealthWeight(federation_id=federation_id, metric=code)
                db.session.add(row)
            row.weight = weight
    db.session.flush()
    # The stored category views place associations by their health: they follow the weights.
    for year in stored_category_years(federation_id):
        store_category_views(federation_id, year)


def health_scores(
    values: dict[int, dict[str, float]],
    weight: dict[str, int],
    highest: dict[str, float] | None = None,
) -> dict[int, float]:
    """100 × Σ(weight × part) / Σ weight, where a metric's part is its value over the
    federation's highest (more is better), or one less that (fewer is better). `highest`
    is the federation's when `values` hold only some of its associations."""
    total = sum(weight.values())
    if highest is None:
        highest = {
            code: max((v.get(code, 0.0) for v in values.values()), default=0.0) for code in weight
        }
    scores = {}
    for association_id, v in values.items():
        points = 0.0
        for code, w in weight.items():
            top = highest.get(code, 0.0)
            share = v.get(code, 0.0) / top if top else 0.0
            points += w * (share if BY_CODE[code].higher_is_better else 1 - share)
        scores[association_id] = round(100 * points / total, 1) if total else 0.0
    return scores


# --- the views ------------------------------------------------------------------------


def table(
    federation_id: int,
    year: int,
    *,
    category: str | None = None,
    status: str | None = None,
    finding: str | None = None,
    sort: str = "name",
    descending: bool = False,
) -> list[Row]:
    """Every association of the federation, filtered and sorted on the server."""
    everyone = _associations(federation_id)
    # Read the rollups of the associations shown only (a category view reads its own); the
    # scores still measure each against the whole federation's highest.
    associations = [
        (aid, name, code, st)
        for aid, name, code, st in everyone
        if (not category or code == category) and (not status or st == status)
    ]
    ids = [a[0] for a in associations]
    values = rollups.read(ids, year)
    highest = None if len(ids) == len(everyone) else rollups.highest([a[0] for a in everyone], year)
    worst = _worst_findings(ids)
    scores = health_scores(values, weights(federation_id), highest)
    labels = categories.labels(federation_id)
    rows = [
        Row(aid, name, code, labels.get(code, code), st, worst[aid], values[aid], scores[aid])
        for aid, name, code, st in associations
    ]
    if finding:
        rows = [r for r in rows if r.compliance == finding]
    return sorted(rows, key=_sort_key(sort), reverse=descending)


def _sort_key(sort: str):
    """Ties, and the default order, go by the name's pinyin (as clerks sort in Excel)."""
    if sort == "health":
        return lambda r: (r.health, pinyin_key(r.name))
    if sort in BY_CODE:
        return lambda r: (r.metrics.get(sort, 0.0), pinyin_key(r.name))
    if sort == "category":
        return lambda r: (pinyin_key(r.category_label), pinyin_key(r.name))
    if sort == "compliance":
        return lambda r: (
            compliance.SEVERITY.index(compliance.Status(r.compliance)),
            pinyin_key(r.name),
        )
    return lambda r: pinyin_key(r.name)


def overview(federation_id: int, year: int, category: str | None = None) -> dict:
    """The federation at a glance, or one category of it when `category` (a code) is given.
    Sums only, so the database adds the rollups up (no per-association rows or scores)."""
    associations = [
        (aid, code, st)
        for aid, _name, code, st in _associations(federation_id)
        if not category or code == category
    ]
    ids = [aid for aid, _code, _st in associations]
    labels = categories.labels(federation_id)
    by_status = {s: 0 for s in associations_statistics.STATUSES}
    for _aid, _code, st in associations:
        by_status[st] = by_status.get(st, 0) + 1
    sums = _rollup_sums(ids, (year - 1, year))
    # The federation's categories, and any code an association still has that left it.
    codes = (
        [category]
        if category
        else [*labels, *sorted({c for _a, c, _s in associations} - set(labels))]
    )
    members = {
        code: {
            "individual": int(sums.get((year, code, "members_individual"), 0)),
            "group": int(sums.get((year, code, "members_group"), 0)),
        }
        for code in codes
    }

    def total(metric: str, of_year: int = year) -> int:
        return int(sum(v for (y, _c, m), v in sums.items() if y == of_year and m == metric))

    without = sa.select(sa.func.count(University.id)).where(
        University.federation_id == federation_id
    )
    if category:
        without = without.where(University.category == category)
    return {
        "year": year,
        "category": category,
        "associations": len(associations),
        "by_status": by_status,
        "coverage": {
            "with_association": sum(n for s, n in by_status.items() if s != "dissolved"),
            "without_association": db.session.scalar(without) or 0,
        },
        "members_by_category": members,
        "members": {
            "individual": sum(b["individual"] for b in members.values()),
            "group": sum(b["group"] for b in members.values()),
        },
        "activities_by_task": {
            code: {"this_year": total(code), "last_year": total(code, year - 1)}
            for code, _aggregate in TASK_EVENTS
        },
        "findings_by_rule": {rule.code: total(f"finding:{rule.code}") for rule in compliance.RULES},
        "open_problems": len(
            problems.of_federation(federation_id, open_only=True, category=category)
        ),
    }


def _rollup_sums(ids: list[int], years: tuple[int, ...]) -> dict[tuple[int, str, str], float]:
    """(year, category code, metric) -> the sum of the rollups of `ids`; the nightly run
    keeps last year's as well as this year's."""
    category = associations_statistics.categories()
    rows = db.session.execute(
        sa.select(
            MetricRollup.year,
            category.c.category,
            MetricRollup.metric,
            sa.func.sum(MetricRollup.value),
        )
        .join(category, category.c.tenant_id == MetricRollup.tenant_id)
        .where(one_of(MetricRollup.tenant_id, ids), MetricRollup.year.in_(years))
        .group_by(MetricRollup.year, category.c.category, MetricRollup.metric)
    )
    return {(y, code, metric): float(value) for y, code, metric, value in rows}


def quartiles(values: list[float]) -> dict[str, float]:
    """Minimum, quartiles, median and maximum (inclusive method: the data's own range)."""
    if not values:
        return {"min": 0.0, "q1": 0.0, "median": 0.0, "q3": 0.0, "max": 0.0}
    if len(values) == 1:
        v = values[0]
        return {"min": v, "q1": v, "median": v, "q3": v, "max": v}
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return {"min": min(values), "q1": q1, "median": median, "q3": q3, "max": max(values)}


# How many leaders and laggards a category view names: the stored views are computed with it.
MOST = 3


def category_view(federation_id: int, code: str, year: int, most: int = MOST) -> dict:
    """Each metric's distribution within one category, every association placed among its
    peers, and the leaders and laggards: up to `most` each, never the same association in
    both, and none where every association has the same value.

    Read from the view stored beside the rollups (one indexed read) when there is one;
    computed from the rollups otherwise (a year or a category not refreshed yet)."""
    stored = None
    if most == MOST:
        stored = db.session.scalar(
            sa.select(CategoryRollup.view).where(
                CategoryRollup.federation_id == federation_id,
                CategoryRollup.category == code,
                CategoryRollup.year == year,
            )
        )
    if stored is None:
        stored = _category_payload(table(federation_id, year, category=code), most)
    return _labelled(federation_id, code, year, stored)


def _labelled(federation_id: int, code: str, year: int, payload: dict) -> dict:
    """The view with its names in the reader's language (they are not stored)."""
    return {
        "year": year,
        "category": code,
        "category_label": categories.label_of(federation_id, code),
        "associations": payload["associations"],
        "metrics": [{**m, "label": str(BY_CODE[m["code"]].label)} for m in payload["metrics"]],
    }


def _category_payload(rows: list[Row], most: int = MOST) -> dict:
    """What a category view shows of its rows, without names (`_labelled` adds them)."""
    ranked = max(1, min(most, len(rows) // 2))
    metrics = []
    for metric in DASHBOARD_METRICS:
        values = sorted(r.metrics.get(metric.code, 0.0) for r in rows)
        spread = len(rows) > 1 and values[0] != values[-1]
        ordered = sorted(
            rows,
            key=lambda r, c=metric.code: (r.metrics.get(c, 0.0), pinyin_key(r.name)),
            reverse=metric.higher_is_better,
        )
        metrics.append(
            {
                "code": metric.code,
                "distribution": quartiles(values),
                "leaders": [r.name for r in ordered[:ranked]] if spread else [],
                "laggards": [r.name for r in ordered[::-1][:ranked]] if spread else [],
            }
        )
    return {
        "associations": [
            {**r.as_dict(), "placement": placement}
            for r, placement in zip(rows, placements(rows), strict=True)
        ],
        "metrics": metrics,
    }


def category_views(federation_id: int, year: int) -> dict[str, dict]:
    """Every category's view of the federation for `year`, from the rollups, in one pass:
    the federation's categories (an empty one too) and any code an association still has."""
    rows = table(federation_id, year)
    codes = [*categories.labels(federation_id), *sorted({r.category for r in rows})]
    return {
        code: _category_payload([r for r in rows if r.category == code])
        for code in dict.fromkeys(codes)
    }


def store_category_views(federation_id: int, year: int) -> None:
    """Write the federation's category views for `year` beside its rollups (called where
    the rollups are refreshed, and when the health weights change)."""
    views = category_views(federation_id, year)
    existing = {
        row.category: row
        for row in db.session.scalars(
            sa.select(CategoryRollup).where(
                CategoryRollup.federation_id == federation_id, CategoryRollup.year == year
            )
        )
    }
    now = utcnow()
    for code, view in views.items():
        row = existing.pop(code, None)
        if row is None:
            db.session.add(
                CategoryRollup(
                    federation_id=federation_id,
                    category=code,
                    year=year,
                    view=view,
                    computed_at=now,
                )
            )
        elif row.view != view:
            row.view, row.computed_at = view, now
    for gone in existing.values():  # a category no association has and the taxonomy lost
        db.session.delete(gone)
    db.session.flush()


def stored_category_years(federation_id: int) -> list[int]:
    """The years whose category views are stored for the federation."""
    return list(
        db.session.scalars(
            sa.select(CategoryRollup.year)
            .where(CategoryRollup.federation_id == federation_id)
            .distinct()
            .order_by(CategoryRollup.year)
        )
    )


def placements(rows: list[Row]) -> list[dict[str, int]]:
    """For each row, and each metric, how many peers of the category it is ahead of: below
    it where higher is better, above it where lower is. Counted from the values in order
    (a row is never ahead of itself, nor of a peer it ties with), not row against row: a
    category of a province's 150 associations would compare 22,500 pairs per metric."""
    out: list[dict[str, int]] = [{} for _ in rows]
    for metric in DASHBOARD_METRICS:
        values = [row.metrics.get(metric.code, 0.0) for row in rows]
        ordered = sorted(values)
        for placement, mine in zip(out, values, strict=True):
            if metric.higher_is_better:
                placement[metric.code] = bisect.bisect_left(ordered, mine)
            else:
                placement[metric.code] = len(ordered) - bisect.bisect_right(ordered, mine)
    return out


def trends(federation_id: int, metric: str) -> dict:
    """One metric per category per year: the total over the category's associations."""
    associations = _associations(federation_id)
    category_of = {a[0]: a[2] for a in associations}
    series = rollups.series(list(category_of), metric)
    labels = categories.labels(federation_id)
    years = sorted(series)
    per_category = {
        code: [sum(v for a, v in series[y].items() if category_of[a] == code) for y in years]
        for code in labels
    }
    return {
        "metric": metric,
        "label": str(BY_CODE[metric].label),
        "years": years,
        "categories": per_category,
        "category_labels": labels,
    }


def association_page(federation_id: int, association_id: int) -> dict:
    """One association's aggregates over every stored year; no personal data."""
    years = sorted(
        db.session.scalars(
            sa.select(MetricRollup.year).where(MetricRollup.tenant_id == association_id).distinct()
        )
    )
    by_year = {y: rollups.read([association_id], y)[association_id] for y in years}
    return {
        "association_id": association_id,
        "years": years,
        "metrics": {
            m.code: [by_year[y].get(m.code, 0.0) for y in years] for m in DASHBOARD_METRICS
        },
        "findings": [
            {"rule": f.rule, "period": f.period_label, "status": f.status.value}
            for f in compliance.stored_findings([association_id])[association_id]
        ],
    }


METRIC_CODES = tuple(m.code for m in METRICS)
