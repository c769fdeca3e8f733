"""Office Open XML files for upload tests: packages as Word, Excel and PowerPoint write
them, and packages that only pretend to be one."""

from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook

OOXML = "application/vnd.openxmlformats-officedocument"
WORD_MAIN = f"{OOXML}.wordprocessingml.document.main+xml"
POWERPOINT_MAIN = f"{OOXML}.presentationml.presentation.main+xml"
WORD_MACRO_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
RELS = "application/vnd.openxmlformats-package.relationships+xml"
OFFICE_DOCUMENT = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
)


def content_types(overrides: dict[str, str], defaults: dict[str, str] | None = None) -> bytes:
    declared = {"rels": RELS, "xml": "application/xml", **(defaults or {})}
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        + "".join(f'<Default Extension="{e}" ContentType="{t}"/>' for e, t in declared.items())
        + "".join(f'<Override PartName="/{p}" ContentType="{t}"/>' for p, t in overrides.items())
        + "</Types>"
    ).encode()


def package(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def office_package(main_part: str, main_type: str, **more: bytes) -> bytes:
    """A package whose relationships and content types point at its main part."""
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{OFFICE_DOCUMENT}" Target="{main_part}"/>'
        "</Relationships>"
    ).encode()
    return package(
        {
            "[Content_Types].xml": content_types({main_part: main_type}),
            "_rels/.rels": rels,
            main_part: b'<?xml version="1.0" encoding="UTF-8"?><document/>',
            **more,
        }
    )


def docx(main_type: str = WORD_MAIN, **more: bytes) -> bytes:
    return office_package("word/document.xml", main_type, **more)


def pptx() -> bytes:
    return office_package("ppt/presentation.xml", POWERPOINT_MAIN)


def xlsx() -> bytes:
    """A sign-in sheet, written by openpyxl as Excel writes it."""
    book = Workbook()
    book.active.append(["姓名", "单位"])
    book.active.append(["张伟", "物理学院"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def zip_bomb(expanded_bytes: int) -> bytes:
    """A Word package with one part of zeros that expands to `expanded_bytes`."""
    buffer = io.BytesIO(docx())
    chunk = bytes(1024 * 1024)
    with (
        zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open("word/media/image1.bin", "w") as part,
    ):
        for _ in range(expanded_bytes // len(chunk) + 1):
            part.write(chunk)
    return buffer.getvalue()
