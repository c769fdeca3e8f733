"""Uploads: only the kinds a page accepts, whose bytes match their names, of a bounded size,
kept in the uploading association and handed back as downloads."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from flask import session
from werkzeug.datastructures import FileStorage

from service.audit.models import AuditEvent
from service.files.checks import (
    DOCUMENT_KINDS,
    EVIDENCE_KINDS,
    UploadRejected,
    check_upload,
    safe_name,
)
from service.files.models import StoredFile
from service.files.services import file_response, store
from tenants.access import find_in_scope
from tenants.db import db
from tenants.scope import Scope, use_scope
from tests import office_files
from tests.factories.files import PDF_BYTES, PNG_BYTES

JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 16
WEBP_BYTES = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 8


def _upload(name: str, data: bytes) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("章程.pdf", PDF_BYTES, "application/pdf"),
        ("照片.PNG", PNG_BYTES, "image/png"),
        ("photo.jpg", JPEG_BYTES, "image/jpeg"),
        ("photo.jpeg", JPEG_BYTES, "image/jpeg"),
        ("photo.webp", WEBP_BYTES, "image/webp"),
    ],
)
def test_each_accepted_kind_passes_with_its_content_type(app, name, data, content_type):
    with app.test_request_context():
        checked = check_upload(_upload(name, data), EVIDENCE_KINDS)
    assert (checked.name, checked.content_type, checked.data) == (name, content_type, data)
    assert checked.size == len(data) and len(checked.sha256) == 64


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (None, "Choose a file"),
        (_upload("", PDF_BYTES), "Choose a file"),
        (_upload("run.exe", PDF_BYTES), "Only these file types"),
        (_upload("noextension", PDF_BYTES), "Only these file types"),
        (_upload("photo.webp", WEBP_BYTES), "Only these file types"),  # not a document
        (_upload("fake.pdf", b"MZ\x90\x00 this is a program"), "content is not PDF"),
        (_upload("fake.png", JPEG_BYTES), "content is not PNG"),
        (_upload("fake.jpg", b"<script>alert(1)</script>"), "content is not JPEG"),
        (_upload("empty.pdf", b""), "empty"),
        (_upload("big.pdf", PDF_BYTES + b"0" * 2048), "larger than"),
    ],
)
def test_a_bad_upload_is_refused_with_a_reason(app, upload, message):
    with app.test_request_context():
        session["lang"] = "en"
        app.config["MAX_UPLOAD_BYTES"], saved = 1024, app.config["MAX_UPLOAD_BYTES"]
        try:
            with pytest.raises(UploadRejected, match=message):
                check_upload(upload, DOCUMENT_KINDS)
        finally:
            app.config["MAX_UPLOAD_BYTES"] = saved


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\秘书处\\章程.pdf", "章程.pdf"),
        ("report\u202efdp.exe", "reportfdp.exe"),  # the RTL override is gone
        ("a\x00b.pdf", "ab.pdf"),
        ("...", "file"),
        ("长" * 300 + ".pdf", "长" * 196 + ".pdf"),
    ],
)
def test_names_cannot_traverse_hide_their_extension_or_overflow(given, kept):
    assert safe_name(given) == kept


def test_a_stored_file_belongs_to_its_association_and_downloads_as_an_attachment(app, world):
    mine, other = world.a.first.association, world.b.first.association
    with app.test_request_context(), use_scope(Scope.association(mine.id)):
        checked = check_upload(_upload("会议纪要.pdf", PDF_BYTES), DOCUMENT_KINDS)
        stored = store(checked)
        assert stored.tenant_id == mine.id
        response = file_response(find_in_scope(StoredFile, stored.id))
        response.direct_passthrough = False
        assert response.get_data() == PDF_BYTES
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Security-Policy"] == "sandbox"
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
        file_id = stored.id
    with use_scope(Scope.association(other.id)):
        assert find_in_scope(StoredFile, file_id) is None


def test_the_audit_log_keeps_the_size_not_the_bytes(app, world):
    mine = world.a.first.association
    with app.test_request_context(), use_scope(Scope.association(mine.id)):
        stored = store(check_upload(_upload("纪要.pdf", PDF_BYTES), DOCUMENT_KINDS))
        db.session.flush()
        event = db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.entity == "stored_file", AuditEvent.entity_id == str(stored.id)
            )
        ).one()
    assert event.changes["data"] == f"<{len(PDF_BYTES)} bytes>"
    assert event.changes["name"] == "纪要.pdf"


# --- Office files as evidence -------------------------------------------------------------

DOCX_TYPE = f"{office_files.OOXML}.wordprocessingml.document"


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("签到表.docx", office_files.docx(), DOCX_TYPE),
        ("签到表.XLSX", office_files.xlsx(), f"{office_files.OOXML}.spreadsheetml.sheet"),
        ("讲座.pptx", office_files.pptx(), f"{office_files.OOXML}.presentationml.presentation"),
    ],
)
def test_office_files_are_accepted_as_evidence_by_their_content(app, name, data, content_type):
    with app.test_request_context():
        checked = check_upload(_upload(name, data), EVIDENCE_KINDS)
    assert (checked.content_type, checked.data) == (content_type, data)


def _declaring(**overrides: str) -> bytes:
    """A Word package whose [Content_Types].xml is replaced by the given declarations."""
    return office_files.docx(
        **{"[Content_Types].xml": office_files.content_types(overrides)}  # replaces it
    )


# Declares the Word main part as a real package does, and an entity that expands.
BILLION_LAUGHS = (
    office_files.content_types({"word/document.xml": office_files.WORD_MAIN})
    .replace(
        b"<Types ",
        b'<!DOCTYPE Types [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><Types ',
    )
    .replace(b"</Types>", b"&b;</Types>")
)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("签到表.docx", PDF_BYTES, "content is not Word"),
        ("签到表.docx", office_files.xlsx(), "content is not Word"),  # another kind's package
        ("签到表.xlsx", office_files.docx(), "content is not Excel"),
        ("page.docx", office_files.package({"index.html": b"<script>1</script>"}), "not Word"),
        ("宏.docx", office_files.docx(office_files.WORD_MACRO_MAIN), "content is not Word"),
        ("宏.docx", office_files.docx(**{"word/vbaProject.bin": b"\x00"}), "not Word"),
        ("no-main.docx", _declaring(), "content is not Word"),
        ("missing.docx", _declaring(**{"word/other.xml": office_files.WORD_MAIN}), "not Word"),
        ("dtd.docx", office_files.docx(**{"[Content_Types].xml": BILLION_LAUGHS}), "not Word"),
        ("up.docx", office_files.docx(**{"../../etc/cron.d/x": b"* * * * * root"}), "not Word"),
        ("cut.docx", office_files.docx()[:200], "content is not Word"),
        ("bomb.docx", office_files.zip_bomb(201 * 1024 * 1024), "expand to more than 200 MB"),
    ],
)
def test_a_disguised_office_file_is_refused(app, name, data, message):
    with app.test_request_context():
        session["lang"] = "en"
        with pytest.raises(UploadRejected, match=message):
            check_upload(_upload(name, data), EVIDENCE_KINDS)
