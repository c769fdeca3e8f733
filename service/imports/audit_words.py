"""How the audit log names what the import engine keeps (`audit.words`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from service.audit import words

words.register(
    entities={
        "title_word": _l("professional title word"),
        "import_sheet": _l("import sheet"),
        "import_mapping": _l("import column mapping"),
    }
)
