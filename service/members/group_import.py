"""Group members (团体会员) imported on the import engine: the association's list of its
student, graduate, young-teacher, retired-teacher and department associations as it keeps
it. A row is the existing group member of the same name; its kind may be written as the
list's label, or left out where the name says it (研究生科协 is a graduate association)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import force_locale

from service.i18n import gettext as _
from service.imports.engine import Context, Row, display
from service.imports.fields import Field
from service.imports.kinds import ImportKind
from service.imports.normalise import choice_key
from service.members import services
from service.members.importing import PHONE, report_progress
from service.members.models import KIND_LABELS, GroupMember, GroupMemberKind
from service.members.tabular import to_xlsx
from tenants.db import db

KIND = "groups"
STATUSES = ("active", "inactive", "dissolved")
GROUP_FIELDS = (
    Field(
        "name",
        "团体会员名称",
        "name",
        ("名称", "组织名称", "团体名称", "单位名称", "科协名称", "团体会员"),
        200,
        True,
    ),
    Field("kind", "类别", "text", ("类型", "团体类别", "组织类别", "会员类别"), 100),
    Field(
        "leader_name",
        "负责人",
        "name",
        ("负责人姓名", "主席", "会长", "联系人", "主要负责人"),
        50,
    ),
    Field(
        "contact_phone",
        "联系电话",
        "phone",
        ("电话", "手机", "手机号码", "联系方式", "负责人电话", "联系人电话"),
        30,
    ),
    Field("member_count", "会员人数", "count", ("会员数", "人数", "成员数", "成员人数")),
    Field("status", "状态", "choice", ("会员状态",), 20),
    Field("joined_on", "入会日期", "date", ("加入日期", "入会时间", "成为团体会员日期")),
)
HEADER_OF = {f.name: f.header for f in GROUP_FIELDS}
EXAMPLE = ["计算机学院科协", "院系科协", "王老师", "13800138000", "120", "正常", "2024-09-01"]
# Words in a group member's name that say its kind, most specific first.
KIND_WORDS = (
    ("研究生", GroupMemberKind.GRADUATE),
    ("大学生", GroupMemberKind.UNDERGRADUATE),
    ("本科生", GroupMemberKind.UNDERGRADUATE),
    ("学生", GroupMemberKind.UNDERGRADUATE),
    ("青年教师", GroupMemberKind.YOUNG_TEACHER),
    ("青年", GroupMemberKind.YOUNG_TEACHER),
    ("离退休", GroupMemberKind.RETIRED_TEACHER),
    ("退休", GroupMemberKind.RETIRED_TEACHER),
    ("老教授", GroupMemberKind.RETIRED_TEACHER),
    ("学院", GroupMemberKind.DEPARTMENT),
    ("院系", GroupMemberKind.DEPARTMENT),
    ("书院", GroupMemberKind.DEPARTMENT),
    ("系", GroupMemberKind.DEPARTMENT),
    ("研究院", GroupMemberKind.DEPARTMENT),
)
STATUS_TEXT = {"active": "正常", "inactive": "暂停活动", "dissolved": "已撤销"}
# The Chinese and English labels of the kinds, and short words secretariats write.
KIND_SHORT = {
    "大学生科协": "undergraduate",
    "本科生科协": "undergraduate",
    "研究生科协": "graduate",
    "青年教师科协": "young_teacher",
    "离退休教师科协": "retired_teacher",
    "院系科协": "department",
    "学院科协": "department",
}


def _labels(labels: dict) -> dict[str, str]:
    """Each label in Chinese and in English, and each value itself, to the value."""
    words = {}
    for locale in ("zh_Hans_CN", "en"):
        with force_locale(locale):
            words |= {str(label): key.value for key, label in labels.items()}
    return words | {key.value: key.value for key in labels}


def choices() -> dict[str, dict[str, str]]:
    statuses = {"正常": "active", "活跃": "active", "在册": "active", "有效": "active"}
    statuses |= {"暂停": "inactive", "暂停活动": "inactive", "不活跃": "inactive"}
    statuses |= {"撤销": "dissolved", "已撤销": "dissolved", "解散": "dissolved"}
    statuses |= {"注销": "dissolved", "已注销": "dissolved"}
    statuses |= {s: s for s in STATUSES}
    with force_locale("zh_Hans_CN"):
        statuses |= {_("Active"): "active", _("Inactive"): "inactive", _("Dissolved"): "dissolved"}
    return {"status": statuses, "kind": _labels(KIND_LABELS) | KIND_SHORT}


def _kind_of(row: Row, kinds: dict[str, str]) -> None:
    """The kind from its column (a label of the list, else the association's own kind,
    named), or from the name; a problem when neither says it."""
    written = row.values.get("kind")
    if written:
        found = {choice_key(w): v for w, v in kinds.items()}.get(choice_key(written))
        if found is not None:
            row.values["kind"], row.values["kind_name"] = found, None
        else:  # the association's own kind, by the name it gives it
            row.values["kind"], row.values["kind_name"] = GroupMemberKind.OTHER.value, written
        return
    name = row.values.get("name") or ""
    for word, kind in KIND_WORDS:
        if word in name:
            row.values["kind"], row.values["kind_name"] = kind.value, None
            row.changes.append((row.column("kind"), "", str(KIND_LABELS[kind])))
            return
    if name:
        row.fail(row.column("kind"), "", _("Give the kind of the group member."))


def _check(rows: list[Row], ctx: Context) -> None:
    kinds = ctx.choices.get("kind", {})
    for row in rows:
        values = row.values
        if not values.get("name") and not row.failed("name"):
            row.fail(HEADER_OF["name"], "", _("The name is required."))
        if not row.failed("kind"):
            _kind_of(row, kinds)
        phone = values.get("contact_phone")
        if phone and not PHONE.match(phone):
            row.fail_field("contact_phone", _("Not a mobile or landline number."))
            values["contact_phone"] = None
        if (values.get("member_count") or 0) > 10**6:
            row.fail_field("member_count", _("At most %(n)d.", n=10**6))
    live = [r for r in rows if not r.excluded]
    seen: dict[str, int] = {}
    for row in live:
        key = _key(row.values.get("name"))
        if not key:
            continue
        first = seen.setdefault(key, row.number)
        if first != row.number:
            row.fail_field("name", _("Duplicate of row %(n)d.", n=first))
    existing = {_key(g.name): g for g in db.session.scalars(services.group_members_query())}
    for row in live:
        group = existing.get(_key(row.values.get("name")))
        if group is not None and not row.problems:
            row.member = group.id
            row.diff = _diff(row, group)


def _key(name: str | None) -> str:
    """A group member's name as compared: spaces and case do not make another group."""
    return choice_key(name) if name else ""


