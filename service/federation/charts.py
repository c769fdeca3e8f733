"""ECharts options for the dashboards, built here so that the labels go through gettext and
the page's JavaScript only draws what it is given (no inline script, no logic in JS).

The rules a chart keeps so that it reads at a glance, on screen and on paper, are written
down as data in `readability_problems`, which the tests run over every chart:
- no pie of a single slice: the number is shown instead;
- at most MAX_SERIES series on one axis: the largest, then the rest summed as 其他, or one
  small chart per series (small multiples);
- one palette of distinct colours that stay apart for colour-blind readers and in print;
- the legend below the plot, in the room the grid leaves for it, never over the plot;
- category labels that fit: rotated and cut with an ellipsis, the whole name in the tooltip.
"""

from __future__ import annotations

from service.associations import services as associations
from service.federation.metrics import BY_CODE
from service.governance import compliance
from service.i18n import gettext as _

# Okabe and Ito's colour-blind-safe palette (without its yellow, too pale on paper), then a
# grey kept for 其他 (the rest summed).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9")
OTHERS_COLOUR = "#8C8C8C"
MAX_SERIES = 5
# The room under the plot for a legend, in pixels.
LEGEND_ROOM = 40
TITLE = {"left": "center", "textStyle": {"fontSize": 14}}


def _title(text: str) -> dict:
    return {"text": text, **TITLE}


def _legend() -> dict:
    """Below the plot, scrolling when it is long: never over the bars or lines."""
    return {"bottom": 0, "type": "scroll"}


def _grid(legend: bool) -> dict:
    return {
        "top": 40,
        "left": 8,
        "right": 16,
        "bottom": LEGEND_ROOM if legend else 8,
        "containLabel": True,
    }


def _category_axis(names: list[str]) -> dict:
    """Names along the bottom that never overlap: all shown, turned when there are several,
    cut with an ellipsis past a width (the tooltip names the bar in full)."""
    rotate = 0 if len(names) <= 4 else 30 if len(names) <= 8 else 45
    return {
        "type": "category",
        "data": names,
        "axisLabel": {
            "interval": 0,
            "rotate": rotate,
            "width": 96 if rotate else 120,
            "overflow": "truncate",
            "ellipsis": "…",
            "hideOverlap": True,
        },
    }


def top_series(
    series: dict[str, list[float]], most: int = MAX_SERIES, others: str | None = None
) -> dict[str, list[float]]:
    """The `most` largest series (by their sum) as they are, and the rest added up into one
    named 其他, so that one axis never carries more than `most` + 1 lines or bars."""
    if len(series) <= most + 1:
        return dict(series)
    ranked = sorted(series, key=lambda name: -sum(series[name]))
    kept = {name: series[name] for name in ranked[:most]}
    rest = [series[name] for name in ranked[most:]]
    kept[others or _("Others")] = [sum(values) for values in zip(*rest, strict=True)]
    return kept


def _colours(names: list[str]) -> list[str]:
    """One colour per series from the palette; 其他 in grey."""
    others = _("Others")
    colours, palette = [], iter(PALETTE)
    for name in names:
        colours.append(OTHERS_COLOUR if name == others else next(palette, OTHERS_COLOUR))
    return colours


def _number(title: str, value: float, label: str) -> dict:
    """What a pie of one slice would say, said plainly: the number, and what it counts."""
    return {
        "title": _title(title),
        "graphic": [
            {
                "type": "text",
                "left": "center",
                "top": "38%",
                "style": {
                    "text": f"{value:,.0f}",
                    "fontSize": 40,
                    "fontWeight": "bold",
                    "fill": "#1f2933",
                },
            },
            {
                "type": "text",
                "left": "center",
                "top": "58%",
                "style": {"text": label, "fontSize": 14, "fill": "#5f6b7a"},
            },
        ],
        "series": [],
    }


def _tooltip(trigger: str) -> dict:
    """A tooltip drawn on the chart's canvas. ECharts' default tooltip is HTML whose style
    attributes the Content-Security-Policy refuses (style-src 'self'), hundreds per hover."""
    return {"trigger": trigger, "renderMode": "richText"}


