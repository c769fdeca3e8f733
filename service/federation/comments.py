"""Supervisors' comments: the federation's own notes on one of its associations or on its
guidance, written by its officers and by the education department's supervisors (joint
supervision). The association never reads them. A comment written on a report page names
the report version it is about: that version's page shows it as current, a later version's
page as an earlier version's."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from service.federation.models import Comment
from tenants.db import db

MAX_LENGTH = 2000


class CommentError(ValueError):
    pass


def add(
    federation_id: int,
    body: str,
    author: str,
    *,
    association_id: int | None = None,
    guidance_id: int | None = None,
    report_id: int | None = None,
) -> Comment:
    """A comment of the federation; empty or overlong text is refused, nothing written."""
    text = (body or "").strip()
    if not text or len(text) > MAX_LENGTH:
        raise CommentError(text)
    comment = Comment(
        federation_id=federation_id,
        association_id=association_id,
        guidance_id=guidance_id,
        report_id=report_id,
        body=text,
        author=author,
    )
    db.session.add(comment)
    return comment


def on_association(federation_id: int, association_id: int) -> list[Comment]:
    """The federation's comments on one association (on its reports too), oldest first."""
    query = sa.select(Comment).where(
        Comment.federation_id == federation_id, Comment.association_id == association_id
    )
    return list(db.session.scalars(query.order_by(Comment.created_at, Comment.id)))


def on_reports(federation_id: int, report_ids: Iterable[int]) -> list[Comment]:
    """The federation's comments on the given report versions, oldest first."""
    query = sa.select(Comment).where(
        Comment.federation_id == federation_id, Comment.report_id.in_(list(report_ids))
    )
    return list(db.session.scalars(query.order_by(Comment.created_at, Comment.id)))


def on_guidance(federation_id: int, guidance_id: int) -> list[Comment]:
    """The federation's comments on one piece of its guidance, oldest first."""
    query = sa.select(Comment).where(
        Comment.federation_id == federation_id, Comment.guidance_id == guidance_id
    )
    return list(db.session.scalars(query.order_by(Comment.created_at, Comment.id)))
