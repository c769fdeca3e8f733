"""How the audit log names governance's records and their coded values (`audit.words`)."""

from __future__ import annotations

from service.audit import words
from service.governance import compliance, forms
from service.governance.models import (
    APPLICATION_STATUS_LABELS,
    BODY_LABELS,
    ELIGIBILITY_LABELS,
    POST_LABELS,
)
from service.i18n import lazy_gettext as _l

words.register(
    entities={
        "committee_term": _l("committee term"),
        "committee_member": _l("committee member"),
        "standing_committee": _l("standing committee"),
        "congress": _l("member congress"),
        "governance_meeting": _l("meeting"),
        "officer": _l("officer"),
        "secretariat": _l("secretariat"),
        "establishment": _l("establishment"),
        "founding_document": _l("founding document"),
        "compliance_finding": _l("compliance finding"),
        "reminder": _l("reminder"),
        "lifecycle_change": _l("status change of the association"),
        "establishment_application": _l("establishment application"),
        "application_document": _l("application document"),
        "application_event": _l("establishment application step"),
    },
    forms={
        "congress": [forms.CongressForm],
        "governance_meeting": [forms.MeetingForm],
        "officer": [forms.OfficerForm],
        "secretariat": [forms.SecretariatForm],
        "establishment_application": [forms.ApplicationForm],
    },
    values={
        "body": BODY_LABELS,
        "post": POST_LABELS,
        "eligibility": ELIGIBILITY_LABELS,
        "rule": {r.code: r.label for r in compliance.RULES},
    },
    record_values={
        ("establishment_application", "status"): APPLICATION_STATUS_LABELS,
        ("compliance_finding", "status"): compliance.STATUS_LABELS,
    },
)
