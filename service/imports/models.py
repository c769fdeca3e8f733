"""What the import engine keeps per association: the column mapping it was last given, its
own job-title words, and the state of an import under review."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import db
from tenants.models import TenantOwned, tenant_fk, utcnow

PERSONAL = {"personal": True}  # a member's data, in a sheet under review (PIPL)


class ImportMapping(TenantOwned, db.Model):
    """A heading the association's files have, and the field it goes to ("" for none):
    offered the next time a file has the same heading."""

    __tablename__ = "import_mapping"
    __tenant_table_args__ = (
        sa.UniqueConstraint("tenant_id", "kind", "header", name="uq_import_mapping_header"),
    )

    kind: Mapped[str] = mapped_column(sa.String(20))
    header: Mapped[str] = mapped_column(sa.String(100))
    field: Mapped[str] = mapped_column(sa.String(50))


class TitleWord(TenantOwned, db.Model):
    """A job title as this association's files write it, and its title level; wins over
    the seeded titles."""

    __tablename__ = "title_word"
    __tenant_table_args__ = (sa.UniqueConstraint("tenant_id", "word", name="uq_title_word"),)

    word: Mapped[str] = mapped_column(sa.String(50))
    level: Mapped[str] = mapped_column(sa.String(20))


class ImportSheet(TenantOwned, db.Model):
    """How an uploaded member file is read: its mapping, the secretary's fixes and
    exclusions, the choices for the commit, and the last check's report."""

    __tablename__ = "import_sheet"
    __tenant_table_args__ = (
        tenant_fk("member_import_id", "member_import", ondelete="CASCADE"),
        sa.UniqueConstraint("tenant_id", "member_import_id", name="uq_import_sheet_import"),
        sa.UniqueConstraint("tenant_id", "idempotency_key", name="uq_import_sheet_key"),
    )

    member_import_id: Mapped[int]
    stage: Mapped[str] = mapped_column(sa.String(20), default="reading")
    mapping: Mapped[dict | None] = mapped_column(sa.JSON)  # column index → field or ""
    edits: Mapped[dict | None] = mapped_column(sa.JSON, info=PERSONAL)  # "row:col" → text
    excluded: Mapped[list | None] = mapped_column(sa.JSON)  # row numbers
    mode: Mapped[str] = mapped_column(sa.String(10), default="all")  # all, valid
    on_match: Mapped[str] = mapped_column(sa.String(10), default="skip")  # skip, update
    checked_rows: Mapped[int] = mapped_column(default=0)
    report: Mapped[dict | None] = mapped_column(sa.JSON, info=PERSONAL)  # the rows' cells
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(100))
    # The first request under the key (sha256): the same key with another request is refused.
    request_digest: Mapped[str | None] = mapped_column(sa.String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
