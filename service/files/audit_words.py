"""How the audit log names a stored file (`audit.words`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from service.audit import words

words.register(entities={"stored_file": _l("file")})
