"""How the audit log names what the import engine keeps (`audit.words`)."""

from __future__ import annotations

from service.audit import words
from service.i18n import lazy_gettext as _l

words.register(
    entities={
        "title_word": _l("professional title word"),
        "import_sheet": _l("import sheet"),
        "import_mapping": _l("import column mapping"),
    }
)
