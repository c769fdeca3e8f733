"""The audit log in words: "张三 修改了 活动《科普周》的 状态：计划中 → 已举办".

How a record, an action, a field and a coded value are called: a kind of record, a form's
field labels and the labels of coded values are the owning packages' words, which they
register in `words` (each from its own `audit_words` module); the actions, the bookkeeping
fields and the accounts' roles are worded here. A code without a label is shown as it is,
so a new table or field is still readable, only less so.

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
from functools import cache, lru_cache
from typing import Any

import sqlalchemy as sa
from flask import g
from wtforms.fields.core import UnboundField

from service.audit import visibility, words
from service.audit.services import CONCEALED_ACTOR
from service.auth import services as accounts
from service.auth.roles import ROLES, Role
from service.i18n import gettext as _
from service.i18n import lazy_gettext as _l
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

# What each kind of record is called: the owning package's words (`words.register`); the
# tenancy layer's own records are named here.
ENTITY_LABELS = words.ENTITY_LABELS
ENTITY_LABELS.update(
    {
        "association": _l("association"),
        "federation": _l("federation"),
        "tenant": _l("association data"),
    }
)

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
    # what an export logs
    "rows": _l("Rows"),
    "format": _l("File format"),
    "held_at": _l("Marked held at"),
    "reported_at": _l("Marked reported at"),
    "metric": _l("Indicator"),
    "value": _l("Value"),
}

# Coded values of the accounts' own fields, whatever the record; the packages add theirs.
words.register(
    values={
        "role": {role.value: spec.label for role, spec in ROLES.items()},
        "level": {
            "association": _l("Association"),
            "federation": _l("Federation"),
            "national": _l("National"),
        },
    }
)
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


def _field_labels_of(entity: str) -> dict[str, Any]:
    """The labels of the forms that edit this kind of record (read once per kind)."""
    if entity not in _FIELD_LABELS_BY_ENTITY:
        _FIELD_LABELS_BY_ENTITY[entity] = {
            k: v for form in words.FORMS.get(entity, ()) for k, v in _form_labels(form).items()
        }
    return _FIELD_LABELS_BY_ENTITY[entity]


_FIELD_LABELS_BY_ENTITY: dict[str, dict[str, Any]] = {}


def entity_label(entity: str) -> str:
    return str(ENTITY_LABELS.get(entity, entity))


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def field_label(entity: str, field: str) -> str:
    label = (
        _field_labels_of(entity).get(field)
        or words.FIELD_LABELS.get(field)
        or COMMON_FIELD_LABELS.get(field)
    )
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
    # A status or a kind is the record's own (the codes differ); a person's professional
    # title is a code (`member`'s `title`), a record's title its name.
    labels = words.RECORD_VALUE_LABELS.get((entity, field), words.VALUE_LABELS.get(field))
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


@lru_cache(maxsize=4096)
def _literal(text: str) -> Any:
    """A list or mapping the log kept as Python's text of it, as data (else the text).
    Cached: the same pages of the log are read again and again, and parsing was over a
    quarter of the time a page took to be put in words. The data is only read, never changed."""
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
    names = {label: owner.name for label, owner in visibility.owners_of(labels).items()}
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


@cache  # the models are all mapped once the app exists; a page asks some fifty times
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
    owner = visibility.owners_of([author]).get(author)
    if owner is not None and owner.name:
        return owner.name
    kind, _, rest = author.partition(":")
    username = rest if kind == "user" else author
    user = accounts.find_user(username) if username and " " not in username else None
    if user is not None:
        return user.display_name
    # "system", a role, a gone account
    return actor_names([author])[author]
