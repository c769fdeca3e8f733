"""Activities, their evidence, consulting reports and technology transfers, under the
current scope. Services check and change; they never commit."""

from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from werkzeug.datastructures import FileStorage

from service import naming
from service.access import in_scope
from service.activities import tabular
from service.activities.models import (
    COUNT_FIELDS,
    COUNTED,
    COUNTED_STATUSES,
    FIGURE_LABELS,
    FIGURES,
    HEADCOUNT,
    NEXT_STATUS,
    SUBTYPES,
    Activity,
    ActivityEvidence,
    ActivityStatus,
    AudienceGroup,
    ConsultingReport,
    Exemplar,
    ExemplarStatus,
    PartnerKind,
    RecipientLevel,
    SpeakerKind,
    Task,
    TechTransfer,
    TransferMode,
    Visibility,
)
from service.associations import services as associations
from service.audit.services import record
from service.errors import NotFound, RuleBroken
from service.files import services as files
from service.files.checks import EVIDENCE_KINDS, check_upload
from service.i18n import lazy_gettext as _l
from service.imports.writing import to_xlsx
from service.members import services as members
from tenants.db import db
from tenants.models import Association, utcnow
from tenants.scope import ScopeKind, current_scope

# A figure larger than this is a typing slip, not an activity.
MAX_FIGURE = 10_000_000
MAX_CO_ORGANISERS = 20
MAX_COUNTRIES = 60
ACTIVITY_FIELDS = (
    "task",
    "subtype",
    "title",
    "starts_on",
    "ends_on",
    "place",
    "description",
    "organiser_group_id",
    "co_organisers",
    "visibility",
    *COUNT_FIELDS,
    "countries",
    "speaker_kind",
    "speaker_name",
    "audience_group",
)
# What a scope above the association sees of an activity it shares: what the clerk records
# and how far it got, never who typed it in.
SHARED_FIELDS = frozenset({*ACTIVITY_FIELDS, "status", "held_at", "reported_at"})


class ActivityError(RuleBroken):
    """A refusal a clerk can act on. `errors` maps a field (or None) to its message."""

    def __init__(self, errors: dict[str | None, object]):
        super().__init__("; ".join(str(m) for m in errors.values()))
        self._errors = errors

    @property
    def errors(self) -> dict[str | None, object]:
        return self._errors


def _refuse(field: str | None, message: object) -> ActivityError:
    return ActivityError({field: message})


# --- reading ------------------------------------------------------------------------------


def _sees_everything() -> bool:
    """Association scopes see their own activities whatever the visibility; every scope
    above sees only what the association chose to share."""
    scope = current_scope()
    return scope.kind in (ScopeKind.ASSOCIATION, ScopeKind.SYSTEM)


def visible_activities() -> sa.Select:
    query = sa.select(Activity)
    if not _sees_everything():
        query = query.where(Activity.visibility != Visibility.PRIVATE.value)
    return query


def access_activity(activity_id: int) -> Activity:
    """The activity with this id if the current scope may see it. Raises `NotFound` for a
    missing one, another association's and one its association did not share with the
    caller's scope alike."""
    activity = in_scope(Activity, activity_id)
    if not _sees_everything() and activity.visibility == Visibility.PRIVATE.value:
        # Told as `in_scope` tells of one that does not exist.
        raise NotFound()
    return activity


def activities_query(
    *,
    task: str | None = None,
    subtype: str | None = None,
    year: int | None = None,
    starts_from: date | None = None,
    ends_by: date | None = None,
    organiser: str | None = None,
    status: str | None = None,
    association_id: int | None = None,
    public_only: bool = False,
) -> sa.Select:
    """The visible activities matching every given filter, latest first.

    `organiser` is "association" for the association's own, or a group member's id.
    """
    query = visible_activities()
    if task:
        query = query.where(Activity.task == task)
    if subtype:
        query = query.where(Activity.subtype == subtype)
    if year:
        query = query.where(Activity.starts_on.between(date(year, 1, 1), date(year, 12, 31)))
    if starts_from:
        query = query.where(Activity.ends_on >= starts_from)
    if ends_by:
        query = query.where(Activity.starts_on <= ends_by)
    if organiser == "association":
        query = query.where(Activity.organiser_group_id.is_(None))
    elif organiser:
        query = query.where(Activity.organiser_group_id == int(organiser))
    if status == COUNTED:
        query = query.where(Activity.status.in_(COUNTED_STATUSES))
    elif status:
        query = query.where(Activity.status == status)
    if association_id:
        query = query.where(Activity.tenant_id == association_id)
    if public_only:
        query = query.where(Activity.visibility == Visibility.PUBLIC.value)
    return query.order_by(Activity.starts_on.desc(), Activity.id.desc())


