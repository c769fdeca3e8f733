"""Keeping a checked upload in the current tenant, and handing it back."""

from __future__ import annotations

import io

from flask import Response, send_file

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
