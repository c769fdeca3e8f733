"""Who may read which audit event, and which of its fields. One rule, here.

Audit visibility follows record visibility, field by field. An event is about one record
(its `entity` is the table, `entity_id` the row). A viewer holds a `Grant` for that kind of
record when their level has one in `RULES` and they hold its permission; the grant names
which records they may see (the owning package's own query, under the current scope) and
which of the record's fields. With a grant that reaches the record, the event shows those
fields; otherwise it shows its metadata only (when, which role, what kind of change, which
record and tenant), or, for a kind whose very events are private (a suggestion that was
never escalated, an account's sign-ins), nothing at all.

A table with no rule shows metadata only, to everyone: a new table fails closed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import g, has_app_context
from sqlalchemy import inspect

from service.activities import services as activities
from service.audit.models import AuditEvent, Logged, PlatformAuditEvent
from service.auth import services as accounts
from service.auth.principal import Principal
from service.auth.roles import Level, Permission, Role
from service.suggestions import services as suggestions
from tenants.db import db

P = Permission
# Which records of a kind the viewer may see: the owning package's own query (an ORM
# select of its model), read under the viewer's scope.
Records = Callable[[Principal], sa.Select]
# Whose record it is, never what it says: shown with the metadata to everyone who sees it.
OWNER_FIELDS = frozenset({"tenant_id", "association_id", "federation_id"})
REPORT_FIELDS = frozenset(
    {
        "period_id",
        "version",
        "status",
        "figures",
        "explanations",
        "review_comments",
        "compiled_at",
        "submitted_at",
        "decided_at",
        "reopen_reason",
        # what a reopening records beside the row
        "reason",
        "new_version",
    }
)


@dataclass(frozen=True)
class Grant:
    """Seeing records of one kind: who may (`permission`), which records (`records`, None:
    every one in the scope) and which fields (`fields`, None: every field the log kept)."""

    permission: Permission
    fields: frozenset[str] | None = None
    records: Records | None = None


@dataclass(frozen=True)
class Rule:
    grants: Mapping[Level, Grant] = field(default_factory=dict)
    # True: an event about a record the viewer may not see is not shown at all, since
    # its date, kind and actor would already tell something (who sent an anonymous
    # suggestion, when a person signs in).
    hidden_otherwise: bool = False


METADATA_ONLY = Rule()


def _own(permission: Permission) -> Rule:
    """A record of the association itself: its people see every field the log kept."""
    return Rule({Level.ASSOCIATION: Grant(permission)})


def _governance() -> Rule:
    """Who leads the association and when its bodies met: the same pages for the association
    and for its supervisors (personal columns were never kept in the log)."""
    grant = Grant(P.VIEW_GOVERNANCE)
    return Rule({Level.ASSOCIATION: grant, Level.FEDERATION: grant})


def _escalated(principal: Principal) -> sa.Select:
    return suggestions.inbox_query(escalated=True)


def _shared_activities(principal: Principal) -> sa.Select:
    return activities.visible_activities()


RULES: dict[str, Rule] = {
    # The five tasks. Above the association, an activity's content is seen only when the
    # association shared it; a private one shows that it changed, and by which role.
    "activity": Rule(
        {
            Level.ASSOCIATION: Grant(P.VIEW_ACTIVITIES),
            Level.FEDERATION: Grant(
                P.VIEW_ACTIVITIES, activities.SHARED_FIELDS, _shared_activities
            ),
        }
    ),
    "activity_evidence": _own(P.VIEW_ACTIVITIES),
    "consulting_report": _own(P.VIEW_ACTIVITIES),
    "tech_transfer": _own(P.VIEW_ACTIVITIES),
    "nomination": _own(P.VIEW_ACTIVITIES),
    "exemplar": _own(P.VIEW_ACTIVITIES),
    # Files are evidence, minutes and founding papers that the secretariat and staff keep.
    "stored_file": _own(P.RECORD_ACTIVITIES),
    # Suggestions: the association handles them (and knows who signed a named one); above
    # it, only escalated items exist, and never who submitted, answered or escalated them.
    "suggestion": Rule(
        {
            Level.ASSOCIATION: Grant(P.VIEW_SUGGESTIONS),
            Level.FEDERATION: Grant(
                P.VIEW_ESCALATED_SUGGESTIONS, suggestions.ESCALATED_FIELDS, _escalated
            ),
        },
        hidden_otherwise=True,
    ),
    # Members and joining: the association's own business; upward only aggregates go.
    "member": _own(P.VIEW_MEMBERS),
    "group_member": _own(P.VIEW_MEMBERS),
    "group_member_status_change": _own(P.VIEW_MEMBERS),
    "member_application": _own(P.VIEW_MEMBERS),
    "member_import": _own(P.VIEW_MEMBERS),
    "membership_policy": _own(P.VIEW_MEMBERS),
    # Governance and the association's standing.
    "association": Rule(
        {Level.ASSOCIATION: Grant(P.VIEW_PROFILE), Level.PLATFORM: Grant(P.PROVISION)}
    ),
    "association_profile": _own(P.VIEW_PROFILE),
    "committee_term": _governance(),
    "committee_member": _governance(),
    "standing_committee": _governance(),
    "congress": _governance(),
    "governance_meeting": _governance(),
    "officer": _governance(),
    "secretariat": _governance(),
    "establishment": _governance(),
    "founding_document": _governance(),
    # The federation explains findings: both levels see who explained what, and when.
    "compliance_finding": _governance(),
    "reminder": _own(P.VIEW_GOVERNANCE),
    "category_change": _own(P.VIEW_GOVERNANCE),
    "lifecycle_change": Rule(
        {
            Level.ASSOCIATION: Grant(P.VIEW_GOVERNANCE),
            Level.FEDERATION: Grant(
                P.VIEW_FEDERATION, frozenset({"from_status", "to_status", "reason"})
            ),
        }
    ),
    # The establishment review is the federation officer's; the applicant's contact is
    # personal and the log never kept it.
    "establishment_application": Rule({Level.FEDERATION: Grant(P.REVIEW_ESTABLISHMENT)}),
    # Reporting: the supervisors read and review each report, and the figures behind the
    # dashboards; who compiled or decided it stays with the report's own page.
    "annual_report": Rule(
        {
            Level.ASSOCIATION: Grant(P.VIEW_REPORTS),
            Level.FEDERATION: Grant(P.VIEW_REPORTS, REPORT_FIELDS),
        }
    ),
    "metric_rollup": Rule(
        {
            Level.ASSOCIATION: Grant(P.VIEW_REPORTS),
            Level.FEDERATION: Grant(P.VIEW_FEDERATION, frozenset({"year", "metric", "value"})),
        }
    ),
    "guidance_receipt": _own(P.VIEW_GUIDANCE),
    # The federation's notes about one of its associations (problems, comments) are the
    # federation's, not the association's; never who wrote them.
    "federation_problem": Rule(
        {
            Level.FEDERATION: Grant(
                P.VIEW_FEDERATION,
                frozenset({"title", "description", "category", "state", "assignee_id"}),
            )
        }
    ),
    "federation_problem_finding": Rule({Level.FEDERATION: Grant(P.VIEW_FEDERATION)}),
    # An export of the federation's association table: one event in the log of each
    # association exported (its figures left the service). The federation's readers see
    # it; the association does not even see that it happened (the federation's work).
    "association_table": Rule({Level.FEDERATION: Grant(P.VIEW_FEDERATION)}, hidden_otherwise=True),
    "federation_comment": Rule(
        {Level.FEDERATION: Grant(P.VIEW_FEDERATION, frozenset({"body", "guidance_id"}))}
    ),
    # Accounts and credentials: whoever may manage them (the same query as their pages).
    # Nobody else sees even that an account signed in, or when.
    "user_account": Rule(
        {
            Level.ASSOCIATION: Grant(P.MANAGE_USERS, records=accounts.users_visible_to),
            Level.PLATFORM: Grant(P.MANAGE_USERS, records=accounts.users_visible_to),
        },
        hidden_otherwise=True,
    ),
    "api_token": Rule(
        {
            Level.ASSOCIATION: Grant(P.MANAGE_TOKENS, records=accounts.tokens_visible_to),
            Level.PLATFORM: Grant(P.MANAGE_TOKENS, records=accounts.tokens_visible_to),
        },
        hidden_otherwise=True,
    ),
    "federation": Rule({Level.PLATFORM: Grant(P.PROVISION)}),
    # The national forms' header block: the platform's own, set by its operator.
    "statistical_form_header": Rule({Level.PLATFORM: Grant(P.CONFIGURE_NATIONAL_FORMS)}),
}


#: Kinds of event that are about no row of a table of their own name (what was exported).
EVENTS_WITHOUT_TABLE = frozenset({"association_table"})


def rule_for(entity: str) -> Rule:
    return RULES.get(entity, METADATA_ONLY)


def grant_for(principal: Principal, entity: str) -> Grant | None:
    """The viewer's grant for this kind of record, if any."""
    grant = rule_for(entity).grants.get(principal.level)  # type: ignore[call-overload]
    return grant if grant is not None and principal.can(grant.permission) else None