def organiser_names() -> dict[int, str]:
    """Names of the group members the scope sees, by id: who may organise an activity."""
    groups = db.session.scalars(members.group_members_query()).all()
    return {g.id: g.name for g in groups}


def export_xlsx(filters: dict[str, Any], *, by_association: bool, tenant_id: int | None) -> bytes:
    """The filtered list as a spreadsheet with Chinese headers and labels (a column naming
    each activity's association when `by_association`); the export is logged."""
    activities = list(db.session.scalars(activities_query(**filters)))
    with force_locale("zh_Hans_CN"):
        header, rows = tabular.export(
            activities, organiser_names(), associations.names_in_scope() if by_association else None
        )
    record(
        db.session,
        "export",
        "activity",
        tenant_id=tenant_id,
        changes={"format": "xlsx", "rows": len(rows)},
    )
    return to_xlsx(header, rows, title="活动")


def calendar_month(year: int, month: int, *, public_only: bool) -> dict[date, list[Activity]]:
    """Each day of the month with the visible activities taking place on it."""
    first = date(year, month, 1)
    last = date(year, month, monthrange(year, month)[1])
    query = activities_query(starts_from=first, ends_by=last, public_only=public_only)
    days: dict[date, list[Activity]] = {
        first + timedelta(days=i): [] for i in range((last - first).days + 1)
    }
    for activity in db.session.scalars(query.order_by(None).order_by(Activity.starts_on)):
        day = max(activity.starts_on, first)
        while day <= min(activity.ends_on, last):
            days[day].append(activity)
            day += timedelta(days=1)
    return days


# --- checking -----------------------------------------------------------------------------


