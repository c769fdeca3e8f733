"""How the audit log names a suggestion and its coded values (`audit.words`)."""

from __future__ import annotations

from service.audit import words
from service.i18n import lazy_gettext as _l
from service.suggestions import forms
from service.suggestions.models import KIND_LABELS, STATE_LABELS, THEME_LABELS

words.register(
    entities={"suggestion": _l("suggestion")},
    forms={"suggestion": [forms.SuggestionForm, forms.HandleForm]},
    values={"theme": THEME_LABELS, "state": STATE_LABELS},
    record_values={("suggestion", "kind"): KIND_LABELS},
)
