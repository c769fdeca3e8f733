"""How the audit log names the records of signing in through a university (`audit.words`)."""

from __future__ import annotations

from service.audit import words
from service.i18n import lazy_gettext as _l

words.register(
    entities={
        "sso_link": _l("university sign-in link"),
        "identity_provider": _l("university sign-in settings"),
    },
)
