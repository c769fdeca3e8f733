"""The audit log in words: "张三 修改了 活动《科普周》的 状态：计划中 → 已举办".

Every label the log shows lives here, once: what a kind of record is called, what an action
is called, a field's label (the label of the form that edits it, else the mapping below) and a
coded value's label (the owning package's own label table). A code without a label is shown as
it is, so a new table or field is still readable, only less so.

This module words what `visibility` already decided the viewer may see; it never widens it:
a record is named by its title only when the viewer may see that field, and a personal or
secret column is never used as a name (the log keeps such values only as "changed").
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.fields.core import UnboundField

from service.activities import forms as activity_forms
from service.activities.models import (
    ACTIVITY_STATUS_LABELS,
    AUDIENCE_GROUP_LABELS,
    AWARD_LEVEL_LABELS,
    EXEMPLAR_KIND_LABELS,
    EXEMPLAR_STATUS_LABELS,
    FIGURE_LABELS,
    NOMINATION_STATUS_LABELS,
    PARTNER_KIND_LABELS,
    RECIPIENT_LEVEL_LABELS,
    SPEAKER_KIND_LABELS,
    SUBTYPE_LABELS,
    TASK_LABELS,
    TRANSFER_MODE_LABELS,
    VISIBILITY_LABELS,
)
from service.associations import forms as association_forms
from service.associations.models import CATEGORY_LABELS, FIELD_LABELS
from service.associations.models import STATUS_LABELS as ASSOCIATION_STATUS_LABELS
from service.audit.services import CONCEALED_ACTOR
from service.auth import services as accounts
from service.auth.roles import ROLES, Role
from service.federation.metrics import METRICS
from service.governance import compliance
from service.governance import forms as governance_forms
from service.governance.models import APPLICATION_STATUS_LABELS, BODY_LABELS, POST_LABELS
from service.governance.models import ELIGIBILITY_LABELS as GOVERNANCE_ELIGIBILITY_LABELS
from service.members import forms as member_forms
from service.members.models import KIND_LABELS as GROUP_KIND_LABELS
from service.members.models import STATUS_LABELS as MEMBER_STATUS_LABELS
from service.members.models import TITLE_LABELS
from service.reporting.models import STATUS_LABELS as REPORT_STATUS_LABELS
from service.suggestions import forms as suggestion_forms
from service.suggestions.models import KIND_LABELS as SUGGESTION_KIND_LABELS
from service.suggestions.models import STATE_LABELS as SUGGESTION_STATE_LABELS
from service.suggestions.models import THEME_LABELS
from service.web.filters import local_time, number
from tenants.db import db

HIDDEN_VALUE = "***"  # what services._shown keeps of a personal or secret value
# Bookkeeping columns that say nothing to a reader (every row has them).
# Who created a row is the event's actor, already named (by this viewer's rule).
UNSHOWN_FIELDS = frozenset(
    {"id", "tenant_id", "created_at", "updated_at", "computed_at", "created_by", "updated_by"}
    | {"data", "sha256", "prefix", "consent_version"}  # file bytes, digests, key prefixes
    | {"actor"}  # a row's own copy of who acted: the event's actor, named above
    | {"evidence_key", "evidence_params", "next_change_on"}  # a finding's workings
)
# A mapping with more entries than this (a report's figures) is summed up, not listed.
LISTED_ENTRIES = 8
# Numbers that are not quantities: shown as they are, never as "2,026".
PLAIN_NUMBER_FIELDS = frozenset({"year", "version", "new_version", "size"})
# The columns that name a record, in order of preference.
NAME_FIELDS = ("title", "name", "display_name", "university_name")
# Records never named in the log: a person's name is personal data, and an application's
# "title" is the applicant's professional title, not a name.
UNNAMED_ENTITIES = frozenset({"member", "member_application", "committee_member", "officer"})

ENTITY_LABELS: dict[str, Any] = {
    "activity": _l("activity"),
    "activity_evidence": _l("activity evidence"),
    "consulting_report": _l("consulting report"),
    "tech_transfer": _l("technology transfer"),
    "nomination": _l("award nomination"),
    "exemplar": _l("exemplar"),
    "stored_file": _l("file"),
    "suggestion": _l("suggestion"),
    "member": _l("member"),
    "group_member": _l("group member"),
    "group_member_status_change": _l("group member status change"),
    "member_status_change": _l("member status change"),
    "member_application": _l("membership application"),
    "member_import": _l("member import"),
    "membership_policy": _l("membership policy"),
    "association": _l("association"),
    "association_profile": _l("association profile"),
    "committee_term": _l("committee term"),
    "committee_member": _l("committee member"),
    "standing_committee": _l("standing committee"),
    "congress": _l("member congress"),
    "governance_meeting": _l("meeting"),
    "officer": _l("officer"),
    "secretariat": _l("secretariat"),
    "establishment": _l("establishment"),
    "founding_document": _l("founding document"),
    "compliance_finding": _l("compliance finding"),
    "reminder": _l("reminder"),
    "category_change": _l("category change"),
    "lifecycle_change": _l("status change of the association"),
    "establishment_application": _l("establishment application"),
    "application_document": _l("application document"),
    "annual_report": _l("annual report"),
    "metric_rollup": _l("statistics roll-up"),
    "federation_rollup": _l("provincial roll-up"),
    "guidance": _l("guidance"),
    "guidance_receipt": _l("guidance receipt"),
    "federation_problem": _l("problem"),
    "federation_problem_finding": _l("problem finding"),
    "federation_comment": _l("comment"),
    "user_account": _l("account"),
    "api_token": _l("API token"),
    "federation": _l("federation"),
    "statistical_form_header": _l("national form header"),
    "reporting_period": _l("reporting period"),
    "tenant": _l("association data"),
    "application_event": _l("establishment application step"),
    "federation_problem_event": _l("problem step"),
    "push_outbox": _l("national submission"),
    "password_link": _l("password link"),
    "sso_link": _l("university sign-in link"),
    "title_word": _l("professional title word"),
    "reopen_request": _l("request to reopen a report"),
    "import_sheet": _l("import sheet"),
    "import_mapping": _l("import column mapping"),
    "identity_provider": _l("university sign-in settings"),
}

ACTION_LABELS: dict[str, Any] = {
    "create": _l("created"),
    "update": _l("changed"),
    "delete": _l("deleted"),
    "login": _l("signed in to"),
    "export": _l("exported"),
    "import": _l("imported"),
    "restore": _l("restored"),
    "reopen": _l("reopened"),
    "set_password": _l("set the password of"),
    "set_password_link": _l("sent a set-password link for"),
    "password_reset": _l("reset the password of"),
    "password_reset_link": _l("sent a password reset link for"),
    "role_grant": _l("granted a role on"),
    "second_factor_enrolled": _l("set up the second factor of"),
    "second_factor_reset": _l("reset the second factor of"),
    "second_factor_recovery_used": _l("used a recovery code of"),
    "second_factor_recovery_codes_renewed": _l("renewed the recovery codes of"),
    "sso_link": _l("linked a university sign-in to"),
    "sso_unlink": _l("unlinked the university sign-in of"),
    "sso_logout": _l("signed out through the university from"),
}

# Fields that no form edits, or that forms label differently.
COMMON_FIELD_LABELS: dict[str, Any] = {
    "status": _l("Status"),
    "task": _l("Task"),
    "year": _l("Year"),
    "name": _l("Name"),
    "title": _l("Title"),
    "display_name": _l("Name"),
    "username": _l("Username"),
    "role": _l("Role"),
    "active": _l("Active"),
    "body": _l("Text"),
    "answer": _l("Answer"),
    "figures": _l("Figures"),
    "explanations": _l("Explanations"),
    "review_comments": _l("Review comments"),
    "version": _l("Version"),
    "reason": _l("Reason"),
    "association_id": _l("Association"),
    "federation_id": _l("Federation"),
    "period_id": _l("Reporting period"),
    "submitted_at": _l("Submitted at"),
    "decided_at": _l("Decided at"),
    "compiled_at": _l("Compiled at"),
    "escalated": _l("Escalated"),
    "submitter_user_id": _l("Submitted by"),
    "from_status": _l("From status"),
    "to_status": _l("To status"),
    "kind": _l("Kind"),
    "theme": _l("Theme"),
    "level": _l("Level"),
    "size": _l("Size"),
    "password_hash": _l("Password"),
    "secret_hash": _l("Secret"),
    "content_type": _l("File type"),
    "read_only": _l("Read-only"),
    "expires_at": _l("Expires at"),
    "escalated_at": _l("Escalated at"),
    "received_on": _l("Received on"),
    "state": _l("State"),
    "locked_hash": _l("Lock hash"),
    "figures_hash": _l("Figures hash"),
    "compile_started_at": _l("Compilation started at"),
    "rule": _l("Rule"),
    "period": _l("Period"),
    "period_starts_on": _l("Period starts on"),
    "due_on": _l("Due on"),
    "evaluated_on": _l("Checked on"),
    "receipt_hash": _l("Receipt code"),
    "errors": _l("Errors"),
    "from_code": _l("Category before"),
    "to_code": _l("Category after"),
    "held_at": _l("Marked held at"),
    "reported_at": _l("Marked reported at"),
    "metric": _l("Indicator"),
    "value": _l("Value"),
    **FIGURE_LABELS,
    **FIELD_LABELS,
}

# The forms that edit each kind of record: their labels are the fields' labels.
FORMS: dict[str, Iterable[type]] = {
    "activity": [activity_forms.ActivityForm],
    "consulting_report": [activity_forms.ConsultingReportForm],
    "tech_transfer": [activity_forms.TechTransferForm],
    "nomination": [activity_forms.NominationForm],
    "exemplar": [activity_forms.ExemplarForm],
    "member": [member_forms.MemberForm],
    "group_member": [member_forms.GroupMemberForm],
    "membership_policy": [member_forms.PolicyForm],
    "member_application": [member_forms.ApplicationForm],
    "suggestion": [suggestion_forms.SuggestionForm, suggestion_forms.HandleForm],
    "congress": [governance_forms.CongressForm],
    "governance_meeting": [governance_forms.MeetingForm],
    "officer": [governance_forms.OfficerForm],
    "secretariat": [governance_forms.SecretariatForm],
    "establishment_application": [governance_forms.ApplicationForm],
    "association_profile": [association_forms.ProfileForm],
}

_STATUS_BY_ENTITY: dict[str, Mapping] = {
    "activity": ACTIVITY_STATUS_LABELS,
    "annual_report": REPORT_STATUS_LABELS,
    "association": ASSOCIATION_STATUS_LABELS,
    "establishment_application": APPLICATION_STATUS_LABELS,
    "nomination": NOMINATION_STATUS_LABELS,
    "compliance_finding": compliance.STATUS_LABELS,
    "exemplar": EXEMPLAR_STATUS_LABELS,
    "member": MEMBER_STATUS_LABELS,
    "member_application": {
        "pending": _l("Pending"),
        "approved": _l("Approved"),
        "rejected": _l("Rejected"),
    },
}
_KIND_BY_ENTITY: dict[str, Mapping] = {
    "suggestion": SUGGESTION_KIND_LABELS,
    "group_member": GROUP_KIND_LABELS,
    "exemplar": EXEMPLAR_KIND_LABELS,
}
# Coded values by field, whatever the record (status is by record: the codes differ).
VALUE_LABELS: dict[str, Mapping] = {
    "task": TASK_LABELS,
    "subtype": SUBTYPE_LABELS,
    "visibility": VISIBILITY_LABELS,
    "category": CATEGORY_LABELS,
    "speaker_kind": SPEAKER_KIND_LABELS,
    "audience_group": AUDIENCE_GROUP_LABELS,
    "body": BODY_LABELS,
    "post": POST_LABELS,
    "role": {role.value: spec.label for role, spec in ROLES.items()},
    "from_status": ASSOCIATION_STATUS_LABELS,
    "to_status": ASSOCIATION_STATUS_LABELS,
    "from_code": CATEGORY_LABELS,
    "to_code": CATEGORY_LABELS,
    "theme": THEME_LABELS,
    "mode": TRANSFER_MODE_LABELS,
    "recipient_level": RECIPIENT_LEVEL_LABELS,
    "eligibility": GOVERNANCE_ELIGIBILITY_LABELS,
    "partner_kind": PARTNER_KIND_LABELS,
    "metric": {m.code: m.label for m in METRICS},
    "rule": {r.code: r.label for r in compliance.RULES},
    "state": SUGGESTION_STATE_LABELS,
    "level": {
        **AWARD_LEVEL_LABELS,
        "association": _l("Association"),
        "federation": _l("Federation"),
        "national": _l("National"),
    },
}
_PLAIN_ACTORS: dict[str, Any] = {
    "system": _l("the system"),
    "cli": _l("the command line"),
    CONCEALED_ACTOR: _l("anonymous"),
    "token": _l("an API token"),
    "user": _l("an account"),
    "api_token": _l("an API token"),
}
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2})?$")


def _form_labels(form: type) -> dict[str, Any]:
    return {
        name: field.args[0] if field.args else field.kwargs.get("label")
        for name, field in vars(form).items()
        if isinstance(field, UnboundField) and (field.args or field.kwargs.get("label"))
    }


_FIELD_LABELS_BY_ENTITY: dict[str, dict[str, Any]] = {
    entity: {k: v for form in forms for k, v in _form_labels(form).items()}
    for entity, forms in FORMS.items()
}


def entity_label(entity: str) -> str:
    return str(ENTITY_LABELS.get(entity, entity))


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def field_label(entity: str, field: str) -> str:
    label = _FIELD_LABELS_BY_ENTITY.get(entity, {}).get(field) or COMMON_FIELD_LABELS.get(field)
    return str(label) if label is not None else field


def value_label(entity: str, field: str, value: Any) -> str:
    """A value as a reader knows it: a code by its label, a time in Beijing time, a secret
    as "changed", nothing as "—", a list or mapping as plain words (never Python's repr)."""
    if value is None or value == "":
        return "—"
    if value == HIDDEN_VALUE:
        return _("(changed)")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if field == "status":
        labels = _STATUS_BY_ENTITY.get(entity)
    elif field == "kind":
        labels = _KIND_BY_ENTITY.get(entity)
    elif field == "title":  # a person's professional title is a code; a record's is its name
        labels = TITLE_LABELS if entity in UNNAMED_ENTITIES else None
    else:
        labels = VALUE_LABELS.get(field)
    if labels is not None and isinstance(value, str) and value in labels:
        return str(labels[value])
    if isinstance(value, str) and value[:1] in "[{" and value[-1:] in "]}":
        value = _literal(value)  # the log kept a structure as its repr: read it back
    if isinstance(value, str) and _TIMESTAMP.match(value):
        return local_time(datetime.fromisoformat(value))
    if isinstance(value, (int, float)):
        return str(value) if field in PLAIN_NUMBER_FIELDS else number(value)
    if isinstance(value, list):
        return "、".join(value_label(entity, field, v) for v in value) or "—"
    if isinstance(value, dict):
        if len(value) > LISTED_ENTRIES:
            return _("%(n)d entries", n=len(value))
        return "；".join(f"{k}：{value_label(entity, str(k), v)}" for k, v in value.items()) or "—"
    return str(value)


def _literal(text: str) -> Any:
    """A list or mapping the log kept as Python's text of it, as data (else the text)."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text


@dataclass(frozen=True)
class Change:
    field: str  # the label
    old: str | None  # None on a creation: only the value set
    new: str


@dataclass(frozen=True)
class Sentence:
    """One event in words: `actor` `verb` `kind`《`name`》, then the fields it changed."""

    actor: str
    verb: str
    kind: str
    name: str | None
    reference: str  # "#12" when the record is not named
    changes: tuple[Change, ...]


def changes_in_words(entity: str, action: str, changes: dict | None) -> tuple[Change, ...]:
    out = []
    for field, value in (changes or {}).items():
        label = field_label(entity, field)
        if field in UNSHOWN_FIELDS or (label == field and field.endswith(("_id", "_by"))):
            continue  # bookkeeping, or a bare reference that would read as a code
        if action == "update" and isinstance(value, list) and len(value) == 2:
            old, new = value
            out.append(
                Change(label, value_label(entity, field, old), value_label(entity, field, new))
            )
        else:
            out.append(Change(label, None, value_label(entity, field, value)))
    return tuple(out)


def actor_names(shown: Iterable[str]) -> dict[str, str]:
    """Who acted, in words, for the actors as `visibility.actors_seen` shows them: an
    account of the viewer's own organisation by its display name, anyone else by role."""
    shown = set(shown)
    labels = {a for a in shown if ":" in a}
    names = {label: owner.name for label, owner in accounts.owners_of_labels(labels).items()}
    out = {}
    for actor in shown:
        if names.get(actor):
            out[actor] = names[actor]
        elif actor in _PLAIN_ACTORS:
            out[actor] = str(_PLAIN_ACTORS[actor])
        elif actor in {r.value for r in Role}:
            out[actor] = str(ROLES[Role(actor)].label)
        else:
            out[actor] = str(_PLAIN_ACTORS.get(actor.partition(":")[0], actor))
    return out


def _model_of(entity: str):
    for mapper in db.Model.registry.mappers:
        if getattr(mapper.class_, "__tablename__", None) == entity:
            return mapper.class_
    return None


def _name_column(model) -> sa.Column | None:
    columns = model.__table__.columns
    for name in NAME_FIELDS:
        column = columns.get(name)
        if column is not None and not (column.info.get("personal") or column.info.get("secret")):
            return column
    return None


def record_names(wanted: Mapping[str, set[str]]) -> dict[tuple[str, str], str]:
    """The current names of records (entity -> ids the viewer may see the name of), read
    under the current scope: one query per kind of record."""
    out: dict[tuple[str, str], str] = {}
    for entity, ids in wanted.items():
        model = _model_of(entity)
        column = _name_column(model) if model is not None else None
        numbers = {int(i) for i in ids if i.isdigit()}
        if column is None or not numbers or len(model.__mapper__.primary_key) != 1:
            continue
        key = getattr(model, model.__mapper__.primary_key[0].key)
        attribute = getattr(model, column.key)
        query = sa.select(key, attribute).where(key.in_(numbers))
        for row_id, name in db.session.execute(query):
            if name:
                out[entity, str(row_id)] = str(name)
    return out


def name_field(entity: str) -> str | None:
    if entity in UNNAMED_ENTITIES:
        return None
    model = _model_of(entity)
    column = _name_column(model) if model is not None else None
    return column.key if column is not None else None


def display_name(author: str | None) -> str:
    """Who wrote or did something, by name: the display name of the account behind an audit
    label ("user:12 alice"), a "user:alice" or a bare username; anything else (a role, a
    removed account) as it was kept. Looked up once per request."""
    if not author:
        return ""
    names = g.setdefault("display_names", {})
    if author not in names:
        names[author] = _display_name(author)
    return names[author]


def _display_name(author: str) -> str:
    owner = accounts.owners_of_labels([author]).get(author)
    if owner is not None and owner.name:
        return owner.name
    kind, _, rest = author.partition(":")
    username = rest if kind == "user" else author
    user = accounts.find_user(username) if username and " " not in username else None
    if user is not None:
        return user.display_name
    # "system", a role, a gone account
    return actor_names([author])[author]
