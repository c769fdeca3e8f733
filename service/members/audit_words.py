"""How the audit log names the members' records and their coded values (`audit.words`)."""

from __future__ import annotations

from service.audit import words
from service.i18n import lazy_gettext as _l
from service.members import forms
from service.members.models import KIND_LABELS, STATUS_LABELS, TITLE_LABELS

words.register(
    entities={
        "member": _l("member"),
        "group_member": _l("group member"),
        "group_member_status_change": _l("group member status change"),
        "member_status_change": _l("member status change"),
        "member_application": _l("membership application"),
        "member_import": _l("member import"),
        "membership_policy": _l("membership policy"),
    },
    forms={
        "member": [forms.MemberForm],
        "group_member": [forms.GroupMemberForm],
        "membership_policy": [forms.PolicyForm],
        "member_application": [forms.ApplicationForm],
    },
    record_values={
        ("member", "status"): STATUS_LABELS,
        ("member_application", "status"): {
            "pending": _l("Pending"),
            "approved": _l("Approved"),
            "rejected": _l("Rejected"),
        },
        ("group_member", "kind"): KIND_LABELS,
        # a person's professional title is a code; a record's title is its name
        ("member", "title"): TITLE_LABELS,
        ("member_application", "title"): TITLE_LABELS,
    },
)