def _clean_text(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text[:limit] if text else None


def _clean_list(values: Any) -> list:
    if values is None:
        return []
    if isinstance(values, str):
        return [v.strip() for v in values.replace("，", ",").replace("、", ",").split(",")]
    return list(values)


def normalise(data: dict[str, Any]) -> dict[str, Any]:
    """The activity's fields as stored: texts trimmed, lists cleaned, counts as given."""
    out: dict[str, Any] = {}
    for field in ACTIVITY_FIELDS:
        if field not in data:
            continue
        value = data[field]
        if field in ("title", "place", "speaker_name"):
            value = _clean_text(value, 200 if field != "speaker_name" else 50)
        elif field == "description":
            value = _clean_text(value, 5000)
        elif field == "countries":
            value = [c.strip()[:50] for c in _clean_list(value) if c and c.strip()] or None
        elif field == "co_organisers":
            value = [
                {"name": str(o["name"]).strip()[:200], "kind": o.get("kind") or "other"}
                for o in (value or [])
                if str(o.get("name") or "").strip()
            ] or None
        elif field in ("speaker_kind", "audience_group"):
            value = value or None
        elif field == "organiser_group_id":
            value = int(value) if value not in (None, "", 0, "0") else None
        out[field] = value
    return out


def check_activity(data: dict[str, Any], today: date | None = None) -> None:
    """Every rule an activity's fields must meet; all problems at once."""
    errors: dict[str | None, object] = {}
    task = data.get("task")
    if task not in {t.value for t in Task}:
        raise _refuse("task", _l("Choose one of the five tasks."))
    task = Task(task)
    if data.get("subtype") not in SUBTYPES[task]:
        errors["subtype"] = _l("Choose a type of this task.")
    if not data.get("title"):
        errors["title"] = _l("The title is required.")
    starts, ends = data.get("starts_on"), data.get("ends_on")
    if not isinstance(starts, date):
        errors["starts_on"] = _l("The start date is required.")
    if not isinstance(ends, date):
        errors["ends_on"] = _l("The end date is required.")
    elif isinstance(starts, date) and ends < starts:
        errors["ends_on"] = _l("The end date cannot be before the start date.")
    if data.get("visibility") not in {v.value for v in Visibility}:
        errors["visibility"] = _l("Choose who may see the activity.")
    _check_figures(task, data, errors)
    for partner in data.get("co_organisers") or []:
        if partner.get("kind") not in {k.value for k in PartnerKind}:
            errors["co_organisers"] = _l("A co-organiser's kind is not one of the list.")
    if len(data.get("co_organisers") or []) > MAX_CO_ORGANISERS:
        errors["co_organisers"] = _l("At most %(n)d co-organisers.", n=MAX_CO_ORGANISERS)
    group = data.get("organiser_group_id")
    if group is not None and group not in organiser_names():
        errors["organiser_group_id"] = _l("Choose the association or one of its group members.")
    if errors:
        raise ActivityError(errors)


def _check_figures(task: Task, data: dict[str, Any], errors: dict) -> None:
    asked = set(FIGURES[task])
    for field in COUNT_FIELDS:
        value = data.get(field, 0)
        if value is None:
            value = data[field] = 0
        if isinstance(value, bool) or not isinstance(value, int):
            errors[field] = _l("%(figure)s must be a whole number.", figure=FIGURE_LABELS[field])
        elif value < 0:
            errors[field] = _l("%(figure)s cannot be negative.", figure=FIGURE_LABELS[field])
        elif value > MAX_FIGURE:
            errors[field] = _l("%(figure)s is too large.", figure=FIGURE_LABELS[field])
        elif value and field not in asked:
            errors[field] = _l(
                "%(figure)s is not a figure of this task.", figure=FIGURE_LABELS[field]
            )
    if errors:
        return
    headcount = HEADCOUNT[task]
    if data.get("speakers", 0) > data.get(headcount, 0):
        errors[headcount] = _l(
            "%(who)s cannot be fewer than the speakers.", who=FIGURE_LABELS[headcount]
        )
    if data.get("foreign_participants", 0) > data.get("participants", 0):
        errors["foreign_participants"] = _l("Foreign participants are among the participants.")
    countries = data.get("countries") or []
    if countries and task is not Task.ACADEMIC:
        errors["countries"] = _l("Countries are recorded for academic exchange only.")
    if data.get("foreign_participants", 0) and not countries:
        errors["countries"] = _l(
            "Name the countries or regions the foreign participants came from."
        )
    if len(countries) > MAX_COUNTRIES:
        errors["countries"] = _l("Too many countries.")
    if data.get("venue_visitors", 0) and not data.get("venues_opened", 0):
        errors["venues_opened"] = _l("Visitors need at least one venue opened.")
    if data.get("volunteer_hours", 0) and not data.get("volunteers", 0):
        errors["volunteers"] = _l("Volunteer hours need at least one volunteer.")
    if task is Task.INTEGRITY:
        if data.get("speaker_kind") not in {k.value for k in SpeakerKind}:
            errors["speaker_kind"] = _l("Say whether the speaker is an academician or professor.")
        if data.get("audience_group") not in {g.value for g in AudienceGroup}:
            errors["audience_group"] = _l("Choose the audience group.")
    else:
        for field in ("speaker_kind", "speaker_name", "audience_group"):
            if data.get(field):
                errors[field] = _l(
                    "%(figure)s is not a figure of this task.", figure=FIGURE_LABELS[field]
                )


# --- changing -----------------------------------------------------------------------------


def _defaults() -> dict[str, Any]:
    return {
        "visibility": Visibility.PRIVATE.value,
        "organiser_group_id": None,
        **dict.fromkeys(COUNT_FIELDS, 0),
        "events": 1,
    }


def check_new_activity(
    data: dict[str, Any], *, status: str = "planned", today: date | None = None
) -> dict[str, Any]:
    """The new activity's fields as they would be stored, after every rule a new one must
    meet (what `create_activity` checks, without writing: an import's preview)."""
    values = _defaults() | normalise(data)
    check_activity(values)
    if status not in (ActivityStatus.PLANNED.value, ActivityStatus.HELD.value):
        raise _refuse("status", _l("A new activity is planned or held."))
    if status == ActivityStatus.HELD.value:
        _check_can_hold(Activity(**values), today or date.today())
    return values


def create_activity(
    data: dict[str, Any], created_by: str, *, status: str = "planned", today: date | None = None
) -> Activity:
    values = check_new_activity(data, status=status, today=today)
    activity = Activity(**values, created_by=created_by, status=status)
    if status == ActivityStatus.HELD.value:
        activity.held_at = utcnow()
    db.session.add(activity)
    db.session.flush()  # its id, for the page or the Location it is answered with
    return activity


def update_activity(activity: Activity, changes: dict[str, Any]) -> Activity:
    if activity.status == ActivityStatus.REPORTED.value:
        raise _refuse(None, _l("A reported activity is final and cannot be changed."))
    current = {f: getattr(activity, f) for f in ACTIVITY_FIELDS}
    merged = current | normalise(changes)
    check_activity(merged)
    for field, value in merged.items():
        if getattr(activity, field) != value:
            setattr(activity, field, value)
    return activity


def _check_can_hold(activity: Activity, today: date) -> None:
    if activity.starts_on > today:
        raise _refuse("status", _l("An activity that has not started yet cannot be held."))
    if activity.events < 1:
        raise _refuse("events", _l("A held activity has at least one event."))


def advance(activity: Activity, today: date | None = None) -> str:
    """Planned → held → reported; returns the new status."""
    current = ActivityStatus(activity.status)
    following = NEXT_STATUS.get(current)
    if following is None:
        raise _refuse("status", _l("The activity is reported already."))
    _check_can_hold(activity, today or date.today())
    activity.status = following.value
    if following is ActivityStatus.HELD:
        activity.held_at = utcnow()
    else:
        activity.reported_at = utcnow()
    return activity.status


def change_activity(activity: Activity, changes: dict[str, Any]) -> Activity:
    """The API's change: the fields given, then, with `status`, the step to the next
    status (fields first: a reported activity refuses them before it could be moved)."""
    fields = {k: v for k, v in changes.items() if k != "status"}
    if fields:
        update_activity(activity, fields)
    if changes.get("status"):
        set_status(activity, changes["status"])
    return activity


def is_held(activity: Activity) -> bool:
    """Held, not reported yet: its next step (to 已上报) is the final one."""
    return activity.status == ActivityStatus.HELD.value


def set_status(activity: Activity, status: str, today: date | None = None) -> None:
    """Move to `status`, which must be the next one (the API's way to advance)."""
    if status == activity.status:
        return
    following = NEXT_STATUS.get(ActivityStatus(activity.status))
    if following is None or status != following.value:
        raise _refuse("status", _l("Activities go from planned to held to reported, in order."))
    advance(activity, today)


# --- evidence -----------------------------------------------------------------------------


def max_evidence_files() -> int:
    return int(current_app.config.get("EVIDENCE_MAX_FILES", 20))


def evidence_query(activity: Activity) -> sa.Select:
    """The activity's files, without their bytes (a stored file's data is deferred)."""
    return (
        sa.select(ActivityEvidence)
        .where(ActivityEvidence.activity_id == activity.id)
        .order_by(ActivityEvidence.id)
    )


def evidence_of(activity: Activity) -> list[ActivityEvidence]:
    return list(db.session.scalars(evidence_query(activity)))


def add_evidence(
    activity: Activity, upload: FileStorage | None, uploaded_by_user_id: int | None
) -> ActivityEvidence:
    """Check the upload (a document or photo, by its bytes), keep it among the association's
    files, and link it to the activity. Raises `UploadRejected` or `ActivityError`."""
    count = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ActivityEvidence)
        .where(ActivityEvidence.activity_id == activity.id)
    )
    if count >= max_evidence_files():
        raise _refuse("file", _l("At most %(n)d files per activity.", n=max_evidence_files()))
    checked = check_upload(upload, EVIDENCE_KINDS)
    stored = files.store(checked, uploaded_by_user_id)
    item = ActivityEvidence(
        tenant_id=activity.tenant_id, activity_id=activity.id, file_id=stored.id
    )
    db.session.add(item)
    return item