def _diff(row: Row, group: GroupMember) -> list[tuple[str, str, str]]:
    changed = []
    by_name = {f.name: f for f in GROUP_FIELDS}
    for field, value in row.values.items():
        if field not in row.column_index or value is None or field == "kind_name":
            continue
        old = getattr(group, field)
        if field == "kind":
            if (old, group.kind_name) != (value, row.values.get("kind_name")):
                changed.append((row.column(field), group.kind_label, _kind_text(row)))
        elif old != value:
            changed.append(
                (row.column(field), _shown(field, old, by_name), _shown(field, value, by_name))
            )
    return changed


def _shown(field: str, value: object, by_name: dict[str, Field]) -> str:
    if field == "status":
        return STATUS_TEXT.get(value, str(value or ""))
    return display(by_name[field], value)


def _kind_text(row: Row) -> str:
    if row.values.get("kind") == GroupMemberKind.OTHER.value:
        return row.values.get("kind_name") or ""
    return str(KIND_LABELS[GroupMemberKind(row.values["kind"])])


def _write(upload, new: list[Row], changed: list[Row]) -> int:
    """Each row as the group member page writes it (the audit records each one)."""
    for done, row in enumerate(new, start=1):
        values = row.values
        db.session.add(
            GroupMember(
                name=values["name"],
                kind=values["kind"],
                kind_name=values.get("kind_name"),
                leader_name=values.get("leader_name"),
                contact_phone=values.get("contact_phone"),
                member_count=values.get("member_count") or 0,
                status=values.get("status") or "active",
                joined_on=values.get("joined_on") or date.today(),
            )
        )
        if done % 200 == 0:
            report_progress(upload.id, done, len(new) + len(changed), "importing")
    if not changed:
        db.session.flush()
        return 0
    groups = {
        g.id: g
        for g in db.session.scalars(
            sa.select(GroupMember).where(GroupMember.id.in_([r.member for r in changed]))
        )
    }
    for row in changed:
        group = groups[row.member]
        for field, value in row.values.items():
            if field not in row.column_index or value is None:
                continue
            if field == "status":
                services.set_group_status(group, value, _("Changed by an import."))
            elif field == "kind":
                group.kind, group.kind_name = value, row.values.get("kind_name")
            else:
                setattr(group, field, value)
    db.session.flush()
    return len(changed)


def template_xlsx() -> bytes:
    return to_xlsx([f.header for f in GROUP_FIELDS], [EXAMPLE], title="团体会员")


SPEC = ImportKind(
    name=KIND,
    fields=GROUP_FIELDS,
    required="name",
    check=_check,
    write=_write,
    entity="member_import",  # the upload (of kind "groups") is what the record names
    choices=choices,
)
