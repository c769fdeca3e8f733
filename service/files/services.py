"""Keeping a checked upload in the current tenant, and handing it back."""

from __future__ import annotations

import io
from typing import Any

import sqlalchemy as sa
from flask import Response, send_file

from service.access import in_scope
from service.files.checks import CheckedUpload
from service.files.models import StoredFile
from tenants.db import db


def store(upload: CheckedUpload, uploaded_by_user_id: int | None = None) -> StoredFile:
    """A StoredFile of the current association scope (the write guard stamps the tenant)."""
    stored = StoredFile(
        name=upload.name,
        content_type=upload.content_type,
        size=upload.size,
        sha256=upload.sha256,
        data=upload.data,
        uploaded_by_user_id=uploaded_by_user_id,
    )
    db.session.add(stored)
    db.session.flush()
    return stored


def access_file(file_id: int) -> StoredFile:
    """A stored file of an association the current scope holds; NotFound otherwise."""
    return in_scope(StoredFile, file_id)


def delete_file(file_id: int) -> None:
    """Delete a stored file kept for one record only, once that record lets it go (a file
    the scope does not hold, or that is gone already, is left as it is)."""
    stored = db.session.scalar(sa.select(StoredFile).where(StoredFile.id == file_id))
    if stored is not None:
        db.session.delete(stored)


def copy_into(tenant_id: int, original: Any) -> StoredFile:
    """A copy, kept among the files of association `tenant_id`, of a file held elsewhere
    (`original` has a stored file's name, content_type, size, sha256, data, uploaded_at)."""
    stored = StoredFile(
        tenant_id=tenant_id,
        name=original.name,
        content_type=original.content_type,
        size=original.size,
        sha256=original.sha256,
        data=original.data,
        uploaded_at=original.uploaded_at,
    )
    db.session.add(stored)
    db.session.flush()
    return stored


def file_response(stored: StoredFile) -> Response:
    """The file as a download: never rendered by the browser as a page of ours."""
    response = send_file(
        io.BytesIO(stored.data),
        mimetype=stored.content_type,
        as_attachment=True,
        download_name=stored.name,
        etag=stored.sha256,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
