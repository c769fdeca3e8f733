"""ECharts options for the dashboards, built here so that the labels go through gettext and
the page's JavaScript only draws what it is given (no inline script, no logic in JS)."""

from __future__ import annotations

from flask_babel import gettext as _

from service.associations import services as associations
from service.federation.metrics import BY_CODE
from service.governance import compliance


def _tooltip(trigger: str) -> dict:
    """A tooltip drawn on the chart's canvas. ECharts' default tooltip is HTML whose style
    attributes the Content-Security-Policy refuses (style-src 'self'), hundreds per hover."""
    return {"trigger": trigger, "renderMode": "richText"}


def _pie(title: str, data: dict[str, int]) -> dict:
    return {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": _tooltip("item"),
        "series": [
            {
                "type": "pie",
                "radius": ["35%", "65%"],
                "data": [{"name": k, "value": v} for k, v in data.items()],
            }
        ],
    }


def _bars(
    title: str, names: list[str], series: dict[str, list[float]], stack: bool = False
) -> dict:
    return {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": _tooltip("axis"),
        "legend": {"top": 24},
        "grid": {"top": 60, "containLabel": True},
        "xAxis": {"type": "category", "data": names, "axisLabel": {"interval": 0, "rotate": 20}},
        "yAxis": {"type": "value"},
        "series": [
            {"type": "bar", "name": label, "data": values, **({"stack": "all"} if stack else {})}
            for label, values in series.items()
        ],
    }


def overview(data: dict, category_labels: dict[str, str]) -> dict[str, dict]:
    by_status = {str(associations.status_labels()[s]): n for s, n in data["by_status"].items() if n}
    coverage = {
        _("Universities with an association"): data["coverage"]["with_association"],
        _("Universities without an association"): data["coverage"]["without_association"],
    }
    members = data["members_by_category"]
    codes = list(members)
    rules = {r.code: str(r.label) for r in compliance.RULES}
    return {
        "status": _pie(_("Associations by status"), by_status),
        "coverage": _pie(_("Coverage of the province's universities"), coverage),
        "members": _bars(
            _("Members by university category"),
            [category_labels.get(c, c) for c in codes],
            {
                _("Individual members"): [members[c]["individual"] for c in codes],
                _("Group members"): [members[c]["group"] for c in codes],
            },
            stack=True,
        ),
        "activities": activities_by_task(data),
        "findings": _horizontal(
            _("Associations with a finding, by rule"),
            [rules[c] for c in data["findings_by_rule"]],
            list(data["findings_by_rule"].values()),
        ),
    }


def activities_by_task(data: dict) -> dict:
    """Each task's events, the year beside the year before."""
    tasks = data["activities_by_task"]
    year = data["year"]
    return _bars(
        _("Activities per task, %(year)d against %(last)d", year=year, last=year - 1),
        [str(BY_CODE[code].label) for code in tasks],
        {
            str(year - 1): [t["last_year"] for t in tasks.values()],
            str(year): [t["this_year"] for t in tasks.values()],
        },
    )


def _horizontal(title: str, names: list[str], values: list[float]) -> dict:
    """Bars along the x axis, for long labels (the rules' wording) read on the left."""
    return {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": _tooltip("axis"),
        "grid": {"top": 40, "left": 8, "right": 24, "containLabel": True},
        "xAxis": {"type": "value", "minInterval": 1},
        "yAxis": {
            "type": "category",
            "data": names,
            "inverse": True,
            "axisLabel": {"width": 170, "overflow": "truncate"},
        },
        "series": [{"type": "bar", "data": values}],
    }


def placement(view: dict, metric: dict) -> dict:
    """Each association of the category against the category's quartiles, for one metric."""
    names = [a["name"] for a in view["associations"]]
    values = [a["metrics"][metric["code"]] for a in view["associations"]]
    d = metric["distribution"]
    option = _bars(metric["label"], names, {metric["label"]: values})
    option["series"][0]["markLine"] = {
        "symbol": "none",
        "data": [
            {"name": _("Lower quartile"), "yAxis": d["q1"]},
            {"name": _("Median"), "yAxis": d["median"]},
            {"name": _("Upper quartile"), "yAxis": d["q3"]},
        ],
        "label": {"formatter": "{b}: {c}"},
    }
    return option


def trend(data: dict) -> dict:
    return {
        "title": {"text": data["label"], "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": _tooltip("axis"),
        "legend": {"top": 24},
        "grid": {"top": 60, "containLabel": True},
        "xAxis": {"type": "category", "data": [str(y) for y in data["years"]]},
        "yAxis": {"type": "value"},
        "series": [
            {"type": "line", "name": data["category_labels"][code], "data": values}
            for code, values in data["categories"].items()
        ],
    }


def association(data: dict, labels: dict[str, str]) -> dict:
    return {
        "title": {"text": _("Over the years"), "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": _tooltip("axis"),
        "legend": {"top": 24},
        "grid": {"top": 60, "containLabel": True},
        "xAxis": {"type": "category", "data": [str(y) for y in data["years"]]},
        "yAxis": {"type": "value"},
        "series": [
            {"type": "line", "name": labels[code], "data": values}
            for code, values in data["metrics"].items()
        ],
    }
