"""What an upload must be before it is kept: a known kind, whose bytes say the same as its
name, of a bounded size, under a name that cannot traverse paths or spoof its extension."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from functools import cached_property

from flask import current_app
from werkzeug.datastructures import FileStorage

from service.files import office
from service.i18n import gettext as _


@dataclass(frozen=True)
class FileKind:
    content_type: str
    label: str
    # For Office files: the content type their package must declare for its main part.
    package_main: str | None = None

    def matches(self, data: bytes) -> bool:
        """Raises office.PackageTooLarge for an Office file that would expand too far."""
        signed = all(
            data[offset : offset + len(magic)] == magic
            for offset, magic in SIGNATURES[self.content_type]
        )
        if not signed or self.package_main is None:
            return signed
        return office.main_content_type(data) == self.package_main


OOXML = "application/vnd.openxmlformats-officedocument"
DOCX_TYPE = f"{OOXML}.wordprocessingml.document"
XLSX_TYPE = f"{OOXML}.spreadsheetml.sheet"
PPTX_TYPE = f"{OOXML}.presentationml.presentation"
ZIP_LOCAL_HEADER = b"PK\x03\x04"

# The bytes each kind starts with, as (offset, bytes) pairs that must all match.
SIGNATURES: dict[str, tuple[tuple[int, bytes], ...]] = {
    "application/pdf": ((0, b"%PDF-"),),
    "image/png": ((0, b"\x89PNG\r\n\x1a\n"),),
    "image/jpeg": ((0, b"\xff\xd8\xff"),),
    # RIFF, four bytes of length, WEBP.
    "image/webp": ((0, b"RIFF"), (8, b"WEBP")),
    # Office Open XML files are ZIP packages; what the package holds is checked in office.py.
    DOCX_TYPE: ((0, ZIP_LOCAL_HEADER),),
    XLSX_TYPE: ((0, ZIP_LOCAL_HEADER),),
    PPTX_TYPE: ((0, ZIP_LOCAL_HEADER),),
}

PDF = FileKind("application/pdf", "PDF")
PNG = FileKind("image/png", "PNG")
JPEG = FileKind("image/jpeg", "JPEG")
WEBP = FileKind("image/webp", "WebP")
DOCX = FileKind(DOCX_TYPE, "Word (.docx)", f"{DOCX_TYPE}.main+xml")
XLSX = FileKind(XLSX_TYPE, "Excel (.xlsx)", f"{XLSX_TYPE}.main+xml")
PPTX = FileKind(PPTX_TYPE, "PowerPoint (.pptx)", f"{PPTX_TYPE}.main+xml")

DOCUMENT_KINDS: dict[str, FileKind] = {"pdf": PDF, "png": PNG, "jpg": JPEG, "jpeg": JPEG}
IMAGE_KINDS: dict[str, FileKind] = {"png": PNG, "jpg": JPEG, "jpeg": JPEG, "webp": WEBP}
# Secretariats keep sign-in sheets, programmes and slides as Office files. Only the XML
# formats (the content can be checked; the old binary .doc/.xls cannot, and carry macros).
OFFICE_KINDS: dict[str, FileKind] = {"docx": DOCX, "xlsx": XLSX, "pptx": PPTX}
EVIDENCE_KINDS: dict[str, FileKind] = DOCUMENT_KINDS | IMAGE_KINDS | OFFICE_KINDS

MAX_NAME = 200


class UploadRejected(ValueError):
    """The upload is refused; the message is for the person who sent it."""


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def check_upload(
    upload: FileStorage | None, kinds: dict[str, FileKind], max_bytes: int | None = None
) -> CheckedUpload:
    """The upload, checked; raises UploadRejected with a message saying what is wrong."""
    if upload is None or not upload.filename:
        raise UploadRejected(_("Choose a file to upload."))
    name = safe_name(upload.filename)
    kind = kinds.get(extension(name))
    if kind is None:
        raise UploadRejected(
            _("Only these file types are accepted: %(types)s.", types=accepted(kinds))
        )
    limit = max_bytes or current_app.config["MAX_UPLOAD_BYTES"]
    data = upload.stream.read(limit + 1)
    if not data:
        raise UploadRejected(_("The file is empty."))
    if len(data) > limit:
        raise UploadRejected(
            _("The file is larger than %(size)s MB.", size=round(limit / 1024 / 1024, 1))
        )
    try:
        matches = kind.matches(data)
    except office.PackageTooLarge:
        raise UploadRejected(
            _(
                "The file would expand to more than %(size)d MB when opened.",
                size=office.MAX_EXPANDED_BYTES // 1024 // 1024,
            )
        ) from None
    if not matches:
        raise UploadRejected(
            _("The file's content is not %(kind)s, whatever its name says.", kind=kind.label)
        )
    return CheckedUpload(name=name, content_type=kind.content_type, data=data)


def safe_name(filename: str) -> str:
    """The last path component, without control or direction characters (an RTL override
    can make 'gpj.exe' read as 'exe.jpg'), at most MAX_NAME characters, extension kept."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip(" .")
    if len(cleaned) > MAX_NAME:
        stem, dot, ext = cleaned.rpartition(".")
        cleaned = (stem[: MAX_NAME - len(ext) - 1] + dot + ext) if dot else cleaned[:MAX_NAME]
    return cleaned or "file"


def extension(name: str) -> str:
    return name.rpartition(".")[2].lower() if "." in name else ""


def accepted(kinds: dict[str, FileKind]) -> str:
    return ", ".join(sorted(kinds))