def _pie(title: str, data: dict[str, int]) -> dict:
    """A donut of the shares; with one share (or none) the number itself instead."""
    slices = {k: v for k, v in top_series({k: [v] for k, v in data.items() if v}).items()}
    if len(slices) < 2:
        name, value = next(iter(slices.items()), (_("No data yet"), [0]))
        return _number(title, value[0], name)
    names = list(slices)
    return {
        "title": _title(title),
        "color": _colours(names),
        "tooltip": _tooltip("item"),
        "legend": _legend(),
        "series": [
            {
                "type": "pie",
                "radius": ["32%", "58%"],
                "center": ["50%", "48%"],
                "avoidLabelOverlap": True,
                "label": {"formatter": "{b}\n{d}%", "width": 90, "overflow": "truncate"},
                "labelLayout": {"hideOverlap": True},
                "data": [{"name": k, "value": v[0]} for k, v in slices.items()],
            }
        ],
    }


def _bars(
    title: str, names: list[str], series: dict[str, list[float]], stack: bool = False
) -> dict:
    series = top_series(series)
    legend = len(series) > 1
    return {
        "title": _title(title),
        "color": _colours(list(series)),
        "tooltip": _tooltip("axis"),
        **({"legend": _legend()} if legend else {}),
        "grid": _grid(legend),
        "xAxis": _category_axis(names),
        "yAxis": {"type": "value"},
        "series": [
            {"type": "bar", "name": label, "data": values, **({"stack": "all"} if stack else {})}
            for label, values in series.items()
        ],
    }


def _lines(title: str, years: list[int], series: dict[str, list[float]]) -> dict:
    series = top_series(series)
    legend = len(series) > 1
    return {
        "title": _title(title),
        "color": _colours(list(series)),
        "tooltip": _tooltip("axis"),
        **({"legend": _legend()} if legend else {}),
        "grid": _grid(legend),
        "xAxis": _category_axis([str(y) for y in years]),
        "yAxis": {"type": "value"},
        "series": [
            {"type": "line", "name": name, "data": values} for name, values in series.items()
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
        "title": _title(title),
        "color": _colours([title]),
        "tooltip": _tooltip("axis"),
        "grid": {"top": 40, "left": 8, "right": 24, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value", "minInterval": 1},
        "yAxis": {
            "type": "category",
            "data": names,
            "inverse": True,
            "axisLabel": {"interval": 0, "width": 170, "overflow": "truncate", "ellipsis": "…"},
        },
        "series": [{"type": "bar", "name": title, "data": values}],
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
    """One line per university category: the largest five, the rest as 其他."""
    return _lines(
        data["label"],
        data["years"],
        {data["category_labels"][code]: v for code, v in data["categories"].items()},
    )


def association(data: dict, labels: dict[str, str]) -> list[dict]:
    """Small multiples: one small chart per metric over the years, each on its own scale
    (eleven lines on one axis, members in hundreds beside meetings in ones, read as none)."""
    return [
        _lines(labels[code], data["years"], {labels[code]: values})
        for code, values in data["metrics"].items()
    ]


# --- the rules, as data -------------------------------------------------------------------


def readability_problems(option: dict) -> list[str]:
    """Which of the module's rules a chart option breaks (none, for a chart built here)."""
    problems = []
    series = option.get("series", [])
    for pie in (s for s in series if s.get("type") == "pie"):
        if len([d for d in pie["data"] if d["value"]]) < 2:
            problems.append("a pie of a single slice")
        if len(pie["data"]) > MAX_SERIES + 1:
            problems.append("a pie of too many slices")
    on_axis = [s for s in series if s.get("type") in ("bar", "line")]
    if len(on_axis) > MAX_SERIES + 1:
        problems.append(f"{len(on_axis)} series on one axis")
    drawn = max(
        len(on_axis), max((len(p["data"]) for p in series if p.get("type") == "pie"), default=0)
    )
    colours = option.get("color", [])
    if drawn and (len(colours) < drawn or len(set(colours[:drawn])) < drawn):
        problems.append("series without a colour of their own")
    legend = option.get("legend")
    if legend is not None:
        grid = option.get("grid", {})
        if legend.get("bottom") != 0 or (on_axis and grid.get("bottom", 0) < LEGEND_ROOM):
            problems.append("a legend that may sit over the plot")
    for axis in (option.get("xAxis"), option.get("yAxis")):
        if not axis or axis.get("type") != "category":
            continue
        label = axis.get("axisLabel", {})
        if not label.get("overflow") or label.get("interval") != 0:
            problems.append("category labels that may overlap or be dropped")
        elif option.get("tooltip", {}).get("trigger") != "axis":
            problems.append("cut labels without a tooltip naming them in full")
    return problems
