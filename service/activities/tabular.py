"""The activity spreadsheet: Chinese headers, one row per activity, every figure a column.
Text that a spreadsheet would run as a formula is neutralised (see members.tabular)."""

from __future__ import annotations

from service.activities.models import (
    AUDIENCE_GROUP_LABELS,
    COUNT_FIELDS,
    PARTNER_KIND_LABELS,
    SPEAKER_KIND_LABELS,
    Activity,
    AudienceGroup,
    PartnerKind,
    SpeakerKind,
)
from service.imports.writing import neutralise

# Fixed Chinese headers: what secretariats and the federation file away, whatever the UI
# language of the person exporting.
HEADERS = {
    "association": "高校科协",
    "task": "主要任务",
    "subtype": "活动类型",
    "title": "活动名称",
    "starts_on": "开始日期",
    "ends_on": "结束日期",
    "place": "地点",
    "organiser": "主办单位",
    "co_organisers": "协办单位",
    "visibility": "公开范围",
    "status": "状态",
    "events": "场次",
    "participants": "参加人数",
    "speakers": "报告人数",
    "papers": "交流论文和报告",
    "foreign_participants": "境外参会人数",
    "countries": "境外参会者国家和地区",
    "audience": "受众人次",
    "volunteers": "志愿者人数",
    "volunteer_hours": "志愿服务时长（小时）",
    "venues_opened": "开放场馆数",
    "venue_visitors": "场馆接待人次",
    "mentors": "导师人数",
    "mentees": "培养对象人数",
    "talents_selected": "入选青年人才人数",
    "projects": "项目数",
    "secondary_students": "接收中学生人数",
    "speaker_kind": "主讲人类别",
    "speaker_name": "主讲人",
    "audience_group": "受众群体",
}


def export(
    activities: list[Activity], organisers: dict[int, str], associations: dict[int, str] | None
) -> tuple[list[str], list[list]]:
    """(header, rows); the association column only when several associations are listed.
    Labels are read in the locale in force (the caller forces Chinese)."""
    keys = [k for k in HEADERS if k != "association" or associations is not None]
    rows = []
    for a in activities:
        values = {
            "association": (associations or {}).get(a.tenant_id, ""),
            "task": a.task_label,
            "subtype": a.subtype_label,
            "title": a.title,
            "starts_on": a.starts_on.isoformat(),
            "ends_on": a.ends_on.isoformat(),
            "place": a.place or "",
            "organiser": organisers.get(a.organiser_group_id, "") if a.organiser_group_id else "",
            "co_organisers": "；".join(
                f"{p['name']}（{PARTNER_KIND_LABELS[PartnerKind(p['kind'])]}）"
                for p in a.co_organisers or []
            ),
            "visibility": a.visibility_label,
            "status": a.status_label,
            "countries": "、".join(a.countries or []),
            "speaker_kind": str(SPEAKER_KIND_LABELS[SpeakerKind(a.speaker_kind)])
            if a.speaker_kind
            else "",
            "speaker_name": a.speaker_name or "",
            "audience_group": str(AUDIENCE_GROUP_LABELS[AudienceGroup(a.audience_group)])
            if a.audience_group
            else "",
            **{f: getattr(a, f) for f in COUNT_FIELDS},
        }
        rows.append(
            [
                neutralise(str(values[k]) if not isinstance(values[k], int) else values[k])
                for k in keys
            ]
        )
    return [HEADERS[k] for k in keys], rows
