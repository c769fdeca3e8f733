"""Submitting, handling, escalating and counting suggestions. Services never commit.

States: received → in progress → answered → closed (an answer may come straight from
received). Escalation to the federation is a flag, not a state: the association keeps
handling the item while the federation sees it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from service.access import in_scope
from service.audit.services import concealed_actor, concealed_time
from service.auth import services as accounts
from service.errors import Conflict, NotFound, RuleBroken
from service.i18n import lazy_gettext as _l
from service.sql import ASSOCIATION_IDS, YEAR_END, YEAR_START, of_year
from service.suggestions.models import (
    ANSWERED_STATES,
    Suggestion,
    SuggestionKind,
    SuggestionState,
    Theme,
)
from tenants.db import db
from tenants.models import utcnow
from tenants.reads import Owned, TenantRead
from tenants.scope import ScopeKind, current_scope

RECEIPT_PREFIX = "JY-"
# Random ids (see `Suggestion.id`) drawn before a submission gives up: one clash is one in
# millions, three in a row is something else.
ID_DRAWS = 3
# What a scope above the association sees of an escalated item (its page, its API schema):
# never who submitted, answered or escalated it.
ESCALATED_FIELDS = frozenset(
    {
        "kind",
        "theme",
        "title",
        "body",
        "state",
        "received_on",
        "anonymous",
        "answer",
        "answered_at",
        "escalated_at",
        "escalation_note",
        "federation_reply",
        "federation_replied_at",
        "closed_at",
    }
)


class SuggestionError(RuleBroken):
    """A refusal the person handling the item can act on."""


def receipt_hash_of(code: str) -> str:
    """What is stored of a receipt code (never the code): its hash, case and spaces aside."""
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def new_receipt_code() -> str:
    """A code the anonymous submitter keeps: 80 random bits, easy to copy by hand."""
    raw = secrets.token_hex(10).upper()
    return RECEIPT_PREFIX + "-".join(raw[i : i + 4] for i in range(0, 20, 4))


# --- submitting ----------------------------------------------------------------------------


def submit(data: dict[str, Any], submitter_user_id: int | None) -> tuple[Suggestion, str | None]:
    """File an item. Anonymous: no link to the submitter is stored, and the receipt code
    returned (shown once) is the only way back to it. Named: linked to the account."""
    kind, theme = data.get("kind"), data.get("theme")
    title = (data.get("title") or "").strip()[:200]
    body = (data.get("body") or "").strip()[:10000]
    if kind not in {k.value for k in SuggestionKind}:
        raise SuggestionError(_l("Choose suggestion, opinion or demand."))
    if theme not in {t.value for t in Theme}:
        raise SuggestionError(_l("Choose a theme."))
    if not title or not body:
        raise SuggestionError(_l("Give a title and the text."))
    anonymous = bool(data.get("anonymous"))
    code = new_receipt_code() if anonymous else None
    suggestion = Suggestion(
        kind=kind,
        theme=theme,
        title=title,
        body=body,
        state=SuggestionState.RECEIVED.value,
        received_on=date.today(),
        anonymous=anonymous,
        submitter_user_id=None if anonymous else submitter_user_id,
        receipt_hash=receipt_hash_of(code) if code else None,
    )
    if not anonymous and submitter_user_id is None:
        raise SuggestionError(_l("A named suggestion needs a signed-in submitter."))
    db.session.add(suggestion)
    return suggestion, code


def file(data: dict[str, Any], user_id: int) -> tuple[Suggestion, str | None]:
    """Submit for the signed-in `user_id`: named, or anonymous when `data` asks (see
    `submit`). Its audit lines are written at the day, not the second, and an anonymous
    one's without the actor, so that neither can be matched to a sign-in nor told from the
    other. A random id that clashes with another's is drawn again."""
    anonymous = bool(data.get("anonymous"))
    for _draw in range(ID_DRAWS):
        with concealed_actor() if anonymous else concealed_time():
            try:
                with db.session.begin_nested():  # written here, under the concealment
                    return submit(data, None if anonymous else user_id)
            except IntegrityError:
                continue  # the savepoint is undone; draw again
    raise Conflict(_l("The suggestion could not be saved just now. Please submit it again."))


