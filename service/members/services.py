"""Members and group members under the current scope. Services never commit."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import force_locale

from service import naming
from service.access import in_scope
from service.audit.services import record
from service.auth.services import set_user_active
from service.errors import NotFound, RuleBroken
from service.i18n import lazy_gettext as _l
from service.members import history
from service.members.eligibility import Eligibility, eligibility
from service.members.models import (
    KEYS_TAKEN,
    STATUS_LABELS,
    GroupMember,
    GroupMemberStatusChange,
    Member,
    MembershipPolicy,
    MemberStatus,
)
from service.members.tabular import export_row
from service.sorting import pinyin_order
from service.unique_keys import claimed
from tenants.db import db
from tenants.models import utcnow
from tenants.scope import Scope, use_scope

if TYPE_CHECKING:  # a hint only: accounts are changed through their services
    from service.auth.models import User

MEMBER_FIELDS = (
    "name",
    "staff_number",
    "gender",
    "birth_year",
    "department",
    "discipline",
    "title",
    "position",
    "phone",
    "email",
    "societies",
    "in_cast_society",
    "exception_reason",
    "joined_on",
)
# What erasure clears: everything that could name the person. Title, join date and status
# stay, so the association's counts do not change.
GROUP_FIELDS = (
    "name",
    "kind",
    "kind_name",
    "leader_name",
    "contact_phone",
    "member_count",
    "joined_on",
)
ERASED_FIELDS = (
    "staff_number",
    "gender",
    "birth_year",
    "department",
    "discipline",
    "position",
    "phone",
    "email",
    "societies",
    "exception_reason",
)


class MembershipError(RuleBroken):
    """A refusal a clerk can act on; the message says what to fix."""


class DuplicateMember(MembershipError):
    def __init__(self, existing: Member, staff_number: bool = False):
        super().__init__(
            _l("A member with this staff number exists already.")
            if staff_number
            else _l("A member with this phone or e-mail exists already.")
        )
        self.existing = existing


def access_member(member_id: int) -> Member:
    """The member with `member_id` if the current scope holds it: NotFound for a missing
    id and for another association's member alike."""
    return in_scope(Member, member_id)


def member_or_none(member_id: int) -> Member | None:
    """The member with `member_id` if the current scope holds it, else None (a link
    remembered in a session may name a record since erased or out of reach)."""
    try:
        return access_member(member_id)
    except NotFound:
        return None


def active_members_with(field: str, value: str) -> list[Member]:
    """The scope's active, unerased members whose `field` ("email", case-insensitive;
    "staff_number" or "phone", exact) equals `value`: how a university account finds its
    record."""
    column = getattr(Member, field)
    same = sa.func.lower(column) == value.lower() if field == "email" else column == value
    return list(
        db.session.scalars(
            sa.select(Member).where(
                same, Member.status == MemberStatus.ACTIVE.value, Member.erased_at.is_(None)
            )
        )
    )


def access_group_member(group_member_id: int) -> GroupMember:
    """The group member with `group_member_id` if the current scope holds it: NotFound for
    a missing id and for another association's group member alike."""
    return in_scope(GroupMember, group_member_id)


def member_of_account(user_id: int) -> Member:
    """The member record linked to the signed-in account (not erased): NotFound when the
    account has none."""
    member = db.session.scalar(
        sa.select(Member).where(Member.user_id == user_id, Member.erased_at.is_(None))
    )
    if member is None:
        raise NotFound()
    return member


def members_query(
    search: str | None = None, status: str | None = None, title: str | None = None
) -> sa.Select:
    return (
        sa.select(Member)
        .where(*member_filters(Member, search_pattern(search), status or None, title or None))
        .order_by(pinyin_order(Member.name), Member.id)
    )


def search_pattern(search: str | None) -> str | None:
    """What the member lists' search matches (LIKE) in name, department, phone and staff
    number; None: no search."""
    return f"%{search.strip()}%" if search else None


def member_filters(members: Any, like: Any, status: Any, title: Any) -> list:
    """The member lists' conditions on `members` (the mapped class, or a table of members):
    not erased, and the search, status and title chosen (values, or bound parameters
    standing for them; None: not chosen)."""
    conditions = [members.erased_at.is_(None)]
    if like is not None:
        conditions.append(
            sa.or_(
                members.name.like(like),
                members.department.like(like),
                members.phone.like(like),
                members.staff_number.like(like),
            )
        )
    if status is not None:
        conditions.append(members.status == status)
    if title is not None:
        conditions.append(members.title == title)
    return conditions