def remove_evidence(item: ActivityEvidence) -> None:
    """Unlink the file and delete it: it was kept for this activity only."""
    db.session.delete(item)
    db.session.flush()
    files.delete_file(item.file_id)


def access_evidence(evidence_id: int) -> ActivityEvidence:
    """The evidence file with this id if the current scope may see its activity (see
    `access_activity`). Raises `NotFound` for missing and not-yours alike."""
    item = in_scope(ActivityEvidence, evidence_id)
    access_activity(item.activity_id)
    return item


# --- consulting reports and technology transfers --------------------------------------------


REPORT_FIELDS = (
    "title",
    "authors",
    "recipient",
    "recipient_level",
    "submitted_on",
    "adopted",
    "adopted_on",
    "adoption_note",
)
TRANSFER_FIELDS = ("title", "partner", "mode", "signed_on", "contracts", "value_yuan")


def access_consulting_report(report_id: int) -> ConsultingReport:
    """The consulting report with this id if the current scope holds it. Raises `NotFound`
    for missing and not-yours alike."""
    return in_scope(ConsultingReport, report_id)


def access_tech_transfer(transfer_id: int) -> TechTransfer:
    """The technology transfer with this id if the current scope holds it. Raises
    `NotFound` for missing and not-yours alike."""
    return in_scope(TechTransfer, transfer_id)