def mine(user_id: int) -> list[Suggestion]:
    """The named items this account submitted (anonymous ones are not linked to anyone)."""
    return db.session.scalars(
        sa.select(Suggestion)
        .where(Suggestion.submitter_user_id == user_id, Suggestion.anonymous.is_(False))
        .order_by(Suggestion.received_on.desc(), Suggestion.id.desc())
    ).all()


def by_receipt(code: str) -> Suggestion | None:
    """The anonymous item with this receipt code, in the current scope."""
    code = (code or "").strip().upper()
    if not code.startswith(RECEIPT_PREFIX) or len(code) > 40:
        return None
    wanted = receipt_hash_of(code)
    return db.session.scalar(sa.select(Suggestion).where(Suggestion.receipt_hash == wanted))


def submitter_name(suggestion: Suggestion) -> str | None:
    """Who submitted a named item, for the association handling it (never sent upward)."""
    if suggestion.anonymous or suggestion.submitter_user_id is None:
        return None
    return accounts.display_name_in(suggestion.submitter_user_id, suggestion.tenant_id)


# --- handling ------------------------------------------------------------------------------


def inbox_query(
    state: str | None = None, theme: str | None = None, escalated: bool | None = None
) -> sa.Select:
    query = sa.select(Suggestion).order_by(Suggestion.received_on.desc(), Suggestion.id.desc())
    if state:
        query = query.where(Suggestion.state == state)
    if theme:
        query = query.where(Suggestion.theme == theme)
    if escalated is True:
        query = query.where(Suggestion.escalated_at.isnot(None))
    elif escalated is False:
        query = query.where(Suggestion.escalated_at.is_(None))
    return query


def escalated_query(theme: str | None = None) -> sa.Select:
    """The escalated items the scope sees, theme by theme, latest escalated first."""
    return (
        inbox_query(theme=theme, escalated=True)
        .order_by(None)
        .order_by(Suggestion.theme, Suggestion.escalated_at.desc(), Suggestion.id.desc())
    )


def access_suggestion(suggestion_id: int) -> Suggestion:
    """The item with this id if it is the current association's. Raises `NotFound` for
    missing and not-yours alike, and for every id above an association: there only
    escalated items exist, through `access_escalated`."""
    if current_scope().kind not in (ScopeKind.ASSOCIATION, ScopeKind.SYSTEM):
        raise NotFound()
    return in_scope(Suggestion, suggestion_id)


def access_escalated(suggestion_id: int) -> Suggestion:
    """The escalated item with this id if an association in the current scope escalated it.
    Raises `NotFound` for missing, not-yours and not escalated alike."""
    found = in_scope(Suggestion, suggestion_id)
    if found.escalated_at is None:
        raise NotFound()
    return found


def start(suggestion: Suggestion) -> None:
    if suggestion.state != SuggestionState.RECEIVED.value:
        raise SuggestionError(_l("Only a received item can be taken in hand."))
    suggestion.state = SuggestionState.IN_PROGRESS.value


def answer(suggestion: Suggestion, text: str, by: str) -> None:
    """Answer the submitter; the answer is what they see."""
    if suggestion.state not in (SuggestionState.RECEIVED.value, SuggestionState.IN_PROGRESS.value):
        raise SuggestionError(_l("This item is answered already."))
    if not (text or "").strip():
        raise SuggestionError(_l("Write the answer."))
    suggestion.answer = text.strip()[:10000]
    suggestion.answered_by, suggestion.answered_at = by, utcnow()
    suggestion.state = SuggestionState.ANSWERED.value


def close(suggestion: Suggestion) -> None:
    if suggestion.state != SuggestionState.ANSWERED.value:
        raise SuggestionError(_l("An item is closed after it is answered."))
    suggestion.state = SuggestionState.CLOSED.value
    suggestion.closed_at = utcnow()


def escalate(suggestion: Suggestion, note: str | None, by: str) -> None:
    """Pass the item to the federation (never who submitted it)."""
    if suggestion.escalated_at is not None:
        raise SuggestionError(_l("This item is escalated already."))
    if suggestion.state == SuggestionState.CLOSED.value:
        raise SuggestionError(_l("A closed item cannot be escalated."))
    suggestion.escalated_at, suggestion.escalated_by = utcnow(), by
    suggestion.escalation_note = (note or "").strip()[:1000] or None


