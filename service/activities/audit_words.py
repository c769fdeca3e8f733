"""How the audit log names the activities' records and their coded values (`audit.words`)."""

from __future__ import annotations

from service.activities import forms
from service.activities.models import (
    ACTIVITY_STATUS_LABELS,
    AUDIENCE_GROUP_LABELS,
    AWARD_LEVEL_LABELS,
    EXEMPLAR_KIND_LABELS,
    EXEMPLAR_STATUS_LABELS,
    FIGURE_LABELS,
    NOMINATION_STATUS_LABELS,
    PARTNER_KIND_LABELS,
    RECIPIENT_LEVEL_LABELS,
    SPEAKER_KIND_LABELS,
    SUBTYPE_LABELS,
    TASK_LABELS,
    TRANSFER_MODE_LABELS,
    VISIBILITY_LABELS,
)
from service.audit import words
from service.i18n import lazy_gettext as _l

words.register(
    entities={
        "activity": _l("activity"),
        "activity_evidence": _l("activity evidence"),
        "consulting_report": _l("consulting report"),
        "tech_transfer": _l("technology transfer"),
        "nomination": _l("award nomination"),
        "exemplar": _l("exemplar"),
    },
    forms={
        "activity": [forms.ActivityForm],
        "consulting_report": [forms.ConsultingReportForm],
        "tech_transfer": [forms.TechTransferForm],
        "nomination": [forms.NominationForm],
        "exemplar": [forms.ExemplarForm],
    },
    fields=FIGURE_LABELS,
    values={
        "task": TASK_LABELS,
        "subtype": SUBTYPE_LABELS,
        "visibility": VISIBILITY_LABELS,
        "speaker_kind": SPEAKER_KIND_LABELS,
        "audience_group": AUDIENCE_GROUP_LABELS,
        "mode": TRANSFER_MODE_LABELS,
        "recipient_level": RECIPIENT_LEVEL_LABELS,
        "partner_kind": PARTNER_KIND_LABELS,
        "level": AWARD_LEVEL_LABELS,
    },
    record_values={
        ("activity", "status"): ACTIVITY_STATUS_LABELS,
        ("nomination", "status"): NOMINATION_STATUS_LABELS,
        ("exemplar", "status"): EXEMPLAR_STATUS_LABELS,
        ("exemplar", "kind"): EXEMPLAR_KIND_LABELS,
    },
)