def find_duplicate(phone: str | None, email: str | None, exclude_id: int | None = None):
    """The member of this tenant with the same phone or e-mail, if any."""
    clauses = []
    if phone:
        clauses.append(Member.phone == phone)
    if email:
        clauses.append(Member.email == email.lower())
    if not clauses:
        return None
    query = sa.select(Member).where(sa.or_(*clauses))
    if exclude_id is not None:
        query = query.where(Member.id != exclude_id)
    return db.session.scalars(query.limit(1)).first()


def find_staff_number(staff_number: str | None, exclude_id: int | None = None) -> Member | None:
    """The member of this tenant with this staff number (unique where given), if any."""
    if not staff_number:
        return None
    query = sa.select(Member).where(Member.staff_number == staff_number)
    if exclude_id is not None:
        query = query.where(Member.id != exclude_id)
    return db.session.scalars(query.limit(1)).first()


def _refuse_duplicates(data: dict[str, Any], exclude_id: int | None = None) -> None:
    existing = find_staff_number(data.get("staff_number"), exclude_id)
    if existing is not None:
        raise DuplicateMember(existing, staff_number=True)
    existing = find_duplicate(data.get("phone"), data.get("email"), exclude_id)
    if existing is not None:
        raise DuplicateMember(existing)


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for field in MEMBER_FIELDS:
        if field in data:
            value = data[field]
            if isinstance(value, str):
                value = value.strip() or None
            out[field] = value
    if out.get("email"):
        out["email"] = out["email"].lower()
    return out


def check_member(data: dict[str, Any]) -> None:
    """The document's rules that a form alone cannot express."""
    if not data.get("phone") and not data.get("email"):
        raise MembershipError(_l("Give a phone number or an e-mail address."))
    status = eligibility(
        bool(data.get("in_cast_society")), data.get("title") or "none", data.get("exception_reason")
    )
    if status is Eligibility.NOT_ELIGIBLE:
        raise MembershipError(
            _l(
                "Not eligible: membership needs a CAST society, an intermediate or higher"
                " title, or an exception with a reason."
            )
        )


def create_member(data: dict[str, Any]) -> Member:
    data = _clean(data)
    check_member(data)
    _refuse_duplicates(data)
    member = Member(**data)
    with claimed(Member, KEYS_TAKEN):
        db.session.add(member)
    history.joined(member)
    return member


def update_member(member: Member, changes: dict[str, Any]) -> Member:
    changes = _clean(changes)
    merged = {f: getattr(member, f) for f in MEMBER_FIELDS} | changes
    check_member(merged)
    _refuse_duplicates(merged, exclude_id=member.id)
    joined_on = member.joined_on
    with claimed(Member, KEYS_TAKEN):
        for field, value in changes.items():
            setattr(member, field, value)
    if member.joined_on != joined_on:
        history.joining_moved(member)
    return member


def set_member_status(
    member: Member, status: MemberStatus, on: date | None = None, *, erased: bool = False
) -> None:
    """Change the status from a day (today by default), and record it in the history. The
    day cannot be before the last recorded change, or the history would contradict itself."""
    if member.status == status.value and not erased:
        return
    on = on or date.today()
    last = history.last_change_on(member)
    if last is not None and on < last:
        raise MembershipError(
            _l(
                "A change of status cannot be dated before the last recorded one (%(day)s).",
                day=last.isoformat(),
            )
        )
    if member.status != status.value:
        member.status = status.value
        member.status_changed_on = on
    history.changed(member, status, on, erased=erased)


def erase_member(member: Member) -> None:
    """Erase a member's personal data (PIPL), keeping the row so counts stay right."""
    for field in ERASED_FIELDS:
        setattr(member, field, None)
    member.name = "已注销会员"
    member.in_cast_society = False
    member.named_upward = False
    # The member counted until the erasure and no longer; the dated rows (no personal data
    # in them) stay, so past years' figures do not change.
    member.erased_at = utcnow()
    on = max(member.erased_at.date(), history.last_change_on(member) or date.min)
    set_member_status(member, MemberStatus.WITHDRAWN, on, erased=True)


