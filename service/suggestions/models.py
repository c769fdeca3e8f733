"""The suggestion table. An anonymous row holds no trace of who submitted it."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from service.i18n import lazy_gettext as _l
from service.validation import ID_MAX
from tenants.db import db
from tenants.models import TenantOwned, utcnow

SECRET = {"secret": True}  # the audit log records that it changed, never the value
# Ids are bounded to the BIGINT range in URLs and bodies; a random id stays inside it.
LARGEST_ID = ID_MAX


def random_id() -> int:
    """A suggestion's id, drawn at random: a sequential id would tell in which order items
    came in, so an anonymous item could be placed between two named ones, or next to the
    moment someone signed in. Every item gets one, named or not, so the id marks neither."""
    return secrets.randbelow(LARGEST_ID) + 1


class SuggestionKind(StrEnum):
    SUGGESTION = "suggestion"
    OPINION = "opinion"
    DEMAND = "demand"


KIND_LABELS = {
    SuggestionKind.SUGGESTION: _l("Suggestion"),
    SuggestionKind.OPINION: _l("Opinion"),
    SuggestionKind.DEMAND: _l("Demand"),
}


class Theme(StrEnum):
    RESEARCH_FUNDING = "research_funding"
    EVALUATION = "evaluation"
    ACADEMIC_ENVIRONMENT = "academic_environment"
    TALENT = "talent"
    POPULARISATION = "popularisation"
    STUDENTS = "students"
    WORKING_CONDITIONS = "working_conditions"
    OTHER = "other"


THEME_LABELS = {
    Theme.RESEARCH_FUNDING: _l("Research funding and projects"),
    Theme.EVALUATION: _l("Evaluation and professional titles"),
    Theme.ACADEMIC_ENVIRONMENT: _l("Academic environment and integrity"),
    Theme.TALENT: _l("Talent and careers"),
    Theme.POPULARISATION: _l("Science popularisation"),
    Theme.STUDENTS: _l("Students and their S&T activities"),
    Theme.WORKING_CONDITIONS: _l("Working and living conditions"),
    Theme.OTHER: _l("Other"),
}


class SuggestionState(StrEnum):
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    CLOSED = "closed"


STATE_LABELS = {
    SuggestionState.RECEIVED: _l("Received, not yet in hand"),
    SuggestionState.IN_PROGRESS: _l("In progress"),
    SuggestionState.ANSWERED: _l("Answered"),
    SuggestionState.CLOSED: _l("Closed"),
}
ANSWERED_STATES = (SuggestionState.ANSWERED.value, SuggestionState.CLOSED.value)


class Suggestion(TenantOwned, db.Model):
    """One suggestion, opinion or demand, and how the association and federation answered.

    `received_on` is a date, not a time, and `id` is random, not sequential: an anonymous
    item must not be matched to a sign-in by its timestamp or by its place in a sequence.
    """

    __tablename__ = "suggestion"
    __tenant_table_args__ = (
        sa.Index("ix_suggestion_tenant_state", "tenant_id", "state"),
        sa.Index("ix_suggestion_tenant_received", "tenant_id", "received_on"),
        sa.Index("ix_suggestion_tenant_submitter", "tenant_id", "submitter_user_id"),
        sa.UniqueConstraint("tenant_id", "receipt_hash", name="uq_suggestion_tenant_receipt"),
        sa.CheckConstraint(
            "(anonymous AND submitter_user_id IS NULL AND receipt_hash IS NOT NULL)"
            " OR (NOT anonymous AND receipt_hash IS NULL)",
            name="anonymous_has_no_submitter",
        ),
    )

    # No sequence: see `random_id`. A clash (one in millions) is drawn again (`services.file`).
    id: Mapped[int] = mapped_column(
        primary_key=True, default=lambda: random_id(), autoincrement=False
    )
    kind: Mapped[str] = mapped_column(sa.String(20))
    theme: Mapped[str] = mapped_column(sa.String(30))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.String(20), default=SuggestionState.RECEIVED.value)
    received_on: Mapped[date] = mapped_column(default=date.today)
    anonymous: Mapped[bool] = mapped_column(default=False)
    # Only for a named item; an anonymous one has none, by the check above.
    submitter_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # sha256 of the receipt code an anonymous submitter keeps; the code itself is not stored.
    receipt_hash: Mapped[str | None] = mapped_column(sa.String(64), info=SECRET)
    answer: Mapped[str | None] = mapped_column(sa.Text)
    answered_by: Mapped[str | None] = mapped_column(sa.String(120))
    answered_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    escalated_by: Mapped[str | None] = mapped_column(sa.String(120))
    escalation_note: Mapped[str | None] = mapped_column(sa.String(1000))
    federation_reply: Mapped[str | None] = mapped_column(sa.Text)
    federation_replied_by: Mapped[str | None] = mapped_column(sa.String(120))
    federation_replied_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # Set on change only: a creation time would be a timestamp by another name.
    updated_at: Mapped[datetime | None] = mapped_column(onupdate=utcnow)

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[SuggestionKind(self.kind)])

    @property
    def theme_label(self) -> str:
        return str(THEME_LABELS[Theme(self.theme)])

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[SuggestionState(self.state)])

    @property
    def escalated(self) -> bool:
        return self.escalated_at is not None
