"""How the audit log names the records of signing in through a university (`audit.words`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from service.audit import words

words.register(
    entities={
        "sso_link": _l("university sign-in link"),
        "identity_provider": _l("university sign-in settings"),
    },
)