def _key(records: sa.Select):
    """The primary key of the select's model, as its mapped attribute (so the scope's
    criteria apply; a bare table column would escape them)."""
    entity = records.column_descriptions[0]["entity"]
    mapper = inspect(entity)
    (column,) = mapper.primary_key
    return getattr(entity, mapper.get_property_by_column(column).key)


def _ids_as_text(records: sa.Select) -> sa.Select:
    """The ids of a model's select, as the log keeps them (text)."""
    return records.with_only_columns(sa.cast(_key(records), sa.String(40))).order_by(None)


def log_of(principal: Principal) -> type[AuditEvent] | type[PlatformAuditEvent]:
    """The log this viewer reads: the operator the platform's own (events of no tenant,
    read in `system_scope`), everyone else the tenants' (under the current scope, the
    tenant filter). Neither ever reads the other."""
    return PlatformAuditEvent if principal.level is Level.PLATFORM else AuditEvent


def events_visible_to(principal: Principal) -> sa.Select:
    """The events this viewer may see at all, newest first, from its log (`log_of`)."""
    log = log_of(principal)
    query = sa.select(log)
    for entity, rule in RULES.items():
        if not rule.hidden_otherwise:
            continue
        grant = grant_for(principal, entity)
        if grant is None:
            query = query.where(log.entity != entity)
        elif grant.records is not None:
            seen = _ids_as_text(grant.records(principal))
            query = query.where(sa.or_(log.entity != entity, log.entity_id.in_(seen)))
    return query.order_by(log.occurred_at.desc(), log.id.desc())


