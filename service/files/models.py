"""A file an association uploaded.

The bytes live in the database, beside the rows that point at them: tenant scope, row-level
security, backups and the per-tenant export then cover files with no second mechanism.
Uploads are capped (MAX_UPLOAD_BYTES) and an association keeps documents and photos, not
video, so the table stays of a size PostgreSQL handles well.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import db
from tenants.models import TenantOwned, utcnow


class StoredFile(TenantOwned, db.Model):
    __tablename__ = "stored_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    # Deferred: lists of files never load their bytes.
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
