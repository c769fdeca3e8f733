"""Kept files: a small PDF and PNG, the columns every stored file has, and an association's
stored file."""

from __future__ import annotations

import hashlib

from service.files.models import StoredFile
from tenants.db import db
from tenants.models import Association

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def file_fields(name: str, data: bytes = PDF_BYTES) -> dict:
    """What every kept file records of itself (stored files, an application's documents):
    its name, type, size, checksum and bytes."""
    return {
        "name": name,
        "content_type": "application/pdf" if data.startswith(b"%PDF") else "image/png",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "data": data,
    }


def store_file(tenant_id: int, name: str, data: bytes = PDF_BYTES) -> StoredFile:
    """A file kept for the tenant `tenant_id`."""
    stored = StoredFile(tenant_id=tenant_id, **file_fields(name, data))
    db.session.add(stored)
    db.session.flush()
    return stored


def make_stored_file(
    association: Association, *, name: str = "会议纪要.pdf", data: bytes = PDF_BYTES
) -> StoredFile:
    return store_file(association.id, name, data)
