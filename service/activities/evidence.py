"""What an evidence upload may be: a few document and image types, recognised by their
bytes (never by the name or the browser's word alone), and not too large."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


class EvidenceRefused(ValueError):
    """The file is not accepted; the message says why."""


@dataclass(frozen=True)
class Kind:
    content_type: str
    extensions: tuple[str, ...]


KINDS = {
    "pdf": Kind("application/pdf", ("pdf",)),
    "png": Kind("image/png", ("png",)),
    "jpeg": Kind("image/jpeg", ("jpg", "jpeg")),
    "webp": Kind("image/webp", ("webp",)),
    "docx": Kind(DOCX, ("docx",)),
    "xlsx": Kind(XLSX, ("xlsx",)),
    "pptx": Kind(PPTX, ("pptx",)),
}
ALLOWED_EXTENSIONS = sorted({e for k in KINDS.values() for e in k.extensions})
# The part an Office file must hold to be what it says it is.
_OFFICE_PARTS = {
    "docx": "word/document.xml",
    "xlsx": "xl/workbook.xml",
    "pptx": "ppt/presentation.xml",
}


def max_bytes() -> int:
    return int(current_app.config.get("EVIDENCE_MAX_BYTES", 10 * 1024 * 1024))


def max_files() -> int:
    return int(current_app.config.get("EVIDENCE_MAX_FILES", 20))


def safe_filename(name: str) -> str:
    """The name as shown and offered for download: no folders, no control characters."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f\"<>|:*?]", "", name).strip().lstrip(".")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + dot + ext) if dot else name[:200]
    return name or "evidence"


def _sniff(content: bytes) -> str | None:
    if content.startswith(b"%PDF-"):
        return "pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if content.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "webp"
    if content.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(content)).namelist())
        except zipfile.BadZipFile:
            return None
        for kind, part in _OFFICE_PARTS.items():
            if part in names and "[Content_Types].xml" in names:
                return kind
    return None


def check(filename: str, content: bytes) -> tuple[str, str]:
    """(safe file name, content type) of an acceptable upload; raises `EvidenceRefused`."""
    name = safe_filename(filename)
    if not content:
        raise EvidenceRefused(_("The file is empty."))
    limit = max_bytes()
    if len(content) > limit:
        raise EvidenceRefused(_("The file is larger than %(mb)d MB.", mb=limit // 2**20))
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kind = _sniff(content)
    if kind is None or extension not in KINDS[kind].extensions:
        raise EvidenceRefused(
            _(
                "Only PDF, JPEG, PNG, WebP, Word, Excel and PowerPoint files are accepted,"
                " and the name must end as the file really is."
            )
        )
    return name, KINDS[kind].content_type