def exported_rows(
    masks: dict,
    tenant_id: int | None,
    fmt: str,
    search: str | None = None,
    status: str | None = None,
    title: str | None = None,
) -> list[list]:
    """The members of the list's filter (every one not erased without a filter), in its
    order, as rows of the spreadsheet with their status last, the fields in `masks` masked;
    the export is recorded in the audit log (how many rows, the filter, and whether the
    contacts went out in clear)."""
    query = members_query(search, status, title)
    rows = [[*export_row(m, masks), status_text(m)] for m in db.session.scalars(query)]
    chosen = {"search": search, "status": status, "title": title}
    changes = {"format": fmt, "rows": len(rows), "contacts": "masked" if masks else "clear"}
    if any(chosen.values()):
        changes["filter"] = {k: v for k, v in chosen.items() if v}
    record(db.session, "export", "member", tenant_id=tenant_id, changes=changes)
    return rows


def status_text(member: Member) -> str:
    """The member's status in the export's words (Chinese, whatever the page's language)."""
    with force_locale("zh_Hans_CN"):
        return str(STATUS_LABELS[member.status])


def export_own_record(member: Member) -> None:
    """The member took a copy of their own record: recorded in the audit log."""
    record(db.session, "export", "member", member.id, member.tenant_id, {"by": "the member"})


def withdraw_consent(member: Member) -> None:
    """The member withdraws consent: their name is no longer passed upward."""
    member.consent_withdrawn_at = utcnow()
    member.named_upward = False


def erase_own_record(member: Member, account: User) -> None:
    """The member erases their personal data (PIPL): the record is erased as staff would,
    and the account that was linked to it is closed (its sessions end)."""
    erase_member(member)
    set_user_active(account, False)
    member.user_id = None


def member_counts() -> dict[str, int]:
    """Counts by status, including erased members: what goes upward is numbers, not names."""
    rows = db.session.execute(sa.select(Member.status, sa.func.count()).group_by(Member.status))
    return dict(rows.all())


def counts_by_association() -> dict[int, dict[str, int]]:
    """Per association in scope: members by status and the number of group members.
    What supervisors and national reporting receive is these numbers, never names."""
    counts: dict[int, dict[str, int]] = {}
    rows = db.session.execute(
        sa.select(Member.tenant_id, Member.status, sa.func.count()).group_by(
            Member.tenant_id, Member.status
        )
    )
    for tenant_id, status, count in rows:
        counts.setdefault(tenant_id, {})[status] = count
    groups = db.session.execute(
        sa.select(GroupMember.tenant_id, sa.func.count())
        .where(GroupMember.status == "active")
        .group_by(GroupMember.tenant_id)
    )
    for tenant_id, count in groups:
        counts.setdefault(tenant_id, {})["group_members"] = count
    return counts


def policy() -> MembershipPolicy:
    """The association's joining policy, or the defaults (unsaved) until its admin saves one:
    the public form and every page that shows the policy only read."""
    current = db.session.scalars(sa.select(MembershipPolicy)).first()
    return current if current is not None else MembershipPolicy.defaults()


def update_policy(current: MembershipPolicy, procedure: str, rights_and_duties: str) -> None:
    """Change the policy; the first change is when the association's row is made."""
    db.session.add(current)
    if rights_and_duties.strip() != (current.rights_and_duties or "").strip():
        current.consent_version += 1
    current.procedure = procedure
    current.rights_and_duties = rights_and_duties.strip()


def group_members_query(status: str | None = None) -> sa.Select:
    query = sa.select(GroupMember).order_by(GroupMember.kind, pinyin_order(GroupMember.name))
    if status:
        query = query.where(GroupMember.status == status)
    return query


def group_members() -> list[GroupMember]:
    """The association's group members, by kind and name."""
    return list(db.session.scalars(group_members_query()))


def create_group_member(data: dict[str, Any]) -> GroupMember:
    """A new group member from the form's or the API's fields (a member since today unless
    a day is given); flushed, so its id is known."""
    values = _group_values(data)
    group = GroupMember(**values, status=data.get("status") or "active")
    group.joined_on = values.get("joined_on") or date.today()
    db.session.add(group)
    db.session.flush()
    return group