def handle(suggestion: Suggestion, changes: dict[str, Any], by: str) -> Suggestion:
    """The API's handling in one call: a state (an answer moves the item to answered),
    then, when asked, the escalation."""
    state = changes.get("state")
    if "answer" in changes and state not in (None, SuggestionState.ANSWERED.value):
        raise SuggestionError(_l("An answer moves the item to answered."))
    if state == SuggestionState.IN_PROGRESS.value:
        start(suggestion)
    elif state == SuggestionState.ANSWERED.value or "answer" in changes:
        answer(suggestion, changes.get("answer", ""), by)
    elif state == SuggestionState.CLOSED.value:
        close(suggestion)
    if changes.get("escalate"):
        escalate(suggestion, changes.get("escalation_note"), by)
    return suggestion


def reply_from_federation(suggestion: Suggestion, text: str, by: str) -> None:
    if suggestion.escalated_at is None:
        raise SuggestionError(_l("Only an escalated item has a federation reply."))
    if not (text or "").strip():
        raise SuggestionError(_l("Write the reply."))
    suggestion.federation_reply = text.strip()[:10000]
    suggestion.federation_replied_by, suggestion.federation_replied_at = by, utcnow()


def escalated_by_theme(theme: str | None = None) -> dict[str, list[Suggestion]]:
    """The escalated items the scope sees, grouped by theme (themes in their list order)."""
    items = db.session.scalars(escalated_query(theme)).all()
    grouped: dict[str, list[Suggestion]] = {t.value: [] for t in Theme}
    for item in items:
        grouped[item.theme].append(item)
    return {t: found for t, found in grouped.items() if found}


def escalated_counts() -> dict[str, int]:
    rows = db.session.execute(
        sa.select(Suggestion.theme, sa.func.count())
        .where(Suggestion.escalated_at.isnot(None))
        .group_by(Suggestion.theme)
    )
    return dict(rows.all())


def state_counts() -> dict[str, int]:
    rows = db.session.execute(
        sa.select(Suggestion.state, sa.func.count()).group_by(Suggestion.state)
    )
    return dict(rows.all())


# --- figures -------------------------------------------------------------------------------


_FIGURES = ("suggestions_received", "suggestions_answered", "suggestions_escalated")


def _figures_read(given_ids: bool) -> TenantRead:
    """Per association, of the items received in the year counted: how many, answered,
    escalated; of the associations :association_ids only, when `given_ids`."""
    table = Suggestion.__table__

    def build(owned: Owned) -> sa.Select:
        received = table.c.received_on.between(YEAR_START, YEAR_END)
        query = sa.select(
            table.c.tenant_id,
            sa.func.count(),
            sa.func.coalesce(
                sa.func.sum(sa.case((table.c.state.in_(ANSWERED_STATES), 1), else_=0)), 0
            ),
            sa.func.coalesce(
                sa.func.sum(sa.case((table.c.escalated_at.isnot(None), 1), else_=0)), 0
            ),
        ).where(owned(table), received)
        if given_ids:
            query = query.where(table.c.tenant_id.in_(ASSOCIATION_IDS))
        return query.group_by(table.c.tenant_id)

    return TenantRead(build)


# Built once: of the associations given, and of every association the scope sees.
_FIGURES_OF = {given: _figures_read(given) for given in (True, False)}


def figures(associations: Collection[int] | None, year: int) -> dict[int, dict[str, int]]:
    """Per association, of the items received in `year`: how many, answered, escalated.
    One grouped query; see `service.activities.aggregates` for the conventions."""
    parameters: dict[str, Any] = of_year(year)
    result: dict[int, dict[str, int]] = {}
    if associations is not None:
        ids = sorted({int(a) for a in associations})
        if not ids:
            return {}
        parameters["association_ids"] = ids
        result = {a: dict.fromkeys(_FIGURES, 0) for a in ids}
    read = _FIGURES_OF[associations is not None]
    for tenant_id, *values in read.rows(db.session, parameters):
        result[tenant_id] = {
            name: int(value or 0) for name, value in zip(_FIGURES, values, strict=True)
        }
    return result


def escalated_unanswered_count() -> int:
    """Escalated items the federation has not replied to yet."""
    return db.session.scalar(
        sa.select(sa.func.count()).where(
            Suggestion.escalated_at.isnot(None), Suggestion.federation_replied_at.is_(None)
        )
    )
