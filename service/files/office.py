"""What an Office Open XML file (.docx, .xlsx, .pptx) is by its content, not its name.

Such a file is a ZIP package whose `[Content_Types].xml` names the type of its main part.
A ZIP of anything else, a package of another kind under a borrowed extension, a package with
macros, or one that would expand far beyond its size when opened is not accepted as one.
Only the package's directory and that one small part are read, never the rest of its parts.
"""

from __future__ import annotations

import io
import zipfile
from xml.parsers import expat

CONTENT_TYPES = "[Content_Types].xml"
NAMESPACE = "{http://schemas.openxmlformats.org/package/2006/content-types}"

# Generous for real documents (a long report with photos is some tens of parts and MB),
# far short of what a zip bomb expands to.
MAX_PARTS = 5000
MAX_EXPANDED_BYTES = 200 * 1024 * 1024
MAX_CONTENT_TYPES_BYTES = 1024 * 1024

# Macros are code: a package that declares any is refused whatever its extension says.
MACRO_MARKERS = ("macroenabled", "vbaproject", "activex")


class PackageTooLarge(ValueError):
    """The package would expand beyond MAX_EXPANDED_BYTES or holds more than MAX_PARTS."""


def main_content_type(data: bytes) -> str | None:
    """The content type of the package's main part, or None when the bytes are not a
    well-formed, macro-free Office package. Raises PackageTooLarge for a zip bomb."""
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return None
    with package:
        parts = package.infolist()
        if len(parts) > MAX_PARTS or sum(p.file_size for p in parts) > MAX_EXPANDED_BYTES:
            raise PackageTooLarge
        names = {p.filename for p in parts}
        if any(_unsafe(name) or _macros(name) for name in names):
            return None
        declarations = _content_types(package)
    if declarations is None:
        return None
    declared = [attributes.get("ContentType", "") for _, attributes in declarations]
    if any(marker in t.lower() for t in declared for marker in MACRO_MARKERS):
        return None
    mains = [
        attributes.get("ContentType", "")
        for element, attributes in declarations
        if element == "Override"
        and attributes.get("ContentType", "").endswith(".main+xml")
        and attributes.get("PartName", "").lstrip("/") in names
    ]
    return mains[0] if len(mains) == 1 else None


def _unsafe(name: str) -> bool:
    """A part name that would escape the folder it is extracted to."""
    return name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/")


def _macros(name: str) -> bool:
    return name.lower().endswith("vbaproject.bin")


def _content_types(package: zipfile.ZipFile) -> list[tuple[str, dict[str, str]]] | None:
    """The Default and Override declarations of `[Content_Types].xml`, as (element, its
    attributes); None when the part is missing, too big, not XML, or declares a DTD."""
    try:
        info = package.getinfo(CONTENT_TYPES)
    except KeyError:
        return None
    if info.file_size > MAX_CONTENT_TYPES_BYTES:
        return None
    try:
        text = package.read(info)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, OSError):
        return None
    return _declarations(text)


class _Refused(Exception):
    pass


def _declarations(text: bytes) -> list[tuple[str, dict[str, str]]] | None:
    # A plain expat parser that stops at any document type declaration: no entity can be
    # declared, so none can expand (billion laughs) or point outside (XXE).
    parser = expat.ParserCreate(namespace_separator="}")
    elements: list[tuple[str, dict[str, str]]] = []

    def start(name: str, attributes: dict[str, str]) -> None:
        elements.append(("{" + name, attributes))

    def refuse(*_args: object) -> None:
        raise _Refused

    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(text, True)
    except (expat.ExpatError, _Refused):
        return None
    if not elements or elements[0][0] != f"{NAMESPACE}Types":
        return None
    return [
        (tag[len(NAMESPACE) :], attributes)
        for tag, attributes in elements[1:]
        if tag.startswith(NAMESPACE)
    ]
