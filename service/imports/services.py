"""What the import engine keeps for an association, read and written for the packages that
import (members): the sheet of an upload under review, the headings it was last given, and
the association's own job-title words. Always in the current scope; never commits."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from service.imports.models import ImportMapping, ImportSheet, TitleWord
from service.unique_keys import SAVED_MEANWHILE, claimed
from tenants.db import db


def new_sheet(member_import_id: int, **values: Any) -> ImportSheet:
    """The sheet of a new upload (its stage and choices), flushed: a taken idempotency key
    fails here, inside the caller's savepoint."""
    sheet = ImportSheet(member_import_id=member_import_id, **values)
    db.session.add(sheet)
    db.session.flush()
    return sheet


def sheet_of_import(member_import_id: int) -> ImportSheet | None:
    """The sheet of an upload, if it has one."""
    return db.session.scalars(
        sa.select(ImportSheet).where(ImportSheet.member_import_id == member_import_id)
    ).first()


def sheet_under_key(key: str) -> ImportSheet | None:
    """The sheet of the import first made under this idempotency key, if any."""
    return db.session.scalars(
        sa.select(ImportSheet).where(ImportSheet.idempotency_key == key)
    ).first()


def saved_mapping(kind: str) -> dict[str, str]:
    """The headings the association's files of `kind` had, and the field each went to ("" for
    none)."""
    return dict(
        db.session.execute(
            sa.select(ImportMapping.header, ImportMapping.field).where(ImportMapping.kind == kind)
        ).all()
    )


def remember_mapping(kind: str, fields: dict[str, str]) -> None:
    """Keep each heading (a header key) with its field, offered the next time."""
    saved = {
        m.header: m
        for m in db.session.scalars(sa.select(ImportMapping).where(ImportMapping.kind == kind))
    }
    for header, field in fields.items():
        if header in saved:
            saved[header].field = field
        else:
            db.session.add(ImportMapping(kind=kind, header=header, field=field))


def title_words() -> dict[str, str]:
    """The association's own job-title words and their levels (they win over the seeds)."""
    return dict(db.session.execute(sa.select(TitleWord.word, TitleWord.level)).all())


def own_title_words() -> list[TitleWord]:
    """The association's own job-title words, by word."""
    return list(db.session.scalars(sa.select(TitleWord).order_by(TitleWord.word)))


def set_title_word(word: str, level: str) -> None:
    """Give a job-title word its level, the association's own from now on."""
    found = db.session.scalars(sa.select(TitleWord).where(TitleWord.word == word)).first()
    with claimed(TitleWord, {"word": SAVED_MEANWHILE}):  # flushed
        if found is None:
            db.session.add(TitleWord(word=word, level=level))
        else:
            found.level = level
