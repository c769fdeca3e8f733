"""Activities of past years (活动台账) imported on the import engine: the association's own
record as it keeps it, or a file exported here (its Chinese headings are the template's).
Every row is checked by the activity form's own rules (`services.check_new_activity`) and
written through the activities service, so the figures and rollups count it like any other.
A row is the recorded activity with the same name and start date."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from flask_babel import force_locale

from service.activities import services
from service.activities.models import (
    ACTIVITY_STATUS_LABELS,
    AUDIENCE_GROUP_LABELS,
    COUNT_FIELDS,
    PARTNER_KIND_LABELS,
    SPEAKER_KIND_LABELS,
    SUBTYPE_LABELS,
    TASK_LABELS,
    TASK_OF_SUBTYPE,
    VISIBILITY_LABELS,
    Activity,
    ActivityStatus,
)
from service.activities.services import ActivityError
from service.activities.tabular import HEADERS
from service.i18n import gettext as _
from service.imports.engine import Context, Row
from service.imports.fields import Field
from service.imports.kinds import ImportKind
from service.imports.normalise import choice_key
from service.imports.writing import to_xlsx
from service.members.importing import report_progress
from tenants.db import db

KIND = "activities"
ALIASES = {
    "task": ("任务", "任务类别", "所属任务"),
    "subtype": ("类型", "活动类别", "活动形式"),
    "title": ("名称", "活动主题", "活动题目", "主题", "题目", "活动名"),
    "starts_on": ("活动日期", "日期", "开始时间", "举办日期", "举办时间", "活动时间"),
    "ends_on": ("结束时间",),
    "place": ("活动地点", "举办地点"),
    "organiser": ("主办", "组织单位", "主办方"),
    "co_organisers": ("协办", "合作单位", "协办方"),
    "visibility": ("公开",),
    "status": ("活动状态",),
    "events": ("活动场次", "次数"),
    "participants": ("参与人数", "人数", "参会人数"),
    "speakers": ("报告人", "专家人数"),
    "papers": ("论文数", "交流论文"),
    "audience": ("受众人数", "受益人次", "参与人次"),
    "volunteer_hours": ("志愿服务时长", "服务时长"),
    "countries": ("国家和地区", "境外国家和地区"),
    "speaker_name": ("主讲人姓名", "报告人姓名"),
}
CHOICES = ("task", "subtype", "visibility", "status", "speaker_kind", "audience_group")
TEXTS = {"title": 200, "place": 200, "organiser": 200, "co_organisers": 1000, "countries": 1000}


def _field(name: str) -> Field:
    if name in COUNT_FIELDS:
        kind, length = "count", 100
    elif name in CHOICES:
        kind, length = "choice", 100
    elif name in ("starts_on", "ends_on"):
        kind, length = "date", 100
    elif name == "speaker_name":
        kind, length = "name", 50
    else:
        kind, length = "text", TEXTS.get(name, 100)
    return Field(name, HEADERS[name], kind, ALIASES.get(name, ()), length, name == "title")


ACTIVITY_FIELDS = tuple(_field(name) for name in HEADERS if name != "association")
EXAMPLE = {
    "task": "学术交流",
    "subtype": "校际学术交流",
    "title": "2025年校际学术论坛",
    "starts_on": "2025-05-10",
    "ends_on": "2025-05-11",
    "place": "学术交流中心",
    "visibility": "本会和省级联合组织",
    "status": "已举办",
    "events": 1,
    "participants": 120,
    "speakers": 8,
    "papers": 15,
}
# The five tasks as the document names them (二、主要任务), and as secretariats shorten them.
TASK_NAMES = {
    "学术交流与合作": "academic",
    "科学技术普及": "popularisation",
    "科普": "popularisation",
    "举荐和培养优秀科技人才": "talent",
    "人才举荐": "talent",
    "人才培养": "talent",
    "科学道德和学风建设宣讲教育": "integrity",
    "科学道德和学风建设": "integrity",
    "学风建设": "integrity",
    "指导学生科技实践活动": "student_practice",
    "学生科技实践": "student_practice",
}
# What a file may name the association itself as, for the organiser.
OURSELVES = ("本会", "校科协", "科协", "本校科协", "科协秘书处")
_PARTNERS = re.compile(r"[；;\n]")
_PARTNER = re.compile(r"^(.+?)\s*[（(]\s*(.+?)\s*[)）]$")


def _words(labels: dict) -> dict[str, str]:
    """Each label in Chinese and in English, and each value itself, to the value."""
    words = {}
    for locale in ("en", "zh_Hans_CN"):
        with force_locale(locale):
            words |= {str(label): str(getattr(key, "value", key)) for key, label in labels.items()}
    return words | {
        str(getattr(key, "value", key)): str(getattr(key, "value", key)) for key in labels
    }


def choices() -> dict[str, dict[str, str]]:
    return {
        "task": _words(TASK_LABELS) | TASK_NAMES,
        "subtype": _words(SUBTYPE_LABELS),
        "visibility": _words(VISIBILITY_LABELS) | {"仅本会": "private", "本会": "private"},
        "status": _words(ACTIVITY_STATUS_LABELS) | {"已完成": "held", "计划": "planned"},
        "speaker_kind": _words(SPEAKER_KIND_LABELS) | {"院士": "academician", "教授": "professor"},
        "audience_group": _words(AUDIENCE_GROUP_LABELS),
        "partner": _words(PARTNER_KIND_LABELS),
    }


def _labels_of(ctx: Context) -> dict[str, dict[str, str]]:
    """Each choice's value to the label the file's language most likely wrote (Chinese)."""
    out: dict[str, dict[str, str]] = {}
    for field, words in ctx.choices.items():
        for word, value in words.items():  # Chinese labels come last, so they win
            if word != value:
                out.setdefault(field, {})[value] = word
    return out


# --- checking ---------------------------------------------------------------------------


def _check(rows: list[Row], ctx: Context) -> None:
    groups = {choice_key(name): gid for gid, name in services.organiser_names().items()}
    partners = {choice_key(w): v for w, v in ctx.choices.get("partner", {}).items()}
    labels = _labels_of(ctx)
    today = date.today()
    live = [r for r in rows if not r.excluded]
    for row in rows:
        if not row.values.get("title") and not row.failed("title"):
            row.fail(HEADERS["title"], "", _("The title is required."))
        if row.problems:
            continue
        data = _data(row, groups, partners)
        if row.problems:
            continue
        status = _status(row, labels, today)
        try:
            row.values["_stored"] = services.check_new_activity(data, status=status, today=today)
        except ActivityError as refused:
            for field, message in refused.errors.items():
                _blame(row, field, str(message))
            continue
        row.values["_status"] = status
    _duplicates(live)
    _match(live, labels)


def _data(row: Row, groups: dict[str, int], partners: dict[str, str]) -> dict:
    """The row as the activity form would give it: the task from the type when left out,
    the end date from the start, the organiser and co-organisers by name."""
    values = row.values
    data = {
        f: values.get(f)
        for f in ("task", "subtype", "title", "starts_on", "ends_on", "place", "visibility")
    }
    data |= {f: values.get(f) for f in ("speaker_kind", "speaker_name", "audience_group")}
    if not data["task"] and data["subtype"] in TASK_OF_SUBTYPE:
        data["task"] = TASK_OF_SUBTYPE[data["subtype"]].value
    if not data["ends_on"]:
        data["ends_on"] = data["starts_on"]
    if not data["visibility"]:
        data.pop("visibility")
    for field in COUNT_FIELDS:
        if values.get(field) is not None:
            data[field] = values[field]
    data["countries"] = values.get("countries")
    organiser = values.get("organiser")
    if organiser and organiser not in OURSELVES:
        found = groups.get(choice_key(organiser))
        if found is None:
            row.fail_field(
                "organiser",
                _("Not a group member of the association; leave it empty for the association."),
            )
        data["organiser_group_id"] = found
    data["co_organisers"] = _co_organisers(row, values.get("co_organisers"), partners)
    return data


def _co_organisers(row: Row, written: str | None, partners: dict[str, str]) -> list[dict]:
    """ "某大学（高校）；某公司（企业）" as the export writes it; a name alone is "other"."""
    found = []
    for part in _PARTNERS.split(written or ""):
        part = part.strip()
        if not part:
            continue
        match = _PARTNER.match(part)
        kind = partners.get(choice_key(match.group(2))) if match else None
        if match and kind:
            found.append({"name": match.group(1), "kind": kind})
        else:
            found.append({"name": part, "kind": "other"})
    return found


def _status(row: Row, labels: dict, today: date) -> str:
    """Held for a past activity, planned for one to come, unless the file says; a reported
    one is imported as held (reporting is this platform's own step)."""
    status = row.values.get("status")
    if status == ActivityStatus.REPORTED.value:
        held = labels.get("status", {}).get(ActivityStatus.HELD.value, "held")
        row.changes.append((row.column("status"), row.written("status"), held))
        return ActivityStatus.HELD.value
    if status:
        return status
    starts = row.values.get("starts_on")
    return (
        ActivityStatus.HELD.value
        if isinstance(starts, date) and starts <= today
        else ActivityStatus.PLANNED.value
    )


def _blame(row: Row, field: str | None, message: str) -> None:
    name = {"organiser_group_id": "organiser"}.get(field or "", field or "title")
    if name not in HEADERS:
        name = "title"
    row.fail(row.column(name), row.written(name), message)


def _key(row: Row) -> tuple[str, date] | None:
    stored = row.values.get("_stored")
    if not stored:
        return None
    return choice_key(stored["title"]), stored["starts_on"]


def _duplicates(rows: list[Row]) -> None:
    seen: dict[tuple, int] = {}
    for row in rows:
        key = _key(row)
        if key is None:
            continue
        first = seen.setdefault(key, row.number)
        if first != row.number:
            row.fail_field("title", _("Duplicate of row %(n)d.", n=first))


def _match(rows: list[Row], labels: dict) -> None:
    keyed = [(r, _key(r)) for r in rows if not r.problems and _key(r)]
    if not keyed:
        return
    titles = sorted({r.values["_stored"]["title"] for r, _k in keyed})
    existing: dict[tuple, Activity] = {}
    for start in range(0, len(titles), 500):
        query = services.visible_activities().where(Activity.title.in_(titles[start : start + 500]))
        for activity in db.session.scalars(query):
            existing[(choice_key(activity.title), activity.starts_on)] = activity
    for row, key in keyed:
        activity = existing.get(key)
        if activity is not None:
            row.member = activity.id
            row.diff = _diff(row, activity, labels)


def _diff(row: Row, activity: Activity, labels: dict) -> list[tuple[str, str, str]]:
    stored = row.values["_stored"]
    changed = []
    for field in HEADERS:
        column = "organiser_group_id" if field == "organiser" else field
        if field not in row.column_index or column not in stored:
            continue
        old, new = getattr(activity, column), stored[column]
        if old != new and (old or new):
            changed.append(
                (row.column(field), _shown(field, old, labels), _shown(field, new, labels))
            )
    return changed


def _shown(field: str, value: object, labels: dict) -> str:
    if value is None:
        return ""
    if field in labels:
        return labels[field].get(str(value), str(value))
    if isinstance(value, list):
        return "、".join(v["name"] if isinstance(v, dict) else str(v) for v in value)
    return value.isoformat() if isinstance(value, date) else str(value)


# --- writing ----------------------------------------------------------------------------


def _write(upload, new: list[Row], changed: list[Row]) -> int:
    """Through the activities service, as the form writes (the audit records each one)."""
    total = len(new) + len(changed)
    for done, row in enumerate(new, start=1):
        services.create_activity(
            row.values["_stored"], upload.created_by, status=row.values["_status"]
        )
        if done % 100 == 0:
            report_progress(upload.id, done, total, "importing")
    updated = 0
    if changed:
        activities = {
            a.id: a
            for a in db.session.scalars(
                sa.select(Activity).where(Activity.id.in_([r.member for r in changed]))
            )
        }
        for row in changed:
            activity = activities[row.member]
            if activity.status == ActivityStatus.REPORTED.value:
                continue  # final: a reported activity is never changed
            mapped = {("organiser_group_id" if f == "organiser" else f) for f in row.column_index}
            services.update_activity(
                activity, {k: v for k, v in row.values["_stored"].items() if k in mapped}
            )
            updated += 1
    db.session.flush()
    return updated


def template_xlsx() -> bytes:
    header = [f.header for f in ACTIVITY_FIELDS]
    return to_xlsx(header, [[EXAMPLE.get(f.name, "") for f in ACTIVITY_FIELDS]], title="活动")


SPEC = ImportKind(
    name=KIND,
    fields=ACTIVITY_FIELDS,
    required="title",
    check=_check,
    write=_write,
    entity="member_import",  # the upload (of kind "activities") is what the record names
    choices=choices,
)
