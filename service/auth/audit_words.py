"""How the audit log names accounts and their keys (`audit.words`); roles and token levels
are worded by the log itself, which names the actors."""

from __future__ import annotations

from service.audit import words
from service.i18n import lazy_gettext as _l

words.register(
    entities={
        "user_account": _l("account"),
        "api_token": _l("API token"),
        "password_link": _l("password link"),
    }
)