def update_group_member(
    group: GroupMember,
    changes: dict[str, Any],
    reason: str | None = None,
    status_on: date | None = None,
) -> GroupMember:
    """Change the fields given; a change of status is dated `status_on` (today by default)
    and kept in the group member's history with `reason`."""
    values = _group_values(changes)
    if changes.get("status"):
        set_group_status(group, changes["status"], reason, status_on)
    for field, value in values.items():
        setattr(group, field, value)
    return group


def _group_values(data: dict[str, Any]) -> dict[str, Any]:
    """The group member's own fields among `data`, text trimmed (empty as none). An empty
    join date leaves the one it has; an empty name is refused."""
    values = {}
    for field in GROUP_FIELDS:
        if field in data:
            value = data[field]
            values[field] = (value.strip() or None) if isinstance(value, str) else value
    if "name" in values and not values["name"]:
        raise RuleBroken(_l("The name is required."), field="name")
    if "member_count" in values and values["member_count"] is None:
        values["member_count"] = 0
    if "joined_on" in values and values["joined_on"] is None:
        del values["joined_on"]
    return values


def set_group_status(
    group: GroupMember, status: str, reason: str | None, on: date | None = None
) -> None:
    """Change a group member's status from a day (today by default), with its history."""
    if group.status == status:
        return
    db.session.add(
        GroupMemberStatusChange(
            tenant_id=group.tenant_id,
            group_member_id=group.id,
            from_status=group.status,
            to_status=status,
            changed_on=on or date.today(),
            reason=reason,
        )
    )
    group.status = status


def group_history(group: GroupMember) -> list[GroupMemberStatusChange]:
    return db.session.scalars(
        sa.select(GroupMemberStatusChange)
        .where(GroupMemberStatusChange.group_member_id == group.id)
        .order_by(GroupMemberStatusChange.changed_on.desc(), GroupMemberStatusChange.id.desc())
    ).all()


def address_of_account(user_id: int, association_id: int) -> str | None:
    """The e-mail on the member record linked to an account, for notices to its holder."""
    with use_scope(Scope.association(association_id)):
        return db.session.scalar(
            sa.select(Member.email).where(Member.user_id == user_id, Member.erased_at.is_(None))
        )


# --- many at once -------------------------------------------------------------------------

# One change covers at most this many members: a select-all beyond it is refused.
MAX_BULK = 500


def selected_members(member_ids: list[int], filters: dict[str, Any] | None = None) -> list[Member]:
    """The members a clerk chose: every one of the list's filter when `filters` is given
    (a select-all), else the ticked ids, each read in the caller's scope (a foreign id is a
    NotFound). Refused when there are none or too many."""
    if filters is not None:
        chosen = list(db.session.scalars(members_query(**filters).limit(MAX_BULK + 1)))
    else:
        chosen = [access_member(i) for i in member_ids]
        if any(m.erased_at is not None for m in chosen):
            raise NotFound()  # not on the list: an erased record is nobody's to change
    if not chosen:
        raise MembershipError(_l("Choose at least one member."))
    if len(chosen) > MAX_BULK:
        raise MembershipError(_l("Choose at most %(n)d members at a time.", n=MAX_BULK))
    return chosen


def status_blocked(members: list[Member], on: date) -> list[Member]:
    """Those whose history has a change after `on`: a change dated `on` would contradict it."""
    return [m for m in members if (last := history.last_change_on(m)) is not None and on < last]


def set_status_of_many(members: list[Member], status: MemberStatus, on: date | None = None) -> int:
    """Set every chosen member's status from `on` (today by default), or none: a refusal
    names each member whose recorded history forbids the date, before anything changes.
    Members already in that status stay as they are. Returns how many changed."""
    on = on or date.today()
    blocked = status_blocked(members, on)
    if blocked:
        raise MembershipError(
            _l(
                "Nothing was changed: %(n)d of the chosen members have a change of status "
                "recorded after %(day)s: %(names)s.",
                n=len(blocked),
                day=on.isoformat(),
                names=naming.named([m.name for m in blocked]),
            )
        )
    changing = [m for m in members if m.status != status.value]
    for member in changing:
        set_member_status(member, status, on)
    return len(changing)