def consulting_reports_query(year: int | None = None) -> sa.Select:
    query = sa.select(ConsultingReport).order_by(
        ConsultingReport.submitted_on.desc(), ConsultingReport.id.desc()
    )
    if year:
        query = query.where(
            ConsultingReport.submitted_on.between(date(year, 1, 1), date(year, 12, 31))
        )
    return query


def consulting_reports(year: int | None = None) -> list[ConsultingReport]:
    return list(db.session.scalars(consulting_reports_query(year)))


def tech_transfers_query(year: int | None = None) -> sa.Select:
    query = sa.select(TechTransfer).order_by(TechTransfer.signed_on.desc(), TechTransfer.id.desc())
    if year:
        query = query.where(TechTransfer.signed_on.between(date(year, 1, 1), date(year, 12, 31)))
    return query


def tech_transfers(year: int | None = None) -> list[TechTransfer]:
    return list(db.session.scalars(tech_transfers_query(year)))


def _check_report(values: dict[str, Any]) -> None:
    errors: dict[str | None, object] = {}
    for field in ("title", "recipient"):
        if not values.get(field):
            errors[field] = _l("This field is required.")
    if values.get("recipient_level") not in {r.value for r in RecipientLevel}:
        errors["recipient_level"] = _l("Choose the recipient's level.")
    if not isinstance(values.get("submitted_on"), date):
        errors["submitted_on"] = _l("The date of submission is required.")
    adopted_on = values.get("adopted_on")
    if adopted_on and not values.get("adopted"):
        errors["adopted_on"] = _l("A date of adoption needs the report to be adopted.")
    submitted = values.get("submitted_on")
    if adopted_on and isinstance(submitted, date) and adopted_on < submitted:
        errors["adopted_on"] = _l("A report is adopted after it is submitted.")
    if errors:
        raise ActivityError(errors)


def save_consulting_report(report: ConsultingReport | None, data: dict[str, Any]):
    current = {f: getattr(report, f) for f in REPORT_FIELDS} if report else {"adopted": False}
    values = current | {
        f: (_clean_text(v, 500) if isinstance(v, str) else v)
        for f, v in data.items()
        if f in REPORT_FIELDS
    }
    values["adopted"] = bool(values.get("adopted"))
    _check_report(values)
    if report is None:
        report = ConsultingReport(**values)
        db.session.add(report)
        db.session.flush()  # its id, for the answer
    else:
        for field, value in values.items():
            setattr(report, field, value)
    return report


