"""How the audit log names a stored file (`audit.words`)."""

from __future__ import annotations

from service.audit import words
from service.i18n import lazy_gettext as _l

words.register(entities={"stored_file": _l("file")})
