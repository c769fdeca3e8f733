"""Translation for Python code: `gettext` (imported as `_`) and `lazy_gettext` (as `_l`),
giving what Flask-Babel's functions of those names give, straight from the request's
catalogue (`babel.domain_instance`, service/extensions.py). Flask-Babel's own look up the
app's Babel and its per-request namespace through three context proxies first, 2.6 µs a
string against 0.4; a list page translates a few hundred labels."""

from __future__ import annotations

from babel.support import NullTranslations
from flask import has_app_context
from flask_babel.speaklater import LazyString

from service.extensions import babel

# Outside an app (a module's import, a script): the text as written, as Flask-Babel gives it.
_UNTRANSLATED = NullTranslations()


def gettext(string: str, **variables) -> str:
    """`string` in the current locale, `%`-formatted with `variables` when there are any."""
    catalogue = babel.domain_instance.get_translations() if has_app_context() else _UNTRANSLATED
    text = catalogue.ugettext(string)
    return text % variables if variables else text


def lazy_gettext(string: str, **variables) -> LazyString:
    """`gettext`, when the text is used: for labels made at import time."""
    return LazyString(gettext, string, **variables)