def _check_transfer(values: dict[str, Any]) -> None:
    errors: dict[str | None, object] = {}
    for field in ("title", "partner"):
        if not values.get(field):
            errors[field] = _l("This field is required.")
    if values.get("mode") not in {m.value for m in TransferMode}:
        errors["mode"] = _l("Choose how the technology was transferred.")
    if not isinstance(values.get("signed_on"), date):
        errors["signed_on"] = _l("The date of signing is required.")
    for field in ("contracts", "value_yuan"):
        value = values.get(field)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            errors[field] = _l("Give a whole number, 0 or more.")
    if not errors and values["contracts"] < 1:
        errors["contracts"] = _l("At least one contract.")
    if errors:
        raise ActivityError(errors)


def save_tech_transfer(transfer: TechTransfer | None, data: dict[str, Any]):
    current = {f: getattr(transfer, f) for f in TRANSFER_FIELDS} if transfer else {"contracts": 1}
    values = current | {
        f: (_clean_text(v, 200) if isinstance(v, str) else v)
        for f, v in data.items()
        if f in TRANSFER_FIELDS
    }
    _check_transfer(values)
    if transfer is None:
        transfer = TechTransfer(**values)
        db.session.add(transfer)
        db.session.flush()  # its id, for the answer
    else:
        for field, value in values.items():
            setattr(transfer, field, value)
    return transfer


def held_not_reported_count() -> int:
    """Activities marked held and not yet reported (已举办, not 已上报)."""
    query = activities_query(status="held").order_by(None)
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))


# --- exemplars, for the federation's page ----------------------------------------------------


def recognised_exemplars(
    federation_id: int, *, public_only: bool = False
) -> list[tuple[Exemplar, str]]:
    """(exemplar, association name) of the recognised exemplars of the federation's
    associations, newest year first; with `public_only`, those published one by one (which
    the database allows only for a recognised exemplar with consent on record)."""
    conditions = [
        Association.federation_id == federation_id,
        Exemplar.status == ExemplarStatus.RECOGNISED.value,
    ]
    if public_only:
        conditions += [Exemplar.published.is_(True), Exemplar.consent_to_publish.is_(True)]
    rows = db.session.execute(
        sa.select(Exemplar, Association.name)
        .join(Association, Association.id == Exemplar.tenant_id)
        .where(*conditions)
        .order_by(Exemplar.year.desc(), Association.name, Exemplar.id)
    )
    return [(exemplar, name) for exemplar, name in rows]


# --- many at once -------------------------------------------------------------------------

# One action marks at most this many: a select-all beyond it is refused, not cut short.
MAX_BULK = 500


def selected_activities(
    activity_ids: list[int], filters: dict[str, Any] | None = None
) -> list[Activity]:
    """The activities a clerk chose: every one matching `filters` (a select-all of the list's
    current filter) when given, else the ticked ids, each read in the caller's scope (a
    foreign id is a NotFound, as on its own page). Refused when there are none or too many."""
    if filters is not None:
        chosen = list(db.session.scalars(activities_query(**filters).limit(MAX_BULK + 1)))
    else:
        chosen = [access_activity(i) for i in dict.fromkeys(activity_ids)]
    if not chosen:
        raise _refuse(None, _l("Choose at least one activity."))
    if len(chosen) > MAX_BULK:
        raise _refuse(None, _l("Choose at most %(n)d activities at a time.", n=MAX_BULK))
    return chosen


def named(activities: list[Activity]) -> str:
    """“A”、“B” … and N more: the activities a clerk reads in a refusal or a confirmation."""
    return naming.named([a.title for a in activities])


def not_reportable(activities: list[Activity]) -> list[Activity]:
    """Those that cannot be marked 已上报 now: only a held activity can."""
    return [a for a in activities if a.status != ActivityStatus.HELD.value]


def mark_reported(activities: list[Activity], today: date | None = None) -> int:
    """Mark every one reported, or none: a refusal names each activity that cannot change
    (planned, or reported already) before anything is changed. Returns how many changed."""
    blocked = not_reportable(activities)
    if blocked:
        raise _refuse(
            None,
            _l(
                "Nothing was marked: only held activities can be marked as reported, and "
                "%(n)d of those chosen are not: %(names)s.",
                n=len(blocked),
                names=named(blocked),
            ),
        )
    for activity in activities:
        advance(activity, today)
    return len(activities)
