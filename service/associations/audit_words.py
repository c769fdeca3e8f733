"""How the audit log names an association's profile and its coded values (`audit.words`)."""

from __future__ import annotations

from service.associations import forms
from service.associations.models import CATEGORY_LABELS, FIELD_LABELS, STATUS_LABELS
from service.audit import words
from service.i18n import lazy_gettext as _l

words.register(
    entities={"association_profile": _l("association profile")},
    forms={"association_profile": [forms.ProfileForm]},
    fields=FIELD_LABELS,
    values={
        # a profile's category, and a category change's codes (the default taxonomy's words)
        "category": CATEGORY_LABELS,
        "from_code": CATEGORY_LABELS,
        "to_code": CATEGORY_LABELS,
        # a lifecycle change moves the association from one status to another
        "from_status": STATUS_LABELS,
        "to_status": STATUS_LABELS,
    },
    record_values={("association", "status"): STATUS_LABELS},
)