def _reached(principal: Principal, grant: Grant, ids: set[str]) -> set[str]:
    """Which of these records (ids as the log keeps them) the grant reaches."""
    assert grant.records is not None
    records = grant.records(principal)
    key = _key(records)
    wanted = {int(i) for i in ids if i.isdigit()}
    found = db.session.scalars(records.with_only_columns(key).where(key.in_(wanted)))
    return {str(i) for i in found}


def fields_seen(principal: Principal, events: list[Logged]) -> dict[int, frozenset | None]:
    """For each event, the fields of its record this viewer may see (None: every field the
    log kept). One query per kind of record on the page, not one per event."""
    ids: dict[str, set[str]] = {}
    for event in events:
        ids.setdefault(event.entity, set()).add(event.entity_id or "")
    grants = {entity: grant_for(principal, entity) for entity in ids}
    reached = {
        entity: _reached(principal, grant, ids[entity])
        for entity, grant in grants.items()
        if grant is not None and grant.records is not None
    }
    out: dict[int, frozenset | None] = {}
    for event in events:
        grant, reach = grants[event.entity], reached.get(event.entity)
        if grant is None or (reach is not None and event.entity_id not in reach):
            out[event.id] = OWNER_FIELDS
        else:
            out[event.id] = None if grant.fields is None else grant.fields | OWNER_FIELDS
    return out


def owners_of(labels: Iterable[str]) -> dict[str, accounts.Owner]:
    """`accounts.owners_of_labels`, each label looked up once per request: a page of the log
    asks for its actors up to four times (who acted, their names, the filter's choices)."""
    labels = set(labels)
    known = g.setdefault("audit_owners", {}) if has_app_context() else {}
    missing = labels - known.keys()
    if missing:
        found = accounts.owners_of_labels(missing)
        known.update({label: found.get(label) for label in missing})
    return {label: known[label] for label in labels if known[label] is not None}


def actors_seen(principal: Principal, events: list[Logged]) -> dict[int, str]:
    """Who acted, as this viewer may know it: the account itself when it belongs to the
    viewer's own association, federation or platform; from anywhere else, its role only.
    "anonymous", "system" and "cli" stay as they are."""
    owners = owners_of(event.actor for event in events)
    out = {}
    for event in events:
        owner = owners.get(event.actor)
        if owner is None:
            out[event.id] = event.actor if _is_plain(event.actor) else _kind(event.actor)
        elif _same_organisation(principal, owner):
            out[event.id] = event.actor
        else:
            out[event.id] = owner.role
    return out


def actors_named_to(principal: Principal, labels: list[str]) -> list[str]:
    """Of these actor labels, those `actors_seen` shows this viewer by name (accounts and
    tokens of its own organisation), in the order given."""
    owners = owners_of(labels)
    return [
        label
        for label in labels
        if label in owners and _same_organisation(principal, owners[label])
    ]


def _kind(actor: str) -> str:
    return actor.partition(":")[0]


def _is_plain(actor: str) -> bool:
    """A label that names nobody ("system", "cli", "anonymous")."""
    return ":" not in actor


def _same_organisation(principal: Principal, owner: accounts.Owner) -> bool:
    if principal.level is Level.ASSOCIATION:
        return owner.association_id == principal.association_id
    if principal.level is Level.FEDERATION:
        return owner.association_id is None and owner.federation_id == principal.federation_id
    if principal.level is Level.PLATFORM:
        return owner.role == Role.OPERATOR.value
    return False
