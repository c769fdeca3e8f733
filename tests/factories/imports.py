"""Imports: an upload stopped at review with one bad cell (of members or of activities), and
the words an association taught the import (a column heading, a title)."""

from __future__ import annotations

from service.imports.models import ImportMapping, ImportSheet, TitleWord
from service.members.models import MemberImport
from tenants.db import db
from tenants.models import Association


def make_failed_import(
    association: Association,
    filename: str,
    *,
    row: int,
    header: str,
    field: str,
    cell: str,
    message: str,
    **fields,
) -> MemberImport:
    """A failed upload (of members unless `kind` says otherwise) whose sheet waits at review:
    row `row` has `cell` under the column `header` (read as `field`), refused with `message`."""
    upload = MemberImport(
        tenant_id=association.id,
        filename=filename,
        content=b"",
        status="failed",
        errors=[{"row": row, "column": header, "message": message}],
        created_by="t",
        **fields,
    )
    db.session.add(upload)
    db.session.flush()
    db.session.add(
        ImportSheet(
            tenant_id=association.id,
            member_import_id=upload.id,
            stage="review",
            report={
                "columns": [{"index": 0, "header": header, "field": field, "how": "template"}],
                "rows": [{"n": row, "cells": [cell], "state": "bad", "problems": []}],
            },
        )
    )
    return upload


def make_import_vocabulary(association: Association) -> None:
    """A heading the association mapped to a field, and a title word it ranked."""
    db.session.add(
        ImportMapping(tenant_id=association.id, kind="members", header="手机号码", field="phone")
    )
    db.session.add(TitleWord(tenant_id=association.id, word="主任医师", level="senior"))
