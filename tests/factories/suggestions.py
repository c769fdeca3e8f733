"""Suggestions to an association: named (by a user) or anonymous (with a receipt code)."""

from __future__ import annotations

from service.auth.models import User
from service.suggestions.models import Suggestion
from service.suggestions.services import new_receipt_code, receipt_hash_of
from tenants.db import db
from tenants.models import Association, utcnow


def make_suggestion(
    association: Association,
    *,
    user: User | None = None,
    escalated: bool = False,
    flush: bool = True,
    **fields,
) -> tuple[Suggestion, str | None]:
    """A named suggestion by `user`, or an anonymous one (with its receipt code) without."""
    code = None if user else new_receipt_code()
    suggestion = Suggestion(
        tenant_id=association.id,
        kind=fields.pop("kind", "suggestion"),
        theme=fields.pop("theme", "research_funding"),
        title=fields.pop("title", "建议简化科研经费报销流程"),
        body=fields.pop("body", "报销材料要求过多，建议精简。"),
        anonymous=user is None,
        submitter_user_id=user.id if user else None,
        receipt_hash=receipt_hash_of(code) if code else None,
        escalated_at=utcnow() if escalated else None,
        escalated_by="factory" if escalated else None,
        **fields,
    )
    db.session.add(suggestion)
    if flush:
        db.session.flush()
    return suggestion, code
